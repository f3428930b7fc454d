/**
 * pacman 6.0.2 judges a pacman repository published by the engine (x86_64 and aarch64, RSA key, the
 * packages' `.sig` files made by the engine), through a pacman.conf section as the install instructions give
 * it (`SigLevel = Required DatabaseRequired`) and a keyring holding the key file the repository publishes,
 * locally signed: over `file:`, over HTTP and from an S3 bucket URL, -Sy is clean, -Ss shows every package
 * with the version it was built with (epoch included), -S installs through the dependencies, -Fl lists what
 * bsdtar lists in the package file, an aarch64 root installs the `any` package from its own folder, and a
 * second publish of a newer version is what -Sy then -Su upgrades to.
 */
import assert from "node:assert/strict";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import type { OpenPGPSigner } from "@packyard/formats";
import { folderStorage, publish, readObject, type Storage } from "@packyard/repo";
import type { TestDeb } from "@packyard/testkit/debs";
import { type FolderServer, serveFolder } from "@packyard/testkit/http";
import { openpgpTestKey } from "@packyard/testkit/keyrings";
import { makeRepoRoot, type PacmanRun, type RepoRoot, testArchPackage } from "@packyard/testkit/pacman-repo";
import { makeKeyring } from "@packyard/testkit/pacman-root";
import { type S3Server, startS3 } from "@packyard/testkit/s3";
import { needRoot, needTool, run, tryRun } from "@packyard/testkit/tools";

const REPO = "packyard-test";
const KEY_FILE = "keys/repository.asc";
const SERVER_PATH = "archlinux/$repo/os/$arch";

/** The packages, as the test builds them: what -Ss must show is this, not what the engine wrote. */
const PACKAGES = [
  { name: "yard-base", version: "1.0-1", arch: "x86_64", files: ["/usr/bin/yard-base"] },
  { name: "yard-data", version: "0.5-2", arch: "any" },
  { name: "yard-epoch", version: "1:2.0-1", arch: "x86_64" },
  { name: "yard-tool", version: "3.1-1", arch: "x86_64", depends: ["yard-epoch>=1:2.0", "yard-data"] },
] as const;

interface Shared {
  dir: string;
  /** The published folder. */
  folder: string;
  signer: OpenPGPSigner;
  packages: TestDeb[];
  gpgdir: string;
  server: FolderServer;
  s3: S3Server;
  s3Storage: Storage;
}

let shared: Promise<Shared> | undefined;
const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

const inputs = (packages: readonly TestDeb[]) =>
  packages.map((p) => ({ info: p.info, source: p.source, name: p.name }));

