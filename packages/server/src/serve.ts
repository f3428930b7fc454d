/**
 * `packyard serve`'s start and stop, behind the CLI command: the order matters, so a server started on the
 * wrong master key changes nothing.
 *
 * 1. lock the data folder (DATA_DIR_LOCKED when another server holds it);
 * 2. the master key provider (PACKYARD_MASTER_KEY / _FILE, else `<data>/master.key`, created only in a new
 *    data folder: one without a database or key yet);
 * 3. open the database (DATABASE_URL: PostgreSQL, else PGlite in `<data>/db`);
 * 4. check the key without writing, migrate, then record or check the key again;
 * 5. storage (PACKYARD_STORAGE=s3://…, else `<data>/storage`);
 * 6. first start: the admin user and a token, printed once outside the logger (or written 0600 to a file);
 * 7. listen; then the builds machinery: the in-process build workers (`workers`), the reaper of expired
 *    leases, the resumption of publishes a stopped server left in `publishing` (in the background), the
 *    hourly retention of finished builds and their logs (`logRetentionDays`).
 * 8. `close()` stops accepting, lets requests in flight finish up to a deadline, lets the workers' running
 *    jobs finish and their publishes end, stops the reaper and the timers, then closes the database and
 *    releases the lock.
 *
 * Billing (issue 21): `plansFile` (`--plans`) is read and checked first, before anything else starts (a bad
 * file stops the start with INVALID_CONFIG naming file, plan and field); PACKYARD_BILLING_WEBHOOK_SECRET
 * (comma-separated while rotating) holds the billing webhook's secrets (an environment variable, never a
 * flag: secrets stay out of process lists). Storage use is computed from the rows at every check
 * (billing/entitlements.ts), so no periodic recount runs.
 *
 * Build tuning from the environment (tests shorten both): PACKYARD_BUILD_LEASE_MS (lease of claims and
 * heartbeats, default 60000) and PACKYARD_BUILD_HEARTBEAT_MS (the workers' heartbeat interval, default a
 * quarter of the lease, at most 15000). PACKYARD_TEST_PAUSE_AFTER_WRITES=k (tests only) pauses every write
 * to the hosted repositories after the k-th (builds/test-pause.ts); with PACKYARD_TEST_PAUSE_MATCH=<regexp>,
 * after the k-th whose key matches.
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { folderStorage, type S3Credentials, type Storage, storageFromUrl } from "@packyard/repo";
import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import { SCOPES, issueToken } from "./accounts/tokens.ts";
import { reindexRepositories } from "./repos/reindex.ts";
import { collectBlobs } from "./uploads/gc.ts";
import { createUser } from "./accounts/users.ts";
import { type BuildOptions, type BuildsOptions, buildApp } from "./app/app.ts";
import { registerAgent, revokeAgent } from "./builds/agents.ts";
import { resumePublishing } from "./builds/job-publish.ts";
import { pruneBuilds } from "./builds/logs.ts";
import { DEFAULT_LEASE_MS, type QueueOptions, startReaper } from "./builds/queue.ts";
import { startWorkers } from "./builds/worker.ts";
import { type AppConfig, type Clock, systemClock } from "./app/deps.ts";
import { serverLogger } from "./app/logger.ts";
import { lockDataDir } from "./data-lock.ts";
import type { Db } from "./db/db.ts";
import { migrate } from "./db/migrate.ts";
import { openPglite } from "./db/pglite.ts";
import { openPostgres } from "./db/postgres.ts";
import { verifyMasterKey } from "./keys/key-check.ts";
import { keyProviderFromEnv, MASTER_KEY_FILE } from "./keys/master-key.ts";
import { ServerError } from "./errors.ts";
import { loadPlansFile, type Plans } from "./billing/plans.ts";

/** Objects younger than this are not collected (an upload in flight has its object before its row). */
const SWEEP_GRACE_MS = 24 * 3600_000;
/** How often unreferenced uploads are collected. */
const SWEEP_EVERY_MS = 6 * 3600_000;
/** How often finished builds past the retention are deleted. */
const PRUNE_EVERY_MS = 3600_000;
/** Default retention of finished builds and their logs, in days. */
export const DEFAULT_LOG_RETENTION_DAYS = 30;
/** Name of the in-process workers' work folder inside the data folder. */
export const WORK_DIR = "work";

/** Options of {@link startServer}. */

