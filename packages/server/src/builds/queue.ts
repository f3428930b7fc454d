/**
 * The build job queue, in the database: the tables `jobs` and `job_attempts` of migration 0003, driven by the
 * in-process worker and by agents over HTTP through the same functions.
 *
 *   pending → running → publishing → succeeded | failed | cancelled
 *
 * A claim is one `UPDATE … WHERE id = (SELECT … FOR UPDATE SKIP LOCKED LIMIT 1)`, so concurrent claimers never
 * take the same job. A claim starts a new attempt; the attempt number is the fencing token every later call
 * of the claimant carries ({@link requireAttempt}): once a lease expired and the reaper re-queued the job, the
 * old claimant's heartbeats, uploads and completions are refused with STALE_ATTEMPT. Every time (leases,
 * backoff, started/finished) comes from the database clock, `now()`, so the clocks of agents and servers do
 * not matter. Each change of a job's state recomputes its build's state in the same transaction
 * ({@link refreshBuildState}).
 *
 * Lock order: a transaction that changes a job locks the build row first, then the job row — as the log
 * writer does when it takes the build's log sequence — except a claim, which can only know its build after
 * taking the job. The rare deadlock that leaves between a claim and a cancellation is broken by PostgreSQL
 * and the losing transaction is run again ({@link inTransaction}).
 *
 * Each state change also writes a `system` line to the build's log (logs.ts's systemLog) in the same
 * transaction, so a log reader sees claims, lost leases, retries, cancellation and publishing in order.
 */
import type { Db, Queryable, Tx } from "../db/db.ts";
import { isServerError, ServerError } from "../errors.ts";
import { systemLog } from "./logs.ts";

/** How long a claim or heartbeat holds a job, by default. */
export const DEFAULT_LEASE_MS = 60_000;
/** How often a claimant should renew its lease (a quarter of the default lease). */
export const HEARTBEAT_EVERY_MS = 15_000;
/** First retry delay, by default; each further attempt doubles it. */
export const DEFAULT_BACKOFF_BASE_MS = 5_000;
/** The longest retry delay, whatever the attempt. */
export const MAX_BACKOFF_MS = 300_000;

/** Tuning of the queue; tests shorten both. */
export interface QueueOptions {
  /** Lease length of a claim and of each heartbeat (default {@link DEFAULT_LEASE_MS}). */
  leaseMs?: number;
  /** Delay before the first retry of a failed attempt (default {@link DEFAULT_BACKOFF_BASE_MS}). */
  backoffBaseMs?: number;
}

/** Who claims, and what it can run. */
export interface Claimant {
  /** `agent:<id>` or `worker:<uuid>`; stored as the lease owner. */
  owner: string;
  agentId: number | null;
  /** The agent's project: it claims only that project's jobs. null: a shared agent or the in-process worker. */
  projectId: number | null;
  /** Labels offered: a job is claimable when all its labels are among them. */
  labels: readonly string[];
  /** Whether it runs user build steps (false for the in-process worker). */
  runsSteps: boolean;
}

/** A job just claimed. */
export interface ClaimedJob {
  jobId: number;
  buildId: number;
  projectId: number;
  /** The new attempt number: the fencing token of every later call. */
  attempt: number;
  format: string;
  arch: string;
  environment: string;
  targets: string[];
  hasSteps: boolean;
  leaseExpiresAt: Date;
}

/** States of a job, and of a build (a build's follows its jobs'). */
export type JobState = "pending" | "running" | "publishing" | "succeeded" | "failed" | "cancelled";
export type BuildState = JobState;

/** What {@link failJob} left the job in. */
export type FailOutcome = "pending" | "failed" | "cancelled";

/** A failure an attempt reports. */
export interface JobFailure {
  /** A job failure code (STEP_FAILED, AGENT_ERROR, CANCELLED, …). */
  code: string;
  message: string;
  /** An infrastructure failure worth another attempt; a failing user step is not. */
  retry: boolean;
}

