/**
 * Framed compression on worker threads. Each piece is an independent member/frame, so pieces can be
 * compressed side by side and the results joined in input order: the output is byte-identical to the
 * one-thread path whatever the thread count. The pieces flow through a bounded {@link pipelined}
 * pipeline: the producer is pulled by its own pump while the workers compress (not in lock-step with
 * the consumer), each worker is given the next piece as soon as it is free. Held at most: `threads`
 * pieces however large, more only within `inFlightBytes`, and never more than 2 per worker, plus their
 * outputs and the piece being read. Workers come from the process's pool (worker-pool.ts) and go back
 * to it; a compression that fails or is abandoned terminates those still working for it.
 */
import { availableParallelism } from "node:os";
import { type Compression, MAX_FRAME_THREADS } from "./compression.ts";
import { pipelined } from "./pipeline.ts";
import type { WorkerRequest } from "./compress-worker.ts";
import type { PieceBuffers } from "./rechunk.ts";
import {
  type CompressWorker,
  leasedCompressionWorkers,
  leaseWorker,
  releaseWorker,
  requestId,
} from "./worker-pool.ts";

/** Pieces outstanding per worker: one being compressed, one waiting, so a worker never idles between pieces. */
const IN_FLIGHT_PER_THREAD = 2;
/** Default cap: more threads than this rarely pays for the memory (a piece each) on a build machine. */
const DEFAULT_THREAD_CAP = 8;

/**
 * Worker threads currently working for a compression (framed or single-stream). Idle workers waiting
 * in the process's pool are not counted, so tests can check this drops back to 0 when a compression
 * ends, fails or is abandoned.
 */
export function liveFrameWorkers(): number {
  return leasedCompressionWorkers();
}

/** Threads used when neither the framing nor the caller sets any: the machine's available parallelism, at most 8. */
export function defaultFrameThreads(): number {
  return Math.max(1, Math.min(availableParallelism(), DEFAULT_THREAD_CAP, MAX_FRAME_THREADS));
}

/**
 * Compresses each piece as an independent frame (compressFrame) on up to `threads` worker threads and
 * yields the frames in input order. Pieces must be buffers of their own (they are transferred; see
 * rechunkOwned); the buffers the workers hand back go to `buffers`, for the next pieces. Errors from a
 * worker are rethrown as the same typed errors.
 */
export function compressFramesInWorkers(
  pieces: AsyncIterable<Uint8Array>,
  c: Compression,
  threads: number,
  inFlightBytes: number,
  buffers?: PieceBuffers,
): AsyncGenerator<Uint8Array> {
  return inWorkers(pieces, threads, inFlightBytes, buffers, (piece, id) => ({
    request: { kind: "frame", id, piece, c },
    transfer: [piece],
  }));
}

/**
 * Deflates each piece as a block of one gzip member (gzip-blocks.ts: `deflateBlock` at `level`, primed
 * with the window `blocks` gives for it, the final block if `blocks` says it is the last) on up to
 * `threads` worker threads, and yields the blocks in input order; pieces and buffers as
 * {@link compressFramesInWorkers}.
 */
export function deflateBlocksInWorkers(
  pieces: AsyncIterable<Uint8Array>,
  level: number,
  blocks: BlockPlaces,
  threads: number,
  inFlightBytes: number,
  buffers?: PieceBuffers,
): AsyncGenerator<Uint8Array> {
  return inWorkers(pieces, threads, inFlightBytes, buffers, (piece, id, view) => {
    const window = blocks.windows.get(view);
    const dictionary = window === undefined ? undefined : (window.slice().buffer as ArrayBuffer);
    const last = blocks.last.has(view);
    return {
      request: { kind: "block", id, piece, level, last, ...(dictionary === undefined ? {} : { dictionary }) },
      transfer: dictionary === undefined ? [piece] : [piece, dictionary],
    };
  });
}

/** Where each block of a member of blocks lies: the window before it (none for the first) and which is last. */
export interface BlockPlaces {
  windows: WeakMap<Uint8Array, Uint8Array>;
  last: WeakSet<Uint8Array>;
}

async function* inWorkers(
  pieces: AsyncIterable<Uint8Array>,
  threads: number,
  inFlightBytes: number,
  buffers: PieceBuffers | undefined,
  requestOf: (
    piece: ArrayBuffer,
    id: number,
    view: Uint8Array,
  ) => { request: WorkerRequest; transfer: ArrayBuffer[] },
): AsyncGenerator<Uint8Array> {
  const workers: CompressWorker[] = [];
  const submit = (piece: Uint8Array): Promise<Uint8Array[]> => {
    // The least busy worker; a new one (up to `threads`) rather than queueing behind a busy one.
    let w: CompressWorker | undefined;
    for (const x of workers) if (w === undefined || x.pending < w.pending) w = x;
    if ((w === undefined || w.pending > 0) && workers.length < threads) {
      w = leaseWorker();
      workers.push(w);
    }
    const { request, transfer } = requestOf(piece.buffer as ArrayBuffer, requestId(), piece);
    const answer = (w as CompressWorker).request(request, transfer);
    return answer.then((a) => {
      buffers?.give(a.back);
      return a.out;
    });
  };
  try {
    yield* pipelined(
      pieces,
      { submit, finish: async () => [] },
      { bytes: inFlightBytes, pieces: threads * IN_FLIGHT_PER_THREAD, minPieces: threads },
    );
  } finally {
    await Promise.all(workers.map((w) => releaseWorker(w)));
  }
}
