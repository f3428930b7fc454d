/**
 * The in-process build worker of `packyard serve` (issue 20 item 4): `count` slots, each claiming jobs
 * through the same queue code as agents (queue.ts's claimJob) as `worker:<uuid>`, with no labels and no
 * user build steps (`runsSteps: false`: a job with steps waits for an agent). For a claimed job a slot
 *
 * 1. renews the lease by heartbeats; one answering `cancel` stops the job (reported CANCELLED, nothing
 *    stored), one refused with STALE_ATTEMPT (the lease was lost) drops it without another call;
 * 2. copies every source blob of the build from storage into a fresh work folder, under its access name,
 *    checking its sha256 (SOURCE_MISMATCH, retried);
 * 3. writes the package in a worker thread (build-thread.ts: the agent's buildUnsigned), so the server
 *    keeps answering requests; the formats library refusing the config is BUILD_FAILED, not retried;
 * 4. stores the package as a blob (as the agent API's artifact upload does), records it as the attempt's
 *    upload, checks it (ARTIFACT_INVALID, not retried), completes the job and publishes it
 *    (job-publish.ts's publishJob, once per job in the process).
 *
 * Infrastructure failures (storage, the thread dying) are AGENT_ERROR / UPLOAD_FAILED with a retry. What
 * an agent would write to the build's log (fetching, building, built, failed) the worker writes as
 * `system` lines (logs.ts's systemLog); the queue writes the state changes itself.
 *
 * `stop()` stops claiming at once (an idle slot wakes), lets a running job finish — its package build
 * is not interrupted (a thread is not torn down mid-compression), its upload, completion and publish run
 * — and resolves when every slot and publish has ended.
 */
import { createHash, randomUUID } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import type { PackageInfo } from "@packyard/formats";
import type { Storage } from "@packyard/repo";
import type { UnsignedBuild } from "../agent/execute.ts";
import type { AppConfig, Clock } from "../app/deps.ts";
import type { Db } from "../db/db.ts";
import { isServerError } from "../errors.ts";
import type { MasterKey } from "../keys/master-key.ts";
import { blobKey, DEFAULT_UPLOAD_LIMIT, discard, stageUpload } from "../uploads/blob-store.ts";
import { storeJobUpload } from "../uploads/job-upload.ts";
import {
  BUILD_THREAD_KIND,
  type BuildThreadAnswer,
  type BuildThreadJob,
  type BuildThreadReply,
  type BuildThreadRequest,
} from "./build-thread.ts";
import { checkJobArtifact, type JobPublishDeps, jobToPublish, publishJob } from "./job-publish.ts";
import { systemLog } from "./logs.ts";
import {
  type ClaimedJob,
  type Claimant,
  claimJob,
  completeJob,
  DEFAULT_LEASE_MS,
  failJob,
  HEARTBEAT_EVERY_MS,
  heartbeat,
  type JobFailure,
  type QueueOptions,
} from "./queue.ts";

/** Where the worker reports what it does (a pino logger fits). */
export interface WorkerLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** What the worker needs: the app's dependencies. */
export interface WorkerDeps {
  db: Db;
  storage: Storage;
  masterKey: MasterKey;
  clock: Clock;
  config: AppConfig;
  logger: WorkerLogger;
}

/** Options of {@link startWorkers}. */
export interface WorkerOptions {
  /** Slots: jobs run side by side (0 starts none). */
  count: number;
  /** Lease and backoff of claims, heartbeats and failures (the server's queue options). */
  queue?: QueueOptions;
  /** Folder of the jobs' work folders (`job-<id>-<attempt>`, created 0700, removed after each job). */
  workRoot: string;
  /** Heartbeat interval (default: a quarter of the lease, at most {@link HEARTBEAT_EVERY_MS}). */
  heartbeatMs?: number;
  /** Wait between claims while idle: a random time in [min, max] ms (default 1000–2000). */
  idleMs?: { min: number; max: number };
  /**
   * Called (and awaited before its result is used) when a job's build thread is online, with the
   * thread's id; tests use it to show the main thread answers requests while a package is written.
   */
  onBuildThread?: (job: { jobId: number; attempt: number; threadId: number }) => Promise<void> | void;
}

