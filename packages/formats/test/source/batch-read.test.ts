import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, truncateSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { bytesSource } from "../../src/bytes/bytes.ts";
import { IOError } from "../../src/errors.ts";
import {
  BATCH_FILE_BYTES,
  digestPass,
  type FileRead,
  liveReadWorkers,
  PIECE_BYTES,
  type ReadItem,
  readFiles,
} from "../../src/source/batch-read.ts";
import { fileSource, markFileView } from "../../src/source/file.ts";
import type { ByteSource } from "../../src/spec/types.ts";
import { crc32 } from "../../src/tarball/crc32.ts";
import { collect, sameBytes, sampleBytes } from "../compress/helpers.ts";

const dir = mkdtempSync(join(tmpdir(), "packyard-batch-read-test-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const md5 = (b: Uint8Array) => createHash("md5").update(b).digest("hex");
const sha1 = (b: Uint8Array) => createHash("sha1").update(b).digest("hex");
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/** POSIX cksum, bit by bit (MSB first, polynomial 0x04C11DB7, then the length, then inverted). */
function cksumSlow(bytes: Uint8Array): number {
  let c = 0;
  const step = (byte: number) => {
    c ^= byte << 24;
    for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
    c >>>= 0;
  };
  for (const b of bytes) step(b);
  for (let n = bytes.length; n > 0; n = Math.floor(n / 256)) step(n & 0xff);
  return ~c >>> 0;
}

test("cksumSlow agrees with POSIX cksum's check value for 123456789", () => {
  assert.equal(cksumSlow(new TextEncoder().encode("123456789")), 930766865);
});

/** Files of many sizes around the batch and piece limits, with in-memory sources between them. */
async function mixedItems(tag: string): Promise<{ items: ReadItem[]; bytes: Uint8Array[] }> {
  const sizes = [
    0,
    1,
    100,
    4096,
    65_537,
    BATCH_FILE_BYTES - 1,
    BATCH_FILE_BYTES,
    BATCH_FILE_BYTES + 1,
    2 * PIECE_BYTES,
    3 * PIECE_BYTES + 12_345,
    ...Array.from({ length: 60 }, (_, i) => 50 + i * 37),
  ];
  const items: ReadItem[] = [];
  const bytes: Uint8Array[] = [];
  for (const [i, n] of sizes.entries()) {
    const b = sampleBytes(n, i + 1);
    const p = join(dir, `${tag}-${i}.bin`);
    writeFileSync(p, b);
    items.push(await fileSource(p));
    bytes.push(b);
    if (i % 7 === 3) {
      const mem = sampleBytes(333 + i, 99 + i);
      items.push(bytesSource(mem));
      bytes.push(mem);
    }
  }
  // A range of a file, and one of a large file.
  const big = bytes[9]!;
  items.push({ source: items[bytes.indexOf(big)] as ByteSource, start: 5, end: 5 + PIECE_BYTES + 7 });
  bytes.push(big.subarray(5, 5 + PIECE_BYTES + 7));
  return { items, bytes };
}

async function contentOf(r: FileRead): Promise<Uint8Array> {
  if (r.content instanceof Uint8Array) return r.content;
  assert.ok(r.content !== undefined, `item ${r.index} has content`);
  return collect(r.content.open());
}

for (const worker of [true, false]) {
  test(`readFiles (worker ${worker}): the same bytes and digests as the files, in order, whatever their size`, async () => {
    const { items, bytes } = await mixedItems(`mixed-${worker}`);
    let i = 0;
    let whole = 0;
    for await (const r of readFiles(items, { digests: ["md5", "sha256", "crc32", "cksum"], worker })) {
      assert.equal(r.index, i);
      const want = bytes[i]!;
      assert.equal(r.size, want.length);
      if (r.content instanceof Uint8Array) whole++;
      sameBytes(await contentOf(r), want, `item ${i}`);
      assert.deepEqual(r.digests, {
        md5: md5(want),
        sha256: sha256(want),
        crc32: crc32(want),
        cksum: cksumSlow(want),
      });
      i++;
    }
    assert.equal(i, items.length);
    // Files up to the batch limit come whole from the worker; larger ones stream.
    if (worker) assert.ok(whole >= 60, `${whole} items came whole`);
    assert.equal(liveReadWorkers(), 0);
  });

  test(`readFiles (worker ${worker}): a digest pass hands back digests and counts, no content`, async () => {
    const { items, bytes } = await mixedItems(`digest-${worker}`);
    let i = 0;
    for await (const r of readFiles(items, { digests: ["sha1"], data: false, worker })) {
      assert.equal(r.content, undefined);
      assert.equal(r.read, bytes[i]!.length);
      assert.equal(r.digests?.sha1, sha1(bytes[i]!));
      i++;
    }
    assert.equal(i, items.length);
  });

  test(`readFiles (worker ${worker}): digestsFirst gives each item's digests before its content`, async () => {
    const { items, bytes } = await mixedItems(`first-${worker}`);
    let i = 0;
    for await (const r of readFiles(items, { digests: ["sha1"], digestsFirst: true, worker })) {
      assert.equal(r.digests?.sha1, sha1(bytes[i]!), `item ${i} before its content`);
      sameBytes(await contentOf(r), bytes[i]!);
      i++;
    }
    assert.equal(i, items.length);
  });
}

async function failureOf(items: ReadItem[], worker: boolean): Promise<unknown> {
  try {
    for await (const r of readFiles(items, { worker })) await contentOf(r);
  } catch (e) {
    return e;
  }
  return undefined;
}

test("readFiles: a file that shrank or vanished fails as its source's open() does, small or large", async () => {
  for (const n of [5000, 3 * PIECE_BYTES + 100]) {
    const p = join(dir, `shrink-${n}.bin`);
    writeFileSync(p, sampleBytes(n, 3));
    const src = await fileSource(p);
    truncateSync(p, n - 100);
    const mine = await failureOf([src], true);
    const theirs = await failureOf([src], false);
    for (const e of [mine, theirs]) {
      assert.ok(e instanceof IOError && e.code === "READ_FAILED", String(e));
      assert.equal(e.data.path, p);
      assert.equal(e.data.expected, n);
      assert.equal(e.data.found, n - 100);
      assert.equal(e.data.offset, n - 100);
    }
    assert.equal((mine as IOError).message, (theirs as IOError).message);
    unlinkSync(p);
    const gone = await failureOf([src], true);
    assert.ok(gone instanceof IOError && gone.code === "READ_FAILED", String(gone));
    assert.equal(gone.data.path, p);
    assert.equal(gone.data.offset, 0);
    assert.equal((gone.cause as { code?: string }).code, "ENOENT");
    assert.equal(gone.message, ((await failureOf([src], false)) as IOError).message);
  }
  assert.equal(liveReadWorkers(), 0);
});

test("readFiles: the files before a failing one are handed out first", async () => {
  const items: ByteSource[] = [];
  for (let i = 0; i < 40; i++) {
    const p = join(dir, `before-${i}.bin`);
    writeFileSync(p, sampleBytes(100, i));
    items.push(await fileSource(p));
  }
  unlinkSync(join(dir, "before-25.bin"));
  let taken = 0;
  await assert.rejects(
    (async () => {
      for await (const r of readFiles(items, { worker: true })) {
        await contentOf(r);
        taken++;
      }
    })(),
    (e: unknown) => e instanceof IOError && e.data.path === join(dir, "before-25.bin"),
  );
  assert.equal(taken, 25);
});

test("readFiles: reads stay a bounded window ahead of the consumer", async () => {
  const items: ByteSource[] = [];
  const size = 100 * 1024;
  for (let i = 0; i < 60; i++) {
    const p = join(dir, `ahead-${i}.bin`);
    writeFileSync(p, sampleBytes(size, i));
    items.push(await fileSource(p));
  }
  const reads = readFiles(items, { worker: true, aheadBytes: 1024 * 1024 });
  await contentOf((await reads.next()).value as FileRead);
  // Give the worker time to run as far ahead as it is allowed, then take the files away from under it.
  await new Promise((r) => setTimeout(r, 300));
  for (let i = 40; i < 60; i++) unlinkSync(join(dir, `ahead-${i}.bin`));
  let got = 1;
  await assert.rejects(
    (async () => {
      for (;;) {
        const r = await reads.next();
        if (r.done) break;
        await contentOf(r.value);
        got++;
      }
    })(),
    (e: unknown) => e instanceof IOError && e.data.path === join(dir, "ahead-40.bin"),
  );
  // Everything within the window had been read; file 40 (4 MiB on) had not, so its loss shows.
  assert.equal(got, 40);
  assert.equal(liveReadWorkers(), 0);
});

test("readFiles: an abandoned read terminates its worker", async () => {
  const { items } = await mixedItems("abandon");
  for await (const r of readFiles(items, { worker: true })) {
    assert.equal(liveReadWorkers(), 1);
    if (r.index === 2) break;
  }
  assert.equal(liveReadWorkers(), 0);
  // A large file left half-read.
  const reads = readFiles(items.slice(8), { worker: true });
  const first = (await reads.next()).value as FileRead;
  const it = (first.content as ByteSource).open()[Symbol.asyncIterator]();
  await it.next();
  await reads.return(undefined);
  assert.equal(liveReadWorkers(), 0);
});

test("readFiles: a read dropped without return() does not keep the process alive", () => {
  const p = join(dir, "idle.bin");
  writeFileSync(p, sampleBytes(3 * PIECE_BYTES, 1));
  const script = `
    import { fileSource } from ${JSON.stringify(new URL("../../src/source/file.ts", import.meta.url).href)};
    import { readFiles } from ${JSON.stringify(new URL("../../src/source/batch-read.ts", import.meta.url).href)};
    const src = await fileSource(${JSON.stringify(p)});
    const reads = readFiles([src, src, src], { worker: true });
    await reads.next();
    console.log("dropped");
  `;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    encoding: "utf8",
    timeout: 60_000,
  });
  assert.equal(r.signal, null, "exited by itself");
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), "dropped");
});

