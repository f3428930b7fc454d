/**
 * How RPM-MD roots change in a publish: which roots an rpm goes to (its architecture's root of every
 * target; `noarch` to each of them), the root settings, the pool key, the signature an rpm gets before its
 * checksum enters primary (signed with the repository key unless it already carries one of the
 * repository's keys), conflicts, removals and `keep`. Identity is the main header's SHA-256, so the same
 * build signed or not is one package; the file stored is the signed one.
 */
import { type OpenPGPSigner, type PackageInfo, rpmFormat } from "@packyard/formats";
import { signRpm } from "@packyard/formats/rpm";
import { escapeKeySegment, poolPrefix } from "../apt/pool.ts";
import { type CatalogueTarget, catalogueTarget, targetsOf } from "../catalogue/index.ts";
import { RepoError } from "../errors.ts";
import { PREPARE_CONCURRENCY, prefetch } from "../limit.ts";
import { digestStream, type ObjectDigests } from "../verify/digests.ts";
import { rpmIndexInfo } from "../rpmmd/info.ts";
import { type PoolWrite, sortRecordsBy } from "./apt-change.ts";
import { rpmRoot } from "./layout.ts";
import type { PackageSelector, PublishInput, RpmPublishSettings } from "./options.ts";
import { type BlobDigests, type PackageRecord, type RpmSettings, withSummary } from "./state.ts";
import type { LoadedRoot } from "./state-io.ts";
import { checkedBytes, checkUnchanged } from "./sources.ts";
import {
  type PendingChange,
  pendingChange,
  plannedArches,
  putRecord,
  type RootChange,
  settleChange,
  settledWrites,
} from "./root-change.ts";

/** createrepo_c's default `--changelog-limit`. */
export const DEFAULT_CHANGELOG_LIMIT = 10;

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function invalid(field: string, expected: string, found: unknown): never {
  throw new RepoError("INVALID_SETTING", `${field}: expected ${expected}, found ${JSON.stringify(found)}`, {
    field,
    expected,
    found,
  });
}

/** The folder of a catalogue target under `rpm/`. */
export function targetPath(t: CatalogueTarget): string {
  if (t.family !== "rpm") invalid("rpm.targets", "an RPM-MD target of the catalogue", t.id);
  return t.layout.path;
}

/** Checks the rpm settings a publish gives (before the lock is taken). */
export function checkRpmOptions(o: RpmPublishSettings | undefined): void {
  if (o === undefined) return;
  for (const id of o.targets ?? []) {
    const t = catalogueTarget(id);
    if (t.family !== "rpm") {
      throw new RepoError(
        "UNKNOWN_TARGET",
        `rpm.targets: ${id} is a ${t.family} target; expected one of ${targetsOf("rpm")
          .map((x) => x.id)
          .join(", ")}`,
        { found: id, expected: targetsOf("rpm").map((x) => x.id) },
      );
    }
  }
  for (const a of o.architectures ?? []) {
    if (!/^[a-z0-9_]+$/.test(a) || a === "noarch")
      invalid("rpm.architectures", "rpm base architectures such as x86_64 or aarch64", a);
  }
  if (o.changelogLimit !== undefined && (!Number.isInteger(o.changelogLimit) || o.changelogLimit < 0))
    invalid("rpm.changelogLimit", "a whole number ≥ 0", o.changelogLimit);
  if (o.name !== undefined && !NAME_RE.test(o.name))
    invalid("rpm.name", "letters, digits, . _ - (a .repo file name)", o.name);
  if (o.baseUrl !== undefined) checkBaseUrl(o.baseUrl);
}

function checkBaseUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    invalid("baseUrl", "an http(s) URL such as https://packages.example.org", url);
  }
  if (u.protocol !== "https:" && u.protocol !== "http:")
    invalid("baseUrl", "an http(s) URL such as https://packages.example.org", url);
  if (u.search !== "" || u.hash !== "") invalid("baseUrl", "a URL without ?query or #fragment", url);
  // dnf splits baseurl at whitespace and commas and expands $variables; the file is public.
  if (u.username !== "" || u.password !== "")
    invalid("baseUrl", "a URL without user:password@ (the .repo file is public)", url);
  if (/[\s,$]/.test(url))
    invalid("baseUrl", "a URL without spaces, commas or $ (dnf splits and expands them)", url);
  return u.href.replace(/\/+$/, "");
}

