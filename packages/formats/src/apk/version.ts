/**
 * Alpine versions (apk-package(5), apk-tools src/version.c):
 * `number{.number}…{letter}{_suffix{number}}…{~hash}{-rN}`.
 * Translation from packyard's semver-like Version, validation, and comparison by apk's documented rules.
 */
import { SpecError } from "../errors.ts";
import type { Version } from "../spec/types.ts";

/**
 * Token kinds in the order apk ranks them when two versions diverge in shape: when the kinds differ at
 * the first differing position, the version whose token kind ranks higher is the older one — except that a
 * pre-release suffix always makes its version older.
 */
const KIND = {
  initial: 0,
  digit: 1,
  letter: 2,
  suffix: 3,
  suffixNumber: 4,
  hash: 5,
  revision: 6,
  end: 7,
  invalid: 8,
} as const;
type Kind = (typeof KIND)[keyof typeof KIND];

/** Suffix ranks: pre-releases below `NONE` (a plain release), post-releases above. */
const SUFFIX_RANK: Readonly<Record<string, number>> = {
  alpha: 1,
  beta: 2,
  pre: 3,
  rc: 4,
  cvs: 6,
  svn: 7,
  git: 8,
  hg: 9,
  p: 10,
};
const SUFFIX_NONE = 5;

/** Pre-release suffixes, lowest first; semver pre-releases map onto them. */
export const APK_PRERELEASE_SUFFIXES: readonly string[] = ["alpha", "beta", "pre", "rc"];

interface Token {
  kind: Kind;
  /** The token's characters (digits, letter, suffix word or hash). */
  text: string;
  /** Numeric value for digit-like tokens, rank for suffixes. */
  value: bigint;
}

/** Splits a version into tokens; the last token is `end` (valid) or `invalid` (where parsing stopped). */
function tokenize(s: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const digits = (kind: Kind): boolean => {
    const m = /^[0-9]+/.exec(s.slice(i));
    if (m === null) return false;
    out.push({ kind, text: m[0], value: BigInt(m[0]) });
    i += m[0].length;
    return true;
  };
  if (!digits(KIND.initial)) return [{ kind: KIND.invalid, text: s, value: 0n }];
  while (true) {
    const prev = out[out.length - 1]!.kind;
    if (i >= s.length) {
      out.push({ kind: KIND.end, text: "", value: 0n });
      return out;
    }
    const c = s[i]!;
    let ok = false;
    if (c >= "a" && c <= "z") {
      // one lowercase letter, directly after the numbers
      if (prev <= KIND.digit) {
        out.push({ kind: KIND.letter, text: c, value: BigInt(c.charCodeAt(0)) });
        i++;
        ok = true;
      }
    } else if (c === "." || (c >= "0" && c <= "9")) {
      if (c === "." && prev <= KIND.digit) {
        i++;
        ok = digits(KIND.digit);
      } else if (c !== "." && prev === KIND.suffix) {
        ok = digits(KIND.suffixNumber);
      }
    } else if (c === "_") {
      if (prev <= KIND.suffixNumber) {
        const m = /^[a-z]*/.exec(s.slice(i + 1))!;
        const rank = SUFFIX_RANK[m[0]];
        if (rank !== undefined) {
          out.push({ kind: KIND.suffix, text: m[0], value: BigInt(rank) });
          i += 1 + m[0].length;
          ok = true;
        }
      }
    } else if (c === "~") {
      if (prev < KIND.hash) {
        const m = /^[0-9a-fA-F]+/.exec(s.slice(i + 1));
        if (m !== null) {
          out.push({ kind: KIND.hash, text: m[0], value: 0n });
          i += 1 + m[0].length;
          ok = true;
        }
      }
    } else if (c === "-") {
      if (prev < KIND.revision && s[i + 1] === "r") {
        i += 2;
        ok = digits(KIND.revision);
      }
    }
    if (!ok) {
      out.push({ kind: KIND.invalid, text: s.slice(i), value: 0n });
      return out;
    }
  }
}

/** True when `s` is a version apk accepts (`1.2.3`, `1.0_rc1-r0`, `2.4b_p3~ab12-r10`). */
export function isValidApkVersion(s: string): boolean {
  return tokenize(s).at(-1)!.kind === KIND.end;
}

function byteCompare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareSame(a: Token, b: Token): number {
  switch (a.kind) {
    case KIND.digit:
      // A component with a leading zero compares as a string (Gentoo rule: 1.01 < 1.1, 1.001 < 1.01).
      if (a.text.startsWith("0") || b.text.startsWith("0")) return byteCompare(a.text, b.text);
      return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
    case KIND.hash:
    case KIND.invalid:
      return byteCompare(a.text, b.text);
    default:
      return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
  }
}

