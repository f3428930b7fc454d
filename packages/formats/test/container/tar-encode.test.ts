/**
 * The tar encoder (headers written in place, output coalesced into large pieces) against a reference
 * written here from the format's definition (POSIX pax(1) ustar/pax, GNU tar's src/tar.h and
 * src/create.c, and the flavour rules in container/tar.ts's header comment), the plain way: every field
 * as text, then bytes, then the checksum. It shares no code with the encoder. (That both agree with GNU
 * tar byte for byte is interop/container-tar.test.ts's job.)
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { chunkedSource } from "@packyard/testkit/chunked";
import fc from "fast-check";
import { isOwnedPiece } from "../../src/bytes/coalesce.ts";
import { SpecError } from "../../src/errors.ts";
import {
  encodeTarHeader,
  type TarFlavour,
  type TarHeader,
  type TarWriteEntry,
  writeTar,
} from "../../src/container/tar.ts";

// ---------------------------------------------------------------------------------------------------
// the reference

const utf8 = (s: string) => new TextEncoder().encode(s);
const latin1 = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const isAsciiText = (s: string) => /^[\x00-\x7f]*$/.test(s);

/** A fixed-size field: `bytes` cut to `size` (byte-wise, as GNU tar copies names), NUL-filled after. */
function field(bytes: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(size);
  out.set(bytes.subarray(0, size));
  return out;
}

/** size-1 octal digits and a NUL: "0000644\0". */
function octal(value: number, size: number): Uint8Array {
  return latin1(`${value.toString(8).padStart(size - 1, "0")}\0`);
}

