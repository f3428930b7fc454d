/**
 * pacman 6.0.2 and apt 2.6 judge a four-family repository whose publisher was killed at four chosen writes
 * of a change adding one package of each family — right after the package files, in the middle of the
 * indexes (right after the x86_64 `<repo>.files`), between `<repo>.db` and `<repo>.db.sig`, right after
 * the first pointer — on a folder read over file: (the S3 driver's crashes are the checker's, in
 * four-families-crash.test.ts, and pacman reads from S3 in pacman-client.test.ts). pacman syncs (SigLevel Required
 * DatabaseRequired, a keyring holding the repository's key) and lists one whole generation: the old one
 * until `<repo>.db` is replaced, the new one after. Between the database and its signature it must fail
 * with the database's signature error: the db vs sig pair race of repos.md §7, which no write order
 * avoids; the checker reports exactly that signature there, and a publish of nothing repairs it. apt
 * updates cleanly at all four and downloads what it lists.
 */
import assert from "node:assert/strict";
import { appendFileSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, type TestContext, test } from "node:test";
import { readObject, verifyRepository } from "@packyard/repo";
import { scratchApt } from "@packyard/testkit/apt";
import { openpgpTestKey } from "@packyard/testkit/keyrings";
import { makeKeyring, makeRoot, type PacmanRoot } from "@packyard/testkit/pacman-root";
import { needRoot, needTool, tryRun } from "@packyard/testkit/tools";
import { runChild } from "../publish/child-run.ts";
import {
  type ApkTestKey,
  apkTestKey,
  assertKnownAfterKill,
  type CrashDriver,
  FOUR_BASE,
  FOUR_CHANGE,
  folderCopies,
  fourFamilyKeys,
  PACMAN_REPO,
  packagesAfterRepair,
  publishNothing,
} from "../publish/crash-support.ts";
import { assertClean, scratchDir } from "./apt-repo.ts";

const work = scratchDir("packyard-pacman-crash-");
const base = join(work, "base");
const DB = `archlinux/${PACMAN_REPO}/os/x86_64/${PACMAN_REPO}.db`;
let secret = "";
let publicKey = "";
let fingerprint = "";
let apk: ApkTestKey;
before(async () => {
  const { key, signer } = await openpgpTestKey();
  secret = key.secretKeyArmored;
  publicKey = key.publicKeyArmored;
  fingerprint = signer.primaryFingerprint;
  apk = apkTestKey();
  const r = await runChild({
    storage: { kind: "folder", path: base },
    key: secret,
    apkKey: apk,
    ...FOUR_BASE,
  });
  assert.equal(r.code, 0, JSON.stringify(r.out));
});

/** `pacman -Sl yard` of the x86_64 root a generation serves (`repo name version`), from the held packages. */
function listedBy(packages: readonly string[]): string[] {
  return packages
    .filter((l) => l.startsWith(`archlinux/${PACMAN_REPO}/os/x86_64 `))
    .map((l) => {
      const [, name, version] = l.split(" ");
      return `${PACMAN_REPO} ${name} ${version}`;
    })
    .sort();
}

const output = (what: string, r: { status: number; stdout: string; stderr: string }) =>
  `${what}: exit ${r.status}\n${r.stdout}\n${r.stderr}`;

/**
 * Forces a sync (`-Syy`: the database is fetched even when its date looks unchanged, as a kill and the
 * next publish may leave it within one second) and returns what `-Sl` lists, or the failed run.
 */
function sync(root: PacmanRoot, what: string): string[] {
  const r = root.pacman(["-Syy"]);
  assert.equal(r.status, 0, output(`${what}: pacman -Syy`, r));
  assert.doesNotMatch(r.stdout + r.stderr, /error|warning/i, output(`${what}: pacman -Syy`, r));
  const list = root.pacman(["-Sl", PACMAN_REPO]);
  assert.equal(list.status, 0, output(`${what}: pacman -Sl`, list));
  // `-Sl` prints `repo name version` and ` [installed]` for what is installed (nothing here).
  return list.stdout
    .split("\n")
    .filter((l) => l !== "")
    .sort();
}

