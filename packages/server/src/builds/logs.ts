/**
 * Build logs: chunks of a job's output (stdout, stderr) and the server's own `system` lines, stored in
 * `job_logs` with the build's sequence number (`builds.log_seq`, taken under the build row's lock, so
 * sequence order is commit order and a reader resuming after n never misses a row committed later with a
 * smaller number). Each write NOTIFYs channel `build_logs` with the build id; streams (notify.ts) wake on it.
 *
 * - Batched: one {@link appendLogs} call writes all its chunks in one transaction (PGlite commits about 150
 *   transactions a second, so agents send batches).
 * - Idempotent: a chunk is keyed by (job, attempt, chunk number, stream); a resent one is skipped.
 * - Capped: past `capBytes` (16 MiB by default) stored bytes per job, one `system` marker "log truncated at
 *   16 MiB" is stored and the rest dropped. System lines (state changes) are not capped.
 * - Redacted: every given value (the project's build secrets) becomes `***` before it is stored.
 * - Kept 30 days by default ({@link pruneBuilds}), but always each package's last succeeded and last failed
 *   build.
 */
import type { Db, Queryable } from "../db/db.ts";
import { ServerError } from "../errors.ts";

/** The channel NOTIFYed with a build id whenever that build's log grows. */
export const LOG_CHANNEL = "build_logs";

/** Default log cap per job, in bytes of stored (UTF-8) text. */
export const DEFAULT_LOG_CAP_BYTES = 16 * 1024 * 1024;

/**
 * Chunk numbers from here up are the server's: {@link systemLog} numbers its lines from this base, and the
 * truncation marker uses {@link TRUNCATION_CHUNK}. Agents number their chunks below it (the agent API
 * refuses larger numbers).
 */
export const SYSTEM_CHUNK_BASE = 1_000_000_000;

/** Chunk number of the truncation marker (stream `system`), one per job. */
export const TRUNCATION_CHUNK = 2_000_000_000;

/** Largest chunk number PostgreSQL's `integer` holds. */
const MAX_CHUNK = 2_147_483_647;

/** Default age past which {@link pruneBuilds} deletes a build: 30 days. */
export const DEFAULT_LOG_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;

/** What the `***` replaces. */
export const REDACTED = "***";

export type LogStream = "stdout" | "stderr" | "system";

const STREAMS: readonly LogStream[] = ["stdout", "stderr", "system"];

/** A build's state (as builds.state). */
export type LogBuildState = "pending" | "running" | "publishing" | "succeeded" | "failed" | "cancelled";

const TERMINAL: readonly LogBuildState[] = ["succeeded", "failed", "cancelled"];

/** Whether a build in `state` is finished (no job will run again). */
export function isTerminalBuild(state: LogBuildState): boolean {
  return TERMINAL.includes(state);
}

/** One chunk an agent (or the server) sends. */
export interface LogChunk {
  /** The attempt's own sequence number of the chunk (0, 1, 2…; per stream). */
  chunk: number;
  stream: LogStream;
  text: string;
}

/** What {@link appendLogs} writes. */
export interface AppendLogsInput {
  buildId: number;
  jobId: number;
  attempt: number;
  chunks: readonly LogChunk[];
}

export interface AppendLogsOptions {
  /** Most bytes stored per job (default 16 MiB); then one truncation marker. */
  capBytes?: number;
  /** Values replaced by `***` (the project's secret values); empty strings are ignored. */
  redact?: readonly string[];
}

/** What {@link appendLogs} did. */
export interface AppendLogsResult {
  /** Entries stored (resent chunks and chunks past the cap are not; the truncation marker is). */
  stored: number;
  /** Whether this call stored the truncation marker. */
  truncated: boolean;
  /** The build's last sequence number after the call. */
  lastSeq: number;
}

/** A stored log entry, as the API shows it. */
export interface LogEntry {
  seq: number;
  jobId: number;
  attempt: number;
  stream: LogStream;
  at: Date;
  text: string;
}

/** A page of a build's log. */
export interface LogPage {
  entries: LogEntry[];
  /** The build's state, read before the entries: when terminal and `more` is false, the log is complete. */
  state: LogBuildState;
  /** Whether entries past this page exist. */
  more: boolean;
}

