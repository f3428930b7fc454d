/**
 * @packyard/repo — signed package repositories on a folder or S3-compatible storage: one layout for every
 * family (`deb/`, `rpm/`, `archlinux/`, `alpine/`, `keys/`, `.packyard/`), a crash-safe incremental publish
 * engine under a lock, APT, RPM-MD, pacman and APKINDEX indexes, and the distro catalogue. Every export is
 * named here.
 */
export { isRepoError, RepoError, type RepoErrorCode } from "./errors.ts";
export {
  type ByteRange,
  contentTypeFor,
  IMMUTABLE_CACHE,
  type ListPage,
  MUTABLE_CACHE,
  type ObjectInfo,
  type PutOptions,
  type Storage,
} from "./storage/storage.ts";
export type {
  AlpineSettings,
  AptSettings,
  BlobDigests,
  DebIndexInfo,
  DetachedSignatureRecord,
  Family,
  IndexFileRecord,
  PackageRecord,
  PacmanSettings,
  RootState,
  RpmDepEntry,
  RpmDepLists,
  RpmIndexInfo,
  RpmSettings,
  Tombstone,
} from "./publish/state.ts";
export { STATE_SCHEMA } from "./publish/state.ts";
export type {
  AlpinePublishSettings,
  ArchlinuxPublishSettings,
  AptPublishSettings,
  PackageSelector,
  PublishInput,
  PublishOptions,
  PublishProgress,
  PublishResult,
  PublishWarning,
  RpmPublishSettings,
} from "./publish/options.ts";

// Storage drivers.
export { folderStorage } from "./storage/fs.ts";
export { memoryStorage } from "./storage/memory.ts";
export { prefixStorage } from "./storage/prefix.ts";
export { collectBytes, readObject } from "./storage/read.ts";
// Bounded parallel work, as the engine writes blobs (the CLI reads its input files with it).
export { mapLimited } from "./limit.ts";
export { type S3Credentials, type S3StorageOptions, s3Storage } from "./storage/s3.ts";
export { type StorageUrlOptions, storageFromUrl } from "./storage/url.ts";

// The publish engine.
export { publish } from "./publish/publish.ts";
export {
  type CopyOptions,
  copyPackages,
  pruneRepository,
  type RefreshOptions,
  readRepository,
  refreshRepository,
  updateInstallFiles,
} from "./publish/operations.ts";
export { DEFAULT_WRITE_CONCURRENCY, type EngineOptions, MIN_RSA_BITS } from "./publish/engine.ts";
export {
  isStorageLock,
  type LockRecord,
  type PublishLock,
  type StorageLock,
  type StorageLockOptions,
  storageLock,
} from "./publish/lock.ts";
export { OWNER_KEY, type RepositoryOwner, readOwner } from "./publish/owner.ts";

// Verifying a published repository (what apt and dnf would trip on).
export {
  listAlpineRoots,
  listAptSuites,
  listPacmanRoots,
  listRpmRoots,
  verifyRepository,
} from "./verify/repository.ts";
export { verifyPacmanRoot } from "./verify/pacman.ts";
export { verifyAlpineRoot } from "./verify/alpine.ts";
export { verifyRpmRoot, verifyRpmRoots } from "./verify/rpm.ts";
export { type VerifyOptions, type VerifyProblem, verifyAptSuite } from "./verify/apt.ts";

// APT.
export { debPoolKey, escapeKeySegment } from "./apt/pool.ts";
export { packagesFile, packagesStanza } from "./apt/packages.ts";
export { contentsFile } from "./apt/contents.ts";
export { formatAptDate, type ReleaseFile, type ReleaseOptions, releaseText } from "./apt/release.ts";
export { type AptIndexes, type AptIndexOptions, buildAptIndexes } from "./apt/indexes.ts";
export { type SignedRelease, signRelease } from "./apt/sign.ts";
export type { BuiltFile } from "./apt/types.ts";

// RPM-MD.
export {
  buildRpmMetadata,
  filelistsXml,
  isPrimaryFile,
  otherXml,
  primaryXml,
  type RpmIndexInfoOptions,
  type RpmMdPackage,
  type RpmMetadata,
  type RpmMetadataFile,
  type RpmMetadataOptions,
  rpmIndexInfo,
} from "./rpmmd/index.ts";
export { rpmPoolKey } from "./publish/rpm-change.ts";
export { repoFileText } from "./publish/commit.ts";
export {
  alpineIndexKey,
  alpineRoot,
  apkPublicKeyKey,
  pacmanRoot,
  pacmanTopKeys,
  rpmHref,
  rpmPublicKeyKey,
  rpmRepoFileKey,
  rpmRoot,
  rpmTopKeys,
} from "./publish/layout.ts";

// pacman.
export {
  buildPacmanDatabases,
  type PacmanEntry,
  type PacmanIndexInfo,
  pacmanDescText,
  pacmanFilesText,
  pacmanIndexInfo,
} from "./pacman/index.ts";
export { pacmanFileName } from "./publish/pacman-change.ts";

// Alpine.
export {
  type ApkEntry,
  type ApkIndexInfo,
  apkIndexInfo,
  apkIndexText,
  buildApkIndex,
} from "./apkindex/index.ts";

// The distro catalogue.
export {
  CATALOGUE,
  type CatalogueTarget,
  catalogueTarget,
  matchOsRelease,
  parseOsRelease,
  targetsOf,
  validateCatalogue,
} from "./catalogue/index.ts";

// Install instructions: install.json, install.sh, the install page.
export {
  type ApkKeyInfo,
  type DownloadFile,
  type DownloadRelease,
  INSTALL_SCHEMA,
  type InstallDocument,
  type InstallStep,
  type InstallTarget,
  type LatestPackage,
  type OpenPGPKeyInfo,
  type PrivateAccess,
  READ_TOKEN_PLACEHOLDER,
} from "./install/types.ts";
export { heredocDelimiter, shellQuote, writeFileCommands } from "./install/shell.ts";
export { checkInstallOptions, type InstallOptions, installDocument } from "./install/document.ts";
export { certificateFingerprints } from "./install/keys.ts";
export {
  INSTALL_FILES,
  type InstallWriteResult,
  installFiles,
  readSiteSettings,
  SITE_KEY,
  siteOptions,
  writeInstallFiles,
} from "./install/write.ts";
export { targetSteps } from "./install/steps.ts";
export { installText } from "./install/text.ts";
export { installScript } from "./install/script.ts";
export { installPage } from "./install/page.ts";
export { badgeFor } from "./install/badge.ts";
