// What the RPM-MD crash tests share: fresh copies of a base repository on the folder driver and on S3 (each
// crash case gets its own), the packages every root holds, and the one problem a kill may leave in an
// RPM-MD root (repomd.xml written, its signature not yet: repos.md §7, the pair race).
import assert from "node:assert/strict";
import { cpSync } from "node:fs";
import { join } from "node:path";
import { folderStorage, readObject, readRepository, type Storage, type VerifyProblem } from "@packyard/repo";
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

/** Copies of the folder repository `base` under their own prefixes of the bucket of `s3`. */
export function s3Copies(s3: S3Server, base: string): CrashDriver {
  return {
    name: "s3",
    async copyBase(label) {
      const prefix = `crash-${label}`;
      const from = folderStorage(base);
      const to = s3.storage(prefix);
      for (const key of await listAll(from, "")) {
        if (!key.startsWith(".packyard/lock/")) await to.put(key, (await readObject(from, key))!);
      }
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
