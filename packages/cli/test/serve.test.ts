// `packyard serve` as a process: first start on a free port prints the URL and the admin token once (stdout,
// not the log), master.key 0600; a second server on the same data folder is DATA_DIR_LOCKED; a SIGKILLed
// server's lock does not block a restart, which prints no new token; SIGTERM stops it cleanly and frees the
// lock; another master key is MASTER_KEY_MISMATCH with a non-zero exit. On PostgreSQL (DATABASE_URL) the
// token goes to --admin-token-file (0600) instead. In process: close() drains requests up to its deadline.
// Builds: --workers/--no-worker/--log-retention-days errors; --no-worker --local-agent: the local agent
// (a child process) claims and completes a job with a build step, stops with the server and is revoked;
// --workers 2 starts two in-process worker slots.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { needPostgres } from "@packyard/testkit/postgres";
import type { FastifyInstance } from "fastify";
import { serverLogger, startServer } from "@packyard/server";
import { runMain } from "./run-cli.ts";

/** The master key of this file's PostgreSQL database (its tests share the database, so they share the key). */
const PG_MASTER_KEY = "cd".repeat(32);
const CHILD = fileURLToPath(new URL("./serve-child.ts", import.meta.url));
const temp = mkdtempSync(join(tmpdir(), "packyard-serve-"));
after(() => rmSync(temp, { recursive: true, force: true }));

interface Serving {
  child: ChildProcess;
  url: string;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** Starts `packyard serve --port 0 …`; resolves once it listens, or rejects with its output when it exits. */
function serve(args: string[], env: Record<string, string | undefined> = {}): Promise<Serving> {
  const child = spawn(
    process.execPath,
    ["--conditions=@packyard/source", CHILD, "serve", "--port", "0", "--log-level", "debug", ...args],
    {
      env: { ...process.env, DATABASE_URL: undefined, PACKYARD_MASTER_KEY: undefined, ...env },
      stdio: "pipe",
    },
  );
  let out = "";
  let err = "";
  child.stdout!.on("data", (d) => {
    out += String(d);
  });
  child.stderr!.on("data", (d) => {
    err += String(d);
  });
  const exited = new Promise<number | null>((done) => child.on("exit", (code) => done(code)));
  return new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      // The first start prints the token after the URL: wait for the whole block.
      if (m !== null && (!out.includes("admin token (shown once") || /\npky_\S+\n/.test(out))) {
        clearInterval(timer);
        resolve({ child, url: m[1]!, stdout: () => out, stderr: () => err, exited });
      }
    }, 50);
    void exited.then((code) => {
      clearInterval(timer);
      reject(
        Object.assign(new Error(`serve exited with ${code}\nstdout: ${out}\nstderr: ${err}`), {
          code,
          out,
          err,
        }),
      );
    });
  });
}

/** Runs serve expecting it to fail at start; returns its exit code and output. */
async function failing(args: string[], env: Record<string, string | undefined> = {}) {
  try {
    const s = await serve(args, env);
    s.child.kill("SIGKILL");
    assert.fail(`expected serve to fail, found it listening at ${s.url}`);
  } catch (e) {
    const { code, out, err } = e as { code: number; out: string; err: string };
    return { code, out, err };
  }
}

