import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { FormatError, IOError } from "../../src/errors.ts";
import { fileSource, writeFileAtomic } from "../../src/source/file.ts";
import { chunked, collect, sameBytes, sampleBytes } from "../compress/helpers.ts";

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
