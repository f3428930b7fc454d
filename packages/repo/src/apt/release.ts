/**
 * The `Release` file of a suite (repos.md §2.2): one deb822 stanza with the suite's identity, its Date
 * (RFC 2822, UTC, the only form apt parses), the architectures and components it serves, and the size and
 * hashes of every index file. Only strong hashes are listed: apt ignores MD5Sum/SHA1 for security and a
 * Release with only those is refused. No line ends in whitespace: cleartext signing would not hash it.
 */
import { RepoError } from "../errors.ts";
import type { AptSettings } from "../publish/state.ts";
import { validateAptSettings } from "./settings.ts";

/** An index file as the Release lists it. */
export interface ReleaseFile {
  /** Path relative to `dists/<suite>/` (`main/binary-amd64/Packages.gz`). */
  path: string;
  size: number;
  sha256: string;
  /** Needed when the suite lists SHA512. */
  sha512?: string;
}

/** What {@link releaseText} takes besides the settings. */
export interface ReleaseOptions {
  /** The Release date; Valid-Until is `date + settings.validFor`. */
  date: Date;
  files: readonly ReleaseFile[];
}

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function two(n: number): string {
  return String(n).padStart(2, "0");
}

/**
 * A date as APT's Release wants it: RFC 2822 with English names, in UTC, spelt `UTC` (apt also takes
 * GMT, Z and +0000, not other offsets nor ISO 8601), seconds precision.
 * @example formatAptDate(new Date("2026-12-06T02:03:04Z")) // "Sun, 06 Dec 2026 02:03:04 UTC"
 * @throws RepoError INVALID_SETTING for an invalid date or a year outside 1970–9999.
 */
export function formatAptDate(d: Date): string {
  const year = d.getUTCFullYear();
  if (Number.isNaN(d.getTime()) || year < 1970 || year > 9999)
    throw new RepoError(
      "INVALID_SETTING",
      `APT date: expected a date between 1970 and 9999, found ${String(d)}`,
      {
        field: "date",
        found: String(d),
      },
    );
  return (
    `${DAYS[d.getUTCDay()]}, ${two(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${year} ` +
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} UTC`
  );
}

/** Renders a free-text value as one field: single line, or continuation lines (blank ones as ` .`). */
function textField(name: string, value: string | undefined): string {
  if (value === undefined) return "";
  const lines = value.split("\n").map((l) => l.trim());
  while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  while (lines.length > 0 && lines[0] === "") lines.shift();
  if (lines.length === 0) return "";
  const [first = "", ...rest] = lines;
  let out = `${name}: ${first}\n`;
  for (const l of rest) out += l === "" ? " .\n" : ` ${l}\n`;
  return out;
}

function badFile(file: ReleaseFile, expected: string): RepoError {
  return new RepoError(
    "INVALID_SETTING",
    `Release file list: expected ${expected}, found ${JSON.stringify(file)}`,
    {
      field: "files",
      path: file.path,
      expected,
    },
  );
}

function checkFile(file: ReleaseFile, sha512: boolean): void {
  // Hash list lines are whitespace-separated: a path with whitespace cannot be listed.
  if (file.path === "" || /\s/.test(file.path) || file.path.startsWith("/"))
    throw badFile(file, "a relative path without whitespace");
  if (!Number.isSafeInteger(file.size) || file.size < 0) throw badFile(file, "a size in bytes");
  if (!/^[0-9a-f]{64}$/.test(file.sha256)) throw badFile(file, "a lowercase hex SHA-256");
  if (sha512 && !/^[0-9a-f]{128}$/.test(file.sha512 ?? "")) throw badFile(file, "a lowercase hex SHA-512");
}

/** A hash list: an empty first line, then ` <hex> <size, right-aligned to 16> <path>` (apt-ftparchive's layout). */
function hashList(name: string, files: readonly ReleaseFile[], hash: (f: ReleaseFile) => string): string {
  let out = `${name}:\n`;
  for (const f of files) out += ` ${hash(f)} ${String(f.size).padStart(16)} ${f.path}\n`;
  return out;
}

/**
 * The Release text: Origin, Label, Suite, Version, Codename, Date, Valid-Until, Acquire-By-Hash,
 * Architectures, Components, Description (Debian's order; absent optional fields left out), then the
 * SHA256 list and, when the suite lists it, the SHA512 list, files sorted by path. Ends with a newline.
 * @throws RepoError INVALID_SETTING for settings {@link validateAptSettings} refuses, an invalid date, or a
 * file entry with a bad path, size or hash (or without sha512 when SHA512 is listed).
 */
export function releaseText(settings: AptSettings, options: ReleaseOptions): string {
  validateAptSettings(settings);
  const withSha512 = settings.hashes.includes("SHA512");
  const files = [...options.files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const [i, f] of files.entries()) {
    checkFile(f, withSha512);
    if (i > 0 && files[i - 1]?.path === f.path) throw badFile(f, "each path once");
  }
  let out = "";
  out += textField("Origin", settings.origin);
  out += textField("Label", settings.label);
  out += `Suite: ${settings.suite}\n`;
  out += textField("Version", settings.version);
  out += `Codename: ${settings.codename}\n`;
  out += `Date: ${formatAptDate(options.date)}\n`;
  if (settings.validFor !== undefined)
    out += `Valid-Until: ${formatAptDate(new Date(options.date.getTime() + settings.validFor * 1000))}\n`;
  if (settings.byHash) out += "Acquire-By-Hash: yes\n";
  out += `Architectures: ${settings.architectures.join(" ")}\n`;
  out += `Components: ${settings.components.join(" ")}\n`;
  out += textField("Description", settings.description);
  out += hashList("SHA256", files, (f) => f.sha256);
  if (withSha512) out += hashList("SHA512", files, (f) => f.sha512 ?? "");
  return out;
}
