/**
 * One independent gzip member / zstd frame / xz stream per piece: the unit of framed output, shared by the
 * one-thread path (compress.ts) and the worker threads (frame-worker.ts), so both give the same bytes.
 * Also the codec settings the single-stream path uses (gzip OS byte, zstd parameters, the xz encoder).
 */
import type { Transform } from "node:stream";
import { promisify } from "node:util";
import zlib from "node:zlib";
import { SpecError } from "../errors.ts";
import { type Compression, effectiveLevel } from "./compression.ts";
import { type LzmaNative, loadLzmaNative } from "./lzma-native.ts";
import { concatBytes } from "./rechunk.ts";
import { plainBytes, throughPieces } from "./through.ts";

/** Offset of the OS byte in a gzip member header (RFC 1952 §2.3). */
export const GZIP_OS_OFFSET = 9;
/**
 * OS byte written in every gzip header: 3 (Unix), what GNU gzip and zlib write on Linux. zlib itself
 * writes a platform-dependent value (10 on Windows, 19 on macOS), so it is pinned here.
 */
export const GZIP_OS_UNIX = 3;

const gzipAsync = promisify(zlib.gzip);

export function zstdParams(level: number, pledgedSize?: number): zlib.ZstdOptions {
  const params: Record<number, number> = {
    [zlib.constants.ZSTD_c_compressionLevel]: level,
    // 4-byte XXH64 content checksum at the end of each frame, as the zstd CLI writes by default.
    [zlib.constants.ZSTD_c_checksumFlag]: 1,
  };
  // Never ZSTD_c_nbWorkers: it crashes Node 24 on large inputs (nodejs/node#59899). Parallelism = framing.
  return pledgedSize === undefined ? { params } : { params, pledgedSrcSize: pledgedSize };
}

export function unsupportedWrite(c: Compression): SpecError {
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

/**
 * Compresses one piece as a complete, independent gzip member / zstd frame / xz stream. This is the unit
 * of framed output: a worker thread running it (or {@link compressFrameSync}, its twin) on piece `i`
 * yields exactly the bytes the sequential path yields, which tests check for every worker count.
 *
 * zstd is coded in one synchronous call into an output buffer of at least ZSTD_compressBound: zstd then
 * compresses the whole piece in one pass (measured on electron5k's 8 MiB frames: ~26 ms and 1.6 % smaller,
 * against ~55 ms through node:zlib's async zstdCompress, which streams through 16 KiB outputs). Its bytes
 * depend on that call shape (the async API and smaller output buffers give other bytes), so every path
 * uses this one. It holds the calling thread for that time: the one-thread path (workers: 1) only.
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
      return zstdFrameSync(piece, level ?? 3);
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

/**
 * Output buffer for a one-call gzip of `n` bytes: zlib's deflateBound for the default window and memory
 * level (n + n/4096 + n/16384 + n/2^25 + 13), plus the gzip header and trailer, rounded up generously. One
 * buffer instead of node:zlib's 16 KiB chunks saves a copy and a call per chunk.
 */
function gzipOutBytes(n: number): number {
  return Math.max(64 * 1024, n + (n >>> 10) + 1024);
}

/** At least ZSTD_compressBound(n) (n + n/256 + a margin for small inputs), so zstd codes in one pass. */
function zstdOutBytes(n: number): number {
  return n + (n >>> 7) + 128 * 1024;
}

/** One zstd frame of `piece` in one pass (see {@link compressFrame}); its header records the size. */
function zstdFrameSync(piece: Uint8Array, level: number): Uint8Array {
  return plainBytes(
    zlib.zstdCompressSync(piece, {
      ...zstdParams(level, piece.length),
      chunkSize: zstdOutBytes(piece.length),
    }),
  );
}

/**
 * {@link compressFrame} on the calling thread, in one call, for gzip and zstd (undefined for xz, whose
 * encoder streams, and gzip level 0): what a compression worker runs, on the thread it has to itself.
 * node:zlib's async gzip would hand the work to the libuv pool and back in 16 KiB callbacks (~30 % more
 * CPU per 2 MiB member); deflate's compressed blocks do not depend on that (level 0's stored blocks do),
 * so these are compressFrame's bytes.
 */
export function compressFrameSync(piece: Uint8Array, c: Compression): Uint8Array | undefined {
  const level = effectiveLevel(c);
  switch (c.algo) {
    case "none":
      return piece;
    case "gzip": {
      // Level 0's stored blocks follow the output buffer's size: left to compressFrame's calls.
      if (level === 0) return undefined;
      const out = plainBytes(
        zlib.gzipSync(piece, { level: level ?? 6, chunkSize: gzipOutBytes(piece.length) }),
      );
      out[GZIP_OS_OFFSET] = GZIP_OS_UNIX;
      return out;
    }
    case "zstd":
      return zstdFrameSync(piece, level ?? 3);
    default:
      return undefined;
  }
}

/**
 * The codec of a single-stream compression (gzip, zstd or xz at the setting's level), shared by the
 * in-thread path (compress.ts) and the worker thread (compress-worker.ts), so both make the same calls
 * on the same codec. Fed through {@link PieceCoder} in
 * COMPRESS_PIECE_BYTES pieces; the gzip OS byte is pinned by the caller as the output flows.
 */
export function streamCodec(c: Compression): Transform {
  const level = effectiveLevel(c);
  switch (c.algo) {
    case "gzip":
      return zlib.createGzip({ level: level ?? 6 });
    case "zstd":
      return zlib.createZstdCompress(zstdParams(level ?? 3));
    case "xz":
      return xzEncoder(loadLzmaNative(), level ?? 6);
    case "bzip2":
      throw unsupportedWrite(c);
    case "none":
      throw new TypeError("streamCodec: `none` has no codec (its output is its input)");
  }
}

/**
 * A single-threaded xz stream encoder: LZMA2 at `preset`, CRC64 check (xz's default). Its output equals
 * `xz -T1 -<preset> -c` byte for byte. Not lzma-native's `createCompressor`: that turns preset 0 into 6
 * (`preset || PRESET_DEFAULT`), and its multi-threaded mode buffers 3x the dictionary per block.
 */
export function xzEncoder(lzma: LzmaNative, preset: number): Transform {
  return lzma.createStream("streamEncoder", {
    filters: [{ id: lzma.FILTER_LZMA2, options: { preset } }],
    check: lzma.CHECK_CRC64,
  });
}

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}
