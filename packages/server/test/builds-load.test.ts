// Load (issue 20, "How it is checked"): 50 build requests from 10 concurrent clients over real HTTP on
// 127.0.0.1, tiny deb packages (10 packages x 5 versions, so every request passes the version rules), three
// in-process worker slots claiming through the queue. Every build succeeds, each job is published once
// (one artifact per job, one `repository.publish` audit row adding one package per job, the repository
// state listing each version once), and no job ever had two running attempts at once (job_attempts'
// intervals per job do not overlap). Prints the total time, from the first request to the last success.
//
// PostgreSQL only: its connection pool is where claims, publishes and requests really run at once (PGlite
// has one session, which serializes them); skipped without DATABASE_URL, a failure with CI=true.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { memoryStorage, prefixStorage, readRepository } from "@packyard/repo";
import { needPostgres } from "@packyard/testkit/postgres";
import pg from "pg";
import { startWorkers } from "../src/builds/worker.ts";
import {
  buildApp,
  createUser,
  issueToken,
  migrate,
  openPostgres,
  serverLogger,
  systemClock,
  verifyMasterKey,
} from "../src/index.ts";
import { TEST_MASTER_KEY } from "./app-harness.ts";
import { poolKeyGenerator } from "./key-pool.ts";

const CLIENTS = 10;
const PER_CLIENT = 5;
const WORKERS = 3;

const config = (name: string, version = "1.0.0") => `name: ${name}
version: ${version}
arch: amd64
maintainer: Load Test <load@packyard.invalid>
description: a tiny package of the load test
license: MIT
contents:
  - src: data.txt
    dst: /usr/share/${name}/data.txt
`;

