/**
 * What the RPM-MD, pacman and Alpine change planners share: a root's change as it is built (held records
 * by identity key, what was added, kept, removed), replacing a held record, applying selectors and `keep`,
 * and the file writes that survive them.
 */
import type { CatalogueTarget } from "../catalogue/index.ts";
import { RepoError } from "../errors.ts";
import type { PoolWrite } from "./apt-change.ts";
import type { PackageSelector } from "./options.ts";
import type { PackageRecord } from "./state.ts";

/** What a publish decided for one root of a family with settings `S`. */
export interface RootChange<S> {
  root: string;
  settings: S;
  packages: PackageRecord[];
  added: PackageRecord[];
  unchanged: PackageRecord[];
  removed: PackageRecord[];
}

/** A root's change while it is planned: the records it holds, by the family's identity key. */
export type PendingChange<S> = RootChange<S> & { held: Map<string, PackageRecord> };

/** A pending change of `root` starting from `held` (records keyed by `key`), `added` already listed. */
export function pendingChange<S>(
  root: string,
  settings: S,
  held: readonly PackageRecord[],
  key: (r: PackageRecord) => string,
  added: readonly PackageRecord[] = [],
): PendingChange<S> {
  return {
    root,
    settings,
    packages: [],
    added: [...added],
    unchanged: [],
    removed: [],
    held: new Map(held.map((p) => [key(p), p])),
  };
}

/** Puts `record` in place of `same` (if any) under `key`: `same` is removed unless this publish added it. */
export function putRecord<S>(
  change: PendingChange<S>,
  key: string,
  record: PackageRecord,
  same: PackageRecord | undefined,
): void {
  if (same !== undefined) {
    if (change.added.includes(same)) change.added.splice(change.added.indexOf(same), 1);
    else change.removed.push(same);
  }
  change.held.set(key, record);
  change.added.push(record);
}

/**
 * Applies the selectors (`matches`) and `keep` (the newest N per `group`, by `compare`, oldest first) to a
 * pending change, and settles its package list (ordered by `sort`), additions and removals.
 */
export function settleChange<S>(
  change: PendingChange<S>,
  args: {
    remove: readonly PackageSelector[];
    matches: (r: PackageRecord, s: PackageSelector) => boolean;
    keep?: number | undefined;
    group?: (r: PackageRecord) => string;
    compare?: (a: string, b: string) => number;
    sort: (records: PackageRecord[]) => PackageRecord[];
  },
): void {
  let packages = [...change.held.values()];
  for (const sel of args.remove) {
    const hit = new Set(packages.filter((r) => args.matches(r, sel)));
    packages = packages.filter((r) => !hit.has(r));
    change.removed.push(...hit);
  }
  if (args.keep !== undefined && args.group !== undefined && args.compare !== undefined) {
    if (!Number.isInteger(args.keep) || args.keep < 1) {
      throw new RepoError("INVALID_SETTING", `keep: expected a whole number ≥ 1, found ${args.keep}`, {
        field: "keep",
        expected: "a whole number ≥ 1",
        found: args.keep,
      });
    }
    const groups = new Map<string, PackageRecord[]>();
    for (const r of packages) groups.set(args.group(r), [...(groups.get(args.group(r)) ?? []), r]);
    const drop = new Set<PackageRecord>();
    const compare = args.compare;
    for (const group of groups.values()) {
      group.sort((a, b) => compare(b.version, a.version));
      for (const r of group.slice(args.keep)) drop.add(r);
    }
    packages = packages.filter((r) => !drop.has(r));
    change.removed.push(...drop);
  }
  const kept = new Set(packages);
  change.packages = args.sort(packages);
  change.removed = change.removed.filter((r) => !change.added.includes(r));
  change.added = change.added.filter((r) => kept.has(r));
}

/**
 * The settled changes without their working maps, and the writes some root still needs (a file is written
 * once, and only if a kept record names it or its signature).
 */
export function settledWrites<S>(
  changes: Iterable<PendingChange<S>>,
  writes: readonly PoolWrite[],
): { roots: RootChange<S>[]; writes: PoolWrite[] } {
  const all = [...changes];
  const keptKeys = new Set(
    all.flatMap((c) =>
      c.packages.flatMap((p) => (p.signature === undefined ? [p.key] : [p.key, p.signature.key])),
    ),
  );
  const seen = new Set<string>();
  return {
    roots: all.map(({ held: _held, ...c }) => c),
    writes: writes.filter((w) => {
      if (!keptKeys.has(w.key) || seen.has(w.key)) return false;
      seen.add(w.key);
      return true;
    }),
  };
}

/**
 * The architectures of a target's roots after a publish: those it holds plus those asked for (`asked`,
 * else for a target it does not serve yet the added packages' own, `x86_64` when they are all
 * `independent` — `noarch`, `any`), each one the catalogue lists for the target (ARCH_NOT_IN_REPO
 * otherwise, naming `field` when the architectures were asked for).
 */
export function plannedArches(args: {
  target: CatalogueTarget;
  held: Iterable<string> | undefined;
  asked: readonly string[] | undefined;
  added: readonly string[];
  independent: string;
  field: string;
}): string[] {
  const derived = [...new Set(args.added.filter((a) => a !== args.independent))];
  const asked = args.asked ?? (args.held === undefined ? (derived.length > 0 ? derived : ["x86_64"]) : []);
  for (const a of asked) {
    if (!args.target.architectures.includes(a)) {
      throw new RepoError(
        "ARCH_NOT_IN_REPO",
        `${args.asked !== undefined ? args.field : "the packages' architecture"}: ${args.target.name} (${args.target.id}) has no architecture ${a}; expected one of ${args.target.architectures.join(", ")}`,
        { expected: args.target.architectures, found: a },
      );
    }
  }
  return [...new Set([...(args.held ?? []), ...asked])].sort();
}
