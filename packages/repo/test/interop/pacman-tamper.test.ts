/**
 * pacman 6.0.2 refuses tampered copies of a pacman repository published by the engine, with
 * `SigLevel = Required DatabaseRequired` and a keyring trusting the repository key (A) only: a byte
 * changed in `<repo>.db`, in `<repo>.files`, or in `<repo>.db.tar.gz` served as repo-add lays a repository
 * out (`<repo>.db` a symlink to it) fails the database signature; a `.db.sig` that is a valid signature by
 * another key (B, checked with gpgv) names an unknown key; a package whose `.sig` is missing fails its
 * download; a package file changed behind the database fails its checksum. Each case first shows that the
 * same copy, untouched, is accepted, so the refusal is the tampering's.
 */
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import type { OpenPGPSigner } from "@packyard/formats";
import { folderStorage, publish } from "@packyard/repo";
import type { TestDeb } from "@packyard/testkit/debs";
import { gpgvKeyring, gpgvVerify, openpgpTestKey } from "@packyard/testkit/keyrings";
import { makeRepoRoot, type PacmanRun, type RepoRoot, testArchPackage } from "@packyard/testkit/pacman-repo";
import { makeKeyring } from "@packyard/testkit/pacman-root";
import { needRoot, needTool, run, tryRun } from "@packyard/testkit/tools";

const REPO = "packyard-test";
const ROOT = `archlinux/${REPO}/os/x86_64`;
const DB_FAILED =
  "error: failed to synchronize all databases (invalid or corrupted database (PGP signature))";

interface Shared {
  dir: string;
  /** The published folder (never changed; each test breaks a copy). */
  folder: string;
  /** The repository key, and another one. */
  a: OpenPGPSigner;
  b: OpenPGPSigner;
  packages: TestDeb[];
  gpgdir: string;
}

let shared: Promise<Shared> | undefined;
const cleanups: (() => void)[] = [];
after(() => {
  for (const c of cleanups.reverse()) c();
});

async function setup(): Promise<Shared> {
  const dir = mkdtempSync(join(tmpdir(), "packyard-pacman-tamper-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const [{ signer: a }, { signer: b }] = await Promise.all([
    openpgpTestKey({ type: "rsa", rsaBits: 2048 }),
    openpgpTestKey({ name: "Someone Else", email: "else@packyard.invalid" }),
  ]);
  const packages = await Promise.all([
    testArchPackage({ name: "yard-base", version: "1.0-1", arch: "x86_64" }),
    testArchPackage({ name: "yard-epoch", version: "1:2.0-1", arch: "x86_64" }),
  ]);
  const folder = join(dir, "repo");
  await publish(folderStorage(folder), {
    add: packages.map((p) => ({ info: p.info, source: p.source, name: p.name })),
    signers: [a],
    archlinux: { repo: REPO, architectures: ["x86_64"] },
  });
  const key = readFileSync(join(folder, "keys/repository.asc"), "utf8");
  const gpgdir = makeKeyring(join(dir, "keyring"), key, a.primaryFingerprint);
  cleanups.push(() => void tryRun("gpgconf", ["--homedir", gpgdir, "--kill", "all"]));
  return { dir, folder, a, b, packages, gpgdir };
}

async function repository(t: Parameters<typeof needTool>[0]): Promise<Shared | undefined> {
  if (!needTool(t, "pacman", "pacman-key", "busybox", "bsdtar", "gpg", "gpgv")) return undefined;
  if (!needRoot(t, "pacman syncs and installs only as root")) return undefined;
  shared ??= setup();
  return shared;
}

let copies = 0;

/** A fresh copy of the published folder to break; returns its x86_64 folder too. */
function copyOf(s: Shared): { repo: string; arch: string } {
  const repo = join(s.dir, `copy-${++copies}`);
  cpSync(s.folder, repo, { recursive: true });
  return { repo, arch: join(repo, ROOT) };
}

