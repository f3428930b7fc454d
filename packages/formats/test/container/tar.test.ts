import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { collect, decodeAscii, encodeUtf8 } from "../../src/bytes/bytes.ts";
import { chunked } from "@packyard/testkit/chunked";
import { FormatError, SpecError } from "../../src/errors.ts";
import {
  encodeTarHeader,
  headerAsRead,
  normalizeMemberPath,
  readTar,
  TAR_FIELD,
  type TarFlavour,
  type TarHeader,
  tarPadding,
  writeTar,
} from "../../src/container/tar.ts";

const base = { mode: 0o644, uid: 0, gid: 0, size: 0, mtime: 1700000000 };

async function readAll(input: AsyncIterable<Uint8Array> | Uint8Array, opts = {}) {
  const out = [];
  for await (const e of readTar(input instanceof Uint8Array ? chunked(input, 512 * 7) : input, opts)) {
    out.push({ header: e.header, format: e.format, offset: e.offset, content: await e.bytes() });
  }
  return out;
}

async function tarOf(
  entries: { header: TarHeader; content?: Uint8Array }[],
  flavour: TarFlavour,
  end = true,
) {
  return collect(writeTar(entries, { flavour, end }));
}

function rejectsWith(code: string, offset?: number) {
  return (e: unknown) => {
    assert.ok(e instanceof FormatError, `expected FormatError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (offset !== undefined) assert.equal(e.data.offset, offset, e.message);
    return true;
  };
}

const segment = fc.stringMatching(/^[a-zA-Z0-9_.é漢-]{1,40}$/).filter((s) => s !== "." && s !== "..");
const name = fc.array(segment, { minLength: 1, maxLength: 9 }).map((s) => s.join("/"));
const ascii32 = fc.stringMatching(/^[a-z][a-z0-9]{0,31}$/);

function headerArb(flavour: TarFlavour): fc.Arbitrary<{ header: TarHeader; content?: Uint8Array }> {
  return fc
    .record({
      name,
      type: fc.constantFrom("file", "dir", "symlink", "hardlink", "char", "block", "fifo"),
      mode: fc.integer({ min: 0, max: 0o7777 }),
      uid: fc.oneof(fc.integer({ min: 0, max: 65535 }), fc.integer({ min: 0, max: 2 ** 40 })),
      gid: fc.integer({ min: 0, max: 2 ** 33 }),
      mtime: fc.oneof(
        fc.integer({ min: 0, max: 2 ** 33 - 1 }),
        fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
      ),
      uname: fc.option(
        flavour === "gnu"
          ? ascii32
          : fc.string({ minLength: 1, maxLength: 40 }).filter((s) => !s.includes("\0")),
        { nil: undefined },
      ),
      gname: fc.option(ascii32, { nil: undefined }),
      linkname: name,
      dev: fc.tuple(fc.integer({ min: 0, max: 4095 }), fc.integer({ min: 0, max: 2 ** 20 })),
      content: fc.uint8Array({ maxLength: 1100 }),
      pax:
        flavour === "pax"
          ? fc.option(
              fc.dictionary(
                fc.constantFrom("APK-TOOLS.checksum.SHA1", "SCHILY.xattr.user.x", "comment"),
                fc.string({ minLength: 1, maxLength: 300 }),
              ),
              { nil: undefined },
            )
          : fc.constant(undefined),
    })
    .map((r) => {
      const h: TarHeader = {
        name: r.name,
        type: r.type as TarHeader["type"],
        mode: r.mode,
        uid: r.uid,
        gid: r.gid,
        size: 0,
        mtime: r.mtime,
      };
      if (r.uname !== undefined) h.uname = r.uname;
      if (r.gname !== undefined) h.gname = r.gname;
      if (r.type === "symlink" || r.type === "hardlink") h.linkname = r.linkname;
      if (r.type === "char" || r.type === "block") [h.devmajor, h.devminor] = r.dev;
      if (r.pax && Object.keys(r.pax).length > 0) h.pax = { ...r.pax };
      if (r.type === "file") {
        h.size = r.content.length;
        return { header: h, content: r.content };
      }
      return { header: h };
    });
}

for (const flavour of ["gnu", "pax"] as const) {
  test(`${flavour}: decode(encode(entries)) round-trips, in 1/7/321/random-size chunks alike`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(headerArb(flavour), { maxLength: 6 }),
        fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 5 }),
        async (entries, sizes) => {
          const bytes = await tarOf(entries, flavour);
          const whole = await readAll(bytes);
          assert.deepEqual(
            whole.map((e) => e.header),
            entries.map((e) => e.header),
          );
          for (const [i, e] of whole.entries()) {
            assert.deepEqual(e.content, entries[i]!.content ?? new Uint8Array(0));
            if (flavour === "gnu") assert.equal(e.format, "gnu");
          }
          for (const size of [1, 7, 321, sizes]) {
            if (size === 1 && bytes.length > 20_000) continue; // keep the 1-byte run cheap
            assert.deepEqual(await readAll(chunked(bytes, size)), whole);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
}

for (const flavour of ["gnu", "pax"] as const) {
  test(`headerAsRead is the header readTar decodes from writeTar's ${flavour} blocks, also for headers it normalises`, async () => {
    const odd = fc.record({
      emptyNames: fc.boolean(),
      stray: fc.boolean(),
      slash: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(headerArb("gnu"), odd), { minLength: 1, maxLength: 6 }),
        async (list) => {
          const entries = list.map(([e, o]) => {
            const header: TarHeader = { ...e.header };
            // What a writer may hand over that the archive cannot keep: empty owner names, a link target or
            // device numbers on an entry of another type, a file named like a directory.
            if (o.emptyNames) [header.uname, header.gname] = ["", ""];
            if (o.stray && header.type !== "symlink" && header.type !== "hardlink")
              header.linkname = "stray/target";
            if (o.stray && header.type !== "char" && header.type !== "block")
              [header.devmajor, header.devminor] = [0, 0];
            if (o.slash && header.type === "file" && header.size === 0) header.name = `${header.name}/`;
            return e.content === undefined || header.type !== "file"
              ? { header }
              : { header, content: e.content };
          });
          const read = await readAll(await tarOf(entries, "gnu"));
          assert.deepEqual(
            read.map((e) => e.header),
            entries.map((e) => headerAsRead(e.header)),
          );
        },
      ),
      { numRuns: 80 },
    );
  });
}