/** A `jobs` row, camelCased. */
export interface JobRow {
  id: number;
  buildId: number;
  projectId: number;
  format: string;
  arch: string;
  environment: string;
  targets: string[];
  hasSteps: boolean;
  labels: string[];
  state: JobState;
  attempt: number;
  maxAttempts: number;
  runAfter: Date;
  leaseOwner: string | null;
  leaseExpiresAt: Date | null;
  cancelRequested: boolean;
  uploadSha256: string | null;
  uploadFileName: string | null;
  artifactId: number | null;
  failureCode: string | null;
  failureMessage: string | null;
  logBytes: number;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

interface RawJob {
  id: number;
  build_id: number;
  project_id: number;
  format: string;
  arch: string;
  environment: string;
  targets: string[];
  has_steps: boolean;
  labels: string[];
  state: JobState;
  attempt: number;
  max_attempts: number;
  run_after: Date;
  lease_owner: string | null;
  lease_expires_at: Date | null;
  cancel_requested: boolean;
  upload_sha256: string | null;
  upload_file_name: string | null;
  artifact_id: number | null;
  failure_code: string | null;
  failure_message: string | null;
  log_bytes: number;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

function toJobRow(r: RawJob): JobRow {
  return {
    id: r.id,
    buildId: r.build_id,
    projectId: r.project_id,
    format: r.format,
    arch: r.arch,
    environment: r.environment,
    targets: r.targets,
    hasSteps: r.has_steps,
    labels: r.labels,
    state: r.state,
    attempt: r.attempt,
    maxAttempts: r.max_attempts,
    runAfter: r.run_after,
    leaseOwner: r.lease_owner,
    leaseExpiresAt: r.lease_expires_at,
    cancelRequested: r.cancel_requested,
    uploadSha256: r.upload_sha256,
    uploadFileName: r.upload_file_name,
    artifactId: r.artifact_id,
    failureCode: r.failure_code,
    failureMessage: r.failure_message,
    logBytes: r.log_bytes,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  };
}

const TERMINAL: ReadonlySet<JobState> = new Set(["succeeded", "failed", "cancelled"]);

/** True for succeeded, failed and cancelled: states a job (or build) never leaves. */
export function isTerminal(state: JobState): boolean {
  return TERMINAL.has(state);
}

const leaseOf = (o: QueueOptions | undefined): number => positive(o?.leaseMs, DEFAULT_LEASE_MS, "leaseMs");
const backoffBaseOf = (o: QueueOptions | undefined): number =>
  positive(o?.backoffBaseMs, DEFAULT_BACKOFF_BASE_MS, "backoffBaseMs");

function positive(value: number | undefined, fallback: number, field: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0)
    throw new ServerError(
      "INVALID_REQUEST",
      `Expected ${field} to be a number of milliseconds >= 0, found ${value}`,
      {
        field,
      },
    );
  return value;
}

/**
 * The delay before attempt `attempt + 1` after attempt `attempt` failed: `base · 2^(attempt-1)`, capped at
 * {@link MAX_BACKOFF_MS}, then jittered to a random point in [50 %, 100 %] of that, so that jobs failing
 * together (an agent lost with several leases) do not come back together.
 *
 * @example backoffMs(1, 5_000, () => 1) // 5000; backoffMs(3, 5_000, () => 0) // 10000
 */
export function backoffMs(attempt: number, base: number, random: () => number = Math.random): number {
  const exponent = Math.max(0, Math.floor(attempt) - 1);
  const full = Math.min(MAX_BACKOFF_MS, base * 2 ** Math.min(exponent, 30));
  return Math.round(full * (0.5 + 0.5 * random()));
}

/** Deadlock (40P01) and serialization failure (40001): the transaction is safe to run again. */
function isRetryable(e: unknown): boolean {
  return isServerError(e, "DB_ERROR") && (e.data.sqlState === "40P01" || e.data.sqlState === "40001");
}

/** Runs `fn` in a transaction, again (up to 3 times) when PostgreSQL broke a deadlock by aborting it. */
async function inTransaction<T>(db: Db, fn: (tx: Tx) => Promise<T>): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await db.transaction(fn);
    } catch (e) {
      if (tries >= 3 || !isRetryable(e)) throw e;
    }
  }
}

