/**
 * compareBytes compares strings in UTF-8 byte order without encoding them. Its definition, kept here as
 * the oracle: encode both with TextEncoder (a lone surrogate becomes U+FFFD) and compare byte by byte.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { compareBytes, sortBytewise, sortByPath } from "../../src/spec/order.ts";

function byEncoding(a: string, b: string): number {
  const ea = new TextEncoder().encode(a);
  const eb = new TextEncoder().encode(b);
  const n = Math.min(ea.length, eb.length);
  for (let i = 0; i < n; i++) if (ea[i] !== eb[i]) return ea[i]! - eb[i]!;
  return ea.length - eb.length;
}

// Code units around every boundary where UTF-16 and UTF-8 order could part: ASCII, 2- and 3-byte
// characters, both surrogate halves alone, U+E000..U+FFFF (after the surrogates in UTF-16, before
// astral characters in UTF-8), U+FFFD (what a lone surrogate encodes as) and astral characters.
const unit = fc.oneof(
  fc.constantFrom("a", "/", ".", "\u007f", "\u0080", "é", "\u07ff", "\u0800", "\ud7ff", "\ue000"),
  fc.constantFrom("\ufffd", "\uffff", "\ud800", "\udbff", "\udc00", "\udfff", "\u{10000}", "\u{10ffff}"),
  fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
  fc.integer({ min: 0x10000, max: 0x10ffff }).map((c) => String.fromCodePoint(c)),
);
const text = fc.array(unit, { maxLength: 8 }).map((u) => u.join(""));

test("compareBytes equals the byte comparison of the UTF-8 encodings, astral and lone surrogates included", () => {
  fc.assert(
    fc.property(text, text, text, (p, x, y) => {
      // a shared prefix puts the first difference anywhere, also just after a high surrogate
      for (const [a, b] of [
        [p + x, p + y],
        [x, y],
        [p + x, p],
        [p, p + y],
        [p, p],
      ] as const) {
        assert.equal(compareBytes(a, b), byEncoding(a, b), JSON.stringify([a, b]));
      }
    }),
    { numRuns: 20000 },
  );
});

test("compareBytes: the cases where UTF-16 order is not UTF-8 order", () => {
  const cases: [string, string][] = [
    ["\uffff", "\u{10000}"], // BMP above the surrogates sorts before astral in UTF-8
    ["\ud800", "\ufffd"], // a lone surrogate is U+FFFD: equal bytes
    ["\ud800", "\ud800\udc00"], // lone (EF BF BD) before a pair (F0 90 80 80), though a prefix in UTF-16
    ["x\ud800y", "x\ufffdy"],
    ["a", "ab"],
    ["é", "z"],
  ];
  for (const [a, b] of cases) {
    assert.equal(compareBytes(a, b), byEncoding(a, b), JSON.stringify([a, b]));
    assert.equal(compareBytes(b, a), byEncoding(b, a), JSON.stringify([b, a]));
  }
  assert.ok(compareBytes("\uffff", "\u{10000}") < 0 && "\uffff" > "\u{10000}");
  assert.equal(compareBytes("\ud800", "\ufffd"), 0);
});

test("sortBytewise orders as a stable sort by the UTF-8 encodings, on the native path and the compareBytes one", () => {
  const ascii = fc
    .array(fc.constantFrom("a", "b", "/", ".", "é", "\u07ff", "\ud7ff"), { maxLength: 5 })
    .map((u) => u.join(""));
  for (const keys of [ascii, text]) {
    fc.assert(
      fc.property(fc.array(keys, { maxLength: 40 }), (list) => {
        // the index tells equal keys apart: a stable sort keeps them in input order
        const items = list.map((k, i) => ({ k, i }));
        const expected = items.slice().sort((a, b) => byEncoding(a.k, b.k) || a.i - b.i);
        const got = sortBytewise(items.slice(), (x) => x.k);
        assert.deepEqual(got, expected);
      }),
      { numRuns: 3000 },
    );
  }
});

test("sortByPath sorts in place by path, astral paths after U+E000..U+FFFF as in UTF-8", () => {
  const list = [{ path: "/\u{10000}" }, { path: "/b" }, { path: "/\uffff" }, { path: "/a" }];
  const same = sortByPath(list);
  assert.equal(same, list);
  assert.deepEqual(
    list.map((e) => e.path),
    ["/a", "/b", "/\uffff", "/\u{10000}"],
  );
});
