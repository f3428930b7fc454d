/**
 * How one APT suite's state changes: settings merged with what a publish asks (identity fields guarded),
 * packages added (pool key, identity, conflicts), removed, and trimmed to the newest N versions. Pure:
 * no storage access; the caller writes what the returned change says.
 */
import { debFormat, type PackageInfo } from "@packyard/formats";
import { debPoolKey } from "../apt/pool.ts";
import { RepoError } from "../errors.ts";
import type { AptPublishSettings, PackageSelector, PublishInput } from "./options.ts";
import { type AptSettings, type PackageRecord, withSummary } from "./state.ts";

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9.+~_/-]*$/;

function invalid(field: string, expected: string, found: unknown): never {
  throw new RepoError("INVALID_SETTING", `${field}: expected ${expected}, found ${JSON.stringify(found)}`, {
    field,
    expected,
    found,
  });
}

function checkWord(field: string, value: string, re = /^[A-Za-z0-9][A-Za-z0-9.+~_-]*$/): string {
  if (!re.test(value) || value.includes(".."))
    invalid(field, "letters, digits and . + ~ _ - (no spaces)", value);
  return value;
}

function checkLine(field: string, value: string): string {
  if (/[\r\n]/.test(value) || value.trim() !== value || value === "")
    invalid(field, "one line of text without leading or trailing spaces", value);
  return value;
}

/** The suite a publish addresses (default `stable`). */
export function suiteOf(apt: AptPublishSettings | undefined): string {
  const suite = apt?.suite ?? "stable";
  if (!NAME_RE.test(suite) || suite.split("/").some((s) => s === "" || s === "." || s === ".."))
    invalid("suite", "a suite name such as stable or bookworm/updates", suite);
  return suite;
}

/** The component packages go to (default `main`). */
export function componentOf(apt: AptPublishSettings | undefined): string {
  return checkWord("component", apt?.component ?? "main");
}

function sortedUnique(values: Iterable<string>): string[] {
  return [...new Set(values)].sort();
}

/**
 * The suite's settings after this publish: a new suite takes what is asked (architectures default to the
 * added packages'); an existing one keeps its identity (Origin, Label, Codename) unless `changeIdentity`.
 */
export function mergeAptSettings(
  prev: AptSettings | undefined,
  apt: AptPublishSettings | undefined,
  addedArches: readonly string[],
): AptSettings {
  const a = apt ?? {};
  const suite = suiteOf(a);
  const component = componentOf(a);
  for (const c of a.components ?? []) checkWord("components", c);
  for (const x of a.architectures ?? []) {
    checkWord("architectures", x, /^[a-z0-9][a-z0-9-]*$/);
    if (x === "all") invalid("architectures", "dpkg architectures (all packages are folded into each)", x);
  }
  if (a.codename !== undefined) checkWord("codename", a.codename);
  for (const f of ["origin", "label", "version", "description"] as const) {
    const v = a[f];
    if (v !== undefined && f !== "description") checkLine(f, v);
  }
  if (a.validFor !== undefined && (!Number.isInteger(a.validFor) || a.validFor < 0))
    invalid("validFor", "a whole number of seconds (0 removes Valid-Until)", a.validFor);
  if (prev === undefined) {
    const derived = addedArches.filter((x) => x !== "all");
    const architectures = sortedUnique(a.architectures ?? (derived.length > 0 ? derived : ["amd64"]));
    const s: AptSettings = {
      suite,
      codename: a.codename ?? suite.replaceAll("/", "-"),
      components: sortedUnique([...(a.components ?? []), component]),
      architectures,
      compressions: a.xz ? ["gz", "xz"] : ["gz"],
      hashes: a.sha512 ? ["SHA256", "SHA512"] : ["SHA256"],
      contents: a.contents ?? false,
      byHash: true,
    };
    if (a.origin !== undefined) s.origin = a.origin;
    if (a.label !== undefined) s.label = a.label;
    if (a.version !== undefined) s.version = a.version;
    if (a.description !== undefined) s.description = a.description;
    if (a.validFor !== undefined && a.validFor > 0) s.validFor = a.validFor;
    return s;
  }
  const next: AptSettings = { ...prev };
  const identity: string[] = [];
  for (const f of ["origin", "label", "codename"] as const) {
    const v = a[f];
    if (v !== undefined && v !== prev[f]) {
      identity.push(`${f} ${JSON.stringify(prev[f] ?? null)} → ${JSON.stringify(v)}`);
      next[f] = v;
    }
  }
  if (identity.length > 0 && a.changeIdentity !== true) {
    throw new RepoError(
      "IDENTITY_CHANGE",
      `suite ${suite}: ${identity.join(", ")} would make every user's apt update fail until they pass --allow-releaseinfo-change; give --change-identity to do it anyway`,
      { field: "apt", found: identity },
    );
  }
  if (a.version !== undefined) next.version = a.version;
  if (a.description !== undefined) next.description = a.description;
  next.components = sortedUnique([
    ...prev.components,
    ...(a.components ?? []),
    ...(a.component !== undefined ? [component] : []),
  ]);
  next.architectures = sortedUnique([...prev.architectures, ...(a.architectures ?? [])]);
  if (a.xz !== undefined) next.compressions = a.xz ? ["gz", "xz"] : ["gz"];
  if (a.sha512 !== undefined) next.hashes = a.sha512 ? ["SHA256", "SHA512"] : ["SHA256"];
  if (a.contents !== undefined) next.contents = a.contents;
  if (a.validFor !== undefined) {
    if (a.validFor > 0) next.validFor = a.validFor;
    else delete next.validFor;
  }
  return next;
}

