// What the crash tests share: fresh copies of a base repository on the folder driver and on S3 (each crash
// case gets its own), the packages every root holds, and the one problem a kill may leave in an RPM-MD
// root (repomd.xml written, its signature not yet: repos.md §7, the pair race). For the four-family tests
// (issue 16): the base and change of a repository holding APT, RPM-MD, pacman and Alpine roots, the
// problems a kill after write k may leave there (each derived from the write log and k), and the publish
// of nothing that repairs it.
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { cpSync } from "node:fs";
import { join } from "node:path";
import { loadOpenPGPSigner, loadRSASigner } from "@packyard/formats";
import {
  folderStorage,
  type PublishResult,
  publish,
  readObject,
  readRepository,
  type Storage,
  type VerifyProblem,
} from "@packyard/repo";
import type { S3Server } from "@packyard/testkit/s3";
import { listAll } from "../../src/publish/state-io.ts";
import type { ChildPlan } from "./fixtures/child.ts";

/** A copy of the base repository: how a child publisher reaches it, a Storage to inspect it, its URL. */
export interface RepositoryCopy {
  plan: ChildPlan["storage"];
  storage: Storage;
  /** Where clients read the repository root: `file:///…` for a folder, the bucket URL for S3. */
  url: string;
}

/** Where crash cases run: every call makes a fresh copy of the base repository under `label`. */
export interface CrashDriver {
  name: string;
  copyBase(label: string): Promise<RepositoryCopy>;
}

/** Copies of the folder repository `base` as folders under `work`. */
export function folderCopies(work: string, base: string): CrashDriver {
  return {
    name: "folder",
    async copyBase(label) {
      const path = join(work, label);
      cpSync(base, path, { recursive: true });
      return { plan: { kind: "folder", path }, storage: folderStorage(path), url: `file://${path}` };
    },
  };
}

/**
 * Copies of the folder repository `base` under their own prefixes of the bucket of `s3`; `concurrency`
 * objects are put at a time (default one).
 */
export function s3Copies(s3: S3Server, base: string, options: { concurrency?: number } = {}): CrashDriver {
  return {
    name: "s3",
    async copyBase(label) {
      const prefix = `crash-${label}`;
      const from = folderStorage(base);
      const to = s3.storage(prefix);
      const keys = (await listAll(from, "")).filter((key) => !key.startsWith(".packyard/lock/"));
      let next = 0;
      const copier = async () => {
        while (next < keys.length) {
          const key = keys[next++]!;
          await to.put(key, (await readObject(from, key))!);
        }
      };
      await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 1) }, copier));
      return {
        plan: { kind: "s3", endpoint: s3.endpoint, bucket: s3.bucket, prefix },
        storage: to,
        url: s3.url(prefix),
      };
    },
  };
}

/** Every package of every root, as `<root> <name> <version> <arch>`, sorted. */
export async function heldPackages(storage: Storage): Promise<string[]> {
  const out: string[] = [];
  for (const state of await readRepository(storage))
    for (const p of state.packages) out.push(`${state.root} ${p.name} ${p.version} ${p.arch}`);
  return out.sort();
}

/** The RPM-MD root whose `repodata/repomd.xml` is `key`, or undefined for any other key. */
export function repomdRoot(key: string): string | undefined {
  const m = /^(rpm\/.+)\/repodata\/repomd\.xml$/.exec(key);
  return m === null ? undefined : m[1];
}

/**
 * Asserts what the checker says after a kill right after `lastWrite`: nothing, except when the last write
 * was a root's repomd.xml, whose new bytes the old repomd.xml.asc beside it does not sign. Then that
 * signature, and only it, is reported, as the bad signature dnf reports with repo_gpgcheck=1.
 */
export function assertAfterKill(problems: VerifyProblem[], lastWrite: string, what: string): void {
  const root = repomdRoot(lastWrite);
  if (root === undefined) {
    assert.deepEqual(problems, [], what);
    return;
  }
  assert.deepEqual(
    problems.map((p) => p.key),
    [`${root}/repodata/repomd.xml.asc`],
    `${what}: between repomd.xml and its signature, expected the signature alone reported\n${JSON.stringify(problems, null, 1)}`,
  );
  assert.match(problems[0]!.problem, /Bad GPG signature/, what);
}

