/**
 * The CLI's one seam onto @packyard/repo, as formats.ts is onto @packyard/formats: the commands import
 * the engine from here, never from the package's internal files.
 */
export {
  copyPackages,
  installDocument,
  installText,
  siteOptions,
  writeInstallFiles,
  isRepoError,
  mapLimited,
  publish,
  pruneRepository,
  RepoError,
  readRepository,
  refreshRepository,
  updateInstallFiles,
  storageFromUrl,
  storageLock,
} from "@packyard/repo";
export type {
  AptPublishSettings,
  InstallDocument,
  InstallOptions,
  PackageSelector,
  PublishInput,
  PublishLock,
  PublishOptions,
  PublishProgress,
  PublishResult,
  RepoErrorCode,
  RootState,
  S3Credentials,
  Storage,
} from "@packyard/repo";
