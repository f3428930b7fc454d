/**
 * Numeric tar header fields in GNU base-256 can hold any value from -2^95 to 2^95. A negative size (twelve
 * 0xff bytes is -1) or one past 2^53 used to reach the byte reader as a count and fail there with a
 * TypeError; every such field now gives FormatError BAD_HEADER naming the field and the offset. mtime is
 * the one field that may be negative (a date before 1970).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { bytesSource, collect, concatBytes } from "../../src/bytes/bytes.ts";
import { ByteReader } from "../../src/bytes/reader.ts";
import { compressBytes } from "../../src/compress/compress.ts";
import {
  encodeTarHeader,
  readTar,
  TAR_END_BLOCKS,
  TAR_FIELD,
  type TarHeader,
} from "../../src/container/tar.ts";
import { FormatError } from "../../src/errors.ts";
import { readTarball } from "../../src/tarball/reader.ts";

type NumericField = "size" | "uid" | "gid" | "mtime" | "mode" | "devmajor" | "devminor";

/** A GNU header for `name` with `field` overwritten by `bytes` and the checksum fixed again. */
function craftedHeader(
  field: NumericField,
  bytes: number[],
  typeflag = "0",
  type: TarHeader["type"] = "file",
) {
  const h = encodeTarHeader({ name: "a", type, mode: 0o644, uid: 0, gid: 0, size: 0, mtime: 0 }, "gnu");
  const f = TAR_FIELD[field];
  assert.equal(bytes.length, f.size);
  h.set(bytes, f.offset);
  h[TAR_FIELD.typeflag.offset] = typeflag.charCodeAt(0);
  h.fill(0x20, TAR_FIELD.chksum.offset, TAR_FIELD.chksum.offset + TAR_FIELD.chksum.size);
  const sum = h.reduce((a, b) => a + b, 0);
  h.set(new TextEncoder().encode(`${sum.toString(8).padStart(6, "0")}\0 `), TAR_FIELD.chksum.offset);
  return h;
}

/** Base-256 bytes of `value` in a field of `size` bytes (two's complement for negatives). */
function base256(value: bigint, size: number): number[] {
  let v = value < 0n ? value + (1n << BigInt(8 * size)) : value;
  const out = new Array<number>(size).fill(0);
  for (let i = size - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  out[0] = value < 0n ? 0xff : (out[0] as number) | 0x80;
  return out;
}

async function readAll(tar: Uint8Array): Promise<TarHeader[]> {
  const out: TarHeader[] = [];
  for await (const e of readTar(bytesSource(tar).open())) {
    out.push(e.header);
    await e.bytes();
  }
  return out;
}

async function expectBadHeader(tar: Uint8Array, field: string): Promise<void> {
  await assert.rejects(readAll(tar), (e: unknown) => {
    assert.ok(e instanceof FormatError, `expected FormatError, got ${String(e)}`);
    assert.equal(e.code, "BAD_HEADER", e.message);
    assert.equal(e.data.offset, 0, e.message);
    assert.equal(e.data.field, field, e.message);
    assert.match(
      e.message,
      new RegExp(`^${field} field holds -?\\d+ in GNU base-256; expected a number from`),
    );
    return true;
  });
}

const pad = new Uint8Array(4096);

test("size of twelve 0xff bytes (-1): BAD_HEADER for files, pax, long-name and directory entries", async () => {
  const ff = new Array<number>(12).fill(0xff);
  for (const [flag, type] of [
    ["0", "file"],
    ["x", "file"],
    ["g", "file"],
    ["L", "file"],
    ["K", "file"],
    ["5", "dir"],
  ] as const) {
    await expectBadHeader(concatBytes([craftedHeader("size", ff, flag, type), pad, TAR_END_BLOCKS]), "size");
  }
});

test("negative or unsafe base-256 values in size, uid, gid, mode, devmajor, devminor are BAD_HEADER", async () => {
  for (const field of ["size", "uid", "gid", "mode", "devmajor", "devminor"] as const) {
    const size = TAR_FIELD[field].size;
    const flag = field.startsWith("dev") ? "3" : "0";
    const type = field.startsWith("dev") ? "char" : "file";
    for (const value of [-1n, -(2n ** 40n), 2n ** 53n]) {
      const bytes = base256(value, size);
      await expectBadHeader(
        concatBytes([craftedHeader(field, bytes, flag, type), pad, TAR_END_BLOCKS]),
        field,
      );
    }
  }
  await expectBadHeader(
    concatBytes([craftedHeader("size", base256(2n ** 60n, 12)), pad, TAR_END_BLOCKS]),
    "size",
  );
});

test("mtime may be negative (before 1970) but not past the safe range", async () => {
  const before1970 = concatBytes([craftedHeader("mtime", base256(-86400n, 12)), TAR_END_BLOCKS]);
  assert.equal((await readAll(before1970))[0]?.mtime, -86400);
  await expectBadHeader(
    concatBytes([craftedHeader("mtime", base256(-(2n ** 60n), 12)), TAR_END_BLOCKS]),
    "mtime",
  );
  await expectBadHeader(
    concatBytes([craftedHeader("mtime", base256(2n ** 60n, 12)), TAR_END_BLOCKS]),
    "mtime",
  );
  // base-256 within range still reads (GNU tar writes it for sizes >= 8 GiB)
  const big = concatBytes([craftedHeader("uid", base256(2n ** 30n, 8)), TAR_END_BLOCKS]);
  assert.equal((await readAll(big))[0]?.uid, 2 ** 30);
});

test("a release tarball with a -1 size gives BAD_HEADER from readTarball, not a TypeError", async () => {
  const tar = concatBytes([
    craftedHeader("size", new Array<number>(12).fill(0xff), "x"),
    pad,
    TAR_END_BLOCKS,
  ]);
  for (const bytes of [tar, await compressBytes(tar, { algo: "gzip" })]) {
    await assert.rejects(
      readTarball(bytesSource(bytes)),
      (e: unknown) => e instanceof FormatError && e.code === "BAD_HEADER" && e.data.field === "size",
    );
  }
});

test("ByteReader refuses counts that are not byte lengths with BAD_HEADER at its offset", async () => {
  const reader = new ByteReader([new Uint8Array(16)]);
  await reader.read(3);
  const bad = (e: unknown) =>
    e instanceof FormatError &&
    e.code === "BAD_HEADER" &&
    e.data.offset === 3 &&
    e.message.includes("not a byte count");
  for (const n of [-1, 1.5, Number.NaN, 2 ** 53, Number.POSITIVE_INFINITY]) {
    await assert.rejects(reader.read(n), bad, `read(${n})`);
    await assert.rejects(reader.readUpTo(n), bad, `readUpTo(${n})`);
    await assert.rejects(reader.peek(n), bad, `peek(${n})`);
    await assert.rejects(reader.skip(n), bad, `skip(${n})`);
    await assert.rejects(collect(reader.stream(n)), bad, `stream(${n})`);
  }
  assert.equal((await reader.read(13)).length, 13, "the reader is still usable");
});
