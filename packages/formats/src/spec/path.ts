import { SpecError } from "../errors.ts";

/**
 * Whether `path` is already what {@link normalizeDestination} returns: absolute, at least one segment,
 * no empty, `.` or `..` segment (so no `//` and no trailing `/`), no NUL. One scan, no allocation: the
 * spec's entries almost always arrive normal (the config loader and walkers build them so), and every
 * writer validates the spec again.
 */
export function isNormalDestination(path: string): boolean {
  return scanDestination(path) !== NOT_NORMAL;
}

/** {@link scanDestination}: the path needs normalising (or is refused). */
export const NOT_NORMAL = 0;
/** {@link scanDestination}: normal, every code unit below U+D800 (UTF-16 order is UTF-8 byte order). */
export const NORMAL = 1;
/** {@link scanDestination}: normal, with a code unit at U+D800 or above (a surrogate or U+E000..U+FFFF). */
export const NORMAL_HIGH = 2;

/**
 * The one scan behind {@link isNormalDestination}, which also tells whether the path holds a code unit
 * at U+D800 or above, where UTF-16 code unit order and UTF-8 byte order part.
 */
export function scanDestination(path: string): typeof NOT_NORMAL | typeof NORMAL | typeof NORMAL_HIGH {
  const n = path.length;
  if (n < 2 || path.charCodeAt(0) !== 0x2f) return NOT_NORMAL;
  let high = false;
  let start = 1; // first code unit of the current segment
  for (let i = 1; i <= n; i++) {
    const c = i < n ? path.charCodeAt(i) : 0x2f;
    if (c === 0) return NOT_NORMAL;
    if (c >= 0xd800) high = true;
    if (c !== 0x2f) continue;
    const len = i - start;
    if (len === 0) return NOT_NORMAL;
    if (len <= 2 && path.charCodeAt(start) === 0x2e && (len === 1 || path.charCodeAt(start + 1) === 0x2e)) {
      return NOT_NORMAL;
    }
    start = i + 1;
  }
  return high ? NORMAL_HIGH : NORMAL;
}

/**
 * Normalises a destination path: makes it absolute, collapses `//` and `.` segments, drops a trailing
 * `/`. A `..` segment is rejected: a package must never write outside its root. A path that is already
 * normal is returned as it is.
 * @example normalizeDestination("usr//bin/./foo/") // "/usr/bin/foo"
 */
export function normalizeDestination(input: string, field = "path"): string {
  if (isNormalDestination(input)) return input;
  if (input.includes("\0")) {
    throw new SpecError("INVALID_PATH", `${field}: a path must not contain NUL bytes`, {
      field,
      found: input,
    });
  }
  // A leading "" joins to the leading "/": one flat string, where `/${...}` made a rope holding the
  // joined rest, slower to read (every writer reads each path again) and larger.
  const parts: string[] = [""];
  for (const seg of input.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") {
      throw new SpecError(
        "INVALID_PATH",
        `${field}: expected a path inside the package, found ".." in "${input}"`,
        {
          field,
          found: input,
        },
      );
    }
    parts.push(seg);
  }
  if (parts.length === 1) {
    throw new SpecError(
      "INVALID_PATH",
      `${field}: expected a file path, found "${input}" (the root itself)`,
      {
        field,
        found: input,
      },
    );
  }
  return parts.join("/");
}

/** Every ancestor directory of an absolute path, outermost first (`/a/b/c` → `/a`, `/a/b`). */
export function parentDirs(path: string): string[] {
  const out: string[] = [];
  if (isNormalDestination(path)) {
    // Each ancestor is the prefix before one of the path's slashes after the first.
    for (let i = path.indexOf("/", 1); i > 0; i = path.indexOf("/", i + 1)) out.push(path.slice(0, i));
    return out;
  }
  const parts = path.split("/").filter(Boolean);
  for (let i = 1; i < parts.length; i++) out.push(`/${parts.slice(0, i).join("/")}`);
  return out;
}
