/**
 * Arch Linux versions: `[epoch:]pkgver-pkgrel`, compared by libalpm's `alpm_pkg_vercmp` (lib/libalpm/version.c):
 * the old rpmvercmp without tilde or caret, where a trailing alphabetic segment sorts *before* the bare
 * version (`1.0rc1 < 1.0`), and pkgrel counts only when both sides have one.
 */
import { SpecError } from "../errors.ts";
import type { Version } from "../spec/types.ts";

/** pkgver: printable ASCII without `:`, `/`, `-` or whitespace (makepkg lint_pkgbuild/pkgver.sh). */
const PKGVER = /^[!-~]+$/;
const PKGVER_FORBIDDEN = /[:/\-\s]/;
/** pkgrel: a positive integer, optionally `.subrel` (makepkg lint_pkgbuild/pkgrel.sh). */
const PKGREL = /^[1-9][0-9]*(\.[1-9][0-9]*)?$/;
/**
 * Semver prereleases that keep their order under vercmp when glued to pkgver: one alphabetic identifier
 * followed by numeric ones (`rc`, `rc.1`, `beta.2.1`). Others are rejected: a numeric first identifier
 * would glue into the number (`1.2.0` + `1` = `1.2.01`), mixed identifiers compare lexically in semver but
 * numerically in vercmp (`rc10` vs `rc2`), and a numeric identifier beats an alphabetic one in vercmp while
 * semver says the opposite (`alpha.1` vs `alpha.beta`).
 */
const PRERELEASE = /^[A-Za-z]+(?:\.(?:0|[1-9][0-9]*))*$/;

/** The parts of an Arch version string. */
export interface ArchlinuxVersion {
  epoch?: number;
  pkgver: string;
  pkgrel: string;
}

function unrepresentable(v: Version, why: string): SpecError {
  return new SpecError(
    "VERSION_UNREPRESENTABLE",
    `version: ${describe(v)} cannot be written as an Arch Linux version: ${why}`,
    {
      field: "version",
      found: describe(v),
    },
  );
}

function describe(v: Version): string {
  const epoch = v.epoch ? `${v.epoch}:` : "";
  const pre = v.prerelease !== undefined ? `-${v.prerelease}` : "";
  const meta = v.metadata !== undefined ? `+${v.metadata}` : "";
  const rel = v.release !== undefined ? ` (release ${v.release})` : "";
  return `"${epoch}${v.upstream}${pre}${meta}"${rel}`;
}

/**
 * Translates packyard's version to Arch's parts. The prerelease is glued on without a separator
 * (`1.2.0-rc.1` → pkgver `1.2.0rc.1`, which vercmp sorts before `1.2.0`); prereleases whose order vercmp
 * would not keep are rejected with VERSION_UNREPRESENTABLE. Build metadata is dropped (semver gives it no
 * precedence); pkgrel defaults to `1`.
 * @example toArchlinuxVersion({ upstream: "1.2.0", prerelease: "rc.1", release: "2" }) // { pkgver: "1.2.0rc.1", pkgrel: "2" }
 */
export function toArchlinuxVersion(v: Version): ArchlinuxVersion {
  if (!PKGVER.test(v.upstream) || PKGVER_FORBIDDEN.test(v.upstream)) {
    throw unrepresentable(
      v,
      `pkgver must be printable ASCII without ":", "/", "-" or whitespace, found "${v.upstream}"`,
    );
  }
  let pkgver = v.upstream;
  if (v.prerelease !== undefined) {
    if (!PRERELEASE.test(v.prerelease)) {
      throw unrepresentable(
        v,
        `pacman has no tilde rule, so a prerelease is glued onto pkgver and must be letters optionally followed by .numbers (rc, rc.1, beta.2) to still sort before its release; found "${v.prerelease}"`,
      );
    }
    pkgver += v.prerelease;
  }
  const pkgrel = v.release ?? "1";
  if (!PKGREL.test(pkgrel)) {
    throw new SpecError(
      "INVALID_VERSION",
      `version.release: pkgrel must be a positive integer (or N.M), found "${pkgrel}"`,
      {
        field: "version.release",
        found: pkgrel,
      },
    );
  }
  const out: ArchlinuxVersion = { pkgver, pkgrel };
  if (v.epoch !== undefined && v.epoch > 0) out.epoch = v.epoch;
  return out;
}

/** Renders `[epoch:]pkgver-pkgrel` (the epoch only when > 0). */
export function formatArchlinuxVersion(v: ArchlinuxVersion): string {
  return `${v.epoch ? `${v.epoch}:` : ""}${v.pkgver}-${v.pkgrel}`;
}

/**
 * Splits an Arch version string the way libalpm's parseEVR does: leading digits before `:` are the epoch,
 * the text after the last `-` is the release.
 */
