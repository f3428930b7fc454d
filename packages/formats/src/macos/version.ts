/** macOS package versions: PackageInfo `version` is a free string; packyard writes `upstream[-prerelease]`. */
import { compareSemver, parseVersion } from "../spec/version.ts";
import type { Version } from "../spec/types.ts";

/** The version string written into PackageInfo and Distribution (epoch, release and build metadata are not written). */
export function formatMacosVersion(v: Version): string {
  return v.upstream + (v.prerelease ? `-${v.prerelease}` : "");
}

/** Parses a PackageInfo version back into a Version (semver-like split, else verbatim upstream). */
export function parseMacosVersion(s: string): Version {
  const v = parseVersion(s);
  delete v.metadata;
  return v;
}

/** Orders two PackageInfo version strings (numeric segments, a prerelease before its release). */
export function compareMacosVersions(a: string, b: string): number {
  return compareSemver(parseMacosVersion(a), parseMacosVersion(b));
}
