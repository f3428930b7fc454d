/**
 * Mutations of the text metadata inside packages: deb822 control files and `key = value` files (.PKGINFO,
 * .BUILDINFO), line-based files (md5sums, conffiles, scripts, .MTREE), and XML (xar TOC, PackageInfo,
 * Distribution). Lines and fields are dropped, duplicated, emptied or given hostile values; XML elements
 * lose or repeat children, numbers change, entities and deep nesting appear.
 */
import { decodeUtf8, encodeUtf8 } from "../../../src/bytes/bytes.ts";
import type { Rng } from "../rng.ts";
import { havoc, type Mutated } from "./bytes.ts";

const VALUES = [
  "",
  " ",
  "0",
  "-1",
  "99999999999999999999",
  "1e400",
  "NaN",
  "../../../etc",
  "/",
  "a".repeat(5000),
  "x | y",
  "foo (>= 1.0), bar (<< ) ,, baz [amd64]",
  "pkg>=1.0<2",
  "so:libc.musl-x86_64.so.1",
  "1:2:3-4-5",
  "~~~",
  "\u00ff\u00fe",
  "\t",
  "a=b=c",
  "(x or y)",
  "!conflict",
  "=1.0",
  "cmd:sh",
  "__proto__",
  "constructor",
  "%",
  "%zz",
  "#%E0%A4%A.pkg",
  "%00",
  "file:%2e%2e%2f",
  "\\x",
  "$(id)",
];

function latin1OrUtf8(bytes: Uint8Array): string {
  try {
    return decodeUtf8(bytes);
  } catch {
    return new TextDecoder("latin1").decode(bytes);
  }
}

/** One mutation of a line-oriented text file (deb822, key = value, md5sums, scripts, mtree). */
export function mutateText(rng: Rng, bytes: Uint8Array): Mutated {
  const text = latin1OrUtf8(bytes);
  const lines = text.split("\n");
  const i = rng.int(lines.length);
  const line = lines[i] ?? "";
  const kind = rng.int(9);
  if (kind === 0) {
    lines.splice(i, 1);
    return {
      bytes: encodeUtf8(lines.join("\n")),
      what: `line ${i} removed (${JSON.stringify(line.slice(0, 40))})`,
    };
  }
  if (kind === 1) {
    lines.splice(i, 0, line);
    return { bytes: encodeUtf8(lines.join("\n")), what: `line ${i} duplicated` };
  }
  if (kind <= 4) {
    // keep the key, change the value (`Key: value`, `key = value`, `key=value`)
    const m = /^(\s*[^:=\s]+\s*[:=]\s*)(.*)$/.exec(line);
    const v = rng.pick(VALUES);
    lines[i] = m ? `${m[1]}${v}` : v;
    return {
      bytes: encodeUtf8(lines.join("\n")),
      what: `line ${i} value = ${JSON.stringify(v.slice(0, 60))}`,
    };
  }
  if (kind === 5) {
    const v = rng.pick([" continuation", "\u0000", "Key-Without-Colon", ":", "=", " ", "#", "key = "]);
    lines.splice(i, 0, v);
    return { bytes: encodeUtf8(lines.join("\n")), what: `line ${JSON.stringify(v)} inserted at ${i}` };
  }
  if (kind === 6) {
    const n = rng.pick([1000, 20_000]);
    const unit = rng.chance(0.5) && line.length * n < 4_000_000 ? line : " .";
    lines.splice(i, 0, ...new Array<string>(n).fill(unit));
    return { bytes: encodeUtf8(lines.join("\n")), what: `line ${i} repeated ${n} times` };
  }
  if (kind === 7) {
    const cut = rng.int(bytes.length + 1);
    return { bytes: bytes.slice(0, cut), what: `text cut at ${cut}` };
  }
  return havoc(rng, bytes, 2);
}