test("serve refuses a bad --port, --log-level, --public-url or --repo-base-url (with credentials) before starting", async () => {
  const cases: [string[], RegExp][] = [
    [["--port", "70000"], /--port: expected a number from 0 to 65535, found '70000'/],
    [["--log-level", "loud"], /--log-level: expected one of .*found 'loud'/],
    [["--public-url", "ftp://x"], /--public-url: expected an http:\/\/ or https:\/\/ URL/],
    [
      ["--repo-base-url", "https://u:p@cdn.example.org/r"],
      /--repo-base-url: expected an http:\/\/ or https:\/\/ URL without credentials/,
    ],
    [["--repo-base-url", "cdn.example.org"], /--repo-base-url: expected/],
  ];
  for (const [args, message] of cases) {
    const r = await runMain(["serve", "--data", "/nonexistent/packyard-data", ...args], tmpdir(), []);
    assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
});

test("serve: first start, lock, SIGKILL restart, SIGTERM, another master key (PGlite)", async () => {
  const data = join(temp, "data");
  const first = await serve(["--data", data]);
  const token = /\n(pky_[A-Za-z0-9_-]{43})\n/.exec(first.stdout())?.[1];
  assert.ok(token, `expected the admin token on stdout, found ${first.stdout()}`);
  assert.equal(statSync(join(data, "master.key")).mode & 0o777, 0o600);
  const health = await fetch(`${first.url}/healthz`);
  assert.equal(health.status, 200);
  const me = await fetch(`${first.url}/api/v1/user`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(me.status, 200);
  assert.equal(((await me.json()) as { slug: string; isAdmin: boolean }).isAdmin, true);

  const second = await failing(["--data", data]);
  assert.notEqual(second.code, 0);
  assert.match(second.err, /DATA_DIR_LOCKED/);

  first.child.kill("SIGKILL");
  await first.exited;
  const restarted = await serve(["--data", data]);
  assert.doesNotMatch(restarted.stdout(), /pky_/, "the admin token is printed on the first start only");
  const again = await fetch(`${restarted.url}/api/v1/user`, {
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(again.status, 200);
  assert.equal(((await again.json()) as { slug: string }).slug, "admin");

  restarted.child.kill("SIGTERM");
  assert.equal(await restarted.exited, 0);
  assert.deepEqual(readdirSync(join(data, ".lock")), [], "SIGTERM releases the lock");

  const mismatch = await failing(["--data", data], { PACKYARD_MASTER_KEY: "ab".repeat(32) });
  assert.notEqual(mismatch.code, 0);
  assert.match(mismatch.err, /MASTER_KEY_MISMATCH/);

  for (const s of [first, restarted])
    assert.ok(!s.stderr().includes(token), "the admin token never reaches the log (stderr, debug level)");
  assert.match(restarted.stderr(), /"msg":"request"/, "the debug log was captured");
});

test("serve on PostgreSQL writes the first admin token to --admin-token-file (0600)", async (t) => {
  const url = await needPostgres(t);
  if (url === undefined) return;
  const data = join(temp, "pg-data");
  const file = join(temp, "admin-token");
  const s = await serve(["--data", data, "--admin-token-file", file], {
    DATABASE_URL: url,
    PACKYARD_MASTER_KEY: PG_MASTER_KEY,
  });
  try {
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const token = readFileSync(file, "utf8").trim();
    assert.match(token, /^pky_[A-Za-z0-9_-]{43}$/);
    assert.ok(!s.stdout().includes(token), "not printed when written to the file");
    assert.ok(!s.stderr().includes(token));
    const me = await fetch(`${s.url}/api/v1/user`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(me.status, 200);
  } finally {
    s.child.kill("SIGTERM");
    assert.equal(await s.exited, 0);
  }
});

test("close() lets a request in flight finish, refuses new ones, and cuts one past the deadline", async (t) => {
  const url = await needPostgres(t);
  if (url === undefined) return;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  let onStart: () => void = () => {};
  const nextStart = () =>
    new Promise<void>((resolve) => {
      onStart = resolve;
    });
  const ROUTE = { config: { authz: "public" as const }, schema: { response: { 200: { type: "string" } } } };
  const slow = async (app: FastifyInstance) => {
    app.get("/slow", ROUTE, async () => {
      onStart();
      await gate;
      return "finished";
    });
    app.get("/stuck", ROUTE, async () => {
      onStart();
      return new Promise<string>(() => {});
    });
  };
  const data = join(temp, "drain-data");
  const start = (timeout: number) =>
    startServer({
      dataDir: data,
      port: 0,
      env: { DATABASE_URL: url, PACKYARD_MASTER_KEY: PG_MASTER_KEY },
      print: () => {},
      logger: serverLogger({ level: "silent" }),
      shutdownTimeoutMs: timeout,
      plugins: [slow],
    });

  const server = await start(60_000);
  let started = nextStart();
  const answer = fetch(`${server.url}/slow`).then(async (r) => [r.status, await r.text()] as const);
  await started;
  const closed = server.close();
  // Closing: the listener stops accepting; the request in flight is still answered.
  await new Promise((resolve) => setTimeout(resolve, 100));
  await assert.rejects(fetch(`${server.url}/healthz`));
  release();
  assert.deepEqual(await answer, [200, "finished"]);
  await closed;
  assert.deepEqual(readdirSync(join(data, ".lock")), [], "the lock is released");

  // A request that never ends is cut at the deadline, and close() still completes.
  const again = await start(300);
  started = nextStart();
  const stuck = fetch(`${again.url}/stuck`).then(
    (r) => r.status,
    () => "cut",
  );
  await started;
  await again.close();
  assert.equal(await stuck, "cut");
  assert.deepEqual(readdirSync(join(data, ".lock")), []);
});

test("serve collects unreferenced uploads after it starts (old orphan blobs and temporary uploads go, young ones stay); --reindex reports repository folders", async (t) => {
  const url = await needPostgres(t);
  if (url === undefined) return;
  const data = join(temp, "sweep-data");
  const storage = join(data, "storage");
  const old = new Date(Date.now() - 2 * 24 * 3600_000);
  const put = (key: string, age?: Date) => {
    const file = join(storage, key);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, key);
    if (age !== undefined) utimesSync(file, age, age);
    return file;
  };
  const orphan = put(`blobs/sha256/${"a".repeat(64)}`, old);
  const temporary = put("uploads/tmp/abandoned", old);
  const young = put(`blobs/sha256/${"b".repeat(64)}`);
  // A repository folder whose project the database does not know: --reindex reports it and leaves it.
  put("repos/ghost/main/.packyard/roots/deb/stable.json");
  let printed = "";
  const server = await startServer({
    dataDir: data,
    port: 0,
    env: { DATABASE_URL: url, PACKYARD_MASTER_KEY: PG_MASTER_KEY },
    print: (text) => {
      printed += text;
    },
    logger: serverLogger({ level: "silent" }),
    sweepDelayMs: 0,
    reindex: true,
  });
  try {
    assert.match(
      printed,
      /reindexed 0 repositories from storage; 1 without a project in the database, left alone: ghost\/main/,
    );
    for (let i = 0; i < 100 && (existsSync(orphan) || existsSync(temporary)); i++)
      await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(existsSync(orphan), false, "an old object without a row is collected");
    assert.equal(existsSync(temporary), false, "an abandoned temporary upload is collected");
    assert.equal(existsSync(young), true, "a young object (an upload in flight) is kept");
  } finally {
    await server.close();
  }
});

test("serve refuses --workers with --no-worker, a bad --workers or --log-retention-days", async () => {
  const cases: [string[], RegExp][] = [
    [["--workers", "2", "--no-worker"], /--workers and --no-worker: expected one of them, found both/],
    [["--workers", "many"], /--workers: expected a number from 0 to 64, found 'many'/],
    [["--workers", "65"], /--workers: expected a number from 0 to 64, found '65'/],
    [["--log-retention-days", "0"], /--log-retention-days: expected a number from 1 to 36500, found '0'/],
  ];
  for (const [args, message] of cases) {
    const r = await runMain(["serve", "--data", "/nonexistent/packyard-data", ...args], tmpdir(), []);
    assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
});

test("serve --no-worker --local-agent: the local agent runs a job with a build step; --workers N starts N slots", async () => {
  const data = join(temp, "agent-data");
  let token: string | undefined;
  let name: string | undefined;
  const s = await serve(["--data", data, "--no-worker", "--local-agent"], {
    PACKYARD_BUILD_LEASE_MS: "4000",
  });
  let killed = false;
  try {
    token = /\n(pky_[A-Za-z0-9_-]{43})\n/.exec(s.stdout())?.[1];
    assert.ok(token, s.stdout());
    for (let i = 0; i < 200 && !/local build agent local-[0-9a-f]{8} started/.test(s.stdout()); i++)
      await new Promise((resolve) => setTimeout(resolve, 50));
    name = /local build agent (local-[0-9a-f]{8}) started/.exec(s.stdout())?.[1];
    assert.ok(name, s.stdout());
    const call = async (method: string, path: string, body?: unknown, type = "application/json") => {
      const r = await fetch(`${s.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body !== undefined ? { "content-type": type } : {}),
        },
        ...(body !== undefined ? { body: typeof body === "string" ? body : JSON.stringify(body) } : {}),
      });
      const text = await r.text();
      assert.ok(r.status < 300, `${method} ${path}: ${r.status} ${text}`);
      return text === "" ? undefined : JSON.parse(text);
    };
    // The agent is registered as a shared agent of that name.
    const agents = (await call("GET", "/api/v1/agents")) as { agents: { name: string; revokedAt: null }[] };
    assert.deepEqual(
      agents.agents.map((a) => [a.name, a.revokedAt]),
      [[name, null]],
    );
    await call("POST", "/api/v1/projects", { slug: "demo" });
    await call("PUT", "/api/v1/projects/demo/repository", { apt: { suite: "bookworm" } });
    await call("PUT", "/api/v1/projects/demo/packages/stepped", {
      config: `name: stepped
version: 1.0.0
arch: amd64
maintainer: Test <test@example.org>
description: a package a build step makes a file of
license: MIT
build:
  steps:
    - run: cat README > made.txt && echo made-by-the-step >> made.txt
  outputs: [made.txt]
contents:
  - src: made.txt
    dst: /usr/share/stepped/made.txt
`,
    });
    await call(
      "PUT",
      "/api/v1/projects/demo/packages/stepped/files/README",
      "the readme\n",
      "application/octet-stream",
    );
    const build = (await call("POST", "/api/v1/projects/demo/packages/stepped/builds", {
      version: "1.0.0",
      targets: ["debian-12"],
    })) as { id: number; jobs: { hasSteps: boolean }[] };
    assert.equal(build.jobs[0]?.hasSteps, true);
    let view: {
      state: string;
      jobs: { state: string; failure: unknown; artifact: { fileName: string } | null }[];
    };
    for (;;) {
      view = await call("GET", `/api/v1/builds/${build.id}`);
      if (["succeeded", "failed", "cancelled"].includes(view.state)) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.equal(view.state, "succeeded", JSON.stringify(view));
    assert.equal(view.jobs[0]?.artifact?.fileName, "stepped_1.0.0_amd64.deb");
    // Claimed by the local agent (no in-process worker runs), the step ran there.
    const logs = (await call("GET", `/api/v1/builds/${build.id}/logs`)) as { entries: { text: string }[] };
    const text = logs.entries.map((e) => e.text).join("");
    assert.match(text, /attempt 1 claimed by agent:\d+/);
    assert.doesNotMatch(text, /claimed by worker:/);
    assert.doesNotMatch(s.stderr(), /in-process build workers started/);
    s.child.kill("SIGTERM");
    killed = true;
    assert.equal(await s.exited, 0, s.stderr());
    assert.match(s.stderr(), new RegExp(`local agent ${name}: .*agent stopped`));
  } finally {
    if (!killed) s.child.kill("SIGKILL");
  }
  // Restarted with --workers 2: two slots start; the local agent of the last run was revoked at its stop.
  const again = await serve(["--data", data, "--workers", "2"]);
  try {
    for (let i = 0; i < 100 && !/in-process build workers started/.test(again.stderr()); i++)
      await new Promise((resolve) => setTimeout(resolve, 50));
    assert.match(again.stderr(), /"workers":2,"msg":"in-process build workers started"/);
    const r = await fetch(`${again.url}/api/v1/agents`, { headers: { authorization: `Bearer ${token}` } });
    const listed = (await r.json()) as { agents: { name: string; revokedAt: string | null }[] };
    assert.equal(listed.agents.length, 1);
    assert.equal(listed.agents[0]!.name, name);
    assert.notEqual(listed.agents[0]!.revokedAt, null, "the local agent is revoked when the server stops");
  } finally {
    again.child.kill("SIGTERM");
    assert.equal(await again.exited, 0);
  }
});
