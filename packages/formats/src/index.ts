/**
 * @packyard/formats — writers and readers for .deb, .rpm, Arch, Alpine .apk, macOS .pkg and release
 * archives from one PackageSpec, and the build API over them. Every export is named here; per-format APIs
 * are at subpaths (`@packyard/formats/deb`, ...), the build API also at `@packyard/formats/build`, the text
 * grammars indexes reuse at `@packyard/formats/text`.
 */

// The model: PackageSpec in, PackageInfo out.
export {
  ARCHES,
  type Arch,
  type ByteSource,
  type ChangelogEntry,
  type DirEntry,
  type Entry,
  type EntryFlags,
  type EntryType,
  type FileEntry,
  type HardlinkEntry,
  type PackageSpec,
  type Principal,
  RELATION_KINDS,
  type Relation,
  type RelationGroup,
  type RelationKind,
  type RelationOp,
  type Relations,
  ROOT,
  SCRIPT_KINDS,
  type Script,
  type ScriptKind,
  type Scripts,
  type SymlinkEntry,
  type Version,
} from "./spec/types.ts";
export { compareSemver, formatSemver, parseVersion } from "./spec/version.ts";
export { parseArch } from "./spec/arch.ts";
export { formatRelationDeb, parseRelation } from "./spec/relation.ts";
export { normalizeDestination } from "./spec/path.ts";
export { validateSpec } from "./spec/validate.ts";
export { scriptInterpreter } from "./spec/script.ts";
export type {
  ChangelogInfo,
  Digests,
  FileInfo,
  FormatId,
  InfoRelations,
  PackageInfo,
  RawInfo,
  RpmDependencies,
  RpmDependency,
  RpmPhase,
  SignatureInfo,
} from "./info/types.ts";

// Errors: four classes, string codes.
export {
  type ErrorData,
  FormatError,
  type FormatErrorCode,
  IOError,
  type IOErrorCode,
  isPackyardError,
  type PackyardErrorAny,
  SignError,
  type SignErrorCode,
  SpecError,
  type SpecErrorCode,
} from "./errors.ts";

// Formats: the interface, the registry, dispatch by id or by content.
export type { DetachedArtifact, PackageFormat, ReadContext, Warning, WriteContext } from "./format.ts";
export type { KnownArtifact } from "./info/artifact-info.ts";
export type { KnownPayload } from "./info/known-payload.ts";
export { DEFAULT_LIMITS, type ReadLimits, resolveLimits } from "./limits.ts";
export { FORMATS, type FormatOptionsMap, formatById, formatForPackager } from "./registry.ts";
export { FORMAT_ENTRIES, type FormatEntry, loadFormat } from "./registry-lazy.ts";
export { detectFormat, packageFileName, readPackage, SNIFF_BYTES, writePackage } from "./api.ts";
export { type DebOptions, debFormat } from "./deb/index.ts";
export { type RpmOptions, rpmFormat } from "./rpm/index.ts";
export { type ArchlinuxOptions, archlinuxFormat } from "./archlinux/index.ts";
export { type ApkOptions, apkFormat } from "./apk/index.ts";
export { type MacosOptions, macosFormat } from "./macos/index.ts";
export { type TarballOptions, tarballFormat } from "./tarball/index.ts";

// The build API.
export {
  type ArtifactKind,
  BUILD_MANIFEST_NAME,
  BUILD_MANIFEST_SCHEMA,
  type BuildArtifact,
  type BuildFormatOptions,
  type BuildHost,
  type BuildManifest,
  type BuildOptions,
  type BuildProgress,
  type BuildResult,
  type BuildSource,
  type BuildWarning,
  build,
  formatIdForPackager,
  isArchivePackager,
  nodeBuildHost,
  type Packager,
  PACKAGERS,
  packagerFromFileName,
  parseBuildManifest,
  serializeBuildManifest,
} from "./build/index.ts";

// Config: packyard.yml / nfpm.yaml.
export type { ConfigBlock, ConfigContext, JsonSchema, SigningMaterial } from "./config/block.ts";
export type { ConfigHost, HostStat } from "./source/host.ts";
export { type LoadConfigInput, type LoadedConfig, loadConfig, type ResolvedPackage } from "./config/load.ts";
export { configJsonSchema } from "./config/schema.ts";
export { initConfigText } from "./config/init.ts";

// Signing.
export {
  apkKeyName,
  generateOpenPGPKey,
  generateRSAKey,
  type KeyFileInput,
  keyFileKind,
  keygen,
  loadOpenPGPSigner,
  loadRSASigner,
  loadX509Signer,
  type OpenPGPSigner,
  passphraseEnvNames,
  type RSASigner,
  readSignatureInfo,
  resolvePassphrase,
  type SignInput,
  type Signer,
  signerFromKeyFile,
  verifyDetached,
  verifyRSA,
  type X509Signer,
} from "./sign/index.ts";

// Compression, spooling, sources.
export {
  applyDefaultFraming,
  type Compression,
  type CompressionAlgo,
  type CompressionSetting,
  DEFAULT_FRAME_BYTES,
  parseCompression,
} from "./compress/index.ts";
export { createSpool, type SpoolFactory } from "./spool/index.ts";
export { bytesSource } from "./bytes/bytes.ts";
export { fileSource, writeFileAtomic } from "./source/index.ts";

// Checksums files.
export { checksumsFile, parseChecksums, signChecksums } from "./checksums/index.ts";
