// The build job queue on both databases: claim order and capabilities, concurrent claims, leases and the
// reaper, attempts as fencing tokens, retries with backoff, cancellation, publishing, and the build state
// that follows the jobs. Builds and jobs are inserted with SQL; every time the queue writes comes from the
// database clock, so expectations about times compare database values with each other (a lease against the
// attempt's start written in the same transaction), never with this process's clock.
import assert from "node:assert/strict";
import { after, type TestContext, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import {
  backoffMs,
  buildStateOf,
  type Claimant,
  cancelBuild,
  claimJob,
  completeJob,
  failJob,
  failPublish,
  finishPublish,
  heartbeat,
  jobsPublishing,
  MAX_BACKOFF_MS,
  reapExpired,
  recordUpload,
  refreshBuildState,
  startReaper,
} from "../src/builds/queue.ts";
import { type Db, isServerError, migrate, type ServerError } from "../src/index.ts";
import { eachDb, type FreshDb } from "./dbs.ts";

const T0 = Date.UTC(2026, 11, 6, 12, 0, 0);
const SHA = "c".repeat(64);

const worker: Claimant = { owner: "worker:w1", agentId: null, projectId: null, labels: [], runsSteps: false };

/** Rejects with a ServerError of `code`, optionally checking its data. */
function rejectsWith(code: string, data?: Record<string, unknown>): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(isServerError(e), `expected a ServerError ${code}, got ${String(e)}`);
    assert.equal((e as ServerError).code, code, (e as Error).message);
    for (const [k, v] of Object.entries(data ?? {})) assert.deepStrictEqual((e as ServerError).data[k], v, k);
    return true;
  };
}

/** Every call an attempt's holder makes is refused with STALE_ATTEMPT carrying `details`. */
async function allFenced(
  db: Db,
  jobId: number,
  attempt: number,
  details: Record<string, unknown>,
): Promise<void> {
  const stale = rejectsWith("STALE_ATTEMPT", details);
  await assert.rejects(heartbeat(db, jobId, attempt), stale);
  await assert.rejects(recordUpload(db, jobId, attempt, { sha256: SHA, fileName: "x.deb" }), stale);
  await assert.rejects(completeJob(db, jobId, attempt), stale);
  await assert.rejects(
    failJob(db, jobId, attempt, { code: "AGENT_ERROR", message: "late", retry: true }),
    stale,
  );
}

async function one<T>(db: Db, sql: string, params: unknown[] = []): Promise<T> {
  const { rows } = await db.query<T>(sql, params);
  assert.equal(rows.length, 1, `one row from ${sql}`);
  return rows[0]!;
}

interface Fixture {
  f: FreshDb;
  db: Db;
  /** Two projects, each with one package. */
  projects: { id: number; packageId: number }[];
}

/** A migrated schema with two projects, each with one package, and one blob. */
async function prepare(f: FreshDb): Promise<Fixture> {
  await migrate(f.db);
  const projects = [];
  for (const slug of ["alpha", "beta"]) {
    const { id } = await one<{ id: number }>(
      f.db,
      "INSERT INTO projects (slug, created_at) VALUES ($1, $2) RETURNING id",
      [slug, new Date(T0)],
    );
    const pkg = await one<{ id: number }>(
      f.db,
      `INSERT INTO packages (project_id, name, config, created_at, updated_at) VALUES ($1, 'hello', 'name: hello', $2, $2)
       RETURNING id`,
      [id, new Date(T0)],
    );
    projects.push({ id, packageId: pkg.id });
  }
  await f.db.query("INSERT INTO blobs (sha256, size, created_at) VALUES ($1, 10, $2)", [SHA, new Date(T0)]);
  return { f, db: f.db, projects };
}

/**
 * One schema per adapter for all of this file's tests (migrating costs seconds per schema on a busy
 * machine), emptied of builds, jobs, artifacts and agents before each test; tests run one at a time.
 */
function sharedFixture(
  fresh: (t: TestContext) => Promise<FreshDb | undefined>,
): (t: TestContext) => Promise<Fixture | undefined> {
  const closers: (() => unknown)[] = [];
  after(async () => {
    for (const close of closers.reverse()) await close();
  });
  let shared: Promise<Fixture | undefined> | undefined;
  return async (t) => {
    // The Dbs outlive the first test: their closing is moved to the end of the suite.
    const lasting = new Proxy(t, {
      get: (target, key) =>
        key === "after" ? (fn: () => unknown) => closers.push(fn) : Reflect.get(target, key, target),
    });
    shared ??= fresh(lasting).then((f) => (f === undefined ? undefined : prepare(f)));
    const fx = await shared;
    if (fx === undefined) {
      // Under CI=true the missing database fails the test instead (as the first test's set-up does).
      if (process.env.CI === "true") assert.fail("needs PostgreSQL (DATABASE_URL), which CI provides");
      t.skip("needs PostgreSQL (see the first test's skip reason)");
      return undefined;
    }
    await fx.db.exec("DELETE FROM builds; DELETE FROM releases; DELETE FROM agents;");
    return fx;
  };
}

