/**
 * Bad input for the macOS reader: truncated and bit-flipped packages, TOC offsets outside the heap, Apple
 * Archive payloads, a Bom that disagrees with the Payload. Every case ends in a typed FormatError, fast.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { gunzipSync, gzipSync, zlibSync } from "fflate";
import { bytesSource, collect, concatBytes, encodeUtf8 } from "../../src/bytes/bytes.ts";
import { compressBytes } from "../../src/compress/compress.ts";
import { decodeBom, encodeBom } from "../../src/container/bom.ts";
import { findXarNode, readXar, writeXar, xarFileBytes, xarStored, xarZlib } from "../../src/container/xar.ts";
import { FormatError } from "../../src/errors.ts";
import { readMacos, writeMacosBytes } from "../../src/macos/index.ts";
import { helloSpec } from "../macos/hello.ts";
import { expectWithinBudget } from "../support/budget.ts";

const typed = (e: unknown) => e instanceof FormatError;
const code = (c: string) => (e: unknown) => e instanceof FormatError && e.code === c;

/** Runs `f` (which asserts on its own) within the bad-input budget (support/budget.ts). */
async function timed(f: () => Promise<unknown>): Promise<void> {
  const e = await expectWithinBudget(f);
  if (e !== undefined) throw e;
}

/** Reading `bytes` fails with FormatError `c` (and the given data fields) within the bad-input budget. */
async function rejectsWith(
  bytes: Uint8Array,
  c: string,
  data: Record<string, unknown> = {},
  label = c,
): Promise<FormatError> {
  const e = await expectWithinBudget(() => readMacos(bytesSource(bytes)), undefined, label);
  assert.ok(e instanceof FormatError, `${label}: expected FormatError ${c}, got ${String(e)}`);
  assert.equal(e.code, c, `${label}: ${e.message}`);
  for (const [k, v] of Object.entries(data))
    assert.deepEqual(e.data[k], v, `${label}: data.${k} in ${e.message}`);
  return e;
}

/** Our component package of helloSpec, with its xar layout (heap start and each member's heap range). */
async function helloComponent() {
  const bytes = await writeMacosBytes(helloSpec(), { componentOnly: true });
  const archive = await readXar(bytesSource(bytes));
  const node = (name: string) => {
    const d = findXarNode(archive.nodes, name)?.data;
    assert.ok(d, name);
    return d;
  };
  return { bytes, archive, heapStart: archive.heapStart, node };
}

function flipped(bytes: Uint8Array, at: number, mask = 0x10): Uint8Array {
  const b = bytes.slice();
  b[at]! ^= mask;
  return b;
}

test("truncated at every 97th byte: typed errors only", async () => {
  const bytes = await writeMacosBytes(helloSpec());
  for (let n = 0; n < bytes.length; n += 97) {
    await timed(() => assert.rejects(readMacos(bytesSource(bytes.subarray(0, n))), typed, `cut at ${n}`));
  }
});

test("truncations at each layer of a component package: exact codes and offsets", async () => {
  const { bytes, heapStart, node } = await helloComponent();
  const cut = (n: number) => bytes.subarray(0, n);
  // inside the 28-byte header
  for (const n of [0, 3, 27]) await rejectsWith(cut(n), "TRUNCATED", { offset: 0, found: n }, `cut ${n}`);
  // inside the compressed TOC: the header says where it ends
  for (const n of [28, 100, heapStart - 1])
    await rejectsWith(cut(n), "TRUNCATED", { offset: 28, expected: heapStart, found: n }, `cut ${n}`);
  // inside the heap's SHA-1 of the TOC (heap 0..20)
  for (const n of [heapStart, heapStart + 10])
    await rejectsWith(cut(n), "OFFSET_OUT_OF_RANGE", { offset: heapStart }, `cut ${n}`);
  // inside each member: the first member in TOC order whose data no longer fits in the heap is named,
  // with its TOC offset (heap-relative, as the TOC writes it)
  const order = ["Bom", "PackageInfo", "Scripts", "Payload"];
  for (const name of order) {
    const d = node(name);
    for (const n of [heapStart + d.offset, heapStart + d.offset + (d.length >> 1)]) {
      const firstOut = order.find((m) => heapStart + node(m).offset + node(m).length > n)!;
      assert.equal(firstOut, name, "members are laid out in TOC order");
      await rejectsWith(
        cut(n),
        "OFFSET_OUT_OF_RANGE",
        { path: name, offset: d.offset, found: d.offset + d.length },
        `cut ${n} in ${name}`,
      );
    }
  }
  await rejectsWith(cut(bytes.length - 1), "OFFSET_OUT_OF_RANGE", { path: "Payload" }, "last byte cut");
});