async function fourWrites(t: TestContext, driver: CrashDriver, keyring: string): Promise<void> {
  // One complete run shows where each phase's writes are (write k is log[k - 1]).
  const probe = await driver.copyBase("probe");
  const full = await runChild({ storage: probe.plan, key: secret, apkKey: apk, ...FOUR_CHANGE });
  assert.equal(full.code, 0, JSON.stringify(full.out));
  const log = full.out!.log as string[];
  const at = (pred: (k: string) => boolean) => log.findIndex(pred) + 1;
  const db = at((k) => k === DB);
  const chosen = {
    "after the package files": at((k) => /\/binary-[^/]+\/Packages$/.test(k)) - 1,
    "mid-indexes, after the x86_64 .files": at((k) => k === DB.replace(/\.db$/, ".files")),
    "between .db and .db.sig": db,
    "after the pointer": at((k) => k.startsWith(".packyard/roots/")),
  };
  assert.match(log[chosen["after the package files"] - 1]!, /\.(deb|rpm|pkg\.tar\.zst(\.sig)?|apk)$/);
  assert.equal(log[db], `${DB}.sig`, "the database's signature is the write right after it");
  const before = listedBy(packagesAfterRepair(new Set()));
  const changed = listedBy(packagesAfterRepair(new Set(log)));
  assert.notDeepEqual(before, changed, "the change adds a package to the x86_64 database");
  const keys = fourFamilyKeys(publicKey, apk);
  for (const [what, k] of Object.entries(chosen)) {
    assert.ok(k > 0 && k < log.length, `${what}: write ${k} of ${log.length}`);
    const where = `${driver.name}, ${what} (write ${k}, ${log[k - 1]})`;
    const { plan, storage, url } = await driver.copyBase(what.replaceAll(/\W+/g, "-"));
    const root = makeRoot(keyring);
    t.after(() => rmSync(root.root, { recursive: true, force: true }));
    appendFileSync(
      join(root.root, "pacman.conf"),
      `[${PACMAN_REPO}]\nSigLevel = Required DatabaseRequired\nServer = ${url}/archlinux/$repo/os/$arch\n`,
    );
    const apt = scratchApt({ sources: { uri: `${url}/deb`, signedBy: join(base, "keys/repository.asc") } });
    t.after(() => apt.dispose());
    assert.deepEqual(sync(root, `${where}: before the publish`), before);
    assertClean(await apt.update(), `${where}: apt-get update before the publish`);

    const killed = await runChild({
      storage: plan,
      key: secret,
      apkKey: apk,
      ...FOUR_CHANGE,
      killAfterWrite: k,
    });
    assert.equal(killed.signal, "SIGKILL", `${where}: the publisher was to be killed`);
    assertKnownAfterKill(await verifyRepository(storage, keys), log, k, where);
    if (k === db) {
      const r = root.pacman(["-Syy"]);
      assert.notEqual(r.status, 0, output(`${where}: pacman -Syy passed`, r));
      // pacman checks the old .db.sig against the new .db: the database's signature is bad, not missing.
      assert.match(
        r.stderr,
        new RegExp(`^error: ${PACMAN_REPO}: signature from "[^"]+" is invalid$`, "m"),
        output(`${where}: pacman -Syy`, r),
      );
      assert.match(
        r.stderr,
        /^error: failed to synchronize all databases \(invalid or corrupted database \(PGP signature\)\)$/m,
        output(`${where}: pacman -Syy`, r),
      );
      // pacman keeps what it fetched, the new database beside the old signature, and checks them once
      // more at its next sync (below).
      const synced = join(root.root, "var/lib/pacman/sync", PACMAN_REPO);
      assert.deepEqual(readFileSync(`${synced}.db`), Buffer.from((await readObject(storage, DB))!), where);
      assert.deepEqual(
        readFileSync(`${synced}.db.sig`),
        Buffer.from((await readObject(storage, `${DB}.sig`))!),
        where,
      );
    } else {
      // One whole generation: the old one until the database is replaced, the new one from then on.
      assert.deepEqual(sync(root, `${where}: after the kill`), k < db ? before : changed, where);
    }
    assertClean(await apt.update(), `${where}: apt-get update after the kill`);
    for (const pkg of ["hello", "docs"]) {
      const got = await apt.download(pkg);
      assert.equal(got.code, 0, `${where}: apt-get download ${pkg}\n${got.stdout}\n${got.stderr}`);
    }

    await publishNothing(storage, { secret, apk });
    assert.deepEqual(await verifyRepository(storage, { ...keys, strict: true }), [], where);
    if (k === db) {
      // The first sync after the failed one reports the pair it kept, then replaces it and succeeds.
      const r = root.pacman(["-Syy"]);
      assert.equal(r.status, 0, output(`${where}: pacman -Syy after the next publish`, r));
      assert.deepEqual(
        `${r.stdout}\n${r.stderr}`.split("\n").filter((l) => /error|warning/i.test(l)),
        [`error: ${PACMAN_REPO}: signature from "Packyard Test <test@packyard.invalid>" is invalid`],
        output(`${where}: pacman -Syy after the next publish`, r),
      );
    }
    assert.deepEqual(
      sync(root, `${where}: after the next publish`),
      listedBy(packagesAfterRepair(new Set(log.slice(0, k)))),
      where,
    );
    assertClean(await apt.update(), `${where}: apt-get update after the next publish`);
  }
}

describe("pacman and apt after a publisher of four families was killed", () => {
  let keyring = "";
  after(() => {
    if (keyring !== "") tryRun("gpgconf", ["--homedir", keyring, "--kill", "all"]);
  });
  /** The pacman keyring: the key file the repository publishes, locally signed by its fingerprint. */
  const keyringFor = () => {
    if (keyring === "") {
      const published = readFileSync(join(base, "keys/repository.asc"), "utf8");
      keyring = makeKeyring(join(work, "keyring"), published, fingerprint);
    }
    return keyring;
  };
  const judges = (t: TestContext) =>
    needTool(t, "pacman", "pacman-key", "busybox", "apt-get", "apt-cache") &&
    needRoot(t, "pacman -Sy writes the sync databases only as root");

  test("on the folder driver over file:, at four chosen writes, pacman and apt read one whole generation (or, between .db and its signature, pacman fails with the signature error)", async (t) => {
    if (!judges(t)) return;
    await fourWrites(t, folderCopies(work, base), keyringFor());
  });
});
