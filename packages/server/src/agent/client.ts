/**
 * The build agent's side of the agent protocol (`/api/v1/agent/...`, Bearer agent token): claim,
 * heartbeat, log chunks, artifact upload, completion, and source downloads from signed URLs (sent without
 * the token: they may point at another host). Network errors, 5xx and 429 are retried with exponential
 * backoff and jitter; other answers become AgentApiError with the server's error code. The token is never
 * put into a message or log line.
 */
import { createReadStream } from "node:fs";
import { Readable } from "node:stream";

/** A claimed job as `POST /api/v1/agent/claim` returns it. */
export interface ClaimPayload {
  id: number;
  attempt: number;
  buildId: number;
  project: string;
  package: string;
  version: string;
  /** The packager: deb, rpm, archlinux or apk. */
  format: string;
  arch: string;
  environment: string;
  targets: string[];
  /** packyard.yml as stored with the build. */
  config: string;
  sourceDateEpoch: number;
  hasSteps: boolean;
  /** Every file of the package, each with a signed download URL (absolute). */
  sources: { accessName: string; sha256: string; size: number; url: string }[];
  /** Project build secrets (only for jobs with steps). */
  secrets: Record<string, string>;
  leaseMs: number;
  heartbeatMs: number;
}

/** A job failure as `complete` reports it. */
export interface JobFailureReport {
  code: string;
  message: string;
  retry: boolean;
}

/** One log chunk: chunk numbers increase per attempt; (attempt, chunk, stream) makes a resend a no-op. */
export interface LogChunk {
  chunk: number;
  /** The agent's own lines go as stderr (`system` is the server's). */
  stream: "stdout" | "stderr";
  text: string;
}

/** An answer of the server that is not a success: its status and `{ error: { code, message, details } }`. */
export class AgentApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;
  constructor(status: number, code: string, message: string, details?: unknown) {
    super(message);
    this.name = "AgentApiError";
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

export interface AgentClientOptions {
  /** The server's base URL (`http://host:port`, with or without a path prefix). */
  server: string;
  /** The agent token (`pka_…`). */
  token: string;
  /** How many times a call is tried on network errors, 5xx and 429 (default 5). */
  attempts?: number;
  /** First backoff delay in ms, doubled each retry up to 10 s, with jitter (default 500). */
  backoffMs?: number;
  /** Stops waits between retries. */
  signal?: AbortSignal;
  /** Where retries are mentioned (never with the token). */
  warn?: (message: string) => void;
  /** fetch to use (tests). */
  fetch?: typeof fetch;
}

export interface AgentClient {
  /** A job, or how long to wait before the next claim (204 + Retry-After). */
  claim(): Promise<{ job: ClaimPayload } | { job?: undefined; retryAfterMs: number }>;
  heartbeat(jobId: number, attempt: number): Promise<{ cancel: boolean; leaseExpiresAt: string }>;
  sendLogs(jobId: number, attempt: number, chunks: readonly LogChunk[]): Promise<void>;
  /** Streams a file to the job's artifact, with its sha256 for the server to check. */
  upload(
    jobId: number,
    attempt: number,
    file: { path: string; fileName: string; sha256: string },
  ): Promise<{ sha256: string; size: number }>;
  complete(
    jobId: number,
    attempt: number,
    outcome: { outcome: "succeeded" } | { outcome: "failed"; failure: JobFailureReport },
  ): Promise<{ state: string }>;
  /** Opens a source's signed URL (no Authorization header); non-2xx throws AgentApiError. */
  fetchSource(source: { url: string; accessName: string }): Promise<ReadableStream<Uint8Array>>;
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal?.aborted === true) return resolve();
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });

/** A transient failure: worth another try. */
function transient(status: number): boolean {
  return status >= 500 || status === 429 || status === 408;
}

async function errorOf(res: Response, what: string): Promise<AgentApiError> {
  let code = `HTTP_${res.status}`;
  let message = `${what}: the server answered ${res.status} ${res.statusText}`;
  let details: unknown;
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string; details?: unknown } };
    if (typeof body.error?.code === "string") code = body.error.code;
    if (typeof body.error?.message === "string") message = `${what}: ${body.error.message} (${code})`;
    details = body.error?.details;
  } catch {} // not JSON: the status says it
  return new AgentApiError(res.status, code, message, details);
}