/**
 * Claims the oldest pending job the claimant can run, if any: its capabilities must cover the job (steps,
 * labels, project), and the job's `run_after` (retry backoff) must have passed. Starts attempt n+1 with a
 * lease of `leaseMs`, records it in `job_attempts` and refreshes the build's state.
 */
export async function claimJob(db: Db, c: Claimant, o?: QueueOptions): Promise<ClaimedJob | undefined> {
  const leaseMs = leaseOf(o);
  return inTransaction(db, async (tx) => {
    const { rows } = await tx.query<{
      id: number;
      build_id: number;
      project_id: number;
      attempt: number;
      format: string;
      arch: string;
      environment: string;
      targets: string[];
      has_steps: boolean;
      lease_expires_at: Date;
    }>(
      `UPDATE jobs SET state = 'running', attempt = attempt + 1, lease_owner = $1,
         lease_expires_at = now() + $2 * interval '1 millisecond', started_at = coalesce(started_at, now()),
         failure_code = NULL, failure_message = NULL
       WHERE id = (
         SELECT id FROM jobs
         WHERE state = 'pending' AND run_after <= now()
           AND (NOT has_steps OR $3::boolean)
           AND labels <@ $4::text[]
           AND ($5::bigint IS NULL OR project_id = $5::bigint)
         ORDER BY created_at, id
         FOR UPDATE SKIP LOCKED
         LIMIT 1)
       RETURNING id, build_id, project_id, attempt, format, arch, environment, targets, has_steps, lease_expires_at`,
      [c.owner, leaseMs, c.runsSteps, [...c.labels], c.projectId],
    );
    const job = rows[0];
    if (job === undefined) return undefined;
    await tx.query(
      `INSERT INTO job_attempts (job_id, attempt, lease_owner, agent_id, state, started_at)
       VALUES ($1, $2, $3, $4, 'running', now())`,
      [job.id, job.attempt, c.owner, c.agentId],
    );
    // A cancellation that ran while this claim held the job row skipped it (cancelBuild); with the build
    // locked now, its mark is visible: the job is cancelled instead of handed out.
    const { rows: builds } = await tx.query<{ cancelled: boolean }>(
      "SELECT cancel_requested_at IS NOT NULL AS cancelled FROM builds WHERE id = $1 FOR UPDATE",
      [job.build_id],
    );
    if (builds[0]?.cancelled === true) {
      const cancelled = { code: "CANCELLED", message: CANCELLED_MESSAGE };
      await endAttempt(tx, job.id, job.attempt, "cancelled", cancelled);
      await finishJob(tx, job.id, "cancelled", cancelled);
      await refreshBuildState(tx, job.build_id);
      await note(tx, { buildId: job.build_id, id: job.id, attempt: job.attempt }, "cancelled before it ran");
      return undefined;
    }
    await refreshBuildState(tx, job.build_id);
    await note(
      tx,
      { buildId: job.build_id, id: job.id, attempt: job.attempt },
      `attempt ${job.attempt} claimed by ${c.owner}`,
    );
    return {
      jobId: job.id,
      buildId: job.build_id,
      projectId: job.project_id,
      attempt: job.attempt,
      format: job.format,
      arch: job.arch,
      environment: job.environment,
      targets: job.targets,
      hasSteps: job.has_steps,
      leaseExpiresAt: job.lease_expires_at,
    };
  });
}

function notFound(jobId: number): ServerError {
  return new ServerError("NOT_FOUND", `Expected a build job with id ${jobId}, found none`, { jobId });
}

/** Locks and reads a job (its build row first, in the queue's lock order); undefined when there is none. */
async function lockJob(q: Queryable, jobId: number): Promise<JobRow | undefined> {
  const { rows: builds } = await q.query<{ id: number }>(
    "SELECT b.id FROM builds b JOIN jobs j ON j.build_id = b.id WHERE j.id = $1 FOR UPDATE OF b",
    [jobId],
  );
  if (builds.length === 0) return undefined;
  const { rows } = await q.query<RawJob>("SELECT * FROM jobs WHERE id = $1 FOR UPDATE", [jobId]);
  return rows[0] === undefined ? undefined : toJobRow(rows[0]);
}

