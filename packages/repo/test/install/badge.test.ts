/**
 * badge.svg: text XML-escaped (hostile values stay text), width grows with the text, the SVG is well formed
 * as far as a small tokenizer here can tell (Node has no XML parser; the interop page test also parses the
 * badge with Chromium's DOMParser), the accessible name says `label: value`, and the version chosen.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { badgeFor, badgeSvg, badgeVersion, textWidth } from "../../src/install/badge.ts";
import { HOSTILE, sampleInstallDocument } from "@packyard/testkit/install-document";

const ENTITY = /^&(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9A-Fa-f]+);/;
const DECODE: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function decode(value: string): string {
  return value.replace(/&(amp|lt|gt|quot|apos);/g, (_, name: string) => DECODE[name]!);
}

/**
 * The problems a strict reading of `xml` finds: a `<` that opens no well-formed tag, an attribute not
 * double-quoted or repeated, a `&` that starts no predefined entity, unbalanced tags, more than one root.
 * Comments, CDATA, doctypes and processing instructions are refused (the badge has none).
 */
function xmlProblems(xml: string): string[] {
  const problems: string[] = [];
  const stack: string[] = [];
  let roots = 0;
  const tag = /<(\/?)([A-Za-z_][\w.:-]*)((?:\s+[A-Za-z_][\w.:-]*\s*=\s*"[^"<]*")*)\s*(\/?)>/y;
  for (let i = 0; i < xml.length; ) {
    const c = xml[i]!;
    if (c === "&") {
      const m = ENTITY.exec(xml.slice(i));
      if (m === null) problems.push(`raw & at ${i}`);
      i += m === null ? 1 : m[0].length;
    } else if (c === "<") {
      tag.lastIndex = i;
      const m = tag.exec(xml);
      if (m === null) {
        problems.push(`a < that opens no tag at ${i}: ${xml.slice(i, i + 30)}`);
        i++;
        continue;
      }
      const [whole, closing, name, attrs = "", selfClosing] = m;
      const names = [...attrs.matchAll(/([A-Za-z_][\w.:-]*)\s*=\s*"([^"]*)"/g)].map((a) => {
        if (/&(?!(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9A-Fa-f]+);)/.test(a[2]!))
          problems.push(`raw & in ${a[1]}`);
        return a[1]!;
      });
      if (new Set(names).size !== names.length) problems.push(`repeated attribute in <${name}>`);
      if (closing === "/") {
        if (stack.pop() !== name) problems.push(`</${name}> closes nothing open`);
      } else if (selfClosing !== "/") {
        if (stack.length === 0) roots++;
        stack.push(name!);
      } else if (stack.length === 0) roots++;
      i += whole.length;
    } else {
      if (stack.length === 0 && !/\s/.test(c)) problems.push(`text outside the root at ${i}`);
      i++;
    }
  }
  if (stack.length > 0) problems.push(`unclosed ${stack.join(", ")}`);
  if (roots !== 1) problems.push(`${roots} root elements`);
  return problems;
}

test("the XML checker is not a rubber stamp", () => {
  assert.deepEqual(xmlProblems(`<svg a="1"><title>x &amp; y</title></svg>`), []);
  assert.notDeepEqual(xmlProblems(`<svg><title>x & y</title></svg>`), []);
  assert.notDeepEqual(xmlProblems(`<svg><title><b>x</title></svg>`), []);
  assert.notDeepEqual(xmlProblems(`<svg a=1></svg>`), []);
  assert.notDeepEqual(xmlProblems(`<svg a="1" a="2"></svg>`), []);
  assert.notDeepEqual(xmlProblems(`<svg></svg><svg></svg>`), []);
  assert.notDeepEqual(xmlProblems(`<svg a="<"></svg>`), []);
});

test("hostile label and value stay text: escaped, well formed, no element of theirs", () => {
  const svg = badgeSvg(HOSTILE, HOSTILE);
  assert.deepEqual(xmlProblems(svg), []);
  assert.ok(!svg.includes("<b>"), "the hostile <b> element appears raw");
  assert.ok(!svg.includes(HOSTILE));
  const elements = new Set([...svg.matchAll(/<([A-Za-z]\w*)/g)].map((m) => m[1]));
  assert.deepEqual([...elements].sort(), [
    "clipPath",
    "g",
    "linearGradient",
    "rect",
    "stop",
    "svg",
    "text",
    "title",
  ]);
  const title = /<title>([^<]*)<\/title>/.exec(svg)![1]!;
  assert.equal(decode(title), `${HOSTILE}: ${HOSTILE}`);
  const label = /aria-label="([^"]*)"/.exec(svg)![1]!;
  assert.equal(decode(label), `${HOSTILE}: ${HOSTILE}`);
  const texts = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => decode(m[1]!));
  assert.deepEqual(texts, [HOSTILE, HOSTILE, HOSTILE, HOSTILE]);
});

