/**
 * One gzip member made of blocks (gzip-blocks.ts; issue 18 item 3, for the formats that must hold one
 * member: apk's data, macOS's Payload): the same bytes for 1, 2 and 8 workers, one member whose
 * deflate stream holds a block per `chunkBytes` of input, the input back from node:zlib, GNU gzip and
 * Python's zlib, the bytes of one stream when the input is one block, and a size within a few hundredths
 * of a percent of one stream's.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { constants, crc32, deflateRawSync, gunzipSync, gzipSync, type ZlibOptions } from "node:zlib";
import { needTool } from "@packyard/testkit/tools";
import { compressBytes } from "../../src/compress/compress.ts";
import type { Compression } from "../../src/compress/compression.ts";
import { liveFrameWorkers } from "../../src/compress/frame-pool.ts";
import { closeCompressionWorkers } from "../../src/compress/worker-pool.ts";
import { DEFAULT_BLOCK_BYTES, GZIP_WINDOW } from "../../src/compress/gzip-blocks.ts";
import { gzipMembers } from "../../src/compress/gzip-members.ts";
import { framedContent, syncFlushes } from "./framed-payload.ts";
import { sameBytes, sampleBytes } from "./helpers.ts";

after(() => closeCompressionWorkers());

const blocks = (level: number, chunkBytes = DEFAULT_BLOCK_BYTES, threads?: number): Compression => ({
  algo: "gzip",
  level,
  blocks: threads === undefined ? { chunkBytes } : { chunkBytes, threads },
});

/** One gzip stream of `input` as node:zlib makes it in one call, with the OS byte packyard pins. */
function oneStream(input: Uint8Array, level: number): Uint8Array {
  const out = gzipSync(input, { level });
  out[9] = 3;
  return out;
}

/**
 * What a member of blocks must be, made independently with node:zlib: zlib's gzip header for the level,
 * each `chunkBytes` of input raw-deflated with the 32 KiB of input before it as its dictionary (sync flush,
 * the last finished), the CRC-32 and size of the input.
 */
function reference(input: Uint8Array, level: number, chunkBytes: number): Uint8Array {
  const parts: Uint8Array[] = [oneStream(new Uint8Array(0), level).subarray(0, 10)];
  const count = Math.max(1, Math.ceil(input.length / chunkBytes));
  for (let i = 0; i < count; i++) {
    const start = i * chunkBytes;
    const options: ZlibOptions = {
      level,
      finishFlush: i === count - 1 ? constants.Z_FINISH : constants.Z_SYNC_FLUSH,
    };
    if (start > 0) options.dictionary = input.subarray(Math.max(0, start - GZIP_WINDOW), start);
    parts.push(deflateRawSync(input.subarray(start, start + chunkBytes), options));
  }
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc32(input), 0);
  trailer.writeUInt32LE(input.length % 2 ** 32, 4);
  return Buffer.concat([...parts, trailer]);
}

async function members(b: Uint8Array): Promise<number> {
  let n = 0;
  for await (const _ of gzipMembers(b)) n++;
  return n;
}

/** Text with noise over 3.5 MiB: several blocks of matches and literals. */
const MIXED = new Uint8Array(
  Buffer.concat([framedContent(0, 1_500_000), framedContent(1, 1_000_000), framedContent(2, 1_200_000)]),
);

test("an input of at most one block is byte for byte the one-stream gzip of it, empty included", async () => {
  for (const n of [0, 1, 100, 70_000, GZIP_WINDOW + 1, DEFAULT_BLOCK_BYTES]) {
    const input = sampleBytes(n, n + 1);
    for (const level of [1, 6, 9]) {
      for (const workers of [1, 2]) {
        const out = await compressBytes(input, blocks(level), { workers });
        sameBytes(out, oneStream(input, level), `${n} bytes, level ${level}, workers ${workers}`);
      }
    }
  }
});

