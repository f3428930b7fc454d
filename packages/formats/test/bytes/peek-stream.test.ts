import assert from "node:assert/strict";
import { test } from "node:test";
import { collect, peekStream } from "../../src/bytes/bytes.ts";
import { chunked } from "@packyard/testkit/chunked";

const bytes = Uint8Array.from({ length: 50 }, (_, i) => i + 1);

test("peekStream: the head is the first n bytes and the stream replays everything, whatever the chunking", async () => {
  for (const size of [1, 3, 7, 50, 321]) {
    for (const n of [0, 1, 4, 6, 50, 60]) {
      let pulled = 0;
      const counted = (async function* () {
        for await (const c of chunked(bytes, size)) {
          pulled += c.length;
          yield c;
        }
      })();
      const { head, stream } = await peekStream(counted, n);
      assert.deepEqual(head, bytes.subarray(0, Math.min(n, bytes.length)), `size ${size} n ${n}`);
      const cover = Math.min(Math.ceil(n / size) * size, bytes.length);
      assert.equal(pulled, cover, `reads only the chunks that cover the head (size ${size} n ${n})`);
      assert.deepEqual(await collect(stream), bytes, `size ${size} n ${n}`);
    }
  }
});

test("peekStream: stopping the replay early closes the source", async () => {
  let closed = false;
  const source = (async function* () {
    try {
      yield* chunked(bytes, 5);
    } finally {
      closed = true;
    }
  })();
  const { stream } = await peekStream(source, 2);
  for await (const _ of stream) break;
  assert.equal(closed, true);
});
