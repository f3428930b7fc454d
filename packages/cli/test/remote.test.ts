// The remote commands against a real server on 127.0.0.1 (buildApp over PGlite, memory storage, the
// fixture key pool): login stores a checked token 0600 in a 0700 folder, config show masks it and names
// where each setting comes from; upload streams a file whose stored SHA-256 the server computed equals
// ours; remote targets lists the catalogue; remote publish uploads a deb built with @packyard/formats and
// publishes it to the hosted repository; remote build follows a build whose jobs the test drives through
// the queue and the log functions to success (exit 0) and failure (exit 1 with the code and last lines),
// across a log stream connection the test cuts, and --json matches BUILD_VIEW_SCHEMA.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { connect, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { after, before, type TestContext, test } from "node:test";
import { packageFileName, writePackage } from "@packyard/formats";
import { CATALOGUE, collectBytes } from "@packyard/repo";
import type { Db } from "@packyard/server";
import { exampleFromConfig } from "@packyard/testkit/example";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import type { CommandIo } from "../src/command.ts";
import { BUILD_VIEW_SCHEMA } from "../src/remote/build-view.ts";
import { configPath, maskToken } from "../src/remote/config.ts";
import { login } from "../src/remote/run-login.ts";
import { RemoteClient } from "../src/remote/client.ts";
import { SseParser } from "../src/remote/sse.ts";
import { uploadFile } from "../src/remote/upload-file.ts";
import { cli as cliIn, driveJob, type RemoteServer, startRemoteServer, until } from "./remote-server.ts";

const temp = mkdtempSync(join(tmpdir(), "packyard-remote-"));
after(() => rmSync(temp, { recursive: true, force: true }));
const cli = (args: string[], env: Record<string, string>) => cliIn(args, env, temp);

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

let remote: RemoteServer;
let db: Db;
let server: string;
let token: string;

before(async (t) => {
  remote = await startRemoteServer(t as unknown as TestContext);
  ({ db, url: server, token } = remote);
});

after(() => remote?.close());

test("login checks the token and stores it 0600 in a 0700 folder; config show masks it and names env overrides", async () => {
  const xdg = join(temp, "xdg-login");
  const env = { XDG_CONFIG_HOME: xdg };
  // A wrong token: refused by the server (its code shown), nothing written.
  const wrong = await cli(["login", "--server", `${server}/`, "--token", `pky_${"x".repeat(43)}`], env);
  assert.equal(wrong.status, 1, wrong.stderr);
  assert.match(wrong.stderr, /^error: .*\[ServerError UNAUTHENTICATED\]\n$/);
  assert.throws(() => statSync(configPath(env)), /ENOENT/);

  // The token from stdin (a pipe), never echoed.
  let err = "";
  const io: CommandIo = {
    out: () => assert.fail("login prints nothing on stdout"),
    err: (s) => (err += s),
    env,
    cwd: temp,
    debug: false,
    color: false,
    tty: false,
  };
  assert.equal(await login({ server: `${server}/` }, io, Readable.from([`${token}\n`])), 0);
  assert.ok(!err.includes(token), err);
  assert.match(err, /logged in to http:\/\/127\.0\.0\.1:\d+ as owner/);
  const file = configPath(env);
  assert.equal(file, join(xdg, "packyard", "config.json"));
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(statSync(join(xdg, "packyard")).mode & 0o777, 0o700);
  assert.deepEqual(JSON.parse(readFileSync(file, "utf8")), { server, token });

  // At a terminal: raw mode, a prompt, the typed characters not echoed, Backspace honoured.
  const typed: string[] = [];
  let raw = false;
  const terminal = Object.assign(Readable.from(["x\u007f", `${token}\r`]), {
    isTTY: true,
    setRawMode(on: boolean) {
      typed.push(`raw:${on}`);
      raw = on;
    },
  });
  err = "";
  assert.equal(await login({}, io, terminal), 0, "the stored server is used");
  assert.deepEqual(typed, ["raw:true", "raw:false"]);
  assert.equal(raw, false);
  assert.match(err, /^API token \(not shown\): \nlogged in to /);
  assert.ok(!err.includes(token), err);

  const shown = await cli(["config", "show"], env);
  assert.equal(shown.status, 0, shown.stderr);
  const masked = `${token.slice(0, 8)}…${token.slice(-4)}`;
  assert.equal(maskToken(token), masked);
  assert.equal(shown.stdout, `config file: ${file}\nserver: ${server}\ntoken: ${masked}\n`);
  assert.ok(!shown.stdout.includes(token.slice(8, -4)));
  const json = await cli(["config", "show", "--json"], {
    ...env,
    PACKYARD_SERVER: "https://packages.example.org/",
  });
  assert.deepEqual(JSON.parse(json.stdout), {
    file,
    server: "https://packages.example.org",
    serverSource: "env",
    token: masked,
    tokenSource: "file",
  });
  const other = await cli(["config", "show"], { ...env, PACKYARD_TOKEN: "pky_abcdefghijklmnopqrstuvwxyz" });
  assert.match(other.stdout, /\ntoken: pky_abcd…wxyz \(from the environment\)\n/);
  // The stored token works for the other commands.
  const targets = await cli(["config", "frob"], env);
  assert.equal(targets.status, 2);
});

