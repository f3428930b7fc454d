import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeBase64, decodeHex, encodeBase64, encodeHex } from "../../src/bytes/encoding.ts";

// Lengths around the 3-byte base64 groups and past the 32 KiB piece encodeBase64 converts at a time.
const samples = [0, 1, 2, 3, 4, 255, 0x8000, 0x8001, 100_003].map((n) =>
  Uint8Array.from({ length: n }, (_, i) => (i * 131 + 7) & 0xff),
);

test("encodeHex and encodeBase64 agree with Node's Buffer; the decoders invert them", () => {
  for (const b of samples) {
    const buf = Buffer.from(b);
    assert.equal(encodeHex(b), buf.toString("hex"));
    assert.equal(encodeBase64(b), buf.toString("base64"));
    assert.deepEqual(decodeHex(encodeHex(b)), b);
    assert.deepEqual(decodeHex(encodeHex(b).toUpperCase()), b);
    assert.deepEqual(decodeBase64(encodeBase64(b)), b);
  }
});

test("encodeHex puts the separator between bytes only; decodeBase64 refuses what is not base64", () => {
  assert.equal(encodeHex(new Uint8Array([0x1f, 0x8b, 0x08]), " "), "1f 8b 08");
  assert.equal(encodeHex(new Uint8Array(0), " "), "");
  assert.throws(() => decodeBase64("not base64!"));
});