/** Running workers. */
export interface Workers {
  /** Stops claiming, lets running jobs finish (built, stored, completed, published), then resolves. */
  stop(): Promise<void>;
  /** What the slots did so far. */
  readonly stats: WorkerStats;
}

export interface WorkerStats {
  claimed: number;
  succeeded: number;
  failed: number;
  /** Jobs dropped because their lease was lost (STALE_ATTEMPT). */
  lost: number;
}

/** An access name as uploads accept it (one path segment, never `.` or `..`). */
const ACCESS_NAME = /^[A-Za-z0-9._-]{1,128}$/;

// The thread is a sibling module: `.ts` when running the sources (tests), `.js` in the emitted build.
const THREAD_URL = new URL(
  import.meta.url.endsWith(".ts") ? "./build-thread.ts" : "./build-thread.js",
  import.meta.url,
);

/** A failure of the attempt with its job failure code. */
class Failure extends Error {
  readonly code: string;
  readonly retry: boolean;
  constructor(code: string, message: string, retry: boolean) {
    super(message);
    this.code = code;
    this.retry = retry;
  }
}

/** Why a running job stops early. */
type StopReason = "cancel" | "lost";

/**
 * Starts `count` worker slots claiming jobs from the queue. Resolves nothing; call `stop()` before the
 * database closes.
 *
 * @example const workers = startWorkers(deps, { count: 1, workRoot: join(dataDir, "work") }); … await workers.stop();
 */
