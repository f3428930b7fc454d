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

  constructor() {
    this.#worker = new Worker(WORKER_URL);
    this.#worker.unref();
    this.#worker.on("message", (reply: WorkerReply) => {
      const job = this.#pending[0];
      if (job === undefined || job.id !== reply.id) return;
      this.#pending.shift();
      if (this.#pending.length === 0) this.#worker.unref();
      if (!reply.ok) job.reject(revive(reply.error));
      else {
        const out = reply.out.map((b) => new Uint8Array(b));
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
    // Pending work keeps the process alive; an idle worker does not.
    this.#worker.ref();
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
  if (w !== undefined) return w;
  started++;
  return new CompressWorker();
}

/**
 * Gives a leased worker back: to the pool when it owes no answers and is healthy, otherwise (or with
 * `terminate`) it is terminated.
 */
export async function releaseWorker(w: CompressWorker, terminate = false): Promise<void> {
  leased--;
  if (terminate || w.dead || w.pending > 0 || idle.length >= MAX_IDLE_WORKERS) {
    await w.terminate();
    return;
  }
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
