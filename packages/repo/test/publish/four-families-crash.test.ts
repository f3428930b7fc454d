// Crash safety of a repository holding all four families (issue 16): a publisher adding one package of each
// family, SIGKILLed right after any one of its writes, leaves a repository whose every root verifies — APT
// and Alpine with nothing to report (their top files carry their signatures), RPM-MD and pacman with only
// the windows no write order avoids (a top file replaced before its detached signature; pacman's files
// database replaced before its database), each stated in crash-support.ts (knownAfterKill) and matched by
// key and k — and a publish of nothing, right after, commits again exactly the roots the kill left midway
// and leaves every root verifying with `strict`, each serving the change if its top file was replaced
// before the kill and the base otherwise. And two publishers of Arch packages and apks started together take turns under the
// lock, the second building on the first's roots. On the folder driver after every write; on the S3 driver
// after the first write of each kind (see s3Writes: every k there would break this file's time budget).
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { folderStorage, type Storage } from "@packyard/repo";
import { openpgpTestKey } from "@packyard/testkit/keyrings";
import { startS3, type S3Server } from "@packyard/testkit/s3";
import { listAll } from "../../src/publish/state-io.ts";
import { verifyRepository } from "../../src/verify/repository.ts";
import { runChild } from "./child-run.ts";
import {
  type ApkTestKey,
  apkTestKey,
  assertKnownAfterKill,
  type CrashDriver,
  FOUR_BASE,
  FOUR_BASE_PACKAGES,
  FOUR_CHANGE,
  FOUR_CHANGED_PACKAGES,
  folderCopies,
  fourFamilyKeys,
  heldPackages,
  knownAfterKill,
  packagesAfterRepair,
  publishNothing,
  s3Copies,
} from "./crash-support.ts";

const work = mkdtempSync(join(tmpdir(), "packyard-four-crash-"));
const base = join(work, "base");
let secret = "";
let publicKey = "";
let apk: ApkTestKey;
before(async () => {
  const { key } = await openpgpTestKey();
  secret = key.secretKeyArmored;
  publicKey = key.publicKeyArmored;
  apk = apkTestKey();
  const r = await runChild({
    storage: { kind: "folder", path: base },
    key: secret,
    apkKey: apk,
    ...FOUR_BASE,
  });
  assert.equal(r.code, 0, JSON.stringify(r.out));
  assert.deepEqual(await heldPackages(folderStorage(base)), FOUR_BASE_PACKAGES);
});
after(() => rmSync(work, { recursive: true, force: true }));

