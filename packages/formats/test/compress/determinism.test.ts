/**
 * compress() output depends only on the input bytes and the setting: random content cut into random
 * chunk sizes gives the bytes of the whole input written at once, for every algorithm, framed or not.
 * Before the fix, node:zlib's zstd changed with chunking (the last chunk raced end()) and gzip level 0's
 * stored blocks followed the writes.
 */
import { test } from "node:test";
import fc from "fast-check";
import { compress, compressBytes, COMPRESS_PIECE_BYTES } from "../../src/compress/compress.ts";
import type { Compression } from "../../src/compress/compression.ts";
import { decompressBytes } from "../../src/compress/decompress.ts";
import { collect, sameBytes, sampleBytes } from "./helpers.ts";
import { chunked } from "@packyard/testkit/chunked";

/** Text-like bytes up to ~2.5 pieces, with a random binary patch, so both matches and literals occur. */
const content = fc
  .record({
    seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
    length: fc.oneof(
      fc.integer({ min: 0, max: 2000 }),
      fc.integer({ min: COMPRESS_PIECE_BYTES - 10, max: Math.floor(COMPRESS_PIECE_BYTES * 2.5) }),
    ),
    patch: fc.uint8Array({ maxLength: 3000 }),
  })
  .map(({ seed, length, patch }) => {
    const bytes = sampleBytes(length, seed);
    const at = Math.floor(length / 3);
    bytes.set(patch.subarray(0, length - at), at);
    return bytes;
  });
const cuts = fc.array(fc.oneof(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 10, max: 300_000 })), {
  minLength: 1,
  maxLength: 12,
});

const settings: Array<[Compression, number]> = [
  [{ algo: "gzip" }, 12],
  [{ algo: "gzip", level: 0 }, 12],
  [{ algo: "zstd" }, 12],
  [{ algo: "zstd", level: 19 }, 4],
  [{ algo: "xz", level: 0 }, 6],
  [{ algo: "none" }, 6],
];

for (const [base, numRuns] of settings) {
  for (const framing of [undefined, { chunkBytes: 50_000 }]) {
    if (framing !== undefined && base.algo === "none") continue;
    const c: Compression = framing === undefined ? base : { ...base, framing };
    const name = `${c.algo}:${c.level ?? "default"}${framing ? " framed" : ""}`;
    test(`${name}: identical output for any input chunking`, async () => {
      await fc.assert(
        fc.asyncProperty(content, cuts, async (bytes, sizes) => {
          const whole = await compressBytes(bytes, c);
          const pieces = await collect(compress(chunked(bytes, sizes), c));
          sameBytes(pieces, whole, `${name}, cuts ${sizes.join(",")}`);
          sameBytes(await decompressBytes(whole, c.algo), bytes, `${name} round trip`);
        }),
        { numRuns },
      );
    });
  }
}
