/**
 * The APKINDEX text (apk-package(5), apk-repositories(5)): one block of `X:value` lines per package, each
 * block followed by one empty line, in the order apk-tools v2.14 writes them (src/package.c
 * `apk_pkg_write_index_header`, `apk_pkg_write_index_entry`):
 *
 *     C P V A S I T U L, then o m t c k when set, then D p i when not empty
 *
 * T:, U: and L: are written even when empty. t: and k: are left out when zero (apk tests the number). r:
 * (replaces) and q: (replaces_priority) are not index fields: apk-tools writes them only into the
 * installed database (src/database.c `apk_db_fdb_write`), so they are not written here either.
 */
import { compareApkVersions } from "@packyard/formats/apk";
import { RepoError } from "../errors.ts";
import type { ApkEntry, ApkIndexInfo } from "./types.ts";

const DIGITS = /^[0-9]+$/;
const ZERO = /^0+$/;
/** What no value may hold: a line break would start another field, NUL ends apk's C strings. */
const LINE_BREAK = /[\n\r\0]/;
/** An architecture is one word that is also a folder name. */
const ARCH = /^[^\s/\0]+$/;

function corrupt(entry: string, field: string, what: string, found: unknown): RepoError {
  return new RepoError("CORRUPT_STATE", `APKINDEX entry ${entry}: ${field} ${what}`, {
    package: entry,
    field,
    found,
  });
}

/** A one-line value, or a CORRUPT_STATE error naming the entry and field. */
function line(entry: string, field: string, value: string): string {
  if (LINE_BREAK.test(value))
    throw corrupt(entry, field, "holds a line break or NUL, which an index line cannot carry", value);
  return value;
}

/** A decimal number written as apk writes numbers. */
function number(entry: string, field: string, value: string): string {
  if (!DIGITS.test(value)) throw corrupt(entry, field, "must be an unsigned decimal number", value);
  return value;
}

/** A list field: items joined by one space (apk_deps_write), each one token. */
function list(entry: string, field: string, items: readonly string[]): string {
  for (const item of items)
    if (item === "" || /\s|\0/.test(item))
      throw corrupt(entry, field, "holds an item that is empty or has blanks; each item is one token", item);
  return items.join(" ");
}

/**
 * Names in apk's display order (src/apk_database.h `apk_name_cmp_display`): ASCII case-insensitive first,
 * then byte order, so the order does not depend on the locale.
 */
export function compareApkNames(a: string, b: string): number {
  const x = Buffer.from(a, "utf8");
  const y = Buffer.from(b, "utf8");
  const fold = (c: number) => (c >= 0x41 && c <= 0x5a ? c + 0x20 : c);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = fold(x[i]!) - fold(y[i]!);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  if (x.length !== y.length) return x.length < y.length ? -1 : 1;
  return Buffer.compare(x, y);
}

function byteCompare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

/**
 * The order of index blocks: by name (apk's display order), then version (apk's version order, newest
 * last, as apk_pkg_cmp_display), then checksum; version text and size only break the ties apk leaves, so
 * that the same entries give the same text whatever order they come in.
 */
export function compareApkEntries(a: ApkEntry, b: ApkEntry): number {
  return (
    compareApkNames(a.info.name, b.info.name) ||
    compareApkVersions(a.info.version, b.info.version) ||
    byteCompare(a.info.checksum, b.info.checksum) ||
    byteCompare(a.info.version, b.info.version) ||
    a.size - b.size
  );
}

/** One package's block, ending with its empty line. */
function block(entry: ApkEntry, arch: string): string {
  const info: ApkIndexInfo = entry.info;
  const id = `${info.name || "?"}-${info.version || "?"}`;
  for (const [field, value] of [
    ["C", info.checksum],
    ["P", info.name],
    ["V", info.version],
  ] as const)
    if (value === "") throw corrupt(id, `${field}:`, "is empty; apk drops an entry without it", value);
  if (!Number.isSafeInteger(entry.size) || entry.size < 0)
    throw corrupt(id, "S:", "must be the file size in bytes", entry.size);
  // `apk index --rewrite-arch` (abuild): the client fetches <repo>/<A:>/<P>-<V>.apk, so a noarch
  // package copied into this folder must say this folder's arch.
  const own = info.arch === "" || info.arch === "noarch" ? arch : info.arch;
  const lines = [
    `C:${line(id, "C:", info.checksum)}`,
    `P:${line(id, "P:", info.name)}`,
    `V:${line(id, "V:", info.version)}`,
    `A:${line(id, "A:", own)}`,
    `S:${entry.size}`,
    `I:${number(id, "I:", info.installedSize)}`,
    `T:${line(id, "T:", info.description)}`,
    `U:${line(id, "U:", info.url)}`,
    `L:${line(id, "L:", info.license)}`,
  ];
  if (info.origin !== undefined && info.origin !== "") lines.push(`o:${line(id, "o:", info.origin)}`);
  if (info.maintainer !== undefined && info.maintainer !== "")
    lines.push(`m:${line(id, "m:", info.maintainer)}`);
  if (info.buildTime !== undefined && !ZERO.test(number(id, "t:", info.buildTime)))
    lines.push(`t:${info.buildTime}`);
  if (info.commit !== undefined && info.commit !== "") lines.push(`c:${line(id, "c:", info.commit)}`);
  if (info.providerPriority !== undefined && !ZERO.test(number(id, "k:", info.providerPriority)))
    lines.push(`k:${info.providerPriority}`);
  for (const [field, items] of [
    ["D:", info.depends],
    ["p:", info.provides],
    ["i:", info.installIf],
  ] as const)
    if (items.length > 0) lines.push(`${field}${list(id, field, items)}`);
  return `${lines.join("\n")}\n\n`;
}

/**
 * The APKINDEX text of `entries` for the folder of `arch`: one block per entry in apk-tools' field order,
 * sorted by {@link compareApkEntries}, every block (the last too) followed by an empty line. `A:` is `arch`
 * for noarch packages (as `apk index --rewrite-arch`), the package's own otherwise; `S:` is the entry's
 * size.
 * @throws RepoError INVALID_SETTING for an `arch` that is empty, not one word, or `noarch` (no client has
 * it); CORRUPT_STATE for an entry
 * whose value cannot be written (line break, empty identity, a number that is not one).
 * @example apkIndexText([{ info, size: 4096 }], "x86_64") // "C:Q1…=\nP:hello\nV:1.0-r0\nA:x86_64\n…\n\n"
 */
export function apkIndexText(entries: readonly ApkEntry[], arch: string): string {
  if (!ARCH.test(arch) || arch === "noarch")
    throw new RepoError(
      "INVALID_SETTING",
      `APKINDEX: expected the architecture of a client (one word, no "/", not noarch), found ${JSON.stringify(arch)}`,
      { field: "arch", expected: "an Alpine architecture such as x86_64", found: arch },
    );
  return [...entries]
    .sort(compareApkEntries)
    .map((e) => block(e, arch))
    .join("");
}