/** What a write is, for checking that the crash points cross every kind: its kind, and whether it deleted. */
function kindOf(key: string, deleted: ReadonlySet<string>): string {
  const pacmanDb = /^archlinux\/([^/]+)\/os\/[^/]+\/\1\.(db|files)(\.tar\.gz)?(\.sig)?$/.exec(key);
  const kinds: [string, RegExp][] = [
    ["the lock", /^\.packyard\/lock\//],
    ["a state", /^\.packyard\/states\//],
    ["a chunk of records", /^\.packyard\/chunks\//],
    ["a pointer", /^\.packyard\/roots\//],
    ["a deb", /^deb\/pool\/.+\.deb$/],
    ["a by-hash copy", /^deb\/dists\/.+\/by-hash\/SHA256\/[0-9a-f]{64}$/],
    ["a Packages index", /^deb\/dists\/.+\/binary-[^/]+\/Packages(\.gz)?$/],
    ["an InRelease", /^deb\/dists\/[^/]+\/InRelease$/],
    ["a Release", /^deb\/dists\/[^/]+\/Release$/],
    ["a Release.gpg", /^deb\/dists\/[^/]+\/Release\.gpg$/],
    ["an rpm", /^rpm\/pool\/.+\.rpm$/],
    ["a metadata file", /^rpm\/.+\/repodata\/[0-9a-f]{64}-(primary|filelists|other)\.xml\.gz$/],
    ["a repomd.xml", /\/repodata\/repomd\.xml$/],
    ["a repomd.xml.asc", /\/repodata\/repomd\.xml\.asc$/],
    ["a repomd.xml.key", /\/repodata\/repomd\.xml\.key$/],
    ["an Arch package", /^archlinux\/.+\.pkg\.tar\.zst$/],
    ["an Arch package .sig", /^archlinux\/.+\.pkg\.tar\.zst\.sig$/],
    ["an apk", /^alpine\/.+\.apk$/],
    ["an APKINDEX.tar.gz", /^alpine\/.+\/APKINDEX\.tar\.gz$/],
  ];
  const kind =
    pacmanDb !== null
      ? `a <repo>.${pacmanDb[2]}${pacmanDb[3] ?? ""}${pacmanDb[4] ?? ""}`
      : (kinds.find(([, re]) => re.test(key))?.[0] ?? `another key (${key})`);
  return deleted.has(key) ? `${kind}, deleted` : kind;
}

/**
 * The writes of one complete publish of the change (1-based: write k is `log[k - 1]`), and the keys it
 * deleted.
 */
async function probe(driver: CrashDriver): Promise<{ log: string[]; deleted: Set<string> }> {
  const { plan, storage } = await driver.copyBase("probe");
  const full = await runChild({ storage: plan, key: secret, apkKey: apk, ...FOUR_CHANGE });
  assert.equal(full.code, 0, JSON.stringify(full.out));
  const log = full.out!.log as string[];
  const deleted = new Set(full.out!.deleted as string[]);
  assert.deepEqual(await heldPackages(storage), FOUR_CHANGED_PACKAGES);
  assert.deepEqual(await verifyRepository(storage, { ...fourFamilyKeys(publicKey, apk), strict: true }), []);
  // Every kind of write the change makes is one some k stops right after.
  assert.deepEqual(
    [...new Set(log.map((k) => kindOf(k, deleted)))].sort(),
    [
      "a <repo>.db",
      "a <repo>.db.sig",
      "a <repo>.db.tar.gz",
      "a <repo>.db.tar.gz.sig",
      "a <repo>.files",
      "a <repo>.files.sig",
      "a <repo>.files.tar.gz",
      "a <repo>.files.tar.gz.sig",
      "a Packages index",
      "a Release",
      "a Release.gpg",
      "a by-hash copy",
      "a by-hash copy, deleted",
      "a chunk of records",
      "a chunk of records, deleted",
      "a deb",
      "a metadata file",
      "a metadata file, deleted",
      "a pointer",
      "a repomd.xml",
      "a repomd.xml.asc",
      "a repomd.xml.key",
      "a state",
      "a state, deleted",
      "an APKINDEX.tar.gz",
      "an Arch package",
      "an Arch package .sig",
      "an InRelease",
      "an apk",
      "an rpm",
      "the lock",
    ],
    log.join("\n"),
  );
  return { log, deleted };
}

/** Runs `work` on every item, at most `limit` at a time; after a failure starts no more, then rethrows it. */
async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>) {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (failure === undefined && next < items.length) {
      const item = items[next++]!;
      try {
        await work(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== undefined) throw failure.error;
}

/**
 * Kills the change after each write k of `ks` (two cases at a time, each on its own copy), checks what
 * the checker says, publishes nothing and checks the result.
 */
async function crashAt(driver: CrashDriver, log: string[], ks: readonly number[]): Promise<void> {
  const keys = fourFamilyKeys(publicKey, apk);
  await eachLimited(ks, 2, async (k) => {
    const what = `${driver.name}, write ${k} of ${log.length} (${log[k - 1]})`;
    const { plan, storage } = await driver.copyBase(`k${k}`);
    const killed = await runChild({
      storage: plan,
      key: secret,
      apkKey: apk,
      ...FOUR_CHANGE,
      killAfterWrite: k,
    });
    assert.equal(
      killed.signal,
      "SIGKILL",
      `${what}: expected the child to be killed, it ended with ${killed.code}: ${JSON.stringify(killed.out)}`,
    );
    assertKnownAfterKill(await verifyRepository(storage, keys), log, k, `after a kill at ${what}`);
    const again = await publishNothing(storage, { secret, apk });
    assert.deepEqual([...again.roots].sort(), midway(log.slice(0, k)), `the roots ${what} left midway`);
    assert.deepEqual(
      await verifyRepository(storage, { ...keys, strict: true }),
      [],
      `after the publish that followed ${what}`,
    );
    assert.deepEqual(await heldPackages(storage), packagesAfterRepair(new Set(log.slice(0, k))), what);
  });
}

/** The roots whose new state the writes `written` include but not their pointer (written last per root). */
function midway(written: readonly string[]): string[] {
  const roots = (re: RegExp) => new Set(written.flatMap((k) => re.exec(k)?.[1] ?? []));
  const states = roots(/^\.packyard\/states\/(.+)\/[^/]+\.json$/);
  const pointers = roots(/^\.packyard\/roots\/(.+)\.json$/);
  return [...states].filter((r) => !pointers.has(r)).sort();
}

/** Every write but the last (the lock's release, after which there is nothing left to interrupt). */
function everyWrite(log: readonly string[]): number[] {
  return Array.from({ length: log.length - 1 }, (_, i) => i + 1);
}

/**
 * The writes a kill follows on S3, where every k would take longer than the folder's whole sweep (over
 * the time budget): the first write of each kind the pacman and Alpine roots add, and of the engine's own
 * (lock, states, pointers, deletions), so that each is crossed once on this driver. The APT and RPM-MD
 * kinds are crossed on S3 at every write by their own crash tests (crash.test.ts, rpm-crash.test.ts).
 * The pacman windows start at the first `<repo>.files` and `<repo>.db`, so they are entered too. The
 * folder driver takes every k.
 */
function s3Writes(log: readonly string[], deleted: ReadonlySet<string>): number[] {
  const kinds = new Set<string>();
  return everyWrite(log).filter((k) => {
    const key = log[k - 1]!;
    if (!deleted.has(key) && /^(deb|rpm)\//.test(key)) return false;
    const kind = kindOf(key, deleted);
    if (kinds.has(kind)) return false;
    kinds.add(kind);
    return true;
  });
}

/** The known windows some k of `ks` enters (what {@link knownAfterKill} says and why). */
function windowsEntered(log: readonly string[], ks: readonly number[]): string[] {
  return [...new Set(ks.flatMap((k) => knownAfterKill(log, k).map((p) => p.why)))].sort();
}

const WINDOWS = [
  "db replaced, its signature not yet",
  "files replaced, its signature not yet",
  "repomd.xml replaced, its signature not yet",
  "the files database replaced, the database not yet",
];
/** The windows the S3 sample enters: the pacman ones (RPM-MD's is rpm-crash.test.ts's on S3). */
const S3_WINDOWS = WINDOWS.filter((w) => !w.startsWith("repomd.xml"));

/** Lock generations under `.packyard/lock/` (a copy of the base may hold the base publish's). */
async function lockGenerations(storage: Storage): Promise<string[]> {
  return (await listAll(storage, ".packyard/lock/")).filter((k) => /\/\d+$/.test(k));
}

function raceSuite(driver: () => CrashDriver) {
  test("two publishers of Arch packages and apks started together both succeed, in turn, and every root holds both", async () => {
    const d = driver();
    const { plan, storage } = await d.copyBase("race");
    const gensBefore = await lockGenerations(storage);
    // Each holds the lock a second before its first write, so the other surely finds it taken. The `any`
    // and noarch packages go to both architectures: the second publisher must start from the first one's
    // x86_64 roots too.
    const [a, b] = await Promise.all([
      runChild({
        storage: plan,
        key: secret,
        apkKey: apk,
        arch: [{ name: "alpha", version: "1.0-1", arch: "x86_64" }],
        apk: [{ name: "alpha", version: "1.0-r0", arch: "x86_64" }],
        holdMs: 1000,
      }),
      runChild({
        storage: plan,
        key: secret,
        apkKey: apk,
        arch: [{ name: "beta", version: "1.0-1", arch: "any" }],
        apk: [{ name: "beta", version: "1.0-r0", arch: "noarch" }],
        holdMs: 1000,
      }),
    ]);
    assert.equal(a.code, 0, JSON.stringify(a.out));
    assert.equal(b.code, 0, JSON.stringify(b.out));
    assert.deepEqual(
      await heldPackages(storage),
      [
        ...FOUR_BASE_PACKAGES,
        "alpine/v3.22/main/aarch64 beta 1.0-r0 noarch",
        "alpine/v3.22/main/x86_64 alpha 1.0-r0 x86_64",
        "alpine/v3.22/main/x86_64 beta 1.0-r0 noarch",
        "archlinux/yard/os/aarch64 beta 1.0-1 any",
        "archlinux/yard/os/x86_64 alpha 1.0-1 x86_64",
        "archlinux/yard/os/x86_64 beta 1.0-1 any",
      ].sort(),
    );
    assert.deepEqual(
      await verifyRepository(storage, { ...fourFamilyKeys(publicKey, apk), strict: true }),
      [],
    );
    // Each took its own generation of the lock: one waited for the other.
    const gens = (await lockGenerations(storage)).filter((g) => !gensBefore.includes(g));
    assert.equal(gens.length, 2, `two new lock generations, found ${gens.join(", ")}`);
    // Both wrote the x86_64 roots, the second on top of the first: generations 2 and 3 after the base's 1.
    for (const root of ["archlinux/yard/os/x86_64", "alpine/v3.22/main/x86_64"]) {
      const states = (await listAll(storage, `.packyard/states/${root}/`)).map((k) =>
        k.split("/").pop()!.slice(0, 10),
      );
      assert.ok(states.includes("0000000003"), `a third generation of ${root}: ${states.join(", ")}`);
    }
  });
}

describe("four families on the folder driver: crashes and two publishers", () => {
  test("a publisher killed after any write k leaves roots that verify (but for the known windows), and a publish of nothing repairs them", async (t) => {
    const driver = folderCopies(work, base);
    const { log } = await probe(driver);
    const ks = everyWrite(log);
    t.diagnostic(`kills after ${ks.length} of the ${log.length} writes`);
    // Each known window is entered: some k leaves each kind of known problem.
    assert.deepEqual(windowsEntered(log, ks), WINDOWS);
    await crashAt(driver, log, ks);
  });
  raceSuite(() => folderCopies(work, base));
});

describe("four families on the S3 driver: crashes and two publishers", () => {
  let s3: S3Server;
  before(async () => {
    s3 = await startS3();
  });
  after(async () => {
    await s3?.stop();
  });
  test("a publisher killed after the first write of each kind leaves roots that verify (but for the known windows), and a publish of nothing repairs them", async (t) => {
    const driver = s3Copies(s3, base, { concurrency: 8 });
    const { log, deleted } = await probe(driver);
    const ks = s3Writes(log, deleted);
    t.diagnostic(`kills after ${ks.length} of the ${log.length} writes: ${ks.join(" ")}`);
    assert.deepEqual(windowsEntered(log, ks), S3_WINDOWS);
    await crashAt(driver, log, ks);
  });
  raceSuite(() => s3Copies(s3, base, { concurrency: 8 }));
});