/** GNU base-256: 0x80 then the value big-endian, or 0xff then two's complement of a negative value. */
function base256(value: number, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let v = BigInt.asUintN(8 * size, BigInt(value));
  for (let i = size - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  out[0] = value < 0 ? 0xff : 0x80;
  return out;
}

interface RefFields {
  name: Uint8Array;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  typeflag: string;
  linkname?: Uint8Array;
  uname?: Uint8Array;
  gname?: Uint8Array;
  devmajor?: number;
  devminor?: number;
  prefix?: Uint8Array;
}

/** One 512-byte header: fields in ustar order, numbers octal (or base-256 in gnu, 0 in pax), checksum. */
function refBlock(f: RefFields, flavour: TarFlavour): Uint8Array {
  const number = (v: number, size: number) =>
    v >= 0 && v < 8 ** (size - 1) ? octal(v, size) : flavour === "gnu" ? base256(v, size) : octal(0, size);
  const parts: Uint8Array[] = [
    field(f.name, 100),
    octal(f.mode, 8),
    number(f.uid, 8),
    number(f.gid, 8),
    number(f.size, 12),
    number(f.mtime, 12),
    latin1("        "), // the checksum, counted as spaces
    latin1(f.typeflag),
    field(f.linkname ?? new Uint8Array(0), 100),
    latin1(flavour === "gnu" ? "ustar  \0" : "ustar\u000000"),
    field(f.uname ?? new Uint8Array(0), 32),
    field(f.gname ?? new Uint8Array(0), 32),
    f.devmajor === undefined ? new Uint8Array(8) : octal(f.devmajor, 8),
    f.devminor === undefined ? new Uint8Array(8) : octal(f.devminor, 8),
    field(f.prefix ?? new Uint8Array(0), 155),
    new Uint8Array(12),
  ];
  const block = Buffer.concat(parts);
  assert.equal(block.length, 512);
  const sum = block.reduce((a, b) => a + b, 0);
  block.set(latin1(`${sum.toString(8).padStart(6, "0")}\0 `), 148);
  return new Uint8Array(block);
}

const pad512 = (n: number) => (512 - (n % 512)) % 512;

/** An extension entry ('L', 'K' or 'x'): its header block, then its data padded to 512. */
function refExtension(
  name: string,
  typeflag: string,
  data: Uint8Array,
  mtime: number,
  flavour: TarFlavour,
): Uint8Array {
  const f: RefFields = {
    name: latin1(name),
    mode: 0o644,
    uid: 0,
    gid: 0,
    size: data.length,
    mtime,
    typeflag,
  };
  if (flavour === "pax") [f.devmajor, f.devminor] = [0, 0];
  return Buffer.concat([refBlock(f, flavour), data, new Uint8Array(pad512(data.length))]);
}

/** "<len> key=value\n", the length counting itself. */
function paxRecord(key: string, value: string): Uint8Array {
  const rest = utf8(` ${key}=${value}\n`).length;
  let len = rest + 1;
  while (String(len).length + rest !== len) len = String(len).length + rest;
  return utf8(`${len} ${key}=${value}\n`);
}

const TYPEFLAGS = { file: "0", hardlink: "1", symlink: "2", char: "3", block: "4", dir: "5", fifo: "6" };

/** The reference encoding of a valid header. */
function referenceHeader(h: TarHeader, flavour: TarFlavour): Uint8Array {
  const name = utf8(h.name);
  const link = utf8(h.linkname ?? "");
  const device = h.type === "char" || h.type === "block" || flavour === "pax";
  const f: RefFields = {
    name,
    mode: h.mode,
    uid: h.uid,
    gid: h.gid,
    size: h.size,
    mtime: h.mtime,
    typeflag: TYPEFLAGS[h.type],
    linkname: link,
    uname: utf8(h.uname ?? ""),
    gname: utf8(h.gname ?? ""),
  };
  if (device) [f.devmajor, f.devminor] = [h.devmajor ?? 0, h.devminor ?? 0];
  const out: Uint8Array[] = [];
  if (flavour === "gnu") {
    // GNU tar: a name or target over 100 bytes goes first in a ././@LongLink entry, NUL included
    if (name.length > 100)
      out.push(refExtension("././@LongLink", "L", Buffer.concat([name, Uint8Array.of(0)]), 0, flavour));
    if (link.length > 100)
      out.push(refExtension("././@LongLink", "K", Buffer.concat([link, Uint8Array.of(0)]), 0, flavour));
  } else {
    const records: [string, string][] = [];
    if (!isAsciiText(h.name) || name.length > 100) {
      // GNU tar's split_long_name: the first "/" that leaves a name of at most 100 and a prefix of at most 155
      const cut = isAsciiText(h.name)
        ? [...h.name].findIndex(
            (c, i) =>
              c === "/" && i >= 1 && i <= 155 && h.name.length - i - 1 <= 100 && i < h.name.length - 1,
          )
        : -1;
      if (cut > 0) [f.prefix, f.name] = [latin1(h.name.slice(0, cut)), latin1(h.name.slice(cut + 1))];
      else records.push(["path", h.name]);
    }
    if (!isAsciiText(h.linkname ?? "") || link.length > 100) records.push(["linkpath", h.linkname ?? ""]);
    if (h.size >= 8 ** 11) records.push(["size", String(h.size)]);
    if (h.uid >= 8 ** 7) records.push(["uid", String(h.uid)]);
    if (h.gid >= 8 ** 7) records.push(["gid", String(h.gid)]);
    for (const k of ["uname", "gname"] as const) {
      const v = h[k] ?? "";
      if (v !== "" && (!isAsciiText(v) || v.length > 32)) {
        records.push([k, v]);
        f[k] = new Uint8Array(0);
      }
    }
    const mtimeFits = h.mtime >= 0 && h.mtime < 8 ** 11;
    if (!mtimeFits) records.push(["mtime", String(h.mtime)]);
    for (const k of Object.keys(h.pax ?? {}).sort()) records.push([k, h.pax![k]!]);
    if (records.length > 0) {
      const data = Buffer.concat(records.map(([k, v]) => paxRecord(k, v)));
      out.push(refExtension("././@PaxHeader", "x", data, mtimeFits ? h.mtime : 0, flavour));
    }
  }
  out.push(refBlock(f, flavour));
  return new Uint8Array(Buffer.concat(out));
}

/** Whether the encoder must accept `h` (else it throws SpecError). */
function referenceValid(h: TarHeader, flavour: TarFlavour): boolean {
  const int = (v: number | undefined, min: number) =>
    v === undefined || (Number.isSafeInteger(v) && v >= min);
  if (h.name === "" || h.name.includes("\0")) return false;
  if (![h.mode, h.uid, h.gid, h.size, h.devmajor, h.devminor].every((v) => int(v, 0))) return false;
  if (!int(h.mtime, -Number.MAX_SAFE_INTEGER) || h.mode > 0o7777 || !(h.type in TYPEFLAGS)) return false;
  if ((h.type === "symlink" || h.type === "hardlink") && !h.linkname) return false;
  const device = h.type === "char" || h.type === "block" || flavour === "pax";
  if (device && ((h.devmajor ?? 0) >= 8 ** 7 || (h.devminor ?? 0) >= 8 ** 7)) return false;
  const keys = Object.keys(h.pax ?? {});
  if (flavour === "gnu") {
    return keys.length === 0 && utf8(h.uname ?? "").length <= 32 && utf8(h.gname ?? "").length <= 32;
  }
  const derived = ["path", "linkpath", "size", "uid", "gid", "uname", "gname", "mtime"];
  return keys.every((k) => !derived.includes(k) && k !== "" && !k.includes("=") && !k.includes("\0"));
}

// ---------------------------------------------------------------------------------------------------
// arbitraries: names long and short, ASCII and not (astral, lone surrogates), numbers past the octal
// range (base-256 / pax), devices, pax records

const text = (maxLength: number) =>
  fc.oneof(
    { arbitrary: fc.stringMatching(/^[a-z0-9._-]{1,12}$/), weight: 4 },
    fc.string({ minLength: 1, maxLength }),
    fc.string({ unit: "binary", minLength: 1, maxLength }),
    fc.constantFrom("root", "é", "\u{1f600}", "\ud800", "a\udc00b", "\uffff"),
  );
const path = fc.oneof(
  { arbitrary: fc.array(text(20), { minLength: 1, maxLength: 12 }).map((s) => s.join("/")), weight: 4 },
  fc.stringMatching(/^[a-z/]{95,270}$/),
  fc.constantFrom(`${"a".repeat(155)}/${"b".repeat(100)}`, `${"a".repeat(156)}/b`, `/${"c".repeat(100)}`),
);
const big = fc.oneof(
  { arbitrary: fc.integer({ min: 0, max: 0o7777 }), weight: 4 },
  fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  fc.constantFrom(0o7777777, 0o10000000, 8 ** 11 - 1, 8 ** 11, Number.MAX_SAFE_INTEGER),
);
const headerArb: fc.Arbitrary<TarHeader> = fc
  .record(
    {
      name: path.filter((s) => !s.includes("\0")),
      type: fc.constantFrom("file", "dir", "symlink", "hardlink", "char", "block", "fifo"),
      mode: fc.integer({ min: 0, max: 0o7777 }),
      uid: big,
      gid: big,
      size: big,
      mtime: fc.oneof(big, fc.integer({ min: -Number.MAX_SAFE_INTEGER, max: -1 })),
      uname: text(40),
      gname: text(40),
      linkname: path,
      devmajor: fc.oneof(fc.integer({ min: 0, max: 0o7777777 }), fc.constant(0o10000000)),
      devminor: fc.integer({ min: 0, max: 0o7777777 }),
      pax: fc.dictionary(
        fc.constantFrom("comment", "APK-TOOLS.checksum.SHA1", "SCHILY.xattr.user.é", "path"),
        fc.string({ minLength: 1, maxLength: 300 }),
        { maxKeys: 3 },
      ),
    },
    { requiredKeys: ["name", "type", "mode", "uid", "gid", "size", "mtime"] },
  )
  .map((r) => r as TarHeader);

for (const flavour of ["gnu", "pax"] as const) {
  test(`${flavour}: encodeTarHeader gives the reference's bytes, or SpecError exactly when the reference refuses`, () => {
    let accepted = 0;
    fc.assert(
      fc.property(headerArb, (h) => {
        if (!referenceValid(h, flavour)) {
          assert.throws(() => encodeTarHeader(h, flavour), SpecError);
          return;
        }
        accepted++;
        assert.deepEqual(encodeTarHeader(h, flavour), referenceHeader(h, flavour));
      }),
      { numRuns: 3000 },
    );
    assert.ok(accepted > 300, `only ${accepted} valid headers drawn`);
  });
}

// ---------------------------------------------------------------------------------------------------
// writeTar: coalesced output, same bytes

/** What writeTar must write: each entry's header, content and padding, then the end blocks. */
function referenceArchive(entries: TarWriteEntry[], flavour: TarFlavour, end: boolean): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const e of entries) {
    parts.push(referenceHeader(e.header, flavour));
    const c = e.content instanceof Uint8Array ? e.content : contents.get(e.content!)!;
    if (c !== undefined) parts.push(c, new Uint8Array(pad512(c.length)));
  }
  if (end) parts.push(new Uint8Array(1024));
  return new Uint8Array(Buffer.concat(parts));
}
const contents = new WeakMap<object, Uint8Array>();

