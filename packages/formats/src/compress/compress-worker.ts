/**
 * The worker-thread side of compression (worker-pool.ts). A worker runs one request at a time, in the
 * order received, and answers each `frame`, `feed` and `end` with one {@link WorkerReply}, so the pool
 * matches answers to requests first in, first out:
 *
 * - `frame`: one piece compressed as an independent member/frame by the very {@link compressFrame} of
 *   the one-thread path (node:zlib's sync zstd gives other bytes than its async one).
 * - `open` / `feed` / `end` / `close`: one single stream, coded by a {@link PieceCoder} on the codec of
 *   {@link streamCodec}, fed in the {@link COMPRESS_PIECE_BYTES} pieces of the in-thread path, so the
 *   bytes are the same. `open` and `close` get no answer.
 *
 * One request at a time keeps a worker to one libuv pool thread (node:zlib codes there): the main
 * thread's file reads use the same pool.
 */
import { parentPort } from "node:worker_threads";
import { concatBytes } from "../bytes/bytes.ts";
import type { Compression } from "./compression.ts";
import { compressFrame, streamCodec } from "./frame.ts";
import { PieceCoder } from "./through.ts";

/**
 * Size of the pieces a single-stream codec is fed (compress.ts's COMPRESS_PIECE_BYTES, repeated here
 * so the worker does not load compress.ts; a test checks they agree).
 */
export const WORKER_PIECE_BYTES = 128 * 1024;

export type WorkerRequest =
  | { kind: "frame"; id: number; piece: ArrayBuffer; c: Compression }
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
 * The output of one request, in order (its memory transferred, not copied), or its error. `back` is the
 * request's input buffer, returned for the next piece: recycling it keeps both threads from piling up
 * dead megabyte buffers between garbage collections (V8 lets about 64 MiB of them build up per thread).
 */
export type WorkerReply =
  | { id: number; ok: true; out: ArrayBuffer[]; back?: ArrayBuffer }
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

/** An ArrayBuffer holding exactly `bytes` (zlib may hand back a view into a larger buffer). */
function ownBuffer(bytes: Uint8Array): ArrayBuffer {
  if (
    bytes.byteOffset === 0 &&
    bytes.byteLength === bytes.buffer.byteLength &&
    bytes.buffer instanceof ArrayBuffer
  )
    return bytes.buffer;
  return bytes.slice().buffer as ArrayBuffer;
}

/** Joins a request's output into one buffer: one transfer per answer instead of one per 16 KiB. */
function joined(parts: readonly Uint8Array[]): ArrayBuffer[] {
  if (parts.length === 0) return [];
  if (parts.length === 1) return [ownBuffer(parts[0] as Uint8Array)];
  return [concatBytes(parts).buffer as ArrayBuffer];
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
    case "frame":
      return [await compressFrame(new Uint8Array(req.piece), req.c)];
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
          (req.kind === "feed" || (req.kind === "frame" && req.c.algo !== "xz")) &&
          !xzStreams.has(req.id) &&
          // `none` answers with the piece itself: it cannot also come back.
          !reply.out.includes(req.piece)
        )
          reply.back = req.piece;
      } catch (e) {
        if (req.kind === "open" || req.kind === "close") return;
        streams.get(req.id)?.destroy();
        streams.delete(req.id);
        port.postMessage({ id: req.id, ok: false, error: wire(e) } satisfies WorkerReply);
        return;
      }
      port.postMessage(reply, reply.back === undefined ? reply.out : [...reply.out, reply.back]);
    });
  });
}