/** A root's settings after this publish: a new root takes what is asked, an existing one keeps the rest. */
export function mergeRpmSettings(
  prev: RpmSettings | undefined,
  target: CatalogueTarget,
  arch: string,
  o: RpmPublishSettings | undefined,
  keyName: string,
): RpmSettings {
  const next: RpmSettings = prev
    ? { ...prev }
    : {
        target: target.id,
        path: targetPath(target),
        arch,
        compression: "gz",
        changelogLimit: DEFAULT_CHANGELOG_LIMIT,
        name: keyName,
      };
  if (o?.zstd !== undefined) next.compression = o.zstd ? "zst" : "gz";
  if (o?.changelogLimit !== undefined) next.changelogLimit = o.changelogLimit;
  if (o?.name !== undefined) next.name = o.name;
  if (o?.baseUrl !== undefined) next.baseUrl = checkBaseUrl(o.baseUrl);
  return next;
}

/**
 * A key segment for rpm file names: `+`, `~`, `^`, `:` and anything else outside `[A-Za-z0-9._-]` escaped
 * as in the APT pool, but `_` left as it is (`x86_64`), since a stray collision is harmless here: a pool
 * key holding other bytes sends the file to a content-qualified path.
 */
export function rpmKeySegment(s: string): string {
  return s.split("_").map(escapeKeySegment).join("_");
}

/** The pool key of an rpm: `rpm/pool/<prefix>/<name>/<name>-<ver>-<rel>.<arch>.rpm`, every part escaped. */
export function rpmPoolKey(info: { name: string; ver: string; rel: string; arch: string }): string {
  const n = rpmKeySegment(info.name);
  const file = rpmKeySegment(`${info.name}-${info.ver}-${info.rel}.${info.arch}.rpm`);
  return `rpm/pool/${rpmKeySegment(poolPrefix(info.name))}/${n}/${file}`;
}

/** Checks that a package can go into an RPM-MD repository. */
export function rpmInfoOf(input: PublishInput): PackageInfo & { raw: { format: "rpm" } } {
  const info = input.info;
  const where = input.name ?? `${info.name} ${info.versionString}`;
  if (info.format !== "rpm" || info.raw.format !== "rpm") {
    throw new RepoError("UNSUPPORTED_PACKAGE", `${where}: expected an .rpm, found a ${info.format} package`, {
      path: where,
      expected: "rpm",
      found: info.format,
    });
  }
  if (info.raw.sourcerpm === undefined) {
    // rpm's own test for a source package: it names no source rpm.
    throw new RepoError(
      "UNSUPPORTED_PACKAGE",
      `${where}: expected a binary rpm, found a source rpm (no SOURCERPM tag); source repositories (SRPMS/) are not published yet`,
      { path: where, expected: "a binary rpm", found: "a source rpm" },
    );
  }
  if (input.source.size !== info.artifact.size) {
    throw new RepoError(
      "CHECKSUM_MISMATCH",
      `${where}: expected ${info.artifact.size} bytes (what was read of it), found ${input.source.size}`,
      { path: where, expected: info.artifact.size, found: input.source.size },
    );
  }
  return info as PackageInfo & { raw: { format: "rpm" } };
}

/** The rpm signatures a package carries (header-only and legacy). */
function rpmSignatures(info: PackageInfo) {
  return info.signatures.filter((s) => s.location.startsWith("rpm:"));
}

export function ours(
  s: { keyId?: string; fingerprint?: string },
  signers: readonly OpenPGPSigner[],
): boolean {
  return signers.some(
    (k) =>
      (s.fingerprint !== undefined &&
        [k.fingerprint, k.primaryFingerprint].includes(s.fingerprint.toUpperCase())) ||
      (s.keyId !== undefined && s.keyId.toUpperCase() === k.keyId),
  );
}

