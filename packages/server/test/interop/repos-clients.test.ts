// Real clients over HTTP (issue 19, "Real clients over HTTP"): the server listening on 127.0.0.1 with folder
// storage, then with S3 storage (@packyard/testkit's S3 server), on both databases. The example's deb, rpm
// and Arch packages are uploaded through the API and published; then apt-get update (scratch config,
// Signed-By the key the server serves, no warning) and install, dnf --installroot with the .repo file the
// publish wrote (gpgcheck=1, repo_gpgcheck=1) makecache and install, and pacman -Sy / -S --root under
// SigLevel = Required with the key locally signed, all through /r/demo/main/.
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type TestContext, test } from "node:test";
import { folderStorage, type Storage } from "@packyard/repo";
import { scratchApt, scratchRoot } from "@packyard/testkit/apt";
import { makeRepoRoot } from "@packyard/testkit/pacman-repo";
import { makeKeyring } from "@packyard/testkit/pacman-root";
import { scratchDnf } from "@packyard/testkit/rpms";
import { startS3 } from "@packyard/testkit/s3";
import { needTool } from "@packyard/testkit/tools";
import { freePort } from "@packyard/testkit/http";
import { bearer, secretsNeverLeak } from "../app-harness.ts";
import { eachDb, type FreshDb } from "../dbs.ts";
import { examplePackage, projectPublicKey, repoSetup, uploadArtifact } from "../repos-support.ts";

async function fetchText(url: string): Promise<string> {
  const r = await fetch(url);
  assert.equal(r.status, 200, `GET ${url}: ${r.status}`);
  return r.text();
}

const run = (what: string, r: { code?: number; status?: number; stdout: string; stderr: string }) =>
  `${what}: exit ${r.code ?? r.status}\n${r.stdout}\n${r.stderr}`;

