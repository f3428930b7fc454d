/**
 * .CHANGELOG: free text shown by `pacman -Qc`; packyard writes one block per entry, newest first, and
 * reads such blocks back into ChangelogInfo. The block:
 *
 *     2024-01-02  Jane Doe <jane@example.org>
 *
 *     \t* 1.2.0-1
 *     \t- a change
 *     \t  its second line
 *
 * with one blank line between blocks.
 */
import type { ChangelogInfo } from "../info/types.ts";
import type { ChangelogEntry } from "../spec/types.ts";

function isoDate(seconds: number): string {
  return new Date(seconds * 1000).toISOString().slice(0, 10);
}

/** Renders the changelog (dates in UTC, computed from the entries, never the clock). */
export function encodeChangelog(entries: readonly ChangelogEntry[]): string {
  return entries
    .map(
      (e) =>
        `${isoDate(e.date)}  ${e.author}\n\n\t* ${e.version}\n${e.changes.map((c) => `\t- ${c.replace(/\n/g, "\n\t  ")}\n`).join("")}`,
    )
    .join("\n");
}

const HEADER = /^(\d{4})-(\d{2})-(\d{2}) {2}(.*)$/;
const VERSION = /^\t\* (.*)$/;
/** A change (`\t- `) or one of its further lines (`\t  `, which is all a blank further line keeps). */
const BODY = /^\t(?:- | {2})/;

/** Midnight UTC of a `YYYY-MM-DD` header in seconds, or undefined when the day does not exist. */
function headerDate(m: RegExpExecArray): number | undefined {
  const [y, mo, d] = [m[1], m[2], m[3]].map(Number) as [number, number, number];
  const t = Date.UTC(y, mo - 1, d);
  const back = new Date(t);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d)
    return undefined;
  return t / 1000;
}

/** The blocks {@link encodeChangelog} writes, or undefined as soon as a line does not fit them. */
function decodeBlocks(lines: readonly string[]): ChangelogInfo[] | undefined {
  const out: ChangelogInfo[] = [];
  let i = 0;
  const blank = () => {
    while (i < lines.length && lines[i]!.trim() === "") i++;
  };
  blank();
  while (i < lines.length) {
    const header = HEADER.exec(lines[i]!);
    const date = header ? headerDate(header) : undefined;
    if (header === null || date === undefined) return undefined;
    i++;
    blank();
    const version = VERSION.exec(lines[i] ?? "");
    if (version === null) return undefined;
    i++;
    const body: string[] = [];
    for (; i < lines.length && BODY.test(lines[i]!); i++) body.push(lines[i]!.slice(1));
    out.push({ author: header[4]!.trim(), date, version: version[1]!.trim(), text: body.join("\n") });
    blank();
  }
  return out;
}

/**
 * Reads a .CHANGELOG back into entries, newest first. Blocks in the shape {@link encodeChangelog} writes
 * give one entry each: author and date (midnight UTC of the `YYYY-MM-DD`) from the header line, version
 * from the `* ` line, and as text the change lines without their leading tab (`- a change`, as rpm's
 * CHANGELOGTEXT). Anything else is foreign free text (Arch prescribes no format for `changelog=` files):
 * it becomes one entry holding the whole text, author "" and date `fallbackDate` (the package's
 * builddate). Empty or blank text gives no entry.
 * @example decodeChangelog("2024-01-02  A <a@b>\n\n\t* 1.0-1\n\t- first\n", 0)
 * // [{ author: "A <a@b>", date: 1704153600, version: "1.0-1", text: "- first" }]
 */
export function decodeChangelog(text: string, fallbackDate: number): ChangelogInfo[] {
  if (text.trim() === "") return [];
  const lines = text.split("\n").map((l) => l.replace(/\r$/, ""));
  return decodeBlocks(lines) ?? [{ author: "", date: fallbackDate, text }];
}
