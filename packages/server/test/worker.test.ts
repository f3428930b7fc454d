/**
 * The in-process build worker (src/builds/worker.ts) on both databases, with one app per database: builds
 * requested through the HTTP API (package config, uploaded sources, POST …/builds), then run by
 * startWorkers with short leases and idle waits. Checked: a deb and an rpm job (no steps) both succeed,
 * each published once, the packages written in a worker thread while the main thread answers /healthz; a
 * job with steps is never claimed by it; a config the formats library refuses is BUILD_FAILED, not
 * retried; a build cancelled while its package is written ends cancelled with nothing stored or
 * published; stop() while idle returns without waiting out the idle time.
 */
import assert from "node:assert/strict";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, type TestContext, test } from "node:test";
import { threadId } from "node:worker_threads";
import { memoryStorage, type Storage } from "@packyard/repo";
import type { FastifyInstance } from "fastify";
import { cancelBuild } from "../src/builds/queue.ts";
import { startWorkers, type WorkerDeps } from "../src/builds/worker.ts";
import {
  buildApp,
  createUser,
  type Db,
  issueToken,
  migrate,
  serverLogger,
  verifyMasterKey,
} from "../src/index.ts";
import { TEST_MASTER_KEY, TEST_SCRYPT } from "./app-harness.ts";
import { eachDb, type FreshDb } from "./dbs.ts";
import { poolKeyGenerator } from "./key-pool.ts";

const enc = new TextEncoder();
const SCRIPT = enc.encode("#!/bin/sh\necho hello from the worker test\n");
const README = enc.encode("a readme\n");

const config = (version: string, extra = "", src = "README") => `name: worker-hello
version: ${version}
release: 1
arch: amd64
maintainer: Test <test@example.org>
description: built by the in-process worker test
license: MIT
contents:
  - src: hello.sh
    dst: /usr/bin/worker-hello
    file_info:
      mode: 0755
  - src: ${src}
    dst: /usr/share/doc/worker-hello/README
${extra}`;

const roots: string[] = [];
after(async () => {
  for (const r of roots) await rm(r, { recursive: true, force: true });
});

/** A clock a second later on each reading (each publish's Release needs a later Date than the last). */
function steppingClock() {
  let t = Date.parse("2026-12-06T12:00:00Z");
  return { now: () => new Date((t += 1000)) };
}

interface Fixture {
  app: FastifyInstance;
  db: Db;
  storage: Storage;
  deps: WorkerDeps;
  workRoot: string;
  owner: string;
  logs: string[];
}

async function setup(t: TestContext, fresh: (t: TestContext) => Promise<FreshDb | undefined>) {
  const f = await fresh(t);
  if (f === undefined) return undefined;
  await migrate(f.db);
  const clock = steppingClock();
  await verifyMasterKey(f.db, TEST_MASTER_KEY, clock.now());
  const storage = memoryStorage();
  const logs: string[] = [];
  const logger = serverLogger({ level: "info", destination: { write: (l: string) => void logs.push(l) } });
  const deps = { db: f.db, storage, masterKey: TEST_MASTER_KEY, clock, logger, config: {} };
  const app = await buildApp({ ...deps, config: { scrypt: TEST_SCRYPT }, keyGenerator: poolKeyGenerator });
  t.after(() => app.close());
  const user = await createUser(f.db, { email: "o@example.org", slug: "olive" }, clock.now(), TEST_SCRYPT);
  const { token: owner } = await issueToken(
    f.db,
    { userId: user.id, name: "t", scopes: ["read", "write", "publish"] },
    clock.now(),
  );
  const auth = { authorization: `Bearer ${owner}` };
  let r = await app.inject({
    method: "POST",
    url: "/api/v1/projects",
    headers: auth,
    payload: { slug: "demo" },
  });
  assert.equal(r.statusCode, 201, r.body);
  // The repository serves Debian 12 and Fedora 42 (builds publish where its settings put each family).
  r = await app.inject({
    method: "PUT",
    url: "/api/v1/projects/demo/repository",
    headers: auth,
    payload: { apt: { suite: "bookworm" }, rpm: { targets: ["fedora-42"] } },
  });
  assert.equal(r.statusCode, 200, r.body);
  r = await app.inject({
    method: "PUT",
    url: "/api/v1/projects/demo/packages/worker-hello",
    headers: auth,
    payload: { config: config("1.0.0") },
  });
  assert.ok(r.statusCode === 201 || r.statusCode === 200, r.body);
  for (const [name, bytes] of [
    ["hello.sh", SCRIPT],
    ["README", README],
  ] as const) {
    r = await app.inject({
      method: "PUT",
      url: `/api/v1/projects/demo/packages/worker-hello/files/${name}`,
      headers: { ...auth, "content-type": "application/octet-stream" },
      payload: Buffer.from(bytes),
    });
    assert.ok(r.statusCode < 300, r.body);
  }
  const workRoot = await mkdtemp(join(tmpdir(), "packyard-worker-test-"));
  roots.push(workRoot);
  return { app, db: f.db, storage, deps, workRoot, owner, logs } satisfies Fixture;
}