test("characters XML cannot hold become U+FFFD, line breaks a space; still well formed", () => {
  const svg = badgeSvg("a\u0000b\u001bc", "1\n2\uD800");
  assert.deepEqual(xmlProblems(svg), []);
  assert.equal(decode(/<title>([^<]*)<\/title>/.exec(svg)![1]!), "a\uFFFDb\uFFFDc: 1 2\uFFFD");
  assert.ok(!/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/.test(svg));
});

test("text width grows with every character, and so does the badge", () => {
  fc.assert(
    fc.property(
      fc.string({ maxLength: 40 }),
      fc.string({ minLength: 1, maxLength: 3, unit: "grapheme" }),
      (s, more) => {
        assert.ok(textWidth(s + more) > textWidth(s), `${JSON.stringify(s)} + ${JSON.stringify(more)}`);
      },
    ),
  );
  const width = (svg: string) => Number(/^<svg[^>]* width="(\d+)"/.exec(svg)![1]);
  const widths = ["1", "1.0", "1.0.0", "1.0.0-rc1", "1.0.0-rc1+build.20240101"].map((v) =>
    width(badgeSvg("x", v)),
  );
  for (let i = 1; i < widths.length; i++) assert.ok(widths[i]! > widths[i - 1]!, widths.join(" "));
  // wide glyphs count wider than narrow ones
  assert.ok(textWidth("版本") > textWidth("ab"));
  assert.ok(textWidth("WWW") > textWidth("iii"));
});

test("geometry: the two parts cover the width, each text centred in its part with 5px either side", () => {
  const svg = badgeSvg("hello", "v1.2.3");
  const width = Number(/^<svg[^>]* width="(\d+)"/.exec(svg)![1]);
  const rects = [...svg.matchAll(/<rect (?:x="(\d+)" )?width="(\d+)" height="20" fill="#/g)].map((m) => ({
    x: Number(m[1] ?? 0),
    w: Number(m[2]),
  }));
  assert.equal(rects[0]!.x, 0);
  assert.equal(rects[1]!.x, rects[0]!.w);
  assert.equal(rects[0]!.w + rects[1]!.w, width);
  const texts = [...svg.matchAll(/<text x="([\d.]+)" textLength="([\d.]+)"/g)].map((m) => ({
    x: Number(m[1]),
    length: Number(m[2]),
  }));
  assert.equal(texts[0]!.x, rects[0]!.w / 2);
  assert.equal(texts[1]!.x, rects[0]!.w + rects[1]!.w / 2);
  assert.equal(rects[0]!.w, Math.ceil(texts[0]!.length) + 10);
  assert.equal(rects[1]!.w, Math.ceil(texts[1]!.length) + 10);
});

test("deterministic: the same text gives the same bytes", () => {
  assert.equal(badgeSvg("hello", "v1.0.0"), badgeSvg("hello", "v1.0.0"));
  assert.equal(badgeFor(sampleInstallDocument()), badgeFor(sampleInstallDocument()));
});

test("badgeFor: the repository's name and the upstream version of the package its targets install", () => {
  const doc = sampleInstallDocument();
  assert.equal(badgeVersion(doc), "v1.0.0"); // the download's, not 1.0.0-1 or 1.0.0-r1
  assert.match(badgeFor(doc), /aria-label="Hello: v1\.0\.0"/);
  const noDownload = { ...doc, latest: doc.latest.filter((p) => p.family !== "download") };
  assert.equal(badgeVersion(noDownload), "v1.0.0-1");
  const alpineOnly = { ...doc, latest: doc.latest.filter((p) => p.family === "alpine") };
  assert.equal(badgeVersion(alpineOnly), "v1.0.0-r1");
  const epoch = { ...doc, latest: [{ family: "deb" as const, name: "hello", version: "1:2.0-1" }] };
  assert.equal(badgeVersion(epoch), "v1:2.0-1");
  const other = { ...doc, latest: [{ family: "deb" as const, name: "other", version: "9.9" }] };
  assert.equal(badgeVersion(other), undefined, "only the installed package's version counts");
  const empty = { ...doc, targets: [], latest: [] };
  assert.match(badgeFor(empty), /aria-label="Hello: no packages"/);
  const hostile = badgeFor(sampleInstallDocument({ hostile: true }));
  assert.deepEqual(xmlProblems(hostile), []);
  assert.equal(decode(/<title>([^<]*)<\/title>/.exec(hostile)![1]!), `${HOSTILE}: v1.0.0`);
});
