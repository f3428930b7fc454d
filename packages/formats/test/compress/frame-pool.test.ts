/**
 * Framed compression on worker threads: the bytes equal the one-thread output and compressFrame per
 * piece, for any thread count and input chunking; worker errors arrive as the same errors; workers end
 * when the stream fails or its consumer stops early.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { compress, compressFrame } from "../../src/compress/compress.ts";
import type { Compression } from "../../src/compress/compression.ts";
import { decompressBytes } from "../../src/compress/decompress.ts";
import { liveFrameWorkers } from "../../src/compress/frame-pool.ts";
import { collect, sameBytes, sampleBytes } from "./helpers.ts";
import { chunked } from "@packyard/testkit/chunked";

const content = fc
  .record({
    seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
    length: fc.integer({ min: 0, max: 120_000 }),
    patch: fc.uint8Array({ maxLength: 2000 }),
  })
  .map(({ seed, length, patch }) => {
    const bytes = sampleBytes(length, seed);
    bytes.set(patch.subarray(0, Math.max(0, length - 10)), Math.min(10, length));
    return bytes;
  });
const cuts = fc.array(fc.integer({ min: 1, max: 40_000 }), { minLength: 1, maxLength: 8 });

async function perPiece(bytes: Uint8Array, c: Compression, size: number): Promise<Uint8Array> {
  const frames: Uint8Array[] = [];
  if (bytes.length === 0) frames.push(await compressFrame(bytes, c));
  for (let at = 0; at < bytes.length; at += size)
    frames.push(await compressFrame(bytes.slice(at, at + size), c));
  return collect(
    (async function* () {
      yield* frames;
    })(),
  );
}

for (const [algo, level] of [
  ["gzip", 6],
  ["zstd", 3],
  ["xz", 0],
] as const) {
  test(`${algo}: threads 1, 2 and 3 give the bytes of compressFrame per piece, for any chunking`, async () => {
    await fc.assert(
      fc.asyncProperty(
        content,
        cuts,
        fc.integer({ min: 5_000, max: 30_000 }),
        async (bytes, sizes, chunkBytes) => {
          const expected = await perPiece(bytes, { algo, level }, chunkBytes);
          for (const threads of [1, 2, 3]) {
            const c: Compression = { algo, level, framing: { chunkBytes, threads } };
            const out = await collect(compress(chunked(bytes, sizes), c));
            sameBytes(
              out,
              expected,
              `${algo} threads ${threads} frame ${chunkBytes} cuts ${sizes.join(",")}`,
            );
          }
          sameBytes(await decompressBytes(expected, algo), bytes, `${algo} round trip`);
        },
      ),
      { numRuns: algo === "xz" ? 4 : 8 },
    );
    assert.equal(liveFrameWorkers(), 0);
  });
}

test("an error inside a worker arrives as the one-thread error, and the workers are gone", async () => {
  // An unvalidated level reaches zlib, which throws in the worker exactly as on the main thread.
  const bad = (threads: number): Compression => ({
    algo: "gzip",
    level: 99,
    framing: { chunkBytes: 1000, threads },
  });
  const input = sampleBytes(10_000);
  const seen: Array<{ name: string; code: unknown }> = [];
  for (const threads of [1, 2]) {
    await assert.rejects(collect(compress(chunked(input, 700), bad(threads))), (e: unknown) => {
      assert.ok(e instanceof Error);
      seen.push({ name: e.constructor.name, code: (e as { code?: unknown }).code });
      return true;
    });
  }
  assert.equal(seen[0]?.name, "RangeError");
  assert.deepEqual(seen[1], seen[0]);
  assert.equal(liveFrameWorkers(), 0);
});

test("a consumer that stops early terminates the workers (and the process can exit)", async () => {
  const c: Compression = { algo: "zstd", framing: { chunkBytes: 4096, threads: 2 } };
  let pulled = 0;
  async function* endless(): AsyncGenerator<Uint8Array> {
    for (;;) {
      pulled++;
      yield sampleBytes(4096, pulled);
    }
  }
  let frames = 0;
  for await (const frame of compress(endless(), c)) {
    assert.ok(frame.length > 0);
    if (++frames === 3) break;
  }
  assert.equal(liveFrameWorkers(), 0);
  // Bounded in flight: 2 threads × 2 pieces ahead of the 3 frames taken, plus the one being read.
  assert.ok(pulled <= 3 + 4 + 1, `pulled ${pulled} pieces`);
});

test("a failing input stream terminates the workers and rethrows its error", async () => {
  const c: Compression = { algo: "gzip", framing: { chunkBytes: 1000, threads: 2 } };
  async function* failing(): AsyncGenerator<Uint8Array> {
    yield sampleBytes(5000);
    throw new TypeError("source broke");
  }
  await assert.rejects(collect(compress(failing(), c)), /source broke/);
  assert.equal(liveFrameWorkers(), 0);
});