/** An rpm as it will be stored: signed (or kept), with the digests and header start of those bytes. */
export interface PreparedRpm {
  input: PublishInput;
  info: PackageInfo & { raw: { format: "rpm" } };
  identity: string;
  size: number;
  digests: BlobDigests;
  headerStart: number;
  /** The stored bytes (the input re-signed, or the input itself). */
  open: () => AsyncIterable<Uint8Array>;
  /** True when signed at publish. */
  signed: boolean;
  /** Primary fingerprint of the repository key whose signature the stored file carries. */
  signedBy: string;
}

/**
 * Decides an rpm's signature: kept when every rpm signature it carries is by one of the repository's
 * keys, made with the first key when it has none (or with `resign`), refused (REPO_FOREIGN_SIGNATURE)
 * when another key signed it. A signed copy is hashed here (one read) and streamed again at commit.
 */
export async function prepareRpm(
  input: PublishInput,
  signers: readonly OpenPGPSigner[],
  resign: boolean,
): Promise<PreparedRpm> {
  const info = rpmInfoOf(input);
  const where = input.name ?? `${info.name}-${info.versionString}.${info.archString}.rpm`;
  const sigs = rpmSignatures(info);
  const foreign = sigs.filter((s) => !ours(s, signers));
  const base = { input, info, identity: info.raw.headerSha256 };
  if (sigs.length > 0 && foreign.length === 0) {
    // Naming our key is not enough: the signature must verify over these bytes, or users get rpm's BAD
    // signature at install.
    // The bytes must be those the input's PackageInfo was read from (which checked the payload against
    // the header's digests); then only the headers and signatures are read again, not the payload.
    const held = await checkedBytes(input.source, info.artifact, where);
    let checked: PackageInfo;
    try {
      checked = await rpmFormat.read(held.source, {
        publicKeys: signers.map((k) => k.publicKeyArmored()),
        knownArtifact: info.artifact,
        knownPayload: {
          format: "rpm",
          files: [],
          contents: new Map(),
          ...(info.raw.archiveSize === undefined ? {} : { archiveSize: info.raw.archiveSize }),
        },
      });
    } catch (e) {
      throw new RepoError(
        "CORRUPT_PACKAGE",
        `${where}: could not be read to check its signature: ${(e as Error).message}`,
        { path: where },
        { cause: e },
      );
    }
    const bad = checked.signatures.filter((s) => s.location.startsWith("rpm:") && s.verified !== true);
    if (
      bad.length > 0 ||
      checked.raw.format !== "rpm" ||
      checked.raw.headerSha256 !== info.raw.headerSha256
    ) {
      throw new RepoError(
        "CORRUPT_PACKAGE",
        `${where}: expected a valid signature by the repository key, found one that does not verify (${bad
          .map((s) => s.location)
          .join(", ")}); the package was changed after it was signed`,
        { path: where, found: bad.map((s) => s.location) },
      );
    }
    const by = signers.find((k) => sigs.some((s) => ours(s, [k])))!;
    return {
      signedBy: by.primaryFingerprint,
      ...base,
      size: info.artifact.size,
      digests: { ...info.artifact.digests },
      headerStart: info.raw.headerStart,
      open: () => input.source.open(),
      signed: false,
    };
  }
  if (foreign.length > 0 && !resign) {
    const who = foreign.map((s) => s.fingerprint ?? s.keyId ?? "an unknown key").join(", ");
    throw new RepoError(
      "REPO_FOREIGN_SIGNATURE",
      `${where}: expected an unsigned rpm or one signed by the repository key (${signers[0]!.primaryFingerprint}), found a signature by ${who}; give --resign to replace it with the repository's`,
      { path: where, expected: signers.map((s) => s.primaryFingerprint), found: who },
    );
  }
  const signer = signers[0]!;
  checkRpmSigner(signer);
  await checkUnchanged(input.source, info.artifact, where);
  const open = () => signRpm(input.source, signer);
  let digests: ObjectDigests;
  try {
    digests = await digestStream(open());
  } catch (e) {
    throw new RepoError(
      "CORRUPT_PACKAGE",
      `${where}: could not be signed: ${(e as Error).message}`,
      { path: where },
      { cause: e },
    );
  }
  const { size, ...hex } = digests;
  // Everything after the signature header is copied byte for byte, so the main header moved by the
  // difference in size.
  const headerStart = info.raw.headerStart + (size - info.artifact.size);
  return {
    ...base,
    size,
    digests: hex,
    headerStart,
    open,
    signed: true,
    signedBy: signer.primaryFingerprint,
  };
}