const REMOTE_ENV = () => ({
  PACKYARD_SERVER: server,
  PACKYARD_TOKEN: token,
  XDG_CONFIG_HOME: join(temp, "none"),
});

test("upload streams a file under its access name with its SHA-256; the server stores the same digest", async () => {
  const bytes = new Uint8Array(300_000).map((_, i) => (i * 7919) % 251);
  const file = join(temp, "hello.txt");
  writeFileSync(file, bytes);
  const r = await cli(
    ["upload", "--project", "demo", "--package", "hello", "--name", "hello.txt", file],
    REMOTE_ENV(),
  );
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, `uploaded hello.txt (293.0 KiB, sha256 ${sha256(bytes)})\n`);
  // The server's own record and download, read without the CLI.
  const auth = { authorization: `Bearer ${token}` };
  const pkg = (await (
    await fetch(`${server}/api/v1/projects/demo/packages/hello`, { headers: auth })
  ).json()) as {
    files: { name: string; sha256: string; size: number }[];
  };
  assert.deepEqual(pkg.files, [
    { name: "hello.txt", sha256: sha256(bytes), size: bytes.length, ...pick(pkg.files[0]) },
  ]);
  const back = new Uint8Array(
    await (
      await fetch(`${server}/api/v1/projects/demo/packages/hello/files/hello.txt`, { headers: auth })
    ).arrayBuffer(),
  );
  assert.equal(sha256(back), sha256(bytes));

  // On a terminal, progress is redrawn in place on stderr and ends with a newline; stdout is untouched.
  let progress = "";
  const client = new RemoteClient({ server, token });
  const answer = await uploadFile<{ sha256: string; size: number }>(
    client,
    "/api/v1/projects/demo/packages/hello/files/again.txt",
    file,
    { err: (s) => (progress += s), tty: true, columns: 60 },
    "again.txt",
  );
  assert.equal(answer.sha256, sha256(bytes));
  assert.match(progress, /\ruploading again\.txt: 293\.0 KiB \/ 293\.0 KiB \(100%\)\u001b\[K\n$/);
  assert.ok(
    progress.split("\r").every((l) => l.length <= 60 + 4),
    progress,
  );
  await fetch(`${server}/api/v1/projects/demo/packages/hello/files/again.txt`, {
    method: "DELETE",
    headers: { authorization: `Bearer ${token}` },
  });

  // Errors: a missing package is the server's NOT_FOUND; no token is NOT_LOGGED_IN; a usage error is 2.
  const missing = await cli(["upload", "--project", "demo", "--package", "nope", file], REMOTE_ENV());
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /^error: Expected a package named nope.*\[ServerError NOT_FOUND\]\n$/);
  // The refusal comes before the body is read; the client, still sending, must get to send the rest and
  // read that answer (it was cut off under its write now and then: EPIPE, "found no answer"). Deterministic:
  // the rest of the body is written only after the answer has arrived.
  const refused = await new Promise<number>((resolve, reject) => {
    const url = new URL(`${server}/api/v1/projects/demo/packages/nope/files/late.txt`);
    const req = request(url, {
      method: "PUT",
      headers: { authorization: `Bearer ${token}`, "content-length": String(512 * 1024) },
    });
    let sent = false;
    const timer = setTimeout(() => reject(new Error("the rest of the body was not taken in 10 s")), 10_000);
    req.on("error", reject);
    // Closed before the whole body went out: the server cut the connection.
    req.on("close", () => {
      if (!sent) reject(new Error("the connection closed before the rest of the body was sent"));
    });
    req.on("response", (res) => {
      res.resume();
      setTimeout(
        () =>
          req.end(new Uint8Array(448 * 1024), () => {
            sent = true;
            clearTimeout(timer);
            resolve(res.statusCode ?? 0);
          }),
        100,
      );
    });
    req.write(new Uint8Array(64 * 1024));
  });
  assert.equal(refused, 404);
  const anonymous = await cli(["upload", "--project", "demo", "--package", "hello", file], {
    XDG_CONFIG_HOME: join(temp, "none"),
    PACKYARD_SERVER: server,
  });
  assert.equal(anonymous.status, 1);
  assert.match(anonymous.stderr, /\[ServerError NOT_LOGGED_IN\]/);
  const usage = await cli(["upload", "--package", "hello", file], REMOTE_ENV());
  assert.equal(usage.status, 2);
  assert.match(usage.stderr, /missing --project/);
});

