/**
 * RPM version rules: translating packyard's Version into EPOCH/VERSION/RELEASE, and comparing versions
 * exactly as rpm's rpmvercmp (lib/rpmvercmp.c) and rpmVersionCompare do, `~` and `^` included.
 */
import { SpecError } from "../errors.ts";
import type { Version } from "../spec/types.ts";

/** EPOCH / VERSION / RELEASE as written into the header. */
export interface RpmEvr {
  epoch?: number;
  version: string;
  release: string;
}

// rpm-version(7): alphanumerics, separators `.` `_` `+`, and the operators `~` `^`. No `-`.
const ALLOWED = /^[A-Za-z0-9._+~^]+$/;

/**
 * Translates a Version the way nfpm does: VERSION = upstream, then `~prerelease` (so it sorts before the
 * release), then `+metadata`; dashes inside prerelease/metadata become `_`. RELEASE = release or `1`.
 * Throws SpecError VERSION_UNREPRESENTABLE when a character rpm forbids remains.
 * @example rpmEvr({ upstream: "1.2.0", prerelease: "rc-1" }) // { version: "1.2.0~rc_1", release: "1" }
 */
export function rpmEvr(v: Version): RpmEvr {
  let version = v.upstream;
  if (v.prerelease) version += `~${v.prerelease.replaceAll("-", "_")}`;
  if (v.metadata) version += `+${v.metadata.replaceAll("-", "_")}`;
  const release = v.release === undefined || v.release === "" ? "1" : v.release;
  for (const [field, value] of [
    ["version", version],
    ["version.release", release],
  ] as const) {
    if (!ALLOWED.test(value)) {
      throw new SpecError(
        "VERSION_UNREPRESENTABLE",
        `${field}: rpm allows only letters, digits and . _ + ~ ^ (no "-"), found "${value}"`,
        { field, found: value },
      );
    }
  }
  const out: RpmEvr = { version, release };
  if (v.epoch !== undefined && v.epoch !== 0) out.epoch = v.epoch;
  return out;
}

/** `[E:]V-R` as rpm prints it (`%{EVR}`). */
export function formatEvr(evr: RpmEvr): string {
  return `${evr.epoch !== undefined ? `${evr.epoch}:` : ""}${evr.version}-${evr.release}`;
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= "0" && c <= "9";
}
function isAlpha(c: string | undefined): boolean {
  return c !== undefined && ((c >= "a" && c <= "z") || (c >= "A" && c <= "Z"));
}

/**
 * rpmvercmp: compares two version (or release) strings; returns -1, 0 or 1.
 * @example compareRpmVersions("1.0~rc1", "1.0") // -1
 */
export function compareRpmVersions(a: string, b: string): number {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while (i < a.length && !isAlpha(a[i]) && !isDigit(a[i]) && a[i] !== "~" && a[i] !== "^") i++;
    while (j < b.length && !isAlpha(b[j]) && !isDigit(b[j]) && b[j] !== "~" && b[j] !== "^") j++;
    // `~` sorts before everything, even the end of the string.
    if (a[i] === "~" || b[j] === "~") {
      if (a[i] !== "~") return 1;
      if (b[j] !== "~") return -1;
      i++;
      j++;
      continue;
    }
    // `^` sorts after the end of the string but before anything else.
    if (a[i] === "^" || b[j] === "^") {
      if (i >= a.length) return -1;
      if (j >= b.length) return 1;
      if (a[i] !== "^") return 1;
      if (b[j] !== "^") return -1;
      i++;
      j++;
      continue;
    }
    if (!(i < a.length && j < b.length)) break;
    const si = i;
    const sj = j;
    const numeric = isDigit(a[i]);
    if (numeric) {
      while (isDigit(a[i])) i++;
      while (isDigit(b[j])) j++;
    } else {
      while (isAlpha(a[i])) i++;
      while (isAlpha(b[j])) j++;
    }
    // A numeric segment is newer than an alpha one.
    if (j === sj) return numeric ? 1 : -1;
    let x = a.slice(si, i);
    let y = b.slice(sj, j);
    if (numeric) {
      x = x.replace(/^0+/, "");
      y = y.replace(/^0+/, "");
      if (x.length !== y.length) return x.length > y.length ? 1 : -1;
    }
    if (x !== y) return x < y ? -1 : 1;
  }
  if (i >= a.length && j >= b.length) return 0;
  return i < a.length ? 1 : -1;
}

/** Compares full EVRs as rpm does: epoch (absent = 0), then version, then release when both have one. */
export function compareRpmEvr(
  a: { epoch?: number; version: string; release?: string },
  b: { epoch?: number; version: string; release?: string },
): number {
  const ea = a.epoch ?? 0;
  const eb = b.epoch ?? 0;
  if (ea !== eb) return ea < eb ? -1 : 1;
  const v = compareRpmVersions(a.version, b.version);
  if (v !== 0) return v;
  if (a.release === undefined || b.release === undefined) return 0;
  return compareRpmVersions(a.release, b.release);
}

/** Parses `[E:]V[-R]` (the last `-` separates the release). */
export function parseEvr(s: string): { epoch?: number; version: string; release?: string } {
  let rest = s;
  let epoch: number | undefined;
  const colon = /^(\d+):/.exec(rest);
  if (colon) {
    epoch = Number(colon[1]);
    rest = rest.slice(colon[0].length);
  }
  const dash = rest.lastIndexOf("-");
  const out: { epoch?: number; version: string; release?: string } = {
    version: dash < 0 ? rest : rest.slice(0, dash),
  };
  if (dash >= 0) out.release = rest.slice(dash + 1);
  if (epoch !== undefined) out.epoch = epoch;
  return out;
}

/**
 * Orders `[E:]V-R` strings as rpm orders packages (lib/rpmver.c rpmverCmp, what Lua's `rpm.vercmp` runs):
 * epoch (absent = 0), version, release. A side without a release compares as an empty release, so
 * `1.0` < `1.0-1`, unlike a dependency range, where a missing release matches any.
 */
export function compareRpmVersionStrings(a: string, b: string): number {
  const x = parseEvr(a);
  const y = parseEvr(b);
  return compareRpmEvr({ ...x, release: x.release ?? "" }, { ...y, release: y.release ?? "" });
}