function staleAttempt(job: JobRow, attempt: number): ServerError {
  const why =
    attempt === job.attempt
      ? `attempt ${attempt} is no longer running (the job is ${job.state})`
      : `attempt ${attempt} is not the job's current attempt ${job.attempt}`;
  return new ServerError(
    "STALE_ATTEMPT",
    `Expected a call from the running attempt of job ${job.id}, found ${why}`,
    { jobId: job.id, attempt, current: job.attempt, state: job.state },
  );
}

/** Writes a `system` log line for the job's current attempt, in the caller's transaction. */
async function note(
  tx: Queryable,
  job: { buildId: number; id: number; attempt: number },
  text: string,
): Promise<void> {
  await systemLog(tx, job.buildId, job.id, job.attempt, text);
}

/** How a retry is announced: "retrying in 7.5 s (attempt 2 of 3)". */
function retryText(job: JobRow, delayMs: number): string {
  return `retrying in ${Math.round(delayMs / 100) / 10} s (attempt ${job.attempt + 1} of ${job.maxAttempts})`;
}

/**
 * The fencing check: locks the job (and its build) and returns it when `attempt` is its current attempt and
 * it is running; STALE_ATTEMPT (with `{ jobId, attempt, current }`) otherwise, NOT_FOUND without such a job.
 * Use inside a transaction, so the lock holds until the change that follows is committed.
 */
export async function requireAttempt(q: Queryable, jobId: number, attempt: number): Promise<JobRow> {
  const job = await lockJob(q, jobId);
  if (job === undefined) throw notFound(jobId);
  if (job.attempt !== attempt || job.state !== "running") throw staleAttempt(job, attempt);
  return job;
}

/**
 * Renews the lease of a running attempt by `leaseMs` from now and tells the claimant whether the job was
 * cancelled meanwhile (then it stops its work and reports {@link failJob} with code CANCELLED).
 */
export async function heartbeat(
  db: Db,
  jobId: number,
  attempt: number,
  o?: QueueOptions,
): Promise<{ cancel: boolean; leaseExpiresAt: Date }> {
  const leaseMs = leaseOf(o);
  return inTransaction(db, async (tx) => {
    await requireAttempt(tx, jobId, attempt);
    const { rows } = await tx.query<{ cancel_requested: boolean; lease_expires_at: Date }>(
      `UPDATE jobs SET lease_expires_at = now() + $2 * interval '1 millisecond' WHERE id = $1
       RETURNING cancel_requested, lease_expires_at`,
      [jobId, leaseMs],
    );
    await tx.query("UPDATE job_attempts SET heartbeat_at = now() WHERE job_id = $1 AND attempt = $2", [
      jobId,
      attempt,
    ]);
    const row = rows[0]!;
    return { cancel: row.cancel_requested, leaseExpiresAt: row.lease_expires_at };
  });
}

/**
 * Records the package a running attempt uploaded (its blob must exist); a later upload of the same attempt
 * replaces it. The job stays running until {@link completeJob}.
 */
export async function recordUpload(
  db: Db,
  jobId: number,
  attempt: number,
  upload: { sha256: string; fileName: string },
): Promise<void> {
  await inTransaction(db, async (tx) => {
    await requireAttempt(tx, jobId, attempt);
    await tx.query("UPDATE jobs SET upload_sha256 = $2, upload_file_name = $3 WHERE id = $1", [
      jobId,
      upload.sha256,
      upload.fileName,
    ]);
  });
}

/** State of one attempt in `job_attempts`. */
async function attemptState(q: Queryable, jobId: number, attempt: number): Promise<string | undefined> {
  const { rows } = await q.query<{ state: string }>(
    "SELECT state FROM job_attempts WHERE job_id = $1 AND attempt = $2",
    [jobId, attempt],
  );
  return rows[0]?.state;
}

/** Ends the attempt's row in `job_attempts`. */
async function endAttempt(
  q: Queryable,
  jobId: number,
  attempt: number,
  state: "succeeded" | "failed" | "lost" | "cancelled",
  failure?: { code: string; message: string },
): Promise<void> {
  await q.query(
    `UPDATE job_attempts SET state = $3, finished_at = now(), failure_code = $4, failure_message = $5
     WHERE job_id = $1 AND attempt = $2`,
    [jobId, attempt, state, failure?.code ?? null, failure?.message ?? null],
  );
}

