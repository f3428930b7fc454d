/**
 * Builds survive crashes (issue 20, "How it is checked"), with `packyard serve` and `packyard agent` run
 * from dist (`npm run build`) as processes, short leases (PACKYARD_BUILD_LEASE_MS=2000, heartbeats every
 * 500 ms), folder storage, PostgreSQL when DATABASE_URL is set (else PGlite in the data folder).
 *
 * - Agent killed: agent A runs a job's build step (`sleep`, long for A's environment) under bubblewrap;
 *   after its first heartbeat A gets SIGKILL. The step dies with it (bwrap --die-with-parent: no process of
 *   it is left), the lease expires, the reaper re-queues the job, agent B completes attempt 2 (its
 *   environment makes the step short). The repository lists the package once (one Packages stanza, one
 *   entry in the repository state); A's token uploading, completing or heartbeating for attempt 1 → 409
 *   STALE_ATTEMPT.
 * - Server killed mid-publish: a publish's writes under repos/ are counted once (the test-only pause point
 *   reports each), then for several k the server is started with PACKYARD_TEST_PAUSE_AFTER_WRITES=k, a new
 *   version is built by the in-process worker, the publish stops after write k and the server gets SIGKILL.
 *   While it is down, apt reading the storage folder straight (file:) updates cleanly and sees the old
 *   version or the new one, never an error, and downloads what it lists; @packyard/repo's checker finds no
 *   problem. Restarted without the variable, the server resumes the publish: one artifact, the new version
 *   listed once, apt (through the server and from the folder) sees it.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, type TestContext, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { folderStorage, readRepository, verifyRepository } from "@packyard/repo";
import { type AptResult, scratchApt } from "@packyard/testkit/apt";
import { needPostgres, postgresUrl } from "@packyard/testkit/postgres";
import { needTool } from "@packyard/testkit/tools";
import pg from "pg";
import { LAUNCHER } from "../run-cli.ts";

const LEASE_MS = 2000;
const HEARTBEAT_MS = 500;
const PROJECT = "crash";
/** The agent test's step sleeps this long in agent A's environment (an odd value, to find its process). */
const LONG_SLEEP = "29.7131";

const work = mkdtempSync(join(tmpdir(), "packyard-builds-crash-"));
// apt's _apt user reads the storage folder through file: URIs; steps run as nobody in the agents' folders.
chmodSync(work, 0o755);
const data = join(work, "data");
const tokenFile = join(work, "admin.token");
const storageDir = join(data, "storage");
const repoDir = join(storageDir, "repos", PROJECT, "main");

/** Processes this file started and has not seen exit. */
const children = new Set<ChildProcess>();
after(async () => {
  for (const c of children) {
    c.kill("SIGKILL");
    await new Promise((resolve) => c.once("exit", resolve));
  }
  rmSync(work, { recursive: true, force: true });
});

interface Proc {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  exited: Promise<number | null>;
}

/** Spawns `packyard ARGS` from dist (bin/packyard.js), output kept. */
function packyard(args: string[], env: Record<string, string | undefined>): Proc {
  const child = spawn(process.execPath, [LAUNCHER, ...args], {
    env: { ...process.env, NO_COLOR: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  let out = "";
  let err = "";
  child.stdout!.on("data", (d) => {
    out += String(d);
  });
  child.stderr!.on("data", (d) => {
    err += String(d);
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => {
      children.delete(child);
      resolve(code);
    }),
  );
  return { child, out: () => out, err: () => err, exited };
}

/** Waits until `check` holds (every 100 ms), or fails after `ms` saying `what` and `context()`. */
async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  ms = 60_000,
  context: () => string = () => "",
): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) assert.fail(`timed out after ${ms} ms waiting for ${what}\n${context()}`);
    await sleep(100);
  }
}

let databaseUrl: string | undefined;
let server: (Proc & { url: string }) | undefined;
let admin = "";

/** Starts `packyard serve` on the data folder (short leases; `extra` env on top); resolves once it listens. */
async function startServe(extra: Record<string, string> = {}): Promise<Proc & { url: string }> {
  const p = packyard(
    ["serve", "--data", data, "--port", "0", "--admin-token-file", tokenFile, "--log-level", "warn"],
    {
      DATABASE_URL: databaseUrl,
      PACKYARD_STORAGE: undefined,
      PACKYARD_MASTER_KEY: undefined,
      PACKYARD_MASTER_KEY_FILE: undefined,
      PACKYARD_TEST_PAUSE_AFTER_WRITES: undefined,
      PACKYARD_BUILD_LEASE_MS: String(LEASE_MS),
      PACKYARD_BUILD_HEARTBEAT_MS: String(HEARTBEAT_MS),
      ...extra,
    },
  );
  let url: string | undefined;
  await until(
    () => {
      url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(p.out())?.[1];
      if (p.child.exitCode !== null)
        assert.fail(`serve exited with ${p.child.exitCode}\n${p.out()}\n${p.err()}`);
      return url !== undefined;
    },
    "packyard serve to listen",
    120_000,
    () => `${p.out()}\n${p.err()}`,
  );
  return { ...p, url: url! };
}

