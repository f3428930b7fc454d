/**
 * The worker-thread side of compression (worker-pool.ts). A worker runs one request at a time, in the
 * order received, and answers each `frame`, `feed` and `end` with one {@link WorkerReply}, so the pool
 * matches answers to requests first in, first out:
 *
 * - `frame`: one piece compressed as an independent member/frame by {@link compressFrameSync} on the
 *   worker's own thread (gzip, zstd), else by compressFrame: the bytes of the one-thread path.
 * - `block`: one piece deflated as a block of a gzip member by {@link deflateBlock}, primed with the
 *   window before it, on the worker's own thread: the call the one-thread path makes.
 * - `open` / `feed` / `end` / `close`: one single stream, coded by a {@link PieceCoder} on the codec of
 *   {@link streamCodec}, fed in the {@link COMPRESS_PIECE_BYTES} pieces of the in-thread path, so the
 *   bytes are the same. `open` and `close` get no answer.
 *
 * One request at a time keeps a worker to one libuv pool thread at most (node:zlib's async codecs code
 * there; gzip and zstd frames on the worker's own thread): the main thread's file reads use the pool.
 */
import { parentPort } from "node:worker_threads";
import { concatBytes } from "../bytes/bytes.ts";
import type { Compression } from "./compression.ts";
import { compressFrame, compressFrameSync, streamCodec } from "./frame.ts";
import { deflateBlock } from "./gzip-blocks.ts";
import { PieceCoder } from "./through.ts";

/**
 * Size of the pieces a single-stream codec is fed (compress.ts's COMPRESS_PIECE_BYTES, repeated here
 * so the worker does not load compress.ts; a test checks they agree).
 */
export const WORKER_PIECE_BYTES = 128 * 1024;

export type WorkerRequest =
  | { kind: "frame"; id: number; piece: ArrayBuffer; c: Compression }
  | { kind: "block"; id: number; piece: ArrayBuffer; level: number; last: boolean; dictionary?: ArrayBuffer }
  | { kind: "open"; id: number; c: Compression }
  | { kind: "feed"; id: number; piece: ArrayBuffer }
  | { kind: "end"; id: number }
  | { kind: "close"; id: number };

/** An error as it crosses the thread boundary: class name, code and data survive. */
export interface WireError {
  name: string;
  message: string;
  code?: string;
  data?: Record<string, unknown>;
}

/**
 * The output of one request, in order (views whose buffers are transferred, not copied), or its error. `back` is the
 * request's input buffer, returned for the next piece: recycling it keeps both threads from piling up
 * dead megabyte buffers between garbage collections (V8 lets about 64 MiB of them build up per thread).
 */
export type WorkerReply =
  | { id: number; ok: true; out: Uint8Array[]; back?: ArrayBuffer }
  | { id: number; ok: false; error: WireError };

function wire(e: unknown): WireError {
  if (!(e instanceof Error)) return { name: "Error", message: String(e) };
  const o = e as Error & { code?: unknown; data?: unknown };
  const out: WireError = { name: o.constructor.name, message: o.message };
  if (typeof o.code === "string") out.code = o.code;
  if (typeof o.data === "object" && o.data !== null) {
    try {
      out.data = structuredClone(o.data) as Record<string, unknown>;
    } catch {
      // data that cannot be cloned is dropped, the message still says what happened
    }
  }
  return out;
}

/**
 * Outputs that are views into a buffer of their own: a one-call frame's output (zlib sizes one output
 * buffer for it and nothing else uses it). They are sent as they are, not copied into an exact buffer;
 * a codec stream's chunks may share a buffer the codec still writes into, so they are always copied.
 */
const ownOutputs = new WeakSet<Uint8Array>();

/** `bytes` as a view that can be transferred: itself when its buffer is its own, else a copy. */
function transferable(bytes: Uint8Array): Uint8Array {
  const b = bytes.buffer;
  if (
    ownOutputs.has(bytes) ||
    (bytes.byteOffset === 0 && bytes.byteLength === b.byteLength && b instanceof ArrayBuffer)
  )
    return bytes;
  return bytes.slice();
}

