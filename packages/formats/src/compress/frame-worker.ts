/**
 * The worker-thread side of framed compression ({@link compressFramesInWorkers}): receives one piece at a
 * time, compresses it as an independent frame with the same code as the one-thread path, and sends the
 * frame back (its memory transferred, not copied). It calls the very compressFrame of the one-thread path
 * (node:zlib's sync zstd gives other bytes than its async one), so the codec work runs on the libuv pool
 * the worker schedules: with 2 workers × 2 pieces, up to 4 frames compress at once.
 */
import { parentPort } from "node:worker_threads";
import { compressFrame } from "./frame.ts";
import type { Compression } from "./compression.ts";

/** A piece to compress: `id` orders the answers, `piece` is transferred. */
export interface FrameRequest {
  id: number;
  piece: ArrayBuffer;
  c: Compression;
}

/** An error as it crosses the thread boundary: class name, code and data survive. */
export interface WireError {
  name: string;
  message: string;
  code?: string;
  data?: Record<string, unknown>;
}

export type FrameReply =
  | { id: number; ok: true; out: ArrayBuffer }
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

const port = parentPort;
if (port !== null) {
  port.on("message", async (req: FrameRequest) => {
    let reply: FrameReply;
    try {
      const piece = new Uint8Array(req.piece);
      const out = await compressFrame(piece, req.c);
      reply = { id: req.id, ok: true, out: ownBuffer(out) };
    } catch (e) {
      port.postMessage({ id: req.id, ok: false, error: wire(e) } satisfies FrameReply);
      return;
    }
    port.postMessage(reply, [reply.out]);
  });
}