export interface ServeOptions {
  /** The data folder (default `./packyard-data`): lock, PGlite database, fs storage, master.key. */
  dataDir: string;
  /** Address to listen on (default 127.0.0.1). */
  host?: string;
  /** Port (default 8080; 0 picks a free one). */
  port?: number;
  /** The environment: DATABASE_URL, PACKYARD_STORAGE and PACKYARD_S3_*, AWS_*, PACKYARD_MASTER_KEY(_FILE). */
  env: Readonly<Record<string, string | undefined>>;
  /** Server settings (allowSignup, metricsPublic, publicUrl). */
  config?: AppConfig;
  /** Write the first admin token to this file (0600) instead of printing it. */
  adminTokenFile?: string;
  /**
   * Rebuild the repositories' rows from the repository states in storage before listening (`--reindex`):
   * the states are authoritative, the rows an index of them.
   */
  reindex?: boolean;
  /** Prints lines for the operator (the URL; the first admin token), outside the logger. */
  print(text: string): void;
  /** The logger (default: pino JSON on stdout, info level). */
  logger?: Logger;
  clock?: Clock;
  /** How long `close()` waits for requests in flight before it cuts connections (default 30 s). */
  shutdownTimeoutMs?: number;
  /** Delay before the first collection of unreferenced uploads (default 60 s; tests shorten it). */
  sweepDelayMs?: number;
  /** What relative paths are relative to (default: the working directory). */
  cwd?: string;
  /** More app plugins (see {@link BuildOptions}). */
  plugins?: BuildOptions["plugins"];
  /** In-process build worker slots (default 1; 0: none, every job waits for an agent). */
  workers?: number;
  /** Settings of the builds plugins (passed to buildApp; the environment's lease fills the agents' queue). */
  builds?: BuildsOptions;
  /** Finished builds (and their logs) older than this many days are deleted, but for each package's last succeeded and last failed (default 30). */
  logRetentionDays?: number;
  /** The plans file (`--plans`, billing/plans.ts; relative to `cwd`); absent: every account is unlimited. */
  plansFile?: string;
}

/** The billing webhook's secrets from PACKYARD_BILLING_WEBHOOK_SECRET (comma-separated; blanks dropped). */
export function billingSecretsFromEnv(env: ServeOptions["env"]): string[] {
  return (env.PACKYARD_BILLING_WEBHOOK_SECRET ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

/** A listening server. */
export interface RunningServer {
  /** `http://host:port`, the address it listens on. */
  url: string;
  app: FastifyInstance;
  /** Stops: no new connections, requests in flight finish (up to the deadline), database closed, lock released. */
  close(): Promise<void>;
  /**
   * Registers a shared build agent named `local-<random>` for a local agent process (`--local-agent`),
   * created by the first administrator; returns its token (shown this once). The agent is revoked when
   * the server closes.
   */
  registerLocalAgent(): Promise<{ id: number; name: string; token: string }>;
}

/** Name of the database folder inside the data folder. */
export const DB_DIR = "db";
/** Name of the storage folder inside the data folder. */
export const STORAGE_DIR = "storage";

/** S3 credentials from the environment, or undefined to let the SDK's own chain find them. */
function envCredentials(env: ServeOptions["env"]): S3Credentials | undefined {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || secretAccessKey === undefined) return undefined;
  const sessionToken = env.AWS_SESSION_TOKEN;
  return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
}

/**
 * The storage the environment names: PACKYARD_STORAGE (`s3://bucket/prefix` or a folder, parsed by
 * @packyard/repo's storageFromUrl as `packyard publish --to` is) with PACKYARD_S3_ENDPOINT,
 * PACKYARD_S3_REGION (else AWS_REGION), PACKYARD_S3_PATH_STYLE (`true`/`false`) and AWS credentials; unset:
 * `<data>/storage`.
 */
export function storageFromEnv(env: ServeOptions["env"], dataDir: string, cwd: string): Storage {
  const target = env.PACKYARD_STORAGE;
  if (target === undefined || target === "") return folderStorage(join(dataDir, STORAGE_DIR));
  const credentials = envCredentials(env);
  const region = env.PACKYARD_S3_REGION || env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined;
  const pathStyle = env.PACKYARD_S3_PATH_STYLE;
  return storageFromUrl(target, {
    cwd,
    ...(env.PACKYARD_S3_ENDPOINT ? { endpoint: env.PACKYARD_S3_ENDPOINT } : {}),
    ...(region !== undefined ? { region } : {}),
    ...(pathStyle === "true" || pathStyle === "1" ? { pathStyle: true } : {}),
    ...(pathStyle === "false" || pathStyle === "0" ? { pathStyle: false } : {}),
    ...(credentials !== undefined ? { credentials } : {}),
  });
}

/**
 * Creates the first admin (user `admin`, no password) and a token with every scope, when the database has
 * no administrator; returns the token, or undefined when there was one already.
 */
export async function bootstrapAdmin(db: Db, now: Date): Promise<string | undefined> {
  return db.transaction(async (tx) => {
    // Two servers starting on one empty PostgreSQL database: the second waits here and finds the first's admin.
    await tx.query("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE");
    const { rows } = await tx.query("SELECT 1 FROM users WHERE is_admin LIMIT 1");
    if (rows.length > 0) return undefined;
    const admin = await createUser(tx, { email: "admin@localhost", slug: "admin", isAdmin: true }, now);
    const { token } = await issueToken(
      tx,
      { userId: admin.id, name: "first admin token", scopes: SCOPES },
      now,
    );
    return token;
  });
}

/** A whole number of milliseconds from environment variable `name` (unset: undefined). */
function envMs(env: ServeOptions["env"], name: string, min: number): number | undefined {
  const text = env[name];
  if (text === undefined || text === "") return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < min)
    throw new ServerError(
      "INVALID_REQUEST",
      `Expected ${name} to be a whole number of milliseconds of at least ${min}, found ${JSON.stringify(text)}`,
      { field: name },
    );
  return value;
}