/** SIGKILLs a process and waits for its exit. */
async function kill9(p: Proc): Promise<void> {
  p.child.kill("SIGKILL");
  await p.exited;
}

/** Stops the server with SIGTERM (drained, lock released). */
async function stopServe(): Promise<void> {
  if (server === undefined) return;
  server.child.kill("SIGTERM");
  await server.exited;
  server = undefined;
}

/** A JSON (or raw) API call with a token; returns the status and the parsed body (or text). */
async function api(
  method: string,
  path: string,
  o: {
    token?: string;
    json?: object;
    body?: string | Uint8Array;
    type?: string;
    headers?: Record<string, string>;
  } = {},
  // biome-ignore lint/suspicious/noExplicitAny: the API's JSON bodies, of many shapes, read field by field.
): Promise<{ status: number; body: any; text: string }> {
  const headers: Record<string, string> = { authorization: `Bearer ${o.token ?? admin}`, ...o.headers };
  let body: string | Uint8Array | undefined;
  if (o.json !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(o.json);
  } else if (o.body !== undefined) {
    headers["content-type"] = o.type ?? "application/octet-stream";
    body = o.body;
  }
  const r = await fetch(`${server!.url}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body }),
  });
  const text = await r.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {}
  return { status: r.status, body: parsed, text };
}

/** What the tests read of a BuildView. */
interface View {
  state: string;
  jobs: { id: number; state: string; attempt: number }[];
}

/** The build's view once it is terminal. */
async function finished(buildId: number, ms = 90_000, context: () => string = () => ""): Promise<View> {
  let view: View | undefined;
  await until(
    async () => {
      view = (await api("GET", `/api/v1/builds/${buildId}`)).body as View;
      return ["succeeded", "failed", "cancelled"].includes(view.state);
    },
    `build ${buildId} to finish`,
    ms,
    () => `${JSON.stringify(view)}\n${context()}`,
  );
  return view!;
}

/**
 * Requests a build of `pkg` `version` for debian-12. The builders write packyard.yml's own `version`, not
 * the build's (see the report), so `config` (when given) is stored first with `version:` set to it.
 */
async function requestBuild(
  pkg: string,
  version: string,
  config?: string,
): Promise<{ id: number; jobId: number }> {
  if (config !== undefined) {
    const put = await api("PUT", `/api/v1/projects/${PROJECT}/packages/${pkg}`, {
      body: config.replace(/^version: .*$/m, `version: ${version}`),
      type: "text/yaml",
    });
    assert.ok(put.status === 200 || put.status === 201, put.text);
  }
  const r = await api("POST", `/api/v1/projects/${PROJECT}/packages/${pkg}/builds`, {
    json: { version, targets: ["debian-12"] },
  });
  assert.equal(r.status, 201, r.text);
  return { id: r.body.id, jobId: r.body.jobs[0].id };
}

/** The published APT suite's folder (`deb/dists/<suite>`) and its name. */
function suite(): { name: string; dir: string } {
  const dists = join(repoDir, "deb", "dists");
  const names = readdirSync(dists);
  assert.equal(names.length, 1, `one APT suite in ${dists}, found ${names.join(", ")}`);
  return { name: names[0]!, dir: join(dists, names[0]!) };
}

/** The Packages stanzas of `pkg` (amd64, component main) as the storage folder holds them now. */
function stanzas(pkg: string): string[] {
  const text = readFileSync(join(suite().dir, "main", "binary-amd64", "Packages"), "utf8");
  return text.split(/\n\n+/).filter((s) => new RegExp(`^Package: ${pkg}$`, "m").test(s));
}

/** The repository state's entries of `pkg` (name and version). */
async function stateEntries(pkg: string): Promise<string[]> {
  const roots = await readRepository(folderStorage(repoDir));
  return roots
    .filter((r) => r.family === "deb")
    .flatMap((r) => r.packages)
    .filter((p) => p.name === pkg)
    .map((p) => `${p.name} ${p.version}`);
}

/** The repository's public OpenPGP key file (keys/*.asc). */
function publicKeyFile(): string {
  const keys = join(repoDir, "keys");
  const asc = readdirSync(keys).filter((f) => f.endsWith(".asc"));
  assert.ok(asc.length > 0, `a public key in ${keys}`);
  return join(keys, asc[0]!);
}

/** An apt run without warnings, errors, ignored or failed fetches. */
function assertClean(r: AptResult, what: string): void {
  const all = `${what}: exit ${r.code}\n${r.stdout}\n${r.stderr}`;
  assert.equal(r.code, 0, all);
  assert.deepEqual([r.warnings, r.errors, r.ignored, r.failed], [[], [], [], []], all);
}

/** PIDs of processes whose command line contains `needle` (from /proc). */
function pidsWith(needle: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8").replaceAll("\0", " ");
      if (cmdline.includes(needle)) found.push(Number(entry));
    } catch {} // gone meanwhile
  }
  return found;
}

/** A package with a build step that sleeps $SLEEP_SECONDS (from the agent's environment) and makes its file. */
const STEP_CONFIG = `name: slow
version: 1.0.0
arch: amd64
maintainer: Crash Test <crash@packyard.invalid>
description: built by a step that sleeps
license: MIT
contents:
  - src: out/data.txt
    dst: /usr/share/slow/data.txt
build:
  env: [SLEEP_SECONDS]
  steps:
    - run: echo step-started; sleep "$SLEEP_SECONDS"; mkdir -p out; echo built > out/data.txt
  outputs: [out]
`;

/** A package without steps: built by the server's in-process worker. */
const QUICK_CONFIG = `name: quick
version: 1.0.0
arch: amd64
maintainer: Crash Test <crash@packyard.invalid>
description: built by the in-process worker
license: MIT
contents:
  - src: data.txt
    dst: /usr/share/quick/data.txt
`;

before(async () => {
  assert.ok(
    existsSync(join(LAUNCHER, "../../dist/main.js")),
    "the CLI is not built: run `npm run build` first",
  );
});

/**
 * Starts the server the tests share (once): a new data folder, project `crash` with packages `slow` and
 * `quick`. It reports every write under repos/ and pauses none (k = 1,000,000): the counting run. False
 * when PostgreSQL is wanted and skipped.
 */
async function setUp(t: TestContext): Promise<boolean> {
  if (server !== undefined) return true;
  if (postgresUrl() !== undefined) {
    databaseUrl = await needPostgres(t);
    if (databaseUrl === undefined) return false;
  }
  mkdirSync(data, { recursive: true });
  chmodSync(data, 0o755);
  server = await startServe({ PACKYARD_TEST_PAUSE_AFTER_WRITES: "1000000" });
  admin = readFileSync(tokenFile, "utf8").trim();
  let r = await api("POST", "/api/v1/projects", { json: { slug: PROJECT } });
  assert.equal(r.status, 201, r.text);
  for (const [name, config] of [
    ["slow", STEP_CONFIG],
    ["quick", QUICK_CONFIG],
  ] as const) {
    r = await api("PUT", `/api/v1/projects/${PROJECT}/packages/${name}`, { body: config, type: "text/yaml" });
    assert.equal(r.status, 201, r.text);
  }
  r = await api("PUT", `/api/v1/projects/${PROJECT}/packages/quick/files/data.txt`, { body: "quick data\n" });
  assert.equal(r.status, 201, r.text);
  return true;
}

test("agent killed during a build step: its step dies, the lease expires, another agent completes attempt 2, published once; attempt 1 is STALE_ATTEMPT", async (t) => {
  if (!needTool(t, "bwrap")) return;
  if (!(await setUp(t))) return;
  const agentToken = async (name: string): Promise<string> => {
    const made = await api("POST", "/api/v1/agents", { json: { name } });
    assert.equal(made.status, 201, made.text);
    return made.body.token as string;
  };
  const tokenA = await agentToken("agent-a");
  const tokenB = await agentToken("agent-b");
  const agent = (token: string, sleepSeconds: string) => {
    const dir = mkdtempSync(join(work, "agent-"));
    chmodSync(dir, 0o755);
    return packyard(["agent", "--server", server!.url, "--work-dir", dir, "--sandbox", "bwrap"], {
      PACKYARD_AGENT_TOKEN: token,
      SLEEP_SECONDS: sleepSeconds,
    });
  };

  const a = agent(tokenA, LONG_SLEEP);
  const build = await requestBuild("slow", "1.0.0");
  const context = () => `agent A:\n${a.out()}\n${a.err()}\nserver:\n${server!.err().slice(-3000)}`;
  // Attempt 1 is A's and its step runs; then A's first heartbeat.
  await until(() => pidsWith(`sleep ${LONG_SLEEP}`).length > 0, "agent A's step to run", 60_000, context);
  if (databaseUrl !== undefined) {
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    t.after(() => db.end());
    await until(
      async () =>
        (
          await db.query(
            "SELECT 1 FROM job_attempts WHERE job_id = $1 AND attempt = 1 AND heartbeat_at IS NOT NULL",
            [build.jobId],
          )
        ).rows.length > 0,
      "agent A's first heartbeat",
      10_000,
      context,
    );
  } else {
    // PGlite is the server's alone: three heartbeat periods after the step started.
    await sleep(3 * HEARTBEAT_MS);
  }
  let view = (await api("GET", `/api/v1/builds/${build.id}`)).body;
  assert.equal(view.jobs[0].state, "running", JSON.stringify(view));
  assert.equal(view.jobs[0].attempt, 1);

  await kill9(a);
  // bwrap --die-with-parent: the step's PID namespace goes with the agent.
  await until(() => pidsWith(`sleep ${LONG_SLEEP}`).length === 0, "agent A's step to die with it", 5_000);

  const b = agent(tokenB, "0");
  view = await finished(
    build.id,
    90_000,
    () => `agent B:\n${b.out()}\n${b.err()}\nserver:\n${server!.err().slice(-3000)}`,
  );
  assert.equal(view.state, "succeeded", JSON.stringify(view));
  assert.equal(view.jobs[0].attempt, 2, "attempt 2 completed the job");
  const logs = await api("GET", `/api/v1/builds/${build.id}/logs?limit=1000`);
  const lines = (logs.body.entries as { attempt: number; text: string }[]).filter((e) =>
    e.text.includes("step-started"),
  );
  assert.deepEqual([...new Set(lines.map((e) => e.attempt))].sort(), [1, 2], "both attempts ran the step");
  if (databaseUrl !== undefined) {
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    const { rows } = await db.query(
      "SELECT attempt, state, agent_id, started_at, finished_at FROM job_attempts WHERE job_id = $1 ORDER BY attempt",
      [build.jobId],
    );
    await db.end();
    assert.deepEqual(
      rows.map((x) => [x.attempt, x.state]),
      [
        [1, "lost"],
        [2, "succeeded"],
      ],
    );
    assert.notEqual(rows[0].agent_id, rows[1].agent_id, "another agent ran attempt 2");
    assert.ok(rows[1].started_at >= rows[0].finished_at, "attempt 2 started after attempt 1 was lost");
  }

  // Published once: one stanza, one state entry, one artifact.
  assert.equal(stanzas("slow").length, 1, stanzas("slow").join("\n\n"));
  assert.deepEqual(await stateEntries("slow"), ["slow 1.0.0"]);
  const release = await api("GET", `/api/v1/projects/${PROJECT}/packages/slow/releases/1.0.0`);
  assert.equal(release.body.artifacts.length, 1, release.text);

  // Attempt 1 is fenced off: A's token is still valid, its attempt is not.
  // A late upload: whatever the bytes, the attempt is refused before they count.
  const late = new TextEncoder().encode("a late package from attempt 1\n");
  const fenced = [
    await api(
      "PUT",
      `/api/v1/agent/jobs/${build.jobId}/artifact?attempt=1&fileName=${release.body.artifacts[0].fileName}`,
      {
        token: tokenA,
        body: late,
        headers: { "x-checksum-sha256": createHash("sha256").update(late).digest("hex") },
      },
    ),
    await api("POST", `/api/v1/agent/jobs/${build.jobId}/complete`, {
      token: tokenA,
      json: { attempt: 1, outcome: "succeeded" },
    }),
    await api("POST", `/api/v1/agent/jobs/${build.jobId}/heartbeat`, { token: tokenA, json: { attempt: 1 } }),
  ];
  for (const f of fenced) {
    assert.equal(f.status, 409, f.text);
    assert.equal(f.body.error.code, "STALE_ATTEMPT", f.text);
  }
  assert.equal(stanzas("slow").length, 1);
  await kill9(b);
});

test("server killed mid-publish after write k: apt reading storage sees the old or the new repository, a restart publishes once", async (t) => {
  if (!needTool(t, "apt-get", "apt-cache")) return;
  if (!(await setUp(t))) return;
  assert.ok(server !== undefined);
  // The counting run: this server reports every write under repos/; a publish of its own is counted.
  const publish = async (version: string) => {
    const b = await requestBuild("quick", version, QUICK_CONFIG);
    const view = await finished(b.id, 90_000, () => server!.err().slice(-3000));
    assert.equal(view.state, "succeeded", JSON.stringify(view));
  };
  await publish("1.0.0");
  const before = (server.err().match(/^PACKYARD_TEST_WRITE .*$/gm) ?? []).length;
  await publish("1.0.1");
  const counted = (server.err().match(/^PACKYARD_TEST_WRITE .*$/gm) ?? []).slice(before);
  const writes = counted.length;
  assert.ok(writes >= 6, `a publish writes several objects, found ${writes}`);
  await stopServe();
  const ks = [...new Set([1, 3, Math.floor(writes / 2) + 1, writes - 1])].filter((k) => k >= 1 && k < writes);
  t.diagnostic(
    `a publish writes ${writes} objects under repos/ (${counted.map((l) => l.replace(/^PACKYARD_TEST_WRITE \d+ \w+ repos\/[^/]+\/[^/]+\//, "").replace(/[0-9a-f]{64}/g, "…")).join(", ")}); killing after writes ${ks.join(", ")}`,
  );

  let old = "1.0.1";
  let minor = 2;
  for (const k of ks) {
    const version = `1.0.${minor++}`;
    const what = `killed after write ${k} of ${writes} (${old} → ${version})`;
    server = await startServe({ PACKYARD_TEST_PAUSE_AFTER_WRITES: String(k) });
    const b = await requestBuild("quick", version, QUICK_CONFIG);
    await until(
      () => server!.err().includes("PACKYARD_TEST_PAUSED"),
      `${what}: the pause`,
      90_000,
      () => server!.err().slice(-3000),
    );
    const written = server.err().match(/^PACKYARD_TEST_WRITE .*$/gm) ?? [];
    assert.equal(written.length, k, `${what}: writes before the pause\n${written.join("\n")}`);
    await kill9(server);
    server = undefined;

    // While it is down: apt reads the storage folder straight.
    const key = publicKeyFile();
    const s = suite();
    const folderApt = scratchApt({ sources: { uri: `file:${repoDir}/deb`, suite: s.name, signedBy: key } });
    t.after(() => folderApt.dispose());
    assertClean(await folderApt.update(), `${what}: apt-get update from the folder`);
    const policy = await folderApt.policy("quick");
    assert.ok(
      policy.candidate === `${old}` || policy.candidate === `${version}`,
      `${what}: apt's candidate is ${policy.candidate}\n${policy.stdout}`,
    );
    t.diagnostic(
      `${what}: write ${k} is like ${counted[k - 1]?.replace(/^PACKYARD_TEST_WRITE \d+ /, "")}; apt saw ${policy.candidate}`,
    );
    const got = await folderApt.download("quick");
    assert.equal(got.code, 0, `${what}: apt-get download\n${got.stdout}\n${got.stderr}`);
    const publicKey = readFileSync(key, "utf8");
    assert.deepEqual(await verifyRepository(folderStorage(repoDir), { publicKeys: [publicKey] }), [], what);

    // Restarted without the pause: the publish resumes and completes once.
    server = await startServe();
    const view = await finished(b.id, 90_000, () => server!.err().slice(-3000));
    assert.equal(view.state, "succeeded", `${what}: ${JSON.stringify(view)}`);
    const release = await api("GET", `/api/v1/projects/${PROJECT}/packages/quick/releases/${version}`);
    assert.equal(release.body.artifacts.length, 1, release.text);
    assert.deepEqual(
      (await stateEntries("quick")).filter((e) => e === `quick ${version}`),
      [`quick ${version}`],
      what,
    );
    assert.equal(stanzas("quick").filter((x) => x.includes(`\nVersion: ${version}\n`)).length, 1, what);
    const served = scratchApt({
      sources: { uri: `${server.url}/r/${PROJECT}/main/deb`, suite: s.name, signedBy: key },
    });
    t.after(() => served.dispose());
    assertClean(await served.update(), `${what}: apt-get update through the restarted server`);
    assert.equal((await served.policy("quick")).candidate, `${version}`, what);
    assertClean(await folderApt.update(), `${what}: apt-get update from the folder after the restart`);
    assert.equal((await folderApt.policy("quick")).candidate, `${version}`, what);
    assert.deepEqual(await verifyRepository(folderStorage(repoDir), { publicKeys: [publicKey] }), [], what);
    await stopServe();
    old = version;
  }
});
