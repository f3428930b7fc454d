/**
 * Version ordering for PackageFormat: `compareVersions` is each format's own comparison, and `newest` is
 * built from it here once, so every format picks the newest package the same way.
 */
import { compareSemver, parseVersion } from "./spec/version.ts";

/** Orders two version strings: negative when `a` is older, 0 when equal, positive when newer. */
export type CompareVersions = (a: string, b: string) => number;

/** The version-ordering half of a PackageFormat. */
export interface VersionOrder {
  compareVersions: CompareVersions;
  newest<P extends { versionString: string }>(packages: readonly P[]): P | undefined;
}

/**
 * The newest of `packages` by `compare` (the first wins a tie), or undefined when the list is empty.
 * @example newestBy([{ versionString: "1.0" }, { versionString: "1.10" }], compareDebVersions) // { versionString: "1.10" }
 */
export function newestBy<P extends { versionString: string }>(
  packages: readonly P[],
  compare: CompareVersions,
): P | undefined {
  let best: P | undefined;
  for (const p of packages)
    if (best === undefined || compare(p.versionString, best.versionString) > 0) best = p;
  return best;
}

/**
 * `compareVersions` and `newest` for a format, from its comparison; spread into the format object.
 * @example const debFormat = { id: "deb", ...versionOrder(compareDebVersions), ... }
 */
export function versionOrder(compare: CompareVersions): VersionOrder {
  return {
    compareVersions: compare,
    newest: (packages) => newestBy(packages, compare),
  };
}

/**
 * Semver 2.0 precedence over version strings, for formats whose installer defines no order of its own
 * (macOS packages, release archives): an optional `v` prefix is dropped, dotted numeric parts compare
 * numerically (a missing part counts as 0, so `1.2` equals `1.2.0`), a `-prerelease` sorts before its
 * release, `+metadata` is ignored. A string that is not semver-like is compared by its dot-separated parts
 * (numeric parts before alphabetic ones). An empty string (no version known, e.g. a release archive whose
 * name does not parse) sorts before every version.
 * @example compareSemverStrings("1.10.0", "1.9.0") // 1
 */
export function compareSemverStrings(a: string, b: string): number {
  const ea = a.trim() === "";
  const eb = b.trim() === "";
  if (ea || eb) return ea === eb ? 0 : ea ? -1 : 1;
  return Math.sign(compareSemver(parseVersion(a), parseVersion(b)));
}