test("readFiles: a view marked with markFileView is read from its file and hears what was handed out", async () => {
  const small = join(dir, "view-small.bin");
  const large = join(dir, "view-large.bin");
  writeFileSync(small, sampleBytes(1000, 1));
  writeFileSync(large, sampleBytes(2 * PIECE_BYTES + 5, 2));
  const heard: string[] = [];
  const views: ByteSource[] = [];
  for (const p of [small, large]) {
    const file = await fileSource(p);
    const view: ByteSource = {
      size: file.size,
      open: () => {
        throw new Error("the batch reader must not call open()");
      },
    };
    markFileView(view, file, {
      opened(start) {
        heard.push(`open ${p === small ? "small" : "large"} ${start}`);
        return (n) => heard.push(`read ${n}`);
      },
    });
    views.push(view);
  }
  for await (const r of readFiles(views, { worker: true })) await contentOf(r);
  assert.deepEqual(heard, [
    "open small 0",
    "read 1000",
    "open large 0",
    `read ${PIECE_BYTES}`,
    `read ${PIECE_BYTES}`,
    "read 5",
  ]);
});

test("digestPass: 1, 2 or 3 readers give every item's digests once, as the files hold them", async () => {
  const { items, bytes } = await mixedItems("pass");
  for (const readers of [1, 2, 3]) {
    const seen = new Map<number, string>();
    await digestPass(
      items,
      ["md5", "sha256"],
      (r, index) => {
        assert.equal(seen.has(index), false, `item ${index} seen twice`);
        assert.equal(r.read, bytes[index]!.length, `item ${index} bytes`);
        seen.set(index, `${r.digests?.md5} ${r.digests?.sha256}`);
      },
      readers,
    );
    assert.equal(seen.size, items.length, `readers ${readers}`);
    for (const [i, b] of bytes.entries()) assert.equal(seen.get(i), `${md5(b)} ${sha256(b)}`, `item ${i}`);
  }
  assert.equal(liveReadWorkers(), 0);
});

