/**
 * Issue 20's end-to-end check, with the real programs from dist (`npm run build` first): `packyard serve`
 * (its in-process worker) and two `packyard agent` processes on 127.0.0.1; `packyard login`, `packyard
 * upload` of the example's files, `packyard remote build` for debian-12, fedora-42 and arch, where only
 * the arch job has a build step (`build.steps[].packagers`); then apt (Signed-By), dnf (gpgcheck and
 * repo_gpgcheck) and pacman (SigLevel Required) install the package from the hosted repository, as the
 * server's interop tests do (testkit's scratch clients). Once on PGlite with folder storage, once on
 * PostgreSQL with S3 storage (testkit's S3 server, given to serve through PACKYARD_STORAGE and its S3
 * variables).
 *
 * Each of the three workers completes jobs, by construction rather than by luck: two projects, `hello`
 * and `second`, build the same package at once. Agent A is registered for project `hello` (so it claims
 * only hello's jobs) and starts at once; agent B is shared and starts only once the in-process worker has
 * taken one of second's deb and rpm jobs and A holds hello's arch job. So that job of second's is the
 * worker's (A may not take it, B is not running), hello's arch job is A's (the worker runs no steps, B is
 * not running), and second's arch job B's (A may not, the worker runs no steps). Who ran each job's last
 * attempt is read from the build log's system lines (`attempt N claimed by agent:<id>|worker:<uuid>`), on
 * PostgreSQL also from job_attempts.lease_owner.
 *
 * The sources are the example's files, each uploaded under its base name (access names are one path
 * segment), so the packyard.yml stored here is the example's with `src` paths made flat and its own
 * `build:` block (a step unpacking one uploaded tarball, which every job would run, leaving the in-process
 * worker nothing) replaced by one step for archlinux jobs; the maintainer
 * scripts go to the Arch package only (dpkg --root and rpm --root would run them in scratch roots that have
 * no shell; the pacman root has busybox). The arch job's step writes BUILT-BY, which only the Arch package
 * installs: pacman's root holding it shows the step ran on an agent.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type TestContext, test } from "node:test";
import { scratchApt, scratchRoot, spawnAsync } from "@packyard/testkit/apt";
import { EXAMPLE_DIR } from "@packyard/testkit/example";
import { makeRepoRoot } from "@packyard/testkit/pacman-repo";
import { makeKeyring } from "@packyard/testkit/pacman-root";
import { needPostgres } from "@packyard/testkit/postgres";
import { scratchDnf } from "@packyard/testkit/rpms";
import { startS3 } from "@packyard/testkit/s3";
import { needTool } from "@packyard/testkit/tools";
import pg from "pg";
import { parse, stringify } from "yaml";
import { LAUNCHER } from "../run-cli.ts";

const TOOLS = ["apt-get", "apt-cache", "dpkg", "dnf", "rpm", "pacman", "pacman-key", "busybox", "gpg"];
const PACKAGE = "hello-packyard";
const VERSION = "1.0.0";
const DISTROS = ["debian-12", "fedora-42", "arch"];
/** What the arch job's build step writes into BUILT-BY. */
const STEP_TEXT = "built by a packyard build step";

/** The example's files, by the access name each is uploaded under (its base name). */
const SOURCES: Record<string, string> = {
  hello: "bin/hello",
  "hello.conf": "etc/hello.conf",
  "hello.1.gz": "man/hello.1.gz",
  "README.md": "README.md",
  "changelog.yml": "changelog.yml",
  "preinstall.sh": "scripts/preinstall.sh",
  "postinstall.sh": "scripts/postinstall.sh",
  "preremove.sh": "scripts/preremove.sh",
  "postremove.sh": "scripts/postremove.sh",
};

interface Entry {
  src?: string;
  dst: string;
  type?: string;
}

/**
 * The example's packyard.yml for flat sources: every file `src` its base name, the scripts and BUILT-BY
 * (written by the one build step, for archlinux jobs only) in the archlinux override, no macos override.
 */
