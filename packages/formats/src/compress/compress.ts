/**
 * Compression writers: gzip and zstd through node:zlib, xz through the optional `lzma-native`, `none`
 * as a pass-through. Deterministic: gzip headers carry mtime 0 and OS byte 3 on every platform, and the
 * output bytes depend only on the input bytes and the setting, never on how the input was chunked nor on
 * how many worker threads compress it.
 *
 * Without framing the output is one stream: the input is re-cut into {@link COMPRESS_PIECE_BYTES} pieces
 * fed to the codec one at a time. With framing the input is cut every `chunkBytes` of uncompressed bytes
 * and each piece becomes an independent member/frame via {@link compressFrame}.
 *
 * Where the codec runs ({@link CompressOptions.workers}, {@link setCompressionWorkers}): with 1 worker,
 * on the calling thread as before (node:zlib's own thread pool, one piece at a time). With 2 or more, off
 * the main thread, through a bounded pipeline that keeps pulling the input while earlier pieces compress
 * ({@link DEFAULT_IN_FLIGHT_BYTES}): a single stream on one worker thread, frames on up to that many.
 * An input of at most {@link IN_THREAD_BYTES} is compressed on the calling thread anyway (a worker's
 * start-up would cost more than it saves), unless a framing names its threads. Same bytes every way.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { crc32 } from "node:zlib";
import { type Compression, effectiveLevel, type Framing, MAX_FRAME_THREADS } from "./compression.ts";
import { compressFrame, GZIP_OS_OFFSET, GZIP_OS_UNIX, streamCodec, unsupportedWrite } from "./frame.ts";
import {
  type BlockPlaces,
  compressFramesInWorkers,
  deflateBlocksInWorkers,
  defaultFrameThreads,
} from "./frame-pool.ts";
import { deflateBlockAsync, gzipHeader, gzipTrailer, windowAfter } from "./gzip-blocks.ts";
import { loadLzmaNative } from "./lzma-native.ts";
import { concatBytes, PieceBuffers, rechunk, rechunkOwned } from "./rechunk.ts";
import { compressStreamInWorker, STREAM_PIECE_BYTES } from "./stream-pool.ts";
import { throughPieces } from "./through.ts";

export { compressFrame, GZIP_OS_UNIX } from "./frame.ts";

export { rechunk } from "./rechunk.ts";

/**
 * Size of the pieces a single-stream compressor is fed. Measured here, node:zlib's zstd output changed
 * with input chunking (1-byte vs 64 KiB writes, or one whole write); gzip level 0 too (stored block
 * boundaries follow the writes). A fixed piece size removes the dependence; 128 KiB is zstd's block size.
 */
export const COMPRESS_PIECE_BYTES = 128 * 1024;

/**
 * Bytes a compression off the main thread holds at most between its input and its consumer: input
 * handed to the workers and not compressed yet, plus output not yet taken. 8 MiB is about 0.2 s of
 * gzip-6 or 0.05 s of zstd-3 on one core, enough for the main thread to read and encode ahead through a
 * large file or a burst of small ones, and small next to the 150 MiB a whole build may use. A framing
 * larger than this still gets one frame per worker (memory ≈ threads × chunkBytes, plus outputs).
 */
export const DEFAULT_IN_FLIGHT_BYTES = 8 * 1024 * 1024;

/**
 * Inputs up to this size are compressed on the calling thread even when workers are allowed: starting a
 * worker takes 30-50 ms, about what compressing 1 MiB at gzip-6 takes.
 */
export const IN_THREAD_BYTES = 1024 * 1024;

/** How compress() may run; the output bytes never depend on these. */
export interface CompressOptions {
  /**
   * Threads that may compress: 1 (or 0) = the calling thread only, as before this option existed; n ≥ 2 =
   * worker threads: one for a single stream, up to n for frames. A framing's own `threads` wins for
   * framed output. Absent: {@link setCompressionWorkers}'s value, else {@link defaultFrameThreads}.
   */
  workers?: number;
  /** Bound of the pipeline to the workers; absent: {@link DEFAULT_IN_FLIGHT_BYTES}. */
  inFlightBytes?: number;
}

let processWorkers: number | undefined;

/**
 * Sets the worker count compress() uses when a call gives none (the `workers` setting of packyard.yml or
 * the command line); `undefined` restores the default ({@link defaultFrameThreads}). Same meaning as
 * {@link CompressOptions.workers}; values above MAX_FRAME_THREADS are capped. Returns the setting it
 * replaced, so a caller can put it back.
 */
export function setCompressionWorkers(workers: number | undefined): number | undefined {
  if (workers !== undefined && (!Number.isInteger(workers) || workers < 0))
    throw new RangeError(`setCompressionWorkers: expected a whole number ≥ 0, found ${workers}`);
  const previous = processWorkers;
  processWorkers = workers;
  return previous;
}