export function startWorkers(deps: WorkerDeps, options: WorkerOptions): Workers {
  const { db, storage, logger } = deps;
  const count = options.count;
  if (!Number.isInteger(count) || count < 0)
    throw new RangeError(`count: expected a whole number of worker slots, found ${count}`);
  const queue = options.queue ?? {};
  const leaseMs = queue.leaseMs ?? DEFAULT_LEASE_MS;
  const heartbeatMs =
    options.heartbeatMs ?? Math.max(1, Math.min(HEARTBEAT_EVERY_MS, Math.floor(leaseMs / 4)));
  const idle = options.idleMs ?? { min: 1000, max: 2000 };
  const limitBytes = deps.config.uploadLimitBytes ?? DEFAULT_UPLOAD_LIMIT;
  const publishDeps: JobPublishDeps = {
    db,
    storage,
    masterKey: deps.masterKey,
    clock: deps.clock,
    config: deps.config,
    logger,
  };
  const stats: WorkerStats = { claimed: 0, succeeded: 0, failed: 0, lost: 0 };
  const stopping = new AbortController();
  const publishing = new Set<Promise<void>>();

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      if (stopping.signal.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        stopping.signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      stopping.signal.addEventListener("abort", done, { once: true });
    });
  const idleWait = () => sleep(idle.min + Math.random() * Math.max(0, idle.max - idle.min));

  const slot = async (claimant: Claimant): Promise<void> => {
    const thread = new BuildThread();
    try {
      await claimLoop(claimant, thread);
    } finally {
      await thread.close();
    }
  };

  const claimLoop = async (claimant: Claimant, thread: BuildThread): Promise<void> => {
    while (!stopping.signal.aborted) {
      let claimed: ClaimedJob | undefined;
      try {
        claimed = await claimJob(db, claimant, queue);
      } catch (err) {
        logger.error({ err, worker: claimant.owner }, "claiming a build job failed; trying again");
        await idleWait();
        continue;
      }
      if (claimed === undefined) {
        await idleWait();
        continue;
      }
      stats.claimed++;
      try {
        stats[await runJob(claimant.owner, claimed, thread)]++;
      } catch (err) {
        // A bug here must not stop the slot; the lease runs out and the reaper retries the job.
        stats.failed++;
        logger.error({ err, jobId: claimed.jobId }, "the build worker failed on a job");
      }
    }
  };

  /** Runs one claimed job to its outcome; never throws for the job's own failures. */
  async function runJob(
    owner: string,
    c: ClaimedJob,
    thread: BuildThread,
  ): Promise<"succeeded" | "failed" | "lost"> {
    const { jobId, attempt, buildId } = c;
    const tag = { jobId, attempt, buildId, format: c.format, arch: c.arch, worker: owner };
    logger.info(tag, "build job claimed by the in-process worker");
    const note = (text: string): Promise<void> =>
      systemLog(db, buildId, jobId, attempt, text).then(
        () => undefined,
        (err: unknown) => logger.warn({ ...tag, err }, "writing a build log line failed"),
      );

    // Heartbeats from the claim until the outcome is recorded.
    let why: StopReason | undefined;
    const ended = new AbortController();
    let lastRenewed = Date.now();
    const beats = (async () => {
      while (!ended.signal.aborted) {
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(t);
            ended.signal.removeEventListener("abort", done);
            resolve();
          };
          const t = setTimeout(done, heartbeatMs);
          ended.signal.addEventListener("abort", done, { once: true });
        });
        if (ended.signal.aborted) return;
        try {
          const hb = await heartbeat(db, jobId, attempt, queue);
          lastRenewed = Date.now();
          if (hb.cancel && why === undefined) {
            why = "cancel";
            logger.info(tag, "build job cancelled; it stops after the current step");
          }
        } catch (err) {
          if (isServerError(err, "STALE_ATTEMPT") || isServerError(err, "NOT_FOUND")) {
            why = "lost";
            logger.warn({ ...tag, err }, "the build job's lease is lost; dropping it");
            return;
          }
          logger.warn({ ...tag, err }, "a build job heartbeat failed");
          if (Date.now() - lastRenewed > leaseMs) {
            why = "lost";
            return;
          }
        }
      }
    })();
    const stopped = (): void => {
      if (why === "cancel") throw new Failure("CANCELLED", "the build was cancelled", false);
      if (why === "lost") throw new Failure("LOST", "the lease was lost", false);
    };

    const name = `job-${jobId}-${attempt}`;
    const work = join(options.workRoot, name);
    const out = join(options.workRoot, `${name}.out`);
    try {
      let failure: JobFailure | undefined;
      let checked: PackageInfo | undefined;
      try {
        const { rows } = await db.query<{
          version: string;
          config: string;
          sources: { accessName: string; sha256: string; size: number }[];
          source_date_epoch: number;
        }>("SELECT version, config, sources, source_date_epoch FROM builds WHERE id = $1", [buildId]);
        const build = rows[0];
        if (build === undefined) throw new Failure("AGENT_ERROR", `build ${buildId} is gone`, false);
        await mkdir(options.workRoot, { recursive: true, mode: 0o700 });
        await rm(work, { recursive: true, force: true });
        await rm(out, { recursive: true, force: true });
        await mkdir(work, { mode: 0o700 });
        await mkdir(out, { mode: 0o700 });
        for (const source of build.sources) {
          stopped();
          await note(`copying source ${source.accessName} (${Number(source.size)} bytes)`);
          await copySource(storage, source, work);
        }
        stopped();
        await note(`building the ${c.format} package for ${c.arch} (in-process worker)`);
        const built = await thread.run(
          {
            configText: build.config,
            baseDir: work,
            packager: c.format,
            version: build.version,
            arch: c.arch,
            date: Number(build.source_date_epoch),
            outDir: out,
          },
          (threadId) => options.onBuildThread?.({ jobId, attempt, threadId }),
        );
        if (!built.ok) throw new Failure(built.code, built.message, built.retry);
        await note(`built ${built.fileName} (${built.size} bytes, sha256 ${built.sha256})`);
        stopped();
        await store(built, c);
        stopped();
        const job = await jobToPublish(db, jobId);
        if (job === undefined) throw new Failure("AGENT_ERROR", `job ${jobId} is gone`, false);
        try {
          checked = await checkJobArtifact(publishDeps, job);
        } catch (e) {
          if (isServerError(e, "ARTIFACT_INVALID")) throw new Failure("ARTIFACT_INVALID", e.message, false);
          throw e;
        }
      } catch (e) {
        if (e instanceof Failure) {
          if (e.code === "LOST") return "lost";
          failure = { code: e.code, message: e.message, retry: e.retry };
        } else if (isServerError(e, "STALE_ATTEMPT")) {
          return "lost";
        } else {
          failure = {
            code: "AGENT_ERROR",
            message: `the in-process worker failed: ${(e as Error).message ?? String(e)}`,
            retry: true,
          };
        }
      }
      if (why === "lost") return "lost";
      if (why === "cancel" && failure === undefined)
        failure = { code: "CANCELLED", message: "the build was cancelled", retry: false };
      if (failure !== undefined) {
        if (failure.message.length > 4000) failure.message = `${failure.message.slice(0, 4000)}…`;
        if (failure.code !== "CANCELLED") await note(`failed: ${failure.code}: ${failure.message}`);
        try {
          const state = await failJob(db, jobId, attempt, failure, queue);
          logger.info({ ...tag, code: failure.code, state }, "build job failed");
        } catch (err) {
          if (isServerError(err, "STALE_ATTEMPT")) return "lost";
          throw err;
        }
        return "failed";
      }
      let state: string;
      try {
        state = await completeJob(db, jobId, attempt);
      } catch (err) {
        if (isServerError(err, "STALE_ATTEMPT")) return "lost";
        throw err;
      }
      if (state === "publishing") {
        const run = publishJob(publishDeps, jobId, checked)
          .catch((err: unknown) => logger.error({ ...tag, err }, "recording a job's publish outcome failed"))
          .finally(() => publishing.delete(run));
        publishing.add(run);
      }
      logger.info({ ...tag, state }, "build job done");
      return state === "cancelled" ? "failed" : "succeeded";
    } finally {
      ended.abort();
      await beats;
      await rm(work, { recursive: true, force: true }).catch(() => undefined);
      await rm(out, { recursive: true, force: true }).catch(() => undefined);
    }
  }

  /** Stores the built package as a blob and records it as the attempt's upload (UPLOAD_FAILED, retried). */
  async function store(built: { file: string; fileName: string; sha256: string }, c: ClaimedJob) {
    let staged: Awaited<ReturnType<typeof stageUpload>> | undefined;
    try {
      staged = await stageUpload(storage, createReadStream(built.file), {
        limitBytes,
        declaredSha256: built.sha256,
      });
      // The blob row and the job's upload in one transaction, as the agents' artifact route records them.
      await storeJobUpload(
        { db, storage, clock: deps.clock },
        { jobId: c.jobId, attempt: c.attempt, fileName: built.fileName },
        staged,
      );
    } catch (e) {
      if (isServerError(e, "STALE_ATTEMPT")) throw e;
      throw new Failure(
        "UPLOAD_FAILED",
        `storing ${built.fileName} failed: ${(e as Error).message ?? String(e)}`,
        true,
      );
    } finally {
      if (staged !== undefined) await discard(storage, staged.tmpKey);
    }
  }

  const slots = Array.from({ length: count }, () =>
    slot({ owner: `worker:${randomUUID()}`, agentId: null, projectId: null, labels: [], runsSteps: false }),
  );
  let stopped: Promise<void> | undefined;
  return {
    stats,
    stop(): Promise<void> {
      stopped ??= (async () => {
        stopping.abort();
        await Promise.allSettled(slots);
        while (publishing.size > 0) await Promise.allSettled([...publishing]);
      })();
      return stopped;
    },
  };
}

