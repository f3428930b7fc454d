import assert from "node:assert/strict";
import { test } from "node:test";
import { bytesSource, readRange } from "../../src/bytes/bytes.ts";
import { FormatError } from "../../src/errors.ts";
import type { ByteSource } from "../../src/spec/types.ts";

const bytes = Uint8Array.from({ length: 20 }, (_, i) => i);

const code = (c: string) => (e: unknown) => e instanceof FormatError && e.code === c;

test("readRange: returns exactly [start, end)", async () => {
  assert.deepEqual(await readRange(bytesSource(bytes), 3, 9, "part"), bytes.subarray(3, 9));
  assert.deepEqual(await readRange(bytesSource(bytes), 0, 20, "part", 20), bytes);
});

test("readRange: a range over maxBytes is refused before anything is read", async () => {
  let opened = false;
  const source: ByteSource = {
    size: 1 << 30,
    open() {
      opened = true;
      return bytesSource(bytes).open();
    },
  };
  await assert.rejects(readRange(source, 0, 1 << 30, "toc", 1024), code("LIMIT_HEADER_BYTES"));
  assert.equal(opened, false);
});

test("readRange: past the end of the source, or a source that yields less than it says, is TRUNCATED", async () => {
  await assert.rejects(readRange(bytesSource(bytes), 10, 21, "tail"), code("TRUNCATED"));
  const liar: ByteSource = { size: 40, open: (r) => bytesSource(bytes).open(r) };
  await assert.rejects(readRange(liar, 10, 30, "tail"), (e: unknown) => {
    assert.ok(e instanceof FormatError && e.code === "TRUNCATED");
    assert.equal(e.data.offset, 20);
    return true;
  });
});