export function parseArchlinuxVersion(s: string): { epoch?: number; pkgver: string; pkgrel?: string } {
  let i = 0;
  while (i < s.length && isDigit(s.charCodeAt(i))) i++;
  let epoch: number | undefined;
  let rest = s;
  if (s[i] === ":") {
    epoch = i === 0 ? 0 : Number(s.slice(0, i));
    rest = s.slice(i + 1);
  }
  const dash = rest.lastIndexOf("-");
  const out: { epoch?: number; pkgver: string; pkgrel?: string } = {
    pkgver: dash >= 0 ? rest.slice(0, dash) : rest,
  };
  if (dash >= 0) out.pkgrel = rest.slice(dash + 1);
  if (epoch !== undefined) out.epoch = epoch;
  return out;
}

/** Maps an Arch version back to packyard's model (best effort: a glued prerelease stays in `upstream`). */
export function archlinuxVersionToVersion(s: string): Version {
  const p = parseArchlinuxVersion(s);
  const v: Version = { upstream: p.pkgver };
  if (p.epoch !== undefined && p.epoch > 0) v.epoch = p.epoch;
  if (p.pkgrel !== undefined) v.release = p.pkgrel;
  return v;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}
function isAlpha(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

/** Byte-wise strcmp of a and b over [as, ae) and [bs, be). */
function strcmpRange(a: Uint8Array, as: number, ae: number, b: Uint8Array, bs: number, be: number): number {
  const n = Math.min(ae - as, be - bs);
  for (let k = 0; k < n; k++) {
    const d = a[as + k]! - b[bs + k]!;
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  const la = ae - as;
  const lb = be - bs;
  return la === lb ? 0 : la < lb ? -1 : 1;
}

/** libalpm's segment comparison (rpmvercmp without tilde/caret), over the UTF-8 bytes; -1, 0 or 1. */
export function rpmvercmpArch(a: string, b: string): number {
  if (a === b) return 0;
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let one = 0;
  let two = 0;
  while (one < x.length && two < y.length) {
    const sep1 = one;
    const sep2 = two;
    while (one < x.length && !isAlnum(x[one]!)) one++;
    while (two < y.length && !isAlnum(y[two]!)) two++;
    if (!(one < x.length && two < y.length)) break;
    // different separator lengths decide (version.c)
    if (one - sep1 !== two - sep2) return one - sep1 < two - sep2 ? -1 : 1;
    let p1 = one;
    let p2 = two;
    const isnum = isDigit(x[p1]!);
    if (isnum) {
      while (p1 < x.length && isDigit(x[p1]!)) p1++;
      while (p2 < y.length && isDigit(y[p2]!)) p2++;
    } else {
      while (p1 < x.length && isAlpha(x[p1]!)) p1++;
      while (p2 < y.length && isAlpha(y[p2]!)) p2++;
    }
    // segments of different types: the numeric one is newer
    if (two === p2) return isnum ? 1 : -1;
    let s1 = one;
    let s2 = two;
    if (isnum) {
      while (s1 < p1 && x[s1] === 0x30) s1++;
      while (s2 < p2 && y[s2] === 0x30) s2++;
      if (p1 - s1 !== p2 - s2) return p1 - s1 > p2 - s2 ? 1 : -1;
    }
    const rc = strcmpRange(x, s1, p1, y, s2, p2);
    if (rc !== 0) return rc;
    one = p1;
    two = p2;
  }
  const end1 = one >= x.length;
  const end2 = two >= y.length;
  if (end1 && end2) return 0;
  // a remaining alpha string never beats an empty one
  if ((end1 && !isAlpha(y[two]!)) || (!end1 && isAlpha(x[one]!))) return -1;
  return 1;
}

function isAlnum(c: number): boolean {
  return isDigit(c) || isAlpha(c);
}

/**
 * Compares two Arch version strings exactly like `vercmp` (libalpm alpm_pkg_vercmp): epoch, then pkgver,
 * then pkgrel only when both have one. Returns -1, 0 or 1.
 * @example compareArchlinuxVersions("1.0rc1-1", "1.0-1") // -1
 */
export function compareArchlinuxVersions(a: string, b: string): number {
  if (a === b) return 0;
  const pa = splitEvr(a);
  const pb = splitEvr(b);
  let r = rpmvercmpArch(pa.epoch, pb.epoch);
  if (r !== 0) return r;
  r = rpmvercmpArch(pa.version, pb.version);
  if (r === 0 && pa.release !== undefined && pb.release !== undefined)
    r = rpmvercmpArch(pa.release, pb.release);
  return r;
}

function splitEvr(s: string): { epoch: string; version: string; release?: string } {
  let i = 0;
  while (i < s.length && isDigit(s.charCodeAt(i))) i++;
  // libalpm looks for the release dash after the epoch digits (strrchr from there)
  const dashRel = s.slice(i).lastIndexOf("-");
  const dash = dashRel >= 0 ? i + dashRel : -1;
  let epoch = "0";
  let vStart = 0;
  if (s[i] === ":") {
    epoch = i === 0 ? "0" : s.slice(0, i);
    vStart = i + 1;
  }
  if (dash >= 0) return { epoch, version: s.slice(vStart, dash), release: s.slice(dash + 1) };
  return { epoch, version: s.slice(vStart) };
}