/**
 * Refuses a key whose rpm signatures would not be the same bytes twice: the file is hashed once while
 * planning and streamed again at commit, so its signature must be deterministic (RSA and EdDSA are;
 * ECDSA draws a random nonce).
 */
export function checkRpmSigner(signer: OpenPGPSigner): void {
  if (signer.algorithm === "ecdsa") {
    throw new RepoError(
      "BAD_KEY",
      `rpms are signed at publish with the repository key, and ${signer.primaryFingerprint} is an ECDSA key (its signatures differ each time, and rpm 4.14 cannot check them); expected an RSA key (or EdDSA where every target's rpm is 4.16 or later)`,
      { expected: ["rsa", "eddsa"], found: signer.algorithm },
    );
  }
}

/** Refuses a key that a target's rpm cannot verify (EdDSA on EL 8, SLES 15: rpm 4.14). */
export function checkTargetKey(target: CatalogueTarget, signer: OpenPGPSigner): void {
  if (target.family !== "rpm") return;
  const algorithm = signer.algorithm === "rsa" ? "rsa" : signer.algorithm === "eddsa" ? "eddsa" : undefined;
  if (algorithm === undefined || !target.install.keyAlgorithms.includes(algorithm)) {
    throw new RepoError(
      "BAD_KEY",
      `${target.name} (${target.id}) verifies ${target.install.keyAlgorithms.join(" or ")} signatures only, and the repository key ${signer.primaryFingerprint} is ${signer.algorithm}; sign with an RSA key (packyard keygen --type openpgp makes one)`,
      { expected: target.install.keyAlgorithms, found: signer.algorithm },
    );
  }
}

/** rpm version order, newest last. */
export function compareRpmVersions(a: string, b: string): number {
  return rpmFormat.compareVersions(a, b);
}

/** Sorts records by name, version (rpm order), architecture. */
export function sortRpmRecords(records: PackageRecord[]): PackageRecord[] {
  return sortRecordsBy(records, compareRpmVersions);
}

/** The roots of an RPM-MD target that exist, and the architectures a publish adds to it. */
export interface TargetRoots {
  target: CatalogueTarget;
  path: string;
  /** Base architectures of the target after this publish, sorted. */
  arches: string[];
}

/**
 * Which targets and architectures this publish touches: the targets asked for (else the repository's),
 * each with its existing roots plus the asked architectures (a new target: the added packages'
 * architectures, x86_64 when they are all noarch).
 */
export function planTargets(
  roots: ReadonlyMap<string, LoadedRoot>,
  o: RpmPublishSettings | undefined,
  addedArches: readonly string[],
  needed: boolean,
  signer: OpenPGPSigner,
): TargetRoots[] {
  const existing = new Map<string, Set<string>>();
  for (const { state } of roots.values()) {
    if (state.rpm === undefined) continue;
    const set = existing.get(state.rpm.target) ?? new Set<string>();
    set.add(state.rpm.arch);
    existing.set(state.rpm.target, set);
  }
  const ids = o?.targets ?? [...existing.keys()].sort();
  if (ids.length === 0 && needed) {
    throw new RepoError(
      "INVALID_SETTING",
      `rpm packages need a distro target for their repository: give --rpm-target (or publish.rpm.targets), one of ${targetsOf(
        "rpm",
      )
        .map((t) => t.id)
        .join(", ")}`,
      { field: "rpm.targets", expected: targetsOf("rpm").map((t) => t.id) },
    );
  }
  return ids.map((id) => {
    const target = catalogueTarget(id);
    const path = targetPath(target);
    checkTargetKey(target, signer);
    const arches = plannedArches({
      target,
      held: existing.get(id),
      asked: o?.architectures,
      added: addedArches,
      independent: "noarch",
      field: "rpm.architectures",
    });
    return { target, path, arches };
  });
}

