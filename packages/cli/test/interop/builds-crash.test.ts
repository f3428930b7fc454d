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
 * - Server killed mid-publish, on folder storage and on S3 (testkit's S3 server, PGlite): the
 *   repository serves apt (suite stable), rpm (fedora-42) and pacman (archlinux), and each build of `quick`
 *   (in-process worker) is for debian-12, fedora-42 and arch, so its jobs publish deb, rpm and pacman
 *   objects. For three cuts — inside the deb part (after the suite's Packages: by-hash files written,
 *   Release not), inside the rpm part (after other.xml.gz: the new metadata written, repomd.xml not) and
 *   at the end of the pacman part (after the last database signature: the repository state and the site
 *   files not written; the deb and pacman cuts on the folder, the rpm cut on S3) — the server is started with PACKYARD_TEST_PAUSE_AFTER_WRITES=1 and
 *   PACKYARD_TEST_PAUSE_MATCH=<the cut's key>, a new version is built, the publish stops after that write
 *   (the test-only pause point reports each write; the list is printed) and the server gets SIGKILL. The
 *   cut is named by its key, not by a write count: the build's three jobs publish one by one, and which of
 *   them a publish takes up (and so how many writes come before a cut) varies from run to run. While it is
 *   down, apt (Signed-By), dnf (--installroot, gpgcheck and repo_gpgcheck) and pacman (SigLevel Required)
 *   read the storage straight (file: for the folder, the S3 server's anonymous HTTP for the bucket), in
 *   parallel, and each sees the old version or the new one, never an error, and fetches what it lists;
 *   @packyard/repo's checker finds no problem. Restarted without the variables, the server resumes the
 *   publish: one artifact per target, the new version once in each family's state, and all three
 *   clients, through the server, see it.
 *   No cut is a mutable file whose detached signature is the next write (rpm's repomd.xml, pacman's .db
 *   and .files): between those two writes a client fails on the signature whatever the order (the pair
 *   race, /work/shared/reference/repos.md §7, checked in @packyard/repo's rpm-crash test).
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, type TestContext, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { folderStorage, readRepository, type Storage, verifyRepository } from "@packyard/repo";
import { type AptResult, scratchApt } from "@packyard/testkit/apt";
import { makeRepoRoot } from "@packyard/testkit/pacman-repo";
import { makeKeyring } from "@packyard/testkit/pacman-root";
import { needPostgres, postgresUrl } from "@packyard/testkit/postgres";
import { scratchDnf } from "@packyard/testkit/rpms";
import { type S3Server, startS3 } from "@packyard/testkit/s3";
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

/** Where a server keeps its data and its repositories, and where clients read them straight. */
interface Site {
  name: string;
  /** The data folder (`--data`). */
  data: string;
  tokenFile: string;
  /** The storage's environment on top of startServe's (PACKYARD_STORAGE and its S3 settings). */
  env: Record<string, string | undefined>;
  /** The project's repository (`repos/crash/main/`) in the storage. */
  repo: Storage;
  /** The same as a URL clients read without the server: file:// for a folder, the bucket's HTTP URL. */
  base: string;
}

/** Folder storage in the data folder (PostgreSQL when DATABASE_URL is set); the agent test's too. */
function folderSite(): Site {
  const data = join(work, "data");
  const repoDir = join(data, "storage", "repos", PROJECT, "main");
  return {
    name: "folder",
    data,
    tokenFile: join(work, "admin.token"),
    env: {},
    repo: folderStorage(repoDir),
    base: `file://${repoDir}`,
  };
}

/** S3 storage (testkit's S3 server) under `crash-s3/`, a data folder of its own with PGlite. */
function s3Site(s3: S3Server): Site {
  const prefix = "crash-s3/";
  return {
    name: "S3",
    data: join(work, "data-s3"),
    tokenFile: join(work, "admin-s3.token"),
    env: {
      DATABASE_URL: undefined,
      PACKYARD_STORAGE: `s3://${s3.bucket}/${prefix}`,
      PACKYARD_S3_ENDPOINT: s3.endpoint,
      PACKYARD_S3_REGION: s3.region,
      PACKYARD_S3_PATH_STYLE: "true",
      AWS_ACCESS_KEY_ID: s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    },
    repo: s3.storage(`${prefix}repos/${PROJECT}/main/`),
    base: s3.url(`${prefix}repos/${PROJECT}/main`),
  };
}

let site = folderSite();

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
    [
      "serve",
      "--data",
      site.data,
      "--port",
      "0",
      "--admin-token-file",
      site.tokenFile,
      "--log-level",
      "warn",
    ],
    {
      DATABASE_URL: databaseUrl,
      PACKYARD_STORAGE: undefined,
      PACKYARD_MASTER_KEY: undefined,
      PACKYARD_MASTER_KEY_FILE: undefined,
      PACKYARD_TEST_PAUSE_AFTER_WRITES: undefined,
      PACKYARD_TEST_PAUSE_MATCH: undefined,
      PACKYARD_BUILD_LEASE_MS: String(LEASE_MS),
      PACKYARD_BUILD_HEARTBEAT_MS: String(HEARTBEAT_MS),
      ...site.env,
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

/** Stops the server with SIGTERM (drained, lock released); SIGKILL after 20 s (a server left paused). */
async function stopServe(): Promise<void> {
  if (server === undefined) return;
  const p = server;
  server = undefined;
  p.child.kill("SIGTERM");
  const timer = setTimeout(() => p.child.kill("SIGKILL"), 20_000);
  await p.exited;
  clearTimeout(timer);
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
    ...(body === undefined ? {} : { body: body as BodyInit }),
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

/** Requests a build of `pkg` `version` for `targets` (default debian-12). */
async function requestBuild(
  pkg: string,
  version: string,
  targets: string[] = ["debian-12"],
): Promise<{ id: number; jobId: number }> {
  const r = await api("POST", `/api/v1/projects/${PROJECT}/packages/${pkg}/builds`, {
    json: { version, targets },
  });
  assert.equal(r.status, 201, r.text);
  return { id: r.body.id, jobId: r.body.jobs[0].id };
}

/** The APT suite the repository settings name. */
const SUITE = "stable";

/** An object of the site's repository as text (fails when absent). */
async function readText(key: string): Promise<string> {
  const body = await site.repo.get(key);
  assert.ok(body !== undefined, `${key} in the ${site.name} repository`);
  const chunks: Uint8Array[] = [];
  for await (const c of body) chunks.push(c);
  return Buffer.concat(chunks).toString("utf8");
}

/** The Packages stanzas of `pkg` (amd64, component main) as the storage holds them now. */
async function stanzas(pkg: string): Promise<string[]> {
  const text = await readText(`deb/dists/${SUITE}/main/binary-amd64/Packages`);
  return text.split(/\n\n+/).filter((s) => new RegExp(`^Package: ${pkg}$`, "m").test(s));
}

/** The repository state's entries of `pkg` (name and version) in `family`'s roots. */
async function stateEntries(pkg: string, family = "deb"): Promise<string[]> {
  const roots = await readRepository(site.repo);
  return roots
    .filter((r) => r.family === family)
    .flatMap((r) => r.packages)
    .filter((p) => p.name === pkg)
    .map((p) => `${p.name} ${p.version}`);
}

/** The repository's public OpenPGP key (keys/*.asc), armored. */
async function publicKey(): Promise<string> {
  const page = await site.repo.list("keys/");
  const asc = page.objects.map((o) => o.key).filter((k) => k.endsWith(".asc"));
  assert.ok(asc.length > 0, `a public key under keys/ in the ${site.name} repository`);
  return readText(asc[0]!);
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

/** The sites whose server was set up (their data folder holds the project). */
const setUpSites = new Set<string>();

/**
 * Starts the server of the current site once (the tests on one site share it): a new data folder, project
 * `crash` whose repository serves apt (suite stable), rpm (fedora-42) and pacman, with packages `slow` and
 * `quick`. False when PostgreSQL is wanted and skipped.
 */
async function setUp(t: TestContext): Promise<boolean> {
  if (setUpSites.has(site.name)) {
    server ??= await startServe();
    return true;
  }
  if (postgresUrl() !== undefined && databaseUrl === undefined) {
    databaseUrl = await needPostgres(t);
    if (databaseUrl === undefined) return false;
  }
  mkdirSync(site.data, { recursive: true });
  chmodSync(site.data, 0o755);
  server = await startServe();
  setUpSites.add(site.name);
  admin = readFileSync(site.tokenFile, "utf8").trim();
  let r = await api("POST", "/api/v1/projects", { json: { slug: PROJECT } });
  assert.equal(r.status, 201, r.text);
  // The settings before any build: they say what a publish writes.
  r = await api("PUT", `/api/v1/projects/${PROJECT}/repository`, {
    json: { apt: { suite: SUITE }, rpm: { targets: ["fedora-42"] }, archlinux: { repo: PROJECT } },
  });
  assert.equal(r.status, 200, r.text);
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
  assert.equal((await stanzas("slow")).length, 1, (await stanzas("slow")).join("\n\n"));
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
  assert.equal((await stanzas("slow")).length, 1);
  await kill9(b);
});

/** What each build of `quick` in the crash tests is for: a publish writes deb, rpm and pacman objects. */
const TARGETS = ["debian-12", "fedora-42", "arch"];
const CLIENT_TOOLS = ["apt-get", "apt-cache", "dnf", "rpm", "pacman", "pacman-key", "busybox", "gpg"];

/** What the clients need to read the site's repository with signatures checked. */
interface Readers {
  /** The repository's public key, armored, and as a file (apt's Signed-By). */
  armored: string;
  keyFile: string;
  /** pacman's keyring, the key locally signed. */
  gpgdir: string;
  /** The .repo file the publish wrote, its repository URL replaced by `base`. */
  repoText(base: string): string;
  /** Where the clients' scratch folders go. */
  dir: string;
}

/** The readers of the current site's repository, once something is published (the server up). */
async function readers(): Promise<Readers> {
  const dir = mkdtempSync(join(work, `clients-${site.name}-`));
  chmodSync(dir, 0o755); // apt's methods drop to the _apt user, which must read the key file
  const armored = await publicKey();
  const keyFile = join(dir, "key.asc");
  writeFileSync(keyFile, armored);
  const keys = await api("GET", `/api/v1/projects/${PROJECT}/keys`);
  const fingerprint = (keys.body as { purpose: string; state: string; fingerprint: string }[]).find(
    (k) => k.purpose === "openpgp" && k.state === "active",
  )?.fingerprint;
  assert.ok(fingerprint !== undefined, keys.text);
  const gpgdir = makeKeyring(join(dir, "pacman"), armored, fingerprint.toUpperCase());
  const served = await fetch(`${server!.url}/r/${PROJECT}/main/rpm/fedora/42/${PROJECT}.repo`);
  const text = await served.text();
  assert.equal(served.status, 200, text);
  assert.match(text, /^gpgcheck=1$/m, text);
  assert.match(text, /^repo_gpgcheck=1$/m, text);
  const url = new RegExp(`https?://[^\\s/]+/r/${PROJECT}/main`, "g");
  assert.match(text, url, text);
  return { armored, keyFile, gpgdir, dir, repoText: (base) => text.replace(url, base) };
}

/** A package version without its Debian revision, RPM release or pacman pkgrel. */
function upstream(version: string | undefined): string | undefined {
  return version?.replace(/-[^-]*$/, "");
}

/** The newest of versions `1.0.<n>`. */
function newest(versions: string[]): string | undefined {
  return versions.sort((x, y) => Number(x.split(".")[2]) - Number(y.split(".")[2])).at(-1);
}

/**
 * apt, dnf and pacman (in parallel, fresh each) read the repository at `base`: each updates without an
 * error, and fetches (signatures checked) the newest `quick` it lists; the versions they saw, in that order.
 */
async function clientsSee(r: Readers, base: string, what: string): Promise<string[]> {
  const out = (step: string, x: { stdout: string; stderr: string }, code: number | null) =>
    `${what}: ${step} exited ${code}\n${x.stdout}\n${x.stderr}`;
  const apt = async () => {
    const a = scratchApt({ sources: { uri: `${base}/deb`, suite: SUITE, signedBy: r.keyFile } });
    try {
      assertClean(await a.update(), `${what}: apt-get update`);
      const policy = await a.policy("quick");
      const got = await a.download("quick");
      assert.equal(got.code, 0, out("apt-get download", got, got.code));
      return upstream(policy.candidate);
    } finally {
      a.dispose();
    }
  };
  const dnf = async () => {
    const d = scratchDnf(r.dir, r.repoText(base), { releasever: "42" });
    try {
      // repoquery makes the cache first (and fails when it cannot).
      const query = await d.repoquery(["quick"]);
      assert.equal(query.code, 0, out("dnf repoquery", query, query.code));
      const got = await d.dnf([
        "-q",
        "install",
        "--downloadonly",
        `--downloaddir=${join(d.dir, "got")}`,
        "quick",
      ]);
      assert.equal(got.code, 0, out("dnf install --downloadonly", got, got.code));
      return newest(query.packages.map((p) => p.version));
    } finally {
      d.dispose();
    }
  };
  const pacman = async () => {
    const root = makeRepoRoot(r.gpgdir, [
      { repo: PROJECT, servers: [`${base}/archlinux/$repo/os/$arch`], sigLevel: "Required" },
    ]);
    try {
      const got = await root.pacman(["-Syw", "quick"]);
      assert.equal(got.status, 0, out("pacman -Syw", got, got.status));
      const list = await root.pacman(["-Sl", PROJECT]);
      assert.equal(list.status, 0, out("pacman -Sl", list, list.status));
      return newest(
        [...list.stdout.matchAll(new RegExp(`^${PROJECT} quick (\\S+)`, "gm"))].map((m) => upstream(m[1])!),
      );
    } finally {
      rmSync(root.root, { recursive: true, force: true });
    }
  };
  return (await Promise.all([apt(), dnf(), pacman()])).map((v) => v ?? "(none)");
}

/** `PACKYARD_TEST_WRITE <n> <method> repos/crash/main/<key>` → the key under the repository. */
function writtenKey(line: string): string {
  return line.replace(/^PACKYARD_TEST_WRITE \d+ \w+ repos\/[^/]+\/[^/]+\//, "");
}

/** Where the publish is cut: the first write whose key (under the storage, repos/…) matches. */
const CUTS = [
  { family: "deb", match: "^repos/[^/]+/[^/]+/deb/dists/[^/]+/main/binary-amd64/Packages$" },
  { family: "rpm", match: String.raw`^repos/[^/]+/[^/]+/rpm/.*/repodata/[0-9a-f]{64}-other\.xml\.gz$` },
  { family: "archlinux", match: String.raw`^repos/[^/]+/[^/]+/archlinux/.*\.db\.tar\.gz\.sig$` },
] as const;

/**
 * The crash cases on the current site (its server up, set up): for each cut (`which`: indexes into
 * {@link CUTS}) kills the server right after the cut's write, lets the three clients read the storage
 * straight, restarts it.
 */
async function crashCases(t: TestContext, which: readonly number[] = [0, 1, 2]): Promise<void> {
  assert.ok(server !== undefined);
  const started = Date.now();
  const b0 = await requestBuild("quick", "1.0.0", TARGETS);
  const v0 = await finished(b0.id, 90_000, () => server!.err().slice(-3000));
  assert.equal(v0.state, "succeeded", JSON.stringify(v0));
  const r = await readers();
  await stopServe();
  t.diagnostic(`${site.name}: set up in ${Date.now() - started} ms`);
  let old = "1.0.0";
  let minor = 1;

  for (const cut of which.map((i) => CUTS[i]!)) {
    const lap = Date.now();
    const version = `1.0.${minor++}`;
    const what = `${site.name}, killed after the ${cut.family} write /${cut.match}/ (${old} → ${version})`;
    server = await startServe({
      PACKYARD_TEST_PAUSE_AFTER_WRITES: "1",
      PACKYARD_TEST_PAUSE_MATCH: cut.match,
    });
    const b = await requestBuild("quick", version, TARGETS);
    await until(
      () => server!.err().includes("PACKYARD_TEST_PAUSED"),
      `${what}: the pause`,
      90_000,
      () => server!.err().slice(-3000),
    );
    const written = server.err().match(/^PACKYARD_TEST_WRITE .*$/gm) ?? [];
    const last = written.at(-1) ?? "";
    assert.match(last.split(" ").at(-1)!, new RegExp(cut.match), `${what}: the last write before the pause`);
    const paused = Date.now();
    await kill9(server);
    server = undefined;

    // While it is down: apt, dnf and pacman read the storage straight.
    const down = await clientsSee(r, site.base, `${what}, from storage`);
    const readDown = Date.now();
    for (const [i, seen] of down.entries())
      assert.ok(
        seen === old || seen === version,
        `${what}: ${["apt", "dnf", "pacman"][i]} saw ${seen} from storage; the writes:\n${written.map(writtenKey).join("\n")}`,
      );
    assert.deepEqual(await verifyRepository(site.repo, { publicKeys: [r.armored] }), [], what);

    // Restarted without the pause: the publish resumes and completes once.
    server = await startServe();
    const view = await finished(b.id, 90_000, () => server!.err().slice(-3000));
    assert.equal(view.state, "succeeded", `${what}: ${JSON.stringify(view)}`);
    const resumed = Date.now();
    const release = await api("GET", `/api/v1/projects/${PROJECT}/packages/quick/releases/${version}`);
    assert.equal(release.body.artifacts.length, TARGETS.length, release.text);
    const listed = new RegExp(`^quick (\\d+:)?${version.replaceAll(".", "\\.")}(-[^-]+)?$`);
    for (const family of ["deb", "rpm", "archlinux"])
      assert.equal(
        (await stateEntries("quick", family)).filter((e) => listed.test(e)).length,
        1,
        `${what}: ${family} state: ${(await stateEntries("quick", family)).join(", ")}`,
      );
    assert.equal(
      (await stanzas("quick")).filter((x) => x.includes(`\nVersion: ${version}\n`)).length,
      1,
      what,
    );
    const up = await clientsSee(
      r,
      `${server.url}/r/${PROJECT}/main`,
      `${what}, through the restarted server`,
    );
    assert.deepEqual(up, [version, version, version], `${what}: apt, dnf and pacman through the server`);
    const readUp = Date.now();
    assert.deepEqual(await verifyRepository(site.repo, { publicKeys: [r.armored] }), [], what);
    await stopServe();
    t.diagnostic(
      `${what}: paused after write ${written.length}; from storage apt, dnf, pacman saw ${down.join(", ")}; ${Date.now() - lap} ms (to the pause ${paused - lap}, clients from storage ${readDown - paused}, restart to done ${resumed - readDown}, clients through it ${readUp - resumed}); the writes:\n${written.map((w, i) => `  ${i + 1} ${writtenKey(w)}`).join("\n")}`,
    );
    old = version;
  }
}

test("server killed mid-publish, folder storage: apt, dnf and pacman reading storage see the old or the new repository, a restart publishes once", async (t) => {
  if (!needTool(t, ...CLIENT_TOOLS)) return;
  site = folderSite();
  if (!(await setUp(t))) return;
  // The deb and pacman cuts here, the rpm cut on S3 below (CI time): each cut runs on one site.
  await crashCases(t, [0, 2]);
});

test("server killed mid-publish, S3 storage: the same, the clients reading the bucket over HTTP", async (t) => {
  if (!needTool(t, ...CLIENT_TOOLS)) return;
  await stopServe();
  const s3 = await startS3();
  t.after(async () => {
    await stopServe();
    await s3.stop();
  });
  site = s3Site(s3);
  if (!(await setUp(t))) return;
  // The rpm cut on S3: inside the rpm part, where apt may already see the new version and dnf and pacman
  // the old one; the folder run covers the deb and pacman cuts.
  await crashCases(t, [1]);
});
