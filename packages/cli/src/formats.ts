/**
 * The CLI's one seam onto @packyard/formats: everything the commands use comes through here, so switching
 * to the package's public entry point (once `@packyard/formats` has its index) is a one-file change.
 */
export { FORMATS, formatById } from "../../formats/src/registry.ts";
export { SpecError, FormatError, SignError, IOError, isPackyardError } from "../../formats/src/errors.ts";
export type { PackyardErrorAny } from "../../formats/src/errors.ts";
export {
  keygen,
  loadOpenPGPSigner,
  loadRSASigner,
  passphraseEnvNames,
  resolvePassphrase,
} from "../../formats/src/sign/index.ts";
export type { Signer, OpenPGPSigner, RSASigner } from "../../formats/src/sign/signer.ts";
export { loadConfig, initConfigText, type LoadedConfig } from "../../formats/src/config/index.ts";
export { fileSource, writeFileAtomic } from "../../formats/src/source/index.ts";
export {
  type ChecksumOptions,
  checksumsFile,
  checksumsName,
  parseChecksumConfig,
  signChecksums,
} from "../../formats/src/checksums/index.ts";
export { ARCHIVE_FORMATS, type ArchiveFormat } from "../../formats/src/tarball/index.ts";
export { formatSemver } from "../../formats/src/spec/version.ts";
export type { PackageFormat, Warning } from "../../formats/src/format.ts";
export type { PackageInfo } from "../../formats/src/info/types.ts";
export type { PackageSpec, ByteSource } from "../../formats/src/spec/types.ts";
