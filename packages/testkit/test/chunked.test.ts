/** chunked cuts input as asked (sizes in turn, the rest last) and chunkedSource serves any range that way. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { chunked, chunkedSource } from "../src/chunked.ts";

const bytes = Uint8Array.from({ length: 20 }, (_, i) => i);

async function pieces(it: AsyncIterable<Uint8Array>): Promise<number[][]> {
  const out: number[][] = [];
  for await (const c of it) out.push([...c]);
  return out;
}

test("chunked: one size, sizes in turn, and the last chunk is what is left", async () => {
  assert.deepEqual(
    (await pieces(chunked(bytes, 7))).map((c) => c.length),
    [7, 7, 6],
  );
  assert.deepEqual(
    (await pieces(chunked(bytes, [1, 7, 3]))).map((c) => c.length),
    [1, 7, 3, 1, 7, 1],
  );
  assert.deepEqual((await pieces(chunked(bytes, 321))).flat(), [...bytes]);
  assert.deepEqual(await pieces(chunked(new Uint8Array(0), 1)), []);
});

test("chunked refuses sizes below 1 (a reader must never be fed empty chunks by the kit)", async () => {
  for (const size of [0, [], [3, 0], Number.NaN])
    await assert.rejects(pieces(chunked(bytes, size as number | number[])), RangeError);
});

test("chunkedSource: every open of a range yields that range in the given chunks, again and again", async () => {
  const src = chunkedSource(bytes, [2, 5]);
  assert.equal(src.size, 20);
  for (let i = 0; i < 2; i++) {
    assert.deepEqual(await pieces(src.open({ start: 3, end: 12 })), [
      [3, 4],
      [5, 6, 7, 8, 9],
      [10, 11],
    ]);
  }
  assert.deepEqual((await pieces(src.open())).flat(), [...bytes]);
});