const CANCELLED_MESSAGE = "The build was cancelled";

/** Puts a job in a terminal state, lease released. */
async function finishJob(
  q: Queryable,
  jobId: number,
  state: "failed" | "cancelled",
  failure: { code: string; message: string },
): Promise<void> {
  await q.query(
    `UPDATE jobs SET state = $2, lease_owner = NULL, lease_expires_at = NULL, failure_code = $3,
       failure_message = $4, finished_at = now()
     WHERE id = $1`,
    [jobId, state, failure.code, failure.message],
  );
}

/**
 * A running attempt finished its work and uploaded its package ({@link recordUpload}): the job goes to
 * publishing (the server publishes it, then {@link finishPublish}). Without an upload: JOB_STATE. When the
 * build was cancelled meanwhile the job is cancelled instead and nothing is published. Repeating the call
 * for an attempt that already completed is answered with the job's state, so a claimant whose answer was
 * lost may ask again.
 */
export async function completeJob(
  db: Db,
  jobId: number,
  attempt: number,
  /**
   * The sha256 of the upload the caller checked: when the attempt uploaded another package since, the
   * completion is refused (JOB_STATE), so what is published is always what was checked.
   */
  checkedUpload?: string,
): Promise<"publishing" | "succeeded" | "cancelled"> {
  return inTransaction(db, async (tx) => {
    const job = await lockJob(tx, jobId);
    if (job === undefined) throw notFound(jobId);
    if (
      job.attempt === attempt &&
      (job.state === "publishing" || job.state === "succeeded") &&
      (await attemptState(tx, jobId, attempt)) === "succeeded"
    )
      return job.state;
    if (job.attempt !== attempt || job.state !== "running") throw staleAttempt(job, attempt);
    if (job.cancelRequested) {
      await endAttempt(tx, jobId, attempt, "cancelled", { code: "CANCELLED", message: CANCELLED_MESSAGE });
      await finishJob(tx, jobId, "cancelled", { code: "CANCELLED", message: CANCELLED_MESSAGE });
      await refreshBuildState(tx, job.buildId);
      await note(tx, job, `attempt ${attempt} finished after the build was cancelled; nothing is published`);
      return "cancelled";
    }
    if (job.uploadSha256 === null)
      throw new ServerError(
        "JOB_STATE",
        `Expected an uploaded package before job ${jobId} attempt ${attempt} completes, found none`,
        { jobId, attempt, state: job.state },
      );
    if (checkedUpload !== undefined && job.uploadSha256 !== checkedUpload)
      throw new ServerError(
        "JOB_STATE",
        `Expected job ${jobId} attempt ${attempt} to complete with the package that was checked (sha256 ${checkedUpload}), found another upload (${job.uploadSha256}) since; complete again`,
        { jobId, attempt, state: job.state },
      );
    await endAttempt(tx, jobId, attempt, "succeeded");
    await tx.query(
      "UPDATE jobs SET state = 'publishing', lease_owner = NULL, lease_expires_at = NULL WHERE id = $1",
      [jobId],
    );
    await refreshBuildState(tx, job.buildId);
    await note(tx, job, `attempt ${attempt} succeeded with ${job.uploadFileName}; publishing`);
    return "publishing";
  });
}

/**
 * A running attempt failed. Cancellation (code CANCELLED, or the build was cancelled) → cancelled; an
 * infrastructure failure (`retry`) with attempts left → pending again after {@link backoffMs}; anything else
 * → failed with the code and message. Repeating the call for an attempt that already failed answers the
 * job's state again.
 */