/** The timestamps of a listed file, which the test does not predict. */
function pick(f: Record<string, unknown> | undefined): Record<string, unknown> {
  return { createdAt: f?.createdAt, updatedAt: f?.updatedAt };
}

test("remote publish uploads a deb built with @packyard/formats and publishes it to the hosted repository", async () => {
  const { spec, options } = await exampleFromConfig("deb");
  const s = { ...spec, name: "hello", version: { upstream: "2.0.0", release: "1" } };
  const bytes = await collectBytes(writePackage("deb", s, options as never));
  const fileName = packageFileName("deb", s, options as never);
  const file = join(temp, fileName);
  writeFileSync(file, bytes);
  const r = await cli(["remote", "publish", "--project", "demo", file, "--json"], REMOTE_ENV());
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as {
    uploaded: { fileName: string; sha256: string; package: string; release: string }[];
    publish: { added: { name: string; version: string }[] };
  };
  assert.deepEqual(
    out.uploaded.map((u) => [u.fileName, u.sha256, u.package, u.release]),
    [[fileName, sha256(bytes), "hello", "2.0.0"]],
  );
  assert.deepEqual(
    out.publish.added.map((a) => [a.name, a.version]),
    [["hello", "2.0.0-1"]],
  );
  // The hosted repository serves it: the Packages index names the file with our digest.
  const repo = (await (
    await fetch(`${server}/api/v1/projects/demo/repository`, {
      headers: { authorization: `Bearer ${token}` },
    })
  ).json()) as { url: string };
  const packages = await fetch(`${server}/r/demo/main/deb/dists/stable/main/binary-amd64/Packages`);
  const text = packages.status === 200 ? await packages.text() : "";
  assert.match(
    text,
    new RegExp(`SHA256: ${sha256(bytes)}`),
    `${repo.url}: ${text} ${JSON.stringify(out.publish)}`,
  );
  // Publishing the same file again changes nothing.
  const again = await cli(["remote", "publish", "--project", "demo", file], REMOTE_ENV());
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stdout, /^published demo: 0 added, 1 unchanged, 0 removed/);
  // Not a package: the formats reader says so before anything is sent.
  const bad = await cli(["remote", "publish", "--project", "demo", join(temp, "hello.txt")], REMOTE_ENV());
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /not a package format/);
});

test("remote targets lists the catalogue (every id of @packyard/repo's CATALOGUE), as JSON for CI matrices", async () => {
  const r = await cli(["remote", "targets", "--json"], {
    PACKYARD_SERVER: server,
    XDG_CONFIG_HOME: join(temp, "none"),
  });
  assert.equal(r.status, 0, r.stderr);
  const { targets } = JSON.parse(r.stdout) as { targets: { id: string; packager: string }[] };
  assert.deepEqual(targets.map((x) => x.id).sort(), CATALOGUE.map((c) => c.id).sort());
  const text = await cli(["remote", "targets"], REMOTE_ENV());
  assert.equal(text.stdout.trimEnd().split("\n").length, CATALOGUE.length);
  assert.match(text.stdout, /^debian-12 +Debian 12/m);
});

