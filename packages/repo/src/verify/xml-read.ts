/**
 * A small XML reader for the RPM-MD documents the verifier walks (repomd.xml, primary, filelists, other):
 * elements, attributes, text, CDATA, comments and processing instructions; the five predefined entities
 * and numeric character references; no DOCTYPE (so no other entity can exist) and UTF-8 only. Names keep
 * their prefix as written (`rpm:entry`); namespaces are not resolved. Malformed input is a RepoError, never
 * a hang or a crash: every step consumes input or throws, nothing recurses, and nesting is bounded.
 */
import { RepoError } from "../errors.ts";

/** Attributes of an element, by name as written. */
export type XmlAttributes = Readonly<Record<string, string>>;

/** What {@link readXml} reports as it reads, in document order. `depth` is 0 for the root element. */
export interface XmlHandler {
  open?(name: string, attributes: XmlAttributes, depth: number): void;
  close?(name: string, depth: number): void;
  /** Character data (entities resolved, CDATA included) directly inside the element at `depth`. */
  text?(text: string, depth: number): void;
}

/** An element read whole by {@link parseXml}. */
export interface XmlElement {
  name: string;
  attributes: XmlAttributes;
  children: (XmlElement | string)[];
}

/** Options of the readers. */
export interface XmlReadOptions {
  /** Deepest element nesting accepted (default 256; RPM-MD documents nest 4 deep). */
  maxDepth?: number;
}

const DEFAULT_MAX_DEPTH = 256;
/** XML 1.0 §2.2 Char, negated: C0 controls but tab/LF/CR, U+FFFE/U+FFFF, unpaired surrogates. */
const INVALID_CHAR =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** XML names, a little wider than §2.3 (every non-ASCII character from U+00C0 counts). */
const NAME = /[A-Za-z_:\u00C0-\uFFFF][-A-Za-z0-9._:\u00B7\u00C0-\uFFFF]*/y;
const SPACE = /[ \t\r\n]*/y;
const REFERENCE = /&([^;&<]{0,16});/g;
const PREDEFINED: Readonly<Record<string, string>> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
const ENCODINGS = new Set(["utf-8", "utf8", "us-ascii", "ascii"]);

/** Line and column (1-based, in UTF-16 units) of `offset` in `text`. */
function position(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf("\n"); i !== -1 && i < offset; i = text.indexOf("\n", i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, column: offset - start + 1 };
}

function show(text: string, at: number): string {
  if (at >= text.length) return "end of document";
  return JSON.stringify(text.slice(at, at + 20));
}

/** §2.11: CR LF and a lone CR read as LF. */
function lineEnds(s: string): string {
  return s.includes("\r") ? s.replace(/\r\n?/g, "\n") : s;
}

/** §3.3.3: after line-end normalization, each tab or LF in an attribute value reads as a space. */
function attributeLiteral(s: string): string {
  return lineEnds(s).replace(/[\t\n]/g, " ");
}

/** A valid XML character from a numeric reference? */
function validCodePoint(cp: number): boolean {
  return (
    cp === 0x9 ||
    cp === 0xa ||
    cp === 0xd ||
    (cp >= 0x20 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd) ||
    (cp >= 0x10000 && cp <= 0x10ffff)
  );
}

class Reader {
  readonly text: string;
  readonly where: string;
  readonly maxDepth: number;
  pos = 0;

  constructor(text: string, where: string, maxDepth: number) {
    this.text = text;
    this.where = where;
    this.maxDepth = maxDepth;
  }

  fail(at: number, expected: string, found = show(this.text, at)): RepoError {
    const { line, column } = position(this.text, at);
    return new RepoError(
      "VERIFY_FAILED",
      `${this.where}: not well-formed XML: expected ${expected}, found ${found} (line ${line}, column ${column})`,
      { path: this.where, offset: at, line, column, expected, found },
    );
  }

  startsWith(s: string): boolean {
    return this.text.startsWith(s, this.pos);
  }

  skipSpace(): boolean {
    SPACE.lastIndex = this.pos;
    SPACE.test(this.text);
    const moved = SPACE.lastIndex > this.pos;
    this.pos = SPACE.lastIndex;
    return moved;
  }

  name(what: string): string {
    NAME.lastIndex = this.pos;
    const m = NAME.exec(this.text);
    if (m === null) throw this.fail(this.pos, what);
    this.pos = NAME.lastIndex;
    return m[0];
  }

  /** Position just past `end`, searched from the current position; `what` names the construct left open. */
  through(end: string, what: string): number {
    const i = this.text.indexOf(end, this.pos);
    if (i === -1) throw this.fail(this.text.length, `'${end}' closing ${what}`);
    return i;
  }

