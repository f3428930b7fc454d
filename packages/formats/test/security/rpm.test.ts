/** Bad rpms: truncated, bit-flipped and crafted inputs give exact FormatError codes, fast, in bounded memory. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { bytesSource, collect, concatBytes } from "../../src/bytes/bytes.ts";
import { FormatError } from "../../src/errors.ts";
import { encodeHeader, readRpm, writeRpm } from "../../src/rpm/index.ts";
import { exampleSpec } from "@packyard/testkit/example";
import { expectWithinBudget } from "../support/budget.ts";

const good = await collect(writeRpm(exampleSpec(), {}));
const info = await readRpm(bytesSource(good));
const headerStart = info.raw.format === "rpm" ? info.raw.headerStart : 0;
const payloadStart = info.raw.format === "rpm" ? info.raw.headerEnd : 0;

/** Reading `bytes` fails with FormatError `code` within the bad-input budget (support/budget.ts). */
async function expectCode(
  bytes: Uint8Array,
  code: string,
  label: string,
  limits?: { maxUnpackedBytes: number },
): Promise<void> {
  const e = await expectWithinBudget(
    () => readRpm(bytesSource(bytes), limits ? { limits } : {}),
    undefined,
    label,
  );
  assert.ok(e instanceof FormatError, `${label}: ${String(e)}`);
  assert.equal(e.code, code, `${label}: ${e.message}`);
}

function patched(at: number, bytes: number[]): Uint8Array {
  const b = good.slice();
  b.set(bytes, at);
  return b;
}
const u32 = (n: number) => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];

test("truncations at every structure boundary give TRUNCATED", async () => {
  for (const cut of [
    0,
    50,
    95,
    100,
    112,
    headerStart - 3,
    headerStart + 10,
    headerStart + 200,
    payloadStart + 5,
  ]) {
    await expectCode(good.subarray(0, cut), "TRUNCATED", `cut at ${cut}`);
  }
});

test("bad magic in the lead and in each header", async () => {
  await expectCode(patched(0, [0]), "BAD_MAGIC", "lead");
  await expectCode(patched(96, [0]), "BAD_MAGIC", "signature header");
  await expectCode(patched(headerStart, [0]), "BAD_MAGIC", "main header");
});

test("index counts and data sizes out of range", async () => {
  await expectCode(patched(headerStart + 8, u32(0x10000)), "BAD_HEADER", "il above 0xffff");
  await expectCode(patched(headerStart + 12, u32(0x1fffffff)), "BAD_HEADER", "dl above 0x0fffffff");
  await expectCode(
    patched(headerStart + 12, u32(0x0fffffff)),
    "LIMIT_HEADER_BYTES",
    "dl within rpm's range but over our 64 MiB limit",
  );
});

test("crafted index entries: offsets out of range, misaligned, overlapping, unsorted, region trailer lies", async () => {
  const entry = (i: number) => headerStart + 16 + i * 16;
  await expectCode(patched(entry(3) + 8, u32(0x7ffffff0)), "BAD_HEADER", "offset out of range");
  // find an INT32 entry and misalign it
  const view = new DataView(good.buffer, good.byteOffset);
  let int32 = -1;
  for (let i = 1; i < 40; i++)
    if (view.getUint32(entry(i) + 4) === 4) {
      int32 = i;
      break;
    }
  await expectCode(
    patched(entry(int32) + 8, u32(view.getUint32(entry(int32) + 8) + 1)),
    "BAD_HEADER",
    "misaligned INT32",
  );
  await expectCode(
    patched(entry(3) + 8, u32(view.getUint32(entry(2) + 8))),
    "BAD_HEADER",
    "overlapping data",
  );
  await expectCode(patched(entry(2), u32(5000)), "BAD_HEADER", "unsorted tags");
  await expectCode(patched(entry(1) + 4, u32(42)), "BAD_HEADER", "type out of 1..9");
  const il = view.getUint32(headerStart + 8);
  const dl = view.getUint32(headerStart + 12);
  const trailer = headerStart + 16 + il * 16 + dl - 16;
  await expectCode(
    patched(trailer + 8, u32(-(il - 1) * 16)),
    "BAD_HEADER",
    "region trailer lies about the index size",
  );
});

