/**
 * @packyard/formats — writers and readers for .deb, .rpm, Arch, Alpine .apk, macOS .pkg and release
 * archives from one PackageSpec. Per-format APIs are also at subpaths (`@packyard/formats/deb`, ...).
 */
export * from "./spec/index.ts";
export type * from "./info/types.ts";
export * from "./errors.ts";
export type { DetachedArtifact, PackageFormat, ReadContext, Warning, WriteContext } from "./format.ts";
export { DEFAULT_LIMITS, type ReadLimits, resolveLimits } from "./limits.ts";
export { FORMATS, formatById } from "./registry.ts";
export { detectFormat, packageFileName, readPackage, SNIFF_BYTES, writePackage } from "./api.ts";
export { bytesSource, collect } from "./bytes/bytes.ts";
export * from "./config/index.ts";
export {
  apkKeyName,
  generateOpenPGPKey,
  generateRSAKey,
  keygen,
  loadOpenPGPSigner,
  loadRSASigner,
  type OpenPGPSigner,
  passphraseEnvNames,
  type RSASigner,
  readSignatureInfo,
  resolvePassphrase,
  type SignInput,
  type Signer,
  verifyDetached,
  verifyRSA,
} from "./sign/index.ts";
export { type Compression, type CompressionAlgo, parseCompression } from "./compress/index.ts";
export { createSpool, type SpoolFactory } from "./spool/index.ts";
export { fileSource, writeFileAtomic } from "./source/index.ts";
export { checksumsFile, parseChecksums, signChecksums } from "./checksums/index.ts";
export { debFormat, type DebOptions } from "./deb/index.ts";
export { rpmFormat, type RpmOptions } from "./rpm/index.ts";
export { archlinuxFormat, type ArchlinuxOptions } from "./archlinux/index.ts";
export { apkFormat, type ApkOptions } from "./apk/index.ts";
export { macosFormat, type MacosOptions } from "./macos/index.ts";
export { tarballFormat, type TarballOptions } from "./tarball/index.ts";