test("digestPass: the error is the one a pass in list order meets first, whichever range fails sooner", async () => {
  const make = async (tag: string) => {
    const items: ByteSource[] = [];
    // 20 small files, then one large one: with 2 readers the ranges are the small ones and the large one,
    // and the second range (one file) ends long before the first.
    for (let i = 0; i < 20; i++) {
      const p = join(dir, `${tag}-${i}.bin`);
      writeFileSync(p, sampleBytes(i === 19 ? 3 * PIECE_BYTES : 2000, i));
      items.push(await fileSource(p));
    }
    return items;
  };
  const items = await make("order");
  unlinkSync(join(dir, "order-19.bin"));
  // Only the later range fails: its error.
  await assert.rejects(
    digestPass(items, ["md5"], () => undefined, 2),
    (e: unknown) => e instanceof IOError && e.data.path === join(dir, "order-19.bin"),
  );
  // Both fail: the earlier range's, though the later one failed first.
  unlinkSync(join(dir, "order-15.bin"));
  await assert.rejects(
    digestPass(items, ["md5"], () => undefined, 2),
    (e: unknown) => e instanceof IOError && e.data.path === join(dir, "order-15.bin"),
  );
  // What `each` throws ends its range the same way.
  const again = await make("each");
  await assert.rejects(
    digestPass(
      again,
      ["md5"],
      (_r, index) => {
        if (index === 19 || index === 3) throw new Error(`stop at ${index}`);
      },
      2,
    ),
    /stop at 3/,
  );
  assert.equal(liveReadWorkers(), 0);
});
