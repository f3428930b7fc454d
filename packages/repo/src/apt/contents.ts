/**
 * `Contents-<arch>`: which package installs each path, for apt-file (Debian wiki DebianRepository/Format,
 * "Contents indices"). No header (Debian dropped it in 2013). One line per path, sorted: the path without
 * its leading `/`, whitespace, then the comma-separated `section/name` of every package shipping it. apt-file
 * splits a line at its last run of whitespace, so paths may hold spaces.
 */
import { getField, parseStanza } from "@packyard/formats/text";
import type { PackageRecord } from "../publish/state.ts";

/** Column the package list starts at, as in Debian's files (the path is followed by at least one space). */
const LIST_COLUMN = 60;

/** `section/name`, or just `name` when the control has no Section. */
function qualifiedName(record: PackageRecord): string {
  let section: string | undefined;
  try {
    section = getField(parseStanza(record.deb?.control ?? "", record.key), "Section");
  } catch {
    // A control the strict parser refuses still gets its line, unqualified, rather than failing the index.
    section = undefined;
  }
  return section === undefined || section === "" ? record.name : `${section}/${record.name}`;
}

/**
 * The Contents file of `records` (the packages of one component whose architecture is the file's or
 * `all`): paths from `deb.paths`, without a leading `/`. Paths holding a line break or ending in
 * whitespace cannot be written in this format and are left out. The empty string when there is no path.
 */
export function contentsFile(records: readonly PackageRecord[]): string {
  const owners = new Map<string, Set<string>>();
  for (const record of records) {
    const paths = record.deb?.paths;
    if (paths === undefined || paths.length === 0) continue;
    const owner = qualifiedName(record);
    for (const raw of paths) {
      const path = raw.replace(/^\/+/, "");
      if (path === "" || /[\r\n]/.test(path) || /\s$/.test(path) || /^\s/.test(path)) continue;
      let set = owners.get(path);
      if (set === undefined) {
        set = new Set();
        owners.set(path, set);
      }
      set.add(owner);
    }
  }
  const lines: string[] = [];
  for (const path of [...owners.keys()].sort(byCodeUnits)) {
    const list = [...(owners.get(path) ?? [])].sort(byCodeUnits).join(",");
    lines.push(`${path}${" ".repeat(Math.max(1, LIST_COLUMN - path.length))}${list}\n`);
  }
  return lines.join("");
}

function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