test(`load: ${CLIENTS * PER_CLIENT} build requests from ${CLIENTS} concurrent clients, ${WORKERS} workers: all succeed, each job published once, attempts never overlap`, async (t) => {
  const url = await needPostgres(t);
  if (url === undefined) return;
  const schema = "load";
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const db = await openPostgres({ connectionString: url, schema, max: 10 });
  t.after(() => db.close());
  await migrate(db);
  const clock = systemClock;
  await verifyMasterKey(db, TEST_MASTER_KEY, clock.now());
  const storage = memoryStorage();
  const logger = serverLogger({ level: "silent" });
  const appConfig = { scrypt: { n: 1024, r: 8, p: 1 }, rateLimit: { max: 100_000 } };
  const deps = { db, storage, masterKey: TEST_MASTER_KEY, clock, logger, config: appConfig };
  const app = await buildApp({ ...deps, keyGenerator: poolKeyGenerator });
  await app.listen({ host: "127.0.0.1", port: 0 });
  t.after(() => app.close());
  const address = app.server.address();
  const base = `http://127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}`;

  const owner = await createUser(db, { email: "load@example.org", slug: "load" }, clock.now(), {
    n: 1024,
    r: 8,
    p: 1,
  });
  const { token } = await issueToken(
    db,
    {
      userId: owner.id,
      name: "load",
      scopes: ["read", "write", "publish"],
      projectId: null,
      expiresAt: null,
    },
    clock.now(),
  );
  const auth = { authorization: `Bearer ${token}` };
  const call = async (method: string, path: string, body?: string | object, type = "application/json") => {
    const r = await fetch(`${base}${path}`, {
      method,
      headers: { ...auth, ...(body === undefined ? {} : { "content-type": type }) },
      ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
    });
    return { status: r.status, text: await r.text() };
  };
  let r = await call("POST", "/api/v1/projects", { slug: "load" });
  assert.equal(r.status, 201, r.text);
  const names = Array.from({ length: CLIENTS }, (_, i) => `tiny-${i}`);
  for (const name of names) {
    r = await call("PUT", `/api/v1/projects/load/packages/${name}`, config(name), "text/yaml");
    assert.equal(r.status, 201, r.text);
    r = await call(
      "PUT",
      `/api/v1/projects/load/packages/${name}/files/data.txt`,
      `data of ${name}\n`,
      "application/octet-stream",
    );
    assert.equal(r.status, 201, r.text);
  }

  const workRoot = await mkdtemp(join(tmpdir(), "packyard-load-"));
  t.after(() => rm(workRoot, { recursive: true, force: true }));
  const workers = startWorkers(deps, {
    count: WORKERS,
    workRoot,
    queue: { backoffBaseMs: 200 },
    idleMs: { min: 50, max: 100 },
  });
  let stopped = false;
  t.after(async () => {
    if (!stopped) await workers.stop();
  });

  // Each client requests its package's five versions one after another; the ten clients run at once.
  const started = performance.now();
  const ids = (
    await Promise.all(
      names.map(async (name) => {
        const mine: number[] = [];
        for (let v = 1; v <= PER_CLIENT; v++) {
          // The builders (the worker's and the agent's buildUnsigned) write packyard.yml's own version, not
          // the build's: the stored config carries the version each build asks for (see the report).
          const put = await call(
            "PUT",
            `/api/v1/projects/load/packages/${name}`,
            config(name, `1.0.${v}`),
            "text/yaml",
          );
          assert.equal(put.status, 200, put.text);
          const made = await call("POST", `/api/v1/projects/load/packages/${name}/builds`, {
            version: `1.0.${v}`,
            targets: ["debian-12"],
          });
          assert.equal(made.status, 201, `${name} 1.0.${v}: ${made.text}`);
          mine.push((JSON.parse(made.text) as { id: number }).id);
        }
        return mine;
      }),
    )
  ).flat();
  const requested = performance.now();
  assert.equal(new Set(ids).size, CLIENTS * PER_CLIENT);

  // Until every build is terminal (the clients poll the API, as `packyard remote status` does).
  const deadline = Date.now() + 300_000;
  let states: string[] = [];
  for (;;) {
    states = await Promise.all(
      ids.map(async (id) => {
        const got = await call("GET", `/api/v1/builds/${id}`);
        assert.equal(got.status, 200, got.text);
        return (JSON.parse(got.text) as { state: string }).state;
      }),
    );
    if (states.every((s) => ["succeeded", "failed", "cancelled"].includes(s))) break;
    assert.ok(Date.now() < deadline, `builds still running after 300 s: ${states.join(" ")}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const finished = performance.now();
  await workers.stop();
  stopped = true;
  const failures = await db.query<{ id: number; failure_code: string; failure_message: string }>(
    "SELECT id, failure_code, failure_message FROM jobs WHERE state <> 'succeeded'",
  );
  assert.deepEqual(failures.rows, [], "every job succeeded");
  assert.deepEqual(
    states.filter((s) => s !== "succeeded"),
    [],
  );
  const total = (finished - started) / 1000;
  t.diagnostic(
    `load: ${ids.length} builds (${CLIENTS} clients, ${WORKERS} workers, PostgreSQL, memory storage): requests took ${((requested - started) / 1000).toFixed(1)} s, all succeeded after ${total.toFixed(1)} s (${(ids.length / total).toFixed(1)} builds/s)`,
  );
  process.stdout.write(`# builds-load total time: ${total.toFixed(1)} s for ${ids.length} builds\n`);

  const phases = await db.query<{ build_s: number; publish_s: number; wait_s: number }>(
    `SELECT avg(extract(epoch FROM a.finished_at - a.started_at))::float AS build_s,
            avg(extract(epoch FROM j.finished_at - a.finished_at))::float AS publish_s,
            avg(extract(epoch FROM a.started_at - j.created_at))::float AS wait_s
       FROM jobs j JOIN job_attempts a ON a.job_id = j.id AND a.attempt = j.attempt`,
  );
  t.diagnostic(`per job on average: ${JSON.stringify(phases.rows[0])}`);

  // One job per build, each with an artifact of its own, and one artifact per (package, version).
  const jobs = await db.query<{ id: number; build_id: number; artifact_id: number | null; attempt: number }>(
    "SELECT id, build_id, artifact_id, attempt FROM jobs ORDER BY id",
  );
  assert.equal(jobs.rows.length, ids.length);
  assert.deepEqual(new Set(jobs.rows.map((j) => j.build_id)), new Set(ids));
  assert.ok(jobs.rows.every((j) => j.artifact_id !== null));
  assert.equal(new Set(jobs.rows.map((j) => j.artifact_id)).size, ids.length);
  const artifacts = await db.query<{ name: string; version: string }>(
    "SELECT name, version FROM artifacts ORDER BY name, version",
  );
  assert.deepEqual(
    artifacts.rows.map((a) => `${a.name} ${a.version}`),
    names.flatMap((n) => Array.from({ length: PER_CLIENT }, (_, v) => `${n} 1.0.${v + 1}`)).sort(),
  );

  // One publish per job, each adding one package (a publish repeated would add none).
  const audits = await db.query<{ details: { added: number } }>(
    "SELECT details FROM audit_events WHERE action = 'repository.publish'",
  );
  assert.equal(audits.rows.length, ids.length);
  assert.ok(
    audits.rows.every((a) => a.details.added === 1),
    JSON.stringify(audits.rows.map((a) => a.details)),
  );

  // The repository lists each version once.
  const roots = await readRepository(prefixStorage(storage, "repos/load/main/"));
  const deb = roots.filter((s) => s.family === "deb");
  assert.equal(deb.length, 1, `one APT suite, found ${roots.map((s) => s.root).join(", ")}`);
  const listed = deb[0]!.packages.map((p) => `${p.name} ${p.version}`).sort();
  assert.deepEqual(listed, [...new Set(listed)], "no package listed twice");
  assert.equal(listed.length, ids.length);

  // No job ever had two running attempts at once: per job, each attempt started after the previous ended.
  const attempts = await db.query<{
    job_id: number;
    attempt: number;
    started_at: Date;
    finished_at: Date | null;
    state: string;
  }>("SELECT job_id, attempt, started_at, finished_at, state FROM job_attempts ORDER BY job_id, attempt");
  assert.ok(attempts.rows.length >= ids.length);
  const byJob = new Map<number, typeof attempts.rows>();
  for (const a of attempts.rows) byJob.set(a.job_id, [...(byJob.get(a.job_id) ?? []), a]);
  assert.equal(byJob.size, ids.length);
  for (const [job, list] of byJob) {
    assert.ok(
      list.every((a) => a.finished_at !== null),
      `job ${job}: an attempt never finished`,
    );
    assert.equal(list.at(-1)!.state, "succeeded", `job ${job}: its last attempt succeeded`);
    for (let i = 1; i < list.length; i++)
      assert.ok(
        list[i]!.started_at.getTime() >= list[i - 1]!.finished_at!.getTime(),
        `job ${job}: attempt ${list[i]!.attempt} started before attempt ${list[i - 1]!.attempt} ended`,
      );
  }
});
