/**
 * A small, strict XML reader and writer for the documents packyard writes and reads itself: the xar TOC,
 * macOS PackageInfo and Distribution, and the XML of repository indexes. No DTDs, no external entities, no namespaces processing (prefixed
 * names are kept verbatim, e.g. `ds:X509Certificate`). Element depth is bounded so hostile input cannot
 * exhaust the stack.
 */
import { FormatError } from "../errors.ts";

/** One element: name, attributes, child elements and the concatenated text directly inside it. */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

/** Deepest element nesting {@link parseXml} accepts. */
export const XML_MAX_DEPTH = 256;

/** Escapes text or an attribute value (`& < > "`). */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"]/g, (c) =>
    c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : "&quot;",
  );
}

/** Renders `<name a="v">` … `</name>` with escaped attributes (attribute order as given). */
export function xmlTag(
  name: string,
  attrs: Record<string, string | number | undefined>,
  inner?: string,
): string {
  let s = `<${name}`;
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) s += ` ${k}="${escapeXml(String(v))}"`;
  return inner === undefined ? `${s}/>` : `${s}>${inner}</${name}>`;
}

function bad(where: string, message: string, offset: number): FormatError {
  return new FormatError("BAD_HEADER", `${where}: malformed XML at character ${offset}: ${message}`, {
    path: where,
    offset,
  });
}

const NAME = /[A-Za-z_:][-A-Za-z0-9_.:]*/y;
const ENTITY: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

function decodeEntities(s: string, where: string, offset: number): string {
  if (!s.includes("&")) return s;
  return s.replace(/&([^;&\s]{1,10});/g, (_m, e: string) => {
    if (e in ENTITY) return ENTITY[e]!;
    const n = e.startsWith("#x")
      ? Number.parseInt(e.slice(2), 16)
      : e.startsWith("#")
        ? Number(e.slice(1))
        : Number.NaN;
    if (!Number.isInteger(n) || n < 1 || n > 0x10ffff) throw bad(where, `unknown entity &${e};`, offset);
    return String.fromCodePoint(n);
  });
}

/**
 * Parses one XML document into its root element. `where` names the document in errors (e.g. `xar TOC`).
 * @throws FormatError BAD_HEADER on malformed XML, DOCTYPE, mismatched tags or nesting over {@link XML_MAX_DEPTH}.
 */
export function parseXml(src: string, where: string): XmlElement {
  let i = 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  while (i < src.length) {
    const lt = src.indexOf("<", i);
    const textEnd = lt < 0 ? src.length : lt;
    if (textEnd > i) {
      const text = src.slice(i, textEnd);
      const top = stack[stack.length - 1];
      if (top) top.text += decodeEntities(text, where, i);
      else if (text.trim() !== "") throw bad(where, "text outside the root element", i);
    }
    if (lt < 0) break;
    i = lt;
    if (src.startsWith("<?", i)) {
      const end = src.indexOf("?>", i);
      if (end < 0) throw bad(where, "unterminated processing instruction", i);
      i = end + 2;
    } else if (src.startsWith("<!--", i)) {
      const end = src.indexOf("-->", i);
      if (end < 0) throw bad(where, "unterminated comment", i);
      i = end + 3;
    } else if (src.startsWith("<![CDATA[", i)) {
      const end = src.indexOf("]]>", i);
      const top = stack[stack.length - 1];
      if (end < 0 || !top) throw bad(where, "CDATA outside an element or unterminated", i);
      top.text += src.slice(i + 9, end);
      i = end + 3;
    } else if (src.startsWith("<!", i)) {
      throw bad(where, "DOCTYPE and declarations are not accepted", i);
    } else if (src.startsWith("</", i)) {
      NAME.lastIndex = i + 2;
      const m = NAME.exec(src);
      const top = stack.pop();
      if (!m || !top || m[0] !== top.name) throw bad(where, `unexpected closing tag`, i);
      const end = src.indexOf(">", NAME.lastIndex);
      if (end < 0 || src.slice(NAME.lastIndex, end).trim() !== "") throw bad(where, "bad closing tag", i);
      i = end + 1;
    } else {
      NAME.lastIndex = i + 1;
      const m = NAME.exec(src);
      if (!m) throw bad(where, "expected an element name", i);
      const el: XmlElement = { name: m[0], attrs: {}, children: [], text: "" };
      let j = NAME.lastIndex;
      let selfClosing = false;
      for (;;) {
        while (j < src.length && /\s/.test(src[j]!)) j++;
        if (src[j] === ">") {
          j++;
          break;
        }
        if (src.startsWith("/>", j)) {
          selfClosing = true;
          j += 2;
          break;
        }
        NAME.lastIndex = j;
        const a = NAME.exec(src);
        if (!a) throw bad(where, `bad attribute in <${el.name}>`, j);
        j = NAME.lastIndex;
        while (j < src.length && /\s/.test(src[j]!)) j++;
        if (src[j] !== "=") throw bad(where, `attribute ${a[0]} without a value`, j);
        j++;
        while (j < src.length && /\s/.test(src[j]!)) j++;
        const q = src[j];
        if (q !== '"' && q !== "'") throw bad(where, `attribute ${a[0]} value not quoted`, j);
        const close = src.indexOf(q, j + 1);
        if (close < 0) throw bad(where, "unterminated attribute value", j);
        if (Object.hasOwn(el.attrs, a[0])) throw bad(where, `duplicate attribute ${a[0]}`, j);
        el.attrs[a[0]] = decodeEntities(src.slice(j + 1, close), where, j);
        j = close + 1;
      }
      i = j;
      const parent = stack[stack.length - 1];
      if (parent) parent.children.push(el);
      else if (root) throw bad(where, "more than one root element", lt);
      else root = el;
      if (!selfClosing) {
        stack.push(el);
        if (stack.length > XML_MAX_DEPTH) throw bad(where, `nesting deeper than ${XML_MAX_DEPTH}`, lt);
      }
    }
  }
  if (stack.length > 0)
    throw bad(where, `element <${stack[stack.length - 1]!.name}> is not closed`, src.length);
  if (!root) throw bad(where, "no root element", 0);
  return root;
}

/** The first child element named `name`, or undefined. */
export function xmlChild(el: XmlElement, name: string): XmlElement | undefined {
  return el.children.find((c) => c.name === name);
}

/** Every child element named `name`. */
export function xmlChildren(el: XmlElement, name: string): XmlElement[] {
  return el.children.filter((c) => c.name === name);
}
