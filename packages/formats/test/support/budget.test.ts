/**
 * The budget helper can fail: it sees allocations that are alive during a read, and decompression work
 * even when the output is dropped as it streams by.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import diagnosticsChannel from "node:diagnostics_channel";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { compressBytes } from "../../src/compress/compress.ts";
import { decompress, SYNC_GUNZIP_MAX_IN, SYNC_GUNZIP_MAX_OUT } from "../../src/compress/decompress.ts";
import { gzipMemberAt } from "../../src/compress/gzip-members.ts";
import { bytesSource, concatBytes } from "../../src/bytes/bytes.ts";
import { UNPACKED_CHANNEL } from "../../src/compress/unpacked-channel.ts";
import { expectWithinBudget, MiB, measureBudget } from "./budget.ts";

// This file asserts that the helper sees what a read holds, so each measurement starts from a full
// collection (the helper runs `global.gc` when there is one): garbage left by module loading and
// collected during the read once offset 96 MiB held down to 4 MiB measured, on CI.
setFlagsFromString("--expose-gc");
(globalThis as { gc?: () => void }).gc = runInNewContext("gc") as () => void;

test("a read that holds 96 MiB of buffers exceeds 64 MiB; one that holds 8 MiB does not", async () => {
  const kept: Uint8Array[][] = []; // alive until the test ends, so no collection can hide them
  const hold = async (n: number) => {
    const chunks: Uint8Array[] = [];
    kept.push(chunks);
    for (let i = 0; i < n; i++) {
      chunks.push(new Uint8Array(MiB).fill(1));
      await sleep(0); // yield like a streaming reader does, so the interval timer samples
    }
    return chunks.length;
  };
  const big = await measureBudget(() => hold(96));
  assert.ok(big.bytes >= 80 * MiB, `measured ${big.bytes}`);
  await assert.rejects(
    expectWithinBudget(() => hold(96)),
    /allocated .* MiB \(budget 64\.0 MiB/,
  );
  const small = await measureBudget(() => hold(8));
  // a collection of unrelated garbage during the read can offset a MiB or two
  assert.ok(small.bytes >= 5 * MiB && small.bytes < 64 * MiB, `measured ${small.bytes}`);
});

/** `mib` MiB of zeros as `mib` concatenated members/frames/streams of 1 MiB each (all three codecs read on). */
async function zeros(mib: number, algo: "gzip" | "zstd" | "xz" = "gzip"): Promise<Uint8Array> {
  const one = await compressBytes(new Uint8Array(MiB), { algo, level: 1 });
  return concatBytes(new Array<Uint8Array>(mib).fill(one));
}

test("decompressing 96 MiB, even streamed and dropped, exceeds 64 MiB of work; every codec is counted", async () => {
  const drain = (bytes: Uint8Array, algo: "gzip" | "zstd" | "xz") => async () => {
    for await (const _ of decompress(bytesSource(bytes).open(), algo)) {
      // dropped: nothing is held, only work is done
    }
  };
  // 96 MiB streamed and dropped: memory alone would not notice, the work count does.
  // 96 MiB of zeros in 1 MiB gzip members is ~430 KiB: over SYNC_GUNZIP_MAX_IN, so streamed at once.
  const big = await zeros(96);
  assert.ok(big.length > SYNC_GUNZIP_MAX_IN);
  const r = await measureBudget(drain(big, "gzip"));
  assert.equal(r.unpackedBytes, 96 * MiB);
  assert.ok(r.bytes < 64 * MiB, `streamed, so memory stays low (${r.bytes})`);
  await assert.rejects(
    expectWithinBudget(drain(big, "gzip"), undefined, "gzip"),
    /gzip: decompressed 96\.0 MiB \(budget 64\.0 MiB\)/,
  );
  // 8 MiB of gzip members is small enough to be inflated in one call first, which gives up at
  // SYNC_GUNZIP_MAX_OUT (the last member's ISIZE, 1 MiB, does not show the total) and streams from the
  // start: the dropped work is counted too.
  const dropped = { gzip: SYNC_GUNZIP_MAX_OUT, zstd: 0, xz: 0 };
  // Every codec reports: 8 MiB is counted exactly, within the default budget, over a 4 MiB one.
  for (const algo of ["gzip", "zstd", "xz"] as const) {
    const eight = await zeros(8, algo);
    if (algo === "gzip") assert.ok(eight.length <= SYNC_GUNZIP_MAX_IN);
    assert.equal((await measureBudget(drain(eight, algo))).unpackedBytes, 8 * MiB + dropped[algo], algo);
    assert.equal(await expectWithinBudget(drain(eight, algo)), undefined, algo);
    await assert.rejects(
      expectWithinBudget(drain(eight, algo), { unpackedBytes: 4 * MiB, bytes: 64 * MiB }, algo),
      new RegExp(`${algo}: decompressed ${algo === "gzip" ? "9" : "8"}\\.0 MiB \\(budget 4\\.0 MiB\\)`),
    );
  }
  // The gzip member scan (apk) inflates without going through decompress; it is counted too (the first
  // of three members: 1 MiB).
  const three = await zeros(3);
  const scanned = await measureBudget(() => gzipMemberAt(bytesSource(three), 0));
  assert.equal(scanned.unpackedBytes, MiB);
  // The helper stops listening when the read ends.
  assert.equal(diagnosticsChannel.channel(UNPACKED_CHANNEL).hasSubscribers, false);
});

test("the thrown error is returned, not rethrown", async () => {
  const boom = new Error("boom");
  assert.equal(
    await expectWithinBudget(async () => {
      throw boom;
    }),
    boom,
  );
  assert.equal(await expectWithinBudget(async () => 1), undefined);
});