  /**
   * Resolves references in a text or attribute segment starting at `at`, applying `literal` to the text
   * between them (line-end and attribute-value normalization never touch a referenced character).
   */
  decode(raw: string, at: number, literal: (s: string) => string): string {
    if (!raw.includes("&")) return literal(raw);
    let out = "";
    let last = 0;
    REFERENCE.lastIndex = 0;
    for (let m = REFERENCE.exec(raw); m !== null; m = REFERENCE.exec(raw)) {
      const stray = raw.indexOf("&", last);
      if (stray < m.index) throw this.fail(at + stray, "an entity or character reference after '&'");
      const body = m[1]!;
      let value = PREDEFINED[body];
      if (value === undefined) {
        const num = /^#(?:x([0-9A-Fa-f]{1,8})|([0-9]{1,10}))$/.exec(body);
        const cp = num === null ? Number.NaN : num[1] !== undefined ? parseInt(num[1], 16) : Number(num[2]);
        if (Number.isNaN(cp))
          throw this.fail(at + m.index, "one of &amp; &lt; &gt; &quot; &apos; or a character reference");
        if (!validCodePoint(cp)) throw this.fail(at + m.index, "a reference to a valid XML character");
        value = String.fromCodePoint(cp);
      }
      out += literal(raw.slice(last, m.index)) + value;
      last = m.index + m[0].length;
    }
    const stray = raw.indexOf("&", last);
    if (stray !== -1) throw this.fail(at + stray, "an entity or character reference after '&'");
    return out + literal(raw.slice(last));
  }

  /** A comment or processing instruction at the current position, skipped; false when there is none. */
  misc(inProlog: boolean): boolean {
    if (this.startsWith("<!--")) {
      this.pos += 4;
      const end = this.through("-->", "a comment");
      // §2.5: a comment holds no '--' (which also refuses one ending in '-', as '--->').
      const dash = this.text.indexOf("--", this.pos);
      if (dash < end) throw this.fail(dash, "no '--' inside a comment", "'--'");
      this.pos = end + 3;
      return true;
    }
    if (this.startsWith("<?")) {
      const at = this.pos;
      this.pos += 2;
      const target = this.name("a processing instruction target");
      if (target.toLowerCase() === "xml")
        throw this.fail(
          at,
          inProlog ? "the XML declaration first in the document" : "no XML declaration here",
          "'<?xml'",
        );
      this.pos = this.through("?>", "a processing instruction") + 2;
      return true;
    }
    return false;
  }

