/**
 * The changelog as a reader reports it: CHANGELOGTIME / CHANGELOGNAME / CHANGELOGTEXT, one entry per
 * element, in header order (rpmbuild stores the spec's %changelog as written, newest first).
 */
import { FormatError } from "../errors.ts";
import type { ChangelogInfo } from "../info/types.ts";
import { type DecodedHeader, headerNumbers, headerStrings } from "./header.ts";
import { TAG } from "./tags.ts";

/**
 * What may follow the last ` - ` of a CHANGELOGNAME and still be taken for a version: one word of
 * rpm's EVR characters (`2:1.0~rc1-3.fc40`, `1.0.0-rc.1+build`) that starts with a letter or digit
 * and holds a digit somewhere. Anything else (`Jane - Team`) leaves the whole name as the author.
 */
const VERSION_WORD = /^[A-Za-z0-9][A-Za-z0-9._+~^:-]*$/;

/**
 * Splits `Jane Doe <jane@example.org> - 1.0-1` into author and version (rpmbuild stores the text after
 * the date of a `%changelog` line verbatim; ` - version` is the Fedora convention, not a rule).
 * @example splitChangelogName("Jane <j@x.org> - 1.0-1") // { author: "Jane <j@x.org>", version: "1.0-1" }
 */
export function splitChangelogName(name: string): { author: string; version?: string } {
  const at = name.lastIndexOf(" - ");
  if (at >= 0) {
    const version = name.slice(at + 3);
    const author = name.slice(0, at).trimEnd();
    if (author !== "" && VERSION_WORD.test(version) && /\d/.test(version)) return { author, version };
  }
  return { author: name };
}

/** The changelog entries of a main header, empty when it has none. */
export function readChangelog(h: DecodedHeader): ChangelogInfo[] {
  const times = headerNumbers(h, TAG.CHANGELOGTIME) ?? [];
  const names = headerStrings(h, TAG.CHANGELOGNAME) ?? [];
  const texts = headerStrings(h, TAG.CHANGELOGTEXT) ?? [];
  // rpm's query formats refuse parallel arrays of different sizes ("array iterator used with
  // different sized arrays"); an entry without its date, name or text has no sane reading either.
  if (names.length !== times.length || texts.length !== times.length)
    throw new FormatError(
      "BAD_HEADER",
      `rpm header: changelog has ${times.length} CHANGELOGTIME, ${names.length} CHANGELOGNAME and ${texts.length} CHANGELOGTEXT elements`,
      { expected: times.length, found: [names.length, texts.length] },
    );
  return times.map((date, i) => {
    const { author, version } = splitChangelogName(names[i]!);
    const entry: ChangelogInfo = { author, date, text: texts[i]! };
    if (version !== undefined) entry.version = version;
    return entry;
  });
}