async function requestBuild(x: Fixture, version: string, targets: string[], extra = "", src = "README") {
  const auth = { authorization: `Bearer ${x.owner}` };
  let r = await x.app.inject({
    method: "PUT",
    url: "/api/v1/projects/demo/packages/worker-hello",
    headers: auth,
    payload: { config: config(version, extra, src) },
  });
  assert.ok(r.statusCode < 300, r.body);
  r = await x.app.inject({
    method: "POST",
    url: "/api/v1/projects/demo/packages/worker-hello/builds",
    headers: auth,
    payload: { version, targets },
  });
  assert.equal(r.statusCode, 201, r.body);
  return r.json() as { id: number; jobs: { id: number; format: string; hasSteps: boolean }[] };
}

interface JobState {
  id: number;
  format: string;
  state: string;
  attempt: number;
  failure_code: string | null;
  artifact_id: number | null;
}

const jobsOf = async (db: Db, buildId: number) =>
  (
    await db.query<JobState>(
      "SELECT id, format, state, attempt, failure_code, artifact_id FROM jobs WHERE build_id = $1 ORDER BY id",
      [buildId],
    )
  ).rows;

/** Waits (polling the database) until every job of the build is terminal. */
async function settled(db: Db, buildId: number): Promise<JobState[]> {
  for (;;) {
    const jobs = await jobsOf(db, buildId);
    if (jobs.every((j) => ["succeeded", "failed", "cancelled"].includes(j.state))) return jobs;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const systemLines = async (db: Db, buildId: number) =>
  (
    await db.query<{ text: string }>(
      "SELECT text FROM job_logs WHERE build_id = $1 AND stream = 'system' ORDER BY seq",
      [buildId],
    )
  ).rows.map((r) => r.text);

eachDb((_kind, fresh) => {
  test("in-process worker: deb and rpm built in a thread and published once; steps left to agents; BUILD_FAILED; cancel; stop while idle", async (t) => {
    const x = await setup(t, fresh);
    if (x === undefined) return;
    const threads: { jobId: number; threadId: number; health: number }[] = [];
    /** Runs while a job's package is being written (the worker uses the result only after it). */
    let duringBuild: ((jobId: number) => Promise<void>) | undefined;
    const workers = startWorkers(x.deps, {
      count: 2,
      queue: { leaseMs: 2000, backoffBaseMs: 0 },
      heartbeatMs: 500,
      workRoot: x.workRoot,
      idleMs: { min: 10, max: 30 },
      // While the package is written in its thread, the main thread serves a request through the app.
      onBuildThread: async ({ jobId, threadId: id }) => {
        const r = await x.app.inject({ method: "GET", url: "/healthz" });
        threads.push({ jobId, threadId: id, health: r.statusCode });
        await duringBuild?.(jobId);
      },
    });
    let stopped = false;
    t.after(() => (stopped ? undefined : workers.stop()));

    await t.test("a deb and an rpm job succeed, each published once, written in worker threads", async () => {
      const build = await requestBuild(x, "1.0.0", ["debian-12", "fedora-42"]);
      assert.deepEqual(build.jobs.map((j) => j.format).sort(), ["deb", "rpm"]);
      const jobs = await settled(x.db, build.id);
      assert.deepEqual(
        jobs.map((j) => [j.format, j.state, j.attempt, j.failure_code]),
        build.jobs.map((j) => [j.format, "succeeded", 1, null]),
        JSON.stringify(jobs),
      );
      const { rows: b } = await x.db.query<{ state: string }>("SELECT state FROM builds WHERE id = $1", [
        build.id,
      ]);
      assert.equal(b[0]!.state, "succeeded");
      // Two artifacts, each the job's, of the package the config names.
      const { rows: artifacts } = await x.db.query<{
        id: number;
        format: string;
        name: string;
        version: string;
      }>("SELECT id, format, name, version FROM artifacts ORDER BY format");
      assert.deepEqual(
        artifacts.map((a) => [a.format, a.name]),
        [
          ["deb", "worker-hello"],
          ["rpm", "worker-hello"],
        ],
      );
      assert.deepEqual(jobs.map((j) => j.artifact_id).sort(), artifacts.map((a) => a.id).sort());
      // One publish per job, and the apt index lists the package once.
      const publishes = await x.db.query("SELECT 1 FROM audit_events WHERE action = 'repository.publish'");
      assert.equal(publishes.rowCount, 2);
      const keys = (await x.storage.list("repos/demo/")).objects.map((o) => o.key);
      const packagesKey = keys.find((k) => /\/binary-amd64\/Packages$/.test(k));
      assert.ok(packagesKey, keys.join("\n"));
      const chunks: Uint8Array[] = [];
      for await (const c of (await x.storage.get(packagesKey))!) chunks.push(c);
      const index = Buffer.concat(chunks).toString("utf8");
      assert.equal(index.match(/^Package: worker-hello$/gm)?.length, 1, index);
      assert.ok(
        keys.some((k) => /\.rpm$/.test(k)),
        `an rpm in the repository: ${keys.join("\n")}`,
      );
      // Both packages were written in threads other than this one, and /healthz was answered meanwhile.
      assert.deepEqual(threads.map((r) => r.jobId).sort(), jobs.map((j) => j.id).sort());
      for (const r of threads) {
        assert.notEqual(r.threadId, threadId);
        assert.equal(r.health, 200);
      }
      // The worker wrote what an agent would have written to the log.
      const lines = await systemLines(x.db, build.id);
      assert.ok(
        lines.some((l) => /^copying source hello\.sh \(\d+ bytes\)/.test(l)),
        lines.join("\n"),
      );
      assert.ok(
        lines.some((l) => /^built worker-hello_1\.0\.0-1_amd64\.deb /.test(l)),
        lines.join("\n"),
      );
      assert.ok(
        lines.some((l) => /^built worker-hello-1\.0\.0-1\.x86_64\.rpm /.test(l)),
        lines.join("\n"),
      );
      // Once the slots are done with the jobs, their work folders are gone.
      while (workers.stats.succeeded < 2) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.deepEqual(workers.stats, { claimed: 2, succeeded: 2, failed: 0, lost: 0 });
      assert.deepEqual(await readdir(x.workRoot), []);
    });

    await t.test("a job with build steps is not claimed by the worker", async () => {
      const build = await requestBuild(x, "1.0.1", ["debian-12"], "build:\n  steps:\n    - run: 'true'\n");
      assert.equal(build.jobs[0]!.hasSteps, true);
      // The worker claims on every idle round: two claims of another build's job prove it kept polling.
      const other = await requestBuild(x, "1.0.2", ["debian-12"], "", "README/missing");
      await settled(x.db, other.id);
      const [job] = await jobsOf(x.db, build.id);
      assert.deepEqual([job!.state, job!.attempt], ["pending", 0]);
      await cancelBuild(x.db, build.id);

      // That other build: its contents name a path the formats library cannot read → BUILD_FAILED, once.
      const [failed] = await jobsOf(x.db, other.id);
      assert.deepEqual([failed!.state, failed!.failure_code, failed!.attempt], ["failed", "BUILD_FAILED", 1]);
      const lines = await systemLines(x.db, other.id);
      assert.ok(
        lines.some((l) => l.startsWith("failed: BUILD_FAILED: ")),
        lines.join("\n"),
      );
    });

    await t.test(
      "a build cancelled while its package is written: the job is cancelled, nothing stored or published",
      async () => {
        const before = (await x.db.query("SELECT 1 FROM audit_events WHERE action = 'repository.publish'"))
          .rowCount;
        let cancelled!: number;
        duringBuild = async (jobId) => {
          const { rows } = await x.db.query<{ build_id: number }>("SELECT build_id FROM jobs WHERE id = $1", [
            jobId,
          ]);
          cancelled = rows[0]!.build_id;
          await cancelBuild(x.db, cancelled);
          // Heartbeats every 500 ms: wait until the cancellation was seen by one (the lease was renewed after).
          const { rows: asked } = await x.db.query<{ lease_expires_at: Date }>(
            "SELECT lease_expires_at FROM jobs WHERE id = $1",
            [jobId],
          );
          for (;;) {
            await new Promise((resolve) => setTimeout(resolve, 100));
            const { rows: now } = await x.db.query<{ lease_expires_at: Date | null }>(
              "SELECT lease_expires_at FROM jobs WHERE id = $1",
              [jobId],
            );
            if (now[0]!.lease_expires_at === null || now[0]!.lease_expires_at > asked[0]!.lease_expires_at)
              break;
          }
        };
        const build = await requestBuild(x, "1.0.3", ["debian-12"]);
        const jobs = await settled(x.db, build.id);
        duringBuild = undefined;
        assert.equal(cancelled, build.id);
        assert.deepEqual(
          jobs.map((j) => [j.state, j.failure_code, j.artifact_id]),
          [["cancelled", "CANCELLED", null]],
        );
        const { rows } = await x.db.query<{ upload_sha256: string | null }>(
          "SELECT upload_sha256 FROM jobs WHERE id = $1",
          [jobs[0]!.id],
        );
        assert.equal(rows[0]!.upload_sha256, null, "nothing was stored for the job");
        const after = (await x.db.query("SELECT 1 FROM audit_events WHERE action = 'repository.publish'"))
          .rowCount;
        assert.equal(after, before, "nothing was published");
      },
    );

    await t.test("stop() while idle returns without waiting out the idle time", async () => {
      await workers.stop();
      stopped = true;
      const idle = startWorkers(x.deps, {
        count: 1,
        workRoot: x.workRoot,
        idleMs: { min: 600_000, max: 600_000 },
      });
      // Let it claim (nothing) and go idle.
      await new Promise((resolve) => setTimeout(resolve, 200));
      let timer: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([
        idle.stop().then(() => "stopped"),
        new Promise((resolve) => {
          timer = setTimeout(() => resolve("still idle"), 30_000);
        }),
      ]);
      clearTimeout(timer);
      assert.equal(outcome, "stopped");
      assert.deepEqual(idle.stats, { claimed: 0, succeeded: 0, failed: 0, lost: 0 });
    });
  });
});
