/** In-place writers: digits (tar/cpio fields) and text (names) against toString and TextEncoder. */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { utf8Length, writeAscii, writeUtf8 } from "../../src/bytes/bytes.ts";
import { writeHexDigits, writeOctalDigits } from "../../src/bytes/digits.ts";

const latin1 = (b: Uint8Array) => Buffer.from(b).toString("latin1");

test("writeOctalDigits and writeHexDigits write what toString(8 / 16) gives, zero-padded, at the offset", () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 17 }), fc.maxSafeNat(), fc.nat(5), (digits, max, at) => {
      const value = max % 8 ** digits; // fits `digits` octal digits
      const out = new Uint8Array(at + digits + 2).fill(0x2a);
      writeOctalDigits(out, at, digits, value);
      assert.equal(latin1(out), `${"*".repeat(at)}${value.toString(8).padStart(digits, "0")}**`);
    }),
  );
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 8 }), fc.nat(0xffffffff), fc.nat(5), (digits, max, at) => {
      const value = max % 16 ** digits;
      const out = new Uint8Array(at + digits + 2).fill(0x2a);
      writeHexDigits(out, at, digits, value);
      assert.equal(latin1(out), `${"*".repeat(at)}${value.toString(16).padStart(digits, "0")}**`);
    }),
  );
  const b = new Uint8Array(11);
  writeOctalDigits(b, 0, 11, 8 ** 11 - 1); // past 2^31: the division path
  assert.equal(latin1(b), "77777777777");
});

const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 20 }),
  fc
    .array(fc.constantFrom("a", "é", "\u0800", "\ud800", "\udc00", "\u{1f600}", "\uffff"), { maxLength: 12 })
    .map((a) => a.join("")),
);

test("utf8Length, writeUtf8 and writeAscii agree with TextEncoder (lone surrogates as U+FFFD)", () => {
  fc.assert(
    fc.property(text, fc.nat(60), fc.nat(3), (s, max, at) => {
      const bytes = new TextEncoder().encode(s);
      assert.equal(utf8Length(s), bytes.length);
      const out = new Uint8Array(at + max + 4);
      const n = writeUtf8(s, out, at, max);
      if (bytes.length <= max) {
        assert.equal(n, bytes.length);
        assert.deepEqual(out.subarray(at, at + n), bytes);
        assert.ok(out.subarray(0, at).every((b) => b === 0) && out.subarray(at + n).every((b) => b === 0));
      } else assert.equal(n, -1);
      const ascii = /^[\x00-\x7f]*$/.test(s) && s.length <= max;
      const a = new Uint8Array(at + max + 4);
      assert.equal(writeAscii(s, a, at, max), ascii ? s.length : -1);
      if (ascii) assert.deepEqual(a.subarray(at, at + s.length), bytes);
    }),
    { numRuns: 2000 },
  );
});
