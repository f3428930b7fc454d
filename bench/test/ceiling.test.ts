import assert from "node:assert/strict";
import { test } from "node:test";
import zlib from "node:zlib";
import { compressPiece, frameRanges, measureCeiling } from "../ceiling-run.ts";
import { fileBytes } from "../payload.ts";

test("frame ranges cover the stream in order, the last one shorter", () => {
  assert.deepEqual(frameRanges(10, 4), [
    [0, 4],
    [4, 8],
    [8, 10],
  ]);
  assert.deepEqual(frameRanges(8, 4), [
    [0, 4],
    [4, 8],
  ]);
  assert.deepEqual(frameRanges(0, 4), [[0, 0]]);
  assert.throws(() => frameRanges(10, 0), /positive whole number/);
});

test("the framed ceiling compresses every frame once, on the threads asked for", async () => {
  const bytes = fileBytes(3 * 65536 + 1000, 7);
  const r = await measureCeiling(bytes, "gzip", 6, 65536, 2);
  assert.equal(r.frames, 4);
  assert.equal(r.threads, 2);
  assert.equal(r.inputBytes, bytes.length);
  // Independent: the same cut compressed here, frame by frame, with zlib directly.
  let expected = 0;
  for (let s = 0; s < bytes.length; s += 65536)
    expected += zlib.gzipSync(bytes.subarray(s, Math.min(bytes.length, s + 65536)), { level: 6 }).length;
  assert.equal(r.outputBytes, expected);
  assert.ok(r.seconds > 0);
});

test("the one-core ceiling is one stream: the size of one zstd frame of everything", async () => {
  const bytes = fileBytes(200_000, 9);
  const r = await measureCeiling(bytes, "zstd", 3, 0, 8);
  assert.equal(r.frames, 1);
  assert.equal(r.threads, 1);
  const one = zlib.zstdCompressSync(bytes, { params: { [zlib.constants.ZSTD_c_compressionLevel]: 3 } });
  // packyard's zstd frames carry a 4-byte content checksum; the plain one-shot above does not.
  assert.equal(r.outputBytes, one.length + 4);
  assert.equal(compressPiece(bytes, "zstd", 3), r.outputBytes);
});