function storedConfig(): string {
  const config = parse(readFileSync(join(EXAMPLE_DIR, "packyard.yml"), "utf8")) as Record<string, unknown> & {
    contents: Entry[];
    scripts: Record<string, string>;
  };
  const flat = (path: string) => path.slice(path.lastIndexOf("/") + 1);
  const contents = config.contents.map((e) =>
    e.src === undefined || e.type === "symlink" ? e : { ...e, src: flat(e.src) },
  );
  for (const e of contents)
    if (e.src !== undefined && e.type !== "symlink") assert.ok(e.src in SOURCES, `${e.src} is uploaded`);
  const scripts = Object.fromEntries(Object.entries(config.scripts).map(([k, v]) => [k, `./${flat(v)}`]));
  const { overrides: _macos, scripts: _scripts, ...rest } = config;
  return stringify({
    ...rest,
    contents,
    overrides: {
      archlinux: {
        scripts,
        contents: [
          ...contents,
          { src: "./BUILT-BY", dst: "/usr/share/doc/hello-packyard/BUILT-BY", file_info: { mode: 0o644 } },
        ],
      },
    },
    build: {
      steps: [{ name: "stamp", run: `printf '%s\\n' '${STEP_TEXT}' > BUILT-BY`, packagers: ["archlinux"] }],
      outputs: ["BUILT-BY"],
    },
  });
}

