/** Compression: the typed setting, writers, readers, detection and gzip member ranges. */
export {
  applyDefaultFraming,
  type Compression,
  type CompressionAlgo,
  type CompressionSetting,
  COMPRESSION_ALGOS,
  DEFAULT_FRAME_BYTES,
  DEFAULT_LEVELS,
  effectiveLevel,
  type Framing,
  formatCompression,
  LEVEL_RANGES,
  MAX_FRAME_THREADS,
  MIN_FRAME_BYTES,
  parseCompression,
} from "./compression.ts";
export { defaultFrameThreads } from "./frame-pool.ts";
export {
  COMPRESS_PIECE_BYTES,
  type CompressOptions,
  compress,
  compressBytes,
  compressFrame,
  compressionWorkers,
  DEFAULT_IN_FLIGHT_BYTES,
  GZIP_OS_UNIX,
  IN_THREAD_BYTES,
  rechunk,
  setCompressionWorkers,
  withCompressionWorkers,
} from "./compress.ts";
export { closeCompressionWorkers } from "./worker-pool.ts";
export { type DecompressOptions, decompress, decompressBytes } from "./decompress.ts";
export { DETECT_BYTES, detectCompression } from "./detect.ts";
export { DEFAULT_BLOCK_BYTES, gzipHeader } from "./gzip-blocks.ts";
export { type GzipMember, gzipMembers } from "./gzip-members.ts";
export { XZ_PACKAGE } from "./lzma-native.ts";