/** Checks that a package can go into an APT repository; returns its control text. */
export function debControlOf(input: PublishInput): string {
  const info = input.info;
  const where = input.name ?? `${info.name} ${info.versionString}`;
  if (info.format !== "deb" || info.raw.format !== "deb") {
    throw new RepoError(
      "UNSUPPORTED_PACKAGE",
      `${where}: expected a .deb package for the APT repository, found a ${info.format} package (an .rpm goes to RPM-MD roots; pacman and APKINDEX publishing come later)`,
      { path: where, expected: "deb", found: info.format },
    );
  }
  if (input.source.size !== info.artifact.size) {
    throw new RepoError(
      "CHECKSUM_MISMATCH",
      `${where}: expected ${info.artifact.size} bytes (what was read of it), found ${input.source.size}`,
      { path: where, expected: info.artifact.size, found: input.source.size },
    );
  }
  return info.raw.control;
}

/** Paths a package installs, for Contents-<arch> (files, symlinks and hard links; no directories). */
export function contentsPaths(info: PackageInfo): string[] {
  return info.files
    .filter((f) => f.type !== "dir")
    .map((f) => f.path.replace(/^\/+/, ""))
    .filter((p) => p !== "")
    .sort();
}

/** Debian version order, newest last. */
export function compareDebVersions(a: string, b: string): number {
  return debFormat.compareVersions(a, b);
}

/** Sorts records by name, version (Debian order), architecture, component. */
export function sortRecords(records: PackageRecord[]): PackageRecord[] {
  return sortRecordsBy(records, compareDebVersions);
}

/** Sorts records by name, version (in `compareVersions`' order), architecture, component. */
export function sortRecordsBy(
  records: PackageRecord[],
  compareVersions: (a: string, b: string) => number,
): PackageRecord[] {
  return records.sort(
    (a, b) =>
      (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) ||
      compareVersions(a.version, b.version) ||
      (a.arch < b.arch ? -1 : a.arch > b.arch ? 1 : 0) ||
      ((a.component ?? "") < (b.component ?? "") ? -1 : (a.component ?? "") > (b.component ?? "") ? 1 : 0),
  );
}

/** True when `record` matches `selector` (absent selector fields match anything). */
export function matches(record: PackageRecord, selector: PackageSelector): boolean {
  return (
    record.name === selector.name &&
    (selector.version === undefined || record.version === selector.version) &&
    (selector.arch === undefined || record.arch === selector.arch) &&
    (selector.component === undefined || record.component === selector.component)
  );
}

/** The selector naming one record. */
export function selectorOf(r: PackageRecord): PackageSelector {
  const s: PackageSelector = { name: r.name, version: r.version, arch: r.arch };
  if (r.component !== undefined) s.component = r.component;
  return s;
}

function recordId(name: string, version: string, arch: string, component: string): string {
  return `${name}\0${version}\0${arch}\0${component}`;
}

/** A pool blob a publish must write. */
export interface PoolWrite {
  key: string;
  /** Where the bytes come from (a file given to publish, a signed copy, a stored object) and its name. */
  input: Pick<PublishInput, "source" | "name">;
  record: PackageRecord;
  /** What the bytes must be when they are not the record's package file (a detached signature). */
  expect?: { size: number; sha256: string };
}

/** What {@link changeAptPackages} decided. */
export interface AptPackageChange {
  packages: PackageRecord[];
  added: PackageRecord[];
  unchanged: PackageRecord[];
  removed: PackageRecord[];
  writes: PoolWrite[];
}

/** Which blob every other root holds at a key (to spot a same-key, other-content conflict across suites). */
export interface PoolIndex {
  /** Pool keys other suites list now, with the identity they hold. */
  held: ReadonlyMap<string, { identity: string; root: string }>;
  /**
   * Pool keys any suite (this one too) ever served: the SHA-256 they held, and whether the file is still
   * there (a tombstone whose grace period runs).
   */
  ever: ReadonlyMap<string, { sha256: string; present: boolean }>;
}

/**
 * Applies adds, removes and `keep` to a suite's package list. Adding a held identity is a no-op; the same
 * name/version/architecture/component with other content is REPO_CONFLICT unless `replace`, which puts the
 * new file under a content-qualified pool path so that no client ever sees one path with two contents.
 */