/** Joins a request's output into one view: one transfer per answer instead of one per 16 KiB. */
function joined(parts: readonly Uint8Array[]): Uint8Array[] {
  if (parts.length === 0) return [];
  if (parts.length === 1) return [transferable(parts[0] as Uint8Array)];
  return [concatBytes(parts)];
}

const streams = new Map<number, PieceCoder>();
/** Why a stream could not open (its codec failed to load): the answer to its first `feed` or `end`. */
const failedOpens = new Map<number, unknown>();
/** Open xz streams: their input buffers are not handed back (see WorkerReply). */
const xzStreams = new Set<number>();

function openStream(id: number): PieceCoder {
  const coder = streams.get(id);
  if (coder !== undefined) return coder;
  if (failedOpens.has(id)) throw failedOpens.get(id);
  throw new Error(`compression worker: no open stream ${id}`);
}

async function answer(req: WorkerRequest): Promise<Uint8Array[] | undefined> {
  switch (req.kind) {
    case "frame": {
      const piece = new Uint8Array(req.piece);
      const out = compressFrameSync(piece, req.c);
      if (out === undefined) return [await compressFrame(piece, req.c)];
      if (out !== piece) ownOutputs.add(out);
      return [out];
    }
    case "block": {
      const dictionary = req.dictionary === undefined ? undefined : new Uint8Array(req.dictionary);
      const out = deflateBlock(new Uint8Array(req.piece), req.level, dictionary, req.last);
      ownOutputs.add(out);
      return [out];
    }
    case "open":
      if (req.c.algo === "xz") xzStreams.add(req.id);
      try {
        streams.set(req.id, new PieceCoder(streamCodec(req.c)));
      } catch (e) {
        failedOpens.set(req.id, e);
      }
      return undefined;
    case "feed": {
      const coder = openStream(req.id);
      const piece = new Uint8Array(req.piece);
      const out: Uint8Array[] = [];
      for (let at = 0; at < piece.length; at += WORKER_PIECE_BYTES)
        out.push(...(await coder.write(piece.subarray(at, at + WORKER_PIECE_BYTES))));
      return out;
    }
    case "end": {
      const coder = openStream(req.id);
      streams.delete(req.id);
      xzStreams.delete(req.id);
      return coder.end();
    }
    case "close":
      streams.get(req.id)?.destroy();
      streams.delete(req.id);
      failedOpens.delete(req.id);
      xzStreams.delete(req.id);
      return undefined;
  }
}

const port = parentPort;
if (port !== null) {
  let queue = Promise.resolve();
  port.on("message", (req: WorkerRequest) => {
    queue = queue.then(async () => {
      let reply: WorkerReply;
      try {
        const parts = await answer(req);
        if (parts === undefined) return;
        reply = { id: req.id, ok: true, out: joined(parts) };
        // The codec has consumed the input (zlib and zstd copy what they keep into their own window), so
        // the buffer can go back. Not for xz: lzma-native's stream is not known to let go of it.
        if (
          (req.kind === "feed" || req.kind === "block" || (req.kind === "frame" && req.c.algo !== "xz")) &&
          !xzStreams.has(req.id) &&
          // `none` answers with the piece itself: it cannot also come back.
          !reply.out.some((v) => v.buffer === req.piece)
        )
          reply.back = req.piece;
      } catch (e) {
        if (req.kind === "open" || req.kind === "close") return;
        streams.get(req.id)?.destroy();
        streams.delete(req.id);
        port.postMessage({ id: req.id, ok: false, error: wire(e) } satisfies WorkerReply);
        return;
      }
      const transfer = reply.out.map((v) => v.buffer as ArrayBuffer);
      port.postMessage(reply, reply.back === undefined ? transfer : [...transfer, reply.back]);
    });
  });
}
