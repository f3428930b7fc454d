/**
 * Storage keys: what every driver accepts. A key is a relative `/`-separated path such as
 * `deb/pool/main/h/hello/hello_1.0_amd64.deb`; refusing `..`, absolute and backslash keys here, once,
 * keeps the folder driver inside its root and makes a key mean the same object on every driver.
 */
import { RepoError } from "../errors.ts";

/**
 * The name prefix of the folder driver's temporary files (skipped by listings). A key whose last segment
 * starts with it is refused by every driver, so no object can hide behind it.
 */
export const TEMP_PREFIX = ".packyard-tmp-";

/** Why `segment` cannot be a path segment of a key, or undefined when it can. */
function segmentProblem(segment: string): string | undefined {
  if (segment === "") return "an empty segment";
  if (segment === "." || segment === "..") return `a "${segment}" segment`;
  return undefined;
}

/** Why `text` cannot appear in a key or prefix at all (NUL, backslash, leading `/`), or undefined. */
function characterProblem(text: string): string | undefined {
  if (text.startsWith("/")) return "a leading /";
  if (text.includes("\0")) return "a NUL character";
  if (text.includes("\\")) return "a backslash";
  return undefined;
}

/**
 * Throws RepoError INVALID_SETTING unless `key` is a relative `/`-separated key with no empty, `.` or `..`
 * segment, no leading `/`, no NUL and no backslash. Every driver calls it before touching its store.
 *
 * @example checkKey("deb/dists/stable/InRelease"); // ok; checkKey("../etc/passwd") throws
 */
export function checkKey(key: string): void {
  let problem = typeof key !== "string" ? "not a string" : key === "" ? "empty" : characterProblem(key);
  if (problem === undefined) {
    for (const segment of key.split("/")) {
      problem = segmentProblem(segment);
      if (problem !== undefined) break;
    }
  }
  if (problem === undefined && key.slice(key.lastIndexOf("/") + 1).startsWith(TEMP_PREFIX))
    problem = `a name starting with ${TEMP_PREFIX} (reserved for temporary files)`;
  if (problem !== undefined)
    throw new RepoError(
      "INVALID_SETTING",
      `storage key ${JSON.stringify(key)} has ${problem}; expected a relative /-separated key such as deb/dists/stable/InRelease`,
      { key: String(key) },
    );
}

/**
 * Throws RepoError INVALID_SETTING unless `prefix` is a valid listing prefix: empty, or the start of a key —
 * every complete segment valid as in {@link checkKey}, the last (partial) one anything but NUL/backslash
 * (`deb/po` and `deb/` are prefixes; `../x` and `/deb` are not).
 */
export function checkPrefix(prefix: string): void {
  let problem = typeof prefix !== "string" ? "not a string" : characterProblem(prefix);
  if (problem === undefined) {
    const segments = prefix.split("/");
    segments.pop();
    for (const segment of segments) {
      problem = segmentProblem(segment);
      if (problem !== undefined) break;
    }
  }
  if (problem !== undefined)
    throw new RepoError(
      "INVALID_SETTING",
      `storage prefix ${JSON.stringify(prefix)} has ${problem}; expected the start of a relative /-separated key such as deb/pool/`,
      { prefix: String(prefix) },
    );
}

/**
 * Throws RepoError INVALID_SETTING unless `range` has an integer `start` >= 0 and, when given, an integer
 * `end` >= `start`. A range past the end of an object is valid: it yields the bytes that exist (maybe none).
 */
export function checkRange(key: string, range: { start: number; end?: number }): void {
  const { start, end } = range;
  const ok =
    Number.isSafeInteger(start) &&
    start >= 0 &&
    (end === undefined || (Number.isSafeInteger(end) && end >= start));
  if (!ok)
    throw new RepoError(
      "INVALID_SETTING",
      `byte range ${JSON.stringify(range)} of ${key} is invalid; expected integers with 0 <= start <= end`,
      { key, range: `${start}-${end ?? ""}` },
    );
}

/** Throws RepoError INVALID_SETTING unless `limit` (a listing page size) is an integer >= 1. */
export function checkLimit(limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 1)
    throw new RepoError("INVALID_SETTING", `listing limit ${limit} is invalid; expected an integer >= 1`, {
      limit: String(limit),
    });
}
