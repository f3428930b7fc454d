/** Compression: the typed setting, writers, readers, detection and gzip member ranges. */
export {
  type Compression,
  type CompressionAlgo,
  COMPRESSION_ALGOS,
  DEFAULT_LEVELS,
  effectiveLevel,
  type Framing,
  formatCompression,
  LEVEL_RANGES,
  parseCompression,
} from "./compression.ts";
export {
  COMPRESS_PIECE_BYTES,
  compress,
  compressBytes,
  compressFrame,
  GZIP_OS_UNIX,
  rechunk,
} from "./compress.ts";
export { type DecompressOptions, decompress, decompressBytes } from "./decompress.ts";
export { DETECT_BYTES, detectCompression } from "./detect.ts";
export { type GzipMember, gzipMembers } from "./gzip-members.ts";
export { XZ_PACKAGE } from "./lzma-native.ts";
