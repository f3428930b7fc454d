/** Checksums files (SHA256SUMS / SHA512SUMS) over a build's artifacts, and their detached signature. */
export {
  CHECKSUM_ALGOS,
  type ChecksumAlgo,
  type ChecksumArtifact,
  type ChecksumLine,
  checksumLine,
  checksumsFile,
  checksumsFileName,
  parseChecksums,
} from "./checksums.ts";
export { type ChecksumOptions, checksumConfig, checksumsName, parseChecksumConfig } from "./config.ts";
export { signChecksums } from "./sign.ts";