/** A worker count for the calls made inside {@link withCompressionWorkers}: a number, or the default. */
const scoped = new AsyncLocalStorage<{ workers: number | "auto" }>();

/**
 * Runs `fn` with `workers` as the worker count of every compress() call made inside it (and in what it
 * awaits), over {@link setCompressionWorkers}' value: how one build sets its count without changing the
 * process's (two builds at once keep their own). `"auto"` is the default ({@link defaultFrameThreads}).
 */
export function withCompressionWorkers<T>(workers: number | "auto", fn: () => Promise<T>): Promise<T> {
  if (workers !== "auto" && (!Number.isInteger(workers) || workers < 0))
    throw new RangeError(`withCompressionWorkers: expected a whole number ≥ 0 or "auto", found ${workers}`);
  return scoped.run({ workers }, fn);
}

/** The worker count compress() uses when a call gives none. */
export function compressionWorkers(): number {
  const inScope = scoped.getStore()?.workers;
  const n = inScope === "auto" ? undefined : (inScope ?? processWorkers);
  return Math.min(n ?? defaultFrameThreads(), MAX_FRAME_THREADS);
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
 * Reads `pieces` until more than `bytes` have arrived (or the input ends) and says which: `small` with
 * everything read, or `large` with what was read and the rest. The caller must consume or close `rest`.
 */
async function peek(
  pieces: AsyncIterable<Uint8Array>,
  bytes: number,
): Promise<{ small: true; head: Uint8Array[] } | { small: false; rest: AsyncGenerator<Uint8Array> }> {
  const it = pieces[Symbol.asyncIterator]();
  const head: Uint8Array[] = [];
  let seen = 0;
  try {
    while (seen <= bytes) {
      const r = await it.next();
      if (r.done) return { small: true, head };
      head.push(r.value);
      seen += r.value.length;
    }
  } catch (e) {
    await it.return?.();
    throw e;
  }
  return { small: false, rest: prepend(head, it) };
}

async function* prepend(head: Uint8Array[], it: AsyncIterator<Uint8Array>): AsyncGenerator<Uint8Array> {
  let done = false;
  try {
    while (head.length > 0) yield head.shift() as Uint8Array;
    for (;;) {
      const r = await it.next();
      if (r.done) {
        done = true;
        return;
      }
      yield r.value;
    }
  } finally {
    if (!done) await it.return?.();
  }
}

async function* from(parts: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  yield* parts;
}

/** Frames one at a time on the calling thread. */
async function* framesInThread(
  pieces: AsyncIterable<Uint8Array>,
  c: Compression,
): AsyncGenerator<Uint8Array> {
  for await (const piece of pieces) yield await compressFrame(piece, c);
}

/** The pieces of framed output: the input cut every `chunkBytes`; empty input gives one empty piece. */
async function* framePieces(
  input: AsyncIterable<Uint8Array>,
  chunkBytes: number,
  owned?: PieceBuffers,
): AsyncGenerator<Uint8Array> {
  let any = false;
  const pieces = owned ? rechunkOwned(input, chunkBytes, owned) : rechunk(input, chunkBytes);
  for await (const piece of pieces) {
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
  workers: number,
  inFlightBytes: number,
): AsyncGenerator<Uint8Array> {
  const threads = Math.min(framing.threads ?? workers, MAX_FRAME_THREADS);
  if (threads <= 1) {
    yield* framesInThread(framePieces(input, framing.chunkBytes), c);
    return;
  }
  const buffers = new PieceBuffers(framing.chunkBytes);
  const pieces = framePieces(input, framing.chunkBytes, buffers);
  // Threads named by the framing itself: workers from the first piece, as asked.
  if (framing.threads !== undefined) {
    yield* compressFramesInWorkers(pieces, c, threads, inFlightBytes, buffers);
    return;
  }
  const start = await peek(pieces, IN_THREAD_BYTES);
  if (start.small) yield* framesInThread(from(start.head), c);
  else yield* compressFramesInWorkers(start.rest, c, threads, inFlightBytes, buffers);
}

/**
 * The pieces of a member of blocks, one behind the input (so the last is known when it is handed on: an
 * empty input gives one empty piece), with the window before each and which is last in `places`, while
 * `sum` takes the CRC-32 and size of the input (before a piece can go to another thread).
 */
async function* blockPieces(
  input: AsyncIterable<Uint8Array>,
  chunkBytes: number,
  owned: PieceBuffers | undefined,
  sum: { crc: number; size: number },
  places: BlockPlaces,
): AsyncGenerator<Uint8Array> {
  let window: Uint8Array | undefined;
  let held: Uint8Array | undefined;
  // Buffers of their own even on the calling thread: a piece is held until the next one is read, and a
  // producer may reuse the buffer it yielded once the next chunk is pulled.
  for await (const piece of rechunkOwned(input, chunkBytes, owned)) {
    if (piece.length === 0) continue;
    sum.crc = crc32(piece, sum.crc);
    sum.size += piece.length;
    if (window !== undefined) places.windows.set(piece, window);
    window = windowAfter(window, piece);
    if (held !== undefined) yield held;
    held = piece;
  }
  held ??= new Uint8Array(0);
  places.last.add(held);
  yield held;
}

/**
 * One gzip member of blocks (gzip-blocks.ts): the header, the blocks in input order, the trailer. An input
 * of one block gives the bytes of one stream.
 */
async function* gzipBlocks(
  input: AsyncIterable<Uint8Array>,
  level: number,
  blocks: Framing,
  workers: number,
  inFlightBytes: number,
): AsyncGenerator<Uint8Array> {
  const sum = { crc: 0, size: 0 };
  const places: BlockPlaces = { windows: new WeakMap(), last: new WeakSet() };
  const threads = Math.min(blocks.threads ?? workers, MAX_FRAME_THREADS);
  yield gzipHeader(level);
  const inThread = async function* (pieces: AsyncIterable<Uint8Array>) {
    for await (const piece of pieces)
      yield await deflateBlockAsync(piece, level, places.windows.get(piece), places.last.has(piece));
  };
  if (threads <= 1) {
    yield* inThread(blockPieces(input, blocks.chunkBytes, undefined, sum, places));
  } else {
    const buffers = new PieceBuffers(blocks.chunkBytes);
    const pieces = blockPieces(input, blocks.chunkBytes, buffers, sum, places);
    // Threads named by the setting itself: workers from the first piece, as asked.
    const start = blocks.threads !== undefined ? undefined : await peek(pieces, IN_THREAD_BYTES);
    if (start?.small === true) yield* inThread(from(start.head));
    else
      yield* deflateBlocksInWorkers(
        start === undefined ? pieces : start.rest,
        level,
        places,
        threads,
        inFlightBytes,
        buffers,
      );
  }
  yield gzipTrailer(sum.crc, sum.size);
}

async function* singleStream(
  input: AsyncIterable<Uint8Array>,
  c: Compression,
  workers: number,
  inFlightBytes: number,
): AsyncGenerator<Uint8Array> {
  if (workers <= 1) {
    yield* throughPieces(rechunk(input, COMPRESS_PIECE_BYTES), streamCodec(c));
    return;
  }
  const buffers = new PieceBuffers(STREAM_PIECE_BYTES);
  const start = await peek(rechunkOwned(input, STREAM_PIECE_BYTES, buffers), IN_THREAD_BYTES);
  if (start.small) yield* throughPieces(rechunk(from(start.head), COMPRESS_PIECE_BYTES), streamCodec(c));
  else yield* compressStreamInWorker(start.rest, c, inFlightBytes, buffers);
}

/**
 * Compresses a byte stream; `options` choose where (never what: the bytes are the same). Throws
 * SpecError UNSUPPORTED_FEATURE for bzip2 (read-only) and OPTIONAL_DEPENDENCY_MISSING for xz without
 * `lzma-native`.
 * @example compress(tarStream, { algo: "zstd", level: 3 }, { workers: 2 })
 */
export async function* compress(
  input: AsyncIterable<Uint8Array>,
  c: Compression,
  options: CompressOptions = {},
): AsyncGenerator<Uint8Array> {
  if (c.algo === "bzip2") throw unsupportedWrite(c);
  // Fail before reading any input when the optional xz encoder is missing.
  if (c.algo === "xz") loadLzmaNative();
  const workers = options.workers ?? compressionWorkers();
  const inFlightBytes = options.inFlightBytes ?? DEFAULT_IN_FLIGHT_BYTES;
  if (c.framing !== undefined) {
    yield* framed(input, c, c.framing, workers, inFlightBytes);
    return;
  }
  if (c.algo === "none") {
    yield* input;
    return;
  }
  const level = effectiveLevel(c);
  if (c.blocks !== undefined && c.algo === "gzip" && level !== undefined && level > 0) {
    yield* gzipBlocks(input, level, c.blocks, workers, inFlightBytes);
    return;
  }
  const out = singleStream(input, c, workers, inFlightBytes);
  yield* c.algo === "gzip" ? pinGzipOs(out) : out;
}

/** Compresses bytes in memory; equal to the concatenation of {@link compress} over `[bytes]`. */
export async function compressBytes(
  bytes: Uint8Array,
  c: Compression,
  options: CompressOptions = {},
): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of compress(from([bytes]), c, options)) {
    parts.push(chunk);
    total += chunk.length;
  }
  return concatBytes(parts, total);
}
