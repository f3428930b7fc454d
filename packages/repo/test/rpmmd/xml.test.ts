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

test("escaping is the same for plain values (returned as they are) and for values with characters to escape", () => {
  // Every printable ASCII character, TAB, LF, CR, DEL and a few non-ASCII ones, in random short strings:
  // the result is the escaping the module documents, written out here character by character.
  const pool = [
    ...Array.from({ length: 95 }, (_, i) => String.fromCharCode(0x20 + i)),
    "\t",
    "\n",
    "\r",
    "\x7f",
    "é",
    "€",
    "😀",
  ];
  const escText = (c: string) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;" })[c] ?? c;
  const escAttr = (c: string) =>
    ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\t": "&#9;", "\n": "&#10;", "\r": "&#13;" })[
      c
    ] ?? (c.codePointAt(0)! > 0x7f ? `&#x${c.codePointAt(0)!.toString(16).toUpperCase()};` : c);
  let seed = 7;
  const next = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed;
  };
  for (let n = 0; n < 2000; n++) {
    const chars = Array.from({ length: next() % 12 }, () => pool[next() % (n % 3 === 0 ? pool.length : 95)]!);
    const s = chars.join("");
    assert.equal(xmlText(s, "t"), chars.map(escText).join(""), JSON.stringify(s));
    assert.equal(xmlAttr(s, "t"), chars.map(escAttr).join(""), JSON.stringify(s));
  }
  assert.throws(() => xmlText("a\u0001", "t"), { code: "CORRUPT_STATE" });
  assert.throws(() => xmlAttr("a\u0001", "t"), { code: "CORRUPT_STATE" });
});
