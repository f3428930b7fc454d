/**
 * How Alpine roots change in a publish: which targets and architecture folders an .apk goes to (`noarch`
 * to each), the root settings, the signature the file gets (unsigned ones are signed with the repository's
 * RSA key so `apk add ./file.apk` works too; the index signature is what a repository install checks),
 * conflicts, removals and `keep`. apk builds a package's URL itself (`<repo>/<arch>/<P>-<V>.apk`), so the
 * file name is fixed: a key never holds other bytes than it once did, and another build of a version is
 * refused even with `replace`.
 */
import { apkFormat, type PackageInfo, type RSASigner } from "@packyard/formats";
import { signApk } from "@packyard/formats/apk";
import { apkIndexInfo } from "../apkindex/index.ts";
import { type CatalogueTarget, catalogueTarget, targetsOf } from "../catalogue/index.ts";
import { RepoError } from "../errors.ts";
import { PREPARE_CONCURRENCY, prefetch } from "../limit.ts";
import { digestStream } from "../verify/digests.ts";
import type { PoolWrite } from "./apt-change.ts";
import { apkKeyRecord } from "./commit.ts";
import { alpineRoot } from "./layout.ts";
import type { AlpinePublishSettings, PackageSelector, PublishInput } from "./options.ts";
import { type AlpineSettings, type BlobDigests, type PackageRecord, withSummary } from "./state.ts";
import type { LoadedRoot } from "./state-io.ts";
import {
  type PendingChange,
  pendingChange,
  plannedArches,
  putRecord,
  type RootChange,
  settleChange,
  settledWrites,
} from "./root-change.ts";
import { checkedBytes, checkUnchanged, storedSource } from "./sources.ts";

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
/** apk's package name and version characters (the file name apk asks for is `<P>-<V>.apk`). */
const FILE_RE = /^[A-Za-z0-9][A-Za-z0-9._+~-]*$/;

function invalid(field: string, expected: string, found: unknown): never {
  throw new RepoError("INVALID_SETTING", `${field}: expected ${expected}, found ${JSON.stringify(found)}`, {
    field,
    expected,
    found,
  });
}

function alpineIds(): string[] {
  return targetsOf("alpine").map((t) => t.id);
}

/** Checks the Alpine settings a publish gives (before the lock is taken). */
export function checkAlpineOptions(o: AlpinePublishSettings | undefined): void {
  if (o === undefined) return;
  for (const id of o.targets ?? []) {
    const t = catalogueTarget(id);
    if (t.family !== "alpine") {
      throw new RepoError(
        "UNKNOWN_TARGET",
        `alpine.targets: ${id} is a ${t.family} target; expected one of ${alpineIds().join(", ")}`,
        { found: id, expected: alpineIds() },
      );
    }
  }
  if (o.repo !== undefined && !NAME_RE.test(o.repo))
    invalid("alpine.repo", "a folder name of letters, digits, . _ - (such as main)", o.repo);
  for (const a of o.architectures ?? []) {
    if (!/^[a-z0-9_]+$/.test(a) || a === "noarch")
      invalid("alpine.architectures", "apk architectures such as x86_64 or aarch64", a);
  }
  if (o.description !== undefined && (/[\r\n]/.test(o.description) || o.description.length > 200))
    invalid("alpine.description", "one line of text (at most 200 characters)", o.description);
}

/** Checks that a package can go into an Alpine repository. */
export function apkInfoOf(input: PublishInput): PackageInfo & { raw: { format: "apk" } } {
  const info = input.info;
  const where = input.name ?? `${info.name}-${info.versionString}.apk`;
  if (info.format !== "apk" || info.raw.format !== "apk") {
    throw new RepoError("UNSUPPORTED_PACKAGE", `${where}: expected an .apk, found a ${info.format} package`, {
      path: where,
      expected: "apk",
      found: info.format,
    });
  }
  if (input.source.size !== info.artifact.size) {
    throw new RepoError(
      "CHECKSUM_MISMATCH",
      `${where}: expected ${info.artifact.size} bytes (what was read of it), found ${input.source.size}`,
      { path: where, expected: info.artifact.size, found: input.source.size },
    );
  }
  if (!FILE_RE.test(info.name) || !FILE_RE.test(info.versionString)) {
    throw new RepoError(
      "UNSUPPORTED_PACKAGE",
      `${where}: expected an apk name and version of letters, digits and . _ + ~ - (apk fetches <name>-<version>.apk), found ${JSON.stringify(`${info.name}-${info.versionString}`)}`,
      { path: where, found: `${info.name}-${info.versionString}` },
    );
  }
  apkIndexInfo(info, where);
  return info as PackageInfo & { raw: { format: "apk" } };
}

