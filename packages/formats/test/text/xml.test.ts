/** text/xml: escaping, element writing, and the strict reader's refusals. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { FormatError } from "../../src/errors.ts";
import { escapeXml, parseXml, XML_MAX_DEPTH, xmlChild, xmlChildren, xmlTag } from "../../src/text/index.ts";

test("escapeXml and xmlTag: text and attributes escaped, undefined attributes left out", () => {
  assert.equal(escapeXml(`a<b>&"c"'`), "a&lt;b&gt;&amp;&quot;c&quot;'");
  assert.equal(
    xmlTag("pkg-ref", { id: "a&b", version: 2, skip: undefined }),
    '<pkg-ref id="a&amp;b" version="2"/>',
  );
  assert.equal(xmlTag("title", {}, escapeXml("x < y")), "<title>x &lt; y</title>");
});

test("what xmlTag writes, parseXml reads back", () => {
  const doc = `<?xml version="1.0"?>\n${xmlTag("root", { a: `q"<&>` }, xmlTag("c", { n: 1 }) + xmlTag("c", { n: 2 }, escapeXml("t&t")))}`;
  const root = parseXml(doc, "test");
  assert.equal(root.attrs.a, `q"<&>`);
  assert.equal(xmlChildren(root, "c").length, 2);
  assert.equal(xmlChildren(root, "c")[1]!.text, "t&t");
  assert.equal(xmlChild(root, "c")!.attrs.n, "1");
});

test("parseXml refuses DOCTYPE, mismatched tags and nesting past XML_MAX_DEPTH", () => {
  const bad = (src: string) =>
    assert.throws(
      () => parseXml(src, "test"),
      (e: unknown) => e instanceof FormatError && e.code === "BAD_HEADER",
    );
  bad('<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>');
  bad("<a><b></a></b>");
  bad(`${"<a>".repeat(XML_MAX_DEPTH + 1)}${"</a>".repeat(XML_MAX_DEPTH + 1)}`);
  assert.equal(parseXml(`${"<a>".repeat(XML_MAX_DEPTH)}${"</a>".repeat(XML_MAX_DEPTH)}`, "test").name, "a");
});