/** Runs `fn` in a transaction of `q` when it is a Db, else in the caller's transaction `q`. */
function inTransaction<T>(q: Db | Queryable, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  return "transaction" in q && typeof q.transaction === "function" ? q.transaction(fn) : fn(q);
}

/** `text` with every redaction value replaced (longest first, so a value containing another goes whole). */
export function redactText(text: string, values: readonly string[]): string {
  let out = text;
  for (const v of [...new Set(values)].filter((v) => v !== "").sort((a, b) => b.length - a.length))
    if (out.includes(v)) out = out.split(v).join(REDACTED);
  return out;
}

/** PostgreSQL text cannot hold NUL: it becomes U+FFFD. */
function storable(text: string): string {
  return text.includes("\u0000") ? text.replaceAll("\u0000", "\uFFFD") : text;
}

/** The first at most `bytes` bytes of `text` in UTF-8, cut at a character boundary. */
function utf8Prefix(text: string, bytes: number): string {
  const buf = Buffer.from(text, "utf8");
  if (buf.length <= bytes) return text;
  let end = bytes;
  while (end > 0 && (buf[end]! & 0xc0) === 0x80) end--;
  return buf.subarray(0, end).toString("utf8");
}

/** The cap as the marker says it: "16 MiB", "4 KiB", "1000 bytes". */
export function capText(bytes: number): string {
  const MiB = 1024 * 1024;
  if (bytes >= MiB && bytes % MiB === 0) return `${bytes / MiB} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

function invalid(message: string, details: Record<string, unknown>): ServerError {
  return new ServerError("INVALID_REQUEST", message, details);
}

function checkChunks(chunks: readonly LogChunk[]): void {
  chunks.forEach((c, i) => {
    if (!Number.isInteger(c.chunk) || c.chunk < 0 || c.chunk > MAX_CHUNK)
      throw invalid(`Expected chunks[${i}].chunk to be an integer from 0 to ${MAX_CHUNK}, found ${c.chunk}`, {
        field: `chunks[${i}].chunk`,
      });
    if (!STREAMS.includes(c.stream))
      throw invalid(
        `Expected chunks[${i}].stream to be stdout, stderr or system, found ${String(c.stream)}`,
        {
          field: `chunks[${i}].stream`,
        },
      );
    if (typeof c.text !== "string")
      throw invalid(`Expected chunks[${i}].text to be a string, found ${typeof c.text}`, {
        field: `chunks[${i}].text`,
      });
  });
}

/** Locks the build row (the queue's lock order: build, then job) and reads the job; NOT_FOUND unless both exist. */
async function lockForLog(
  tx: Queryable,
  buildId: number,
  jobId: number,
): Promise<{ logSeq: number; logBytes: number }> {
  const { rows: builds } = await tx.query<{ log_seq: number }>(
    "SELECT log_seq FROM builds WHERE id = $1 FOR UPDATE",
    [buildId],
  );
  const { rows: jobs } = await tx.query<{ log_bytes: number }>(
    "SELECT log_bytes FROM jobs WHERE id = $1 AND build_id = $2",
    [jobId, buildId],
  );
  if (builds[0] === undefined || jobs[0] === undefined)
    throw new ServerError("NOT_FOUND", `Expected job ${jobId} of build ${buildId}, found none`, {
      buildId,
      jobId,
    });
  return { logSeq: Number(builds[0].log_seq), logBytes: Number(jobs[0].log_bytes) };
}

interface Row {
  chunk: number;
  stream: LogStream;
  text: string;
}

/** Inserts rows with the next sequence numbers, counts their bytes on the job, NOTIFYs. */
async function insertRows(
  tx: Queryable,
  input: { buildId: number; jobId: number; attempt: number },
  logSeq: number,
  logBytes: number,
  rows: readonly Row[],
  addedBytes: number,
): Promise<number> {
  if (rows.length === 0) return logSeq;
  const seqs = rows.map((_, i) => logSeq + 1 + i);
  await tx.query(
    `INSERT INTO job_logs (build_id, seq, job_id, attempt, chunk, stream, at, text)
     SELECT $1, u.seq, $2, $3, u.chunk, u.stream, now(), u.text
       FROM unnest($4::bigint[], $5::integer[], $6::text[], $7::text[]) AS u(seq, chunk, stream, text)
     ON CONFLICT (job_id, attempt, chunk, stream) DO NOTHING`,
    [
      input.buildId,
      input.jobId,
      input.attempt,
      seqs,
      rows.map((r) => r.chunk),
      rows.map((r) => r.stream),
      rows.map((r) => r.text),
    ],
  );
  const lastSeq = logSeq + rows.length;
  await tx.query("UPDATE builds SET log_seq = $2 WHERE id = $1", [input.buildId, lastSeq]);
  await tx.query("UPDATE jobs SET log_bytes = $2 WHERE id = $1", [input.jobId, logBytes + addedBytes]);
  await tx.query("SELECT pg_notify($1, $2)", [LOG_CHANNEL, String(input.buildId)]);
  return lastSeq;
}

/**
 * Appends a batch of chunks of one job attempt, in one transaction (`q` a Db: its own; a transaction
 * handle: the caller's). Chunks already stored (same job, attempt, chunk number and stream) are skipped, as
 * are repeats within the batch. The caller checks the attempt is current (the queue's requireAttempt).
 *
 * @example await appendLogs(db, { buildId, jobId, attempt: 1, chunks: [{ chunk: 0, stream: "stdout", text: "hello\n" }] }, { redact: secretValues });
 */
export async function appendLogs(
  q: Db | Queryable,
  input: AppendLogsInput,
  options: AppendLogsOptions = {},
): Promise<AppendLogsResult> {
  checkChunks(input.chunks);
  const cap = options.capBytes ?? DEFAULT_LOG_CAP_BYTES;
  const redact = options.redact ?? [];
  return inTransaction(q, async (tx) => {
    const { logSeq, logBytes } = await lockForLog(tx, input.buildId, input.jobId);
    if (input.chunks.length === 0) return { stored: 0, truncated: false, lastSeq: logSeq };
    const { rows: existing } = await tx.query<{ chunk: number; stream: LogStream }>(
      "SELECT chunk, stream FROM job_logs WHERE job_id = $1 AND attempt = $2 AND chunk = ANY($3::integer[])",
      [input.jobId, input.attempt, [...new Set(input.chunks.map((c) => c.chunk))]],
    );
    const seen = new Set(existing.map((r) => `${r.stream}:${r.chunk}`));
    const rows: Row[] = [];
    let bytes = logBytes;
    let truncated = false;
    let markerStored: boolean | undefined;
    for (const c of input.chunks) {
      const key = `${c.stream}:${c.chunk}`;
      if (seen.has(key)) continue;
      seen.add(key);
      let text = storable(redactText(c.text, redact));
      const size = Buffer.byteLength(text, "utf8");
      if (bytes + size > cap) {
        // Past the cap: what still fits, then the marker once per job, then nothing.
        const room = Math.max(0, cap - bytes);
        if (room > 0) {
          text = utf8Prefix(text, room);
          if (text !== "") {
            rows.push({ chunk: c.chunk, stream: c.stream, text });
            bytes += Buffer.byteLength(text, "utf8");
          }
        }
        if (markerStored === undefined) {
          const { rows: m } = await tx.query(
            "SELECT 1 FROM job_logs WHERE job_id = $1 AND chunk = $2 AND stream = 'system' LIMIT 1",
            [input.jobId, TRUNCATION_CHUNK],
          );
          markerStored = m.length > 0;
        }
        if (!markerStored) {
          rows.push({ chunk: TRUNCATION_CHUNK, stream: "system", text: `log truncated at ${capText(cap)}` });
          markerStored = true;
          truncated = true;
        }
        // Later chunks of the batch are past the cap too (the marker is not counted).
        bytes = Math.max(bytes, cap);
        continue;
      }
      rows.push({ chunk: c.chunk, stream: c.stream, text });
      bytes += size;
    }
    const lastSeq = await insertRows(tx, input, logSeq, logBytes, rows, bytes - logBytes);
    return { stored: rows.length, truncated, lastSeq };
  });
}

/**
 * Writes one `system` line (a state change the server or queue reports) for a job attempt, numbered from
 * {@link SYSTEM_CHUNK_BASE} up; not capped, but redaction does not apply (the server writes these). `q` as in
 * {@link appendLogs}: pass the queue's transaction handle to write in its transaction.
 *
 * @example await systemLog(tx, buildId, jobId, attempt, "attempt 1 lost its lease; retrying in 5 s");
 */
export async function systemLog(
  q: Db | Queryable,
  buildId: number,
  jobId: number,
  attempt: number,
  text: string,
): Promise<number> {
  return inTransaction(q, async (tx) => {
    const { logSeq, logBytes } = await lockForLog(tx, buildId, jobId);
    const { rows } = await tx.query<{ next: number }>(
      `SELECT coalesce(max(chunk) + 1, $3) AS next FROM job_logs
        WHERE job_id = $1 AND attempt = $2 AND stream = 'system' AND chunk >= $3 AND chunk < $4`,
      [jobId, attempt, SYSTEM_CHUNK_BASE, TRUNCATION_CHUNK],
    );
    const line = storable(text);
    return insertRows(
      tx,
      { buildId, jobId, attempt },
      logSeq,
      logBytes,
      [{ chunk: Number(rows[0]!.next), stream: "system", text: line }],
      Buffer.byteLength(line, "utf8"),
    );
  });
}

/**
 * Entries of a build's log with a sequence number above `afterSeq`, in order, at most `limit`; and the
 * build's state, read first (so a terminal state with `more` false means the log is complete). NOT_FOUND
 * when there is no such build.
 */
export async function readLogs(q: Queryable, buildId: number, afterSeq = 0, limit = 1000): Promise<LogPage> {
  const { rows: builds } = await q.query<{ state: LogBuildState }>("SELECT state FROM builds WHERE id = $1", [
    buildId,
  ]);
  if (builds[0] === undefined)
    throw new ServerError("NOT_FOUND", `Expected a build with id ${buildId}, found none`, { buildId });
  const { rows } = await q.query<{
    seq: number;
    job_id: number;
    attempt: number;
    stream: LogStream;
    at: Date;
    text: string;
  }>(
    `SELECT seq, job_id, attempt, stream, at, text FROM job_logs
      WHERE build_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
    [buildId, afterSeq, limit + 1],
  );
  const more = rows.length > limit;
  return {
    entries: rows.slice(0, limit).map((r) => ({
      seq: Number(r.seq),
      jobId: Number(r.job_id),
      attempt: r.attempt,
      stream: r.stream,
      at: r.at,
      text: r.text,
    })),
    state: builds[0].state,
    more,
  };
}