/** A child process from dist, in its own process group, with its output kept (the last 200 kB). */
interface Proc {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

function startCli(args: string[], env: NodeJS.ProcessEnv, cwd: string): Proc {
  const child = spawn(process.execPath, [LAUNCHER, ...args], {
    cwd,
    env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const keep = (d: Buffer) => {
    out += d.toString();
    if (out.length > 400_000) out = out.slice(-200_000);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, output: () => out, exited };
}

/** SIGTERM to the process group, SIGKILL after 10 s. */
async function stopProc(p: Proc): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  const kill = (signal: NodeJS.Signals) => {
    try {
      process.kill(-p.child.pid!, signal);
    } catch {}
  };
  kill("SIGTERM");
  const timer = setTimeout(() => kill("SIGKILL"), 10_000);
  await p.exited;
  clearTimeout(timer);
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms: number, log: () => string) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}\n${log().slice(-4000)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

interface JobView {
  id: number;
  format: string;
  state: string;
  attempt: number;
  hasSteps: boolean;
  failure: { code: string; message: string } | null;
  artifact: { fileName: string; sha256: string } | null;
}
interface BuildView {
  id: number;
  state: string;
  version: string;
  targets: string[];
  jobs: JobView[];
}

/** Everything one run needs; `env` is serve's database and storage settings. */
async function endToEnd(t: TestContext, kind: string, env: NodeJS.ProcessEnv, databaseUrl?: string) {
  const started = Date.now();
  const lap = (what: string) =>
    t.diagnostic(`${kind}: ${what} at ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const dir = mkdtempSync(join(tmpdir(), "packyard-e2e-"));
  chmodSync(dir, 0o755); // apt's methods drop to _apt, which reads the key file in here
  const procs: Proc[] = [];
  t.after(async () => {
    await Promise.all(procs.map(stopProc));
    rmSync(dir, { recursive: true, force: true });
  });
  const base: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", XDG_CONFIG_HOME: join(dir, "config") };
  for (const name of [
    "DATABASE_URL",
    "PACKYARD_STORAGE",
    "PACKYARD_MASTER_KEY",
    "PACKYARD_MASTER_KEY_FILE",
    "PACKYARD_SERVER",
    "PACKYARD_TOKEN",
    "PACKYARD_AGENT_TOKEN",
  ])
    delete base[name];
  const log = () => procs.map((p, i) => `--- process ${i}:\n${p.output().slice(-3000)}`).join("\n");

  // The server, with leases of 10 s renewed every 2 s: nothing here should expire (a retry could move a job
  // to another worker), they only bound how long a lost worker would hold a job.
  const tokenFile = join(dir, "admin.token");
  const server = startCli(
    [
      "serve",
      "--data",
      join(dir, "data"),
      "--port",
      "0",
      "--admin-token-file",
      tokenFile,
      "--log-level",
      "warn",
    ],
    { ...base, ...env, PACKYARD_BUILD_LEASE_MS: "10000", PACKYARD_BUILD_HEARTBEAT_MS: "2000" },
    dir,
  );
  procs.push(server);
  const url = await until(
    "packyard serve to listen",
    async () => {
      if (server.child.exitCode !== null) assert.fail(`packyard serve exited:\n${server.output()}`);
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(server.output());
      return m !== null && existsSync(tokenFile) ? m[1] : undefined;
    },
    120_000,
    log,
  );
  const admin = readFileSync(tokenFile, "utf8").trim();
  lap("listening");

  const api = async <T>(
    method: string,
    path: string,
    body?: unknown,
    type = "application/json",
    headers: Record<string, string> = {},
  ): Promise<T> => {
    const r = await fetch(`${url}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${admin}`,
        ...(body === undefined ? {} : { "content-type": type }),
        ...headers,
      },
      ...(body === undefined
        ? {}
        : {
            body: (typeof body === "string" || body instanceof Uint8Array
              ? body
              : JSON.stringify(body)) as BodyInit,
          }),
    });
    const text = await r.text();
    assert.ok(r.ok, `${method} ${path}: ${r.status} ${text}\n${server.output().slice(-6000)}`);
    return (text === "" ? undefined : JSON.parse(text)) as T;
  };
  const cli = async (args: string[]) => {
    const r = await spawnAsync(process.execPath, [LAUNCHER, ...args], base, dir);
    assert.equal(r.code, 0, `packyard ${args.join(" ")}:\n${r.stdout}\n${r.stderr}`);
    return r;
  };

  // Projects, their repositories' settings (before any build: they say what a publish writes), the stored
  // packyard.yml, the login and the uploads.
  const projects = ["hello", "second"];
  const config = storedConfig();
  await Promise.all(
    projects.map(async (slug) => {
      await api("POST", "/projects", { slug });
      await api("PUT", `/projects/${slug}/repository`, {
        apt: { suite: "stable", origin: slug, label: slug },
        rpm: { targets: ["fedora-42"] },
        archlinux: { repo: slug },
      });
      await api("PUT", `/projects/${slug}/packages/${PACKAGE}`, config, "text/yaml");
    }),
  );
  lap("projects made");
  // hello's sources through `packyard upload` (after `packyard login`); second's through the same route
  // directly, which spares nine CLI processes.
  await cli(["login", "--server", url, "--token", admin]);
  await Promise.all(
    Object.entries(SOURCES).flatMap(([name, path]) => {
      const file = join(EXAMPLE_DIR, path);
      const bytes = readFileSync(file);
      return [
        cli(["upload", "--project", "hello", "--package", PACKAGE, "--name", name, file]),
        api("PUT", `/projects/second/packages/${PACKAGE}/files/${name}`, bytes, "application/octet-stream", {
          "x-checksum-sha256": createHash("sha256").update(bytes).digest("hex"),
        }),
      ];
    }),
  );
  lap("projects made, sources uploaded");

  // Agent A for project hello only; agent B shared, started later.
  const agentA = await api<{ id: number; token: string }>("POST", "/projects/hello/agents", {
    name: "agent-a",
  });
  const agentB = await api<{ id: number; token: string }>("POST", "/agents", { name: "agent-b" });
  const startAgent = (name: string, token: string) => {
    const p = startCli(
      ["agent", "--server", url, "--work-dir", join(dir, name)],
      { ...base, PACKYARD_AGENT_TOKEN: token },
      dir,
    );
    procs.push(p);
    return p;
  };
  startAgent("agent-a", agentA.token);

  const builds = projects.map((slug) =>
    spawnAsync(
      process.execPath,
      [
        LAUNCHER,
        "remote",
        "build",
        "--project",
        slug,
        "--package",
        PACKAGE,
        "--version",
        VERSION,
        "--distro",
        DISTROS.join(","),
        "--json",
      ],
      base,
      dir,
    ),
  );
  const latest = async (slug: string) =>
    (await api<{ builds: BuildView[] }>("GET", `/projects/${slug}/builds?package=${PACKAGE}&limit=1`))
      .builds[0];
  await until(
    "the in-process worker to take one of second's deb and rpm jobs (no one else may yet) and agent A hello's arch job",
    async () => {
      const [hello, second] = [await latest("hello"), await latest("second")];
      if (hello === undefined || second === undefined) return undefined;
      const taken = second.jobs.some((j) => !j.hasSteps && j.state !== "pending");
      const held = hello.jobs.find((j) => j.format === "archlinux")?.state !== "pending";
      return taken && held ? true : undefined;
    },
    120_000,
    log,
  );
  lap("the worker and agent A hold jobs; agent B starts");
  startAgent("agent-b", agentB.token);

  const results = await Promise.all(builds);
  lap("both remote builds returned");
  const views: Record<string, BuildView> = {};
  for (const [i, slug] of projects.entries()) {
    const r = results[i]!;
    assert.equal(r.code, 0, `remote build for ${slug}:\n${r.stdout}\n${r.stderr}\n${log()}`);
    const view = JSON.parse(r.stdout) as BuildView;
    assert.equal(view.state, "succeeded");
    assert.deepEqual(view.jobs.map((j) => `${j.format}:${j.state}:${j.hasSteps}`).sort(), [
      "archlinux:succeeded:true",
      "deb:succeeded:false",
      "rpm:succeeded:false",
    ]);
    for (const j of view.jobs) assert.ok(j.artifact !== null, `job ${j.id} has its artifact`);
    // The log the CLI streamed (stderr with --json) holds the step's line and the worker's system lines.
    assert.match(r.stderr, /claimed by agent:/);
    views[slug] = view;
  }

  // Who ran each job's last attempt: the system lines of the build logs.
  const owners = new Map<number, string>();
  for (const view of Object.values(views)) {
    const attempts = new Map(view.jobs.map((j) => [j.id, j.attempt]));
    let after = 0;
    for (;;) {
      const { entries } = await api<{
        entries: { seq: number; jobId: number; attempt: number; stream: string; text: string }[];
      }>("GET", `/builds/${view.id}/logs?after=${after}&limit=1000`);
      for (const e of entries) {
        const m = /^attempt (\d+) claimed by (\S+)$/.exec(e.text.trim());
        if (e.stream === "system" && m !== null && Number(m[1]) === attempts.get(e.jobId))
          owners.set(e.jobId, m[2]!);
      }
      if (entries.length < 1000) break;
      after = entries.at(-1)!.seq;
    }
  }
  const ownerOf = (slug: string, format: string) =>
    owners.get(views[slug]!.jobs.find((j) => j.format === format)!.id);
  assert.equal(ownerOf("hello", "archlinux"), `agent:${agentA.id}`);
  assert.equal(ownerOf("second", "archlinux"), `agent:${agentB.id}`);
  assert.ok(
    [ownerOf("second", "deb"), ownerOf("second", "rpm")].some((o) => o?.startsWith("worker:")),
    `the worker ran one of second's deb and rpm jobs: ${[...owners].join(", ")}`,
  );
  const everyOwner = new Set(owners.values());
  assert.equal(owners.size, 6, `an owner for every job: ${[...owners].join(", ")}`);
  assert.equal(
    new Set([...everyOwner].map((o) => (o.startsWith("worker:") ? "worker" : o))).size,
    3,
    [...everyOwner].join(", "),
  );
  if (databaseUrl !== undefined) {
    // The database says the same: the succeeded attempt of every job and its lease owner.
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ job_id: string; lease_owner: string }>(
        "SELECT a.job_id, a.lease_owner FROM job_attempts a JOIN jobs j ON j.id = a.job_id AND j.attempt = a.attempt",
      );
      assert.deepEqual(
        new Map(rows.map((r) => [Number(r.job_id), r.lease_owner])),
        owners,
        "job_attempts.lease_owner of each job's last attempt",
      );
    } finally {
      await client.end();
    }
  }
  lap("owners checked");