test("the SSE parser takes events split anywhere, CRLF or LF, comments and multi-line data", () => {
  const stream =
    ': keepalive\r\nid: 1\r\nevent: log\r\ndata: {"a":\r\ndata: 1}\r\n\r\nid: 2\nevent: end\ndata: x\n\n';
  for (const size of [1, 2, 3, 7, stream.length]) {
    const p = new SseParser();
    const events = [];
    for (let i = 0; i < stream.length; i += size) events.push(...p.feed(stream.slice(i, i + size)));
    assert.deepEqual(events, [
      { id: "1", event: "log", data: '{"a":\n1}' },
      { id: "2", event: "end", data: "x" },
    ]);
  }
});

/**
 * A TCP proxy in front of the server that cuts the first log stream connection right after the event
 * carrying `cutAfter` reached the client, mid-stream, as a dropped connection does.
 */
function cuttingProxy(
  target: string,
  cutAfter: string,
): Promise<{ url: string; cuts: () => number; close(): void }> {
  const port = Number(new URL(target).port);
  let cut = 0;
  const sockets = new Set<Socket>();
  const proxy: Server = createServer((client) => {
    const upstream = connect(port, "127.0.0.1");
    sockets.add(client).add(upstream);
    let request = "";
    let answer = "";
    let isStream = false;
    client.on("data", (d) => {
      request += String(d);
      if (/^GET [^ ]*\/logs\/stream /.test(request) && cut === 0) isStream = true;
      upstream.write(d);
    });
    upstream.on("data", (d) => {
      if (!isStream || cut > 0) return void client.write(d);
      answer += String(d);
      const at = answer.indexOf(cutAfter);
      const end = at === -1 ? -1 : answer.indexOf("\n\n", at);
      if (end === -1) return void client.write(d);
      // Forward up to the end of that event, then drop both sides.
      const before = answer.length - String(d).length;
      client.write(answer.slice(before, end + 2));
      cut++;
      client.destroy();
      upstream.destroy();
    });
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", close).on("close", close);
    upstream.on("error", close).on("close", close);
  });
  return new Promise((resolve) =>
    proxy.listen(0, "127.0.0.1", () => {
      const a = proxy.address();
      resolve({
        url: `http://127.0.0.1:${typeof a === "object" && a !== null ? a.port : 0}`,
        cuts: () => cut,
        close() {
          for (const s of sockets) s.destroy();
          proxy.close();
        },
      });
    }),
  );
}

const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats.default(ajv);
const validBuild = ajv.compile(BUILD_VIEW_SCHEMA);

test("remote build follows the log across a dropped connection to success: exit 0, every line once and in order, --json matches the schema", async (t) => {
  const proxy = await cuttingProxy(server, "step line 3");
  t.after(() => proxy.close());
  const env = { ...REMOTE_ENV(), PACKYARD_SERVER: proxy.url };
  const running = cli(
    [
      "remote",
      "build",
      "--project",
      "demo",
      "--package",
      "hello",
      "--version",
      "1.1.0",
      "--distro",
      "debian-12,ubuntu-24.04",
      "--json",
    ],
    env,
  );
  const { job, log, queue } = await driveJob(db);
  assert.equal(job.format, "deb");
  assert.deepEqual([...job.targets].sort(), ["debian-12", "ubuntu-24.04"]);
  const lines = Array.from({ length: 10 }, (_, i) => `step line ${i}`);
  await log("stdout", lines.slice(0, 6));
  await until(() => proxy.cuts() === 1, "the proxy to cut the stream");
  await log("stderr", lines.slice(6));
  // The artifact the publish test uploaded stands in for the one the job would publish.
  const { rows } = await db.query<{ id: number; blob_sha256: string; file_name: string }>(
    "SELECT id, blob_sha256, file_name FROM artifacts ORDER BY id LIMIT 1",
  );
  const artifact = rows[0]!;
  await queue.recordUpload(db, job.jobId, job.attempt, {
    sha256: artifact.blob_sha256,
    fileName: artifact.file_name,
  });
  await queue.completeJob(db, job.jobId, job.attempt);
  await queue.finishPublish(db, job.jobId, { artifactId: artifact.id });
  const r = await running;
  assert.equal(r.status, 0, r.stderr);
  const view = JSON.parse(r.stdout);
  assert.ok(validBuild(view), JSON.stringify(validBuild.errors));
  assert.equal(view.state, "succeeded");
  assert.equal(view.id, job.buildId);
  assert.equal(view.jobs[0].artifact.sha256, artifact.blob_sha256);
  // Each line printed once, in order, across the reconnection (log lines go to stderr with --json).
  const printed = r.stderr.split("\n").filter((l) => l.includes("step line"));
  assert.deepEqual(
    printed.map((l) => l.replace(/^\[deb all\] (! )?/, "")),
    lines,
  );
  assert.match(r.stderr, /log stream interrupted .*resuming after entry \d+/);
  assert.match(r.stderr, /build \d+ succeeded/);
  // remote status shows the same build.
  const status = await cli(["remote", "status", String(view.id), "--json"], REMOTE_ENV());
  assert.equal(status.status, 0, status.stderr);
  assert.deepEqual(JSON.parse(status.stdout), view);
});

