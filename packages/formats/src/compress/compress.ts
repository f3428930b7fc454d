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
import type { Transform } from "node:stream";
import { promisify } from "node:util";
import zlib from "node:zlib";
import { SpecError } from "../errors.ts";
import { type Compression, effectiveLevel, type Framing } from "./compression.ts";
import { compressFramesInWorkers, defaultFrameThreads } from "./frame-pool.ts";
import { type LzmaNative, loadLzmaNative } from "./lzma-native.ts";
import { concatBytes, rechunk } from "./rechunk.ts";
import { plainBytes, throughPieces } from "./through.ts";

export { rechunk } from "./rechunk.ts";

/**
 * Size of the pieces a single-stream compressor is fed. Measured here, node:zlib's zstd output changed
 * with input chunking (1-byte vs 64 KiB writes, or one whole write); gzip level 0 too (stored block
 * boundaries follow the writes). A fixed piece size removes the dependence; 128 KiB is zstd's block size.
 */
export const COMPRESS_PIECE_BYTES = 128 * 1024;

/** Offset of the OS byte in a gzip member header (RFC 1952 §2.3). */
const GZIP_OS_OFFSET = 9;
/**
 * OS byte written in every gzip header: 3 (Unix), what GNU gzip and zlib write on Linux. zlib itself
 * writes a platform-dependent value (10 on Windows, 19 on macOS), so it is pinned here.
 */
export const GZIP_OS_UNIX = 3;

const gzipAsync = promisify(zlib.gzip);
const zstdAsync = promisify(zlib.zstdCompress);

function zstdParams(level: number, pledgedSize?: number): zlib.ZstdOptions {
  const params: Record<number, number> = {
    [zlib.constants.ZSTD_c_compressionLevel]: level,
    // 4-byte XXH64 content checksum at the end of each frame, as the zstd CLI writes by default.
    [zlib.constants.ZSTD_c_checksumFlag]: 1,
  };
  // Never ZSTD_c_nbWorkers: it crashes Node 24 on large inputs (nodejs/node#59899). Parallelism = framing.
  return pledgedSize === undefined ? { params } : { params, pledgedSrcSize: pledgedSize };
}

function unsupportedWrite(c: Compression): SpecError {
  return new SpecError(
    "UNSUPPORTED_FEATURE",
    `compression: ${c.algo} can be read but not written; choose gzip, zstd, xz or none`,
    {
      field: "compression",
      expected: "gzip, zstd, xz or none",
      found: c.algo,
    },
  );
}

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

/**
 * Compresses one piece as a complete, independent gzip member / zstd frame / xz stream. This is the unit
 * of framed output: a worker thread running it on piece `i` yields exactly the bytes the sequential path
 * yields. Measured here, node:zlib's zstd output differs between zstdCompressSync and zstdCompress, and
 * with the output chunkSize, so the workers call this very function rather than a synchronous twin.
 */
export async function compressFrame(piece: Uint8Array, c: Compression): Promise<Uint8Array> {
  const level = effectiveLevel(c);
  switch (c.algo) {
    case "none":
      return piece;
    case "gzip": {
      const out = plainBytes(await gzipAsync(piece, { level: level ?? 6 }));
      out[GZIP_OS_OFFSET] = GZIP_OS_UNIX;
      return out;
    }
    case "zstd":
      // The frame header records the piece's size (pledged), so readers can size buffers.
      return plainBytes(await zstdAsync(piece, zstdParams(level ?? 3, piece.length)));
    case "xz": {
      const parts: Uint8Array[] = [];
      let total = 0;
      for await (const out of throughPieces(once(piece), xzEncoder(loadLzmaNative(), level ?? 6))) {
        parts.push(out);
        total += out.length;
      }
      return concatBytes(parts, total);
    }
    case "bzip2":
      throw unsupportedWrite(c);
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
 * A single-threaded xz stream encoder: LZMA2 at `preset`, CRC64 check (xz's default). Its output equals
 * `xz -T1 -<preset> -c` byte for byte. Not lzma-native's `createCompressor`: that turns preset 0 into 6
 * (`preset || PRESET_DEFAULT`), and its multi-threaded mode buffers 3x the dictionary per block.
 */
function xzEncoder(lzma: LzmaNative, preset: number): Transform {
  return lzma.createStream("streamEncoder", {
    filters: [{ id: lzma.FILTER_LZMA2, options: { preset } }],
    check: lzma.CHECK_CRC64,
  });
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
