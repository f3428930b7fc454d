/**
 * The cpio encoder (fields written in place, output coalesced into large pieces) against a reference
 * written here from libarchive's cpio(5): newc "070701" + 13 fields of 8 hex digits + name + NUL padded to
 * 4, data padded to 4; odc "070707" + octal fields of 6 and 11 digits + name + NUL, no padding. Plain text
 * then bytes; it shares no code with the encoder.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { chunkedSource } from "@packyard/testkit/chunked";
import fc from "fast-check";
import {
  type CpioFormat,
  type CpioHeaderInput,
  type CpioWriteEntry,
  cpioHeaderLength,
  encodeCpioHeader,
  encodeCpioHeaderInto,
  encodeCpioStrippedHeader,
  writeCpio,
  writeCpioStripped,
} from "../../src/container/cpio.ts";
import { isOwnedPiece } from "../../src/bytes/coalesce.ts";
import { SpecError } from "../../src/errors.ts";

const utf8 = (s: string) => new TextEncoder().encode(s);
const pad4 = (n: number) => (4 - (n % 4)) % 4;
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);

/** The value of each field, in the order of the format, with cpio(5)'s defaults (nlink 1, else 0). */
function fields(h: CpioHeaderInput, format: CpioFormat, namesize: number): [number, number][] {
  const v = (x: number | undefined, d = 0) => x ?? d;
  if (format === "newc") {
    return [
      v(h.ino),
      h.mode,
      v(h.uid),
      v(h.gid),
      v(h.nlink, 1),
      v(h.mtime),
      h.size,
      v(h.devMajor),
      v(h.devMinor),
      v(h.rdevMajor),
      v(h.rdevMinor),
      namesize,
      0,
    ].map((x) => [x, 8]);
  }
  return [
    [v(h.devMajor) * 256 + v(h.devMinor), 6],
    [v(h.ino), 6],
    [h.mode, 6],
    [v(h.uid), 6],
    [v(h.gid), 6],
    [v(h.nlink, 1), 6],
    [v(h.rdevMajor) * 256 + v(h.rdevMinor), 6],
    [v(h.mtime), 11],
    [namesize, 6],
    [h.size, 11],
  ];
}

/** The reference header, or undefined when a field does not fit (the encoder must refuse it). */
function referenceHeader(h: CpioHeaderInput, format: CpioFormat): Uint8Array | undefined {
  if (h.name === "" || h.name.includes("\0")) return undefined;
  if (format === "odc" && ((h.devMinor ?? 0) > 255 || (h.rdevMinor ?? 0) > 255)) return undefined;
  const name = utf8(h.name);
  const radix = format === "newc" ? 16 : 8;
  let text = format === "newc" ? "070701" : "070707";
  for (const [value, width] of fields(h, format, name.length + 1)) {
    if (!Number.isSafeInteger(value) || value < 0 || value >= radix ** width) return undefined;
    text += value.toString(radix).padStart(width, "0");
  }
  const head = Buffer.concat([Buffer.from(text, "latin1"), name, Uint8Array.of(0)]);
  return new Uint8Array(Buffer.concat([head, new Uint8Array(format === "newc" ? pad4(head.length) : 0)]));
}

const number = fc.oneof(
  { arbitrary: fc.integer({ min: 0, max: 0o777777 }), weight: 12 },
  fc.integer({ min: 0, max: 2 ** 34 }),
  fc.constantFrom(-1, 1.5, Number.NaN, 255, 256, 0o777777, 0o1000000, 0xffffffff, 2 ** 32, 8 ** 11),
);
const nameArb = fc.oneof(
  { arbitrary: fc.stringMatching(/^\.\/[a-z0-9/._-]{1,80}$/), weight: 6 },
  fc.string({ unit: "binary", minLength: 1, maxLength: 40 }),
  fc.string({ maxLength: 20 }),
  fc.constantFrom("\ud800", "a\udc00", "\u{1f600}", "é", "a\0b"),
);
const headerArb: fc.Arbitrary<CpioHeaderInput> = fc.record(
  {
    name: nameArb,
    mode: fc.oneof(fc.constantFrom(0o100644, 0o040755, 0o120777), number),
    size: fc.oneof(fc.integer({ min: 0, max: 100_000 }), number),
    ino: number,
    uid: number,
    gid: number,
    nlink: number,
    mtime: fc.oneof(fc.integer({ min: 0, max: 2 ** 32 - 1 }), number),
    devMajor: fc.integer({ min: 0, max: 300 }),
    devMinor: fc.integer({ min: 0, max: 300 }),
    rdevMajor: fc.integer({ min: 0, max: 300 }),
    rdevMinor: fc.integer({ min: 0, max: 300 }),
  },
  { requiredKeys: ["name", "mode", "size"] },
);

for (const format of ["newc", "odc"] as const) {
  test(`${format}: encodeCpioHeader and encodeCpioHeaderInto give the reference's bytes, or SpecError exactly when it refuses`, () => {
    let accepted = 0;
    fc.assert(
      fc.property(headerArb, fc.nat(7), (h, at) => {
        const ref = referenceHeader(h, format);
        if (ref === undefined) {
          assert.throws(() => encodeCpioHeader(h, format), SpecError);
          return;
        }
        accepted++;
        assert.ok(same(encodeCpioHeader(h, format), ref));
        assert.equal(cpioHeaderLength(h, format), ref.length);
        const out = new Uint8Array(at + ref.length + 3);
        assert.equal(encodeCpioHeaderInto(h, format, out, at), ref.length);
        assert.ok(same(out, Buffer.concat([new Uint8Array(at), ref, new Uint8Array(3)])));
      }),
      { numRuns: 4000 },
    );
    assert.ok(accepted > 500, `only ${accepted} valid headers drawn`);
  });
}