/**
 * The base repository of the RPM-MD crash tests: an APT suite (amd64, all) beside the RPM-MD roots of el-9
 * for x86_64 and aarch64, one package of each architecture and a noarch one both roots list.
 */
export const RPM_BASE: Partial<ChildPlan> = {
  add: [
    { name: "hello", version: "1.0-1", arch: "amd64" },
    { name: "docs", version: "1.0-1", arch: "all" },
  ],
  rpm: [
    { name: "hello", version: "1.0-1", arch: "x86_64" },
    { name: "legacy", version: "1.0-1", arch: "aarch64" },
    { name: "manual", version: "1.0-1", arch: "noarch" },
  ],
};

/**
 * The change: a noarch rpm (a pool file and new metadata in both roots), one with an epoch, `+` and `~`
 * (an escaped pool key), and a removal (with no grace period its pool file and the replaced metadata are
 * deleted at the end). The APT suite is not addressed and must come through every kill untouched.
 */
export const RPM_CHANGE: Partial<ChildPlan> = {
  rpm: [
    { name: "hello", version: "1:2.0+git1~rc1-1", arch: "x86_64" },
    { name: "extras", version: "2.0-1", arch: "noarch" },
  ],
  remove: [{ name: "legacy", target: "el-9" }],
};

/** What every root holds once {@link RPM_CHANGE} is published over {@link RPM_BASE}. */
export const RPM_CHANGED_PACKAGES = [
  "deb/stable docs 1.0-1 all",
  "deb/stable hello 1.0-1 amd64",
  "rpm/el/9/aarch64 extras 2.0-1 noarch",
  "rpm/el/9/aarch64 manual 1.0-1 noarch",
  "rpm/el/9/x86_64 extras 2.0-1 noarch",
  "rpm/el/9/x86_64 hello 1.0-1 x86_64",
  "rpm/el/9/x86_64 hello 1:2.0+git1~rc1-1 x86_64",
  "rpm/el/9/x86_64 manual 1.0-1 noarch",
];

// ---------------------------------------------------------------------------------------------------------
// Four families: APT, RPM-MD, pacman and Alpine roots in one repository (issue 16)

/** The Alpine key of a test file: its PEM (handed to every child), the name it signs under, its public PEM. */
export interface ApkTestKey {
  pem: string;
  name: string;
  publicPem: string;
}

/** A fresh 2048-bit RSA key for the Alpine roots; make one per test file and hand its PEM to the children. */
export function apkTestKey(name = "test@packyard.invalid-5f3a1b2c.rsa.pub"): ApkTestKey {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return {
    pem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    name,
    publicPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
  };
}

/** What the checker needs to judge every family's signatures: the OpenPGP key and the Alpine key. */
export function fourFamilyKeys(publicKey: string, apk: ApkTestKey) {
  return { publicKeys: [publicKey], apkKeys: [{ name: apk.name, pem: apk.publicPem }] };
}

/** The pacman repository (database) name of the four-family tests: `[yard]` in pacman.conf. */
export const PACMAN_REPO = "yard";

/**
 * The base repository of the four-family crash tests: an APT suite (amd64, i386, `all`), the RPM-MD roots
 * of el-9 for x86_64 and aarch64, the pacman repository `yard` for x86_64 and aarch64 with an `any`
 * package in both, and the Alpine 3.22 folders for x86_64 and aarch64 with a noarch apk in both.
 */
export const FOUR_BASE: Partial<ChildPlan> = {
  add: [
    { name: "hello", version: "1.0-1", arch: "amd64" },
    { name: "docs", version: "1.0-1", arch: "all" },
  ],
  rpm: [
    { name: "hello", version: "1.0-1", arch: "x86_64" },
    { name: "manual", version: "1.0-1", arch: "noarch" },
  ],
  arch: [
    { name: "hello", version: "1.0-1", arch: "x86_64" },
    { name: "tool", version: "1.0-1", arch: "aarch64" },
    { name: "docs", version: "1.0-1", arch: "any" },
  ],
  pacmanRepo: PACMAN_REPO,
  apk: [
    { name: "hello", version: "1.0-r0", arch: "x86_64" },
    { name: "tool", version: "1.0-r0", arch: "aarch64" },
    { name: "docs", version: "1.0-r0", arch: "noarch" },
  ],
};