test("bit flips in the xar header, the TOC, the heap checksum and stored members: exact codes", async () => {
  const { bytes, heapStart, node } = await helloComponent();
  await rejectsWith(flipped(bytes, 0, 1), "BAD_MAGIC", { offset: 0 }, "magic");
  await rejectsWith(flipped(bytes, 6, 1), "UNSUPPORTED_VERSION", { offset: 6, found: 257 }, "version");
  // high byte of the u64 compressed TOC length
  await rejectsWith(flipped(bytes, 8, 1), "LIMIT_HEADER_BYTES", { offset: 8 }, "TOC length");
  // zlib header of the TOC
  await rejectsWith(flipped(bytes, 28), "CORRUPT_COMPRESSED_DATA", { offset: 28 }, "TOC zlib header");
  // a literal in the first deflate block: the TOC inflates to another length than the header says
  await rejectsWith(flipped(bytes, 38), "BAD_HEADER", { offset: 16 }, "TOC body");
  // zlib's Adler-32 is not checked by the inflater, the heap's SHA-1 of the compressed TOC catches it
  await rejectsWith(flipped(bytes, heapStart - 1), "BAD_CHECKSUM", { offset: heapStart }, "TOC adler");
  for (const k of [0, 19])
    await rejectsWith(
      flipped(bytes, heapStart + k),
      "BAD_CHECKSUM",
      { offset: heapStart },
      `heap SHA-1 byte ${k}`,
    );
  // Bom (zlib-encoded): a bad zlib header, or bad data the archived SHA-1 catches at the member's end
  const bom = node("Bom");
  await rejectsWith(
    flipped(bytes, heapStart + bom.offset),
    "CORRUPT_COMPRESSED_DATA",
    { path: "Bom" },
    "Bom+0",
  );
  await rejectsWith(
    flipped(bytes, heapStart + bom.offset + Math.floor(bom.length * 0.9)),
    "BAD_CHECKSUM",
    { path: "Bom", offset: heapStart + bom.offset },
    "Bom+90%",
  );
  // Payload (octet-stream, gzip inside): the gzip magic, then the archived SHA-1
  const pay = node("Payload");
  await rejectsWith(
    flipped(bytes, heapStart + pay.offset),
    "UNSUPPORTED_PAYLOAD",
    { path: "Payload" },
    "Payload+0",
  );
  await rejectsWith(
    flipped(bytes, heapStart + pay.offset + (pay.length >> 1)),
    "BAD_CHECKSUM",
    { path: "Payload", offset: heapStart + pay.offset },
    "Payload+50%",
  );
});

test("single bit flips across the file: typed errors or a clean read, never anything else", async () => {
  const bytes = await writeMacosBytes(helloSpec());
  let failures = 0;
  for (let i = 0; i < bytes.length; i += 13) {
    const b = bytes.slice();
    b[i]! ^= 1 << (i % 8);
    await timed(async () => {
      try {
        await readMacos(bytesSource(b));
      } catch (e) {
        assert.ok(typed(e), `flip at ${i}: ${String(e)}`);
        failures++;
      }
    });
  }
  assert.ok(failures > 0);
});

/** A xar whose TOC names data at `offset`, with `heap` bytes after the checksum. */
function xarWithOffset(offset: number): Uint8Array {
  const xml = encodeUtf8(
    `<?xml version="1.0"?><xar><toc><checksum style="sha1"><offset>0</offset><size>20</size></checksum><file id="1"><name>PackageInfo</name><type>file</type><data><offset>${offset}</offset><length>10</length><size>10</size><encoding style="application/octet-stream"/></data></file></toc></xar>`,
  );
  const ctoc = zlibSync(xml);
  const h = new Uint8Array(28);
  const dv = new DataView(h.buffer);
  dv.setUint32(0, 0x78617221);
  dv.setUint16(4, 28);
  dv.setUint16(6, 1);
  dv.setBigUint64(8, BigInt(ctoc.length));
  dv.setBigUint64(16, BigInt(xml.length));
  dv.setUint32(24, 1);
  const sha = new Uint8Array(createHash("sha1").update(ctoc).digest());
  return concatBytes([h, ctoc, sha, new Uint8Array(10)]);
}