test("gnu header golden bytes: octal fields, GNU magic, 6-digit checksum + NUL + space", () => {
  const b = encodeTarHeader(
    { ...base, name: "./etc/x", type: "file", size: 6, uname: "root", gname: "root" },
    "gnu",
  );
  assert.equal(b.length, 512);
  const f = (k: keyof typeof TAR_FIELD) =>
    decodeAscii(b.subarray(TAR_FIELD[k].offset, TAR_FIELD[k].offset + TAR_FIELD[k].size));
  assert.equal(f("mode"), "0000644\0");
  assert.equal(f("size"), "00000000006\0");
  assert.equal(f("mtime"), "14524770400\0");
  assert.equal(f("magic") + f("version"), "ustar  \0");
  assert.equal(f("devmajor"), "\0".repeat(8));
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : b[i]!;
  assert.equal(f("chksum"), `${sum.toString(8).padStart(6, "0")}\0 `);
  const p = encodeTarHeader({ ...base, name: "./etc/x", type: "file" }, "pax");
  assert.equal(decodeAscii(p.subarray(257, 265)), "ustar\u000000");
  assert.equal(decodeAscii(p.subarray(329, 337)), "0000000\0");
});

test("8 GiB and larger: GNU base-256 size, pax size record; headers decode", async () => {
  const big = 8 * 1024 ** 3 + 5;
  const g = encodeTarHeader({ ...base, name: "big", type: "file", size: big }, "gnu");
  const sizeField = g.subarray(124, 136);
  assert.equal(sizeField[0], 0x80);
  assert.equal(new DataView(sizeField.buffer, sizeField.byteOffset + 4, 8).getBigUint64(0), BigInt(big));
  const p = encodeTarHeader({ ...base, name: "big", type: "file", size: big }, "pax");
  assert.equal(p.length, 1536);
  assert.match(decodeAscii(p.subarray(512, 1024)), /^\d+ size=8589934597\n/);
  for (const bytes of [g, p]) {
    const it = readTar(chunked(bytes, 100));
    const first = await it.next();
    assert.equal(first.done, false);
    assert.equal(first.value?.header.size, big);
    await assert.rejects(it.next(), rejectsWith("TRUNCATED", bytes.length));
  }
  // uid beyond the 7-digit octal range, negative mtime
  const h: TarHeader = { ...base, name: "ids", type: "file", uid: 2 ** 31, gid: 3, mtime: -5 };
  for (const flavour of ["gnu", "pax"] as const) {
    const [e] = await readAll(await tarOf([{ header: h }], flavour));
    assert.deepEqual(e?.header, h);
  }
});

