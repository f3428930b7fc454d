import assert from "node:assert/strict";
import { test } from "node:test";
import zlib from "node:zlib";
import { concatBytes } from "../../src/bytes/bytes.ts";
import { gzipMembers } from "../../src/compress/gzip-members.ts";
import { FormatError } from "../../src/errors.ts";
import type { ByteSource } from "../../src/spec/types.ts";
import { sampleBytes } from "./helpers.ts";

/** A source that yields odd-sized chunks, like a file read. */
function source(bytes: Uint8Array, chunk: number): ByteSource {
  return {
    size: bytes.length,
    async *open(range) {
      const end = range?.end ?? bytes.length;
      for (let at = range?.start ?? 0; at < end; at += chunk)
        yield bytes.slice(at, Math.min(end, at + chunk));
    },
  };
}

const parts = [sampleBytes(10, 1), sampleBytes(7_000, 2), new Uint8Array(0), sampleBytes(30_000, 3)];
const members = parts.map((p, i) => new Uint8Array(zlib.gzipSync(p, { level: i + 1 })));
const whole = concatBytes(members);

for (const chunk of [1, 7, 321, 1 << 20]) {
  test(`member ranges are exact with ${chunk}-byte reads`, async () => {
    const found = [];
    for await (const m of gzipMembers(chunk === 1 << 20 ? whole : source(whole, chunk))) found.push(m);
    assert.equal(found.length, members.length);
    let at = 0;
    found.forEach((m, i) => {
      assert.equal(m.start, at);
      assert.equal(m.end, at + (members[i] as Uint8Array).length);
      assert.equal(m.deflateStart, at + 10);
      assert.equal(m.isize, (parts[i] as Uint8Array).length);
      assert.equal(m.crc32, zlib.crc32(parts[i] as Uint8Array));
      at = m.end;
    });
  });
}

test("optional header fields (FNAME, FEXTRA, FCOMMENT, FHCRC) are skipped", async () => {
  const plain = new Uint8Array(zlib.gzipSync(sampleBytes(1000)));
  // flags: FHCRC|FEXTRA|FNAME|FCOMMENT, extra of 3 bytes, name "a.txt", comment "hi", header CRC (not checked).
  const header = concatBytes([
    plain.subarray(0, 3),
    new Uint8Array([0x1e]),
    plain.subarray(4, 10),
    new Uint8Array([3, 0, 9, 9, 9]),
    new TextEncoder().encode("a.txt\0hi\0"),
    new Uint8Array([0, 0]),
  ]);
  const member = concatBytes([header, plain.subarray(10)]);
  const found = [];
  for await (const m of gzipMembers(concatBytes([member, plain]))) found.push(m);
  assert.equal(found[0]?.deflateStart, header.length);
  assert.equal(found[0]?.end, member.length);
  assert.equal(found[1]?.end, member.length + plain.length);
});

test("trailing garbage, truncation and corruption are typed errors", async () => {
  const collect = async (b: Uint8Array) => {
    for await (const _ of gzipMembers(b));
  };
  await assert.rejects(
    collect(concatBytes([whole, new Uint8Array([1, 2, 3])])),
    (e: unknown) => e instanceof FormatError && e.code === "BAD_MAGIC" && e.data.offset === whole.length,
  );
  await assert.rejects(
    collect(whole.subarray(0, whole.length - 3)),
    (e: unknown) => e instanceof FormatError && e.code === "TRUNCATED",
  );
  await assert.rejects(
    collect(whole.subarray(0, 5)),
    (e: unknown) => e instanceof FormatError && e.code === "TRUNCATED",
  );
  const last = members[3] as Uint8Array;
  await assert.rejects(
    collect(last.subarray(0, 1000)),
    (e: unknown) => e instanceof FormatError && e.code === "TRUNCATED",
  );
  const bad = last.slice();
  bad.fill(0xff, 20, 60);
  await assert.rejects(
    collect(bad),
    (e: unknown) => e instanceof FormatError && e.code === "CORRUPT_COMPRESSED_DATA",
  );
  await assert.rejects(
    collect(new Uint8Array(0)),
    (e: unknown) => e instanceof FormatError && e.code === "TRUNCATED",
  );
});

test("limits: unpacked bytes and member count", async () => {
  const collect = async (b: Uint8Array, limits: object) => {
    for await (const _ of gzipMembers(b, { limits }));
  };
  await assert.rejects(
    collect(whole, { maxUnpackedBytes: 20_000 }),
    (e: unknown) => e instanceof FormatError && e.code === "LIMIT_UNPACKED_BYTES",
  );
  await assert.rejects(
    collect(whole, { maxEntries: 3 }),
    (e: unknown) => e instanceof FormatError && e.code === "LIMIT_ENTRIES",
  );
});
