/**
 * @packyard/formats/text — the text grammars packages and repository indexes share: deb822 stanzas
 * (control, Packages, Release), Arch/Alpine `key = value` metadata (.PKGINFO, .BUILDINFO), and a small
 * strict XML reader and writer (macOS PackageInfo/Distribution, xar TOC, RPM-MD). A building block: it
 * imports no format folder, config, format.ts or registry.ts.
 */
export {
  foldDescription,
  getField,
  isFieldName,
  parseStanza,
  parseStanzas,
  type Stanza,
  singleLineField,
  unfoldDescription,
} from "./deb822.ts";
export { decodeKeyValues, encodeKeyValues, type KeyValue } from "./kv.ts";
export {
  escapeXml,
  parseXml,
  XML_MAX_DEPTH,
  type XmlElement,
  xmlChild,
  xmlChildren,
  xmlTag,
} from "./xml.ts";
