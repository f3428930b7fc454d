// Utf8Builder: the bytes TextEncoder gives for each appended part, one after another, however often the
// buffer grows (lone surrogates included: U+FFFD, as TextEncoder writes them).
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { Utf8Builder, utf8Document } from "../src/utf8.ts";

const encoder = new TextEncoder();

test("Utf8Builder gives TextEncoder's bytes of each part in turn, across growth from a tiny buffer", () => {
  const part = fc.oneof(
    fc.string({ unit: "binary", maxLength: 40 }),
    fc.constantFrom("", "\ud800", "\udc00", "😀", "é", "\uffff", "a".repeat(5000)),
  );
  fc.assert(
    fc.property(fc.array(part, { maxLength: 30 }), fc.integer({ min: 1, max: 64 }), (parts, capacity) => {
      const b = new Utf8Builder(capacity);
      for (const p of parts) b.append(p);
      assert.deepEqual(b.bytes(), new Uint8Array(Buffer.concat(parts.map((p) => encoder.encode(p)))));
    }),
    { numRuns: 2000 },
  );
});

test("utf8Document: open, each item's part in order, close", () => {
  const bytes = utf8Document("<l>", [1, 2, 3], (n) => `<i>${n}é</i>`, "</l>");
  assert.equal(new TextDecoder().decode(bytes), "<l><i>1é</i><i>2é</i><i>3é</i></l>");
  assert.deepEqual(utf8Document("", [], String, ""), new Uint8Array(0));
});
