// gzipBytes: the indexes' gzip in one call gives the bytes of @packyard/formats' compressBytes (one gzip
// stream), so moving the indexes to it changed no published byte; and it decompresses to its input.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { gunzipSync } from "node:zlib";
import { compressBytes } from "@packyard/formats/compress";
import { gzipBytes } from "../src/gzip.ts";

test("gzipBytes writes the bytes compressBytes writes for gzip, at levels 1, 6 (default) and 9", async () => {
  const text = new TextEncoder().encode("Package: hello\nVersion: 1.0\nDescription: x\n\n".repeat(80_000));
  // Empty, small, several MiB of text (past the size compressBytes hands to a worker), and noise.
  const inputs = [new Uint8Array(0), text.subarray(0, 100), text, randomBytes(3 << 20)];
  for (const input of inputs) {
    for (const level of [1, 6, 9]) {
      const ours = await gzipBytes(input, level);
      const theirs = await compressBytes(input, { algo: "gzip", level });
      assert.equal(
        Buffer.compare(Buffer.from(ours), Buffer.from(theirs)),
        0,
        `${input.length} bytes, level ${level}`,
      );
      assert.equal(Buffer.compare(gunzipSync(ours), Buffer.from(input)), 0);
      // mtime 0, OS byte 3 (Unix).
      assert.deepEqual([...ours.subarray(4, 8), ours[9]], [0, 0, 0, 0, 3]);
    }
    assert.deepEqual(await gzipBytes(input), await gzipBytes(input, 6));
  }
});