test("name layout: GNU L/K, ustar prefix split, pax path/linkpath", async () => {
  const longDir = `${"a".repeat(60)}/${"b".repeat(60)}`;
  const gnu = encodeTarHeader({ ...base, name: longDir, type: "symlink", linkname: "t".repeat(101) }, "gnu");
  assert.equal(gnu.length, 512 * 5); // L + data, K + data, header
  assert.equal(String.fromCharCode(gnu[156]!), "L");
  assert.equal(decodeAscii(gnu.subarray(0, 13)), "././@LongLink");
  assert.equal(String.fromCharCode(gnu[1024 + 156]!), "K");
  const ustar = encodeTarHeader({ ...base, name: longDir, type: "file" }, "pax");
  assert.equal(ustar.length, 512);
  assert.equal(decodeAscii(ustar.subarray(345, 345 + 60)), "a".repeat(60));
  const pax = encodeTarHeader({ ...base, name: "é".repeat(10), type: "file" }, "pax");
  assert.equal(String.fromCharCode(pax[156]!), "x");
  assert.ok(decodeAscii(pax.subarray(512, 1024)).includes(" path="));
});

test("pax records are refused in the gnu flavour and for derived keys", () => {
  assert.throws(
    () => encodeTarHeader({ ...base, name: "x", type: "file", pax: { a: "b" } }, "gnu"),
    (e: unknown) => e instanceof SpecError && e.code === "UNSUPPORTED_FEATURE",
  );
  assert.throws(
    () => encodeTarHeader({ ...base, name: "x", type: "file", pax: { path: "y" } }, "pax"),
    (e: unknown) => e instanceof SpecError && e.code === "INVALID_FIELD",
  );
  assert.throws(
    () => encodeTarHeader({ ...base, name: "x", type: "file", uname: "u".repeat(33) }, "gnu"),
    SpecError,
  );
});

test("writeTar checks content length and can leave out the end blocks", async () => {
  await assert.rejects(
    tarOf([{ header: { ...base, name: "x", type: "file", size: 3 }, content: encodeUtf8("ab") }], "gnu"),
    SpecError,
  );
  const noEnd = await tarOf(
    [{ header: { ...base, name: "x", type: "file", size: 2 }, content: encodeUtf8("ab") }],
    "pax",
    false,
  );
  assert.equal(noEnd.length, 1024);
  await assert.rejects(readAll(noEnd), rejectsWith("TRUNCATED", 1024));
  const got = await readAll(noEnd, { allowMissingEnd: true });
  assert.deepEqual(got[0]?.content, encodeUtf8("ab"));
  assert.deepEqual(tarPadding(513).length, 511);
});

