/**
 * README's server walkthrough runs as written: its three marked blocks are taken out of README.md and run
 * unchanged — the server block (build the example's .deb, `npx packyard serve` on 127.0.0.1:8080 with an
 * embedded database) and the host block (curl: project, packyard.yml, upload, publish, install text) in a
 * copy of fixtures/example inside the repository (so `npx packyard` is this checkout's CLI), the Debian block
 * as root in a fresh copy of the Debian 12 root (testkit debian-root.ts), which reaches the server on
 * 127.0.0.1: the install script adds the key and the deb822 source, apt installs the package with
 * InRelease checked, and the installed `hello` runs.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
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
let server: ChildProcess | undefined;
after(async () => {
  if (server?.exitCode === null) {
    process.kill(-server.pid!, "SIGKILL");
    await new Promise((resolve) => server!.once("exit", resolve));
  }
  rmSync(work, { recursive: true, force: true });
});

test("README's server walkthrough: serve, upload and publish with curl, then apt installs it on Debian 12", async (t) => {
  if (!needTool(t, "curl")) return;
  const root = await freshDebianRoot(t);
  if (root === undefined) return;
  const blocks = { server: walkthrough("server"), host: walkthrough("host"), debian: walkthrough("debian") };
  assert.match(blocks.server, /npx packyard serve/);
  assert.ok(await portFree(8080), "the walkthrough's server needs 127.0.0.1:8080 free");

  cpSync(join(REPO, "fixtures/example"), join(work, "fixtures/example"), { recursive: true });
  // As a user's shell: this checkout's node_modules/.bin first (npm test puts it there; npx finds the CLI
  // from the folder anyway), no database or storage settings from the test environment.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${join(REPO, "node_modules/.bin")}:${process.env.PATH ?? ""}`,
  };
  for (const name of ["DATABASE_URL", "PACKYARD_STORAGE", "PACKYARD_MASTER_KEY", "PACKYARD_MASTER_KEY_FILE"])
    delete env[name];
  let serverOutput = "";
  server = spawn("sh", ["-ec", blocks.server], { cwd: work, env, detached: true, stdio: "pipe" });
  server.stdout!.on("data", (d: Buffer) => (serverOutput += d.toString()));
  server.stderr!.on("data", (d: Buffer) => (serverOutput += d.toString()));
  const exited = new Promise<number | null>((resolve) => server!.once("exit", (code) => resolve(code)));
  const token = join(work, "fixtures/example/admin.token");
  for (let i = 0; i < 600 && !(existsSync(token) && /listening on/.test(serverOutput)); i++) {
    if (server.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.ok(existsSync(token), `the server block wrote admin.token:\n${serverOutput.slice(-3000)}`);

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

  process.kill(-server.pid!, "SIGTERM");
  await exited;
});