/** A fresh scratch root reading the repository in `repo` over file:. */
function rootOver(t: { after(fn: () => void): void }, s: Shared, repo: string): RepoRoot {
  const root = makeRepoRoot(s.gpgdir, [
    {
      repo: REPO,
      servers: [`file://${repo}/archlinux/$repo/os/$arch`],
      sigLevel: "Required DatabaseRequired",
    },
  ]);
  t.after(() => rmSync(root.root, { recursive: true, force: true }));
  return root;
}

const output = (what: string, r: PacmanRun) => `${what}: exit ${r.status}\n${r.stdout}\n${r.stderr}`;

/** pacman `args` in a fresh root over `repo` must succeed without error or warning. */
async function accepted(t: { after(fn: () => void): void }, s: Shared, repo: string, args: string[][]) {
  const root = rootOver(t, s, repo);
  for (const a of args) {
    const r = await root.pacman(a);
    assert.equal(r.status, 0, output(`untouched: pacman ${a.join(" ")}`, r));
    assert.doesNotMatch(r.stderr, /error|warning/i, output(`untouched: pacman ${a.join(" ")}`, r));
  }
}

/** Flips one bit of the byte in the middle of `path`. */
function flipByte(path: string): void {
  const bytes = readFileSync(path);
  bytes[bytes.length >> 1]! ^= 0x01;
  writeFileSync(path, bytes);
}

test("a changed byte in <repo>.db: pacman -Sy refuses it, the signature is invalid", async (t) => {
  const s = await repository(t);
  if (s === undefined) return;
  const { repo, arch } = copyOf(s);
  await accepted(t, s, repo, [["-Sy"]]);
  flipByte(join(arch, `${REPO}.db`));
  const r = await rootOver(t, s, repo).pacman(["-Sy"]);
  const all = output("pacman -Sy", r);
  assert.equal(r.status, 1, all);
  assert.ok(
    r.stderr.includes(`error: ${REPO}: signature from "Packyard Test <test@packyard.invalid>" is invalid`),
    all,
  );
  assert.ok(r.stderr.includes(DB_FAILED), all);
});

test("a changed byte in <repo>.files: pacman -Fy refuses it, the signature is invalid", async (t) => {
  const s = await repository(t);
  if (s === undefined) return;
  const { repo, arch } = copyOf(s);
  await accepted(t, s, repo, [["-Fy"]]);
  flipByte(join(arch, `${REPO}.files`));
  const r = await rootOver(t, s, repo).pacman(["-Fy"]);
  const all = output("pacman -Fy", r);
  assert.equal(r.status, 1, all);
  assert.ok(
    r.stderr.includes(`error: ${REPO}: signature from "Packyard Test <test@packyard.invalid>" is invalid`),
    all,
  );
  assert.ok(r.stderr.includes(DB_FAILED), all);
});

test("<repo>.db.tar.gz served in repo-add's layout (.db a symlink to it): accepted, and a changed byte refused", async (t) => {
  const s = await repository(t);
  if (s === undefined) return;
  const { repo, arch } = copyOf(s);
  // The engine's .db and .db.sig go; pacman reads the .tar.gz copies through the names it asks for.
  for (const [link, target] of [
    [`${REPO}.db`, `${REPO}.db.tar.gz`],
    [`${REPO}.db.sig`, `${REPO}.db.tar.gz.sig`],
  ] as const) {
    unlinkSync(join(arch, link));
    symlinkSync(target, join(arch, link));
  }
  await accepted(t, s, repo, [["-Sy"], ["-S", "yard-base"]]);
  flipByte(join(arch, `${REPO}.db.tar.gz`));
  const r = await rootOver(t, s, repo).pacman(["-Sy"]);
  const all = output("pacman -Sy", r);
  assert.equal(r.status, 1, all);
  assert.ok(
    r.stderr.includes(`error: ${REPO}: signature from "Packyard Test <test@packyard.invalid>" is invalid`),
    all,
  );
  assert.ok(r.stderr.includes(DB_FAILED), all);
});