export interface PruneOptions {
  /** Builds created longer ago than this go (default 30 days). */
  olderThanMs?: number;
  /** "Now" (default: the database clock). */
  now?: Date;
}

/**
 * Deletes finished builds (their jobs, attempts and logs with them) created more than `olderThanMs` ago,
 * except each package's last succeeded and last failed build. Returns how many builds were deleted.
 */
export async function pruneBuilds(db: Queryable, options: PruneOptions = {}): Promise<number> {
  const olderThanMs = options.olderThanMs ?? DEFAULT_LOG_RETENTION_MS;
  if (!Number.isFinite(olderThanMs) || olderThanMs < 0)
    throw invalid(`Expected a retention of 0 ms or more, found ${olderThanMs}`, { field: "olderThanMs" });
  const { rowCount } = await db.query(
    `DELETE FROM builds
      WHERE state IN ('succeeded', 'failed', 'cancelled')
        AND created_at < coalesce($1::timestamptz, now()) - $2 * interval '1 millisecond'
        AND id NOT IN (
          SELECT DISTINCT ON (package_id, state) id FROM builds
           WHERE state IN ('succeeded', 'failed')
           ORDER BY package_id, state, created_at DESC, id DESC)`,
    [options.now ?? null, olderThanMs],
  );
  return rowCount;
}