/**
 * The change: one package of each family, each for every architecture (`all`, noarch, `any` with an epoch,
 * noarch), so that every root of the repository is committed again and every kind of write happens; with
 * no grace period the replaced metadata, by-hash files and states are deleted at the end.
 */
export const FOUR_CHANGE: Partial<ChildPlan> = {
  add: [{ name: "extras", version: "2.0-1", arch: "all" }],
  rpm: [{ name: "extras", version: "2.0-1", arch: "noarch" }],
  arch: [{ name: "extras", version: "1:2.0-1", arch: "any" }],
  pacmanRepo: PACMAN_REPO,
  apk: [{ name: "extras", version: "2.0-r0", arch: "noarch" }],
};

/**
 * What every root holds once {@link FOUR_CHANGE} is published over {@link FOUR_BASE}, derived from the two
 * plans by hand (the `extras` lines are the change; without them, the base).
 */
export const FOUR_CHANGED_PACKAGES = [
  "alpine/v3.22/main/aarch64 docs 1.0-r0 noarch",
  "alpine/v3.22/main/aarch64 extras 2.0-r0 noarch",
  "alpine/v3.22/main/aarch64 tool 1.0-r0 aarch64",
  "alpine/v3.22/main/x86_64 docs 1.0-r0 noarch",
  "alpine/v3.22/main/x86_64 extras 2.0-r0 noarch",
  "alpine/v3.22/main/x86_64 hello 1.0-r0 x86_64",
  "archlinux/yard/os/aarch64 docs 1.0-1 any",
  "archlinux/yard/os/aarch64 extras 1:2.0-1 any",
  "archlinux/yard/os/aarch64 tool 1.0-1 aarch64",
  "archlinux/yard/os/x86_64 docs 1.0-1 any",
  "archlinux/yard/os/x86_64 extras 1:2.0-1 any",
  "archlinux/yard/os/x86_64 hello 1.0-1 x86_64",
  "deb/stable docs 1.0-1 all",
  "deb/stable extras 2.0-1 all",
  "deb/stable hello 1.0-1 amd64",
  "rpm/el/9/aarch64 extras 2.0-1 noarch",
  "rpm/el/9/aarch64 manual 1.0-1 noarch",
  "rpm/el/9/x86_64 extras 2.0-1 noarch",
  "rpm/el/9/x86_64 hello 1.0-1 x86_64",
  "rpm/el/9/x86_64 manual 1.0-1 noarch",
];

/** What every root holds before the change: {@link FOUR_CHANGED_PACKAGES} without the change's packages. */
export const FOUR_BASE_PACKAGES = FOUR_CHANGED_PACKAGES.filter((l) => !l.split(" ")[1]!.startsWith("extras"));

/** The package folders (`<name>-<version>`) the change adds to each pacman database, as pacman names them. */
const PACMAN_ADDED = (FOUR_CHANGE.arch ?? []).map((p) => `${p.name}-${p.version}`);

/**
 * The file whose replacement makes a root's new generation what clients see (APT InRelease, repomd.xml,
 * `<repo>.db`, APKINDEX.tar.gz), by the layout of repos.md, written here without the engine's layout code.
 */
export function firstTopFile(root: string): string {
  if (root.startsWith("deb/")) return `deb/dists/${root.slice("deb/".length)}/InRelease`;
  if (root.startsWith("rpm/")) return `${root}/repodata/repomd.xml`;
  const pacman = /^archlinux\/([^/]+)\/os\/[^/]+$/.exec(root);
  if (pacman !== null) return `${root}/${pacman[1]}.db`;
  if (root.startsWith("alpine/")) return `${root}/APKINDEX.tar.gz`;
  throw new Error(`no top file known for root ${root}`);
}

/**
 * What every root holds after a publish of nothing repairs a kill after the writes `written`: a root whose
 * top file the killed publisher replaced serves (and keeps) the change, every other root the base.
 */
export function packagesAfterRepair(written: ReadonlySet<string>): string[] {
  const rootOf = (line: string) => line.split(" ")[0]!;
  const changed = (root: string) => written.has(firstTopFile(root));
  return [
    ...FOUR_CHANGED_PACKAGES.filter((l) => changed(rootOf(l))),
    ...FOUR_BASE_PACKAGES.filter((l) => !changed(rootOf(l))),
  ].sort();
}

