/**
 * The `key = value` text of Arch's .PKGINFO and .BUILDINFO (libalpm be_package.c parse_descfile) and
 * Alpine's .PKGINFO (apk-tools package.c read_info_line): one pair per line split at the first " = ",
 * `#` comments, arrays by repeating the key.
 */
import { FormatError } from "../errors.ts";

/** One `key = value` pair in file order. */
export interface KeyValue {
  key: string;
  value: string;
}

/** Renders pairs as `key = value` lines (values are single lines; callers validate). */
export function encodeKeyValues(header: readonly string[], pairs: readonly KeyValue[]): string {
  let s = "";
  for (const h of header) s += `# ${h}\n`;
  for (const p of pairs) s += `${p.key} = ${p.value}\n`;
  return s;
}

/**
 * Parses `key = value` text. Blank lines and `#` comments are skipped; any other line without " = " is a
 * FormatError BAD_HEADER naming the file and line.
 */
export function decodeKeyValues(text: string, file: string): KeyValue[] {
  const out: KeyValue[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, "");
    if (line.trim() === "" || line.startsWith("#")) continue;
    const eq = line.indexOf(" = ");
    if (eq <= 0) {
      throw new FormatError(
        "BAD_HEADER",
        `${file} line ${i + 1}: expected "key = value", found ${JSON.stringify(line.slice(0, 80))}`,
        {
          path: file,
          line: i + 1,
          found: line.slice(0, 200),
        },
      );
    }
    out.push({ key: line.slice(0, eq), value: line.slice(eq + 3) });
  }
  return out;
}
