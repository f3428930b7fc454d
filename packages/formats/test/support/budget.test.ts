/** The budget helper can fail: it sees allocations that are alive during a read, and slow reads. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { expectWithinBudget, MiB, measureBudget } from "./budget.ts";

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

test("time over budget fails; the thrown error is returned, not rethrown", async () => {
  await assert.rejects(
    expectWithinBudget(() => sleep(60), { ms: 50, bytes: 64 * MiB }),
    /took \d+ ms \(budget 50 ms\)/,
  );
  const boom = new Error("boom");
  assert.equal(
    await expectWithinBudget(async () => {
      throw boom;
    }),
    boom,
  );
  assert.equal(await expectWithinBudget(async () => 1), undefined);
});
