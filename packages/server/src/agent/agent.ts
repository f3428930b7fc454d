/**
 * `packyard agent`: a build agent. N slots each claim a job over the agent protocol, heartbeat its lease,
 * run it (executeJob: sources, steps, package), send its log in batches, upload the package and report
 * the outcome. A heartbeat answering `cancel` aborts the job (its step's process group is killed); one
 * answering STALE_ATTEMPT (the lease was lost and the job given to another attempt) aborts it without an
 * upload or a completion.
 *
 * Stopping: when `signal` aborts, slots claim no new job and the jobs running are finished (built,
 * uploaded, completed); when `abandon` aborts too, running jobs are aborted and reported failed with
 * AGENT_ERROR, retry true, so another agent takes them at once instead of after the lease expires.
 */
import { hostname } from "node:os";
import {
  AgentApiError,
  type AgentClient,
  type ClaimPayload,
  createAgentClient,
  LogBatcher,
} from "./client.ts";
import { type ExecuteResult, executeJob } from "./execute.ts";
import { createRedactor, type RunAs, resolveRunAs, type Sandbox } from "./steps.ts";

/** Where the agent says what it does (one line per call; never a token). */
export interface AgentLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface AgentOptions {
  /** The server's URL. */
  server: string;
  /** The agent token (`pka_…`). */
  token: string;
  /** Jobs run side by side (default 1). */
  concurrency?: number;
  /** Folder of the jobs' work folders (created 0700). */
  workDir: string;
  /** Labels this agent says it offers (informational: the server matches the labels it was registered with). */
  labels?: readonly string[];
  /** User the steps run as; when the agent runs as root, `nobody` unless given. */
  runAs?: string;
  sandbox: Sandbox;
  log: AgentLog;
  /** Stop claiming; running jobs finish. */
  signal?: AbortSignal;
  /** Abort running jobs as well (they are reported failed, retried elsewhere). */
  abandon?: AbortSignal;
  /** The agent's environment (default process.env): `build.env` names are taken from it after the secrets. */
  env?: NodeJS.ProcessEnv;
  /** Heartbeat interval, over the claim's `heartbeatMs` (tests). */
  heartbeatMs?: number;
  /** A client of its own (tests). */
  client?: AgentClient;
  /** Longest wait between claims when idle, over the server's Retry-After (tests). */
  maxIdleMs?: number;
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

/** The agent's running totals, for its caller and tests. */
export interface AgentStats {
  claimed: number;
  succeeded: number;
  failed: number;
  /** Jobs given up because their lease was lost (STALE_ATTEMPT). */
  lost: number;
}

/**
 * Runs the agent until `signal` aborts and every running job has finished. Resolves with what it did.
 * @example
 * const stop = new AbortController();
 * await runAgent({ server: "http://127.0.0.1:8080", token, workDir: "/var/lib/packyard-agent", sandbox: "auto", log: console, signal: stop.signal });
 */
export async function runAgent(o: AgentOptions): Promise<AgentStats> {
  const concurrency = o.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new RangeError(`concurrency: expected an integer of at least 1, found ${concurrency}`);
  let runAs: RunAs | undefined;
  const root = process.getuid?.() === 0;
  if (o.runAs !== undefined || root) runAs = await resolveRunAs(o.runAs ?? "nobody");
  const client =
    o.client ??
    createAgentClient({
      server: o.server,
      token: o.token,
      // Retries stop when jobs are abandoned, not when claiming stops: a finishing job still uploads.
      ...(o.abandon !== undefined ? { signal: o.abandon } : {}),
      warn: (m) => o.log.warn(m),
    });
  const stats: AgentStats = { claimed: 0, succeeded: 0, failed: 0, lost: 0 };
  o.log.info(
    `agent on ${hostname()} serving ${o.server} with ${concurrency} slot(s)` +
      (o.labels !== undefined && o.labels.length > 0 ? `, labels ${o.labels.join(",")}` : "") +
      (runAs !== undefined ? `, steps run as uid ${runAs.uid}` : ""),
  );

  // Claiming stops when the caller says so, or when the server refuses the token (every slot at once).
  const halt = new AbortController();
  const onStop = () => halt.abort();
  o.signal?.addEventListener("abort", onStop, { once: true });
  if (o.signal?.aborted === true) halt.abort();
  let refused: unknown;
  const slot = async (n: number): Promise<void> => {
    let failures = 0;
    while (!halt.signal.aborted) {
      let claim: Awaited<ReturnType<AgentClient["claim"]>>;
      try {
        claim = await client.claim();
        failures = 0;
      } catch (e) {
        failures++;
        o.log.error(`slot ${n}: claim failed: ${(e as Error).message}`);
        if (e instanceof AgentApiError && (e.status === 401 || e.status === 403)) {
          refused ??= e;
          halt.abort();
          return;
        }
        await sleep(Math.min(30_000, 1000 * 2 ** Math.min(failures, 5)), halt.signal);
        continue;
      }
      if (claim.job === undefined) {
        await sleep(Math.min(claim.retryAfterMs, o.maxIdleMs ?? Number.POSITIVE_INFINITY), halt.signal);
        continue;
      }
      stats.claimed++;
      try {
        stats[await runClaimed(claim.job, client, runAs, o)]++;
      } catch (e) {
        // A bug here must not stop the other slots; the lease runs out and the job is retried.
        stats.failed++;
        o.log.error(`slot ${n}: job ${claim.job.id} failed in the agent: ${(e as Error).stack ?? e}`);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, (_, i) => slot(i + 1)));
  } finally {
    o.signal?.removeEventListener("abort", onStop);
  }
  if (refused !== undefined) throw refused;
  o.log.info("agent stopped");
  return stats;
}

/** Runs one claimed job to its completion report. */
async function runClaimed(
  job: ClaimPayload,
  client: AgentClient,
  runAs: RunAs | undefined,
  o: AgentOptions,
): Promise<"succeeded" | "failed" | "lost"> {
  const tag = `job ${job.id} attempt ${job.attempt} (${job.project}/${job.package} ${job.version} ${job.format} ${job.arch})`;
  o.log.info(`${tag}: claimed`);
  const abort = new AbortController();
  let why: "cancel" | "lost" | "abandon" | undefined;
  const stop = (reason: "cancel" | "lost" | "abandon") => {
    if (why !== undefined) return;
    why = reason;
    abort.abort(reason);
  };
  const onAbandon = () => stop("abandon");
  o.abandon?.addEventListener("abort", onAbandon, { once: true });
  if (o.abandon?.aborted === true) stop("abandon");

  const secrets = Object.values(job.secrets ?? {}).filter((v) => v !== "");
  // Step output comes redacted by runSteps; this catches the agent's own lines (failure messages).
  const redact = (text: string) => {
    const r = createRedactor(secrets);
    return r.push(text) + r.flush();
  };
  const logs = new LogBatcher((chunks) => client.sendLogs(job.id, job.attempt, chunks), {
    redact,
    onError: (e) => o.log.warn(`${tag}: sending log failed (sent again later): ${(e as Error).message}`),
  });

  // The agent's own lines: stderr with a prefix (the `system` stream is the server's).
  const note = (text: string) =>
    logs.push("stderr", `[packyard-agent] ${text.endsWith("\n") ? text : `${text}\n`}`);

  // Heartbeats: from the claim until the completion is reported. A lease not renewed for leaseMs is lost.
  let lastRenewed = Date.now();
  let beating = true;
  const ended = new AbortController();
  const heartbeats = (async () => {
    const every = o.heartbeatMs ?? job.heartbeatMs;
    while (beating) {
      await sleep(every, ended.signal);
      if (!beating) return;
      try {
        const hb = await client.heartbeat(job.id, job.attempt);
        lastRenewed = Date.now();
        if (hb.cancel) {
          o.log.info(`${tag}: cancelled by the server`);
          stop("cancel");
        }
      } catch (e) {
        if (e instanceof AgentApiError && (e.code === "STALE_ATTEMPT" || e.status === 404)) {
          o.log.warn(`${tag}: the lease is lost (${e.code}); stopping without an upload`);
          stop("lost");
          return;
        }
        o.log.warn(`${tag}: heartbeat failed: ${(e as Error).message}`);
        if (Date.now() - lastRenewed > job.leaseMs) {
          o.log.warn(`${tag}: no heartbeat for ${job.leaseMs} ms: the lease has expired; stopping`);
          stop("lost");
          return;
        }
      }
    }
  })();

  let result: ExecuteResult | undefined;
  try {
    note(`agent ${hostname()} runs attempt ${job.attempt}`);
    result = await executeJob(job, {
      workRoot: o.workDir,
      fetch: (source) => client.fetchSource(source),
      ...(runAs !== undefined ? { runAs } : {}),
      sandbox: o.sandbox,
      env: o.env ?? process.env,
      onLog: (stream, text) => (stream === "system" ? note(text) : logs.push(stream, text)),
      signal: abort.signal,
    });
    if (why === "lost") return "lost";

    let failure: { code: string; message: string; retry: boolean } | undefined;
    if (why === "cancel") failure = { code: "CANCELLED", message: "the build was cancelled", retry: false };
    else if (why === "abandon")
      failure = { code: "AGENT_ERROR", message: "the agent was stopped during the job", retry: true };
    else if (!result.ok) failure = { code: result.code, message: result.message, retry: result.retry };
    else {
      note(`uploading ${result.fileName}`);
      try {
        await client.upload(job.id, job.attempt, {
          path: result.file,
          fileName: result.fileName,
          sha256: result.sha256,
        });
      } catch (e) {
        if (e instanceof AgentApiError && e.code === "STALE_ATTEMPT") {
          o.log.warn(`${tag}: the upload was refused (STALE_ATTEMPT): the lease is lost`);
          return "lost";
        }
        failure = {
          code: "UPLOAD_FAILED",
          message: `uploading ${result.fileName} failed: ${(e as Error).message}`,
          retry: true,
        };
      }
    }
    if (failure !== undefined) {
      note(`failed: ${failure.code}: ${failure.message}`);
      // The server keeps at most 4096 characters of a message.
      if (failure.message.length > 4000) failure.message = `${failure.message.slice(0, 4000)}…`;
    }
    // Logs go before the completion: the server takes log chunks of a running attempt only.
    await logs.close();
    try {
      const done = await client.complete(
        job.id,
        job.attempt,
        failure === undefined ? { outcome: "succeeded" } : { outcome: "failed", failure },
      );
      o.log.info(
        `${tag}: ${failure === undefined ? "uploaded" : `failed (${failure.code})`}; the job is ${done.state}`,
      );
      return failure === undefined ? "succeeded" : "failed";
    } catch (e) {
      if (e instanceof AgentApiError && e.code === "STALE_ATTEMPT") {
        o.log.warn(`${tag}: the completion was refused (STALE_ATTEMPT): the lease is lost`);
        return "lost";
      }
      o.log.error(`${tag}: reporting the outcome failed: ${(e as Error).message}`);
      return "failed";
    }
  } finally {
    beating = false;
    ended.abort();
    await heartbeats;
    await logs.close(1);
    o.abandon?.removeEventListener("abort", onAbandon);
    if (result?.ok === true) await result.dispose().catch(() => undefined);
  }
}