/** Uploads and publishes the example's three packages through a listening server, then runs the clients. */
async function clientsJudge(
  t: TestContext,
  fresh: (t: TestContext) => Promise<FreshDb | undefined>,
  storage: Storage,
): Promise<void> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // apt refuses a Release dated in the future: the server's clock is the real one, an hour back.
  const s = await repoSetup(t, fresh, { publicUrl: url }, { storage });
  if (s === undefined) return;
  s.h.clock.time = Date.now() - 3600_000;
  await s.h.app.listen({ host: "127.0.0.1", port });
  // deb and rpm without the example's maintainer scripts: dpkg --root and rpm --root would run them in a
  // scratch root that has no shell (the pacman root has busybox, so the Arch package keeps its .INSTALL).
  await uploadArtifact(s, "1.0.0", await examplePackage("deb", { scripts: {} }));
  await uploadArtifact(s, "1.0.0", await examplePackage("rpm", { scripts: {} }));
  await uploadArtifact(s, "1.0.0", await examplePackage("archlinux"));
  const settings = await s.h.request({
    method: "PUT",
    url: `${s.base}/repository`,
    headers: bearer(s.owner),
    payload: { apt: { suite: "stable", origin: "Demo", label: "Demo" }, rpm: { targets: ["el-9"] } },
  });
  assert.equal(settings.statusCode, 200, settings.body);
  const pub = await s.h.request({
    method: "POST",
    url: `${s.base}/repository/publish`,
    headers: bearer(s.maintainer),
    payload: { add: [{ package: "hello", version: "1.0.0" }] },
  });
  assert.equal(pub.statusCode, 200, pub.body);
  const repo = `${url}/r/demo/main`;

  // apt: the key as served by the repository, Signed-By; a clean update, then an install into a scratch root.
  const dir = mkdtempSync(join(tmpdir(), "packyard-clients-"));
  chmodSync(dir, 0o755); // apt's methods drop to the _apt user, which must read the key file
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const served = await fetchText(`${repo}/keys/demo.asc`);
  // The same key packets (armor line lengths and headers may differ between writers).
  const body = (armored: string) =>
    armored
      .split("\n")
      .filter((l) => l !== "" && !l.startsWith("-----") && !l.startsWith("=") && !l.includes(": "))
      .join("");
  assert.equal(body(served), body(await projectPublicKey(s)), "the served key is the project's key");
  const keyFile = join(dir, "demo.asc");
  writeFileSync(keyFile, served);
  const apt = scratchApt({ sources: { uri: `${repo}/deb`, signedBy: keyFile } });
  t.after(() => apt.dispose());
  const update = await apt.update();
  assert.equal(update.code, 0, run("apt-get update", update));
  assert.deepEqual(update.warnings, [], run("apt-get update", update));
  assert.deepEqual([...update.errors, ...update.failed], [], run("apt-get update", update));
  const policy = await apt.policy("hello-packyard");
  assert.equal(policy.candidate, "1.0.0-1", run("apt-cache policy", policy));
  const got = await apt.download("hello-packyard");
  assert.equal(got.code, 0, run("apt-get download", got));
  const root = scratchRoot(dir);
  const install = await apt.installInto(root, "hello-packyard");
  assert.equal(install.code, 0, run("apt-get install", install));

  // dnf: the .repo file the publish wrote, served by the repository (gpgcheck and repo_gpgcheck on).
  const repoText = await fetchText(`${repo}/rpm/el/9/demo.repo`);
  assert.match(repoText, /^gpgcheck=1$/m, repoText);
  assert.match(repoText, /^repo_gpgcheck=1$/m, repoText);
  assert.ok(repoText.includes(`${repo}/`), repoText);
  const dnf = scratchDnf(dir, repoText);
  t.after(() => dnf.dispose());
  const cache = await dnf.dnf(["-q", "makecache"]);
  assert.equal(cache.code, 0, run("dnf makecache", cache));
  const dnfInstall = await dnf.dnf(["install", "hello-packyard"]);
  assert.equal(dnfInstall.code, 0, run("dnf install", dnfInstall));

  // pacman: the key locally signed in a scratch keyring; SigLevel = Required for databases and packages.
  const keys = (
    await s.h.request({ method: "GET", url: `${s.base}/keys`, headers: bearer(s.viewer) })
  ).json() as { purpose: string; state: string; fingerprint: string }[];
  const fingerprint = keys.find((k) => k.purpose === "openpgp" && k.state === "active")!.fingerprint;
  const gpgdir = makeKeyring(join(dir, "pacman"), served, fingerprint.toUpperCase());
  const pacmanRoot = makeRepoRoot(gpgdir, [
    { repo: "demo", servers: [`${repo}/archlinux/$repo/os/$arch`], sigLevel: "Required" },
  ]);
  t.after(() => rmSync(pacmanRoot.root, { recursive: true, force: true }));
  const sync = await pacmanRoot.pacman(["-Sy"]);
  assert.equal(sync.status, 0, run("pacman -Sy", sync));
  const pacInstall = await pacmanRoot.pacman(["-S", "hello-packyard"]);
  assert.equal(pacInstall.status, 0, run("pacman -S", pacInstall));
}

eachDb((kind, fresh) => {
  test("apt, dnf and pacman install from the server with folder storage", async (t) => {
    if (!needTool(t, "apt-get", "apt-cache", "dpkg", "dnf", "rpm", "pacman", "pacman-key", "busybox", "gpg"))
      return;
    const dir = mkdtempSync(join(tmpdir(), "packyard-storage-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    await clientsJudge(t, fresh, folderStorage(dir));
  });

  test("apt, dnf and pacman install from the server with S3 storage", async (t) => {
    if (!needTool(t, "apt-get", "apt-cache", "dpkg", "dnf", "rpm", "pacman", "pacman-key", "busybox", "gpg"))
      return;
    const s3 = await startS3();
    t.after(() => s3.stop());
    await clientsJudge(t, fresh, s3.storage(`clients-${kind}/`));
  });
});

secretsNeverLeak();