/** The Alpine roots of one target a publish touches. */
export interface AlpineTargetPlan {
  target: CatalogueTarget & { family: "alpine" };
  repo: string;
  /** Architectures of the target after this publish, sorted. */
  arches: string[];
}

/**
 * Which targets, repository and architectures this publish touches: the targets asked for (else the
 * repository's), each with its held folders plus the asked architectures (a new target: the added
 * packages', x86_64 when they are all noarch).
 */
export function planAlpine(
  roots: ReadonlyMap<string, LoadedRoot>,
  o: AlpinePublishSettings | undefined,
  addedArches: readonly string[],
  needed: boolean,
): AlpineTargetPlan[] {
  const held = new Map<string, Map<string, Set<string>>>();
  for (const { state } of roots.values()) {
    const s = state.alpine;
    if (s === undefined) continue;
    const repos = held.get(s.target) ?? new Map<string, Set<string>>();
    const arches = repos.get(s.repo) ?? new Set<string>();
    arches.add(s.arch);
    repos.set(s.repo, arches);
    held.set(s.target, repos);
  }
  const ids = o?.targets ?? [...held.keys()].sort();
  if (ids.length === 0 && needed) {
    throw new RepoError(
      "INVALID_SETTING",
      `apk packages need an Alpine target for their repository: give --apk-target (or publish.alpine.targets), one of ${alpineIds().join(", ")}`,
      { field: "alpine.targets", expected: alpineIds() },
    );
  }
  return ids.map((id) => {
    const target = catalogueTarget(id);
    if (target.family !== "alpine") invalid("alpine.targets", "an Alpine target of the catalogue", id);
    const repos = held.get(id);
    let repo = o?.repo;
    if (repo === undefined) {
      if (repos !== undefined && repos.size > 1) {
        throw new RepoError(
          "INVALID_SETTING",
          `alpine.repo: ${id} has several repositories (${[...repos.keys()].sort().join(", ")}); name the one to publish to with --apk-repo`,
          { field: "alpine.repo", expected: [...repos.keys()].sort() },
        );
      }
      repo = repos?.size === 1 ? [...repos.keys()][0]! : "main";
    }
    const arches = plannedArches({
      target,
      held: repos?.get(repo),
      asked: o?.architectures,
      added: addedArches,
      independent: "noarch",
      field: "alpine.architectures",
    });
    return { target, repo, arches };
  });
}

/** A root's settings after this publish: a new root takes what is asked, an existing one keeps the rest. */
function mergeAlpineSettings(
  prev: AlpineSettings | undefined,
  plan: AlpineTargetPlan,
  arch: string,
  o: AlpinePublishSettings | undefined,
  signers: readonly RSASigner[],
): AlpineSettings {
  const next: AlpineSettings = prev
    ? { ...prev, arch }
    : {
        target: plan.target.id,
        branch: plan.target.layout.branch,
        repo: plan.repo,
        arch,
        description: `${plan.repo} ${plan.target.layout.branch}`,
        legacySha1: false,
      };
  if (o?.description !== undefined) next.description = o.description;
  if (o?.legacySha1 !== undefined) next.legacySha1 = o.legacySha1;
  // The key is recorded by the root's first publish and changes only when asked, or by a rotation (keys
  // sharing one with the recorded ones; the commit records them and refuses unrelated keys).
  if (signers.length > 0 && (next.keyName === undefined || o?.changeKey === true)) {
    delete next.rotationKeys;
    Object.assign(next, apkKeyRecord(signers));
  }
  return next;
}

/** An .apk as it will be stored: with the repository's signature, and the digests of those bytes. */
interface PreparedApk {
  size: number;
  digests: BlobDigests;
  open: () => AsyncIterable<Uint8Array>;
}

/**
 * Decides an apk's signature: kept when it carries one under the name of a repository key (which must
 * verify with that key; while keys rotate, either one), else the first repository key's is added in front
 * of any others (apk uses the first signature whose key it has). RSA PKCS#1 v1.5 is deterministic, so the
 * signed copy hashed here is the one streamed at commit.
 */
