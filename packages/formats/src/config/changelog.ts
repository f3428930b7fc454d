/**
 * Reads a changelog in goreleaser/chglog's YAML format (what nfpm's `changelog:` key points at): a list
 * of `{ semver, date, packager, changes: [{ note, commit?, committer? }], notes?, deb? }`, newest first.
 */
import type { ChangelogEntry } from "../spec/types.ts";
import { checkKeys, invalid, isNull, readMap, readString, readTime } from "./fields.ts";
import { parseYamlTree } from "./tree.ts";

const ENTRY_KEYS = {
  semver: "version",
  date: "release date",
  packager: "author",
  changes: "list of changes",
  notes: "free-form notes",
  deb: "Debian urgency/distributions",
  urgency: "Debian urgency",
  distribution: "Debian distribution",
  distributions: "Debian distributions",
};
const CHANGE_KEYS = { note: "text", commit: "commit id", committer: "author of the commit" };

/** Parses chglog YAML into changelog entries; `field` names the config key for messages. */
export function parseChangelog(text: string, path: string, field = "changelog"): ChangelogEntry[] {
  const root = parseYamlTree(text, path);
  if (isNull(root)) return [];
  if (root.kind !== "seq") throw invalid(root, field, `a list of chglog entries in ${path}`);
  return root.items.map((item, i) => {
    const f = `${field}[${i}]`;
    const m = readMap(item, f);
    checkKeys(m, ENTRY_KEYS, f);
    const need = (k: string) => {
      const n = m.entries.get(k);
      if (n === undefined || isNull(n)) throw invalid(item, `${f}.${k}`, `a ${k} (in ${path})`);
      return n;
    };
    const changes: string[] = [];
    const list = m.entries.get("changes");
    if (list !== undefined && !isNull(list)) {
      if (list.kind !== "seq") throw invalid(list, `${f}.changes`, "a list of { note }");
      list.items.forEach((c, j) => {
        const cm = readMap(c, `${f}.changes[${j}]`);
        checkKeys(cm, CHANGE_KEYS, `${f}.changes[${j}]`);
        const note = cm.entries.get("note") ?? cm.entries.get("commit");
        if (note !== undefined) changes.push(readString(note, `${f}.changes[${j}].note`));
      });
    }
    const notes = m.entries.get("notes");
    if (notes?.kind === "seq") {
      for (const [j, n] of notes.items.entries()) changes.push(readString(n, `${f}.notes[${j}]`));
    }
    return {
      version: readString(need("semver"), `${f}.semver`),
      date: readTime(need("date"), `${f}.date`),
      author: readString(need("packager"), `${f}.packager`),
      changes,
    };
  });
}
