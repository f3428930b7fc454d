import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { bytesSource, collect, concatBytes } from "../../src/bytes/bytes.ts";
import { chunked } from "@packyard/testkit/chunked";
import { ByteReader } from "../../src/bytes/reader.ts";
import { FormatError } from "../../src/errors.ts";

const data = Uint8Array.from({ length: 1000 }, (_, i) => (i * 31 + 7) & 0xff);

test("read, peek, skip, stream and readUpTo give the same bytes whatever the chunking", async () => {
  for (const size of [1, 7, 321, [3, 1, 50, 2]]) {
    const r = new ByteReader(chunked(data, size));
    assert.deepEqual(await r.peek(10), data.subarray(0, 10));
    assert.equal(r.offset, 0);
    assert.deepEqual(await r.read(10), data.subarray(0, 10));
    await r.skip(90);
    assert.equal(r.offset, 100);
    const streamed = await collect(r.stream(400));
    assert.deepEqual(streamed, data.subarray(100, 500));
    assert.equal(r.offset, 500);
    assert.equal(await r.atEnd(), false);
    assert.deepEqual(await r.readUpTo(10_000), data.subarray(500));
    assert.equal(await r.atEnd(), true);
    assert.deepEqual(await r.readUpTo(5), new Uint8Array(0));
  }
});

test("stream yields chunks as they arrive instead of one buffer", async () => {
  const r = new ByteReader(chunked(data, 7));
  let chunks = 0;
  for await (const c of r.stream(700)) {
    assert.ok(c.length <= 7);
    chunks++;
  }
  assert.equal(chunks, 100);
});

test("read past the end throws TRUNCATED with the offset where input ended", async () => {
  const r = new ByteReader(chunked(data, 321));
  await r.skip(990);
  await assert.rejects(r.read(20), (e: unknown) => {
    assert.ok(e instanceof FormatError);
    assert.equal(e.code, "TRUNCATED");
    assert.equal(e.data.offset, 1000);
    return true;
  });
  const r2 = new ByteReader(chunked(data, 10));
  await assert.rejects(
    collect(r2.stream(1001)),
    (e: unknown) => e instanceof FormatError && e.code === "TRUNCATED" && e.data.offset === 1000,
  );
  const r3 = new ByteReader([data]);
  await assert.rejects(r3.skip(2000), (e: unknown) => e instanceof FormatError && e.code === "TRUNCATED");
});

test("random read plans agree with slicing the input", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.uint8Array({ maxLength: 600 }),
      fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 8 }),
      fc.array(fc.tuple(fc.constantFrom("read", "skip", "stream", "peek"), fc.integer({ min: 0, max: 80 })), {
        maxLength: 20,
      }),
      async (bytes, sizes, plan) => {
        const r = new ByteReader(chunked(bytes, sizes));
        let pos = 0;
        for (const [op, n] of plan) {
          if (pos + n > bytes.length) {
            if (op === "peek") assert.deepEqual(await r.peek(n), bytes.subarray(pos));
            else break;
            continue;
          }
          if (op === "read") assert.deepEqual(await r.read(n), bytes.subarray(pos, pos + n));
          else if (op === "stream")
            assert.deepEqual(await collect(r.stream(n)), bytes.subarray(pos, pos + n));
          else if (op === "skip") await r.skip(n);
          else assert.deepEqual(await r.peek(n), bytes.subarray(pos, pos + n));
          if (op !== "peek") pos += n;
          assert.equal(r.offset, pos);
        }
      },
    ),
    { numRuns: 200 },
  );
});

test("bytesSource honours ranges; collect enforces maxBytes; concatBytes joins", async () => {
  const src = bytesSource(data);
  assert.equal(src.size, 1000);
  assert.deepEqual(await collect(src.open({ start: 10, end: 20 })), data.subarray(10, 20));
  assert.deepEqual(await collect(src.open()), data);
  await assert.rejects(
    collect(chunked(data, 100), 999),
    (e: unknown) => e instanceof FormatError && e.code === "LIMIT_UNPACKED_BYTES",
  );
  assert.deepEqual(concatBytes([data.subarray(0, 3), data.subarray(3, 5)]), data.subarray(0, 5));
});