/**
 * Retry-After in ms (seconds or an HTTP date), clamped to [min, max]; `fallback` when absent or unreadable.
 */
export function retryAfterMs(header: string | null, fallback: number, min = 0, max = 60_000): number {
  if (header === null) return fallback;
  const s = Number(header);
  const ms = Number.isFinite(s) ? s * 1000 : Date.parse(header) - Date.now();
  if (!Number.isFinite(ms)) return fallback;
  return Math.min(max, Math.max(min, ms));
}

/** The agent protocol client for one server and token. */
export function createAgentClient(o: AgentClientOptions): AgentClient {
  const base = o.server.replace(/\/+$/, "");
  const doFetch = o.fetch ?? fetch;
  const attempts = o.attempts ?? 5;
  const backoff = o.backoffMs ?? 500;
  const auth = `Bearer ${o.token}`;

  /** Sends a request, retrying transient failures; `init()` makes a fresh request each try (bodies are streams). */
  async function send(
    what: string,
    url: string,
    init: () => RequestInit,
    expect: number[],
  ): Promise<Response> {
    let last: unknown;
    for (let n = 1; ; n++) {
      let res: Response | undefined;
      try {
        res = await doFetch(url, init());
      } catch (e) {
        last = e;
      }
      if (res !== undefined) {
        if (expect.includes(res.status)) return res;
        if (!transient(res.status) || n >= attempts) throw await errorOf(res, what);
        last = await errorOf(res, what);
      } else if (n >= attempts || o.signal?.aborted === true) {
        const cause = last as Error;
        throw new AgentApiError(0, "NETWORK", `${what}: ${cause?.message ?? String(cause)}`);
      }
      const delay = Math.min(10_000, backoff * 2 ** (n - 1));
      const wait =
        res?.status === 429 || res?.status === 503
          ? retryAfterMs(res.headers.get("retry-after"), delay, 0, 30_000)
          : delay / 2 + Math.random() * (delay / 2);
      o.warn?.(`${what}: ${(last as Error).message}; trying again in ${Math.round(wait)} ms`);
      await sleep(wait, o.signal);
    }
  }

  const json = (body: unknown) => () => ({
    method: "POST",
    headers: { authorization: auth, "content-type": "application/json" },
    body: JSON.stringify(body),
  });

  return {
    async claim() {
      const res = await send("claim", `${base}/api/v1/agent/claim`, json({}), [200, 204]);
      if (res.status === 204) {
        await res.body?.cancel();
        return { retryAfterMs: retryAfterMs(res.headers.get("retry-after"), 3000, 500, 60_000) };
      }
      return (await res.json()) as { job: ClaimPayload };
    },

    async heartbeat(jobId, attempt) {
      const res = await send(
        "heartbeat",
        `${base}/api/v1/agent/jobs/${jobId}/heartbeat`,
        json({ attempt }),
        [200],
      );
      return (await res.json()) as { cancel: boolean; leaseExpiresAt: string };
    },

    async sendLogs(jobId, attempt, chunks) {
      const res = await send(
        "logs",
        `${base}/api/v1/agent/jobs/${jobId}/logs`,
        json({ attempt, chunks }),
        [200, 204],
      );
      await res.body?.cancel();
    },

    async upload(jobId, attempt, file) {
      const q = new URLSearchParams({ attempt: String(attempt), fileName: file.fileName });
      const res = await send(
        "upload",
        `${base}/api/v1/agent/jobs/${jobId}/artifact?${q}`,
        () => ({
          method: "PUT",
          headers: {
            authorization: auth,
            "content-type": "application/octet-stream",
            "x-checksum-sha256": file.sha256,
          },
          body: Readable.toWeb(createReadStream(file.path)) as ReadableStream<Uint8Array>,
          duplex: "half",
        }),
        [200, 201],
      );
      return (await res.json()) as { sha256: string; size: number };
    },

    async complete(jobId, attempt, outcome) {
      const res = await send(
        "complete",
        `${base}/api/v1/agent/jobs/${jobId}/complete`,
        json({ attempt, ...outcome }),
        [200],
      );
      return (await res.json()) as { state: string };
    },

    async fetchSource(source) {
      const res = await send(`source ${source.accessName}`, source.url, () => ({ method: "GET" }), [200]);
      if (res.body === null)
        throw new AgentApiError(res.status, "NO_BODY", `source ${source.accessName}: empty answer`);
      return res.body;
    },
  };
}

