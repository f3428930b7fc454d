import assert from "node:assert/strict";
import { test } from "node:test";
import zlib from "node:zlib";
import fc from "fast-check";
import { compress, compressBytes, compressFrame } from "../../src/compress/compress.ts";
import type { Compression } from "../../src/compress/compression.ts";
import { decompressBytes } from "../../src/compress/decompress.ts";
import { SpecError } from "../../src/errors.ts";
import { collect, sameBytes, sampleBytes } from "./helpers.ts";
import { chunked } from "@packyard/testkit/chunked";

const data = sampleBytes(300_000);

test("gzip: header has mtime 0 and OS byte 3, and two runs are identical", async () => {
  const a = await collect(compress(chunked(data, 4096), { algo: "gzip" }));
  const b = await collect(compress(chunked(data, 777), { algo: "gzip" }));
  assert.deepEqual([...a.subarray(0, 4)], [0x1f, 0x8b, 8, 0]);
  assert.deepEqual([...a.subarray(4, 8)], [0, 0, 0, 0]);
  assert.equal(a[9], 3);
  sameBytes(a, b);
  sameBytes(zlib.gunzipSync(a), data);
});

test("gzip: the OS byte is pinned even when the header arrives split", async () => {
  const framed = await compressBytes(data.subarray(0, 100), { algo: "gzip", framing: { chunkBytes: 10 } });
  let members = 0;
  for (let i = 0; i < framed.length - 1; i++)
    if (framed[i] === 0x1f && framed[i + 1] === 0x8b && framed[i + 9] === 3) members++;
  assert.ok(members >= 10);
});

for (const c of [
  { algo: "gzip", level: 1 },
  { algo: "gzip", level: 9 },
  { algo: "zstd" },
  { algo: "zstd", level: 19 },
  { algo: "none" },
] as Compression[]) {
  test(`round trip ${c.algo}:${c.level ?? "default"}`, async () => {
    const out = await collect(compress(chunked(data, [1, 7, 321, 65536]), c));
    if (c.algo !== "none") assert.ok(out.length < data.length, "smaller than input");
    sameBytes(await decompressBytes(out, c.algo), data);
    sameBytes(await decompressBytes(out, "auto"), data);
  });
}

test("zstd writes a content checksum (frame header descriptor bit 2)", async () => {
  const out = await compressBytes(data, { algo: "zstd" });
  assert.deepEqual([...out.subarray(0, 4)], [0x28, 0xb5, 0x2f, 0xfd]);
  assert.ok((out[4] as number) & 0x04);
});

test("bzip2 cannot be written", async () => {
  await assert.rejects(
    collect(compress(chunked(data, 100), { algo: "bzip2" })),
    (e: unknown) => e instanceof SpecError && e.code === "UNSUPPORTED_FEATURE",
  );
});

test("framing: output is independent of input chunking and equals per-piece compression", async () => {
  const input = sampleBytes(50_000, 7);
  for (const algo of ["gzip", "zstd"] as const) {
    const c: Compression = { algo, framing: { chunkBytes: 4096 } };
    const reference: Uint8Array[] = [];
    for (let at = 0; at < input.length; at += 4096)
      reference.push(await compressFrame(input.slice(at, at + 4096), c));
    const expected = await collect(
      (async function* () {
        yield* reference;
      })(),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 9000 }), { minLength: 1, maxLength: 20 }),
        async (sizes) => {
          const out = await collect(compress(chunked(input, sizes), c));
          sameBytes(out, expected, `${algo} framed`);
        },
      ),
      { numRuns: 15 },
    );
    sameBytes(await decompressBytes(expected, algo), input, `${algo} decompressed`);
  }
});

test("framing: empty input still gives one valid member", async () => {
  const out = await compressBytes(new Uint8Array(0), { algo: "gzip", framing: { chunkBytes: 10 } });
  assert.equal(zlib.gunzipSync(out).length, 0);
});
