import { SpecError } from "../errors.ts";
import type { Version } from "./types.ts";

// Semver-like: [v]MAJOR[.MINOR[.PATCH[.more]]][-prerelease][+metadata]; nfpm parses with Masterminds semver,
// which also accepts a missing minor/patch. Anything else is kept verbatim as `upstream` (nfpm's
// `version_schema: none`).
const SEMVER = /^v?(\d+(?:\.\d+)*)(?:-([0-9A-Za-z.-]+))?(?:\+([0-9A-Za-z.-]+))?$/;

/**
 * Parses a version string the way nfpm does: a `v` prefix is stripped and semver prerelease and build
 * metadata are split out. With `schema: 'none'` the string is kept whole as the upstream version.
 * @example parseVersion("v1.2.3-rc.1+git.abc") // { upstream: "1.2.3", prerelease: "rc.1", metadata: "git.abc" }
 */
export function parseVersion(
  input: string,
  options: { schema?: "semver" | "none"; field?: string } = {},
): Version {
  const field = options.field ?? "version";
  const s = input.trim();
  if (s === "") {
    throw new SpecError(
      "INVALID_VERSION",
      `${field}: expected a version such as 1.2.3, found an empty string`,
      {
        field,
        found: input,
      },
    );
  }
  if (options.schema === "none") return { upstream: s };
  const m = SEMVER.exec(s);
  if (!m) return { upstream: s };
  const v: Version = { upstream: m[1]! };
  if (m[2] !== undefined) v.prerelease = m[2];
  if (m[3] !== undefined) v.metadata = m[3];
  return v;
}

/** Renders a Version back to semver-like text (`1.2.3-rc.1+meta`), without epoch or release. */
export function formatSemver(v: Version): string {
  return v.upstream + (v.prerelease ? `-${v.prerelease}` : "") + (v.metadata ? `+${v.metadata}` : "");
}

/**
 * Compares two semver-like versions by semver precedence (upstream numerically, a prerelease sorts before
 * its release, metadata ignored). Used by tests to check that each format's translation keeps order.
 */
export function compareSemver(a: Version, b: Version): number {
  const pa = a.upstream.split(".");
  const pb = b.upstream.split(".");
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const c = compareIdentifier(pa[i] ?? "0", pb[i] ?? "0");
    if (c !== 0) return c;
  }
  if (a.prerelease === undefined || b.prerelease === undefined) {
    if (a.prerelease === b.prerelease) return 0;
    return a.prerelease === undefined ? 1 : -1;
  }
  const ia = a.prerelease.split(".");
  const ib = b.prerelease.split(".");
  for (let i = 0; i < Math.max(ia.length, ib.length); i++) {
    if (ia[i] === undefined) return -1;
    if (ib[i] === undefined) return 1;
    const c = compareIdentifier(ia[i]!, ib[i]!);
    if (c !== 0) return c;
  }
  return 0;
}

function compareIdentifier(a: string, b: string): number {
  const na = /^\d+$/.test(a);
  const nb = /^\d+$/.test(b);
  if (na && nb) {
    const x = BigInt(a);
    const y = BigInt(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (na !== nb) return na ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