/** Options of a LogBatcher. */
export interface LogBatcherOptions {
  /** Flush after this long (default 250 ms). */
  intervalMs?: number;
  /** Flush when this many bytes of text wait (default 64 KiB). */
  maxBytes?: number;
  /** Replaces secrets in a text before it is queued. */
  redact?: (text: string) => string;
  /** A flush failed (it is tried again at the next one). */
  onError?: (e: unknown) => void;
}

/** Largest text of one chunk: longer output is split over several. */
const CHUNK_TEXT = 16 * 1024;
/** Largest text of one request (JSON may escape a character to six bytes: 6 × 128 KiB < 1 MiB). */
const REQUEST_TEXT = 128 * 1024;

/**
 * Batches one attempt's log lines into chunks sent every ~250 ms or 64 KiB. Consecutive text of one
 * stream joins one chunk (up to 16 KiB); chunk numbers count up from 0 per attempt. A batch that fails is
 * sent again (the server ignores chunks it already has); a STALE_ATTEMPT answer stops the batcher.
 */
export class LogBatcher {
  private readonly send: (chunks: readonly LogChunk[]) => Promise<void>;
  private readonly o: LogBatcherOptions;
  private queue: LogChunk[] = [];
  private open: LogChunk | undefined;
  private bytes = 0;
  private next = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private flushing: Promise<void> | undefined;
  private stopped = false;

  constructor(send: (chunks: readonly LogChunk[]) => Promise<void>, o: LogBatcherOptions = {}) {
    this.send = send;
    this.o = o;
  }

  /** Queues text of one stream. */
  push(stream: LogChunk["stream"], text: string): void {
    if (this.stopped || text === "") return;
    const clean = this.o.redact?.(text) ?? text;
    for (let i = 0; i < clean.length; ) {
      if (this.open === undefined || this.open.stream !== stream || this.open.text.length >= CHUNK_TEXT) {
        this.open = { chunk: this.next++, stream, text: "" };
        this.queue.push(this.open);
      }
      const take = clean.slice(i, i + (CHUNK_TEXT - this.open.text.length));
      this.open.text += take;
      this.bytes += take.length;
      i += take.length;
    }
    if (this.bytes >= (this.o.maxBytes ?? 64 * 1024)) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.o.intervalMs ?? 250);
  }

  /** Sends what is queued (waits for a flush in progress first), in requests of at most REQUEST_TEXT. */
  async flush(): Promise<void> {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    while (this.flushing !== undefined) await this.flushing;
    while (this.queue.length > 0 && !this.stopped) {
      const batch = this.take();
      let failed = false;
      this.flushing = this.send(batch).then(
        () => undefined,
        (e: unknown) => {
          if (e instanceof AgentApiError && (e.code === "STALE_ATTEMPT" || e.status === 404)) {
            this.stopped = true;
            return;
          }
          // Sent again first at the next flush, keeping chunk order.
          failed = true;
          this.queue = [...batch, ...this.queue];
          for (const c of batch) this.bytes += c.text.length;
          this.o.onError?.(e);
          this.timer ??= setTimeout(() => void this.flush(), (this.o.intervalMs ?? 250) * 4);
        },
      );
      try {
        await this.flushing;
      } finally {
        this.flushing = undefined;
      }
      if (failed) return;
    }
  }

  /**
   * Takes the oldest chunks up to REQUEST_TEXT characters (at least one), so a request stays well under the
   * server's 1 MiB body limit even when JSON escapes every character; output that piled up while a request
   * was in flight goes out in several requests, one at a time.
   */
  private take(): LogChunk[] {
    let n = 0;
    let size = 0;
    while (n < this.queue.length && (n === 0 || size + this.queue[n]!.text.length <= REQUEST_TEXT)) {
      size += this.queue[n]!.text.length;
      n++;
    }
    const batch = this.queue.splice(0, n);
    if (this.open !== undefined && batch.includes(this.open)) this.open = undefined;
    this.bytes -= size;
    return batch;
  }

  /** Flushes everything, trying a failed batch up to `tries` times; then stops taking text. */
  async close(tries = 3): Promise<void> {
    for (let n = 0; n < tries && this.queue.length > 0 && !this.stopped; n++) await this.flush();
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.stopped = true;
  }
}
