/**
 * The two text files of a sync database entry, byte for byte as repo-add 6.0.2 writes them: `desc`
 * (db_write_entry's format_entry calls, in its order) and `files` (`%FILES%` then the member list).
 */
import type { PacmanEntry, PacmanIndexInfo } from "./types.ts";

/**
 * One block as repo-add's format_entry writes it: nothing when the first value is empty or missing,
 * otherwise `%FIELD%`, every value on its own line (later empty values included) and a blank line.
 */
function block(field: string, ...values: readonly string[]): string {
  if (values.length === 0 || values[0] === "") return "";
  let s = `%${field}%\n`;
  for (const v of values) s += `${v}\n`;
  return `${s}\n`;
}

const one = (v: string | undefined): string[] => (v === undefined ? [] : [v]);

/** Standard base64 with padding on one line (repo-add: `base64 "$pkgfile.sig" | tr -d '\n'`). */
function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

/**
 * The `desc` file of a package's database entry: FILENAME, NAME, BASE, VERSION, DESC, GROUPS, CSIZE,
 * ISIZE, MD5SUM, SHA256SUM, PGPSIG, URL, LICENSE, ARCH, BUILDDATE, PACKAGER, REPLACES, CONFLICTS,
 * PROVIDES, DEPENDS, OPTDEPENDS, MAKEDEPENDS, CHECKDEPENDS, each `%FIELD%\nvalue\n…\n\n`, blocks without a
 * value left out. `%PGPSIG%` (base64 of `entry.signature`) only when `includeSignature` and a signature is
 * given: pacman ≥ 6 fetches the `.sig` beside the package anyway.
 * @example pacmanDescText(entry, false).startsWith("%FILENAME%\nhello-1.0-1-any.pkg.tar.zst\n\n")
 */
export function pacmanDescText(entry: PacmanEntry, includeSignature: boolean): string {
  const i = entry.info;
  const sig =
    includeSignature && entry.signature !== undefined && entry.signature.length > 0
      ? base64(entry.signature)
      : undefined;
  return [
    block("FILENAME", entry.filename),
    block("NAME", i.name),
    block("BASE", ...one(i.base)),
    block("VERSION", i.version),
    block("DESC", ...one(i.desc)),
    block("GROUPS", ...i.groups),
    block("CSIZE", String(entry.csize)),
    block("ISIZE", ...one(i.isize)),
    block("MD5SUM", entry.md5),
    block("SHA256SUM", entry.sha256),
    block("PGPSIG", ...one(sig)),
    block("URL", ...one(i.url)),
    block("LICENSE", ...i.licenses),
    block("ARCH", i.arch),
    block("BUILDDATE", ...one(i.builddate)),
    block("PACKAGER", ...one(i.packager)),
    block("REPLACES", ...i.replaces),
    block("CONFLICTS", ...i.conflicts),
    block("PROVIDES", ...i.provides),
    block("DEPENDS", ...i.depends),
    block("OPTDEPENDS", ...i.optdepends),
    block("MAKEDEPENDS", ...i.makedepends),
    block("CHECKDEPENDS", ...i.checkdepends),
  ].join("");
}

/**
 * The `files` file of a package's entry in the files database: `%FILES%` and one member name per line,
 * with no blank line after it (an empty package gives `%FILES%\n` alone).
 * @example pacmanFilesText(info) // "%FILES%\nusr/\nusr/bin/\nusr/bin/hello\n"
 */
export function pacmanFilesText(info: PacmanIndexInfo): string {
  let s = "%FILES%\n";
  for (const f of info.files) s += `${f}\n`;
  return s;
}
