/**
 * debian/changelog (deb-changelog(5)) read back into ChangelogInfo, following dpkg's own parser
 * (scripts/Dpkg/Changelog/Debian.pm and Entry/Debian.pm, dpkg 1.21): entries start at a header line
 * `pkg (version) dists; urgency=x`, their body is the lines indented by two or more blanks (blank lines
 * between them kept), and they end at the trailer ` -- Name <email>  RFC 2822 date`. The writer's side is
 * `docs.ts` renderChangelog.
 */
import type { ChangelogInfo } from "../info/types.ts";

/** Header line: source name, `(version)`, distributions, `;` and key=value options (case-insensitive, as dpkg). */
const HEADER = /^(\w[-+0-9a-z.]*) \(([^() \t]+)\)((?:\s+[-+0-9a-z.]+)+);(.*?)\s*$/i;

/** Trailer line: ` -- Name <email>`, one or two blanks, `[Day, ]DD Mon YYYY HH:MM:SS ±hhmm`. */
const TRAILER =
  /^ -- (.*) <(.*)>( {1,2})((\w+),\s*)?(\d{1,2})\s+(\w+)\s+(\d{4})\s+(\d{1,2}):(\d\d):(\d\d)\s+([-+])(\d\d)(\d\d)\s*$/;

/**
 * Lines where dpkg stops reading: Emacs/Vim trailers and the start of an old-format changelog (the
 * alternatives of dpkg's $ancient_delimiter_re); what follows is not debian/changelog syntax.
 */
const STOP = [
  /^(?:;;\s*)?Local variables:/i,
  /^vim:/i,
  /^\w+\s+\w+\s+\d{1,2} \d{1,2}:\d{1,2}:\d{1,2}\s+[\w\s]*\d{4}\s+.*\s+[<(].*[)>]/i,
  /^\w+\s+\w+\s+\d{1,2},?\s*\d{4}\s+.*\s+[<(].*[)>]/i,
  /^\w[-+0-9a-z.]* \([^() \t]+\);?/i,
  /^[\w.+-]+[- ]\S+ Debian \S+/i,
  /^Changes from version .* to .*:/i,
  /^Changes for [\w.+-]+-[\w.+-]+:?\s*$/i,
  /^Old Changelog:\s*$/i,
  /^(?:\d+:)?\w[\w.+~-]*:?\s*$/i,
];

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

/** Seconds since the epoch of a trailer's date, or undefined when a field is out of range (dpkg: invalid date). */
function trailerDate(m: RegExpExecArray): number | undefined {
  // strptime's %b takes the abbreviation only: dpkg refuses "February" (Entry/Debian.pm parse_trailer)
  const month = MONTHS.indexOf(m[7]!.toLowerCase());
  const [day, year, hour, minute, second] = [m[6], m[8], m[9], m[10], m[11]].map(Number) as number[];
  if (month < 0 || day! < 1 || day! > 31 || hour! > 23 || minute! > 59 || second! > 60) return undefined;
  // a day past the month's end (31 Feb) does not round-trip: strptime refuses it
  if (new Date(Date.UTC(year!, month, day!)).getUTCDate() !== day) return undefined;
  const local = Date.UTC(year!, month, day!, hour!, minute!, second!) / 1000;
  const offset = (Number(m[13]) * 60 + Number(m[14])) * 60;
  return m[12] === "-" ? local + offset : local - offset;
}

interface Draft {
  version: string;
  lines: string[];
  /** Blank lines seen since the last body line: kept only when another body line follows. */
  blanks: number;
  author: string;
  date: number;
}

function finish(d: Draft): ChangelogInfo {
  return { author: d.author, date: d.date, version: d.version, text: d.lines.join("\n") };
}

/**
 * Parses debian/changelog text into entries, newest (first in the file) first. `author` is `Name <email>`
 * and `date` the trailer's time in seconds; `text` is the entry's body lines as written, trailing blanks
 * removed from each line and blank lines before the first and after the last body line dropped (what
 * `dpkg-parsechangelog` prints as Changes, minus the header). Lenient like dpkg: comment, RCS-keyword and
 * malformed lines are skipped, reading stops at an Emacs/Vim trailer or an old-format changelog, and an
 * entry whose trailer is missing or unreadable keeps author "" and date 0.
 * @example decodeDebianChangelog("hello (1.0-1) unstable; urgency=low\n\n  * Initial.\n\n -- A <a@b>  Mon, 01 Jan 2024 00:00:00 +0000\n")
 * // [{ author: "A <a@b>", date: 1704067200, version: "1.0-1", text: "  * Initial." }]
 */
export function decodeDebianChangelog(text: string): ChangelogInfo[] {
  const out: ChangelogInfo[] = [];
  let entry: Draft | undefined;
  let trailerSeen = false;
  for (const raw of text.split("\n")) {
    const line = raw.replace(/\r$/, "");
    const header = HEADER.exec(line);
    if (header) {
      if (entry) out.push(finish(entry));
      entry = { version: header[2]!, lines: [], blanks: 0, author: "", date: 0 };
      trailerSeen = false;
      continue;
    }
    if (STOP.some((re) => re.test(line))) break;
    // RCS keywords, "# " and "/* */" comments, and other unindented lines: skipped (dpkg: parse error)
    if (/^\S/.test(line)) continue;
    if (entry === undefined || trailerSeen) continue;
    const trailer = TRAILER.exec(line);
    if (trailer) {
      entry.author = `${trailer[1]} <${trailer[2]}>`;
      entry.date = trailerDate(trailer) ?? 0;
      trailerSeen = true;
      continue;
    }
    if (/^\s{2,}\S/.test(line)) {
      for (; entry.blanks > 0; entry.blanks--) entry.lines.push("");
      entry.lines.push(line.trimEnd());
    } else if (line.trim() === "") {
      if (entry.lines.length > 0) entry.blanks++;
    }
    // anything else (a malformed " --" trailer, one-blank indentation) is skipped, as dpkg does
  }
  if (entry) out.push(finish(entry));
  return out;
}