test("stripped header: 07070X, 8 hex digits of the index, padded to 16", () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffffffff }), (i) => {
      const want = Buffer.from(`07070X${i.toString(16).padStart(8, "0")}\0\0`, "latin1");
      assert.ok(same(encodeCpioStrippedHeader(i), want));
    }),
  );
  assert.throws(() => encodeCpioStrippedHeader(2 ** 32), SpecError);
});

const MiB = 1024 * 1024;

/** Runs a writer, checking that no piece changes after it was yielded. */
async function written(pieces: AsyncIterable<Uint8Array>) {
  const got: Uint8Array[] = [];
  const copies: Uint8Array[] = [];
  for await (const p of pieces) {
    got.push(p);
    copies.push(p.slice());
  }
  for (const [i, p] of got.entries())
    assert.ok(same(p, copies[i]!), `piece ${i} changed after it was yielded`);
  return { bytes: new Uint8Array(Buffer.concat(got)), pieces: got };
}

const contentArb = fc
  .tuple(
    fc.oneof(
      { arbitrary: fc.integer({ min: 0, max: 3000 }), weight: 5 },
      fc.constantFrom(MiB - 1, MiB, 2 * MiB + 3),
    ),
    fc.constantFrom("bytes", "source", "stream"),
    fc.array(fc.integer({ min: 1, max: 1.5 * MiB }), { minLength: 1, maxLength: 3 }),
  )
  .map(([size, kind, chunks]) => {
    const bytes = new Uint8Array(size).fill(size & 0xff);
    if (size > 0) bytes[size - 1] = 0xa5;
    const content =
      kind === "bytes"
        ? bytes
        : kind === "source"
          ? chunkedSource(bytes, chunks)
          : chunkedSource(bytes, chunks).open();
    return { bytes, content };
  });

for (const format of ["newc", "odc"] as const) {
  test(`${format}: writeCpio writes each reference header, content and padding, then the trailer`, async () => {
    const valid = headerArb.filter((h) => referenceHeader({ ...h, size: 0 }, format) !== undefined);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(valid, contentArb), { maxLength: 6 }),
        fc.boolean(),
        async (list, exact) => {
          const entries: CpioWriteEntry[] = list.map(([h, c]) => ({
            header: { ...h, size: c.bytes.length },
            content: c.content,
          }));
          const { bytes, pieces } = await written(writeCpio(entries, { format, exact }));
          if (exact) {
            for (const p of pieces.slice(0, -1)) {
              assert.ok(p.length === MiB && p.byteOffset === 0 && p.buffer.byteLength === MiB, `${p.length}`);
            }
            for (const p of pieces) assert.ok(isOwnedPiece(p));
          }
          const want: Uint8Array[] = [];
          for (const [i, [, c]] of list.entries()) {
            want.push(referenceHeader(entries[i]!.header, format)!, c.bytes);
            if (format === "newc") want.push(new Uint8Array(pad4(c.bytes.length)));
          }
          want.push(referenceHeader({ name: "TRAILER!!!", mode: 0, size: 0, nlink: 1 }, format)!);
          assert.ok(same(bytes, Buffer.concat(want)));
        },
      ),
      { numRuns: 30 },
    );
  });
}

test("writeCpioStripped: index headers, contents padded to 4, the newc trailer", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(contentArb, { maxLength: 6 }), fc.boolean(), async (list, exact) => {
      const { bytes, pieces } = await written(
        writeCpioStripped(
          list.map((c, index) => ({ index, size: c.bytes.length, content: c.content })),
          { exact },
        ),
      );
      if (exact) for (const p of pieces.slice(0, -1)) assert.equal(p.length, MiB);
      const want: Uint8Array[] = [];
      for (const [i, c] of list.entries()) {
        want.push(Buffer.from(`07070X${i.toString(16).padStart(8, "0")}\0\0`, "latin1"), c.bytes);
        want.push(new Uint8Array(pad4(c.bytes.length)));
      }
      want.push(referenceHeader({ name: "TRAILER!!!", mode: 0, size: 0, nlink: 1 }, "newc")!);
      assert.ok(same(bytes, Buffer.concat(want)));
    }),
    { numRuns: 20 },
  );
});

test("writeCpio: 5,000 small entries come out in 1 MiB pieces; a wrong content length is refused", async () => {
  const entries: CpioWriteEntry[] = Array.from({ length: 5000 }, (_, i) => ({
    header: { name: `./usr/share/f${String(i).padStart(5, "0")}`, mode: 0o100644, size: 300 },
    content: new Uint8Array(300).fill(i & 0xff),
  }));
  const { bytes, pieces } = await written(writeCpio(entries, { format: "newc" }));
  // 110 + 18-byte name + NUL = 129, padded to 132; 300 bytes of data: 432 bytes an entry; trailer 124
  assert.equal(bytes.length, 5000 * 432 + 124);
  assert.equal(pieces.length, 3);
  // a header goes whole into a block (at most 132 bytes left unused), a content is split across two
  for (const p of pieces.slice(0, -1)) assert.ok(p.length > MiB - 132 && p.length <= MiB, `${p.length}`);
  const h = { name: "./x", mode: 0o100644, size: 3 };
  for (const content of [new Uint8Array(2), chunkedSource(new Uint8Array(4), 1), undefined]) {
    const entry: CpioWriteEntry = content === undefined ? { header: h } : { header: h, content };
    await assert.rejects(written(writeCpio([entry], { format: "odc" })), SpecError);
  }
});