  await installWithClients(t, url, dir);
  lap("apt, dnf and pacman installed");
}

const run = (what: string, r: { code?: number; status?: number; stdout: string; stderr: string }) =>
  `${what}: exit ${r.code ?? r.status}\n${r.stdout}\n${r.stderr}`;

async function fetchText(url: string): Promise<string> {
  const r = await fetch(url);
  assert.equal(r.status, 200, `GET ${url}: ${r.status}`);
  return r.text();
}

/** apt, dnf and pacman install hello-packyard from project hello's hosted repository, signatures checked. */
async function installWithClients(t: TestContext, url: string, dir: string): Promise<void> {
  const repo = `${url}/r/hello/main`;
  const served = await fetchText(`${repo}/keys/hello.asc`);
  const keyFile = join(dir, "hello.asc");
  writeFileSync(keyFile, served);

  const apt = async () => {
    const apt = scratchApt({ sources: { uri: `${repo}/deb`, signedBy: keyFile } });
    t.after(() => apt.dispose());
    const update = await apt.update();
    assert.equal(update.code, 0, run("apt-get update", update));
    assert.deepEqual(update.warnings, [], run("apt-get update", update));
    assert.deepEqual([...update.errors, ...update.failed], [], run("apt-get update", update));
    const root = scratchRoot(dir);
    const install = await apt.installInto(root, PACKAGE);
    assert.equal(install.code, 0, run("apt-get install", install));
    assert.ok(existsSync(join(root, "usr/bin/hello")), "apt installed /usr/bin/hello");
    assert.ok(!existsSync(join(root, "usr/share/doc/hello-packyard/BUILT-BY")), "the deb had no build step");
  };

  const dnf = async () => {
    const repoText = await fetchText(`${repo}/rpm/fedora/42/hello.repo`);
    assert.match(repoText, /^gpgcheck=1$/m, repoText);
    assert.match(repoText, /^repo_gpgcheck=1$/m, repoText);
    const dnf = scratchDnf(dir, repoText, { releasever: "42" });
    t.after(() => dnf.dispose());
    const cache = await dnf.dnf(["-q", "makecache"]);
    assert.equal(cache.code, 0, run("dnf makecache", cache));
    const install = await dnf.dnf(["install", PACKAGE]);
    assert.equal(install.code, 0, run("dnf install", install));
    assert.ok(existsSync(join(dnf.root, "usr/bin/hello")), "dnf installed /usr/bin/hello");
  };

  const pacman = async () => {
    const keys = await (
      await fetch(`${url}/api/v1/projects/hello/keys`, {
        headers: { authorization: `Bearer ${readFileSync(join(dir, "admin.token"), "utf8").trim()}` },
      })
    ).json();
    const fingerprint = (keys as { purpose: string; state: string; fingerprint: string }[]).find(
      (k) => k.purpose === "openpgp" && k.state === "active",
    )!.fingerprint;
    const gpgdir = makeKeyring(join(dir, "pacman"), served, fingerprint.toUpperCase());
    const root = makeRepoRoot(gpgdir, [
      { repo: "hello", servers: [`${repo}/archlinux/$repo/os/$arch`], sigLevel: "Required" },
    ]);
    t.after(() => rmSync(root.root, { recursive: true, force: true }));
    const sync = await root.pacman(["-Sy"]);
    assert.equal(sync.status, 0, run("pacman -Sy", sync));
    const install = await root.pacman(["-S", PACKAGE]);
    assert.equal(install.status, 0, run("pacman -S", install));
    assert.equal(
      readFileSync(join(root.root, "usr/share/doc/hello-packyard/BUILT-BY"), "utf8"),
      `${STEP_TEXT}\n`,
      "the Arch package holds what its build step wrote",
    );
  };

  await Promise.all([apt(), dnf(), pacman()]);
}

test("PGlite and folder storage: serve's worker and two agents build debian-12, fedora-42 and arch; apt, dnf and pacman install", async (t) => {
  if (!needTool(t, ...TOOLS)) return;
  await endToEnd(t, "pglite", {});
});

test("PostgreSQL and S3 storage: the same", async (t) => {
  if (!needTool(t, ...TOOLS)) return;
  const databaseUrl = await needPostgres(t);
  if (databaseUrl === undefined) return;
  const s3 = await startS3();
  t.after(() => s3.stop());
  await endToEnd(
    t,
    "postgres+s3",
    {
      DATABASE_URL: databaseUrl,
      PACKYARD_STORAGE: `s3://${s3.bucket}/e2e/`,
      PACKYARD_S3_ENDPOINT: s3.endpoint,
      PACKYARD_S3_REGION: s3.region,
      PACKYARD_S3_PATH_STYLE: "true",
      AWS_ACCESS_KEY_ID: s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    },
    databaseUrl,
  );
});