test("remote build exits 1 for a failing step with the targets, failure code, message and last log lines; --no-wait prints the id", async () => {
  const running = cli(
    [
      "remote",
      "build",
      "--project",
      "demo",
      "--package",
      "hello",
      "--version",
      "1.2.0",
      "--distro",
      "debian-12",
    ],
    REMOTE_ENV(),
  );
  const { job, log, queue } = await driveJob(db);
  const lines = Array.from({ length: 30 }, (_, i) => `make: output ${i}`);
  await log("stdout", lines.slice(0, 25));
  await log("stderr", lines.slice(25));
  await queue.failJob(db, job.jobId, job.attempt, {
    code: "STEP_FAILED",
    message: "step 1 (make) exited with status 2",
    retry: false,
  });
  const r = await running;
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /error: build \d+ failed\n/);
  assert.match(
    r.stderr,
    /\n {2}debian-12 \(deb all, job \d+\): STEP_FAILED: step 1 \(make\) exited with status 2\n/,
  );
  // The job's last 20 log lines as they were printed while it ran (the queue's own system lines included),
  // the stderr ones marked.
  const printed = r.stdout.trimEnd().split("\n");
  assert.equal(printed.filter((l) => l.includes("make: output")).length, 30, "every line went to stdout");
  const tail = r.stderr
    .slice(r.stderr.indexOf("    last log lines:\n") + 20)
    .trimEnd()
    .split("\n");
  assert.deepEqual(
    tail.map((l) => l.trim()),
    printed.slice(-20),
  );
  assert.ok(
    tail.some((l) => l.endsWith("] ! make: output 29")),
    tail.join("\n"),
  );
  assert.ok(!tail.some((l) => l.endsWith("make: output 5")), tail.join("\n"));

  const noWait = await cli(
    [
      "remote",
      "build",
      "--project",
      "demo",
      "--package",
      "hello",
      "--version",
      "1.3.0",
      "--distro",
      "debian-12",
      "--no-wait",
    ],
    REMOTE_ENV(),
  );
  assert.equal(noWait.status, 0, noWait.stderr);
  const id = Number(noWait.stdout.trim());
  const { rows } = await db.query<{ state: string }>("SELECT state FROM builds WHERE id = $1", [id]);
  assert.equal(rows[0]?.state, "pending");
  // A server error is printed with its code: an unknown target.
  const unknown = await cli(
    ["remote", "build", "--project", "demo", "--package", "hello", "--version", "1.4.0", "--distro", "plan9"],
    REMOTE_ENV(),
  );
  assert.equal(unknown.status, 1);
  assert.match(unknown.stderr, /\[ServerError UNKNOWN_TARGET\]\n$/);
});

test("remote usage errors exit 2 naming the problem: unknown subcommand, a flag of another subcommand, missing flags or ids", async () => {
  const cases: [string[], RegExp][] = [
    [["remote", "frob"], /unknown subcommand 'frob' \(expected one of: build, status, targets, publish\)/],
    [["remote", "status", "7", "--force"], /--force does not apply to packyard remote status/],
    [["remote", "status"], /missing BUILD/],
    [["remote", "status", "seven"], /expected a build id \(a number\), found 'seven'/],
    [["remote", "build", "--project", "demo", "--package", "hello"], /missing --version/],
    [["remote", "publish", "--project", "demo"], /missing FILE/],
    [["remote", "targets", "extra"], /unexpected argument 'extra'/],
  ];
  for (const [args, message] of cases) {
    const r = await cli(args, REMOTE_ENV());
    assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.match(r.stderr, /See 'packyard remote --help'\.\n$/);
  }
});