let artifacts = 0;

/** An artifact row (and its release) of project 0's package, for finishPublish to point at. */
async function artifactRow(fx: Fixture, name: string): Promise<number> {
  const project = fx.projects[0]!;
  const release = await one<{ id: number }>(
    fx.db,
    `INSERT INTO releases (package_id, project_id, version, created_at) VALUES ($1, $2, $3, now())
     ON CONFLICT (package_id, version) DO UPDATE SET version = EXCLUDED.version RETURNING id`,
    [project.packageId, project.id, "1.0.0"],
  );
  const artifact = await one<{ id: number }>(
    fx.db,
    `INSERT INTO artifacts (release_id, project_id, format, name, version, arch, file_name, blob_sha256, info, created_at)
     VALUES ($1, $2, 'deb', $3, '1.0.0', 'amd64', $4, $5, '{}'::jsonb, now()) RETURNING id`,
    [release.id, project.id, name, `${name}_1.0.0_amd64.deb`, SHA],
  );
  return artifact.id;
}

interface JobSpec {
  format?: string;
  hasSteps?: boolean;
  labels?: string[];
  maxAttempts?: number;
  /** Seconds from now (database clock) before the job may be claimed. */
  delaySeconds?: number;
}

let created = 0;

/** A build of project `p` with one job per spec, created in order (distinct created_at, oldest first). */
async function insertBuild(
  fx: Fixture,
  p: number,
  specs: JobSpec[],
): Promise<{ buildId: number; jobs: number[] }> {
  const project = fx.projects[p]!;
  const { id: buildId } = await one<{ id: number }>(
    fx.db,
    `INSERT INTO builds (project_id, package_id, version, state, targets, config, source_date_epoch, created_at)
     VALUES ($1, $2, '1.0.0', 'pending', ARRAY['debian-12'], 'name: hello', 1700000000, $3) RETURNING id`,
    [project.id, project.packageId, new Date(T0)],
  );
  const jobs: number[] = [];
  for (const [i, s] of specs.entries()) {
    const { id } = await one<{ id: number }>(
      fx.db,
      `INSERT INTO jobs (build_id, project_id, format, arch, targets, has_steps, labels, state, max_attempts,
         run_after, created_at)
       VALUES ($1, $2, $3, 'amd64', ARRAY['debian-12'], $4, $5::text[], 'pending', $6,
         now() + $7 * interval '1 second', $8)
       RETURNING id`,
      [
        buildId,
        project.id,
        s.format ?? `f${i}`,
        s.hasSteps ?? false,
        s.labels ?? [],
        s.maxAttempts ?? 3,
        s.delaySeconds ?? 0,
        new Date(T0 + ++created * 1000),
      ],
    );
    jobs.push(id);
  }
  return { buildId, jobs };
}

interface JobView {
  state: string;
  attempt: number;
  lease_owner: string | null;
  cancel_requested: boolean;
  failure_code: string | null;
  upload_sha256: string | null;
  artifact_id: number | null;
  finished_at: Date | null;
}
const jobRow = (db: Db, id: number) =>
  one<JobView>(
    db,
    "SELECT state, attempt, lease_owner, cancel_requested, failure_code, upload_sha256, artifact_id, finished_at FROM jobs WHERE id = $1",
    [id],
  );
const buildRow = (db: Db, id: number) =>
  one<{ state: string; started_at: Date | null; finished_at: Date | null; cancel_requested_at: Date | null }>(
    db,
    "SELECT state, started_at, finished_at, cancel_requested_at FROM builds WHERE id = $1",
    [id],
  );
const attemptRows = (db: Db, jobId: number) =>
  db
    .query<{
      attempt: number;
      state: string;
      failure_code: string | null;
      lease_owner: string;
      agent_id: number | null;
    }>(
      "SELECT attempt, state, failure_code, lease_owner, agent_id FROM job_attempts WHERE job_id = $1 ORDER BY attempt",
      [jobId],
    )
    .then((r) => r.rows);

/** Expires a running job's lease now (database clock). */
const expire = (db: Db, jobId: number) =>
  db.query("UPDATE jobs SET lease_expires_at = now() - interval '1 second' WHERE id = $1", [jobId]);
