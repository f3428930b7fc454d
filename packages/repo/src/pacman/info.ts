/**
 * What pacman's sync databases need of one Arch package, taken from its PackageInfo the way repo-add
 * (pacman 6.0.2 `db_write_entry`) takes it from the package file: the `desc` fields from `.PKGINFO`
 * (pkginfo.ts) and the `files` list from the archive's member names. Pure: the result is stored in the
 * repository state and the databases are rebuilt from it alone.
 */
import type { FileInfo, PackageInfo } from "@packyard/formats";
import { RepoError } from "../errors.ts";
import { compareByteOrder } from "./byte-order.ts";
import { type PkginfoScalarKey, readPkginfoAsRepoAdd } from "./pkginfo.ts";
import type { PacmanIndexInfo } from "./types.ts";

/**
 * Characters bsdtar's listing escapes in a UTF-8 locale (tar/util.c `safe_fprintf`: not `iswprint`, or a
 * backslash): controls, unassigned code points, lone surrogates and the line/paragraph separators (glibc's
 * print class; checked against glibc 2.36 C.UTF-8, whose Unicode 14 tables agree with these classes).
 */
const ESCAPED = /[\\\p{Cc}\p{Cn}\p{Cs}\u2028\u2029]/u;

/** bsdtar_expand_char's named escapes. */
const NAMED_ESCAPES: Record<number, string> = {
  7: "\\a",
  8: "\\b",
  12: "\\f",
  10: "\\n",
  13: "\\r",
  9: "\\t",
  11: "\\v",
  92: "\\\\",
};

const encoder = new TextEncoder();

/**
 * An archive member name as `bsdtar -tf` prints it in a UTF-8 locale: printable characters as they are,
 * the others byte by byte as `\a \b \f \n \r \t \v \\` or `\ooo`.
 */
function listingName(name: string): string {
  if (!ESCAPED.test(name)) return name;
  let out = "";
  for (const ch of name) {
    if (!ESCAPED.test(ch)) {
      out += ch;
      continue;
    }
    for (const byte of encoder.encode(ch)) {
      out += NAMED_ESCAPES[byte] ?? `\\${byte.toString(8).padStart(3, "0")}`;
    }
  }
  return out;
}

/**
 * The `files` entry lines of a package (repo-add: `bsdtar --exclude='^.*' -tf pkg | LC_ALL=C sort -u`):
 * every member name relative to the root, directories with a trailing `/`, escaped as bsdtar lists them,
 * in byte order without repeats. Metadata members (`.PKGINFO`, `.MTREE`, …) are not in `info.files`.
 */
export function pacmanFileList(files: readonly FileInfo[]): string[] {
  const names = new Set<string>();
  for (const f of files) {
    const rel = f.path.replace(/^\/+/, "");
    if (rel === "") continue;
    names.add(listingName(f.type === "dir" ? `${rel}/` : rel));
  }
  return [...names].sort(compareByteOrder);
}

function corrupt(where: string, message: string, data: Record<string, unknown>): RepoError {
  return new RepoError("CORRUPT_PACKAGE", `${where}: ${message}`, { package: where, ...data });
}

/**
 * The pacman index record of an Arch package's PackageInfo: the `desc` fields from `raw.pkginfo` read as
 * repo-add reads `.PKGINFO` (`#` lines skipped, `key = value`, runs of whitespace in a value made one
 * space, list keys repeated, the last value of a scalar key kept) and the `files` list as repo-add writes
 * it. `where` names the package in errors (default `<name> <version>`).
 * @throws RepoError UNSUPPORTED_PACKAGE when the PackageInfo is not an Arch package's; CORRUPT_PACKAGE when
 * `.PKGINFO` has no (or an empty) pkgname or pkgver (repo-add: "Invalid package file"), or when either
 * holds a `/` (repo-add could not make the entry's folder).
 * @example pacmanIndexInfo(await readPackage(source, "hello-1.0-1-any.pkg.tar.zst")).version // "1.0-1"
 */
export function pacmanIndexInfo(info: PackageInfo, where?: string): PacmanIndexInfo {
  const at = where ?? `${info.name} ${info.versionString}`;
  if (info.format !== "archlinux") {
    throw new RepoError(
      "UNSUPPORTED_PACKAGE",
      `${at}: expected an Arch package (.pkg.tar.*) for a pacman repository, found a ${info.format} package`,
      { package: at, expected: "archlinux", found: info.format },
    );
  }
  const raw = info.raw;
  if (raw.format !== "archlinux") {
    throw corrupt(
      at,
      `expected the raw .PKGINFO of an Arch package, found raw data of a ${raw.format} package`,
      {
        field: "raw.format",
        expected: "archlinux",
        found: raw.format,
      },
    );
  }
  const p = readPkginfoAsRepoAdd(raw.pkginfo);
  const get = (k: PkginfoScalarKey): string | undefined => {
    const v = p.scalars.get(k);
    return v === "" ? undefined : v;
  };
  const required = (k: "pkgname" | "pkgver"): string => {
    const v = get(k);
    if (v === undefined) {
      throw corrupt(
        at,
        `.PKGINFO has no ${k} (repo-add: "Invalid package file"): expected a "${k} = …" line with a value, found ${p.scalars.has(k) ? "an empty value" : "none"}`,
        { field: k, expected: `${k} = <value>`, found: p.scalars.get(k) ?? null },
      );
    }
    if (v.includes("/")) {
      throw corrupt(
        at,
        `.PKGINFO ${k} must not contain "/" (it names a database folder), found ${JSON.stringify(v)}`,
        {
          field: k,
          expected: `a ${k} without "/"`,
          found: v,
        },
      );
    }
    return v;
  };
  const out: PacmanIndexInfo = {
    name: required("pkgname"),
    version: required("pkgver"),
    groups: p.lists.group,
    licenses: p.lists.license,
    arch: p.scalars.get("arch") ?? "",
    replaces: p.lists.replaces,
    conflicts: p.lists.conflict,
    provides: p.lists.provides,
    depends: p.lists.depend,
    optdepends: p.lists.optdepend,
    makedepends: p.lists.makedepend,
    checkdepends: p.lists.checkdepend,
    files: pacmanFileList(info.files),
  };
  const optional = [
    ["base", "pkgbase"],
    ["desc", "pkgdesc"],
    ["isize", "size"],
    ["url", "url"],
    ["builddate", "builddate"],
    ["packager", "packager"],
  ] as const;
  for (const [field, key] of optional) {
    const v = get(key);
    if (v !== undefined) out[field] = v;
  }
  return out;
}