test("TOC offsets outside the heap: OFFSET_OUT_OF_RANGE", async () => {
  await timed(() =>
    readMacos(bytesSource(xarWithOffset(20))).catch((e) => assert.ok(!code("OFFSET_OUT_OF_RANGE")(e))),
  );
  await timed(() => assert.rejects(readMacos(bytesSource(xarWithOffset(21))), code("OFFSET_OUT_OF_RANGE")));
  await timed(() =>
    assert.rejects(readMacos(bytesSource(xarWithOffset(2 ** 40))), code("OFFSET_OUT_OF_RANGE")),
  );
});

async function componentWith(
  payload: Uint8Array,
  bom = encodeBom([
    { path: ".", type: "dir", mode: 0o40755, uid: 0, gid: 0, mtime: 0, size: 0, checksum: 0 },
  ]),
): Promise<Uint8Array> {
  return collect(
    writeXar([
      { name: "Bom", type: "file", data: xarZlib(bom) },
      {
        name: "PackageInfo",
        type: "file",
        data: xarZlib(
          encodeUtf8('<pkg-info format-version="2" identifier="a.b" version="1" install-location="/"/>'),
        ),
      },
      { name: "Payload", type: "file", data: xarStored(payload) },
    ]),
  );
}

test("Apple Archive and unknown payloads: UNSUPPORTED_PAYLOAD", async () => {
  await rejectsWith(await componentWith(encodeUtf8("AA01\x00\x00rest")), "UNSUPPORTED_PAYLOAD");
  await rejectsWith(await componentWith(encodeUtf8("pbze-lzfse")), "UNSUPPORTED_PAYLOAD");
  await rejectsWith(await componentWith(gzipSync(encodeUtf8("YAA1xxxxxx"))), "UNSUPPORTED_PAYLOAD");
});

test("a Bom that disagrees with the Payload: DIGEST_MISMATCH / MISSING_MEMBER / UNEXPECTED_MEMBER", async () => {
  const bytes = await writeMacosBytes(helloSpec(), { componentOnly: true });
  const a = await readXar(bytesSource(bytes));
  const payload = await xarFileBytes(bytesSource(bytes), a, findXarNode(a.nodes, "Payload")!, {}, 1 << 20);
  const bom = decodeBom(await xarFileBytes(bytesSource(bytes), a, findXarNode(a.nodes, "Bom")!));
  const changed = bom.map((e) => (e.type === "file" ? { ...e, checksum: (e.checksum + 1) >>> 0 } : e));
  await rejectsWith(await componentWith(payload, encodeBom(changed)), "DIGEST_MISMATCH");
  const extra = [
    ...bom,
    {
      path: "./extra",
      type: "file" as const,
      mode: 0o100644,
      uid: 0,
      gid: 0,
      mtime: 0,
      size: 0,
      checksum: 0,
    },
  ];
  await rejectsWith(await componentWith(payload, encodeBom(extra)), "MISSING_MEMBER");
  const fewer = bom.filter((e) => e.path !== "./usr/local/bin/hi");
  await rejectsWith(await componentWith(payload, encodeBom(fewer)), "UNEXPECTED_MEMBER");
});

test("PackageInfo or Distribution that is not UTF-8 (ff fe): FormatError INVALID_VALUE naming the file", async () => {
  const notUtf8 = concatBytes([encodeUtf8("<?xml version="), new Uint8Array([0xff, 0xfe]), encodeUtf8("?>")]);
  const component = await collect(
    writeXar([
      { name: "Bom", type: "file", data: xarZlib(encodeBom([])) },
      { name: "PackageInfo", type: "file", data: xarZlib(notUtf8) },
      { name: "Payload", type: "file", data: xarStored(new Uint8Array(0)) },
    ]),
  );
  const product = await collect(writeXar([{ name: "Distribution", type: "file", data: xarZlib(notUtf8) }]));
  for (const [bytes, path] of [
    [component, "PackageInfo"],
    [product, "Distribution"],
  ] as const) {
    await timed(() =>
      assert.rejects(readMacos(bytesSource(bytes)), (e: unknown) => {
        assert.ok(code("INVALID_VALUE")(e), String(e));
        assert.equal((e as FormatError).data.path, path);
        assert.match((e as FormatError).message, /not valid UTF-8/);
        return true;
      }),
    );
  }
});