  declaration(): void {
    if (!this.startsWith("<?xml") || !/[ \t\r\n?]/.test(this.text[5] ?? "")) return;
    const end = this.through("?>", "the XML declaration");
    const decl = this.text.slice(0, end);
    const enc = /\bencoding\s*=\s*["']([^"']*)["']/.exec(decl);
    if (enc !== null && !ENCODINGS.has(enc[1]!.toLowerCase()))
      throw this.fail(enc.index, "encoding UTF-8 (the only one read here)", JSON.stringify(enc[1]));
    if (!/^<\?xml\s+version\s*=\s*["']1\.[0-9]+["']/.test(decl))
      throw this.fail(0, 'an XML declaration starting with version="1.x"');
    this.pos = end + 2;
  }

  /** Reads a start tag's name and attributes; the position is then past `>` or `/>`. */
  startTag(): { name: string; attributes: Record<string, string>; empty: boolean } {
    this.pos++;
    const name = this.name("an element name after '<'");
    const attributes: Record<string, string> = Object.create(null);
    for (;;) {
      const spaced = this.skipSpace();
      if (this.startsWith("/>")) {
        this.pos += 2;
        return { name, attributes, empty: true };
      }
      if (this.startsWith(">")) {
        this.pos++;
        return { name, attributes, empty: false };
      }
      if (!spaced) throw this.fail(this.pos, `whitespace, '>' or '/>' in <${name}>`);
      const attrAt = this.pos;
      const attr = this.name(`an attribute name, '>' or '/>' in <${name}>`);
      this.skipSpace();
      if (!this.startsWith("=")) throw this.fail(this.pos, `'=' after attribute ${attr}`);
      this.pos++;
      this.skipSpace();
      const quote = this.text[this.pos];
      if (quote !== '"' && quote !== "'") throw this.fail(this.pos, `a quoted value for attribute ${attr}`);
      this.pos++;
      const valueAt = this.pos;
      const end = this.through(quote, `the value of attribute ${attr}`);
      const raw = this.text.slice(valueAt, end);
      const lt = raw.indexOf("<");
      if (lt !== -1) throw this.fail(valueAt + lt, `no '<' in the value of attribute ${attr}`, "'<'");
      if (Object.hasOwn(attributes, attr))
        throw this.fail(attrAt, `attribute ${attr} only once in <${name}>`);
      attributes[attr] = this.decode(raw, valueAt, attributeLiteral);
      this.pos = end + 1;
    }
  }

  read(handler: XmlHandler): void {
    const bad = INVALID_CHAR.exec(this.text);
    if (bad !== null)
      throw this.fail(
        bad.index,
        "only characters XML allows",
        `U+${bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`,
      );
    this.declaration();
    for (;;) {
      this.skipSpace();
      if (this.misc(true)) continue;
      break;
    }
    if (this.startsWith("<!DOCTYPE"))
      throw this.fail(this.pos, "no DOCTYPE (RPM-MD documents have none)", "'<!DOCTYPE'");
    if (this.text[this.pos] !== "<" || this.startsWith("</") || this.startsWith("<!"))
      throw this.fail(this.pos, "the root element");

    const open: string[] = [];
    do {
      const lt = this.text.indexOf("<", this.pos);
      const end = lt === -1 ? this.text.length : lt;
      if (end > this.pos) {
        const raw = this.text.slice(this.pos, end);
        const cdataEnd = raw.indexOf("]]>");
        if (cdataEnd !== -1) throw this.fail(this.pos + cdataEnd, "no ']]>' in text", "']]>'");
        handler.text?.(this.decode(raw, this.pos, lineEnds), open.length - 1);
        this.pos = end;
      }
      if (lt === -1) break;
      if (this.startsWith("</")) {
        const at = this.pos;
        this.pos += 2;
        const name = this.name("an element name after '</'");
        this.skipSpace();
        if (!this.startsWith(">")) throw this.fail(this.pos, `'>' closing </${name}`);
        this.pos++;
        const expected = open.pop();
        if (expected !== name) throw this.fail(at, `</${expected}>`, `</${name}>`);
        handler.close?.(name, open.length);
      } else if (this.startsWith("<![CDATA[")) {
        this.pos += 9;
        const close = this.through("]]>", "a CDATA section");
        handler.text?.(this.text.slice(this.pos, close), open.length - 1);
        this.pos = close + 3;
      } else if (this.startsWith("<!--") || this.startsWith("<?")) {
        this.misc(false);
      } else if (this.startsWith("<!")) {
        throw this.fail(this.pos, "an element, comment, CDATA section or processing instruction");
      } else {
        const at = this.pos;
        const tag = this.startTag();
        if (open.length >= this.maxDepth)
          throw this.fail(at, `elements nested at most ${this.maxDepth} deep`, `<${tag.name}> deeper`);
        handler.open?.(tag.name, tag.attributes, open.length);
        if (tag.empty) handler.close?.(tag.name, open.length);
        else open.push(tag.name);
      }
    } while (open.length > 0);
    if (open.length > 0) throw this.fail(this.text.length, `</${open[open.length - 1]}>`);

    for (;;) {
      this.skipSpace();
      if (this.pos >= this.text.length) return;
      if (!this.misc(false)) throw this.fail(this.pos, "nothing after the root element but comments");
    }
  }
}

/**
 * Decodes a document's bytes as UTF-8 (a leading byte-order mark dropped).
 * @throws RepoError VERIFY_FAILED naming `where` when the bytes are not UTF-8.
 */
export function decodeXml(bytes: Uint8Array, where: string): string {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch (e) {
    throw new RepoError(
      "VERIFY_FAILED",
      `${where}: not well-formed XML: expected UTF-8 text, found invalid UTF-8 bytes`,
      { path: where, expected: "UTF-8 text", found: "invalid UTF-8 bytes" },
      { cause: e },
    );
  }
}

/**
 * Reads a document, reporting its elements and text to `handler` as it goes (so a large document is never
 * held as a tree). The handler may throw to stop.
 * @throws RepoError VERIFY_FAILED naming `where`, with `data.offset`, `line`, `column`, `expected`, `found`,
 * when the text is not a well-formed document.
 *
 * @example readXml(text, { open: (name, attrs) => names.push(name) }, "repodata/repomd.xml");
 */
export function readXml(
  text: string,
  handler: XmlHandler,
  where: string,
  options: XmlReadOptions = {},
): void {
  new Reader(text, where, options.maxDepth ?? DEFAULT_MAX_DEPTH).read(handler);
}

/**
 * Reads a (small) document whole into a tree of elements and text. Adjacent text pieces (CDATA, text
 * around a comment) are joined.
 * @throws RepoError VERIFY_FAILED as {@link readXml}.
 *
 * @example parseXml('<a x="1">hi</a>', "a.xml"); // { name: "a", attributes: { x: "1" }, children: ["hi"] }
 */
export function parseXml(text: string, where: string, options: XmlReadOptions = {}): XmlElement {
  let root: XmlElement | undefined;
  const stack: XmlElement[] = [];
  readXml(
    text,
    {
      open(name, attributes) {
        const element: XmlElement = { name, attributes, children: [] };
        const parent = stack[stack.length - 1];
        if (parent === undefined) root = element;
        else parent.children.push(element);
        stack.push(element);
      },
      close() {
        stack.pop();
      },
      text(t) {
        // readXml reports text only inside the root element.
        const parent = stack[stack.length - 1]!;
        const last = parent.children.length - 1;
        if (typeof parent.children[last] === "string") parent.children[last] += t;
        else parent.children.push(t);
      },
    },
    where,
    options,
  );
  return root!;
}

/** The child elements of `element`, those named `name` when given. */
export function childElements(element: XmlElement, name?: string): XmlElement[] {
  return element.children.filter(
    (c): c is XmlElement => typeof c !== "string" && (name === undefined || c.name === name),
  );
}

/** The text directly inside `element` (its child elements' text left out). */
export function textOf(element: XmlElement): string {
  return element.children.filter((c): c is string => typeof c === "string").join("");
}