/** Lets a pending job's backoff pass now. */
const due = (db: Db, jobId: number) =>
  db.query("UPDATE jobs SET run_after = now() - interval '1 second' WHERE id = $1", [jobId]);

/** Milliseconds between the job's run_after and the end of its last attempt (both written in one transaction). */
async function backoffOf(db: Db, jobId: number): Promise<number> {
  const r = await one<{ ms: number }>(
    db,
    `SELECT (extract(epoch FROM j.run_after - a.finished_at) * 1000)::float8 AS ms
     FROM jobs j JOIN job_attempts a ON a.job_id = j.id AND a.attempt = j.attempt WHERE j.id = $1`,
    [jobId],
  );
  return r.ms;
}

test("backoffMs doubles per attempt from the base, caps at 5 minutes and jitters within 50-100 %", () => {
  assert.equal(
    backoffMs(1, 5_000, () => 1),
    5_000,
  );
  assert.equal(
    backoffMs(1, 5_000, () => 0),
    2_500,
  );
  assert.equal(
    backoffMs(2, 5_000, () => 1),
    10_000,
  );
  assert.equal(
    backoffMs(3, 5_000, () => 0.5),
    15_000,
  ); // 20 s · 75 %
  assert.equal(
    backoffMs(7, 5_000, () => 1),
    300_000,
  ); // 320 s capped
  assert.equal(
    backoffMs(40, 5_000, () => 0),
    MAX_BACKOFF_MS / 2,
  );
  for (let i = 0; i < 200; i++) {
    const ms = backoffMs(2, 1_000);
    assert.ok(ms >= 1_000 && ms <= 2_000, String(ms));
  }
});

test("buildStateOf follows the jobs", () => {
  const j = (state: string, started = state !== "pending") =>
    ({ state, started }) as Parameters<typeof buildStateOf>[0][0];
  assert.equal(buildStateOf([j("pending"), j("pending")]), "pending");
  assert.equal(buildStateOf([j("pending", true), j("pending")]), "running"); // a retry waiting
  assert.equal(buildStateOf([j("succeeded"), j("pending")]), "running");
  assert.equal(buildStateOf([j("publishing"), j("running")]), "running");
  assert.equal(buildStateOf([j("publishing"), j("succeeded"), j("failed")]), "publishing");
  assert.equal(buildStateOf([j("succeeded"), j("succeeded")]), "succeeded");
  assert.equal(buildStateOf([j("succeeded"), j("cancelled"), j("failed")]), "failed");
  assert.equal(buildStateOf([j("succeeded"), j("cancelled", false)]), "cancelled");
});

