/** rpmmd/xml: libxml2 2.9's escaping of text and attributes, and refusal of what XML cannot carry. */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { isRepoError } from "../../src/errors.ts";
import { findForbiddenXmlChar, xmlAttr, xmlInteger, xmlText } from "../../src/rpmmd/xml.ts";
import { attr, parseXml, textOf } from "./xml-parse.ts";

test("text: & < > and CR escaped, quotes, TAB, LF and non-ASCII verbatim", () => {
  assert.equal(xmlText(`a&b<c>d"e'f\tg\nh\ri ü 😀`, "t"), `a&amp;b&lt;c&gt;d"e'f\tg\nh&#13;i ü 😀`);
});

test('attributes: & < > " entities, TAB LF CR and every non-ASCII code point as hex references', () => {
  assert.equal(
    xmlAttr(`a&b<c>d"e'f\tg\nh\ri ü € 😀 \u007f`, "t"),
    `a&amp;b&lt;c&gt;d&quot;e'f&#9;g&#10;h&#13;i &#xFC; &#x20AC; &#x1F600; \u007f`,
  );
});

test("C0 controls (but TAB LF CR), U+FFFE, U+FFFF and lone surrogates are refused", () => {
  const bad = [
    ...Array.from({ length: 32 }, (_, c) => c).filter((c) => c !== 9 && c !== 10 && c !== 13),
    0xfffe,
    0xffff,
  ].map((c) => String.fromCharCode(c));
  bad.push("\ud800", "\udc00", "x\ud83dy");
  for (const ch of bad) {
    const s = `ok${ch}ok`;
    assert.notEqual(findForbiddenXmlChar(s), undefined, JSON.stringify(s));
    for (const f of [xmlText, xmlAttr])
      assert.throws(
        () => f(s, "field"),
        (e: unknown) => isRepoError(e) && e.code === "CORRUPT_STATE" && e.message.includes("field"),
      );
  }
  for (const s of ["\t\n\r", "\u{10FFFF}", "\ufffd", "😀", "\u007f\u0080"])
    assert.equal(findForbiddenXmlChar(s), undefined, JSON.stringify(s));
});

test("integers only", () => {
  assert.equal(xmlInteger(0, "n"), "0");
  assert.equal(xmlInteger(1704067200, "n"), "1704067200");
  for (const n of [1.5, Number.NaN, Number.POSITIVE_INFINITY])
    assert.throws(
      () => xmlInteger(n, "n"),
      (e: unknown) => isRepoError(e) && e.code === "CORRUPT_STATE",
    );
});

test("any XML-safe string survives text and attribute escaping through a strict parser", () => {
  const safe = fc
    .string({
      unit: fc.oneof(
        fc.constantFrom("&", "<", ">", '"', "'", "\t", "\n", "\r", " ", "]]>"),
        fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
      ),
    })
    .filter((s) => findForbiddenXmlChar(s) === undefined);
  fc.assert(
    fc.property(safe, (s) => {
      const doc = parseXml(`<a v="${xmlAttr(s, "v")}">${xmlText(s, "t")}</a>`);
      assert.equal(attr(doc, "v"), s);
      assert.equal(textOf(doc), s);
    }),
    { numRuns: 500 },
  );
});
