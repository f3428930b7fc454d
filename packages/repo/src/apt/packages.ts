/**
 * The `Packages` index of one component × architecture: one deb822 stanza per .deb, the package's own
 * control stanza kept verbatim (field order, spelling and continuation lines, as dpkg-scanpackages keeps
 * them) followed by the archive fields apt needs to fetch and check the file (repos.md §2.3).
 */
import { debFormat } from "@packyard/formats";
import { RepoError } from "../errors.ts";
import type { AptSettings, PackageRecord } from "../publish/state.ts";
import { utf8Document } from "../utf8.ts";

/**
 * Fields the archive writes itself. A control file carrying one of them (never the case for a .deb
 * dpkg-deb builds) would give the stanza a duplicate field, which apt and dpkg reject; the archive's
 * value is the true one, so the control's copy is dropped (dpkg-scanpackages overrides them too).
 */
const ARCHIVE_FIELDS = new Set(["filename", "size", "md5sum", "sha1", "sha256", "sha512"]);

/** The control text without archive fields, without trailing blank lines, ending with one newline. */
function controlPart(record: PackageRecord): string {
  const control = record.deb?.control;
  if (control === undefined)
    throw new RepoError(
      "CORRUPT_STATE",
      `Packages: expected the control stanza of ${record.name} ${record.version} ${record.arch} in the state, found none`,
      { key: record.key },
    );
  // Most stanzas carry no archive field and end with one newline: kept as they are, without a split.
  const body = control.slice(0, -1);
  const plain =
    control.endsWith("\n") && body !== "" && body.trimEnd() === body && !ARCHIVE_FIELD_LINE.test(control);
  return plain ? control : trimmedControl(control);
}

/** A line starting an archive field (any case), at the start of the text or after a newline. */
const ARCHIVE_FIELD_LINE = /(?:^|\n)(?:filename|size|md5sum|sha1|sha256|sha512)[ \t]*:/i;

function trimmedControl(control: string): string {
  const lines = control.split("\n");
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === "") lines.pop();
  const kept: string[] = [];
  let dropping = false;
  for (const line of lines) {
    if (line.startsWith(" ") || line.startsWith("\t")) {
      if (!dropping) kept.push(line);
      continue;
    }
    const colon = line.indexOf(":");
    dropping = colon > 0 && ARCHIVE_FIELDS.has(line.slice(0, colon).toLowerCase());
    if (!dropping) kept.push(line);
  }
  return kept.length === 0 ? "" : `${kept.join("\n")}\n`;
}

/** `Filename:` value: the pool key relative to `deb/`, the APT archive root (`<repo-url>/deb`). */
export function debFilename(key: string): string {
  if (!key.startsWith("deb/"))
    throw new RepoError("CORRUPT_STATE", `Packages: expected a package key under deb/, found ${key}`, {
      key,
    });
  return key.slice("deb/".length);
}

/**
 * One Packages stanza: the record's control stanza verbatim (trailing blank lines dropped, as are
 * archive fields a control should not carry), then `Filename`, `Size`, `MD5sum`, `SHA256`, and `SHA512`
 * when the suite lists SHA512. Ends with a newline, no blank line.
 */
export function packagesStanza(record: PackageRecord, hashes: AptSettings["hashes"]): string {
  let out = controlPart(record);
  out += `Filename: ${debFilename(record.key)}\n`;
  out += `Size: ${record.size}\n`;
  // MD5sum (this spelling in Packages) costs nothing and old tools (apt-cacher, mirror scripts) read it.
  out += `MD5sum: ${record.digests.md5}\n`;
  out += `SHA256: ${record.digests.sha256}\n`;
  if (hashes.includes("SHA512")) out += `SHA512: ${record.digests.sha512}\n`;
  return out;
}

/**
 * The order stanzas are written in: by name (code-unit order), then version by dpkg's ordering, then
 * architecture; ties (same name, version and arch) keep their input order.
 */
export function comparePackageRecords(a: PackageRecord, b: PackageRecord): number {
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  const v = a.version === b.version ? 0 : debFormat.compareVersions(a.version, b.version);
  if (v !== 0) return v;
  if (a.arch !== b.arch) return a.arch < b.arch ? -1 : 1;
  return 0;
}

/**
 * A whole Packages file: the records' stanzas sorted by {@link comparePackageRecords} (the input order
 * does not matter), separated by one blank line, ending with a newline; the empty string for no record.
 */
export function packagesFile(records: readonly PackageRecord[], hashes: AptSettings["hashes"]): string {
  return [...records]
    .sort(comparePackageRecords)
    .map((r) => packagesStanza(r, hashes))
    .join("\n");
}

/**
 * {@link packagesFile} as UTF-8, built stanza by stanza: the records sorted, and the text of each
 * (`packagesStanza`, after a blank line but the first).
 */
export function packagesFileBytes(
  records: readonly PackageRecord[],
  hashes: AptSettings["hashes"],
): Uint8Array {
  const sorted = [...records].sort(comparePackageRecords);
  return utf8Document("", sorted.entries(), ([i, r]) => packagesPart(r, hashes, i === 0), "");
}

/** One record's part of a Packages file: its stanza, after the blank line that ends the one before. */
export function packagesPart(record: PackageRecord, hashes: AptSettings["hashes"], first: boolean): string {
  const text = packagesStanza(record, hashes);
  return first ? text : `\n${text}`;
}
