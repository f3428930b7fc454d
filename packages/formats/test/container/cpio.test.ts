import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { collect, decodeAscii, encodeUtf8 } from "../../src/bytes/bytes.ts";
import { chunked } from "@packyard/testkit/chunked";
import {
  type CpioFormat,
  type CpioHeader,
  encodeCpioHeader,
  encodeCpioStrippedHeader,
  readCpio,
  writeCpio,
  writeCpioStripped,
} from "../../src/container/cpio.ts";
import { FormatError } from "../../src/errors.ts";

async function readAll(input: AsyncIterable<Uint8Array>, opts = {}) {
  const out = [];
  for await (const e of readCpio(input, opts))
    out.push({
      format: e.format,
      header: e.header,
      index: e.index,
      offset: e.offset,
      content: await e.bytes(),
    });
  return out;
}
const isCode = (code: string, offset?: number) => (e: unknown) =>
  e instanceof FormatError && e.code === code && (offset === undefined || e.data.offset === offset);

test("golden headers: newc 110 bytes + name padded to 4, odc 76 bytes unpadded, stripped 16 bytes", () => {
  const n = encodeCpioHeader({ name: "./a", mode: 0o100644, size: 5, ino: 1 }, "newc");
  assert.equal(
    decodeAscii(n),
    "070701" +
      "00000001" +
      "000081a4" +
      "00000000".repeat(2) +
      "00000001" +
      "00000000" +
      "00000005" +
      "00000000".repeat(4) +
      "00000004" +
      "00000000" +
      "./a\0\0\0",
  );
  const o = encodeCpioHeader({ name: "./a", mode: 0o100644, size: 5, ino: 1 }, "odc");
  assert.equal(
    decodeAscii(o),
    "070707" +
      "000000" +
      "000001" +
      "100644" +
      "000000000000" +
      "000001" +
      "000000" +
      "00000000000" +
      "000004" +
      "00000000005" +
      "./a\0",
  );
  assert.equal(decodeAscii(encodeCpioStrippedHeader(0x1f)), "07070X0000001f\0\0");
});

for (const format of ["newc", "odc"] as const satisfies CpioFormat[]) {
  test(`${format}: round trip in 1/7/321/random chunks`, async () => {
    const headerArb = fc.record({
      name: fc.stringMatching(/^[.a-zé/]{1,60}$/).filter((s) => s !== "TRAILER!!!"),
      mode: fc.constantFrom(0o100644, 0o040755, 0o120777, 0o104755),
      ino: fc.nat(0o777777),
      uid: fc.nat(0o777777),
      gid: fc.nat(0o777777),
      nlink: fc.nat(0o777777),
      mtime: fc.nat(2 ** 32 - 1),
      devMajor: fc.nat(255),
      devMinor: fc.nat(255),
      rdevMajor: fc.nat(255),
      rdevMinor: fc.nat(255),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(headerArb, fc.uint8Array({ maxLength: 200 })), { maxLength: 5 }),
        fc.array(fc.integer({ min: 1, max: 90 }), { minLength: 1, maxLength: 4 }),
        async (entries, sizes) => {
          const input = entries.map(([h, c]) => ({
            header: { ...h, size: c.length } satisfies CpioHeader,
            content: c,
          }));
          const bytes = await collect(writeCpio(input, { format }));
          if (format === "newc") assert.equal(bytes.length % 4, 0);
          for (const size of [1, 7, 321, sizes]) {
            const got = await readAll(chunked(bytes, size));
            assert.deepEqual(
              got.map((e) => [e.format, e.header, e.content]),
              input.map((e) => [format, e.header, e.content]),
            );
          }
        },
      ),
      { numRuns: 60 },
    );
  });
}

test("rpm stripped entries read with sizes from the caller, end at the newc trailer", async () => {
  const files = [encodeUtf8("hello"), encodeUtf8(""), encodeUtf8("abcdefgh")];
  const bytes = await collect(
    writeCpioStripped(files.map((c, i) => ({ index: i, size: c.length, content: c }))),
  );
  const got = await readAll(chunked(bytes, 7), { strippedSize: (i: number) => files[i]!.length });
  assert.deepEqual(
    got.map((e) => [e.format, e.index, e.content]),
    files.map((c, i) => ["stripped", i, c]),
  );
  await assert.rejects(readAll(chunked(bytes, 7)), isCode("UNSUPPORTED", 0));
});

test("bad input: bad magic, truncation, 070702 checksum, limits", async () => {
  const bytes = await collect(
    writeCpio([{ header: { name: "./a", mode: 0o100644, size: 5 }, content: encodeUtf8("hello") }], {
      format: "newc",
    }),
  );
  const bad = bytes.slice();
  bad[5] = "9".charCodeAt(0);
  await assert.rejects(readAll(chunked(bad, 7)), isCode("BAD_MAGIC", 0));
  await assert.rejects(readAll(chunked(bytes.subarray(0, 120), 7)), isCode("TRUNCATED", 120));
  await assert.rejects(readAll(chunked(bytes.subarray(0, 118), 7)), isCode("TRUNCATED", 118));
  const crc = bytes.slice();
  crc[5] = "2".charCodeAt(0);
  crc.set(encodeUtf8((0x68 + 0x65 + 0x6c + 0x6c + 0x6f).toString(16).padStart(8, "0")), 102);
  assert.equal((await readAll(chunked(crc, 3)))[0]?.format, "crc");
  crc[116] = 0x41; // a data byte
  await assert.rejects(readAll(chunked(crc, 3)), isCode("BAD_CHECKSUM", 0));
  await assert.rejects(
    readAll(chunked(bytes, 7), { limits: { maxHeaderBytes: 3 } }),
    isCode("LIMIT_HEADER_BYTES", 0),
  );
  await assert.rejects(
    readAll(chunked(bytes, 7), { limits: { maxUnpackedBytes: 4 } }),
    isCode("LIMIT_UNPACKED_BYTES", 0),
  );
  const hexBad = bytes.slice();
  hexBad[6] = "g".charCodeAt(0);
  await assert.rejects(readAll(chunked(hexBad, 7)), isCode("BAD_HEADER", 0));
});
