/**
 * XML escaping for the RPM-MD documents, byte for byte as createrepo_c writes them: it builds each
 * `<package>` as a libxml2 tree and serialises it with `xmlNodeDump` without a document
 * (createrepo_c src/xml_dump_primary.c), so libxml2 2.9's rules apply (xmlsave.c `xmlEscapeContent`,
 * tree.c `xmlBufAttrSerializeTxtContent`):
 *
 * - text: `&` `<` `>` become entities and CR becomes `&#13;`; everything else is written as is (UTF-8);
 * - attributes: `&` `<` `>` `"` become entities, TAB, LF and CR become `&#9;` `&#10;` `&#13;`, and every
 *   character above ASCII becomes a hexadecimal character reference (`é` → `&#xE9;`), because without a
 *   document libxml2 knows no output encoding.
 *
 * XML 1.0 cannot carry the other C0 controls (not even as references), nor U+FFFE, U+FFFF or a lone
 * surrogate. libxml2 writes them anyway and the document no longer parses; createrepo_c refuses a
 * package holding a C0 control (src/xml_dump.c "Forbidden control chars found"). Here every one of
 * them is refused, so no document this module writes is malformed.
 */
import { RepoError } from "../errors.ts";

/**
 * The first character XML 1.0 cannot carry in `s` (C0 controls but TAB, LF, CR; U+FFFE; U+FFFF; lone
 * surrogates) as `{ index, code }`, or undefined when there is none.
 */
export function findForbiddenXmlChar(s: string): { index: number; code: number } | undefined {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20) {
      if (c === 0x09 || c === 0x0a || c === 0x0d) continue;
      return { index: i, code: c };
    }
    if (c < 0xd800) continue;
    if (c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      return { index: i, code: c };
    }
    if (c <= 0xdfff || c === 0xfffe || c === 0xffff) return { index: i, code: c };
  }
  return undefined;
}

/** `U+0001` */
export function codePointName(code: number): string {
  return `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
}

function refuse(s: string, where: string): never {
  const bad = findForbiddenXmlChar(s)!;
  throw new RepoError(
    "CORRUPT_STATE",
    `RPM-MD ${where}: expected text XML 1.0 can carry, found ${codePointName(bad.code)} at character ${bad.index} of ${JSON.stringify(s)}`,
    { found: codePointName(bad.code), offset: bad.index },
  );
}

const TEXT_SPECIAL = /[&<>\r]/g;
/** Text with neither a character to escape nor one XML cannot carry: ASCII printable, TAB and LF. */
const PLAIN_TEXT = /^[\t\n\x20-\x25\x27-\x3b\x3d\x3f-\x7e]*$/;
/** An attribute value with nothing to escape: ASCII printable but `& < > "`. */
const PLAIN_ATTR = /^[\x20\x21\x23-\x25\x27-\x3b\x3d\x3f-\x7e]*$/;
const TEXT_ENTITY: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;" };

/**
 * Element content as libxml2 2.9 serialises it: `& < >` as entities, CR as `&#13;`, the rest verbatim.
 * Throws RepoError CORRUPT_STATE for a character XML cannot carry (`where` names the field).
 * @example xmlText("a < b & c") // "a &lt; b &amp; c"
 */
export function xmlText(s: string, where: string): string {
  // The usual value (printable ASCII and LF/TAB, nothing to escape) comes back as it is.
  if (PLAIN_TEXT.test(s)) return s;
  if (findForbiddenXmlChar(s) !== undefined) refuse(s, where);
  return s.replace(TEXT_SPECIAL, (c) => TEXT_ENTITY[c]!);
}

// One code point at a time (`u`), so a surrogate pair becomes one reference.
const ATTR_SPECIAL = /[&<>"\t\n\r]|[^\x00-\x7f]/gu;
const ATTR_ENTITY: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "\t": "&#9;",
  "\n": "&#10;",
  "\r": "&#13;",
};

/**
 * An attribute value as libxml2 2.9 serialises it without a document: `& < > "` as entities, TAB, LF,
 * CR and every non-ASCII character as character references (`&#xE9;`, uppercase hex).
 * Throws RepoError CORRUPT_STATE for a character XML cannot carry (`where` names the field).
 * @example xmlAttr('Jöhn "J" <j@x>') // "J&#xF6;hn &quot;J&quot; &lt;j@x&gt;"
 */
export function xmlAttr(s: string, where: string): string {
  if (PLAIN_ATTR.test(s)) return s;
  if (findForbiddenXmlChar(s) !== undefined) refuse(s, where);
  return s.replace(
    ATTR_SPECIAL,
    (c) => ATTR_ENTITY[c] ?? `&#x${c.codePointAt(0)!.toString(16).toUpperCase()};`,
  );
}

/** A decimal integer for an attribute or element (createrepo_c prints int64 with `%ld`). */
export function xmlInteger(n: number, where: string): string {
  if (!Number.isSafeInteger(n))
    throw new RepoError("CORRUPT_STATE", `RPM-MD ${where}: expected an integer, found ${n}`, {
      found: n,
    });
  return String(n);
}

/** The XML declaration every RPM-MD document starts with (createrepo_c src/xml_file.c). */
export const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';