test("bodies: skipped when the consumer moves on, refused once passed", async () => {
  const entries = [1, 2, 3].map((i) => ({
    header: { ...base, name: `f${i}`, type: "file" as const, size: 700 * i },
    content: new Uint8Array(700 * i).fill(i),
  }));
  const bytes = await tarOf(entries, "gnu");
  const seen: number[] = [];
  let first: { body(): AsyncIterable<Uint8Array> } | undefined;
  for await (const e of readTar(chunked(bytes, 7))) {
    first ??= e;
    if (e.header.name === "f2") seen.push(...(await e.bytes()).subarray(0, 1));
    else seen.push(e.offset);
  }
  assert.deepEqual(seen, [0, 2, 512 + 1024 + 512 + 1536]);
  assert.throws(() => first!.body());
});

test("truncated archives fail with TRUNCATED at the exact cut offset", async () => {
  const bytes = await tarOf(
    [
      { header: { ...base, name: "d/", type: "dir", mode: 0o755 } },
      {
        header: { ...base, name: `d/${"n".repeat(150)}`, type: "file", size: 600 },
        content: new Uint8Array(600).fill(1),
      },
    ],
    "gnu",
  );
  const endStart = bytes.length - 1024;
  for (let cut = 0; cut < bytes.length; cut += 37) {
    const part = bytes.subarray(0, cut);
    if (cut >= endStart + 512) {
      assert.equal((await readAll(part)).length, 2); // a lone zero block at EOF is a complete archive
    } else {
      await assert.rejects(readAll(chunked(part, 100)), rejectsWith("TRUNCATED", cut), `cut at ${cut}`);
    }
  }
});

test("bit-flipped header, size past the end, oversized pax, limits: exact codes and offsets", async () => {
  const entries = [
    { header: { ...base, name: "a", type: "file" as const, size: 5 }, content: encodeUtf8("hello") },
    {
      header: { ...base, name: "b", type: "file" as const, size: 3, pax: { comment: "x".repeat(200) } },
      content: encodeUtf8("abc"),
    },
  ];
  const bytes = await tarOf(entries, "pax");
  const flipped = bytes.slice();
  flipped[1024 + 10]! ^= 0x04; // inside the pax header of the second entry
  await assert.rejects(readAll(flipped), rejectsWith("BAD_CHECKSUM", 1024));

  // size field rewritten to run past the end, checksum fixed so that only the size is wrong
  const lying = bytes.slice();
  lying.set(encodeUtf8("77777777777\0"), 124);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : lying[i]!;
  lying.set(encodeUtf8(`${sum.toString(8).padStart(6, "0")}\0 `), 148);
  await assert.rejects(readAll(lying), rejectsWith("TRUNCATED", bytes.length));

  await assert.rejects(
    readAll(bytes, { limits: { maxHeaderBytes: 100 } }),
    rejectsWith("LIMIT_HEADER_BYTES", 1024),
  );
  await assert.rejects(readAll(bytes, { limits: { maxEntries: 1 } }), rejectsWith("LIMIT_ENTRIES", 1024));
  await assert.rejects(
    readAll(bytes, { limits: { maxUnpackedBytes: 7 } }),
    rejectsWith("LIMIT_UNPACKED_BYTES", 1024),
  );
  assert.equal((await readAll(bytes, { limits: { maxUnpackedBytes: 8 } })).length, 2);

  const badPax = await tarOf(
    [{ header: { ...base, name: "b", type: "file" as const, pax: { comment: "x" } } }],
    "pax",
  );
  badPax[512] = "9".charCodeAt(0); // record length now wrong; fix the checksum is not needed: data is not checksummed
  await assert.rejects(readAll(badPax), rejectsWith("BAD_HEADER", 0));
});

test("normalizeMemberPath strips ./ and /, refuses ..", () => {
  assert.equal(normalizeMemberPath("./usr/bin/x", 0), "usr/bin/x");
  assert.equal(normalizeMemberPath("/usr//bin/./x/", 0), "usr/bin/x");
  assert.equal(normalizeMemberPath("./", 0), "");
  for (const bad of ["../x", "a/../../b", "./..", "a/.."]) {
    assert.throws(
      () => normalizeMemberPath(bad, 42),
      (e: unknown) => e instanceof FormatError && e.code === "UNSAFE_PATH" && e.data.offset === 42,
    );
  }
});