/** The hello component's Payload (gzip'd odc cpio), its cpio and its Bom, to corrupt one layer at a time. */
async function helloLayers() {
  const { bytes, archive } = await helloComponent();
  const payload = await xarFileBytes(
    bytesSource(bytes),
    archive,
    findXarNode(archive.nodes, "Payload")!,
    {},
    1 << 20,
  );
  const bom = await xarFileBytes(bytesSource(bytes), archive, findXarNode(archive.nodes, "Bom")!);
  const cpio = gunzipSync(payload);
  return { payload, bom, cpio };
}

const indexOfBytes = (hay: Uint8Array, needle: Uint8Array | string, from = 0): number =>
  Buffer.from(hay).indexOf(typeof needle === "string" ? Buffer.from(needle) : Buffer.from(needle), from);

test("a corrupted Bom (xar checksums recomputed, so decodeBom sees it): exact codes", async () => {
  const { payload, bom } = await helloLayers();
  assert.ok((await readMacos(bytesSource(await componentWith(payload, bom)))).files.length > 0, "baseline");
  const dv = new DataView(bom.buffer, bom.byteOffset, bom.byteLength);
  const indexOffset = dv.getUint32(16);
  const varsOffset = dv.getUint32(24);
  await rejectsWith(await componentWith(payload, flipped(bom, 0)), "BAD_MAGIC", { offset: 0 }, "Bom magic");
  // high byte of the vars length in the BOMStore header
  await rejectsWith(
    await componentWith(payload, flipped(bom, 28)),
    "OFFSET_OUT_OF_RANGE",
    { offset: varsOffset },
    "vars length",
  );
  // the name of the Paths variable
  const paths = indexOfBytes(bom, "Paths", varsOffset);
  await rejectsWith(
    await componentWith(payload, flipped(bom, paths)),
    "BAD_HEADER",
    { field: "Paths" },
    "Paths var",
  );
  // a name in the Paths tree: the Payload's ./Applications (after the 76-byte odc header of ".") is unknown
  const apps = indexOfBytes(bom, "Applications");
  await rejectsWith(
    await componentWith(payload, flipped(bom, apps)),
    "UNEXPECTED_MEMBER",
    { path: "./Applications", offset: 76 + 2 },
    "path name",
  );
  // the POSIX cksum in hello's PathInfo2 block
  const hello = decodeBom(bom).find((e) => e.path === "./usr/local/bin/hello")!;
  const ck = new Uint8Array(4);
  new DataView(ck.buffer).setUint32(0, hello.checksum);
  const at = indexOfBytes(bom, ck);
  assert.ok(at > 0 && indexOfBytes(bom, ck, at + 1) === -1, "the checksum appears once");
  await rejectsWith(
    await componentWith(payload, flipped(bom, at + 3, 1)),
    "DIGEST_MISMATCH",
    { path: "./usr/local/bin/hello", field: "checksum" },
    "cksum",
  );
  // truncated: inside the 32-byte header, then before the block table
  await rejectsWith(
    await componentWith(payload, bom.subarray(0, 10)),
    "TRUNCATED",
    { offset: 0 },
    "Bom cut 10",
  );
  await rejectsWith(
    await componentWith(payload, bom.subarray(0, varsOffset)),
    "OFFSET_OUT_OF_RANGE",
    { offset: indexOffset },
    "Bom cut at vars",
  );
});

