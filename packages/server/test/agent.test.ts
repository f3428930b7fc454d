/**
 * The build agent: executeJob on its own (sources from a function, a real deb built and read back with
 * @packyard/formats, a source whose bytes differ, a failing step, a signature block that must not make the
 * build look for a key), then runAgent against a real app listening on 127.0.0.1 (the agent API plugin),
 * a build and job inserted directly, until the job is published.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import type { AddressInfo } from "node:net";
import { bytesSource, readPackage } from "@packyard/formats";
import { memoryStorage } from "@packyard/repo";
import { runAgent } from "../src/agent/agent.ts";
import {
  AgentApiError,
  type AgentClient,
  type ClaimPayload,
  type LogChunk,
  LogBatcher,
} from "../src/agent/client.ts";
import { executeJob, type LogStream } from "../src/agent/execute.ts";
import { cancelBuild } from "../src/builds/queue.ts";
import { saveRepositorySettings } from "../src/repos/settings.ts";
import {
  buildApp,
  createUser,
  type Db,
  issueToken,
  migrate,
  serverLogger,
  verifyMasterKey,
} from "../src/index.ts";
import { httpCaller, TEST_MASTER_KEY, TEST_SCRYPT } from "./app-harness.ts";
import { eachDb, type FreshDb } from "./dbs.ts";
import { poolKeyGenerator } from "./key-pool.ts";

const sha = (b: Uint8Array | string) => createHash("sha256").update(b).digest("hex");
const enc = new TextEncoder();

const SCRIPT = enc.encode("#!/bin/sh\necho hello from the agent test\n");
const README = enc.encode("a readme\n");

const CONFIG = `name: agent-hello
version: 1.2.3
release: 1
arch: amd64
maintainer: Test <test@example.org>
description: built by the agent test
contents:
  - src: hello.sh
    dst: /usr/bin/agent-hello
    file_info:
      mode: 0755
  - src: README
    dst: /usr/share/doc/agent-hello/README
`;

function job(over: Partial<ClaimPayload> = {}): ClaimPayload {
  return {
    id: 7,
    attempt: 1,
    buildId: 3,
    project: "p",
    package: "agent-hello",
    version: "1.2.3",
    format: "deb",
    arch: "amd64",
    environment: "native",
    targets: ["debian-12"],
    config: CONFIG,
    sourceDateEpoch: 1_700_000_000,
    hasSteps: false,
    sources: [
      { accessName: "hello.sh", sha256: sha(SCRIPT), size: SCRIPT.length, url: "http://unused/hello.sh" },
      { accessName: "README", sha256: sha(README), size: README.length, url: "http://unused/README" },
    ],
    secrets: {},
    leaseMs: 60_000,
    heartbeatMs: 15_000,
    ...over,
  };
}

const files: Record<string, Uint8Array> = { "hello.sh": SCRIPT, README };

async function* chunksOf(b: Uint8Array): AsyncGenerator<Uint8Array> {
  // Odd pieces, so the hash is taken over a stream rather than one buffer.
  for (let i = 0; i < b.length; i += 7) yield b.subarray(i, i + 7);
}

const roots: string[] = [];
after(async () => {
  for (const r of roots) await rm(r, { recursive: true, force: true });
});

async function workRoot(): Promise<string> {
  const r = await mkdtemp(join(tmpdir(), "packyard-agent-test-"));
  roots.push(r);
  return r;
}

function run(j: ClaimPayload, root: string, fetchFile = (name: string) => files[name]!) {
  const logs: { stream: LogStream; text: string }[] = [];
  return {
    logs,
    result: executeJob(j, {
      workRoot: root,
      fetch: async (s) => chunksOf(fetchFile(s.accessName)),
      sandbox: "none",
      env: { PATH: process.env.PATH, SECRET_FROM_AGENT: "agent-env-value" },
      onLog: (stream, text) => logs.push({ stream, text }),
    }),
  };
}

describe("executeJob", () => {
  test("fetches the sources, builds the deb unsigned at the build date, removes the work folder", async () => {
    const root = await workRoot();
    const { result, logs } = run(job(), root);
    const r = await result;
    assert.ok(r.ok, `expected success, got ${JSON.stringify(r)}`);
    const bytes = new Uint8Array(await readFile(r.file));
    assert.equal(r.size, bytes.length);
    assert.equal(r.sha256, sha(bytes));
    assert.match(r.fileName, /^agent-hello_1\.2\.3-1_amd64\.deb$/);
    const info = await readPackage(bytesSource(bytes), r.fileName);
    assert.equal(info.format, "deb");
    assert.equal(info.name, "agent-hello");
    assert.equal(info.arch, "amd64");
    assert.match(info.versionString, /^1\.2\.3-1$/);
    // The work folder is gone; only the output folder remains until dispose().
    assert.deepEqual(await readdir(root), ["job-7-1.out"]);
    await r.dispose();
    assert.deepEqual(await readdir(root), []);
    assert.ok(logs.some((l) => l.stream === "system" && l.text.includes("fetching source hello.sh")));
  });

  test("a source whose bytes differ from the recorded sha256 → SOURCE_MISMATCH, retried", async () => {
    const root = await workRoot();
    const { result } = run(job(), root, (name) =>
      name === "README" ? enc.encode("other bytes\n") : files[name]!,
    );
    const r = await result;
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.equal(r.code, "SOURCE_MISMATCH");
    assert.equal(r.retry, true);
    assert.match(r.message, /README/);
    assert.deepEqual(await readdir(root), []);
  });

  test("a signature block naming a key file that does not exist is ignored: the build is unsigned", async () => {
    const root = await workRoot();
    const config = `${CONFIG}deb:\n  signature:\n    key_file: /nonexistent/key.asc\n    key_id: 0123456789ABCDEF\nchecksum:\n  signature:\n    key_file: /nonexistent/sums.asc\n`;
    const { result } = run(job({ config }), root);
    const r = await result;
    assert.ok(r.ok, `expected success, got ${JSON.stringify(r)}`);
    const bytes = new Uint8Array(await readFile(r.file));
    const info = await readPackage(bytesSource(bytes), r.fileName);
    assert.equal(info.name, "agent-hello");
    // A debsign'd deb has a _gpgorigin member; this one has none.
    assert.ok(
      !new TextDecoder("latin1").decode(bytes).includes("_gpgorigin"),
      "expected no _gpgorigin member",
    );
    await r.dispose();
  });

  test("a config whose arch is not the job's → BUILD_FAILED, not retried", async () => {
    const root = await workRoot();
    const { result } = run(job({ arch: "arm64" }), root);
    const r = await result;
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.equal(r.code, "BUILD_FAILED");
    assert.equal(r.retry, false);
    assert.match(r.message, /arm64/);
  });

  test("a contents src that was not uploaded → BUILD_FAILED with the formats library's message", async () => {
    const root = await workRoot();
    const config = CONFIG.replace("src: README", "src: MISSING-FILE");
    const { result } = run(job({ config }), root);
    const r = await result;
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.equal(r.code, "BUILD_FAILED");
    assert.equal(r.retry, false);
    assert.match(r.message, /MISSING-FILE/);
  });

  test("steps run in the work folder and make a file the package holds; a failing step → STEP_FAILED", async () => {
    const root = await workRoot();
    const withSteps = `${CONFIG.replace("src: README", "src: made.txt")}build:\n  steps:\n    - name: make it\n      run: 'printf "made by a step %s\\n" "$SECRET_FROM_AGENT" > made.txt; cat README'\n  env: [SECRET_FROM_AGENT]\n  outputs: [made.txt]\n`;
    const ok = run(job({ config: withSteps, hasSteps: true }), root);
    const r = await ok.result;
    assert.ok(r.ok, `expected success, got ${JSON.stringify(r)}; log ${JSON.stringify(ok.logs)}`);
    assert.ok(
      ok.logs.some((l) => l.stream === "stdout" && l.text.includes("a readme")),
      JSON.stringify(ok.logs),
    );
    await r.dispose();

    const failing = `${CONFIG}build:\n  steps:\n    - run: 'echo about to fail; exit 3'\n`;
    const bad = run(job({ config: failing, hasSteps: true, attempt: 2 }), root);
    const f = await bad.result;
    assert.equal(f.ok, false);
    if (f.ok) return;
    assert.equal(f.code, "STEP_FAILED");
    assert.equal(f.retry, false);
    assert.ok(bad.logs.some((l) => l.text.includes("about to fail")));
    assert.deepEqual(await readdir(root), []);
  });

  test("a job runs only the steps for its packager (build.steps[].packagers), in order", async () => {
    const root = await workRoot();
    const config = `${CONFIG.replace("src: README", "src: made.txt")}build:
  steps:
    - name: common
      run: echo common > made.txt
    - name: rpm only
      packagers: [rpm]
      run: 'echo the rpm step ran; exit 7'
    - name: deb only
      packagers: [deb, apk]
      run: 'echo the deb step ran | tee -a made.txt'
  outputs: [made.txt]
`;
    const stdout = (logs: { stream: LogStream; text: string }[]) =>
      logs
        .filter((l) => l.stream === "stdout")
        .map((l) => l.text)
        .join("");
    const deb = run(job({ config, hasSteps: true }), root);
    const r = await deb.result;
    assert.ok(r.ok, `expected success, got ${JSON.stringify(r)}; log ${JSON.stringify(deb.logs)}`);
    await r.dispose();
    assert.match(stdout(deb.logs), /the deb step ran/);
    assert.doesNotMatch(stdout(deb.logs), /rpm step/);
    const steps = deb.logs.filter((l) => l.stream === "system" && /^step \d/.test(l.text)).map((l) => l.text);
    assert.deepEqual(steps, ["step 1 of 2: common", "step 2 of 2: deb only"]);

    // The rpm job runs the rpm step, which fails; not the deb one.
    const rpm = run(job({ config, hasSteps: true, format: "rpm", attempt: 2 }), root);
    const f = await rpm.result;
    assert.equal(f.ok, false, JSON.stringify(f));
    if (f.ok) return;
    assert.equal(f.code, "STEP_FAILED");
    assert.match(stdout(rpm.logs), /the rpm step ran/);
    assert.doesNotMatch(stdout(rpm.logs), /deb step/);

    // Steps only for other packagers: nothing runs (a server that marked the job as having steps anyway).
    const only = `${CONFIG}build:\n  steps:\n    - run: 'exit 9'\n      packagers: [archlinux]\n`;
    const none = run(job({ config: only, hasSteps: true, attempt: 3 }), root);
    const n = await none.result;
    assert.ok(n.ok, `expected success, got ${JSON.stringify(n)}`);
    await n.dispose();
    assert.ok(none.logs.some((l) => l.stream === "system" && /no build step applies to deb/.test(l.text)));
    assert.deepEqual(await readdir(root), []);
  });
});

test("executeJob, steps as another user: a link to a file not everyone may read or to an outside folder fails the build; a link to a readable file is packaged as a link", async () => {
  // The check runs whenever steps run as a given user; this process's own uid and gid work without root.
  const runAs = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
  const root = await workRoot();
  const withStep = (step: string, src: string) =>
    `${CONFIG.replace("src: README", `src: ${src}`)}build:\n  steps:\n    - run: ${step}\n  outputs: [${src.split("/")[0]}]\n`;
  const go = async (config: string, attempt: number) =>
    executeJob(job({ config, hasSteps: true, attempt }), {
      workRoot: root,
      fetch: async (s) => chunksOf(files[s.accessName]!),
      runAs,
      sandbox: "none",
      env: {},
      onLog: () => undefined,
    });
  const shadow = await go(withStep("ln -s /etc/shadow leak", "leak"), 1);
  assert.equal(shadow.ok, false, JSON.stringify(shadow));
  if (!shadow.ok) {
    assert.equal(shadow.code, "BUILD_FAILED");
    assert.match(shadow.message, /leak is a symbolic link to \/etc\/shadow, a file outside the work folder/);
  }
  const folder = await go(withStep("ln -s /root d", "d/.profile"), 2);
  assert.equal(folder.ok, false, JSON.stringify(folder));
  if (!folder.ok) assert.match(folder.message, /d is a symbolic link to \/root, a folder outside/);
  const readable = await go(withStep("ln -s /etc/passwd link", "link"), 3);
  assert.ok(readable.ok, JSON.stringify(readable));
  const info = await readPackage(
    bytesSource(new Uint8Array(await readFile(readable.file))),
    readable.fileName,
  );
  const entry = info.files.find((f) => f.path.endsWith("/README"));
  assert.equal(entry?.type, "symlink", JSON.stringify(entry));
  assert.equal(entry?.target, "/etc/passwd");
  await readable.dispose();
  assert.deepEqual(await readdir(root), []);
});

describe("LogBatcher and runAgent with a scripted client", () => {
  test("chunks are numbered per attempt, one stream's text joins, a failed batch is sent again unchanged", async () => {
    const sent: LogChunk[][] = [];
    let failOnce = true;
    const b = new LogBatcher(
      async (chunks) => {
        sent.push(chunks.map((c) => ({ ...c })));
        if (failOnce) {
          failOnce = false;
          throw new AgentApiError(503, "UNAVAILABLE", "down for a moment");
        }
      },
      { intervalMs: 10_000, redact: (t) => t.replaceAll("hunter2", "***") },
    );
    b.push("stdout", "a\n");
    b.push("stdout", "b hunter2\n");
    b.push("stderr", "c\n");
    b.push("stdout", "x".repeat(20_000));
    await b.flush(); // fails: kept
    b.push("stderr", "late\n");
    await b.close();
    assert.equal(sent.length, 2);
    const first = sent[0]!;
    assert.deepEqual(
      first.map((c) => [c.chunk, c.stream, c.text.length]),
      [
        [0, "stdout", 8],
        [1, "stderr", 2],
        [2, "stdout", 16 * 1024],
        [3, "stdout", 20_000 - 16 * 1024],
      ],
    );
    assert.equal(first[0]!.text, "a\nb ***\n");
    // The resend carries the same chunks first, then the new one.
    assert.deepEqual(sent[1]!.slice(0, 4), first);
    assert.deepEqual(sent[1]![4], { chunk: 4, stream: "stderr", text: "late\n" });
  });

  test("a heartbeat answering STALE_ATTEMPT stops the job: its step is killed, nothing is uploaded or completed", async () => {
    const calls: string[] = [];
    let claims = 0;
    const stop = new AbortController();
    const config = `${CONFIG}build:\n  steps:\n    - run: echo going; sleep 30\n`;
    const client: AgentClient = {
      async claim() {
        calls.push("claim");
        if (claims++ > 0) {
          stop.abort();
          return { retryAfterMs: 10 };
        }
        return { job: job({ config, hasSteps: true }) };
      },
      async heartbeat() {
        calls.push("heartbeat");
        throw new AgentApiError(409, "STALE_ATTEMPT", "attempt 1 is no longer running");
      },
      async sendLogs() {
        calls.push("logs");
      },
      async upload() {
        calls.push("upload");
        return { sha256: "", size: 0 };
      },
      async complete() {
        calls.push("complete");
        return { state: "succeeded" };
      },
      async fetchSource(s) {
        return new Blob([files[s.accessName]! as BlobPart]).stream();
      },
    };
    const said: string[] = [];
    const log = {
      info: (m: string) => said.push(m),
      warn: (m: string) => said.push(m),
      error: (m: string) => said.push(m),
    };
    const at = Date.now();
    const workDir = await workRoot();
    const stats = await runAgent({
      server: "http://unused.invalid",
      token: "pka_unused",
      workDir,
      sandbox: "none",
      log,
      signal: stop.signal,
      client,
      heartbeatMs: 100,
    });
    assert.ok(Date.now() - at < 10_000, `took ${Date.now() - at} ms`);
    assert.deepEqual(stats, { claimed: 1, succeeded: 0, failed: 0, lost: 1 });
    assert.ok(!calls.includes("upload") && !calls.includes("complete"), calls.join(","));
    assert.ok(
      said.some((m) => m.includes("lease is lost")),
      said.join(" | "),
    );
  });
});

test("a claim refused with 401 stops every slot and rejects runAgent", async () => {
  let claims = 0;
  const refuse: AgentClient["claim"] = async () => {
    claims++;
    throw new AgentApiError(401, "UNAUTHORIZED", "claim: the agent token is revoked");
  };
  const client = { claim: refuse } as unknown as AgentClient;
  const log = { info() {}, warn() {}, error() {} };
  await assert.rejects(
    runAgent({
      server: "http://unused.invalid",
      token: "pka_x",
      concurrency: 2,
      workDir: await workRoot(),
      sandbox: "none",
      log,
      client,
    }),
    (e: unknown) => e instanceof AgentApiError && e.code === "UNAUTHORIZED",
  );
  assert.equal(claims, 2);
});

/** An app with the agent API listening on 127.0.0.1, project `demo`, package `agent-hello` and its sources. */
async function server(
  t: import("node:test").TestContext,
  fresh: (t: import("node:test").TestContext) => Promise<FreshDb | undefined>,
) {
  const f = await fresh(t);
  if (f === undefined) return undefined;
  await migrate(f.db);
  const clock = { now: () => new Date() };
  await verifyMasterKey(f.db, TEST_MASTER_KEY, clock.now());
  const lines: string[] = [];
  const app = await buildApp(
    {
      db: f.db,
      storage: memoryStorage(),
      masterKey: TEST_MASTER_KEY,
      clock,
      logger: serverLogger({ level: "debug", destination: { write: (l: string) => void lines.push(l) } }),
      config: { scrypt: TEST_SCRYPT, rateLimit: { max: 100_000 } },
      keyGenerator: poolKeyGenerator,
    },
    // Short leases: heartbeats every 500 ms.
    { builds: { agents: { queue: { leaseMs: 2000, backoffBaseMs: 100 } } } },
  );
  t.after(() => app.close());
  await app.listen({ host: "127.0.0.1", port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const admin = await createUser(
    f.db,
    { email: "admin@example.org", slug: "admin", isAdmin: true },
    clock.now(),
    TEST_SCRYPT,
  );
  const { token } = await issueToken(
    f.db,
    {
      userId: admin.id,
      name: "t",
      scopes: ["read", "write", "publish", "keys", "admin"],
      projectId: null,
      expiresAt: null,
    },
    clock.now(),
  );
  const call = httpCaller(url, token);
  await call("POST", "/api/v1/projects", { slug: "demo" });
  const agent = (await call("POST", "/api/v1/agents", { name: "test-agent" })) as { token: string };
  return { db: f.db, url, call, agentToken: agent.token, adminToken: token, lines };
}

/** Makes package agent-hello with `config` and its sources, and a pending build of it with one deb job. */
async function pendingJob(
  db: Db,
  call: (m: string, p: string, b?: unknown, t?: string) => Promise<unknown>,
  config: string,
  hasSteps: boolean,
  version = "1.2.3",
) {
  await call("PUT", "/api/v1/projects/demo/packages/agent-hello", config, "text/yaml");
  for (const [name, bytes] of Object.entries(files))
    await call(
      "PUT",
      `/api/v1/projects/demo/packages/agent-hello/files/${name}`,
      bytes,
      "application/octet-stream",
    );
  const { rows } = await db.query<{ id: number; project_id: number }>(
    "SELECT id, project_id FROM packages WHERE name = 'agent-hello'",
  );
  const pkg = rows[0]!;
  const sources = Object.entries(files).map(([accessName, b]) => ({
    accessName,
    sha256: sha(b),
    size: b.length,
  }));
  const build = await db.query<{ id: number }>(
    `INSERT INTO builds (project_id, package_id, version, state, targets, config, sources, source_date_epoch, created_at)
     VALUES ($1, $2, $5, 'pending', '{debian-12}', $3, $4::jsonb, 1700000000, now()) RETURNING id`,
    [pkg.project_id, pkg.id, config, JSON.stringify(sources), version],
  );
  const buildId = build.rows[0]!.id;
  const job = await db.query<{ id: number }>(
    `INSERT INTO jobs (build_id, project_id, format, arch, targets, has_steps, state, created_at)
     VALUES ($1, $2, 'deb', 'amd64', '{debian-12}', $3, 'pending', now()) RETURNING id`,
    [buildId, pkg.project_id, hasSteps],
  );
  return { buildId, jobId: job.rows[0]!.id };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function jobRow(db: Db, id: number) {
  const { rows } = await db.query<{
    state: string;
    attempt: number;
    failure_code: string | null;
    failure_message: string | null;
    artifact_id: number | null;
    projectId: number;
  }>(
    `SELECT state, attempt, failure_code, failure_message, artifact_id, project_id AS "projectId"
       FROM jobs WHERE id = $1`,
    [id],
  );
  return rows[0]!;
}

async function jobLog(db: Db, id: number): Promise<string> {
  const { rows } = await db.query<{ text: string }>(
    "SELECT text FROM job_logs WHERE job_id = $1 ORDER BY seq",
    [id],
  );
  return rows.map((r) => r.text).join("");
}

eachDb((_kind, fresh) => {
  test("runAgent claims a job, runs its step, uploads the deb; the job is published; a cancelled step is killed", async (t) => {
    const s = await server(t, fresh);
    if (s === undefined) return;
    const withStep = `${CONFIG}build:\n  steps:\n    - name: greet\n      run: echo step says hi\n`;
    const { jobId } = await pendingJob(s.db, s.call, withStep, true);
    const stop = new AbortController();
    const said: string[] = [];
    const log = {
      info: (m: string) => said.push(m),
      warn: (m: string) => said.push(m),
      error: (m: string) => said.push(m),
    };
    const running = runAgent({
      server: s.url,
      token: s.agentToken,
      workDir: await workRoot(),
      sandbox: "none",
      log,
      signal: stop.signal,
      maxIdleMs: 200,
    });
    try {
      const done = await until("the job to succeed", async () => {
        const j = await jobRow(s.db, jobId);
        assert.ok(j.state !== "failed", `job failed: ${j.failure_code}; agent said ${said.join(" | ")}`);
        return j.state === "succeeded" ? j : undefined;
      });
      assert.equal(done.attempt, 1);
      assert.notEqual(done.artifact_id, null);
      const art = await s.db.query<{ file_name: string }>("SELECT file_name FROM artifacts WHERE id = $1", [
        done.artifact_id,
      ]);
      assert.match(art.rows[0]!.file_name, /^agent-hello_1\.2\.3-1_amd64\.deb$/);
      const text = await jobLog(s.db, jobId);
      assert.match(text, /step says hi/);
      assert.match(text, /fetching source hello\.sh/);

      // The repository's settings changed after the request and no longer serve the job's target (its
      // suite is now trixie, which debian-12 does not read): the job is built but fails to publish rather
      // than putting its package in another distribution's suite.
      await saveRepositorySettings(
        s.db,
        done.projectId,
        { private: false, settings: { apt: { suite: "trixie" } } },
        new Date(),
      );
      const moved = await pendingJob(s.db, s.call, CONFIG.replace("1.2.3", "1.2.5"), false, "1.2.5");
      const refused = await until("the job to fail publishing", async () => {
        const j = await jobRow(s.db, moved.jobId);
        return j.state === "failed" ? j : undefined;
      });
      assert.equal(refused.failure_code, "PUBLISH_FAILED");
      assert.match(refused.failure_message ?? "", /TARGET_NOT_SERVED|no longer serve debian-12/);
      assert.equal(refused.artifact_id, null);
      assert.equal(
        (await s.db.query("SELECT 1 FROM artifacts WHERE version LIKE '1.2.5%'")).rows.length,
        0,
        "no artifact recorded for the refused publish",
      );

      // Cancelling mid-step: the heartbeat answers cancel, the agent kills the step and reports it.
      const slow = `${CONFIG.replace("1.2.3", "1.2.4")}build:\n  steps:\n    - run: echo started; sleep 30\n`;
      const second = await pendingJob(s.db, s.call, slow, true);
      await until("the slow step to start", async () =>
        (await jobLog(s.db, second.jobId)).includes("started") ? true : undefined,
      );
      const at = Date.now();
      await cancelBuild(s.db, second.buildId);
      const cancelled = await until("the job to be cancelled", async () => {
        const j = await jobRow(s.db, second.jobId);
        return j.state === "cancelled" ? j : undefined;
      });
      assert.ok(Date.now() - at < 5000, `cancelled after ${Date.now() - at} ms`);
      assert.equal(cancelled.artifact_id, null);
    } finally {
      stop.abort();
    }
    const stats = await running;
    assert.deepEqual(stats, { claimed: 3, succeeded: 2, failed: 1, lost: 0 });
    // Neither token reached the server's debug log or the agent's own lines.
    assert.ok(s.lines.length > 0);
    for (const token of [s.agentToken, s.adminToken]) {
      assert.equal(
        s.lines.find((l) => l.includes(token)),
        undefined,
      );
      assert.equal(
        said.find((l) => l.includes(token)),
        undefined,
      );
    }
  });
});
