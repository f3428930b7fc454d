/**
 * README's server walkthroughs run as written: their marked blocks are taken out of README.md and run
 * unchanged, one walkthrough after the other (both use 127.0.0.1:8080).
 *
 * 1. Publishing: the server block (build the example's .deb, `npx packyard serve` on 127.0.0.1:8080 with an
 *    embedded database) and the host block (curl: project, packyard.yml, upload, publish, install text) in a
 *    copy of fixtures/example inside the repository (so `npx packyard` is this checkout's CLI), the Debian
 *    block as root in a fresh copy of the Debian 12 root (testkit debian-root.ts), which reaches the server
 *    on 127.0.0.1: the install script adds the key and the deb822 source, apt installs the package with
 *    InRelease checked, and the installed `hello` runs.
 * 2. Builds: the server block, the agent block (register an agent, `npx packyard agent`) and the host block
 *    (`packyard login`, project and repository, packyard.yml, `packyard upload` of the sources, `packyard
 *    remote build` streaming the log until the package is published), then the Debian block installs the
 *    package the agent built and the server signed.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { after, test } from "node:test";
import { freshDebianRoot } from "@packyard/testkit/debian-root";
import { needTool } from "@packyard/testkit/tools";
import { REPO } from "../run-cli.ts";

const README = readFileSync(join(REPO, "README.md"), "utf8");

/** The sh block after `<!-- walkthrough:<name> -->`. */
function walkthrough(name: string): string {
  const at = README.indexOf(`<!-- walkthrough:${name} -->\n\`\`\`sh\n`);
  assert.ok(at >= 0, `README has the walkthrough block ${name}`);
  const start = README.indexOf("```sh\n", at) + 6;
  return README.slice(start, README.indexOf("\n```", start));
}

/** True when nothing listens on 127.0.0.1:`port`. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(false));
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(true)));
  });
}

const work = mkdtempSync(join(REPO, ".tmp-walkthrough-"));
const children: ChildProcess[] = [];
after(async () => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) {
      process.kill(-child.pid!, "SIGKILL");
      await new Promise((resolve) => child.once("exit", resolve));
    }
  rmSync(work, { recursive: true, force: true });
});

/** A user's shell: this checkout's node_modules/.bin first, no database or storage settings of the test's. */
function userEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: home,
    PATH: `${join(REPO, "node_modules/.bin")}:${process.env.PATH ?? ""}`,
  };
  for (const name of [
    "DATABASE_URL",
    "PACKYARD_STORAGE",
    "PACKYARD_MASTER_KEY",
    "PACKYARD_MASTER_KEY_FILE",
    "PACKYARD_SERVER",
    "PACKYARD_TOKEN",
    "PACKYARD_AGENT_TOKEN",
    "XDG_CONFIG_HOME",
  ])
    delete env[name];
  return env;
}

/** Starts a block in the background (its own process group); `output()` is what it printed so far. */
function background(
  block: string,
  cwd: string,
  env: NodeJS.ProcessEnv,
): { child: ChildProcess; output(): string } {
  let out = "";
  const child = spawn("sh", ["-ec", block], { cwd, env, detached: true, stdio: "pipe" });
  children.push(child);
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  return { child, output: () => out };
}