test("a corrupted Payload (gzip and cpio layers, xar checksums recomputed): exact codes", async () => {
  const { payload, bom, cpio } = await helloLayers();
  const regzip = (c: Uint8Array) => gzipSync(c, { mtime: 0 });
  assert.ok(
    (await readMacos(bytesSource(await componentWith(regzip(cpio), bom)))).files.length > 0,
    "baseline",
  );
  // gzip layer: deflate data, the CRC-32 in the trailer, truncation
  await rejectsWith(
    await componentWith(flipped(payload, 18), bom),
    "CORRUPT_COMPRESSED_DATA",
    { path: "Payload" },
    "deflate",
  );
  await rejectsWith(
    await componentWith(flipped(payload, payload.length - 8), bom),
    "CORRUPT_COMPRESSED_DATA",
    { path: "Payload" },
    "gzip CRC",
  );
  for (const n of [2, 10, 100])
    await rejectsWith(
      await componentWith(payload.subarray(0, n), bom),
      "TRUNCATED",
      { path: "Payload" },
      `gzip cut ${n}`,
    );
  // cpio layer: magic, an octal header field, a file's content, a name
  await rejectsWith(
    await componentWith(regzip(flipped(cpio, 0)), bom),
    "BAD_MAGIC",
    { offset: 0 },
    "cpio magic",
  );
  await rejectsWith(
    await componentWith(regzip(flipped(cpio, 10)), bom),
    "BAD_HEADER",
    { offset: 0, field: "dev" },
    "cpio dev",
  );
  const body = indexOfBytes(cpio, "echo hello");
  await rejectsWith(
    await componentWith(regzip(flipped(cpio, body)), bom),
    "DIGEST_MISMATCH",
    { path: "./usr/local/bin/hello", field: "checksum" },
    "file content",
  );
  const name = indexOfBytes(cpio, "Applications");
  await rejectsWith(
    await componentWith(regzip(flipped(cpio, name + 1)), bom),
    "UNEXPECTED_MEMBER",
    { offset: 78 },
    "cpio name",
  );
  for (const n of [0, 76, 100, 300])
    await rejectsWith(
      await componentWith(regzip(cpio.subarray(0, n)), bom),
      "TRUNCATED",
      { offset: n },
      `cpio cut ${n}`,
    );
});

test("a Payload whose gzip trailer (CRC-32, size) is cut off is refused", async () => {
  const { payload, bom } = await helloLayers();
  for (const n of [payload.length - 8, payload.length - 1])
    await rejectsWith(
      await componentWith(payload.subarray(0, n), bom),
      "TRUNCATED",
      { path: "Payload" },
      `cut ${n}`,
    );
});

/**
 * A pbzx stream as pbzx.c (NiklasRosenstein/pbzx) and macos/pbzx.ts read it: "pbzx", a u64 BE flags/chunk
 * size, then per chunk a u64 BE uncompressed size, a u64 BE stored size and the stored bytes (an xz stream).
 */
async function pbzx(plain: Uint8Array, chunk: number): Promise<Uint8Array> {
  const u64 = (n: number) => {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt(n));
    return b;
  };
  const parts = [encodeUtf8("pbzx"), u64(chunk)];
  for (let at = 0; at < plain.length; at += chunk) {
    const piece = plain.subarray(at, at + chunk);
    const xz = await compressBytes(piece, { algo: "xz" });
    assert.deepEqual([...xz.subarray(0, 6)], [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], "an xz stream");
    parts.push(u64(piece.length), u64(xz.length), xz);
  }
  return concatBytes(parts);
}

test("pbzx Payload (xz chunks): the same file list as the gzip Payload; truncated pbzx: exact codes", async () => {
  const { payload, bom, cpio } = await helloLayers();
  const expected = await readMacos(bytesSource(await componentWith(payload, bom)));
  // three chunks, so chunk boundaries fall inside cpio headers and file data
  const chunk = Math.ceil(cpio.length / 3);
  const stream = await pbzx(cpio, chunk);
  const info = await readMacos(bytesSource(await componentWith(stream, bom)));
  assert.deepEqual(info.files, expected.files);
  assert.ok(info.files.some((f) => f.path === "/usr/local/bin/hello" && f.digests.sha256));
  // chunk 2's header starts after "pbzx", the flags and chunk 1
  const first = Number(new DataView(stream.buffer, stream.byteOffset).getBigUint64(12 + 8));
  const second = 12 + 16 + first;
  for (const [n, label] of [
    [8, "inside the flags"],
    [second + 4, "inside chunk 2's sizes"],
    [second + 16 + 10, "inside chunk 2's xz data"],
    [stream.length - 1, "last byte"],
  ] as const) {
    // offsets count in the pbzx stream: the input ended at the cut
    await rejectsWith(
      await componentWith(stream.subarray(0, n), bom),
      "TRUNCATED",
      { offset: n },
      `pbzx cut ${n}: ${label}`,
    );
  }
  // bad xz data inside a chunk: named at the start of that chunk's xz stream
  await rejectsWith(
    await componentWith(flipped(stream, second + 16 + 20), bom),
    "CORRUPT_COMPRESSED_DATA",
    { path: "Payload", algo: "xz", offset: second + 16 },
    "flip in chunk 2",
  );
});
