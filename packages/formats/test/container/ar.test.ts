import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { collect, decodeAscii, encodeUtf8 } from "../../src/bytes/bytes.ts";
import { chunked } from "@packyard/testkit/chunked";
import { encodeArHeader, readAr, writeAr } from "../../src/container/ar.ts";
import { FormatError, SpecError } from "../../src/errors.ts";

async function readAll(input: AsyncIterable<Uint8Array>, opts = {}) {
  const out = [];
  for await (const m of readAr(input, opts)) {
    const { body: _b, bytes, ...rest } = m;
    out.push({ ...rest, content: await bytes() });
  }
  return out;
}

const isCode = (code: string, offset?: number) => (e: unknown) =>
  e instanceof FormatError && e.code === code && (offset === undefined || e.data.offset === offset);

test("header golden bytes as dpkg-deb writes them (name space-padded, no trailing slash)", () => {
  const h = encodeArHeader({ name: "debian-binary", size: 4, mtime: 1700000000 });
  assert.equal(decodeAscii(h), "debian-binary   1700000000  0     0     100644  4         `\n");
  assert.throws(() => encodeArHeader({ name: "a-name-too-long!", size: 0 }), SpecError);
  assert.throws(() => encodeArHeader({ name: "a b", size: 0 }), SpecError);
});

test("round trip with odd sizes, in 1/7/321/random chunks", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.record({
          name: fc.stringMatching(/^[a-z_.][a-z0-9_.-]{0,14}$/),
          content: fc.uint8Array({ maxLength: 300 }),
          mtime: fc.nat(2 ** 32),
        }),
        { maxLength: 5 },
      ),
      fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 1, maxLength: 4 }),
      async (members, sizes) => {
        const bytes = await collect(writeAr(members.map((m) => ({ ...m, size: m.content.length }))));
        for (const size of [1, 7, 321, sizes]) {
          const got = await readAll(chunked(bytes, size));
          assert.deepEqual(
            got.map((m) => [m.name, m.content, m.mtime, m.mode, m.uid, m.gid]),
            members.map((m) => [m.name, m.content, m.mtime, 0o100644, 0, 0]),
          );
        }
      },
    ),
    { numRuns: 80 },
  );
});

test("bad magic, bad header magic, size past the end, GNU slash, missing final pad", async () => {
  await assert.rejects(readAll(chunked(encodeUtf8("!<arch>x"), 3)), isCode("BAD_MAGIC", 0));
  const bytes = await collect(
    writeAr([
      { name: "a", size: 3, content: encodeUtf8("abc") },
      { name: "b", size: 1, content: encodeUtf8("z") },
    ]),
  );
  const badFmag = bytes.slice();
  badFmag[8 + 60 + 4 + 58] = 0x20;
  await assert.rejects(readAll(chunked(badFmag, 7)), isCode("BAD_MAGIC", 8 + 60 + 4 + 58));
  const lying = bytes.slice();
  lying.set(encodeUtf8("99        "), 8 + 48);
  await assert.rejects(readAll(chunked(lying, 7)), isCode("TRUNCATED", bytes.length));
  const badSize = bytes.slice();
  badSize.set(encodeUtf8("3x        "), 8 + 48);
  await assert.rejects(readAll(chunked(badSize, 7)), isCode("BAD_HEADER", 8));
  await assert.rejects(readAll(chunked(bytes.subarray(0, 30), 7)), isCode("TRUNCATED", 30));
  const gnu = bytes.slice();
  gnu[8 + 1] = "/".charCodeAt(0);
  assert.equal((await readAll(chunked(gnu, 7)))[0]?.name, "a");
  assert.equal((await readAll(chunked(bytes.subarray(0, bytes.length - 1), 7))).length, 2);
  await assert.rejects(
    readAll(chunked(bytes, 7), { limits: { maxEntries: 1 } }),
    isCode("LIMIT_ENTRIES", 72),
  );
  await assert.rejects(collect(writeAr([{ name: "a", size: 4, content: encodeUtf8("abc") }])), SpecError);
});
