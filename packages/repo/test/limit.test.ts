// byteBudget (limit.ts): work starts in the order asked, with at most the budget's bytes under way, except
// one item larger than the budget, which runs alone.
import assert from "node:assert/strict";
import { test } from "node:test";
import { byteBudget, mapLimited } from "../src/limit.ts";

test("byteBudget: at most the budget's bytes under way, in the order asked; a larger item runs alone", async () => {
  const run = byteBudget(250);
  const sizes = [100, 100, 100, 300, 50, 0, 0, 200, 60];
  let inFlight = 0;
  let running = 0;
  let mostBytes = 0;
  const started: number[] = [];
  const alone: boolean[] = [];
  await mapLimited(sizes, 8, (n, i) =>
    run(n, async () => {
      started.push(i);
      inFlight += n;
      running++;
      mostBytes = Math.max(mostBytes, n > 250 ? 0 : inFlight);
      alone[i] = running === 1;
      await new Promise((r) => setTimeout(r, 5 + (i % 3) * 3));
      inFlight -= n;
      running--;
    }),
  );
  assert.deepEqual(started, [...sizes.keys()], "started in the order asked");
  assert.ok(mostBytes <= 250, `at most 250 bytes under way, found ${mostBytes}`);
  assert.equal(
    mostBytes,
    250,
    "the budget is used (100 + 100 + 50 or 200 + 50 at once), else this proves nothing",
  );
  assert.equal(alone[3], true, "the 300-byte item ran alone");
});

test("byteBudget: a failing item gives its bytes back", async () => {
  const run = byteBudget(100);
  await assert.rejects(
    run(100, async () => {
      throw new Error("boom");
    }),
    /boom/,
  );
  assert.equal(await run(100, async () => "after"), "after");
});