async function prepareApk(input: PublishInput, signers: readonly RSASigner[]): Promise<PreparedApk> {
  const info = input.info;
  const where = input.name ?? `${info.name}-${info.versionString}.apk`;
  const signer = signers[0]!;
  const ours = (location: string) =>
    location.startsWith(".SIGN.") && signers.some((k) => location.endsWith(`.${k.keyName}`));
  const mine = info.signatures.filter((s) => ours(s.location));
  if (mine.length > 0) {
    // The bytes are those the PackageInfo was read from (read once for both checks), and its artifact
    // digests are not computed again.
    const held = await checkedBytes(input.source, info.artifact, where);
    let checked: PackageInfo;
    try {
      checked = await apkFormat.read(held.source, {
        publicKeys: signers.map((k) => k.publicKeyPem()),
        knownArtifact: info.artifact,
      });
    } catch (e) {
      throw new RepoError(
        "CORRUPT_PACKAGE",
        `${where}: could not be read to check its signature: ${(e as Error).message}`,
        { path: where },
        { cause: e },
      );
    }
    const bad = checked.signatures.filter((s) => mine.some((m) => m.location === s.location) && !s.verified);
    if (bad.length > 0) {
      throw new RepoError(
        "CORRUPT_PACKAGE",
        `${where}: expected its ${bad.map((s) => s.location).join(", ")} signature to verify with the repository key ${signers.map((k) => k.keyName).join(" or ")}, found that it does not; the package was changed after it was signed, or another key has that name`,
        { path: where, found: bad.map((s) => s.location) },
      );
    }
    return {
      size: info.artifact.size,
      digests: { ...info.artifact.digests },
      open: () => input.source.open(),
    };
  }
  await checkUnchanged(input.source, info.artifact, where);
  const open = () => signApk(input.source, signer);
  try {
    const { size, ...digests } = await digestStream(open());
    return { size, digests, open };
  } catch (e) {
    throw new RepoError(
      "CORRUPT_PACKAGE",
      `${where}: could not be signed: ${(e as Error).message}`,
      { path: where },
      { cause: e },
    );
  }
}

/** What {@link changeAlpineRoots} decided for one root. */
export type AlpineRootChange = RootChange<AlpineSettings>;

/** What a publish does to the Alpine roots. */
export interface AlpineChange {
  roots: AlpineRootChange[];
  writes: PoolWrite[];
}

function matchesRecord(r: PackageRecord, s: PackageSelector, target: string): boolean {
  return (
    r.name === s.name &&
    (s.version === undefined || r.version === s.version) &&
    (s.arch === undefined || r.arch === s.arch) &&
    (s.target === undefined || s.target === target) &&
    s.component === undefined
  );
}

/**
 * Applies adds, removes and `keep` to every Alpine root the publish touches. An apk goes to its
 * architecture's folder of every target (noarch: to each); the same identity (`C:`) held is a no-op; the
 * same name and version with another identity is REPO_CONFLICT unless `replace`, which overwrites the file
 * (apk asks for that exact name; clients holding the old index see a checksum error until they update).
 */
