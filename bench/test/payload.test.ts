import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { test } from "node:test";
import { gzipSync } from "node:zlib";
import { checkFreeSpace, fileBytes, Prng, payloadBytes, payloadFiles } from "../payload.ts";

const sha = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");

test("same seed gives the same bytes; another seed gives other bytes", () => {
  const a = fileBytes(1 << 20, 42);
  const b = fileBytes(1 << 20, 42);
  const c = fileBytes(1 << 20, 43);
  assert.equal(sha(a), sha(b));
  assert.notEqual(sha(a), sha(c));
  // A shorter file is a prefix of a longer one with the same seed: the size does not change the stream.
  assert.deepEqual(fileBytes(10_000, 42), a.subarray(0, 10_000));
});

test("the PRNG is seeded: equal seeds agree, and it does not get stuck", () => {
  const x = new Prng(1);
  const y = new Prng(1);
  const seq = Array.from({ length: 100 }, () => x.next());
  assert.deepEqual(
    seq,
    Array.from({ length: 100 }, () => y.next()),
  );
  assert.ok(new Set(seq).size > 95);
  assert.ok(new Prng(0).next() !== 0);
});

test("compressibility is fixed: gzip -6 keeps about half of the bytes, whatever the seed", () => {
  for (const seed of [1, 2, 3]) {
    const b = fileBytes(4 << 20, seed);
    const ratio = gzipSync(b, { level: 6 }).length / b.length;
    assert.ok(ratio > 0.4 && ratio < 0.62, `seed ${seed}: ratio ${ratio}`);
  }
});

test("payload file lists are deterministic and have the promised shapes", () => {
  assert.deepEqual(payloadFiles("electron5k", 7), payloadFiles("electron5k", 7));
  assert.notDeepEqual(payloadFiles("small50k", 7), payloadFiles("small50k", 8));

  const bin = payloadFiles("binary20mb");
  assert.equal(bin.length, 1);
  assert.equal(bin[0]!.size, 20 * 1024 * 1024);

  const electron = payloadFiles("electron5k");
  assert.ok(electron.length >= 4900 && electron.length <= 5100, `${electron.length} files`);
  const eBytes = payloadBytes("electron5k");
  assert.ok(eBytes > 180e6 && eBytes < 230e6, `${eBytes} bytes`);

  const small = payloadFiles("small50k");
  assert.equal(small.length, 50_000);
  assert.equal(new Set(small.map((f) => f.path)).size, 50_000);
  assert.ok(small.every((f) => f.size < 4096));
});

test("checkFreeSpace refuses a payload larger than the free space, naming both numbers", async () => {
  await assert.rejects(checkFreeSpace(tmpdir(), Number.MAX_SAFE_INTEGER, "a huge payload"), (e: Error) => {
    assert.match(
      e.message,
      /not enough disk space for a huge payload: needs \d+ MiB in .*, only \d+ MiB free/,
    );
    return true;
  });
  await checkFreeSpace(tmpdir(), 1, "one byte");
});

test("the 2 GB payload: about 2 GiB, mostly 64 MiB files, plus small ones (listed, not generated here)", () => {
  const files = payloadFiles("large2g");
  const total = payloadBytes("large2g");
  assert.ok(total > 2e9 && total < 2.2e9, `${total} bytes`);
  assert.equal(files.filter((f) => f.size === 64 * 1024 * 1024).length, 31);
  assert.equal(files.filter((f) => f.size < 64 * 1024).length, 2000);
  assert.equal(new Set(files.map((f) => f.path)).size, files.length);
});