/** Starts the server block in `dir` and waits until it listens and has written the admin token. */
async function serverBlock(block: string, dir: string, env: NodeJS.ProcessEnv) {
  const serve = background(block, dir, env);
  const token = join(dir, "fixtures/example/admin.token");
  for (let i = 0; i < 600 && !(existsSync(token) && /listening on/.test(serve.output())); i++) {
    if (serve.child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.ok(existsSync(token), `the server block wrote admin.token:\n${serve.output().slice(-3000)}`);
  return serve;
}

/** Stops a background block and waits for it. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  process.kill(-child.pid!, "SIGTERM");
  await exited;
}

test("README's server walkthrough: serve, upload and publish with curl, then apt installs it on Debian 12", async (t) => {
  if (!needTool(t, "curl")) return;
  const root = await freshDebianRoot(t);
  if (root === undefined) return;
  const blocks = { server: walkthrough("server"), host: walkthrough("host"), debian: walkthrough("debian") };
  assert.match(blocks.server, /npx packyard serve/);
  assert.ok(await portFree(8080), "the walkthrough's server needs 127.0.0.1:8080 free");

  cpSync(join(REPO, "fixtures/example"), join(work, "fixtures/example"), { recursive: true });
  const env = userEnv(process.env.HOME ?? work);
  const serve = await serverBlock(blocks.server, work, env);
  const serverOutput = serve.output();

  const host = spawnSync("sh", ["-ec", blocks.host], { cwd: work, env, encoding: "utf8", timeout: 120_000 });
  assert.equal(host.status, 0, `host block:\n${host.stdout}\n${host.stderr}\n${serverOutput.slice(-3000)}`);
  // The install text the server returned names the Debian 12 source and the key it installs.
  assert.match(host.stdout, /Signed-By: \/etc\/apt\/keyrings\/hello\.asc/);
  assert.match(host.stdout, /URIs: http:\/\/127\.0\.0\.1:8080\/r\/hello\/main\/deb/);

  const debian = await root.sh(blocks.debian, { timeoutMs: 300_000 });
  assert.equal(debian.code, 0, `Debian block:\n${debian.stdout}\n${debian.stderr}`);
  assert.match(debian.stdout, /Hello from packyard, world!/);
  // apt checked the repository's signature: no warning about unsigned or unauthenticated data.
  assert.doesNotMatch(debian.stdout + debian.stderr, /NO_PUBKEY|not signed|unauthenticated|insecure/i);
  assert.ok(existsSync(join(root.path, "etc/apt/keyrings/hello.asc")));

  await stop(serve.child);
});

test("README's builds walkthrough: serve, an agent, packyard remote build, then apt installs it on Debian 12", async (t) => {
  if (!needTool(t, "curl")) return;
  const root = await freshDebianRoot(t);
  if (root === undefined) return;
  const blocks = {
    server: walkthrough("builds-server"),
    agent: walkthrough("builds-agent"),
    host: walkthrough("builds-host"),
    debian: walkthrough("builds-debian"),
  };
  assert.match(blocks.agent, /npx packyard agent/);
  assert.match(blocks.host, /npx packyard remote build/);
  assert.ok(await portFree(8080), "the walkthrough's server needs 127.0.0.1:8080 free");

  const dir = mkdtempSync(join(work, "builds-"));
  cpSync(join(REPO, "fixtures/example"), join(dir, "fixtures/example"), { recursive: true });
  const env = userEnv(dir);
  const serve = await serverBlock(blocks.server, dir, env);

  const agent = background(blocks.agent, dir, env);
  const host = spawnSync("sh", ["-ec", blocks.host], { cwd: dir, env, encoding: "utf8", timeout: 300_000 });
  const context = `host block:\n${host.stdout}\n${host.stderr}\nagent:\n${agent.output().slice(-3000)}\nserver:\n${serve.output().slice(-3000)}`;
  assert.equal(host.status, 0, context);
  // The log streamed to the terminal: the agent's unpack step ran (tar in the work folder), then the build
  // succeeded and was published.
  assert.match(host.stdout + host.stderr, /succeeded/, context);
  // `packyard login` kept the token in the user's config, 0600.
  const config = join(dir, ".config/packyard/config.json");
  assert.ok(existsSync(config), context);
  assert.equal(statSync(config).mode & 0o777, 0o600);

  const debian = await root.sh(blocks.debian, { timeoutMs: 300_000 });
  assert.equal(debian.code, 0, `Debian block:\n${debian.stdout}\n${debian.stderr}`);
  assert.match(debian.stdout, /Hello from packyard, world!/);
  assert.doesNotMatch(debian.stdout + debian.stderr, /NO_PUBKEY|not signed|unauthenticated|insecure/i);

  await stop(agent.child);
  await stop(serve.child);
});