/** Copies one source blob to `<work>/<accessName>`, hashing it: other bytes are SOURCE_MISMATCH (retried). */
async function copySource(
  storage: Storage,
  source: { accessName: string; sha256: string; size: number },
  work: string,
): Promise<void> {
  if (!ACCESS_NAME.test(source.accessName) || source.accessName === "." || source.accessName === "..")
    throw new Failure(
      "AGENT_ERROR",
      `source access name ${JSON.stringify(source.accessName)} is not one path segment of A-Z a-z 0-9 . _ -`,
      false,
    );
  const body = await storage.get(blobKey(source.sha256));
  if (body === undefined)
    throw new Failure(
      "AGENT_ERROR",
      `source ${source.accessName}: expected the blob ${source.sha256} in ${storage.description}, found none`,
      true,
    );
  const hash = createHash("sha256");
  let size = 0;
  const file = createWriteStream(join(work, source.accessName), { flags: "wx", mode: 0o644 });
  try {
    for await (const chunk of body) {
      hash.update(chunk);
      size += chunk.length;
      if (!file.write(chunk)) await new Promise<void>((resolve) => file.once("drain", resolve));
    }
  } finally {
    await new Promise<void>((resolve, reject) => {
      file.once("error", reject);
      file.end(resolve);
    });
  }
  const sha256 = hash.digest("hex");
  if (sha256 !== source.sha256 || size !== Number(source.size))
    throw new Failure(
      "SOURCE_MISMATCH",
      `source ${source.accessName}: expected sha256 ${source.sha256} (${source.size} bytes), read sha256 ${sha256} (${size} bytes) from ${storage.description}`,
      true,
    );
}

