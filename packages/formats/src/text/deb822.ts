/**
 * deb822 stanzas (deb822(5), deb-control(5)): single-line field rendering, Description folding, and a
 * strict parser for one stanza (a binary package's control file). Shared by the deb format and the
 * indexes built from deb822 text (Packages, Release).
 */
import { FormatError, SpecError } from "../errors.ts";

/** A parsed stanza: field names as written (first spelling), values with continuation lines joined by "\n". */
export type Stanza = Map<string, string>;

/** True when `name` is a valid deb822 field name (printable ASCII without ':' or space, not starting with '#' or '-'). */
export function isFieldName(name: string): boolean {
  return /^[!-9;-~][!-9;-~]*$/.test(name) && !name.startsWith("#") && !name.startsWith("-");
}

/** Renders `Name: value` for a single-line field; throws SpecError when the value has a line break. */
export function singleLineField(name: string, value: string, field: string): string {
  if (/[\r\n]/.test(value)) {
    throw new SpecError(
      "INVALID_FIELD",
      `${field}: the control field ${name} must be a single line, found a line break`,
      {
        field,
        found: value,
      },
    );
  }
  return `${name}: ${value.trim()}\n`;
}

/**
 * Folds a synopsis and extended text into a Description field: extended lines start with one space, blank
 * lines become " .", trailing whitespace and trailing blank lines are dropped.
 * @example foldDescription("short", "long\n\nmore") // "Description: short\n long\n .\n more\n"
 */
export function foldDescription(synopsis: string, extended: string | undefined): string {
  let out = `Description: ${synopsis.trim()}\n`;
  const lines = (extended ?? "")
    .replace(/\r\n?/g, "\n")
    .split("\n")
    .map((l) => l.trimEnd());
  while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  while (lines.length > 0 && lines[0] === "") lines.shift();
  for (const line of lines) out += line === "" ? " .\n" : ` ${line}\n`;
  return out;
}

/** Splits a Description value (as parsed) back into synopsis and extended text (" ." lines become empty). */
export function unfoldDescription(value: string): { synopsis: string; extended: string } {
  const [first = "", ...rest] = value.split("\n");
  const extended = rest.map((l) => (l === "." ? "" : l)).join("\n");
  return { synopsis: first, extended };
}

/**
 * Parses one control stanza strictly: "Field: value" lines, continuation lines starting with a space or
 * tab, no duplicate fields (dpkg: hard error), no blank line inside. Continuation lines lose their first
 * space. Throws FormatError with the byte offset of the bad line inside `text` plus `base`.
 */
export function parseStanza(text: string, where: string, base = 0): Stanza {
  const out: Stanza = new Map();
  const seen = new Set<string>();
  let current: string | undefined;
  let offset = 0;
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  else if (text.length > 0) {
    throw new FormatError("BAD_HEADER", `${where}: expected a final newline, found end of file`, {
      offset: base + text.length,
      path: where,
    });
  }
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, "");
    const at = base + offset;
    offset += new TextEncoder().encode(lines[i]!).length + 1;
    if (line.trim() === "") {
      if (lines.slice(i).every((l) => l.trim() === "")) break;
      throw new FormatError(
        "BAD_HEADER",
        `${where}: expected one stanza, found a blank line followed by more fields at byte ${at}`,
        {
          offset: at,
          path: where,
        },
      );
    }
    if (line.startsWith(" ") || line.startsWith("\t")) {
      if (current === undefined) {
        throw new FormatError("BAD_HEADER", `${where}: continuation line before any field at byte ${at}`, {
          offset: at,
          path: where,
        });
      }
      out.set(current, `${out.get(current)}\n${line.slice(1)}`);
      continue;
    }
    const colon = line.indexOf(":");
    const name = colon > 0 ? line.slice(0, colon) : "";
    if (!isFieldName(name)) {
      throw new FormatError(
        "BAD_HEADER",
        `${where}: expected "Field: value" at byte ${at}, found ${JSON.stringify(line.slice(0, 40))}`,
        {
          offset: at,
          path: where,
        },
      );
    }
    const key = name.toLowerCase();
    if (seen.has(key)) {
      throw new FormatError("DUPLICATE_KEY", `${where}: field ${name} appears twice (second at byte ${at})`, {
        offset: at,
        path: where,
        field: name,
      });
    }
    seen.add(key);
    current = name;
    out.set(name, line.slice(colon + 1).trim());
  }
  return out;
}

/** Case-insensitive field lookup. */
export function getField(stanza: Stanza, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [k, v] of stanza) if (k.toLowerCase() === lower) return v;
  return undefined;
}

/**
 * Parses a file of stanzas separated by blank lines (Packages, Sources, a deb822 sources file), each as
 * strictly as {@link parseStanza}. Runs of blank lines and blank lines at either end are allowed; an empty
 * text gives no stanza. Errors carry the byte offset inside the whole text.
 * @example parseStanzas("Package: a\n\nPackage: b\n", "Packages").length // 2
 */
export function parseStanzas(text: string, where: string): Stanza[] {
  const out: Stanza[] = [];
  const encoder = new TextEncoder();
  let chunk = "";
  let chunkStart = 0;
  let offset = 0;
  const flush = () => {
    if (chunk !== "") out.push(parseStanza(chunk, where, chunkStart));
    chunk = "";
  };
  // Split keeping each line's "\n", so the last line's missing newline reaches parseStanza as such.
  for (const line of text.split(/(?<=\n)/)) {
    if (line.trim() === "") {
      flush();
    } else {
      if (chunk === "") chunkStart = offset;
      chunk += line;
    }
    offset += encoder.encode(line).length;
  }
  flush();
  return out;
}