/**
 * Compares two apk versions by apk's rules: -1, 0 or 1. Numbers compare numerically, pre-release
 * suffixes (`_alpha` < `_beta` < `_pre` < `_rc`) sort before the release, post-release ones
 * (`_cvs` < `_svn` < `_git` < `_hg` < `_p`) after it, and `-rN` breaks ties.
 * @example compareApkVersions("1.0_rc1-r0", "1.0-r0") // -1
 */
export function compareApkVersions(a: string, b: string): number {
  const ta = tokenize(a);
  const tb = tokenize(b);
  let i = 0;
  while (ta[i]!.kind === tb[i]!.kind && ta[i]!.kind < KIND.end) {
    const c = compareSame(ta[i]!, tb[i]!);
    if (c !== 0) return c;
    i++;
  }
  const x = ta[i]!;
  const y = tb[i]!;
  if (x.kind === y.kind) return x.kind === KIND.invalid ? compareSame(x, y) : 0;
  // Shapes diverge: a pre-release suffix is older than anything; otherwise the longer version is newer.
  if (x.kind === KIND.suffix && x.value < SUFFIX_NONE) return -1;
  if (y.kind === KIND.suffix && y.value < SUFFIX_NONE) return 1;
  return x.kind > y.kind ? -1 : 1;
}

function unrepresentable(field: string, what: string, found: unknown): SpecError {
  return new SpecError("VERSION_UNREPRESENTABLE", `${field}: ${what}`, { field, found });
}

/**
 * Maps a semver pre-release onto an apk pre-release suffix, keeping semver order: `alpha` → `_alpha`,
 * `alpha.1` and `alpha1` → `_alpha1`, likewise `beta`, `pre`, `rc`. Anything else has no apk form.
 * @throws SpecError VERSION_UNREPRESENTABLE naming the pre-release.
 */
export function apkPrerelease(prerelease: string, field = "version.prerelease"): string {
  const m = /^(alpha|beta|pre|rc)(?:\.?([0-9]+))?$/.exec(prerelease);
  if (m === null) {
    throw unrepresentable(
      field,
      `the pre-release "${prerelease}" has no apk form that sorts before the release; use alpha, beta, pre or rc with an optional number (alpha.1 → _alpha1)`,
      prerelease,
    );
  }
  return `_${m[1]}${m[2] ?? ""}`;
}

/**
 * Renders a Version as apk's `pkgver`: `<upstream>[_<pre>N]-r<release>` (release defaults to 0; `-rN` is
 * always written). Build metadata is not part of the result (semver ignores it for ordering): callers warn.
 * @throws SpecError VERSION_UNREPRESENTABLE for an epoch, a pre-release with no apk form, a non-numeric
 * release, or an upstream version apk cannot parse.
 * @example toApkVersion({ upstream: "1.2.0", prerelease: "rc.1", release: "2" }) // "1.2.0_rc1-r2"
 */
export function toApkVersion(v: Version, field = "version"): string {
  if (v.epoch !== undefined && v.epoch !== 0) {
    throw unrepresentable(
      `${field}.epoch`,
      `apk versions have no epoch; found epoch ${v.epoch} (drop it for apk with overrides.apk)`,
      v.epoch,
    );
  }
  const base =
    v.upstream +
    (v.prerelease !== undefined && v.prerelease !== ""
      ? apkPrerelease(v.prerelease, `${field}.prerelease`)
      : "");
  const tokens = tokenize(base);
  const last = tokens.at(-1)!;
  if (last.kind !== KIND.end || tokens.some((t) => t.kind === KIND.revision)) {
    throw unrepresentable(
      `${field}.upstream`,
      `"${v.upstream}" is not an apk version (expected number{.number}{letter}{_suffix{number}}, e.g. 1.2.3 or 1.2.3_rc1); stopped at "${last.text}"`,
      v.upstream,
    );
  }
  const release = v.release ?? "0";
  if (!/^[0-9]+$/.test(release)) {
    throw unrepresentable(`${field}.release`, `apk revisions are numbers (-rN); found "${release}"`, release);
  }
  return `${base}-r${BigInt(release).toString()}`;
}

/**
 * Reads an apk `pkgver` back into a Version, best effort: `-rN` becomes `release`, one trailing
 * pre-release suffix becomes a semver pre-release (`_rc1` → `rc.1`), the rest stays in `upstream`.
 */
export function fromApkVersion(s: string): Version {
  const m = /^(.*?)(?:-r([0-9]+))?$/.exec(s)!;
  const v: Version = { upstream: m[1]! };
  if (m[2] !== undefined) v.release = m[2];
  const pre = /^([0-9][0-9.]*)_(alpha|beta|pre|rc)([0-9]*)$/.exec(v.upstream);
  if (pre !== null && isValidApkVersion(pre[1]!)) {
    v.upstream = pre[1]!;
    v.prerelease = pre[3] === "" ? pre[2]! : `${pre[2]}.${pre[3]}`;
  }
  return v;
}
