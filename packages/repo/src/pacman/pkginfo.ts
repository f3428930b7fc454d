/**
 * `.PKGINFO` read the way repo-add reads it (pacman 6.0.2 scripts/repo-add.sh.in `db_write_entry`), which
 * is looser than libalpm's and than @packyard/formats' strict reader: every line goes through bash's
 * `read -r line` (surrounding blanks trimmed), then `IFS=' =' read -r var val` (field splitting on spaces
 * and one `=`), then `declare "$var=${val//+([[:space:]])/ }"`. Scalar keys keep their last value; the
 * list keys collect every value in order, empty ones included (format_entry writes them as they are).
 */

/** The `.PKGINFO` keys db_write_entry collects into lists (its `case $var in` arms). */
export const PKGINFO_LIST_KEYS = [
  "group",
  "license",
  "replaces",
  "depend",
  "conflict",
  "provides",
  "optdepend",
  "makedepend",
  "checkdepend",
] as const;

/** The `.PKGINFO` keys whose variables db_write_entry writes into `desc` (the last value wins). */
export const PKGINFO_SCALAR_KEYS = [
  "pkgname",
  "pkgbase",
  "pkgver",
  "pkgdesc",
  "size",
  "url",
  "arch",
  "builddate",
  "packager",
] as const;

export type PkginfoListKey = (typeof PKGINFO_LIST_KEYS)[number];
export type PkginfoScalarKey = (typeof PKGINFO_SCALAR_KEYS)[number];

/** What repo-add's loop leaves in its variables. */
export interface RepoAddPkginfo {
  /** Scalar keys that appeared, with their last value (possibly empty). */
  scalars: Map<PkginfoScalarKey, string>;
  /** Every list key, with its values in file order. */
  lists: Record<PkginfoListKey, string[]>;
}

/**
 * `[[:space:]]` as bash matches it in a UTF-8 locale (glibc iswspace): the ASCII blanks plus the Unicode
 * spaces that are not no-break (U+00A0, U+2007, U+202F stay). Checked against glibc 2.36 C.UTF-8.
 */
const SPACE_RUN = /[\t\n\v\f\r \u1680\u2000-\u2006\u2008-\u200a\u2028\u2029\u205f\u3000]+/g;

/** What `read -r line` with the default IFS strips from both ends of a line (newline cannot occur). */
const LINE_BLANKS = /^[ \t]+|[ \t]+$/g;

const isList = (k: string): k is PkginfoListKey => (PKGINFO_LIST_KEYS as readonly string[]).includes(k);
const isScalar = (k: string): k is PkginfoScalarKey => (PKGINFO_SCALAR_KEYS as readonly string[]).includes(k);

/**
 * One field of bash's splitting with IFS=" =": leading spaces skipped, the word runs to the first space or
 * `=`, and the delimiter after it is any spaces, then at most one `=` with the spaces after it.
 */
function splitWord(s: string): { word: string; rest: string } {
  let i = 0;
  while (s[i] === " ") i++;
  let j = i;
  while (j < s.length && s[j] !== " " && s[j] !== "=") j++;
  let k = j;
  while (s[k] === " ") k++;
  if (s[k] === "=") {
    k++;
    while (s[k] === " ") k++;
  }
  return { word: s.slice(i, j), rest: s.slice(k) };
}

/**
 * What bash's `read` assigns to its last variable (builtins/read.def): when one more word and its
 * delimiter consume the rest of the line, that word alone (so `a = b =` gives `b`); otherwise the rest
 * with trailing spaces removed (so `a = b = c` gives `b = c`).
 */
function lastField(rest: string): string {
  if (rest === "") return "";
  const next = splitWord(rest);
  if (next.rest === "") return next.word;
  return rest.replace(/ +$/, "");
}

/**
 * Reads `.PKGINFO` text as repo-add 6.0.2 does. `#` lines are skipped after trimming; a final line without
 * a newline is not read (bash's `while read` stops before it); NUL bytes are dropped (bash ignores them);
 * runs of whitespace in a value become one space. Keys other than the ones repo-add writes are ignored.
 * @example readPkginfoAsRepoAdd("pkgname = a\npkgver = 1-1\ndepend = b\n").lists.depend // ["b"]
 */
export function readPkginfoAsRepoAdd(text: string): RepoAddPkginfo {
  const out: RepoAddPkginfo = {
    scalars: new Map(),
    lists: {
      group: [],
      license: [],
      replaces: [],
      depend: [],
      conflict: [],
      provides: [],
      optdepend: [],
      makedepend: [],
      checkdepend: [],
    },
  };
  const lines = text.replaceAll("\0", "").split("\n");
  lines.pop(); // what follows the last newline: empty, or a line `while read` never hands over
  for (const raw of lines) {
    const line = raw.replace(LINE_BLANKS, "");
    if (line.startsWith("#")) continue;
    const first = splitWord(line);
    const key = first.word;
    const value = lastField(first.rest).replace(SPACE_RUN, " ");
    if (isScalar(key)) out.scalars.set(key, value);
    else if (isList(key)) out.lists[key].push(value);
  }
  return out;
}
