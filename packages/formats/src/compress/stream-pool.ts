/**
 * Single-stream compression (one gzip member, one zstd frame, one xz stream: apk members and deb's zstd
 * must stay one stream) on one worker thread of the process's pool. The main thread cuts the input into
 * {@link STREAM_PIECE_BYTES} pieces and transfers them through a bounded {@link pipelined} pipeline;
 * the worker re-cuts each into the COMPRESS_PIECE_BYTES writes of the in-thread path, on the same codec,
 * so the output is byte-identical to it. The main thread is left with reading, encoding and writing.
 */
import type { Compression } from "./compression.ts";
import { pipelined } from "./pipeline.ts";
import type { PieceBuffers } from "./rechunk.ts";
import { leaseWorker, releaseWorker, requestId } from "./worker-pool.ts";

/**
 * Size of the pieces transferred to the worker: a whole number of COMPRESS_PIECE_BYTES (8), large
 * enough that a message per piece costs nothing next to compressing it.
 */
export const STREAM_PIECE_BYTES = 1024 * 1024;

/**
 * Compresses `pieces` (buffers of their own, cut every {@link STREAM_PIECE_BYTES}; see rechunkOwned) as
 * one stream on a worker thread, holding at most about `inFlightBytes` of input and output; yields the
 * raw codec output (the caller pins the gzip OS byte, as on the in-thread path). Input buffers the
 * worker hands back go to `buffers`, for the next pieces.
 */
export async function* compressStreamInWorker(
  pieces: AsyncIterable<Uint8Array>,
  c: Compression,
  inFlightBytes: number,
  buffers?: PieceBuffers,
): AsyncGenerator<Uint8Array> {
  const w = leaseWorker();
  const id = requestId();
  w.post({ kind: "open", id, c });
  let ended = false;
  try {
    yield* pipelined(
      pieces,
      {
        submit: (piece) => {
          const buffer = piece.buffer as ArrayBuffer;
          return w.request({ kind: "feed", id, piece: buffer }, [buffer]).then((a) => {
            buffers?.give(a.back);
            return a.out;
          });
        },
        finish: async () => (await w.request({ kind: "end", id })).out,
      },
      {
        bytes: inFlightBytes,
        pieces: Math.max(2, Math.floor(inFlightBytes / STREAM_PIECE_BYTES)),
        minPieces: 2,
      },
    );
    ended = true;
  } finally {
    // A stream that did not end is closed in the worker (a worker still owing answers is terminated).
    if (!ended) w.post({ kind: "close", id });
    await releaseWorker(w);
  }
}