/** A slot's build thread (build-thread.ts), started on first use and kept for the slot's next jobs. */
class BuildThread {
  #thread: Worker | undefined;
  #next = 0;

  /**
   * Writes the package in the thread and resolves with its answer. A thread that dies without one (an
   * uncaught error, out of memory) is AGENT_ERROR, retried; the next job starts a new thread.
   */
  run(build: UnsignedBuild, onThread: (threadId: number) => Promise<void> | void): Promise<BuildThreadReply> {
    if (this.#thread === undefined) {
      const request: BuildThreadRequest = { kind: BUILD_THREAD_KIND };
      this.#thread = new Worker(THREAD_URL, { workerData: request });
      // Idle between jobs, it must not keep the process alive.
      this.#thread.unref();
    }
    const thread = this.#thread;
    const id = ++this.#next;
    const died = (why: string): BuildThreadReply => ({
      ok: false,
      code: "AGENT_ERROR",
      message: `the build thread ${why}`,
      retry: true,
    });
    const answer = new Promise<BuildThreadReply>((resolve) => {
      const onMessage = (m: BuildThreadAnswer) => {
        if (m.id !== id) return;
        off();
        resolve(m.reply);
      };
      const onError = (e: Error) => {
        off();
        this.#drop(thread);
        resolve(died(`failed: ${e.message}`));
      };
      const onExit = (code: number) => {
        off();
        this.#drop(thread);
        resolve(died(`exited (code ${code}) without an answer`));
      };
      const off = () => {
        thread.off("message", onMessage);
        thread.off("error", onError);
        thread.off("exit", onExit);
      };
      thread.on("message", onMessage);
      thread.on("error", onError);
      thread.on("exit", onExit);
    });
    const job: BuildThreadJob = { id, build };
    // Referenced while it writes a package, unreferenced while idle.
    thread.ref();
    void answer.then(() => thread.unref());
    thread.postMessage(job);
    return Promise.resolve(onThread(thread.threadId))
      .catch(() => undefined)
      .then(() => answer);
  }

  #drop(thread: Worker): void {
    if (this.#thread === thread) this.#thread = undefined;
    void thread.terminate();
  }

  /** Ends the thread (the slot stops). */
  async close(): Promise<void> {
    const thread = this.#thread;
    this.#thread = undefined;
    if (thread !== undefined) await thread.terminate();
  }
}
