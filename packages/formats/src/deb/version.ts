/**
 * Debian versions (deb-version(7)): translation from packyard's Version, validation with dpkg's rules
 * (lib/dpkg/parsehelp.c parseversion) and comparison with dpkg's algorithm (lib/dpkg/version.c verrevcmp).
 */
import { SpecError } from "../errors.ts";
import type { Version } from "../spec/types.ts";

/** A Debian version split into its three parts; `revision` is "" when absent. */
export interface DebVersionParts {
  epoch: number;
  upstream: string;
  revision: string;
}

/**
 * Renders a packyard Version as a Debian version: `[epoch:]upstream[~prerelease][+metadata][-release]`.
 * `~` makes a prerelease sort before its release; `+` keeps metadata after it (nfpm's rule).
 * @example debVersion({ epoch: 1, upstream: "1.2.3", prerelease: "rc.1", release: "2" }) // "1:1.2.3~rc.1-2"
 */
export function debVersion(v: Version): string {
  let s = v.upstream;
  if (v.prerelease) s += `~${v.prerelease}`;
  if (v.metadata) s += `+${v.metadata}`;
  if (v.release) s += `-${v.release}`;
  return v.epoch !== undefined && v.epoch > 0 ? `${v.epoch}:${s}` : s;
}

/** Why dpkg would reject `version`, or undefined when it accepts it (parsehelp.c parseversion, dpkg 1.21). */
export function debVersionProblem(version: string): string | undefined {
  if (version === "") return "the version is empty";
  if (/\s/.test(version)) return "a version must not contain whitespace";
  let rest = version;
  const colon = rest.indexOf(":");
  if (colon >= 0) {
    const epoch = rest.slice(0, colon);
    if (epoch === "") return "the epoch before ':' is empty";
    if (!/^[0-9]+$/.test(epoch)) return `the epoch "${epoch}" is not a number`;
    if (Number(epoch) > 2147483647) return `the epoch ${epoch} is too big`;
    rest = rest.slice(colon + 1);
    if (rest === "") return "nothing follows the epoch's ':'";
  }
  const hyphen = rest.lastIndexOf("-");
  const upstream = hyphen >= 0 ? rest.slice(0, hyphen) : rest;
  const revision = hyphen >= 0 ? rest.slice(hyphen + 1) : undefined;
  if (upstream === "") return "the upstream version is empty";
  if (revision === "") return "the revision after the last '-' is empty";
  if (!/^[0-9]/.test(upstream)) return `the upstream version "${upstream}" does not start with a digit`;
  const badUp = /[^A-Za-z0-9.+~:-]/.exec(upstream);
  if (badUp)
    return `the upstream version "${upstream}" contains "${badUp[0]}" (allowed: letters, digits, . + ~ - :)`;
  if (revision !== undefined) {
    const badRev = /[^A-Za-z0-9.+~]/.exec(revision);
    if (badRev) return `the revision "${revision}" contains "${badRev[0]}" (allowed: letters, digits, . + ~)`;
  }
  return undefined;
}

/**
 * Splits a Debian version at the first ':' and the last '-' without validating it.
 * @example parseDebVersion("1:2.0~rc1-3") // { epoch: 1, upstream: "2.0~rc1", revision: "3" }
 */
export function parseDebVersion(version: string): DebVersionParts {
  let rest = version;
  let epoch = 0;
  const colon = rest.indexOf(":");
  if (colon >= 0 && /^[0-9]+$/.test(rest.slice(0, colon))) {
    epoch = Number(rest.slice(0, colon));
    rest = rest.slice(colon + 1);
  }
  const hyphen = rest.lastIndexOf("-");
  if (hyphen < 0) return { epoch, upstream: rest, revision: "" };
  return { epoch, upstream: rest.slice(0, hyphen), revision: rest.slice(hyphen + 1) };
}

/**
 * Best-effort structured version from a Debian version string: epoch, revision as `release`, and a
 * `~prerelease` / `+metadata` split of the upstream part when it looks like our own translation.
 */
export function versionFromDeb(version: string): Version {
  const p = parseDebVersion(version);
  const v: Version = { upstream: p.upstream };
  const m = /^([0-9][0-9.]*?)(?:~([^+~]+))?(?:\+([^+~]+))?$/.exec(p.upstream);
  if (m) {
    v.upstream = m[1]!;
    if (m[2] !== undefined) v.prerelease = m[2];
    if (m[3] !== undefined) v.metadata = m[3];
  }
  if (p.epoch > 0) v.epoch = p.epoch;
  if (p.revision !== "") v.release = p.revision;
  return v;
}

/** dpkg's character weight: '~' below everything (even the end), letters by ASCII, others after letters. */
function order(c: number | undefined): number {
  if (c === undefined) return 0;
  if (c >= 0x30 && c <= 0x39) return 0;
  if ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) return c;
  if (c === 0x7e) return -1;
  return c + 256;
}

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= 0x30 && c <= 0x39;
}

/** dpkg's verrevcmp over one part (upstream or revision). */
function compareFragment(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let firstDiff = 0;
    while ((i < a.length && !isDigit(a.charCodeAt(i))) || (j < b.length && !isDigit(b.charCodeAt(j)))) {
      const ac = order(i < a.length ? a.charCodeAt(i) : undefined);
      const bc = order(j < b.length ? b.charCodeAt(j) : undefined);
      if (ac !== bc) return ac - bc;
      i++;
      j++;
    }
    while (a.charCodeAt(i) === 0x30) i++;
    while (b.charCodeAt(j) === 0x30) j++;
    while (isDigit(a.charCodeAt(i)) && isDigit(b.charCodeAt(j))) {
      if (firstDiff === 0) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (isDigit(a.charCodeAt(i))) return 1;
    if (isDigit(b.charCodeAt(j))) return -1;
    if (firstDiff !== 0) return firstDiff;
  }
  return 0;
}

/**
 * Compares two Debian versions as `dpkg --compare-versions` does; returns <0, 0 or >0.
 * @example compareDebVersions("1.0~rc1", "1.0") // < 0
 */
export function compareDebVersions(a: string, b: string): number {
  const pa = parseDebVersion(a);
  const pb = parseDebVersion(b);
  if (pa.epoch !== pb.epoch) return pa.epoch < pb.epoch ? -1 : 1;
  const up = compareFragment(pa.upstream, pb.upstream);
  if (up !== 0) return Math.sign(up);
  return Math.sign(compareFragment(pa.revision, pb.revision));
}

/** Throws SpecError INVALID_VERSION naming `field` when dpkg would reject `version`. */
export function assertDebVersion(version: string, field = "version"): void {
  const problem = debVersionProblem(version);
  if (problem !== undefined) {
    throw new SpecError(
      "INVALID_VERSION",
      `${field}: dpkg would reject the version "${version}": ${problem}`,
      {
        field,
        found: version,
      },
    );
  }
}