/** The build queue's tuning from the environment: PACKYARD_BUILD_LEASE_MS, PACKYARD_BUILD_HEARTBEAT_MS. */
export function buildTuningFromEnv(env: ServeOptions["env"]): { queue: QueueOptions; heartbeatMs?: number } {
  const leaseMs = envMs(env, "PACKYARD_BUILD_LEASE_MS", 100);
  const heartbeatMs = envMs(env, "PACKYARD_BUILD_HEARTBEAT_MS", 10);
  const lease = leaseMs ?? DEFAULT_LEASE_MS;
  if (heartbeatMs !== undefined && heartbeatMs >= lease)
    throw new ServerError(
      "INVALID_REQUEST",
      `Expected PACKYARD_BUILD_HEARTBEAT_MS (${heartbeatMs}) to be shorter than the lease (${lease} ms), found it is not`,
      { field: "PACKYARD_BUILD_HEARTBEAT_MS" },
    );
  return {
    queue: leaseMs !== undefined ? { leaseMs } : {},
    ...(heartbeatMs !== undefined ? { heartbeatMs } : {}),
  };
}

/** Starts `packyard serve`. Throws ServerError (DATA_DIR_LOCKED, MASTER_KEY_*, DB_*, migrations) before listening. */
export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const cwd = options.cwd ?? process.cwd();
  const dataDir = resolve(cwd, options.dataDir);
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? serverLogger();
  const env = options.env;
  const workerCount = options.workers ?? 1;
  if (!Number.isInteger(workerCount) || workerCount < 0)
    throw new RangeError(`workers: expected a whole number of build worker slots, found ${workerCount}`);
  const retentionDays = options.logRetentionDays ?? DEFAULT_LOG_RETENTION_DAYS;
  if (!Number.isFinite(retentionDays) || retentionDays <= 0)
    throw new RangeError(`logRetentionDays: expected a number of days above 0, found ${retentionDays}`);
  const tuning = buildTuningFromEnv(env);
  // Billing: the plans file is checked before anything starts.
  const plans: Plans | undefined =
    options.plansFile === undefined ? undefined : await loadPlansFile(resolve(cwd, options.plansFile));
  const billingSecrets = billingSecretsFromEnv(env);
  const cleanup: (() => Promise<void>)[] = [];
  const undo = async () => {
    for (const step of cleanup.reverse()) await step().catch(() => {});
  };
  try {
    await mkdir(dataDir, { recursive: true });
    const lock = await lockDataDir(dataDir, { now: clock.now() });
    cleanup.push(() => lock.release());

    const dbDir = join(dataDir, DB_DIR);
    const postgresUrl = env.DATABASE_URL || undefined;
    // A new data folder has neither a key nor a database; only then is a key made.
    const isNew =
      !existsSync(join(dataDir, MASTER_KEY_FILE)) && (postgresUrl !== undefined || !existsSync(dbDir));
    const provider = keyProviderFromEnv(env, { dataDir, createInDataDir: isNew });
    const masterKey = await provider.load();

    const db: Db =
      postgresUrl !== undefined
        ? await openPostgres({
            connectionString: postgresUrl,
            onIdleError: (e) => logger.warn({ err: e }, "idle database connection failed"),
          })
        : await openPglite({ dataDir: dbDir });
    cleanup.push(() => db.close());
    await verifyMasterKey(db, masterKey, clock.now(), { record: false });
    await migrate(db);
    await verifyMasterKey(db, masterKey, clock.now());

    let storage = storageFromEnv(env, dataDir, cwd);
    const pauseAfter = env.PACKYARD_TEST_PAUSE_AFTER_WRITES;
    if (pauseAfter !== undefined && pauseAfter !== "") {
      // Test-only: loaded only when asked for.
      const { pausingStorage } = await import("./builds/test-pause.ts");
      const match = env.PACKYARD_TEST_PAUSE_MATCH;
      storage = pausingStorage(storage, Number(pauseAfter), {
        ...(match === undefined || match === "" ? {} : { match: new RegExp(match) }),
      });
      logger.warn(
        { afterWrites: Number(pauseAfter), match },
        "test pause point: repository writes stop after this many",
      );
    }
    const adminToken = await bootstrapAdmin(db, clock.now());
    if (options.reindex === true) {
      const r = await reindexRepositories(db, storage, clock.now());
      logger.info(
        { repositories: r.repositories.map((x) => `${x.project}/${x.name}`), orphans: r.orphans },
        "reindexed repositories from storage",
      );
      options.print(
        `packyard serve: reindexed ${r.repositories.length} ${r.repositories.length === 1 ? "repository" : "repositories"} from storage${r.orphans.length > 0 ? `; ${r.orphans.length} without a project in the database, left alone: ${r.orphans.join(", ")}` : ""}\n`,
      );
    }

    // The app reads its settings when it answers; the public URL defaults to the address it listens on
    // (known once it listens), so install text and links work with no --public-url.
    const config: AppConfig = {
      ...(plans === undefined ? {} : { plans }),
      ...(billingSecrets.length === 0 ? {} : { billingWebhookSecrets: billingSecrets }),
      ...options.config,
    };
    // The agents' claims and heartbeats use the environment's lease unless the options set one.
    const builds: BuildsOptions = {
      ...options.builds,
      agents: {
        ...options.builds?.agents,
        queue: { ...tuning.queue, ...options.builds?.agents?.queue },
      },
    };
    const queue = builds.agents!.queue!;
    const app = await buildApp(
      { db, storage, masterKey, clock, logger, config },
      { builds, ...(options.plugins === undefined ? {} : { plugins: options.plugins }) },
    );
    const closeApp = () => app.close();
    cleanup.push(closeApp);
    const host = options.host ?? "127.0.0.1";
    await app.listen({ host, port: options.port ?? 8080 });
    const address = app.server.address();
    const port = typeof address === "object" && address !== null ? address.port : (options.port ?? 8080);
    const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
    logger.info({ url, database: db.kind, storage: storage.description, key: provider.source }, "listening");
    // One print, after the token file is written: whoever waits for the URL line finds everything done.
    const explicitUrl = config.publicUrl;
    config.publicUrl ??= url;
    let lines = `packyard serve: listening on ${url}${explicitUrl !== undefined ? ` (public URL ${explicitUrl})` : ""}\n`;
    if (adminToken !== undefined) {
      if (options.adminTokenFile !== undefined) {
        const file = resolve(cwd, options.adminTokenFile);
        await writeFile(file, `${adminToken}\n`, { mode: 0o600 });
        await chmod(file, 0o600);
        lines += `packyard serve: first start; the admin token was written to ${file}\n`;
      } else {
        lines += `packyard serve: first start; admin token (shown once, store it now):\n${adminToken}\n`;
      }
    }
    options.print(lines);

    // Unreferenced blobs (a deleted package's or project's files), orphan objects and abandoned temporary
    // uploads are collected a minute after the start and then every six hours; objects younger than a day
    // are kept (an upload in flight has no row yet).
    let sweeping: Promise<void> | undefined;
    const sweep = (): void => {
      sweeping ??= collectBlobs(db, storage, { graceMs: SWEEP_GRACE_MS, now: clock.now() })
        .then(
          (r) => {
            const removed = r.blobs.length + r.orphans.length + r.temporaries.length;
            if (removed > 0)
              logger.info(
                { blobs: r.blobs.length, orphans: r.orphans.length, temporaries: r.temporaries.length },
                "collected unreferenced uploads",
              );
          },
          (e: unknown) => logger.warn({ err: e }, "collecting unreferenced uploads failed; retried later"),
        )
        .finally(() => {
          sweeping = undefined;
        });
    };
    const first = setTimeout(sweep, options.sweepDelayMs ?? 60_000);
    const every = setInterval(sweep, SWEEP_EVERY_MS);
    first.unref();
    every.unref();
    cleanup.push(async () => {
      clearTimeout(first);
      clearInterval(every);
      await sweeping;
    });

    // Builds: the reaper takes back jobs whose lease expired (checked at least twice per lease), publishes
    // a stopped server left half-done are resumed, the workers claim, finished builds are pruned hourly.
    const leaseMs = queue.leaseMs ?? DEFAULT_LEASE_MS;
    const reaper = startReaper(db, {
      ...queue,
      everyMs: Math.min(5_000, Math.max(100, Math.floor(leaseMs / 2))),
      onReaped: (count) => logger.info({ count }, "took back build jobs whose lease expired"),
      onError: (err) => logger.warn({ err }, "taking back expired build jobs failed; tried again later"),
    });
    cleanup.push(() => reaper.stop());
    const publishDeps = { db, storage, masterKey, clock, config, logger };
    const resuming = resumePublishing(publishDeps).then(
      (count) => {
        if (count > 0) logger.info({ count }, "resumed publishing build jobs left in publishing");
      },
      (err: unknown) => logger.error({ err }, "resuming the publishes of build jobs failed"),
    );
    cleanup.push(() => resuming);
    const workers = startWorkers(publishDeps, {
      count: workerCount,
      queue,
      workRoot: join(dataDir, WORK_DIR),
      ...(tuning.heartbeatMs !== undefined ? { heartbeatMs: tuning.heartbeatMs } : {}),
    });
    cleanup.push(() => workers.stop());
    if (workerCount > 0) logger.info({ workers: workerCount }, "in-process build workers started");

    let pruning: Promise<void> | undefined;
    const prune = (): void => {
      pruning ??= pruneBuilds(db, { olderThanMs: retentionDays * 24 * 3600_000 })
        .then(
          (count) => {
            if (count > 0)
              logger.info({ builds: count, retentionDays }, "deleted finished builds past the retention");
          },
          (err: unknown) => logger.warn({ err }, "deleting old builds failed; tried again later"),
        )
        .finally(() => {
          pruning = undefined;
        });
    };
    const firstPrune = setTimeout(prune, options.sweepDelayMs ?? 60_000);
    const everyPrune = setInterval(prune, PRUNE_EVERY_MS);
    firstPrune.unref();
    everyPrune.unref();
    cleanup.push(async () => {
      clearTimeout(firstPrune);
      clearInterval(everyPrune);
      await pruning;
    });

    // Local agents (--local-agent) are revoked when the server stops: their tokens die with the process.
    const localAgents: { id: number; by: number }[] = [];
    const registerLocalAgent = async () => {
      const { rows } = await db.query<{ id: number }>(
        "SELECT id FROM users WHERE is_admin ORDER BY id LIMIT 1",
      );
      const by = rows[0]?.id;
      if (by === undefined)
        throw new ServerError(
          "NOT_FOUND",
          "Expected an administrator to register the local agent, found none",
        );
      const name = `local-${randomBytes(4).toString("hex")}`;
      const made = await registerAgent(db, { name, projectId: null, labels: [], createdBy: by }, clock.now());
      localAgents.push({ id: made.agent.id, by });
      logger.info({ agent: name, agentId: made.agent.id }, "registered the local build agent");
      return { id: made.agent.id, name, token: made.token };
    };
    cleanup.push(async () => {
      for (const a of localAgents.splice(0))
        await revokeAgent(db, null, a.id, a.by, clock.now()).catch((err: unknown) =>
          logger.warn({ err, agentId: a.id }, "revoking the local build agent failed"),
        );
    });

    let closing: Promise<void> | undefined;
    const close = (): Promise<void> => {
      closing ??= (async () => {
        // No new build jobs from here; a running one finishes (awaited below, before the database closes).
        void workers.stop();
        const deadline = options.shutdownTimeoutMs ?? 30_000;
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<void>((done) => {
          timer = setTimeout(() => {
            logger.warn(
              { deadlineMs: deadline },
              "requests still running at the shutdown deadline; closing their connections",
            );
            app.server.closeAllConnections();
            done();
          }, deadline);
        });
        // A keep-alive connection whose request ends during the drain turns idle after close() began, and
        // Node closes idle connections only when close() is called: without this, one such client held
        // the stop until the deadline.
        const idle = setInterval(() => app.server.closeIdleConnections(), 100);
        await Promise.race([app.close(), late]);
        clearInterval(idle);
        clearTimeout(timer);
        cleanup.splice(cleanup.indexOf(closeApp), 1); // app.close() ran
        await undo();
        logger.info("stopped");
      })();
      return closing;
    };
    return { url, app, close, registerLocalAgent };
  } catch (e) {
    await undo();
    throw e;
  }
}
