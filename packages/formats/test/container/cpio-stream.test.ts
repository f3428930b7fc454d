/**
 * writeCpio and writeCpioStripped stream an entry's content: the first piece leaves before a large file
 * has been read further than a piece or two, so memory does not grow with the largest file (the macOS
 * Payload and rpm payloads go through here).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { writeCpio, writeCpioStripped } from "../../src/container/cpio.ts";
import type { ByteSource } from "../../src/spec/types.ts";

const MiB = 1024 * 1024;
const CHUNK = 64 * 1024;

/** A source of `size` bytes handed out in 64 KiB chunks, counting how far it has been read. */
function countingSource(size: number): ByteSource & { read: number } {
  const s = {
    size,
    read: 0,
    async *open() {
      for (let at = 0; at < size; at += CHUNK) {
        const n = Math.min(CHUNK, size - at);
        s.read += n;
        yield new Uint8Array(n).fill(at / CHUNK);
      }
    },
  };
  return s;
}

test("writeCpio yields a large file's first piece before reading more than 2 MiB of it", async () => {
  for (const format of ["newc", "odc"] as const) {
    const src = countingSource(64 * MiB);
    const it = writeCpio([{ header: { name: "./big", mode: 0o100644, size: src.size }, content: src }], {
      format,
    });
    const first = await it.next();
    assert.equal(first.done, false);
    assert.ok(src.read <= 2 * MiB, `${format}: ${src.read} bytes read before the first piece`);
    let total = first.value?.length ?? 0;
    for await (const p of it) total += p.length;
    assert.equal(src.read, 64 * MiB);
    assert.ok(total > 64 * MiB, `${format}: the archive holds the whole file (${total} bytes)`);
  }
});

test("writeCpioStripped streams the same way", async () => {
  const src = countingSource(64 * MiB);
  const it = writeCpioStripped([{ index: 0, size: src.size, content: src }]);
  const first = await it.next();
  assert.equal(first.done, false);
  assert.ok(src.read <= 2 * MiB, `${src.read} bytes read before the first piece`);
  for await (const _ of it);
  assert.equal(src.read, 64 * MiB);
});