function matchesRecord(r: PackageRecord, s: PackageSelector, target: string): boolean {
  return (
    r.name === s.name &&
    (s.version === undefined || r.version.replace(/^0+:/, "") === s.version.replace(/^0+:/, "")) &&
    (s.arch === undefined || r.arch === s.arch) &&
    (s.target === undefined || s.target === target) &&
    s.component === undefined
  );
}

/** What {@link changeRpmRoots} decided for one root. */
export type RpmRootChange = RootChange<RpmSettings>;

/** What a publish does to the RPM-MD roots. */
export interface RpmChange {
  roots: RpmRootChange[];
  writes: PoolWrite[];
}

/**
 * Applies adds, removes and `keep` to every RPM-MD root the publish touches. An rpm goes to its
 * architecture's root of every target (noarch: to all of them); the same identity held anywhere reuses
 * that stored file; the same name-version-release.arch with another identity in one root is
 * REPO_CONFLICT unless `replace`; a pool key that ever held other bytes sends the file to a
 * content-qualified path.
 */
export async function changeRpmRoots(args: {
  roots: ReadonlyMap<string, LoadedRoot>;
  targets: readonly TargetRoots[];
  options: RpmPublishSettings | undefined;
  add: readonly PublishInput[];
  remove: readonly PackageSelector[];
  keep: number | undefined;
  replace: boolean;
  signers: readonly OpenPGPSigner[];
  keyName: string;
  /** SHA-256 each pool key ever held (tombstones, retired keys), and whether the file is still there. */
  ever: ReadonlyMap<string, { sha256: string; present: boolean }>;
  now: Date;
}): Promise<RpmChange> {
  // Every stored rpm by identity, and every pool key in use with its file hash.
  const byIdentity = new Map<string, PackageRecord>();
  const keyHolds = new Map<string, string>();
  for (const { state } of args.roots.values()) {
    if (state.family !== "rpm") continue;
    for (const p of state.packages) {
      if (!byIdentity.has(p.identity)) byIdentity.set(p.identity, p);
      keyHolds.set(p.key, p.digests.sha256);
    }
  }
  const changes = new Map<string, PendingChange<RpmSettings>>();
  // `0:1.0-1` and `1.0-1` are one version to rpm.
  const id = (r: { name: string; version: string; arch: string }) =>
    `${r.name}\0${r.version.replace(/^0+:/, "")}\0${r.arch}`;
  for (const t of args.targets) {
    for (const arch of t.arches) {
      const root = rpmRoot(t.path, arch);
      const prev = args.roots.get(root);
      // A new architecture of a target takes its settings (name, base URL, compression, limit) from the
      // target's other roots.
      const siblingSettings = t.arches
        .map((a) => args.roots.get(rpmRoot(t.path, a))?.state.rpm)
        .find((x) => x !== undefined);
      const settings = mergeRpmSettings(
        prev?.state.rpm ?? (siblingSettings === undefined ? undefined : { ...siblingSettings, arch }),
        t.target,
        arch,
        args.options,
        args.keyName,
      );
      let start = prev?.state.packages ?? [];
      if (prev === undefined) {
        // A new architecture of a target serves the target's noarch packages from the start.
        const sibling = t.arches.map((a) => args.roots.get(rpmRoot(t.path, a))).find((r) => r !== undefined);
        start = (sibling?.state.packages ?? []).filter((p) => p.arch === "noarch");
      }
      changes.set(root, pendingChange(root, settings, start, id, prev === undefined ? start : []));
    }
  }
  const writes: PoolWrite[] = [];
  const prepared = new Map<string, PreparedRpm>();
  // Signing or checking the signature of each new rpm reads it whole: the next ones are read meanwhile.
  const ahead = prefetch(
    args.add,
    (input) => {
      const identity = rpmInfoOf(input).raw.headerSha256;
      return byIdentity.has(identity) ? undefined : identity;
    },
    PREPARE_CONCURRENCY,
    (input) => prepareRpm(input, args.signers, args.options?.resign ?? false),
  );
  try {
    for (const input of args.add) {
      const info = rpmInfoOf(input);
      const where = input.name ?? `${info.name}-${info.versionString}.${info.archString}.rpm`;
      const arch = info.archString;
      const dests = args.targets.flatMap((t) => {
        const arches = arch === "noarch" ? t.arches : t.arches.filter((a) => a === arch);
        if (arches.length === 0) {
          throw new RepoError(
            "ARCH_NOT_IN_REPO",
            `${where}: architecture ${arch} is not served by ${t.target.id} (${t.arches.join(", ")}); add it with --rpm-arch ${arch}`,
            { path: where, expected: t.arches, found: arch },
          );
        }
        return arches.map((a) => rpmRoot(t.path, a));
      });
      const identity = info.raw.headerSha256;
      for (const root of dests) {
        const change = changes.get(root)!;
        const key = id({ name: info.name, version: info.versionString, arch });
        const same = change.held.get(key);
        if (same !== undefined && same.identity === identity) {
          if (!change.added.includes(same)) change.unchanged.push(same);
          continue;
        }
        if (same !== undefined && !args.replace) {
          throw new RepoError(
            "REPO_CONFLICT",
            `${where}: ${root} already holds ${info.name} ${info.versionString} ${arch} with other content (header sha256 ${same.identity.slice(0, 16)}…, this one ${identity.slice(0, 16)}…); bump the release, or give --replace`,
            { path: where, key: same.key, expected: same.identity, found: identity },
          );
        }
        let stored = byIdentity.get(identity);
        let record: PackageRecord;
        if (stored !== undefined) {
          const { summary: _, ...rest } = stored;
          record = withSummary({
            ...rest,
            added: args.now.toISOString(),
            rpm: rpmIndexInfo(info, {
              headerStart: stored.rpm!.headerRange.start,
              changelogLimit: change.settings.changelogLimit,
            }),
          });
        } else {
          let p = prepared.get(identity);
          if (p === undefined) {
            p = await (ahead.get(identity) ?? prepareRpm(input, args.signers, args.options?.resign ?? false));
            prepared.set(identity, p);
          }
          let poolKey = rpmPoolKey({
            name: info.name,
            ver: rpmVer(info),
            rel: rpmRel(info),
            arch,
          });
          const holds = keyHolds.get(poolKey) ?? args.ever.get(poolKey)?.sha256;
          if (holds !== undefined && holds !== p.digests.sha256) {
            const slash = poolKey.lastIndexOf("/");
            poolKey = `${poolKey.slice(0, slash)}/${p.digests.sha256.slice(0, 16)}${poolKey.slice(slash)}`;
          }
          record = withSummary({
            name: info.name,
            version: info.versionString,
            arch,
            key: poolKey,
            size: p.size,
            digests: p.digests,
            identity,
            added: args.now.toISOString(),
            rpm: rpmIndexInfo(info, {
              headerStart: p.headerStart,
              changelogLimit: change.settings.changelogLimit,
            }),
            signedBy: p.signedBy,
          });
          stored = record;
          byIdentity.set(identity, record);
          const present =
            keyHolds.get(poolKey) === p.digests.sha256 ||
            (args.ever.get(poolKey)?.sha256 === p.digests.sha256 && args.ever.get(poolKey)?.present === true);
          keyHolds.set(poolKey, p.digests.sha256);
          if (!present) {
            const prep = p;
            writes.push({
              key: poolKey,
              input: { ...input, source: { size: prep.size, open: () => prep.open() } },
              record,
            });
          }
        }
        putRecord(change, key, record, same);
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
      group: (r) => `${r.name}\0${r.arch}`,
      compare: compareRpmVersions,
      sort: sortRpmRecords,
    });
  }
  return settledWrites(changes.values(), writes);
}

/** The version part of an rpm's EVR as the header has it. */
function rpmVer(info: PackageInfo): string {
  const evr = info.versionString.replace(/^\d+:/, "");
  const dash = evr.lastIndexOf("-");
  return dash < 0 ? evr : evr.slice(0, dash);
}

function rpmRel(info: PackageInfo): string {
  const evr = info.versionString.replace(/^\d+:/, "");
  const dash = evr.lastIndexOf("-");
  return dash < 0 ? "" : evr.slice(dash + 1);
}