export async function changeAlpineRoots(args: {
  roots: ReadonlyMap<string, LoadedRoot>;
  plans: readonly AlpineTargetPlan[];
  options: AlpinePublishSettings | undefined;
  add: readonly PublishInput[];
  remove: readonly PackageSelector[];
  keep: number | undefined;
  replace: boolean;
  /** The Alpine keys (none, one, or two while rotating; the first signs unsigned packages). */
  signers: readonly RSASigner[];
  /** SHA-256 each package key ever held (tombstones, retired keys). */
  ever: ReadonlyMap<string, { sha256: string; present: boolean }>;
  get: (key: string) => Promise<AsyncIterable<Uint8Array> | undefined>;
  now: Date;
}): Promise<AlpineChange> {
  const changes = new Map<string, PendingChange<AlpineSettings>>();
  const writes: PoolWrite[] = [];
  const id = (r: { name: string; version: string }) => `${r.name}\0${r.version}`;
  for (const plan of args.plans) {
    const sibling = plan.arches
      .map((a) => args.roots.get(alpineRoot(plan.target.layout.branch, plan.repo, a)))
      .find((r) => r !== undefined);
    for (const arch of plan.arches) {
      const root = alpineRoot(plan.target.layout.branch, plan.repo, arch);
      const prev = args.roots.get(root);
      const settings = mergeAlpineSettings(
        prev?.state.alpine ?? sibling?.state.alpine,
        plan,
        arch,
        args.options,
        args.signers,
      );
      const change = pendingChange(root, settings, prev?.state.packages ?? [], id);
      if (prev === undefined && sibling !== undefined) {
        // A new architecture serves the target's noarch packages from the start: copies of their files.
        for (const p of sibling.state.packages.filter((x) => x.arch === "noarch")) {
          const key = `${root}/${p.key.slice(p.key.lastIndexOf("/") + 1)}`;
          const record = { ...p, key };
          change.held.set(id(p), record);
          change.added.push(record);
          writes.push({ key, input: { source: storedSource(args.get, p.key, p.size), name: p.key }, record });
        }
      }
      changes.set(root, change);
    }
  }
  const prepared = new Map<string, PreparedApk>();
  // Signing or checking each new apk reads it whole: the next ones are read meanwhile.
  const heldIdentities = new Set<string>();
  for (const { state } of args.roots.values())
    if (state.family === "alpine") for (const p of state.packages) heldIdentities.add(p.identity);
  const ahead = prefetch(
    args.signers.length === 0 ? [] : args.add,
    (input) => {
      const identity = apkInfoOf(input).raw.controlSha1;
      return heldIdentities.has(identity) ? undefined : identity;
    },
    PREPARE_CONCURRENCY,
    (input) => prepareApk(input, args.signers),
  );
  try {
    for (const input of args.add) {
      const info = apkInfoOf(input);
      const where = input.name ?? `${info.name}-${info.versionString}.apk`;
      if (args.signers.length === 0) {
        throw new RepoError(
          "MISSING_KEY",
          `${where}: Alpine repositories are signed with an RSA key, and none was given; pass --apk-key (make one with \`packyard keygen --type rsa\`)`,
          { path: where, expected: "an RSA private key (PEM)" },
        );
      }
      const arch = info.archString;
      const identity = info.raw.controlSha1;
      const index = apkIndexInfo(info, where);
      const dests = args.plans.flatMap((plan) => {
        const arches = arch === "noarch" ? plan.arches : plan.arches.filter((a) => a === arch);
        if (arches.length === 0) {
          throw new RepoError(
            "ARCH_NOT_IN_REPO",
            `${where}: architecture ${arch} is not served by ${plan.target.id} (${plan.arches.join(", ")}); add it with --apk-arch ${arch}`,
            { path: where, expected: plan.arches, found: arch },
          );
        }
        return arches.map((a) => alpineRoot(plan.target.layout.branch, plan.repo, a));
      });
      for (const root of dests) {
        const change = changes.get(root)!;
        const same = change.held.get(id({ name: info.name, version: info.versionString }));
        if (same !== undefined && same.identity === identity) {
          if (!change.added.includes(same)) change.unchanged.push(same);
          continue;
        }
        if (same !== undefined) {
          // apk asks for `<P>-<V>.apk` by name: another build under a held name would reach clients and caches
          // that hold the old index with the wrong bytes, so not even `replace` may write it.
          throw new RepoError(
            "REPO_CONFLICT",
            `${where}: ${root} already holds ${info.name} ${info.versionString} with other content (C: ${same.alpine?.checksum}, this one ${index.checksum}); apk fetches ${info.name}-${info.versionString}.apk by name, so another build needs another version: bump the -r release${args.replace ? " (--replace cannot apply: the file name is fixed)" : ""}`,
            { path: where, key: same.key, expected: same.identity, found: identity },
          );
        }
        let p = prepared.get(identity);
        if (p === undefined) {
          p = await (ahead.get(identity) ?? prepareApk(input, args.signers));
          prepared.set(identity, p);
        }
        const key = `${root}/${info.name}-${info.versionString}.apk`;
        const once = args.ever.get(key);
        if (once !== undefined && once.sha256 !== p.digests.sha256) {
          throw new RepoError(
            "REPO_CONFLICT",
            `${where}: ${key} once held other bytes (sha256 ${once.sha256.slice(0, 16)}…, removed since); apk fetches it by that name and caches may still hold the old file, so another build needs another version: bump the -r release`,
            { path: where, key, expected: once.sha256, found: p.digests.sha256 },
          );
        }
        const record: PackageRecord = withSummary({
          name: info.name,
          version: info.versionString,
          arch,
          key,
          size: p.size,
          digests: p.digests,
          identity,
          added: args.now.toISOString(),
          alpine: index,
        });
        const prep = p;
        writes.push({
          key,
          input: { ...input, source: { size: prep.size, open: () => prep.open() } },
          record,
        });
        putRecord(change, id(record), record, same);
      }
    }
  } finally {
    ahead.stop();
  }
  for (const change of changes.values()) {
    settleChange(change, {
      remove: args.remove,
      matches: (r, sel) => matchesRecord(r, sel, change.settings.target),
      keep: args.keep,
      group: (r) => r.name,
      compare: (a, b) => apkFormat.compareVersions(a, b),
      sort: (records) =>
        records.sort(
          (a, b) =>
            (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) ||
            apkFormat.compareVersions(a.version, b.version),
        ),
    });
  }
  return settledWrites(changes.values(), writes);
}