export async function failJob(
  db: Db,
  jobId: number,
  attempt: number,
  failure: JobFailure,
  o?: QueueOptions,
): Promise<FailOutcome> {
  const base = backoffBaseOf(o);
  return inTransaction(db, async (tx) => {
    const job = await lockJob(tx, jobId);
    if (job === undefined) throw notFound(jobId);
    if (job.attempt === attempt && job.state !== "running") {
      const previous = await attemptState(tx, jobId, attempt);
      if (
        (previous === "failed" || previous === "cancelled") &&
        (job.state === "pending" || job.state === "failed" || job.state === "cancelled")
      )
        return job.state;
    }
    if (job.attempt !== attempt || job.state !== "running") throw staleAttempt(job, attempt);
    const given = { code: failure.code, message: failure.message };
    if (failure.code === "CANCELLED" || job.cancelRequested) {
      const why = failure.code === "CANCELLED" ? given : { code: "CANCELLED", message: CANCELLED_MESSAGE };
      await endAttempt(tx, jobId, attempt, "cancelled", given);
      await finishJob(tx, jobId, "cancelled", why);
      await refreshBuildState(tx, job.buildId);
      await note(tx, job, `attempt ${attempt} stopped: the build was cancelled`);
      return "cancelled";
    }
    await endAttempt(tx, jobId, attempt, "failed", given);
    const next = await retryOrFail(tx, job, failure.retry, given, base);
    await refreshBuildState(tx, job.buildId);
    await note(
      tx,
      job,
      `attempt ${attempt} failed: ${failure.code}: ${failure.message}; ${next.outcome === "pending" ? retryText(job, next.delayMs) : "the job failed"}`,
    );
    return next.outcome;
  });
}

/** After a failed or lost attempt: pending again with backoff while attempts are left (and `retry`), else failed. */
async function retryOrFail(
  q: Queryable,
  job: JobRow,
  retry: boolean,
  failure: { code: string; message: string },
  base: number,
): Promise<{ outcome: "pending"; delayMs: number } | { outcome: "failed" }> {
  if (retry && job.attempt < job.maxAttempts) {
    const delayMs = backoffMs(job.attempt, base);
    await q.query(
      `UPDATE jobs SET state = 'pending', lease_owner = NULL, lease_expires_at = NULL,
         run_after = now() + $2 * interval '1 millisecond', upload_sha256 = NULL, upload_file_name = NULL
       WHERE id = $1`,
      [job.id, delayMs],
    );
    return { outcome: "pending", delayMs };
  }
  await finishJob(q, job.id, "failed", failure);
  return { outcome: "failed" };
}

/** Locks a job that the server itself moves on (publishing), with no attempt to fence. */
async function lockPublishing(tx: Tx, jobId: number): Promise<JobRow> {
  const job = await lockJob(tx, jobId);
  if (job === undefined) throw notFound(jobId);
  return job;
}

/** The server published the job's package as artifact `artifactId`: publishing → succeeded. Idempotent. */
export async function finishPublish(db: Db, jobId: number, result: { artifactId: number }): Promise<void> {
  await inTransaction(db, async (tx) => {
    const job = await lockPublishing(tx, jobId);
    if (job.state === "succeeded") return;
    if (job.state !== "publishing")
      throw new ServerError(
        "JOB_STATE",
        `Expected job ${jobId} to be publishing before it succeeds, found it ${job.state}`,
        { jobId, state: job.state },
      );
    await tx.query(
      "UPDATE jobs SET state = 'succeeded', artifact_id = $2, finished_at = now() WHERE id = $1",
      [jobId, result.artifactId],
    );
    await refreshBuildState(tx, job.buildId);
    await note(tx, job, `published ${job.uploadFileName}`);
  });
}

/** Publishing the job's package failed for good (e.g. ARTIFACT_INVALID, PUBLISH_FAILED): publishing → failed. */
export async function failPublish(db: Db, jobId: number, code: string, message: string): Promise<void> {
  await inTransaction(db, async (tx) => {
    const job = await lockPublishing(tx, jobId);
    if (job.state === "failed" && job.failureCode === code) return;
    if (job.state !== "publishing")
      throw new ServerError(
        "JOB_STATE",
        `Expected job ${jobId} to be publishing before its publish fails, found it ${job.state}`,
        { jobId, state: job.state },
      );
    await finishJob(tx, jobId, "failed", { code, message });
    await refreshBuildState(tx, job.buildId);
    await note(tx, job, `publishing failed: ${code}: ${message}`);
  });
}

/**
 * Takes back every running job whose lease has expired: its attempt is recorded as lost (LEASE_LOST) and the
 * job goes back to pending after a backoff, or fails with LEASE_LOST when that was its last attempt (or is
 * cancelled when its build was). Each job in its own transaction; a job locked by a call in flight (a
 * heartbeat) is left for the next round. Returns how many jobs were taken back.
 */
