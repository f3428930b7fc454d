/**
 * The process's compression worker threads: started lazily, one at a time as compressions ask for them,
 * and kept for the next compression (a build writes several formats, so start-up, 30-50 ms each, is paid
 * once). A worker is leased to one compression at a time; when it is given back it waits in the pool,
 * unref'd, so an idle pool never keeps the process alive. A worker with requests outstanding is ref'd:
 * pending work does keep the process alive until it is answered.
 *
 * A compression that fails or is abandoned with requests still outstanding terminates its workers
 * rather than waiting for them, so nothing is left running on its behalf.
 */
import { Worker } from "node:worker_threads";
import { FormatError, IOError, SignError, SpecError } from "../errors.ts";
import type { WireError, WorkerReply, WorkerRequest } from "./compress-worker.ts";

/**
 * Heap limits of a compression worker. Its own JavaScript is small (5-7 MiB of heap in use); what it
 * holds is pieces and codec state outside the heap. A small old generation makes V8 collect it often,
 * which frees the buffers it let go of (the pieces handed back, its outputs) instead of letting them pile
 * up to V8's default 64 MiB of external memory between collections: issue 18's 300 MB build peaked
 * about 15 MiB lower (bench/README.md, "Peak memory: where it goes").
 */
export const COMPRESS_WORKER_LIMITS = { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 1 } as const;

/** Idle workers kept for later compressions; more are terminated when given back. */
const MAX_IDLE_WORKERS = 16;

// The worker is a sibling module: `.ts` when running the sources (tests), `.js` in the emitted build.
const WORKER_URL = new URL(
  import.meta.url.endsWith(".ts") ? "./compress-worker.ts" : "./compress-worker.js",
  import.meta.url,
);

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

/** A request's answer: its output chunks, and its input buffer when the worker hands it back. */
export interface Answer {
  out: Uint8Array[];
  back?: ArrayBuffer;
}

interface Pending {
  id: number;
  resolve(answer: Answer): void;
  reject(e: unknown): void;
}

let nextId = 1;

/** A fresh request id (unique in the process, so a stale answer can never match a later request). */
export function requestId(): number {
  return nextId++;
}

/** One worker thread and the requests it owes answers for, first in, first out. */
export class CompressWorker {
  readonly #worker: Worker;
  readonly #pending: Pending[] = [];
  #dead = false;

  readonly #drained: (() => void)[] = [];

  constructor() {
    // Created for a lease: referenced (it keeps the process alive) while leased, unreferenced when idle in
    // the pool. Referencing it only while requests were pending let the process quit, exit code 0, while
    // an abandoned compression awaited terminate() (an unreferenced worker's exit does not hold the loop).
    this.#worker = new Worker(WORKER_URL, { resourceLimits: COMPRESS_WORKER_LIMITS });
    this.#worker.on("message", (reply: WorkerReply) => {
      const job = this.#pending[0];
      if (job === undefined || job.id !== reply.id) return;
      this.#pending.shift();
      if (this.#pending.length === 0) for (const f of this.#drained.splice(0)) f();
      if (!reply.ok) job.reject(revive(reply.error));
      else {
        const out = reply.out;
        job.resolve(reply.back === undefined ? { out } : { out, back: reply.back });
      }
    });
    this.#worker.on("error", (e) => this.#fail(e));
    this.#worker.on("exit", (code) => {
      this.#dead = true;
      this.#fail(
        new IOError("WRITE_FAILED", `compression worker exited (code ${code}) with work still pending`, {
          found: code,
        }),
      );
    });
  }

  #fail(e: unknown): void {
    this.#dead = true;
    for (const job of this.#pending.splice(0)) job.reject(e);
    for (const f of this.#drained.splice(0)) f();
  }

  /** Resolves once every request sent has its answer (or the worker is gone); never rejects. */
  drained(): Promise<void> {
    if (this.#dead || this.#pending.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#drained.push(resolve));
  }

  /** Whether the worker keeps the process alive: while leased, yes; idle in the pool, no. */
  hold(yes: boolean): void {
    if (this.#dead) return;
    if (yes) this.#worker.ref();
    else this.#worker.unref();
  }

  /** Requests not answered yet. */
  get pending(): number {
    return this.#pending.length;
  }

  get dead(): boolean {
    return this.#dead;
  }

  /** Sends a request that is answered (`frame`, `feed`, `end`); `transfer` moves buffers to the worker. */
  request(req: WorkerRequest, transfer: ArrayBuffer[] = []): Promise<Answer> {
    if (this.#dead)
      return Promise.reject(
        new IOError("WRITE_FAILED", "compression worker is gone (it failed or was terminated)", {}),
      );
    const done = new Promise<Answer>((resolve, reject) => {
      this.#pending.push({ id: req.id, resolve, reject });
    });
    this.#worker.postMessage(req, transfer);
    return done;
  }

  /** Sends a request that gets no answer (`open`, `close`). */
  post(req: WorkerRequest): void {
    if (!this.#dead) this.#worker.postMessage(req);
  }

  async terminate(): Promise<void> {
    if (this.#dead) return;
    this.#dead = true;
    // Referenced until it has exited, so the process lives to see the end of whoever awaits this.
    this.#worker.ref();
    await this.#worker.terminate();
  }
}

const idle: CompressWorker[] = [];
let leased = 0;
let started = 0;

/** A worker for one compression: an idle one from the pool, or a new one. Give it back with {@link releaseWorker}. */
export function leaseWorker(): CompressWorker {
  let w = idle.pop();
  while (w?.dead) w = idle.pop();
  leased++;
  if (w !== undefined) {
    w.hold(true);
    return w;
  }
  started++;
  return new CompressWorker();
}

/**
 * Gives a leased worker back: to the pool when it is healthy, otherwise (or with `terminate`) it is
 * terminated. A worker that still owes answers (an abandoned compression) is first let finish them — each
 * is one bounded piece — rather than terminated mid-work: lzma-native aborts the whole process when its
 * thread is torn down inside an xz stream.
 */
export async function releaseWorker(w: CompressWorker, terminate = false): Promise<void> {
  try {
    await w.drained();
  } finally {
    leased--;
  }
  if (terminate || w.dead || idle.length >= MAX_IDLE_WORKERS) {
    await w.terminate();
    return;
  }
  w.hold(false);
  idle.push(w);
}

/** Worker threads currently leased to a compression (tests check it drops back to 0 when one ends). */
export function leasedCompressionWorkers(): number {
  return leased;
}

/** Worker threads waiting in the pool for the next compression. */
export function idleCompressionWorkers(): number {
  return idle.length;
}

/** Worker threads started by this process so far (tests check that the pool is reused). */
export function startedCompressionWorkers(): number {
  return started;
}

/** Terminates the idle workers (they would not keep the process alive anyway; tests and tools tidy up). */
export async function closeCompressionWorkers(): Promise<void> {
  await Promise.all(idle.splice(0).map((w) => w.terminate()));
}