/** Runs writeTar, checking that no piece changes after it was yielded (consumers keep pieces in flight). */
async function written(entries: TarWriteEntry[], flavour: TarFlavour, end = true, exact = false) {
  const pieces: Uint8Array[] = [];
  const copies: Uint8Array[] = [];
  for await (const p of writeTar(entries, { flavour, end, exact })) {
    pieces.push(p);
    copies.push(p.slice());
  }
  for (const [i, p] of pieces.entries())
    assert.ok(same(p, copies[i]!), `piece ${i} changed after it was yielded`);
  return { bytes: new Uint8Array(Buffer.concat(pieces)), pieces };
}

const MiB = 1024 * 1024;
/** Byte equality (assert.deepEqual is slow on arrays of megabytes). */
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);

test("writeTar: the reference's bytes for any mix of entries and content chunking; pieces never change after yield", async () => {
  const entryArb = fc
    .tuple(
      headerArb,
      fc.oneof(
        { arbitrary: fc.integer({ min: 0, max: 2000 }), weight: 5 },
        fc.constantFrom(MiB - 512, MiB, MiB + 1, 2 * MiB + 7),
      ),
      fc.constantFrom("bytes", "source"),
      fc.array(fc.integer({ min: 1, max: 1.5 * MiB }), { minLength: 1, maxLength: 3 }),
    )
    .map(([h, size, kind, chunks]): TarWriteEntry => {
      const header: TarHeader = { ...h, type: "file", size };
      delete header.linkname;
      delete header.pax;
      const bytes = new Uint8Array(size).fill(size & 0xff);
      if (size > 0) bytes[size - 1] = 0xa5; // the last byte in place, not shifted
      if (kind === "bytes") return { header, content: bytes };
      const source = chunkedSource(bytes, chunks);
      contents.set(source, bytes);
      return { header, content: source };
    })
    .filter((e) => referenceValid(e.header, "gnu") && referenceValid(e.header, "pax"));
  await fc.assert(
    fc.asyncProperty(
      fc.array(entryArb, { maxLength: 8 }),
      fc.constantFrom("gnu", "pax") as fc.Arbitrary<TarFlavour>,
      fc.boolean(),
      fc.boolean(),
      async (entries, flavour, end, exact) => {
        const { bytes, pieces } = await written(entries, flavour, end, exact);
        if (exact) {
          // every piece but the last a whole buffer of exactly 1 MiB, each handed over to the consumer
          for (const p of pieces.slice(0, -1)) {
            assert.ok(p.length === MiB && p.byteOffset === 0 && p.buffer.byteLength === MiB, `${p.length}`);
          }
          for (const p of pieces) assert.ok(isOwnedPiece(p));
        }
        assert.ok(same(bytes, referenceArchive(entries, flavour, end)));
        assert.ok(pieces.length <= entries.length * 4 + 2, `${pieces.length} pieces`);
      },
    ),
    { numRuns: 40 },
  );
});