export async function reapExpired(db: Db, o?: QueueOptions): Promise<number> {
  const base = backoffBaseOf(o);
  const { rows } = await db.query<{ id: number }>(
    "SELECT id FROM jobs WHERE state = 'running' AND lease_expires_at < now() ORDER BY lease_expires_at, id",
  );
  let reaped = 0;
  for (const { id } of rows) {
    const done = await inTransaction(db, async (tx) => {
      const { rows: builds } = await tx.query<{ id: number }>(
        "SELECT b.id FROM builds b JOIN jobs j ON j.build_id = b.id WHERE j.id = $1 FOR UPDATE OF b",
        [id],
      );
      if (builds.length === 0) return false;
      const { rows: jobs } = await tx.query<RawJob>(
        `SELECT * FROM jobs WHERE id = $1 AND state = 'running' AND lease_expires_at < now()
         FOR UPDATE SKIP LOCKED`,
        [id],
      );
      if (jobs[0] === undefined) return false;
      const job = toJobRow(jobs[0]);
      const lost = {
        code: "LEASE_LOST",
        message: `The lease of attempt ${job.attempt} (${job.leaseOwner}) expired at ${job.leaseExpiresAt?.toISOString()} without a heartbeat`,
      };
      await endAttempt(tx, id, job.attempt, "lost", lost);
      let then: string;
      if (job.cancelRequested) {
        await finishJob(tx, id, "cancelled", { code: "CANCELLED", message: CANCELLED_MESSAGE });
        then = "the build was cancelled";
      } else {
        const next = await retryOrFail(tx, job, true, lost, base);
        then = next.outcome === "pending" ? retryText(job, next.delayMs) : "the job failed (LEASE_LOST)";
      }
      await refreshBuildState(tx, job.buildId);
      await note(
        tx,
        job,
        `attempt ${job.attempt} lost its lease (${job.leaseOwner} stopped sending heartbeats); ${then}`,
      );
      return true;
    });
    if (done) reaped++;
  }
  return reaped;
}

/**
 * Cancels a build: its pending jobs are cancelled at once, running ones are asked to stop (their next
 * heartbeat answers `cancel: true`), publishing ones are left to finish. NOT_FOUND without such a build.
 */
export async function cancelBuild(db: Db, buildId: number): Promise<void> {
  await inTransaction(db, async (tx) => {
    const { rows } = await tx.query("SELECT id FROM builds WHERE id = $1 FOR UPDATE", [buildId]);
    if (rows.length === 0)
      throw new ServerError("NOT_FOUND", `Expected a build with id ${buildId}, found none`, { buildId });
    await tx.query(
      "UPDATE builds SET cancel_requested_at = coalesce(cancel_requested_at, now()) WHERE id = $1",
      [buildId],
    );
    // SKIP LOCKED: a job row locked now without its build's lock is one a claim is taking (every other
    // change locks the build first, and this transaction holds it); waiting for it would deadlock with that
    // claim, which sees the cancellation once it gets the build lock and cancels the job itself.
    const { rows: open } = await tx.query<{ id: number }>(
      `SELECT id FROM jobs WHERE build_id = $1 AND state IN ('pending', 'running') ORDER BY id
       FOR UPDATE SKIP LOCKED`,
      [buildId],
    );
    const ids = open.map((j) => j.id);
    const { rows: cancelled } = await tx.query<{ id: number; attempt: number }>(
      `UPDATE jobs SET state = 'cancelled', failure_code = 'CANCELLED', failure_message = $2, finished_at = now(),
         run_after = now()
       WHERE id = ANY($1::bigint[]) AND state = 'pending' RETURNING id, attempt`,
      [ids, CANCELLED_MESSAGE],
    );
    const { rows: asked } = await tx.query<{ id: number; attempt: number }>(
      `UPDATE jobs SET cancel_requested = true WHERE id = ANY($1::bigint[]) AND state = 'running' AND NOT cancel_requested
       RETURNING id, attempt`,
      [ids],
    );
    await refreshBuildState(tx, buildId);
    for (const j of cancelled.sort((a, b) => a.id - b.id))
      await note(
        tx,
        { buildId, ...j },
        j.attempt === 0 ? "cancelled before it ran" : "cancelled while waiting to retry",
      );
    for (const j of asked.sort((a, b) => a.id - b.id))
      await note(tx, { buildId, ...j }, `cancel requested; attempt ${j.attempt} is asked to stop`);
  });
}

