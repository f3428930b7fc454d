/**
 * Bad input for the release-archive readers: traversal names, disagreeing zip headers, overlaps, bombs,
 * truncation. Every case gives its exact code within the bad-input budget (support/budget.ts: at most
 * 64 MiB decompressed, under 64 MB allocated).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { bytesSource, collect, encodeUtf8 } from "../../src/bytes/bytes.ts";
import { compressBytes } from "../../src/compress/compress.ts";
import { writeTar } from "../../src/container/tar.ts";
import { FormatError } from "../../src/errors.ts";
import type { ArchiveEntry } from "../../src/tarball/plan.ts";
import { readTarball } from "../../src/tarball/reader.ts";
import { CENTRAL, END, LOCAL, ZIP_SIZE } from "../../src/tarball/zip-layout.ts";
import { readZipDirectory } from "../../src/tarball/zip-reader.ts";
import { writeZip } from "../../src/tarball/zip-writer.ts";
import { expectWithinBudget } from "../support/budget.ts";

function entry(path: string, content: Uint8Array, type: ArchiveEntry["type"] = "file"): ArchiveEntry {
  return {
    path,
    type,
    mode: 0o644,
    uid: 0,
    gid: 0,
    uname: "root",
    gname: "root",
    mtime: 1_700_000_000,
    size: content.length,
    content: bytesSource(content),
  };
}

async function zipOf(entries: ArchiveEntry[]): Promise<Uint8Array> {
  return (await collect(writeZip(entries))).slice();
}

async function rejects(
  bytes: Uint8Array,
  code: string,
  extra: Record<string, unknown> = {},
  limits = {},
): Promise<void> {
  const e = await expectWithinBudget(() => readTarball(bytesSource(bytes), { limits }), undefined, code);
  assert.ok(e instanceof FormatError, String(e));
  assert.equal(e.code, code, e.message);
  for (const [k, v] of Object.entries(extra)) assert.deepEqual(e.data[k], v, `${k} in ${e.message}`);
}

const hello = encodeUtf8("hello\n");

test("tar: '..' and absolute member names are UNSAFE_PATH", async () => {
  for (const name of ["../escape", "a/../../escape", "/etc/passwd"]) {
    const tar = await collect(
      writeTar(
        [{ header: { name, type: "file", mode: 0o644, uid: 0, gid: 0, size: 6, mtime: 0 }, content: hello }],
        { flavour: "pax" },
      ),
    );
    await rejects(await compressBytes(tar, { algo: "gzip" }), "UNSAFE_PATH", { path: name, offset: 0 });
  }
});

test("zip: '..', absolute, drive-letter and backslash traversal names are UNSAFE_PATH", async () => {
  for (const name of ["../escape", "a/../../x", "/etc/passwd", "C:/x", "a\\..\\..\\x"]) {
    await rejects(await zipOf([entry(name, hello)]), "UNSAFE_PATH", { path: name });
  }
});

function centralOffset(zip: Uint8Array): number {
  return new DataView(zip.buffer).getUint32(zip.length - ZIP_SIZE.end + END.cdOffset, true);
}

test("zip: a local header that disagrees with the central directory is BAD_HEADER naming the field", async () => {
  const base = await zipOf([entry("a.txt", hello), entry("b.txt", encodeUtf8("bbbb"))]);
  // CRC-32 in the local header of the first entry
  let z = base.slice();
  new DataView(z.buffer).setUint32(LOCAL.crc, 0x12345678, true);
  await rejects(z, "BAD_HEADER", { field: "crc32", offset: 0, path: "a.txt" });
  // name in the local header
  z = base.slice();
  z[ZIP_SIZE.local] = "x".charCodeAt(0);
  await rejects(z, "BAD_HEADER", { field: "name", offset: 0 });
  // size in the central directory
  z = base.slice();
  new DataView(z.buffer).setUint32(centralOffset(z) + CENTRAL.size, 7, true);
  await rejects(z, "BAD_HEADER", { field: "size", path: "a.txt" });
});

test("zip: entries whose data overlaps the next entry are refused (overlapping-entry bombs)", async () => {
  const z = await zipOf([entry("a.txt", hello), entry("b.txt", encodeUtf8("bbbb"))]);
  const v = new DataView(z.buffer);
  const grow = 40;
  v.setUint32(LOCAL.compressedSize, hello.length + grow, true);
  v.setUint32(LOCAL.size, hello.length + grow, true);
  v.setUint32(centralOffset(z) + CENTRAL.compressedSize, hello.length + grow, true);
  v.setUint32(centralOffset(z) + CENTRAL.size, hello.length + grow, true);
  await rejects(z, "BAD_HEADER", { path: "a.txt", offset: 0 });
  // two central records pointing at one local header
  const two = await zipOf([entry("a.txt", hello), entry("a.txu", hello)]);
  const cd = centralOffset(two);
  const second =
    cd +
    ZIP_SIZE.central +
    "a.txt".length +
    new DataView(two.buffer).getUint16(cd + CENTRAL.extraLength, true);
  new DataView(two.buffer).setUint32(second + CENTRAL.localOffset, 0, true);
  await rejects(two, "BAD_HEADER", { offset: 0 });
});

test("zip bomb: declared sizes over the limit stop before inflating; a lying size stops at the declared size", async () => {
  const zeros = new Uint8Array(8 * 1024 * 1024);
  const bomb = await zipOf([entry("zeros", zeros)]);
  assert.ok(bomb.length < 64 * 1024, `deflated ${bomb.length} bytes`);
  await rejects(bomb, "LIMIT_UNPACKED_BYTES", {}, { maxUnpackedBytes: 1024 * 1024 });
  const lying = bomb.slice();
  const v = new DataView(lying.buffer);
  v.setUint32(LOCAL.size, 1000, true);
  v.setUint32(centralOffset(lying) + CENTRAL.size, 1000, true);
  await rejects(lying, "CORRUPT_COMPRESSED_DATA", { path: "zeros", expected: 1000 });
});

test("tar.gz bomb stops at maxUnpackedBytes", async () => {
  const tar = await collect(
    writeTar(
      [
        {
          header: { name: "zeros", type: "file", mode: 0o644, uid: 0, gid: 0, size: 8 << 20, mtime: 0 },
          content: new Uint8Array(8 << 20),
        },
      ],
      {
        flavour: "pax",
      },
    ),
  );
  await rejects(
    await compressBytes(tar, { algo: "gzip" }),
    "LIMIT_UNPACKED_BYTES",
    {},
    { maxUnpackedBytes: 1 << 20 },
  );
});

test("zip: flipped stored data is DIGEST_MISMATCH; encryption and unknown methods are UNSUPPORTED", async () => {
  const z = await zipOf([entry("a.txt", hello)]);
  const dir = await readZipDirectory(bytesSource(z));
  const flipped = z.slice();
  const at = dir.entries[0]!.dataOffset;
  flipped[at] = flipped[at]! ^ 0xff;
  await rejects(flipped, "DIGEST_MISMATCH", { path: "a.txt" });
  for (const [field, value] of [
    [CENTRAL.flags, 1],
    [CENTRAL.method, 12],
  ] as const) {
    const bad = z.slice();
    new DataView(bad.buffer).setUint16(centralOffset(bad) + field, value, true);
    await rejects(bad, "UNSUPPORTED", { path: "a.txt" });
  }
});

test("truncated archives: zip without its end record is BAD_MAGIC, a cut tar.gz is TRUNCATED", async () => {
  const z = await zipOf([entry("a.txt", encodeUtf8("x".repeat(1000)))]);
  await rejects(z.subarray(0, z.length - 30), "BAD_MAGIC");
  await rejects(z.subarray(0, 10), "TRUNCATED");
  const tar = await collect(
    writeTar(
      [
        {
          header: { name: "a", type: "file", mode: 0o644, uid: 0, gid: 0, size: 6, mtime: 0 },
          content: hello,
        },
      ],
      { flavour: "pax" },
    ),
  );
  const gz = await compressBytes(tar, { algo: "gzip" });
  await rejects(gz.subarray(0, gz.length - 12), "TRUNCATED");
});

test("zip: too many entries or a central directory over the header limit", async () => {
  const z = await zipOf([entry("a", hello), entry("b", hello), entry("c", hello)]);
  await rejects(z, "LIMIT_ENTRIES", {}, { maxEntries: 2 });
  await rejects(z, "LIMIT_HEADER_BYTES", {}, { maxHeaderBytes: 50 });
});