eachDb((kind, fresh) => {
  const setup = sharedFixture(fresh);

  test("claims take the oldest job the claimant can run: steps, labels, project and run_after", async (t) => {
    const fx = await setup(t);
    if (fx === undefined) return;
    const alpha = fx.projects[0]!;
    const beta = fx.projects[1]!;
    const a = await insertBuild(fx, 0, [{ hasSteps: true }, { labels: ["arm"] }]);
    const c = await insertBuild(fx, 1, [{}]);
    const d = await insertBuild(fx, 0, [{ delaySeconds: 3600 }, {}]);
    const [stepsJob, armJob] = a.jobs as [number, number];
    const [otherProjectJob] = c.jobs as [number];
    const [laterJob, plainJob] = d.jobs as [number, number];

    // The in-process worker runs no steps and offers no labels, any project.
    const first = await claimJob(fx.db, worker, { leaseMs: 45_000 });
    assert.ok(first);
    assert.equal(first.jobId, otherProjectJob);
    assert.equal(first.buildId, c.buildId);
    assert.equal(first.projectId, beta.id);
    assert.equal(first.attempt, 1);
    assert.equal(first.format, "f0");
    assert.equal(first.arch, "amd64");
    assert.equal(first.environment, "native");
    assert.deepStrictEqual(first.targets, ["debian-12"]);
    assert.equal(first.hasSteps, false);
    assert.equal((await claimJob(fx.db, worker))?.jobId, plainJob);
    assert.equal(await claimJob(fx.db, worker), undefined);

    const lease = await one<{ ms: number; owner: string; state: string }>(
      fx.db,
      `SELECT (extract(epoch FROM j.lease_expires_at - a.started_at) * 1000)::float8 AS ms, j.lease_owner AS owner, a.state
       FROM jobs j JOIN job_attempts a ON a.job_id = j.id AND a.attempt = 1 WHERE j.id = $1`,
      [otherProjectJob],
    );
    assert.deepStrictEqual(lease, { ms: 45_000, owner: "worker:w1", state: "running" });
    const expiresAt = await one<{ lease_expires_at: Date }>(
      fx.db,
      "SELECT lease_expires_at FROM jobs WHERE id = $1",
      [otherProjectJob],
    );
    assert.deepStrictEqual(first.leaseExpiresAt, expiresAt.lease_expires_at);

    // beta's own agent sees only beta's jobs (all taken); alpha's agent with steps and the arm label takes
    // alpha's in order, never the one whose run_after is an hour away.
    const agentId = (
      await one<{ id: number }>(
        fx.db,
        "INSERT INTO agents (name, project_id, token_sha256, labels, created_at) VALUES ('a1', $1, $2, '{arm}', now()) RETURNING id",
        [alpha.id, new Uint8Array(32)],
      )
    ).id;
    const betaAgent: Claimant = {
      owner: "agent:9",
      agentId: null,
      projectId: beta.id,
      labels: ["arm"],
      runsSteps: true,
    };
    assert.equal(await claimJob(fx.db, betaAgent), undefined);
    const alphaAgent: Claimant = {
      owner: `agent:${agentId}`,
      agentId,
      projectId: alpha.id,
      labels: ["x", "arm"],
      runsSteps: true,
    };
    const byLabelsOnly: Claimant = { ...alphaAgent, labels: ["x"] };
    assert.equal((await claimJob(fx.db, byLabelsOnly))?.jobId, stepsJob);
    assert.equal(
      await claimJob(fx.db, byLabelsOnly),
      undefined,
      "a job labelled arm needs an agent offering arm",
    );
    assert.equal((await claimJob(fx.db, alphaAgent))?.jobId, armJob);
    assert.equal(await claimJob(fx.db, alphaAgent), undefined);
    assert.deepStrictEqual(await attemptRows(fx.db, armJob), [
      {
        attempt: 1,
        state: "running",
        failure_code: null,
        lease_owner: `agent:${agentId}`,
        agent_id: agentId,
      },
    ]);

    await due(fx.db, laterJob);
    assert.equal((await claimJob(fx.db, worker))?.jobId, laterJob);
    assert.equal((await buildRow(fx.db, d.buildId)).state, "running");
  });

  test("concurrent claimers on separate connections take every job exactly once", async (t) => {
    const fx = await setup(t);
    if (fx === undefined) return;
    const { jobs } = await insertBuild(fx, 0, [{}, {}, {}, {}, {}, {}]);
    // PostgreSQL: five pools of four connections, so the 20 claims really run at once.
    const dbs =
      kind === "postgres" ? [fx.db, ...(await Promise.all([1, 2, 3, 4].map(() => fx.f.open())))] : [fx.db];
    const claims = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        claimJob(dbs[i % dbs.length]!, { ...worker, owner: `worker:${i}` }),
      ),
    );
    const claimed = claims.filter((c) => c !== undefined);
    assert.equal(claimed.length, jobs.length);
    assert.deepStrictEqual(
      claimed.map((c) => c.jobId).sort((x, y) => x - y),
      jobs,
    );
    assert.ok(claimed.every((c) => c.attempt === 1));
    const { rows } = await fx.db.query<{ job_id: number; n: number }>(
      "SELECT job_id, count(*)::int AS n FROM job_attempts GROUP BY job_id ORDER BY job_id",
    );
    assert.deepStrictEqual(
      rows,
      jobs.map((job_id) => ({ job_id, n: 1 })),
    );
    // Each job's lease owner is the claimant that got it.
    for (const c of claimed) {
      const owner = claims.indexOf(c);
      assert.equal((await jobRow(fx.db, c.jobId)).lease_owner, `worker:${owner}`);
    }

    // The jobs finish at once: the last one to finish, whichever it is, makes the build succeeded.
    const first = await one<{ build_id: number }>(fx.db, "SELECT build_id FROM jobs WHERE id = $1", [
      jobs[0],
    ]);
    for (const id of jobs) await recordUpload(fx.db, id, 1, { sha256: SHA, fileName: `${id}.deb` });
    await Promise.all(jobs.map((id, i) => completeJob(dbs[i % dbs.length]!, id, 1)));
    assert.equal((await buildRow(fx.db, first.build_id)).state, "publishing");
    const artifactIds: number[] = [];
    for (const id of jobs) artifactIds.push(await artifactRow(fx, `c${id}`));
    await Promise.all(
      jobs.map((id, i) => finishPublish(dbs[i % dbs.length]!, id, { artifactId: artifactIds[i]! })),
    );
    assert.equal((await buildRow(fx.db, first.build_id)).state, "succeeded");

    // Claims racing a cancellation (a claim locks its job, then the build; a cancellation the build, then
    // its jobs): no error, no deadlock, and every job ends cancelled or running with the cancel requested.
    const racing = await insertBuild(fx, 0, [{}, {}, {}, {}, {}, {}]);
    const [raced] = await Promise.all([
      Promise.all(
        racing.jobs.map((_, i) => claimJob(dbs[i % dbs.length]!, { ...worker, owner: `worker:r${i}` })),
      ),
      cancelBuild(dbs[dbs.length - 1]!, racing.buildId),
    ]);
    const won = new Set(raced.filter((c) => c !== undefined).map((c) => c.jobId));
    for (const id of racing.jobs) {
      const row = await jobRow(fx.db, id);
      if (won.has(id)) assert.deepStrictEqual([row.state, row.cancel_requested], ["running", true]);
      else assert.equal(row.state, "cancelled"); // before its claim, or by a claim that found the build cancelled
    }
    for (const id of won)
      assert.equal(
        await failJob(fx.db, id, 1, { code: "CANCELLED", message: "stopped", retry: false }),
        "cancelled",
      );
    assert.equal((await buildRow(fx.db, racing.buildId)).state, "cancelled");
  });

  test("a reaped attempt is fenced off; the job comes back after its backoff as attempt 2", async (t) => {
    const fx = await setup(t);
    if (fx === undefined) return;
    const { buildId, jobs } = await insertBuild(fx, 0, [{}]);
    const jobId = jobs[0]!;
    const options = { leaseMs: 2_000, backoffBaseMs: 60_000 };
    const c1 = await claimJob(fx.db, worker, options);
    assert.equal(c1?.attempt, 1);

    // A heartbeat extends the lease from now and records itself on the attempt.
    const hb = await heartbeat(fx.db, jobId, 1, { leaseMs: 30_000 });
    assert.equal(hb.cancel, false);
    const renewed = await one<{ ms: number; lease: Date }>(
      fx.db,
      `SELECT (extract(epoch FROM j.lease_expires_at - a.heartbeat_at) * 1000)::float8 AS ms, j.lease_expires_at AS lease
       FROM jobs j JOIN job_attempts a ON a.job_id = j.id AND a.attempt = 1 WHERE j.id = $1`,
      [jobId],
    );
    assert.equal(renewed.ms, 30_000);
    assert.deepStrictEqual(hb.leaseExpiresAt, renewed.lease);
    assert.ok(hb.leaseExpiresAt > c1!.leaseExpiresAt);

    assert.equal(await reapExpired(fx.db, options), 0, "a live lease is not reaped");
    await expire(fx.db, jobId);
    assert.equal(await reapExpired(fx.db, options), 1);
    assert.equal(await reapExpired(fx.db, options), 0);
    const reaped = await jobRow(fx.db, jobId);
    assert.equal(reaped.state, "pending");
    assert.equal(reaped.lease_owner, null);
    assert.deepStrictEqual(
      (await attemptRows(fx.db, jobId)).map((a) => [a.attempt, a.state, a.failure_code]),
      [[1, "lost", "LEASE_LOST"]],
    );
    const wait = await backoffOf(fx.db, jobId);
    assert.ok(wait >= 30_000 && wait <= 60_000, `backoff ${wait} ms within 50-100 % of 60 s`);
    assert.equal(
      (await buildRow(fx.db, buildId)).state,
      "running",
      "a retry waiting keeps the build running",
    );

    const stale1 = { jobId, attempt: 1, current: 1 };
    await allFenced(fx.db, jobId, 1, stale1);

    assert.equal(await claimJob(fx.db, worker, options), undefined, "not before its backoff");
    await due(fx.db, jobId);
    const c2 = await claimJob(fx.db, { ...worker, owner: "worker:w2" }, options);
    assert.equal(c2?.attempt, 2);
    const stale2 = { jobId, attempt: 1, current: 2 };
    await allFenced(fx.db, jobId, 1, stale2);
    await assert.rejects(heartbeat(fx.db, jobId, 3), rejectsWith("STALE_ATTEMPT", { current: 2 }));
    await assert.rejects(heartbeat(fx.db, 999_999, 1), rejectsWith("NOT_FOUND"));
    assert.equal((await heartbeat(fx.db, jobId, 2)).cancel, false);
    await recordUpload(fx.db, jobId, 2, { sha256: SHA, fileName: "hello_1.0.0_amd64.deb" });
    assert.equal(await completeJob(fx.db, jobId, 2), "publishing");
    assert.equal((await jobRow(fx.db, jobId)).upload_sha256, SHA);

    // Every state change is a system line of the build's log, in order.
    const { rows: lines } = await fx.db.query<{ attempt: number; stream: string; text: string }>(
      "SELECT attempt, stream, text FROM job_logs WHERE build_id = $1 ORDER BY seq",
      [buildId],
    );
    assert.ok(lines.every((l) => l.stream === "system"));
    assert.deepStrictEqual(
      lines.map((l) => [l.attempt, l.text.replace(/retrying in [\d.]+ s/, "retrying in N s")]),
      [
        [1, "attempt 1 claimed by worker:w1"],
        [
          1,
          "attempt 1 lost its lease (worker:w1 stopped sending heartbeats); retrying in N s (attempt 2 of 3)",
        ],
        [2, "attempt 2 claimed by worker:w2"],
        [2, "attempt 2 succeeded with hello_1.0.0_amd64.deb; publishing"],
      ],
    );
  });

  test("a lease that runs out on the last attempt fails the job with LEASE_LOST; the reaper loop finds it", async (t) => {
    const fx = await setup(t);
    if (fx === undefined) return;
    const { buildId, jobs } = await insertBuild(fx, 0, [{ maxAttempts: 2 }]);
    const jobId = jobs[0]!;
    const options = { leaseMs: 300, backoffBaseMs: 60_000 };
    assert.equal((await claimJob(fx.db, worker, options))?.attempt, 1);
    await expire(fx.db, jobId);
    assert.equal(await reapExpired(fx.db, options), 1);
    await due(fx.db, jobId);
    assert.equal((await claimJob(fx.db, worker, options))?.attempt, 2);
    // This lease really runs out (300 ms of database time); the reaper loop takes the job back.
    const reaped: number[] = [];
    const reaper = startReaper(fx.db, { ...options, everyMs: 100, onReaped: (n) => reaped.push(n) });
    try {
      for (let i = 0; i < 100 && (await jobRow(fx.db, jobId)).state === "running"; i++) await sleep(50);
    } finally {
      await reaper.stop();
    }
    assert.deepStrictEqual(reaped, [1]);
    const job = await jobRow(fx.db, jobId);
    assert.equal(job.state, "failed");
    assert.equal(job.failure_code, "LEASE_LOST");
    assert.ok(job.finished_at instanceof Date);
    assert.deepStrictEqual(
      (await attemptRows(fx.db, jobId)).map((a) => [a.attempt, a.state]),
      [
        [1, "lost"],
        [2, "lost"],
      ],
    );
    const build = await buildRow(fx.db, buildId);
    assert.equal(build.state, "failed");
    assert.ok(build.finished_at instanceof Date);
    assert.equal(await claimJob(fx.db, worker, options), undefined);
  });

  test("infrastructure failures retry with backoff up to max_attempts; a failing step does not retry", async (t) => {
    const fx = await setup(t);
    if (fx === undefined) return;
    const { buildId, jobs } = await insertBuild(fx, 0, [{ maxAttempts: 2 }, {}]);
    const [infra, step] = jobs as [number, number];
    const options = { backoffBaseMs: 10_000 };
    assert.equal((await claimJob(fx.db, worker))?.jobId, infra);
    assert.equal((await claimJob(fx.db, worker))?.jobId, step);

    const agentError = { code: "AGENT_ERROR", message: "disk full", retry: true };
    assert.equal(await failJob(fx.db, infra, 1, agentError, options), "pending");
    const wait = await backoffOf(fx.db, infra);
    assert.ok(wait >= 5_000 && wait <= 10_000, `backoff ${wait} ms`);
    assert.equal(
      await failJob(fx.db, infra, 1, agentError, options),
      "pending",
      "a repeated report answers again",
    );
    assert.equal((await jobRow(fx.db, infra)).failure_code, null, "no failure while a retry waits");

    const stepFailed = { code: "STEP_FAILED", message: "make: *** [all] Error 2", retry: false };
    assert.equal(await failJob(fx.db, step, 1, stepFailed, options), "failed");
    assert.equal(await failJob(fx.db, step, 1, stepFailed, options), "failed");
    const stepRow = await jobRow(fx.db, step);
    assert.equal(stepRow.state, "failed");
    assert.equal(stepRow.failure_code, "STEP_FAILED");
    assert.equal(stepRow.attempt, 1);
    assert.equal((await buildRow(fx.db, buildId)).state, "running");

    await due(fx.db, infra);
    assert.equal((await claimJob(fx.db, worker))?.attempt, 2);
    assert.equal(
      await failJob(fx.db, infra, 2, { ...agentError, message: "again" }, options),
      "failed",
      "no attempt left",
    );
    const infraRow = await jobRow(fx.db, infra);
    assert.equal(infraRow.failure_code, "AGENT_ERROR");
    assert.deepStrictEqual(
      (await attemptRows(fx.db, infra)).map((a) => [a.attempt, a.state, a.failure_code]),
      [
        [1, "failed", "AGENT_ERROR"],
        [2, "failed", "AGENT_ERROR"],
      ],
    );
    const build = await buildRow(fx.db, buildId);
    assert.equal(build.state, "failed");
    assert.ok(build.finished_at instanceof Date);
  });

  test("cancel: pending jobs at once, running ones at their next heartbeat, publishing ones finish", async (t) => {
    const fx = await setup(t);
    if (fx === undefined) return;
    const { buildId, jobs } = await insertBuild(fx, 0, [{}, {}, {}, {}]);
    const [publishing, running, completing, pending] = jobs as [number, number, number, number];
    for (const id of [publishing, running, completing])
      assert.equal((await claimJob(fx.db, worker))?.jobId, id);
    await recordUpload(fx.db, publishing, 1, { sha256: SHA, fileName: "a.deb" });
    await completeJob(fx.db, publishing, 1);
    await recordUpload(fx.db, completing, 1, { sha256: SHA, fileName: "b.deb" });

    await cancelBuild(fx.db, buildId);
    assert.equal((await jobRow(fx.db, pending)).state, "cancelled");
    assert.equal((await jobRow(fx.db, running)).cancel_requested, true);
    assert.equal((await jobRow(fx.db, publishing)).state, "publishing");
    const requested = await buildRow(fx.db, buildId);
    assert.equal(requested.state, "running");
    assert.ok(requested.cancel_requested_at instanceof Date);
    await cancelBuild(fx.db, buildId); // again: nothing more to do
    await assert.rejects(cancelBuild(fx.db, 999_999), rejectsWith("NOT_FOUND"));

    assert.equal((await heartbeat(fx.db, running, 1)).cancel, true);
    assert.equal(
      await failJob(fx.db, running, 1, { code: "CANCELLED", message: "killed", retry: false }),
      "cancelled",
    );
    // An attempt that finishes anyway publishes nothing.
    assert.equal(await completeJob(fx.db, completing, 1), "cancelled");
    assert.equal((await jobRow(fx.db, completing)).state, "cancelled");

    assert.deepStrictEqual(await jobsPublishing(fx.db), [publishing]);
    await finishPublish(fx.db, publishing, { artifactId: await artifactRow(fx, `p${++artifacts}`) });
    const build = await buildRow(fx.db, buildId);
    assert.equal(build.state, "cancelled");
    assert.ok(build.finished_at instanceof Date);
    assert.deepStrictEqual(
      (await attemptRows(fx.db, running)).map((a) => [a.state, a.failure_code]),
      [["cancelled", "CANCELLED"]],
    );
  });

  test("a cancelled job whose agent reports another failure, or whose lease runs out, ends cancelled", async (t) => {
    const fx = await setup(t);
    if (fx === undefined) return;
    const { buildId, jobs } = await insertBuild(fx, 0, [{}, {}]);
    const [reported, lost] = jobs as [number, number];
    await claimJob(fx.db, worker);
    await claimJob(fx.db, worker);
    await cancelBuild(fx.db, buildId);
    assert.equal(
      await failJob(fx.db, reported, 1, { code: "AGENT_ERROR", message: "killed by signal", retry: true }),
      "cancelled",
    );
    await expire(fx.db, lost);
    assert.equal(await reapExpired(fx.db), 1);
    for (const id of jobs) {
      const row = await jobRow(fx.db, id);
      assert.equal(row.state, "cancelled");
      assert.equal(row.failure_code, "CANCELLED");
    }
    assert.equal((await buildRow(fx.db, buildId)).state, "cancelled");
  });

  test("publishing: complete needs an upload, happens once, and finishPublish is idempotent", async (t) => {
    const fx = await setup(t);
    if (fx === undefined) return;
    const { jobs } = await insertBuild(fx, 0, [{}, {}]);
    const [jobId, other] = jobs as [number, number];
    await claimJob(fx.db, worker);
    await claimJob(fx.db, worker);
    await assert.rejects(completeJob(fx.db, jobId, 1), rejectsWith("JOB_STATE", { jobId, attempt: 1 }));
    assert.equal((await jobRow(fx.db, jobId)).state, "running");
    await recordUpload(fx.db, jobId, 1, { sha256: SHA, fileName: "hello_1.0.0_amd64.deb" });
    // The package checked is not the one uploaded now (another upload came between): refused, still running.
    await assert.rejects(completeJob(fx.db, jobId, 1, "0".repeat(64)), rejectsWith("JOB_STATE", { jobId }));
    assert.equal((await jobRow(fx.db, jobId)).state, "running");
    assert.equal(await completeJob(fx.db, jobId, 1, SHA), "publishing");
    assert.equal(await completeJob(fx.db, jobId, 1), "publishing", "a repeated completion answers again");
    await assert.rejects(heartbeat(fx.db, jobId, 1), rejectsWith("STALE_ATTEMPT", { current: 1 }));
    await assert.rejects(
      failJob(fx.db, jobId, 1, { code: "AGENT_ERROR", message: "x", retry: true }),
      rejectsWith("STALE_ATTEMPT"),
    );
    const publishingRow = await jobRow(fx.db, jobId);
    assert.equal(publishingRow.lease_owner, null);
    assert.deepStrictEqual(await jobsPublishing(fx.db), [jobId]);
    assert.equal(await reapExpired(fx.db), 0, "a publishing job has no lease to lose");

    const artifact = { id: await artifactRow(fx, "hello") };
    await finishPublish(fx.db, jobId, { artifactId: artifact.id });
    await finishPublish(fx.db, jobId, { artifactId: artifact.id });
    const done = await jobRow(fx.db, jobId);
    assert.equal(done.state, "succeeded");
    assert.equal(done.artifact_id, artifact.id);
    assert.ok(done.finished_at instanceof Date);
    assert.deepStrictEqual(await jobsPublishing(fx.db), []);
    assert.equal(await completeJob(fx.db, jobId, 1), "succeeded");
    await assert.rejects(failPublish(fx.db, jobId, "PUBLISH_FAILED", "x"), rejectsWith("JOB_STATE"));
    await assert.rejects(finishPublish(fx.db, other, { artifactId: artifact.id }), rejectsWith("JOB_STATE"));
    await assert.rejects(
      finishPublish(fx.db, 999_999, { artifactId: artifact.id }),
      rejectsWith("NOT_FOUND"),
    );

    await recordUpload(fx.db, other, 1, { sha256: SHA, fileName: "hello_1.0.0_amd64.deb" });
    await completeJob(fx.db, other, 1);
    await failPublish(fx.db, other, "ARTIFACT_INVALID", "the package says version 0.9");
    await failPublish(fx.db, other, "ARTIFACT_INVALID", "the package says version 0.9");
    const failed = await jobRow(fx.db, other);
    assert.equal(failed.state, "failed");
    assert.equal(failed.failure_code, "ARTIFACT_INVALID");
  });

  test("a 3-job build's state follows its jobs, with started_at and finished_at", async (t) => {
    const fx = await setup(t);
    if (fx === undefined) return;
    const { buildId, jobs } = await insertBuild(fx, 0, [{}, {}, {}]);
    const [a, b, c] = jobs as [number, number, number];
    assert.equal(await refreshBuildState(fx.db, buildId), "pending");
    let build = await buildRow(fx.db, buildId);
    assert.equal(build.state, "pending");
    assert.equal(build.started_at, null);

    await claimJob(fx.db, worker);
    build = await buildRow(fx.db, buildId);
    assert.equal(build.state, "running");
    assert.ok(build.started_at instanceof Date);
    const startedAt = build.started_at;
    const jobStart = await one<{ started_at: Date }>(fx.db, "SELECT started_at FROM jobs WHERE id = $1", [a]);
    assert.deepStrictEqual(startedAt, jobStart.started_at, "both from the claim's now()");

    await recordUpload(fx.db, a, 1, { sha256: SHA, fileName: "a.deb" });
    await completeJob(fx.db, a, 1);
    assert.equal((await buildRow(fx.db, buildId)).state, "running", "b and c still to run");
    for (const id of [b, c]) {
      assert.equal((await claimJob(fx.db, worker))?.jobId, id);
      await recordUpload(fx.db, id, 1, { sha256: SHA, fileName: `${id}.deb` });
    }
    await completeJob(fx.db, b, 1);
    assert.equal((await buildRow(fx.db, buildId)).state, "running", "c still running");
    await completeJob(fx.db, c, 1);
    assert.equal((await buildRow(fx.db, buildId)).state, "publishing");
    await finishPublish(fx.db, a, { artifactId: await artifactRow(fx, `p${++artifacts}`) });
    await finishPublish(fx.db, b, { artifactId: await artifactRow(fx, `p${++artifacts}`) });
    build = await buildRow(fx.db, buildId);
    assert.equal(build.state, "publishing");
    assert.equal(build.finished_at, null);
    await finishPublish(fx.db, c, { artifactId: await artifactRow(fx, `p${++artifacts}`) });
    build = await buildRow(fx.db, buildId);
    assert.equal(build.state, "succeeded");
    assert.ok(build.finished_at instanceof Date);
    assert.deepStrictEqual(build.started_at, startedAt, "started_at is kept");
  });
});
