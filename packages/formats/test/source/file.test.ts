import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { FormatError, IOError } from "../../src/errors.ts";
import { fileSource, SMALL_READ_BYTES, writeFileAtomic } from "../../src/source/file.ts";
import { collect, sameBytes, sampleBytes } from "../compress/helpers.ts";
import { chunked } from "@packyard/testkit/chunked";

const dir = mkdtempSync(join(tmpdir(), "packyard-source-test-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const data = sampleBytes(200_000, 5);

test("fileSource: size, full and ranged re-reads", async () => {
  const p = join(dir, "a.bin");
  writeFileSync(p, data);
  const src = await fileSource(p);
  assert.equal(src.size, data.length);
  sameBytes(await collect(src.open()), data);
  sameBytes(await collect(src.open({ start: 65_535, end: 140_001 })), data.subarray(65_535, 140_001));
  assert.equal((await collect(src.open({ start: 5, end: 5 }))).length, 0);
  const first = (await src.open()[Symbol.asyncIterator]().next()).value as Uint8Array;
  assert.equal(first.constructor, Uint8Array);
  await assert.rejects(collect(src.open({ start: 0, end: data.length + 1 })), RangeError);
});

async function chunksOf(it: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const c of it) out.push(c);
  return out;
}

test("fileSource: small ranges come in one chunk, large ones stream; both read the right bytes", async () => {
  const big = sampleBytes(SMALL_READ_BYTES * 2 + 12_345, 6);
  const p = join(dir, "big.bin");
  writeFileSync(p, big);
  const src = await fileSource(p);
  const whole = await chunksOf(src.open());
  assert.ok(whole.length > 1, "a range above the threshold streams");
  sameBytes(await collect(src.open()), big);
  for (const [start, end] of [
    [0, SMALL_READ_BYTES],
    [1, SMALL_READ_BYTES + 1],
    [SMALL_READ_BYTES + 7, big.length],
    [100, SMALL_READ_BYTES + 101],
  ] as const) {
    const chunks = await chunksOf(src.open({ start, end }));
    if (end - start <= SMALL_READ_BYTES) assert.equal(chunks.length, 1, `${start}..${end} in one read`);
    else assert.ok(chunks.length > 1, `${start}..${end} streamed`);
    for (const c of chunks) assert.equal(c.constructor, Uint8Array);
    sameBytes(await collect(src.open({ start, end })), big.subarray(start, end), `${start}..${end}`);
  }
  const tiny = join(dir, "tiny.bin");
  writeFileSync(tiny, data.subarray(0, 1024));
  const small = await chunksOf((await fileSource(tiny)).open());
  assert.equal(small.length, 1);
  sameBytes(small[0] as Uint8Array, data.subarray(0, 1024));
});

test("fileSource: shrinking or vanishing files are READ_FAILED on both paths, with no short chunk", async () => {
  for (const n of [5000, SMALL_READ_BYTES + 5000]) {
    const p = join(dir, `shrink-${n}.bin`);
    const bytes = sampleBytes(n, 8);
    writeFileSync(p, bytes);
    const src = await fileSource(p);
    writeFileSync(p, bytes.subarray(0, n - 100));
    let seen = 0;
    await assert.rejects(
      (async () => {
        for await (const c of src.open()) seen += c.length;
      })(),
      (e: unknown) =>
        e instanceof IOError && e.code === "READ_FAILED" && e.data.expected === n && e.data.found === n - 100,
    );
    if (n <= SMALL_READ_BYTES) assert.equal(seen, 0, "the small path yields nothing short");
    rmSync(p);
    await assert.rejects(
      collect(src.open()),
      (e: unknown) =>
        e instanceof IOError && e.code === "READ_FAILED" && e.data.path === p && e.cause !== undefined,
    );
  }
});

test("fileSource with a known size: no stat, the size is trusted, a shorter file fails on read", async () => {
  const p = join(dir, "known.bin");
  writeFileSync(p, data.subarray(0, 300));
  const prefix = await fileSource(p, 100);
  assert.equal(prefix.size, 100);
  sameBytes(await collect(prefix.open()), data.subarray(0, 100));
  await assert.rejects(
    collect((await fileSource(p, 400)).open()),
    (e: unknown) => e instanceof IOError && e.code === "READ_FAILED" && e.data.found === 300,
  );
  // Not even created when it does not exist: the error comes on open().
  const ghost = await fileSource(join(dir, "ghost"), 10);
  await assert.rejects(
    collect(ghost.open()),
    (e: unknown) => e instanceof IOError && e.code === "READ_FAILED",
  );
  await assert.rejects(fileSource(p, -1), RangeError);
  await assert.rejects(fileSource(p, 1.5), RangeError);
});

test("fileSource: missing file and directories", async () => {
  await assert.rejects(
    fileSource(join(dir, "nope")),
    (e: unknown) => e instanceof IOError && e.code === "NOT_FOUND" && e.data.path === join(dir, "nope"),
  );
  await assert.rejects(fileSource(dir), (e: unknown) => e instanceof IOError && e.code === "READ_FAILED");
});

test("fileSource: a file that shrinks after stat reads short with READ_FAILED", async () => {
  const p = join(dir, "shrink.bin");
  writeFileSync(p, data);
  const src = await fileSource(p);
  writeFileSync(p, data.subarray(0, 10));
  await assert.rejects(collect(src.open()), (e: unknown) => e instanceof IOError && e.code === "READ_FAILED");
});

test("writeFileAtomic: writes, sets the mode, replaces", async () => {
  const p = join(dir, "out.deb");
  writeFileSync(p, "old");
  await writeFileAtomic(p, chunked(data, 4096), 0o640);
  sameBytes(readFileSync(p), data);
  assert.equal(statSync(p).mode & 0o777, 0o640);
});

test("writeFileAtomic: on error the target is untouched and no temp file remains", async () => {
  const sub = mkdtempSync(join(dir, "atomic-"));
  const p = join(sub, "out.rpm");
  writeFileSync(p, "old");
  async function* failing(): AsyncGenerator<Uint8Array> {
    yield data;
    throw new Error("disk full");
  }
  await assert.rejects(
    writeFileAtomic(p, failing()),
    (e: unknown) =>
      e instanceof IOError && e.code === "WRITE_FAILED" && (e.cause as Error).message === "disk full",
  );
  assert.deepEqual(readdirSync(sub), ["out.rpm"]);
  assert.equal(readFileSync(p, "utf8"), "old");
  const typed = new FormatError("TRUNCATED", "writer failed");
  async function* failingTyped(): AsyncGenerator<Uint8Array> {
    yield data;
    throw typed;
  }
  await assert.rejects(writeFileAtomic(p, failingTyped()), (e: unknown) => e === typed);
  assert.deepEqual(readdirSync(sub), ["out.rpm"]);
  await assert.rejects(
    writeFileAtomic(join(dir, "missing-dir", "x"), chunked(data, 10)),
    (e: unknown) => e instanceof IOError && e.code === "WRITE_FAILED",
  );
});