async function setup(): Promise<Shared> {
  const dir = mkdtempSync(join(tmpdir(), "packyard-pacman-client-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const { signer } = await openpgpTestKey({ type: "rsa", rsaBits: 2048 });
  const packages = await Promise.all(PACKAGES.map((p) => testArchPackage({ ...p })));
  for (const p of packages) assert.equal(p.info.signatures.length, 0, `${p.name} is given without a .sig`);
  const archlinux = { repo: REPO, architectures: ["x86_64", "aarch64"] };
  const folder = join(dir, "repo");
  await publish(folderStorage(folder), { add: inputs(packages), signers: [signer], archlinux });

  // The keyring holds the key file the repository hands out, locally signed by its full fingerprint.
  const key = readFileSync(join(folder, KEY_FILE), "utf8");
  const gpgdir = makeKeyring(join(dir, "keyring"), key, signer.primaryFingerprint);
  cleanups.push(() => void tryRun("gpgconf", ["--homedir", gpgdir, "--kill", "all"]));

  const server = await serveFolder(folder);
  cleanups.push(() => server.stop());
  const s3 = await startS3();
  cleanups.push(() => s3.stop());
  const s3Storage = s3.storage("pacman-judge");
  await publish(s3Storage, { add: inputs(packages), signers: [signer], archlinux });
  return { dir, folder, signer, packages, gpgdir, server, s3, s3Storage };
}

/** The shared repository, or undefined when the judges are missing (the test is then skipped). */
async function repository(t: Parameters<typeof needTool>[0]): Promise<Shared | undefined> {
  if (!needTool(t, "pacman", "pacman-key", "bsdtar", "busybox")) return undefined;
  if (!needRoot(t, "pacman syncs and installs only as root")) return undefined;
  shared ??= setup();
  return shared;
}

const output = (what: string, r: PacmanRun) => `${what}: exit ${r.status}\n${r.stdout}\n${r.stderr}`;

/** Runs pacman in `root` and asserts it succeeded without an error or a warning. */
async function clean(root: RepoRoot, args: string[]): Promise<string> {
  const r = await root.pacman(args);
  const all = output(`pacman ${args.join(" ")}`, r);
  assert.equal(r.status, 0, all);
  assert.doesNotMatch(r.stderr + r.stdout, /error|warning/i, all);
  return r.stdout;
}

/** A scratch root whose pacman.conf has the repository's section with `server` as its Server line. */
function rootFor(t: { after(fn: () => void): void }, s: Shared, server: string, arch = "x86_64") {
  const root = makeRepoRoot(
    s.gpgdir,
    [{ repo: REPO, servers: [server], sigLevel: "Required DatabaseRequired" }],
    arch,
  );
  t.after(() => rmSync(root.root, { recursive: true, force: true }));
  const conf = readFileSync(root.conf, "utf8");
  assert.match(conf, new RegExp(`^\\[${REPO}\\]\\nSigLevel = Required DatabaseRequired\\nServer = `, "m"));
  return root;
}

/** What bsdtar lists in a package file, without pacman's own dot files: what -Fl must list. */
function bsdtarFiles(path: string): string[] {
  return run("bsdtar", ["-tf", path])
    .split("\n")
    .filter((l) => l !== "" && !l.startsWith("."));
}

/** -Sy, -Ss, -S (through the dependencies), -Fy and -Fl against the repository at `server`. */
async function judge(t: { after(fn: () => void): void }, s: Shared, server: string): Promise<RepoRoot> {
  const root = rootFor(t, s, server);
  await clean(root, ["-Sy"]);
  const search = await clean(root, ["-Ss", "^yard-"]);
  const listed = search
    .split("\n")
    .filter((l) => l.startsWith(`${REPO}/`))
    .sort();
  assert.deepEqual(
    listed,
    PACKAGES.map((p) => `${REPO}/${p.name} ${p.version}`),
    `pacman -Ss:\n${search}`,
  );

  await clean(root, ["-S", "yard-tool"]);
  const installed = (await clean(root, ["-Q"])).trim().split("\n").sort();
  assert.deepEqual(
    installed,
    ["yard-data 0.5-2", "yard-epoch 1:2.0-1", "yard-tool 3.1-1"],
    "through the depends",
  );
  assert.equal(
    readFileSync(join(root.root, "usr/share/yard-epoch/data"), "utf8"),
    "yard-epoch 1:2.0-1 \n",
    "the installed file",
  );
  await clean(root, ["-S", "yard-base"]);
  assert.ok(existsSync(join(root.root, "usr/bin/yard-base")));
  const check = await root.pacman(["-Qkk"]);
  assert.equal(check.status, 0, output("pacman -Qkk", check));

  await clean(root, ["-Fy"]);
  for (const p of s.packages) {
    const name = p.info.name;
    const file = join(s.dir, p.name);
    writeFileSync(file, p.bytes);
    const fl = await clean(root, ["-Fl", name]);
    assert.deepEqual(
      fl.trim().split("\n"),
      bsdtarFiles(file).map((f) => `${name} ${f}`),
      `pacman -Fl ${name}`,
    );
  }
  return root;
}

test("over file: -Sy is clean, -Ss shows every version, -S installs through the depends, -Fl lists the files", async (t) => {
  const s = await repository(t);
  if (s === undefined) return;
  await judge(t, s, `file://${s.folder}/${SERVER_PATH}`);
});

test("an aarch64 root sees the any package only and installs it from the aarch64 folder (file: and HTTP)", async (t) => {
  const s = await repository(t);
  if (s === undefined) return;
  const data = s.packages.find((p) => p.info.name === "yard-data")!;
  for (const url of [`file://${s.folder}/${SERVER_PATH}`, `${s.server.url}/${SERVER_PATH}`]) {
    const before: number = s.server.log.length;
    const root = rootFor(t, s, url, "aarch64");
    await clean(root, ["-Sy"]);
    const sl = await clean(root, ["-Sl", REPO]);
    assert.equal(sl, `${REPO} yard-data 0.5-2\n`, `pacman -Sl on aarch64 (${url})`);
    await clean(root, ["-S", "yard-data"]);
    assert.equal(await clean(root, ["-Q"]), "yard-data 0.5-2\n");
    const cached = join(root.root, "var/cache/pacman", "yard-data-0.5-2-any.pkg.tar.zst");
    assert.deepEqual(readFileSync(cached), Buffer.from(data.bytes), "the package bytes as built");
    if (url.startsWith("http")) {
      const fetched: string[] = s.server.log
        .slice(before)
        .filter((r) => /\.pkg\.tar\.zst(\.sig)?$/.test(r.path))
        .map((r) => `${r.status} ${r.path}`)
        .sort();
      assert.deepEqual(fetched, [
        `200 /archlinux/${REPO}/os/aarch64/yard-data-0.5-2-any.pkg.tar.zst`,
        `200 /archlinux/${REPO}/os/aarch64/yard-data-0.5-2-any.pkg.tar.zst.sig`,
      ]);
    }
  }
});

test("over HTTP: -Sy, -Ss, -S and -Fl work, each package fetched with its .sig from the x86_64 folder", async (t) => {
  const s = await repository(t);
  if (s === undefined) return;
  const before = s.server.log.length;
  await judge(t, s, `${s.server.url}/${SERVER_PATH}`);
  const log = s.server.log.slice(before);
  const asked = (suffix: string) =>
    log
      .filter((r) => r.path.endsWith(suffix))
      .map((r) => `${r.status} ${r.path}`)
      .sort();
  const dir = `/archlinux/${REPO}/os/x86_64`;
  assert.deepEqual(asked(".db"), [`200 ${dir}/${REPO}.db`]);
  assert.deepEqual(asked(".db.sig"), [`200 ${dir}/${REPO}.db.sig`]);
  assert.deepEqual(asked(".files"), [`200 ${dir}/${REPO}.files`]);
  assert.deepEqual(asked(".files.sig"), [`200 ${dir}/${REPO}.files.sig`]);
  const packages = asked(".pkg.tar.zst");
  assert.equal(packages.length, PACKAGES.length, packages.join("\n"));
  assert.deepEqual(
    asked(".pkg.tar.zst.sig"),
    packages.map((p) => `${p}.sig`),
    "every package's .sig was fetched",
  );
  for (const p of packages) assert.ok(p.startsWith(`200 ${dir}/`), p);
});

test("from an S3 bucket URL: -Sy, -Ss, -S and -Fl work", async (t) => {
  const s = await repository(t);
  if (s === undefined) return;
  const key = await readObject(s.s3Storage, KEY_FILE);
  assert.ok(key !== undefined, `${KEY_FILE} in the bucket`);
  assert.equal(Buffer.from(key).toString("utf8"), readFileSync(join(s.folder, KEY_FILE), "utf8"));
  await judge(t, s, `${s.s3.url("pacman-judge")}/${SERVER_PATH}`);
});

test("a second publish with a newer version: -Sy then -Su upgrades to it", async (t) => {
  const s = await repository(t);
  if (s === undefined) return;
  const copy = join(s.dir, "upgrade");
  cpSync(s.folder, copy, { recursive: true, preserveTimestamps: true });
  const root = rootFor(t, s, `file://${copy}/${SERVER_PATH}`);
  await clean(root, ["-Sy"]);
  await clean(root, ["-S", "yard-tool"]);
  assert.match(await clean(root, ["-Q", "yard-epoch"]), /^yard-epoch 1:2\.0-1$/m);

  // pacman asks for the database If-Modified-Since the time it last got: a database rewritten within the
  // same second would look unchanged. Wait for the next second, so -Sy must fetch the new one.
  const db = join(copy, "archlinux", REPO, "os", "x86_64", `${REPO}.db`);
  const synced = Math.floor(statSync(db).mtimeMs / 1000);
  while (Math.floor(Date.now() / 1000) <= synced) await new Promise((r) => setTimeout(r, 50));

  const newer = await testArchPackage({ name: "yard-epoch", version: "1:2.1-1", arch: "x86_64" });
  const result = await publish(folderStorage(copy), { add: inputs([newer]), signers: [s.signer] });
  assert.equal(result.warnings, undefined, JSON.stringify(result.warnings));
  assert.deepEqual(
    result.added.map((a) => `${a.name} ${a.version} ${a.arch}`),
    ["yard-epoch 1:2.1-1 x86_64"],
  );
  const sync = await clean(root, ["-Sy"]);
  assert.match(sync, new RegExp(`${REPO} downloading`), sync);
  await clean(root, ["-Su"]);
  assert.deepEqual((await clean(root, ["-Q"])).trim().split("\n").sort(), [
    "yard-data 0.5-2",
    "yard-epoch 1:2.1-1",
    "yard-tool 3.1-1",
  ]);
  assert.equal(readFileSync(join(root.root, "usr/share/yard-epoch/data"), "utf8"), "yard-epoch 1:2.1-1 \n");
});