/** Jobs left publishing (a publish cut by a crash), oldest first, for the server to resume at start-up. */
export async function jobsPublishing(db: Db): Promise<number[]> {
  const { rows } = await db.query<{ id: number }>(
    "SELECT id FROM jobs WHERE state = 'publishing' ORDER BY id",
  );
  return rows.map((r) => r.id);
}

/**
 * The state a build's jobs put it in:
 * - some job not terminal: `publishing` when every such job is publishing; else `running` when one of them is
 *   running or publishing or any job of the build has started; else `pending`;
 * - every job terminal: `succeeded` when all succeeded, `failed` when any failed, else `cancelled`.
 */
export function buildStateOf(jobs: readonly { state: JobState; started: boolean }[]): BuildState {
  const active = jobs.filter((j) => !TERMINAL.has(j.state));
  if (active.length > 0) {
    if (active.every((j) => j.state === "publishing")) return "publishing";
    if (active.some((j) => j.state !== "pending") || jobs.some((j) => j.started)) return "running";
    return "pending";
  }
  if (jobs.length === 0) return "pending";
  if (jobs.every((j) => j.state === "succeeded")) return "succeeded";
  if (jobs.some((j) => j.state === "failed")) return "failed";
  return "cancelled";
}

/**
 * Recomputes a build's state from its jobs ({@link buildStateOf}) and stores it, with `started_at` set when
 * it first leaves pending and `finished_at` when it becomes terminal. Locks the build row before reading the
 * jobs, so two transactions finishing the build's last two jobs cannot both read the other's job as running.
 * Call it in the transaction that changed a job.
 */
export async function refreshBuildState(q: Queryable, buildId: number): Promise<BuildState> {
  const { rows: builds } = await q.query("SELECT id FROM builds WHERE id = $1 FOR UPDATE", [buildId]);
  if (builds.length === 0)
    throw new ServerError("NOT_FOUND", `Expected a build with id ${buildId}, found none`, { buildId });
  const { rows } = await q.query<{ state: JobState; started: boolean }>(
    "SELECT state, started_at IS NOT NULL AS started FROM jobs WHERE build_id = $1",
    [buildId],
  );
  const state = buildStateOf(rows);
  await q.query(
    `UPDATE builds SET state = $2,
       started_at = CASE WHEN $2 IN ('running', 'publishing') THEN coalesce(started_at, now()) ELSE started_at END,
       finished_at = CASE WHEN $2 IN ('succeeded', 'failed', 'cancelled') THEN coalesce(finished_at, now()) END
     WHERE id = $1`,
    [buildId, state],
  );
  return state;
}

/** Options of {@link startReaper}. */
export interface ReaperOptions extends QueueOptions {
  /** Time between two rounds (default 5 s). */
  everyMs?: number;
  /** Told about a round that failed (database down); the reaper keeps going. */
  onError?: (error: unknown) => void;
  /** Told how many jobs a round took back, when it took any. */
  onReaped?: (count: number) => void;
}

/**
 * Runs {@link reapExpired} now and then every `everyMs` until `stop()`, which waits for a round in progress.
 * The timer does not keep the process alive.
 */
export function startReaper(db: Db, options: ReaperOptions = {}): { stop(): Promise<void> } {
  const { everyMs = 5_000, onError, onReaped, ...queue } = options;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let round: Promise<void> = Promise.resolve();
  const run = (): void => {
    round = (async () => {
      try {
        const count = await reapExpired(db, queue);
        if (count > 0) onReaped?.(count);
      } catch (e) {
        onError?.(e);
      }
    })().then(() => {
      if (stopped) return;
      timer = setTimeout(run, everyMs);
      timer.unref();
    });
  };
  run();
  return {
    async stop(): Promise<void> {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      await round;
    },
  };
}
