// A private hosted repository read by real clients over HTTP: a deb, an rpm and an Arch package published
// with @packyard/repo's publish into the server's folder storage under repos/acme/secret/ (a test key; the
// server's own publish route is not needed for what is tested here), the app listening on 127.0.0.1, and
// apt (credentials in a scratch auth.conf.d), dnf (username=/password= in the .repo) and pacman
// (credentials in the Server URL) each refused without the read token and updating and installing with it.
// Runs on PGlite and PostgreSQL.
import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type TestContext, test } from "node:test";
import { folderStorage, prefixStorage, publish, readObject } from "@packyard/repo";
import { scratchApt, scratchRoot } from "@packyard/testkit/apt";
import { testDeb, testRpm } from "@packyard/testkit/debs";
import { openpgpTestKey } from "@packyard/testkit/keyrings";
import { makeRepoRoot, testArchPackage } from "@packyard/testkit/pacman-repo";
import { makeKeyring } from "@packyard/testkit/pacman-root";
import { scratchDnf } from "@packyard/testkit/rpms";
import { needRoot, needTool, tryRun } from "@packyard/testkit/tools";
import { issueReadToken } from "../../src/repos/read-tokens.ts";
import { type Harness, harness, keptLogs, secret, secretsNeverLeak } from "../app-harness.ts";
import { eachDb } from "../dbs.ts";

const PROJECT = "acme";
const REPOSITORY = "secret";
const PACMAN_REPO = "acme";

/** A private repository with published content, served on 127.0.0.1; undefined when skipped. */
interface Served {
  h: Harness;
  /** `http://127.0.0.1:<port>/r/acme/secret` */
  base: string;
  port: number;
  token: string;
  /** The published armored public key, in a file. */
  keyFile: string;
  keyArmored: string;
  fingerprint: string;
  /** The published .repo text. */
  repoFile: string;
  dir: string;
}