test("writeTar: many small entries come out in 1 MiB pieces, a large content passes through uncopied", async () => {
  const small: TarWriteEntry[] = Array.from({ length: 5000 }, (_, i) => ({
    header: { name: `./d/f${i}`, type: "file", mode: 0o644, uid: 0, gid: 0, size: 100, mtime: 1 },
    content: new Uint8Array(100).fill(i & 0xff),
  }));
  const large = new Uint8Array(3 * MiB).fill(7);
  const entries: TarWriteEntry[] = [
    ...small,
    {
      header: { name: "./big", type: "file", mode: 0o644, uid: 0, gid: 0, size: large.length, mtime: 1 },
      content: large,
    },
  ];
  const { bytes, pieces } = await written(entries, "gnu");
  assert.ok(same(bytes, referenceArchive(entries, "gnu", true)));
  // 5000 * 1024 bytes of small entries = 4.9 MiB: 5 pieces, then what is pending, the large content, the end
  assert.deepEqual(
    pieces.map((p) => p.length),
    [MiB, MiB, MiB, MiB, 5000 * 1024 + 512 - 4 * MiB, 3 * MiB, 1024],
  );
  assert.equal(pieces[5], large, "the large content is yielded as it was given");
});

test("writeTar: a content of the wrong length is refused, as before", async () => {
  const h: TarHeader = { name: "x", type: "file", mode: 0o644, uid: 0, gid: 0, size: 3, mtime: 0 };
  for (const content of [
    new Uint8Array(2),
    new Uint8Array(4),
    chunkedSource(new Uint8Array(5), 2),
    undefined,
  ]) {
    const entry: TarWriteEntry = content === undefined ? { header: h } : { header: h, content };
    await assert.rejects(written([entry], "gnu"), (e: unknown) => {
      assert.ok(e instanceof SpecError && e.code === "INVALID_FIELD" && e.data.field === "size", String(e));
      return true;
    });
  }
});
