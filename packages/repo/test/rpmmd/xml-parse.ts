/**
 * A small, strict XML parser for the RPM-MD documents in tests: the declaration, elements, attributes in
 * document order, text, comments, the five predefined entities and character references. It applies
 * XML 1.0's normalisations (line ends become LF; literal TAB, LF and CR in an attribute value become
 * spaces), so a value that must survive needs the character reference, as a real parser would require.
 * It throws on anything malformed: mismatched tags, a raw `<` or a bare `&` in text or values, unknown
 * entities, characters XML cannot carry, content after the root.
 */

export interface XmlElement {
  name: string;
  /** Attributes in document order. */
  attrs: [string, string][];
  children: XmlNode[];
}
export type XmlNode = XmlElement | string;

const NAME = /[A-Za-z_:][-A-Za-z0-9_:.]*/y;
const SPACE = /[ \t\r\n]*/y;
const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function fail(text: string, at: number, what: string): never {
  throw new Error(`XML: ${what} at offset ${at}: ${JSON.stringify(text.slice(at, at + 40))}`);
}

function checkChars(text: string): void {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== 9 && c !== 10 && c !== 13) || c === 0xfffe || c === 0xffff)
      fail(text, i, `character U+${c.toString(16)} is not allowed`);
    if (c >= 0xd800 && c <= 0xdbff) {
      const n = text.charCodeAt(i + 1);
      if (!(n >= 0xdc00 && n <= 0xdfff)) fail(text, i, "lone surrogate");
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) fail(text, i, "lone surrogate");
  }
}

/** Replaces entity and character references; a bare `&` or an unknown entity throws. */
function decode(text: string, raw: string, at: number): string {
  return raw.replace(/&([^;&]*);|&/g, (m, ref: string | undefined, off: number) => {
    if (ref === undefined) fail(text, at + off, "bare &");
    if (ref.startsWith("#x")) {
      if (!/^#x[0-9A-Fa-f]+$/.test(ref)) fail(text, at + off, `bad reference ${m}`);
      return String.fromCodePoint(Number.parseInt(ref.slice(2), 16));
    }
    if (ref.startsWith("#")) {
      if (!/^#[0-9]+$/.test(ref)) fail(text, at + off, `bad reference ${m}`);
      return String.fromCodePoint(Number.parseInt(ref.slice(1), 10));
    }
    const e = ENTITIES[ref];
    if (e === undefined) fail(text, at + off, `unknown entity ${m}`);
    return e;
  });
}

/** Parses a whole document and returns its root element. */
export function parseXml(input: string): XmlElement {
  checkChars(input);
  // XML 1.0 §2.11: CRLF and lone CR become LF before parsing.
  const text = input.replace(/\r\n?/g, "\n");
  let i = 0;
  const skipSpace = () => {
    SPACE.lastIndex = i;
    SPACE.exec(text);
    i = SPACE.lastIndex;
  };
  const name = (): string => {
    NAME.lastIndex = i;
    const m = NAME.exec(text);
    if (m === null) fail(text, i, "expected a name");
    i = NAME.lastIndex;
    return m[0];
  };
  const skipMisc = () => {
    for (;;) {
      skipSpace();
      if (text.startsWith("<!--", i)) {
        const end = text.indexOf("-->", i);
        if (end < 0) fail(text, i, "unterminated comment");
        i = end + 3;
      } else return;
    }
  };
  const element = (): XmlElement => {
    if (text[i] !== "<") fail(text, i, "expected <");
    i++;
    const el: XmlElement = { name: name(), attrs: [], children: [] };
    for (;;) {
      skipSpace();
      if (text.startsWith("/>", i)) {
        i += 2;
        return el;
      }
      if (text[i] === ">") {
        i++;
        break;
      }
      const attr = name();
      if (el.attrs.some(([n]) => n === attr)) fail(text, i, `duplicate attribute ${attr}`);
      skipSpace();
      if (text[i] !== "=") fail(text, i, "expected =");
      i++;
      skipSpace();
      const quote = text[i];
      if (quote !== '"' && quote !== "'") fail(text, i, "expected a quote");
      const end = text.indexOf(quote, i + 1);
      if (end < 0) fail(text, i, "unterminated attribute");
      const raw = text.slice(i + 1, end);
      if (raw.includes("<")) fail(text, i, "< in attribute value");
      // §3.3.3: literal white space in a value is normalised to a space; references are not.
      el.attrs.push([attr, decode(text, raw.replace(/[\t\n]/g, " "), i + 1)]);
      i = end + 1;
    }
    for (;;) {
      if (i >= text.length) fail(text, i, `unterminated <${el.name}>`);
      if (text.startsWith("</", i)) {
        i += 2;
        const close = name();
        if (close !== el.name) fail(text, i, `</${close}> closes <${el.name}>`);
        skipSpace();
        if (text[i] !== ">") fail(text, i, "expected >");
        i++;
        return el;
      }
      if (text.startsWith("<!--", i)) {
        const end = text.indexOf("-->", i);
        if (end < 0) fail(text, i, "unterminated comment");
        i = end + 3;
      } else if (text[i] === "<") {
        el.children.push(element());
      } else {
        const next = text.indexOf("<", i);
        const end = next < 0 ? text.length : next;
        const raw = text.slice(i, end);
        if (raw.includes("]]>")) fail(text, i, "]]> in text");
        el.children.push(decode(text, raw, i));
        i = end;
      }
    }
  };
  if (text.startsWith("<?xml", i)) {
    const end = text.indexOf("?>", i);
    if (end < 0) fail(text, i, "unterminated declaration");
    i = end + 2;
  }
  skipMisc();
  const root = element();
  skipMisc();
  if (i !== text.length) fail(text, i, "content after the root element");
  return root;
}

/** The element children of `el`. */
export function elements(el: XmlElement, name?: string): XmlElement[] {
  return el.children.filter(
    (c): c is XmlElement => typeof c !== "string" && (name === undefined || c.name === name),
  );
}

/** The first child element named `name`; throws when there is none. */
export function child(el: XmlElement, name: string): XmlElement {
  const c = elements(el, name)[0];
  if (c === undefined) throw new Error(`<${el.name}> has no <${name}>`);
  return c;
}

/** The text content of `el` (its string children joined). */
export function textOf(el: XmlElement): string {
  return el.children.filter((c): c is string => typeof c === "string").join("");
}

/** The value of attribute `name`, or undefined. */
export function attr(el: XmlElement, name: string): string | undefined {
  return el.attrs.find(([n]) => n === name)?.[1];
}