export function changeAptPackages(args: {
  root: string;
  settings: AptSettings;
  prev: readonly PackageRecord[];
  add: readonly PublishInput[];
  remove: readonly PackageSelector[];
  keep: number | undefined;
  replace: boolean;
  component: string;
  pool: PoolIndex;
  now: Date;
}): AptPackageChange {
  const { settings, component } = args;
  const held = new Map(args.prev.map((r) => [recordId(r.name, r.version, r.arch, r.component ?? ""), r]));
  const added: PackageRecord[] = [];
  const unchanged: PackageRecord[] = [];
  const removed: PackageRecord[] = [];
  const writes: PoolWrite[] = [];
  for (const input of args.add) {
    const control = debControlOf(input);
    const info = input.info;
    const where = input.name ?? `${info.name}_${info.versionString}_${info.archString}.deb`;
    const arch = info.archString;
    if (arch !== "all" && !settings.architectures.includes(arch)) {
      throw new RepoError(
        "ARCH_NOT_IN_REPO",
        `${where}: architecture ${arch} is not one of suite ${settings.suite}'s architectures (${settings.architectures.join(", ")}); add it with --arch ${arch}`,
        { path: where, expected: settings.architectures, found: arch },
      );
    }
    const identity = info.artifact.digests.sha256;
    const id = recordId(info.name, info.versionString, arch, component);
    const same = held.get(id);
    if (same !== undefined && same.identity === identity) {
      unchanged.push(same);
      continue;
    }
    if (same !== undefined && !args.replace) {
      throw new RepoError(
        "REPO_CONFLICT",
        `${where}: suite ${settings.suite} already holds ${info.name} ${info.versionString} ${arch} with other content (sha256 ${same.identity.slice(0, 16)}…, this one ${identity.slice(0, 16)}…); bump the version, or give --replace`,
        { path: where, key: same.key, expected: same.identity, found: identity },
      );
    }
    let key = debPoolKey(component, info.name, info.versionString, arch);
    const heldElsewhere = args.pool.held.get(key);
    const conflict =
      (heldElsewhere !== undefined && heldElsewhere.identity !== identity) ||
      (same !== undefined && same.key === key);
    if (conflict && !args.replace) {
      throw new RepoError(
        "REPO_CONFLICT",
        `${where}: ${key} is held by ${heldElsewhere?.root ?? args.root} with other content; bump the version, or give --replace`,
        { path: where, key, found: identity },
      );
    }
    // A pool path served once keeps its content for the life of the repository (clients and CDNs cache
    // it as immutable): other content goes to a content-qualified path.
    const once = args.pool.ever.get(key);
    if (conflict || (once !== undefined && once.sha256 !== identity)) {
      const slash = key.lastIndexOf("/");
      key = `${key.slice(0, slash)}/${identity.slice(0, 16)}${key.slice(slash)}`;
    }
    const record: PackageRecord = withSummary({
      name: info.name,
      version: info.versionString,
      arch,
      component,
      key,
      size: info.artifact.size,
      digests: { ...info.artifact.digests },
      identity,
      added: args.now.toISOString(),
      deb: settings.contents ? { control, paths: contentsPaths(info) } : { control },
    });
    if (same !== undefined) {
      if (added.includes(same)) added.splice(added.indexOf(same), 1);
      else removed.push(same);
    }
    held.set(id, record);
    added.push(record);
    const present =
      args.pool.held.get(key)?.identity === identity ||
      (args.pool.ever.get(key)?.sha256 === identity && args.pool.ever.get(key)?.present === true);
    if (!present) writes.push({ key, input, record });
  }
  let packages = [...held.values()];
  for (const sel of args.remove) {
    const hit = new Set(packages.filter((r) => matches(r, sel)));
    packages = packages.filter((r) => !hit.has(r));
    removed.push(...hit);
  }
  if (args.keep !== undefined) {
    if (!Number.isInteger(args.keep) || args.keep < 1) invalid("keep", "a whole number ≥ 1", args.keep);
    const groups = new Map<string, PackageRecord[]>();
    for (const r of packages) {
      const g = `${r.name}\0${r.arch}\0${r.component ?? ""}`;
      const group = groups.get(g);
      if (group === undefined) groups.set(g, [r]);
      else group.push(r);
    }
    const drop = new Set<PackageRecord>();
    for (const group of groups.values()) {
      group.sort((a, b) => compareDebVersions(b.version, a.version));
      for (const r of group.slice(args.keep)) drop.add(r);
    }
    packages = packages.filter((r) => !drop.has(r));
    removed.push(...drop);
  }
  // A package added and dropped again (by `keep` or `remove`) in the same publish is neither written nor
  // reported as added.
  const kept = new Set(packages);
  const addedKept = added.filter((r) => kept.has(r));
  return {
    packages: sortRecords(packages),
    added: addedKept,
    unchanged,
    removed: removed.filter((r) => !added.includes(r)),
    writes: writes.filter((w) => kept.has(w.record)),
  };
}
