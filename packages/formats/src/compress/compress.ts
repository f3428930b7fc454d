/**
 * Compression writers: gzip and zstd through node:zlib, xz through the optional `lzma-native`, `none`
 * as a pass-through. Deterministic: gzip headers carry mtime 0 and OS byte 3 on every platform, and the
 * output bytes depend only on the input bytes and the setting, never on how the input was chunked.
 *
 * Without framing the output is one stream: the input is re-cut into {@link COMPRESS_PIECE_BYTES} pieces
 * fed to the codec one at a time ({@link throughPieces}). With framing the input is cut every
 * `chunkBytes` of uncompressed bytes and each piece becomes an independent member/frame via
 * {@link compressFrame}. With one thread only one piece (plus its output) is held at a time; with more,
 * worker threads compress up to 2 pieces each ({@link compressFramesInWorkers}) and the frames are
 * emitted in input order, so the bytes are the same for any thread count.
 */
import zlib from "node:zlib";
import { type Compression, effectiveLevel, type Framing } from "./compression.ts";
import {
  compressFrame,
  GZIP_OS_OFFSET,
  GZIP_OS_UNIX,
  unsupportedWrite,
  xzEncoder,
  zstdParams,
} from "./frame.ts";
import { compressFramesInWorkers, defaultFrameThreads } from "./frame-pool.ts";
import { loadLzmaNative } from "./lzma-native.ts";
import { concatBytes, rechunk } from "./rechunk.ts";
import { throughPieces } from "./through.ts";

export { compressFrame, GZIP_OS_UNIX } from "./frame.ts";

export { rechunk } from "./rechunk.ts";

/**
 * Size of the pieces a single-stream compressor is fed. Measured here, node:zlib's zstd output changed
 * with input chunking (1-byte vs 64 KiB writes, or one whole write); gzip level 0 too (stored block
 * boundaries follow the writes). A fixed piece size removes the dependence; 128 KiB is zstd's block size.
 */
export const COMPRESS_PIECE_BYTES = 128 * 1024;

/** Pins the OS byte of a gzip stream as it flows past (the header may be split across chunks). */
async function* pinGzipOs(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  let seen = 0;
  for await (const chunk of chunks) {
    if (seen <= GZIP_OS_OFFSET && seen + chunk.length > GZIP_OS_OFFSET)
      chunk[GZIP_OS_OFFSET - seen] = GZIP_OS_UNIX;
    seen += chunk.length;
    yield chunk;
  }
}

/** The pieces of framed output: the input cut every `chunkBytes`; empty input gives one empty piece. */
async function* framePieces(
  input: AsyncIterable<Uint8Array>,
  chunkBytes: number,
): AsyncGenerator<Uint8Array> {
  let any = false;
  for await (const piece of rechunk(input, chunkBytes)) {
    any = true;
    yield piece;
  }
  // Empty input still gives one (empty) member/frame, so the output is a valid compressed file.
  if (!any) yield new Uint8Array(0);
}

async function* framed(
  input: AsyncIterable<Uint8Array>,
  c: Compression,
  framing: Framing,
): AsyncGenerator<Uint8Array> {
  const pieces = framePieces(input, framing.chunkBytes);
  const threads = framing.threads ?? defaultFrameThreads();
  if (threads > 1) {
    yield* compressFramesInWorkers(pieces, c, threads);
    return;
  }
  for await (const piece of pieces) yield await compressFrame(piece, c);
}

/**
 * Compresses a byte stream. Throws SpecError UNSUPPORTED_FEATURE for bzip2 (read-only) and
 * OPTIONAL_DEPENDENCY_MISSING for xz without `lzma-native`.
 */
export async function* compress(
  input: AsyncIterable<Uint8Array>,
  c: Compression,
): AsyncGenerator<Uint8Array> {
  if (c.algo === "bzip2") throw unsupportedWrite(c);
  // Fail before reading any input when the optional xz encoder is missing.
  if (c.algo === "xz") loadLzmaNative();
  if (c.framing !== undefined) {
    yield* framed(input, c, c.framing);
    return;
  }
  if (c.algo === "none") {
    yield* input;
    return;
  }
  const level = effectiveLevel(c);
  const pieces = rechunk(input, COMPRESS_PIECE_BYTES);
  switch (c.algo) {
    case "gzip":
      yield* pinGzipOs(throughPieces(pieces, zlib.createGzip({ level: level ?? 6 })));
      return;
    case "zstd":
      yield* throughPieces(pieces, zlib.createZstdCompress(zstdParams(level ?? 3)));
      return;
    case "xz":
      yield* throughPieces(pieces, xzEncoder(loadLzmaNative(), level ?? 6));
      return;
  }
}

/** Compresses bytes in memory; equal to the concatenation of {@link compress} over `[bytes]`. */
export async function compressBytes(bytes: Uint8Array, c: Compression): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of compress(once(bytes), c)) {
    parts.push(chunk);
    total += chunk.length;
  }
  return concatBytes(parts, total);
}

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}