/** One mutation of an XML document, as text (the caller re-encodes and re-compresses). */
export function mutateXml(rng: Rng, bytes: Uint8Array): Mutated {
  const xml = latin1OrUtf8(bytes);
  // elements with text content only: <name attrs>text</name>
  const leaves = [...xml.matchAll(/<([A-Za-z][-\w.:]*)([^<>]*)>([^<]*)<\/\1>/g)];
  const opens = [...xml.matchAll(/<([A-Za-z][-\w.:]*)[^<>]*>/g)];
  const kind = rng.int(10);
  const at = (m: RegExpMatchArray) => m.index ?? 0;
  const edit = (start: number, end: number, insert: string, what: string): Mutated => ({
    bytes: encodeUtf8(xml.slice(0, start) + insert + xml.slice(end)),
    what,
  });
  if (kind <= 2 && leaves.length > 0) {
    const m = rng.pick(leaves);
    const numeric = /^\s*\d+\s*$/.test(m[3]!);
    const v = numeric
      ? rng.pick([
          "0",
          "-1",
          "1",
          "4294967296",
          "99999999999999999",
          "18446744073709551615",
          " 7 ",
          "1e3",
          "0x10",
          "",
        ])
      : rng.pick(VALUES);
    const start = at(m) + m[0].indexOf(">") + 1;
    return edit(
      start,
      start + m[3]!.length,
      v,
      `<${m[1]}> text ${JSON.stringify(m[3]!.slice(0, 30))} -> ${JSON.stringify(v.slice(0, 30))}`,
    );
  }
  if (kind === 3 && leaves.length > 0) {
    const m = rng.pick(leaves);
    return edit(at(m), at(m) + m[0].length, "", `<${m[1]}> element removed`);
  }
  if (kind === 4 && leaves.length > 0) {
    const m = rng.pick(leaves);
    return edit(at(m), at(m), m[0], `<${m[1]}> element duplicated`);
  }
  if (kind === 5 && opens.length > 0) {
    // an attribute changed or added
    const m = rng.pick(opens);
    const end = at(m) + m[0].length - (m[0].endsWith("/>") ? 2 : 1);
    const attr = rng.pick([
      ' style="md5"',
      ' style="none"',
      ' style="sha512"',
      ' id="1"',
      ' id="1" id="2"',
      ' x="&bogus;"',
      " y='&#0;'",
      ' style="application/x-bzip2"',
      ' style="application/octet-stream"',
    ]);
    return edit(end, end, attr, `attribute${attr} added to <${m[1]}>`);
  }
  if (kind === 6 && opens.length > 0) {
    const m = rng.pick(opens);
    const depth = rng.pick([100, 300, 5000, 50_000]);
    const name = rng.chance(0.5) ? "file" : "x";
    const inner = name === "file" ? "<file><name>d</name>" : `<${name}>`;
    const nest = inner.repeat(depth) + `</${name}>`.repeat(depth);
    const end = at(m) + m[0].length;
    return edit(end, end, nest, `${depth} nested <${name}> inserted in <${m[1]}>`);
  }
  if (kind === 7) {
    const ins = rng.pick([
      '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]>',
      "<![CDATA[",
      "&#x110000;",
      "&#0;",
      "&amp",
      "<!-- unterminated",
      "<?pi",
      "</toc>",
      "<a b=c>",
      "\u0000",
      '<file id="9"><name>..</name></file>',
      '<file id="9"><name>a/b</name></file>',
      '<file id="9"><name>x</name><data><offset>0</offset><length>99999999999</length><size>1</size></data></file>',
    ]);
    const p = rng.int(xml.length + 1);
    return edit(p, p, ins, `${JSON.stringify(ins.slice(0, 40))} inserted at character ${p}`);
  }
  if (kind === 8 && opens.length > 0) {
    const m = rng.pick(opens);
    const n = rng.pick([1000, 20_000]);
    const end = at(m) + m[0].length;
    const sibling = rng.chance(0.5) ? "<file><name>f</name></file>" : "<x/>";
    return edit(end, end, sibling.repeat(n), `${n} ${sibling} inserted in <${m[1]}>`);
  }
  return havoc(rng, bytes, 2);
}