/** A problem the checker must report after a kill, and why the engine cannot avoid it. */
export interface KnownProblem {
  key: string;
  problem: RegExp;
  why: string;
}

const literal = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * The problems a kill right after write k (`log[k - 1]`) of {@link FOUR_CHANGE} must leave, each derived
 * from the log and k, and nothing else:
 * - APT: none (InRelease carries its own signature).
 * - RPM-MD, right after a root's repomd.xml: its repomd.xml.asc, the old signature over new bytes (the
 *   pair race of repos.md §7; dnf says "Bad GPG signature").
 * - pacman, right after a root's `<repo>.db`: its `<repo>.db.sig` (the same race; pacman -Sy says "invalid
 *   or corrupted database (PGP signature)"); right after its `<repo>.files`: its `<repo>.files.sig`.
 * - pacman, from a root's `<repo>.files` up to (not including) its `<repo>.db`: the files database lists
 *   the change's packages and the database does not yet (two files no write can replace together; pacman
 *   reads each on its own, -Fy the one, -Sy the other).
 * - Alpine: none (APKINDEX.tar.gz carries its own signature).
 */
export function knownAfterKill(log: readonly string[], k: number): KnownProblem[] {
  const last = log[k - 1]!;
  const written = new Set(log.slice(0, k));
  const out: KnownProblem[] = [];
  const rpm = repomdRoot(last);
  if (rpm !== undefined)
    out.push({
      key: `${rpm}/repodata/repomd.xml.asc`,
      problem: /Bad GPG signature/,
      why: "repomd.xml replaced, its signature not yet",
    });
  const pacman = /^(archlinux\/([^/]+)\/os\/[^/]+\/\2)\.(db|files)$/.exec(last);
  if (pacman !== null)
    out.push({
      key: `${last}.sig`,
      problem: new RegExp(`^does not verify with the given keys \\(.*\\), over ${literal(last)}$`),
      why: `${pacman[3]} replaced, its signature not yet`,
    });
  for (const key of written) {
    const files = /^(archlinux\/([^/]+)\/os\/[^/]+\/\2)\.files$/.exec(key);
    if (files === null || written.has(`${files[1]}.db`)) continue;
    for (const dir of PACMAN_ADDED)
      out.push({
        key,
        problem: new RegExp(`^lists ${literal(dir)}/, which ${literal(files[1]!)}\\.db does not$`),
        why: "the files database replaced, the database not yet",
      });
  }
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Asserts the checker reported exactly {@link knownAfterKill}'s problems after a kill right after write k. */
export function assertKnownAfterKill(
  problems: readonly VerifyProblem[],
  log: readonly string[],
  k: number,
  what: string,
): void {
  const known = knownAfterKill(log, k);
  const got = [...problems].sort((a, b) =>
    a.key < b.key ? -1 : a.key > b.key ? 1 : a.problem < b.problem ? -1 : a.problem > b.problem ? 1 : 0,
  );
  const explain = `${what}: expected ${known.length === 0 ? "no problem" : known.map((p) => `${p.key} (${p.why})`).join(", ")}, found\n${JSON.stringify(got, null, 1)}`;
  assert.deepEqual(
    got.map((p) => p.key),
    known.map((p) => p.key),
    explain,
  );
  for (const [i, p] of known.entries()) assert.match(got[i]!.problem, p.problem, explain);
}

/**
 * The publish that follows a kill: nothing added or removed, the APT suite's settings as the children give
 * them, both keys (so any root the kill left midway is committed again), no grace period. It runs in this
 * process, a new publisher that takes over the killed child's lock (a dead process on this host). Its
 * clock runs ahead instead of sleeping: a root's next date must be a second after the killed publisher's,
 * and the wait would be most of a case's time.
 */
export async function publishNothing(
  storage: Storage,
  keys: { secret: string; apk: ApkTestKey },
): Promise<PublishResult> {
  let ahead = 0;
  return publish(storage, {
    signers: [await loadOpenPGPSigner(keys.secret)],
    apkSigner: loadRSASigner(keys.apk.pem, { keyName: keys.apk.name }),
    apt: { suite: "stable", architectures: ["amd64", "i386"] },
    graceMs: 0,
    lockTimeoutMs: 60_000,
    clock: () => new Date(Date.now() + ahead),
    sleep: async (ms) => {
      ahead += ms;
    },
  });
}