async function serve(t: TestContext, fresh: Parameters<typeof harness>[1]): Promise<Served | undefined> {
  const dir = mkdtempSync(join(tmpdir(), "packyard-files-private-"));
  chmodSync(dir, 0o755); // apt's methods run as _apt and read the key file
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // Folder storage, as `packyard serve` keeps its data by default.
  const h = await harness(t, fresh, {}, { storage: folderStorage(join(dir, "storage")) });
  if (h === undefined) return undefined;
  const ownerId = await h.user(`${PROJECT}-owner`);
  const { rows } = await h.db.query<{ id: number }>(
    "INSERT INTO projects (slug, created_at) VALUES ($1, $2) RETURNING id",
    [PROJECT, h.clock.now()],
  );
  const projectId = rows[0]!.id;
  await h.db.query(
    "INSERT INTO repositories (project_id, name, private, created_at, updated_at) VALUES ($1, $2, true, $3, $3)",
    [projectId, REPOSITORY, h.clock.now()],
  );
  const token = secret(
    (await issueReadToken(h.db, { projectId, userId: ownerId, name: "clients" }, h.clock.now())).token,
  );
  await h.app.listen({ host: "127.0.0.1", port: 0 });
  const { port } = h.app.server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}/r/${PROJECT}/${REPOSITORY}`;

  const { signer } = await openpgpTestKey({ type: "rsa", rsaBits: 2048 });
  const deb = await testDeb({
    name: "hello-private",
    version: "1.0-1",
    arch: "amd64",
    files: ["/usr/bin/hello-private"],
  });
  const rpm = await testRpm({
    name: "hello-private",
    version: "1.0-1",
    arch: "x86_64",
    files: ["/usr/bin/hello-private"],
  });
  const arch = await testArchPackage({
    name: "hello-private",
    version: "1.0-1",
    arch: "x86_64",
    files: ["/usr/bin/hello-private"],
  });
  const storage = prefixStorage(h.storage, `repos/${PROJECT}/${REPOSITORY}/`);
  await publish(storage, {
    add: [deb, rpm, arch].map((p) => ({ info: p.info, source: p.source, name: p.name })),
    signers: [signer],
    rpm: { targets: ["el-9"], baseUrl: base },
    archlinux: { repo: PACMAN_REPO },
  });
  const keyArmored = new TextDecoder().decode((await readObject(storage, "keys/repository.asc"))!);
  const keyFile = join(dir, "repository.asc");
  writeFileSync(keyFile, keyArmored);
  chmodSync(keyFile, 0o644);
  const repoFile = new TextDecoder().decode((await readObject(storage, "rpm/el/9/repository.repo"))!);
  return { h, base, port, token, keyFile, keyArmored, fingerprint: signer.primaryFingerprint, repoFile, dir };
}

/** The status lines the app logged for requests under `path` (the harness keeps the debug log). */
function statuses(path: string): number[] {
  return keptLogs()
    .map((l) => JSON.parse(l) as { msg?: string; path?: string; status?: number })
    .filter((l) => l.msg === "request" && l.path?.startsWith(path))
    .map((l) => l.status!);
}

const show = (what: string, r: { code?: number; status?: number; stdout: string; stderr: string }) =>
  `${what}: exit ${r.code ?? r.status}\n${r.stdout}\n${r.stderr}`;

eachDb((_kind, fresh) => {
  test("apt: without credentials apt-get update fails with 401; with auth.conf.d it updates and installs", async (t) => {
    if (!needTool(t, "apt-get", "apt-cache", "dpkg")) return;
    if (!needRoot(t, "apt's methods drop to _apt, which needs root")) return;
    const s = await serve(t, fresh);
    if (s === undefined) return;
    const apt = scratchApt({ sources: { uri: `${s.base}/deb`, signedBy: s.keyFile }, contents: false });
    t.after(() => apt.dispose());

    const refused = await apt.update();
    assert.notEqual(refused.code, 0, show("apt-get update without credentials", refused));
    assert.match(refused.stdout + refused.stderr, /401\s+Unauthorized/, show("apt-get update", refused));
    assert.ok(statuses(`/r/${PROJECT}/${REPOSITORY}/deb/`).includes(401));

    // apt reads auth.conf.d (Dir::Etc::netrcparts, under the scratch Dir::Etc) as root before dropping to
    // _apt; a machine without a protocol would match https only (apt_auth.conf(5)), so http:// is written.
    mkdirSync(join(apt.dir, "etc", "auth.conf.d"));
    const auth = join(apt.dir, "etc", "auth.conf.d", "packyard.conf");
    const machine = `http://127.0.0.1:${s.port}/r/${PROJECT}/${REPOSITORY}/`;
    writeFileSync(auth, `machine ${machine}\nlogin ${PROJECT}\npassword ${s.token}\n`, { mode: 0o600 });
    const updated = await apt.update();
    assert.equal(updated.code, 0, show("apt-get update with credentials", updated));
    assert.deepEqual(updated.warnings, [], show("apt-get update", updated));
    assert.deepEqual(updated.errors, [], show("apt-get update", updated));
    const policy = await apt.policy("hello-private");
    assert.equal(policy.candidate, "1.0-1", show("apt-cache policy", policy));

    const root = scratchRoot(s.dir);
    const installed = await apt.installInto(root, "hello-private");
    assert.equal(installed.code, 0, show("apt-get install", installed));
    assert.deepEqual(installed.warnings, [], show("apt-get install", installed));
    assert.ok(existsSync(join(root, "usr/bin/hello-private")), "the package's file is in the root");
    const status = readFileSync(join(root, "var/lib/dpkg/status"), "utf8");
    assert.match(status, /^Package: hello-private\nStatus: install ok installed$/m, status);
  });

  test("dnf: without username=/password= makecache fails; with them it updates and installs", async (t) => {
    if (!needTool(t, "dnf", "rpm")) return;
    const s = await serve(t, fresh);
    if (s === undefined) return;
    assert.match(s.repoFile, /^baseurl=http:\/\/127\.0\.0\.1:\d+\/r\/acme\/secret\//m, s.repoFile);
    assert.match(s.repoFile, /^gpgcheck=1$/m, s.repoFile);
    assert.match(s.repoFile, /^repo_gpgcheck=1$/m, s.repoFile);

    const without = scratchDnf(undefined, s.repoFile);
    t.after(() => without.dispose());
    const refused = await without.dnf(["makecache"]);
    assert.notEqual(refused.code, 0, show("dnf makecache without credentials", refused));
    assert.match(refused.stdout + refused.stderr, /401/, show("dnf makecache", refused));

    // The published .repo with the credential lines added to its section.
    const withCredentials = s.repoFile.replace(
      /^(\[[^\]]+\]\n)/m,
      `$1username=${PROJECT}\npassword=${s.token}\n`,
    );
    assert.notEqual(withCredentials, s.repoFile);
    const dnf = scratchDnf(undefined, withCredentials);
    t.after(() => dnf.dispose());
    const cache = await dnf.dnf(["makecache"]);
    assert.equal(cache.code, 0, show("dnf makecache", cache));
    const query = await dnf.repoquery();
    assert.equal(query.code, 0, show("dnf repoquery", query));
    assert.deepEqual(
      query.packages.map((p) => `${p.name}-${p.version}-${p.release}.${p.arch}`),
      ["hello-private-1.0-1.x86_64"],
    );
    const install = await dnf.dnf(["install", "hello-private"]);
    assert.equal(install.code, 0, show("dnf install", install));
    assert.ok(existsSync(join(dnf.root, "usr/bin/hello-private")), show("dnf install", install));
  });

  test("pacman: without credentials -Sy fails; with user:token@ in the Server URL it syncs and installs", async (t) => {
    if (!needTool(t, "pacman", "pacman-key")) return;
    if (!needRoot(t, "pacman syncs and installs only as root")) return;
    const s = await serve(t, fresh);
    if (s === undefined) return;
    const gpgdir = makeKeyring(join(s.dir, "keyring"), s.keyArmored, s.fingerprint);
    t.after(() => void tryRun("gpgconf", ["--homedir", gpgdir, "--kill", "all"]));
    const path = "archlinux/$repo/os/$arch";

    const bare = makeRepoRoot(gpgdir, [{ repo: PACMAN_REPO, servers: [`${s.base}/${path}`] }]);
    t.after(() => rmSync(bare.root, { recursive: true, force: true }));
    const refused = await bare.pacman(["-Sy"]);
    assert.notEqual(refused.status, 0, show("pacman -Sy without credentials", refused));
    assert.match(refused.stdout + refused.stderr, /401/, show("pacman -Sy", refused));

    // libcurl sends user:password of the URL as basic auth.
    const withCredentials = s.base.replace("http://", `http://${PROJECT}:${s.token}@`);
    const root = makeRepoRoot(gpgdir, [{ repo: PACMAN_REPO, servers: [`${withCredentials}/${path}`] }]);
    t.after(() => rmSync(root.root, { recursive: true, force: true }));
    const sync = await root.pacman(["-Sy"]);
    assert.equal(sync.status, 0, show("pacman -Sy", sync));
    assert.doesNotMatch(sync.stdout + sync.stderr, /error|warning/i, show("pacman -Sy", sync));
    const install = await root.pacman(["-S", "hello-private"]);
    assert.equal(install.status, 0, show("pacman -S", install));
    assert.doesNotMatch(install.stdout + install.stderr, /error|warning/i, show("pacman -S", install));
    assert.ok(existsSync(join(root.root, "usr/bin/hello-private")), show("pacman -S", install));
  });
});

secretsNeverLeak();