test("<repo>.db.sig replaced by a valid signature from another key: pacman -Sy refuses the unknown key", async (t) => {
  const s = await repository(t);
  if (s === undefined) return;
  const { repo, arch } = copyOf(s);
  await accepted(t, s, repo, [["-Sy"]]);
  const db = join(arch, `${REPO}.db`);
  const sig = await s.b.detached(readFileSync(db), { date: new Date() });
  writeFileSync(`${db}.sig`, sig);
  // the replacement is a good signature: gpgv with B's key says so
  const ring = gpgvKeyring(join(s.dir, `ring-${copies}`), "b", s.b.publicKeyArmored());
  gpgvVerify(ring, `${db}.sig`, db, "Someone Else <else@packyard.invalid>");

  const r = await rootOver(t, s, repo).pacman(["-Sy"]);
  const all = output("pacman -Sy", r);
  assert.equal(r.status, 1, all);
  assert.ok(r.stderr.includes(`error: ${REPO}: key "${s.b.fingerprint}" is unknown`), all);
  assert.ok(r.stderr.includes(DB_FAILED), all);
});

test("a package's .sig deleted: pacman -S fails retrieving it and installs nothing", async (t) => {
  const s = await repository(t);
  if (s === undefined) return;
  const { repo, arch } = copyOf(s);
  const file = "yard-base-1.0-1-x86_64.pkg.tar.zst";
  await accepted(t, s, repo, [["-Sy"], ["-S", "yard-base"]]);
  unlinkSync(join(arch, `${file}.sig`));
  const root = rootOver(t, s, repo);
  const sync = await root.pacman(["-Sy"]);
  assert.equal(sync.status, 0, output("pacman -Sy", sync));
  const r = await root.pacman(["-S", "yard-base"]);
  const all = output("pacman -S yard-base", r);
  assert.equal(r.status, 1, all);
  assert.ok(r.stderr.includes(`error: failed retrieving file '${file}.sig' from disk`), all);
  assert.ok(r.stderr.includes("error: failed to commit transaction (download library error)"), all);
  assert.equal((await root.pacman(["-Q", "yard-base"])).status, 1, "yard-base is not installed");
});

for (const how of ["a changed byte", "another build of the same version"] as const) {
  test(`a package file changed behind the database (${how}): pacman -S refuses it, installs nothing`, async (t) => {
    const s = await repository(t);
    if (s === undefined) return;
    const { repo, arch } = copyOf(s);
    await accepted(t, s, repo, [["-Sy"], ["-S", "yard-epoch"]]);
    // the file the database names for yard-epoch, whatever the engine called it
    const desc = run("bsdtar", ["-xOf", join(arch, `${REPO}.db`), "yard-epoch-1:2.0-1/desc"]);
    const file = /^%FILENAME%\n(.+)\n/.exec(desc)?.[1];
    assert.ok(file !== undefined, desc);
    // pacman downloads at most %CSIZE% bytes, then checks %SHA256SUM%
    let bigger = false;
    if (how === "a changed byte") flipByte(join(arch, file));
    else {
      const other = await testArchPackage({
        name: "yard-epoch",
        version: "1:2.0-1",
        arch: "x86_64",
        payload: "rebuilt",
      });
      assert.notDeepEqual(other.bytes, s.packages[1]!.bytes);
      bigger = other.bytes.length > s.packages[1]!.bytes.length;
      writeFileSync(join(arch, file), other.bytes);
    }

    const root = rootOver(t, s, repo);
    assert.equal((await root.pacman(["-Sy"])).status, 0);
    const r = await root.pacman(["-S", "yard-epoch"]);
    const all = output("pacman -S yard-epoch", r);
    assert.equal(r.status, 1, all);
    if (bigger) {
      assert.ok(
        r.stderr.includes(
          `error: failed retrieving file '${file}' from disk : expected download size exceeded`,
        ),
        all,
      );
      assert.ok(r.stderr.includes("error: failed to commit transaction (download library error)"), all);
    } else {
      assert.ok(r.stdout.includes(`${file} is corrupted (invalid or corrupted package (checksum))`), all);
      assert.ok(
        r.stderr.includes("error: failed to commit transaction (invalid or corrupted package (checksum))"),
        all,
      );
    }
    assert.equal((await root.pacman(["-Q", "yard-epoch"])).status, 1, "yard-epoch is not installed");
  });
}
