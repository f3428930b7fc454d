/**
 * Framed compression on worker threads. Each piece is an independent member/frame, so pieces can be
 * compressed side by side and the results joined in input order: the output is byte-identical to the
 * one-thread path whatever the thread count. At most 2 pieces per worker are in flight (memory ≈
 * threads × 2 × chunkBytes plus their outputs); the workers are terminated when the stream ends, fails
 * or is abandoned by its consumer (`return()`).
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { FormatError, IOError, SignError, SpecError } from "../errors.ts";
import { type Compression, MAX_FRAME_THREADS } from "./compression.ts";
import type { FrameReply, FrameRequest, WireError } from "./frame-worker.ts";

/** Pieces queued per worker: one being compressed, one waiting, so a worker never idles between pieces. */
const IN_FLIGHT_PER_THREAD = 2;
/** Default cap: more threads than this rarely pays for the memory (2 pieces each) on a build machine. */
const DEFAULT_THREAD_CAP = 8;

// The worker is a sibling module: `.ts` when running the sources (tests), `.js` in the emitted build.
const WORKER_URL = new URL(
  import.meta.url.endsWith(".ts") ? "./frame-worker.ts" : "./frame-worker.js",
  import.meta.url,
);

let live = 0;

/** Worker threads currently alive across all framed compressions (tests check it drops back to 0). */
export function liveFrameWorkers(): number {
  return live;
}

/** Threads used when a framing sets none: the machine's available parallelism, at most 8. */
export function defaultFrameThreads(): number {
  return Math.max(1, Math.min(availableParallelism(), DEFAULT_THREAD_CAP, MAX_FRAME_THREADS));
}

const ERROR_CLASSES = { SpecError, FormatError, SignError, IOError } as const;

/** Rebuilds an error sent by a worker as the class it had there (typed errors keep code and data). */
function revive(e: WireError): Error {
  const typed = ERROR_CLASSES[e.name as keyof typeof ERROR_CLASSES];
  // The code comes from the same class on the worker side, so it is in that class's union.
  if (typed !== undefined) return new typed(e.code as never, e.message, e.data ?? {});
  const Base = e.name === "RangeError" ? RangeError : e.name === "TypeError" ? TypeError : Error;
  const out: Error & { code?: string } = new Base(e.message);
  if (e.code !== undefined) out.code = e.code;
  return out;
}

interface Job {
  resolve(out: Uint8Array): void;
  reject(e: unknown): void;
}

/** One worker and the jobs it owes answers for. */
class FrameWorker {
  readonly worker: Worker;
  readonly jobs = new Map<number, Job>();
  #dead = false;

  constructor() {
    this.worker = new Worker(WORKER_URL);
    live++;
    this.worker.unref();
    this.worker.on("message", (reply: FrameReply) => {
      const job = this.jobs.get(reply.id);
      if (job === undefined) return;
      this.jobs.delete(reply.id);
      if (this.jobs.size === 0) this.worker.unref();
      if (reply.ok) job.resolve(new Uint8Array(reply.out));
      else job.reject(revive(reply.error));
    });
    this.worker.on("error", (e) => this.#fail(e));
    this.worker.on("exit", (code) => {
      if (!this.#dead) live--;
      this.#dead = true;
      this.#fail(
        new IOError("WRITE_FAILED", `compression worker exited (code ${code}) with a frame still pending`, {
          found: code,
        }),
      );
    });
  }

  #fail(e: unknown): void {
    for (const job of this.jobs.values()) job.reject(e);
    this.jobs.clear();
  }

  submit(id: number, piece: Uint8Array, c: Compression): Promise<Uint8Array> {
    // A copy the worker may own: transferring the caller's buffer would detach memory it may still use.
    const copy = piece.slice();
    const request: FrameRequest = { id, piece: copy.buffer, c };
    const done = new Promise<Uint8Array>((resolve, reject) => {
      this.jobs.set(id, { resolve, reject });
    });
    // Pending work keeps the process alive; an idle pool does not (an abandoned stream never hangs exit).
    this.worker.ref();
    this.worker.postMessage(request, [copy.buffer]);
    return done;
  }

  async terminate(): Promise<void> {
    if (this.#dead) return;
    this.#dead = true;
    live--;
    await this.worker.terminate();
  }
}

/**
 * Compresses each piece as an independent frame ({@link compressFrame}) on `threads` worker threads and
 * yields the frames in input order. Errors from a worker are rethrown as the same typed errors.
 */
export async function* compressFramesInWorkers(
  pieces: AsyncIterable<Uint8Array>,
  c: Compression,
  threads: number,
): AsyncGenerator<Uint8Array> {
  const workers: FrameWorker[] = [];
  const queue: Promise<Uint8Array>[] = [];
  const limit = threads * IN_FLIGHT_PER_THREAD;
  let next = 0;
  try {
    for await (const piece of pieces) {
      const slot = next % threads;
      let w = workers[slot];
      if (w === undefined) {
        w = new FrameWorker();
        workers[slot] = w;
      }
      const done = w.submit(next++, piece, c);
      // Awaited later, in order; until then a failure must not count as unhandled.
      done.catch(() => {});
      queue.push(done);
      if (queue.length >= limit) yield await (queue.shift() as Promise<Uint8Array>);
    }
    while (queue.length > 0) yield await (queue.shift() as Promise<Uint8Array>);
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