test("a flipped header byte is a header digest mismatch; a flipped payload byte a payload problem", async () => {
  // "F" of "Friendly" in the description becomes "G".
  const at = headerStart + Buffer.from(good.subarray(headerStart)).indexOf("Friendly");
  assert.ok(at > headerStart);
  await expectCode(patched(at, [0x47]), "DIGEST_MISMATCH", "header byte");
  await expectCode(
    patched(good.length - 30, [good[good.length - 30]! ^ 0xff]),
    "CORRUPT_COMPRESSED_DATA",
    "payload byte",
  );
});

/** Builds a package whose payload is `cpio` (gzip) with a consistent header claiming `files`. */
async function withPayload(files: { path: string; size: number }[], cpio: Uint8Array): Promise<Uint8Array> {
  const { gzipSync } = await import("node:zlib");
  const payload = new Uint8Array(gzipSync(cpio));
  const str = (tag: number, value: string) => ({ tag, type: 6 as const, value });
  const strs = (tag: number, value: string[]) => ({ tag, type: 8 as const, value });
  const i32 = (tag: number, value: number[]) => ({ tag, type: 4 as const, value });
  const h = encodeHeader(
    [
      str(1000, "evil"),
      str(1001, "1"),
      str(1002, "1"),
      str(1021, "linux"),
      str(1022, "noarch"),
      i32(
        1028,
        files.map((f) => f.size),
      ),
      { tag: 1030, type: 3 as const, value: files.map(() => 0o100644) },
      i32(
        1116,
        files.map(() => 0),
      ),
      strs(
        1117,
        files.map((f) => f.path.slice(1)),
      ),
      strs(1118, ["/"]),
    ],
    63,
  );
  const s = encodeHeader([{ tag: 1000, type: 4 as const, value: [h.length + payload.length] }], 62);
  const pad = (8 - (s.length % 8)) % 8;
  const lead = good.subarray(0, 96);
  const out = new Uint8Array(96 + s.length + pad + h.length + payload.length);
  out.set(lead, 0);
  out.set(s, 96);
  out.set(h, 96 + s.length + pad);
  out.set(payload, 96 + s.length + pad + h.length);
  return out;
}

function newc(name: string, size: number, data = new Uint8Array(size)): Uint8Array {
  const hex = (n: number) => n.toString(16).padStart(8, "0");
  const head = `070701${hex(1)}${hex(0o100644)}${hex(0)}${hex(0)}${hex(1)}${hex(0)}${hex(size)}${hex(0)}${hex(0)}${hex(0)}${hex(0)}${hex(name.length + 1)}${hex(0)}`;
  const nameBytes = new TextEncoder().encode(`${head}${name}\0`);
  const p1 = (4 - (nameBytes.length % 4)) % 4;
  const p2 = (4 - (size % 4)) % 4;
  const out = new Uint8Array(nameBytes.length + p1 + size + p2);
  out.set(nameBytes);
  out.set(data, nameBytes.length + p1);
  return out;
}
const trailer = () => newc("TRAILER!!!", 0);

test("cpio names with .. are UNSAFE_PATH; names not in the header UNEXPECTED_MEMBER; missing ones MISSING_MEMBER", async () => {
  await expectCode(
    await withPayload(
      [{ path: "/etc/passwd", size: 1 }],
      concatBytes([newc("./../../etc/passwd", 1), trailer()]),
    ),
    "UNSAFE_PATH",
    "dotdot",
  );
  await expectCode(
    await withPayload([{ path: "/a", size: 1 }], concatBytes([newc("./b", 1), trailer()])),
    "UNEXPECTED_MEMBER",
    "unmapped",
  );
  await expectCode(await withPayload([{ path: "/a", size: 1 }], trailer()), "MISSING_MEMBER", "missing");
});

test("a payload bomb stops at the unpack limit without holding it", async () => {
  const big = 200 * 1024 * 1024;
  const zeros = new Uint8Array(big);
  const pkg = await withPayload(
    [{ path: "/z", size: big }],
    concatBytes([newc("./z", big, zeros), trailer()]),
  );
  await expectCode(pkg, "LIMIT_UNPACKED_BYTES", "bomb", { maxUnpackedBytes: 16 * 1024 * 1024 });
});
