/**
 * The CLI's one seam onto @packyard/formats: everything the commands use comes through here, from the
 * package's public entry points (the root, and the `checksums`, `tarball`, `sign`, `config` and `apk` subpaths for what the root
 * leaves to them), never from its internal files. Importing it loads the whole library, so only the
 * commands' work (run/*.ts) and the modules it uses import it statically; main.ts and the command
 * descriptions (commands/*.ts) do not, and `--help` and `--version` load none of it (test/lazy-loading.test.ts).
 * `packyard build` goes through the narrower formats-build.ts instead, so that it loads only the formats it
 * builds.
 */
export {
  FORMATS,
  formatById,
  SpecError,
  FormatError,
  SignError,
  IOError,
  isPackyardError,
  keygen,
  loadOpenPGPSigner,
  loadRSASigner,
  passphraseEnvNames,
  resolvePassphrase,
  loadConfig,
  initConfigText,
  fileSource,
  writeFileAtomic,
  formatSemver,
  build,
  PACKAGERS,
  packagerFromFileName,
  signerFromKeyFile,
  apkKeyName,
  BUILD_MANIFEST_NAME,
  parseBuildManifest,
  detectFormat,
  readPackage,
  verifyDetached,
  parseChecksums,
} from "@packyard/formats";
export type {
  PackyardErrorAny,
  Signer,
  OpenPGPSigner,
  RSASigner,
  LoadedConfig,
  PackageFormat,
  Warning,
  PackageInfo,
  PackageSpec,
  ByteSource,
  BuildProgress,
  BuildWarning,
  BuildManifest,
  BuildArtifact,
} from "@packyard/formats";
export {
  type ChecksumOptions,
  checksumsFile,
  checksumsName,
  parseChecksumConfig,
  signChecksums,
} from "@packyard/formats/checksums";
export { ARCHIVE_FORMATS, type ArchiveFormat } from "@packyard/formats/tarball";
export { type LoadX509SignerOptions, loadX509Signer } from "@packyard/formats/sign";
export { DURATION_EXAMPLES, expandEnv, type PublishConfig, parseDuration } from "@packyard/formats/config";
export { resolveKeyName } from "@packyard/formats/apk";