test("several blocks: the same bytes with 1, 2 and 8 workers; one member; a block per chunkBytes; the input back", async () => {
  for (const level of [1, 6, 9]) {
    const one = await compressBytes(MIXED, blocks(level), { workers: 1 });
    for (const workers of [2, 8]) {
      let leased = 0;
      const tick = setInterval(() => {
        leased = Math.max(leased, liveFrameWorkers());
      }, 2);
      const other = await compressBytes(MIXED, blocks(level), { workers }).finally(() => clearInterval(tick));
      sameBytes(other, one, `level ${level}, workers ${workers} against 1`);
      if (workers === 2)
        sameBytes(one, reference(MIXED, level, DEFAULT_BLOCK_BYTES), `level ${level}: blocks`);
      assert.ok(leased >= 2, `level ${level}, workers ${workers}: ${leased} workers at most`);
    }
    sameBytes(gunzipSync(one), MIXED, `level ${level}: the input back`);
    assert.equal(await members(one), 1, `level ${level}: one gzip member`);
    const count = Math.ceil(MIXED.length / DEFAULT_BLOCK_BYTES);
    assert.ok(
      syncFlushes(one) >= count - 1,
      `level ${level}: ${count} blocks, ${syncFlushes(one)} sync flushes`,
    );
    // Primed with the window before each block: a few hundredths of a percent of one stream.
    const stream = oneStream(MIXED, level).length;
    assert.ok(
      Math.abs(one.length - stream) / stream < 0.001,
      `level ${level}: ${one.length} bytes against ${stream} in one stream`,
    );
  }
});

test("blocks shorter than the window are primed from several pieces before them; threads named by the setting", async () => {
  const input = MIXED.subarray(0, 300_000);
  // 20,000-byte blocks: each block's 32 KiB window reaches two pieces back.
  const one = await compressBytes(input, blocks(6, 20_000), { workers: 1 });
  sameBytes(one, reference(input, 6, 20_000), "each block primed with the 32 KiB before it");
  sameBytes(gunzipSync(one), input, "the input back");
  assert.equal(await members(one), 1);
  assert.ok(syncFlushes(one) >= 14, `${syncFlushes(one)} sync flushes for 15 blocks`);
  sameBytes(await compressBytes(input, blocks(6, 20_000, 3)), one, "threads: 3 in the setting");
  // Without its windows, a block of text would find none of the matches before it: visibly larger.
  const unprimed = Buffer.concat(
    Array.from({ length: 15 }, (_, i) => gzipSync(input.subarray(i * 20_000, (i + 1) * 20_000))),
  );
  assert.ok(one.length < unprimed.length, `${one.length} bytes against ${unprimed.length} unprimed`);
});

test("level 0 is one stream (its stored blocks would follow the output buffer), as without blocks", async () => {
  const input = MIXED.subarray(0, 2_500_000);
  const plain = await compressBytes(input, { algo: "gzip", level: 0 }, { workers: 1 });
  sameBytes(await compressBytes(input, blocks(0), { workers: 2 }), plain, "level 0");
});

test("GNU gzip and Python's zlib read a member of blocks as one member and give the input back", async (t) => {
  if (!needTool(t, "gzip", "python3")) return;
  const dir = mkdtempSync(join(tmpdir(), "packyard-gzip-blocks-"));
  try {
    const file = join(dir, "blocks.gz");
    writeFileSync(file, await compressBytes(MIXED, blocks(9), { workers: 2 }));
    const gz = spawnSync("gzip", ["-dc", file], { maxBuffer: 64 * 1024 * 1024 });
    assert.equal(gz.status, 0, gz.stderr.toString());
    sameBytes(new Uint8Array(gz.stdout), MIXED, "gzip -dc");
    // decompressobj(31) takes one gzip member: its end is the file's end, nothing left over.
    const py = spawnSync("python3", [
      "-c",
      "import sys,zlib\nd=zlib.decompressobj(31)\nb=open(sys.argv[1],'rb').read()\nout=d.decompress(b)\nprint(d.eof, len(d.unused_data), len(out))",
      file,
    ]);
    assert.equal(py.status, 0, py.stderr.toString());
    assert.equal(py.stdout.toString().trim(), `True 0 ${MIXED.length}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
