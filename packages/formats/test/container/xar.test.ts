import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { unzlibSync } from "fflate";
import { bytesSource, collect, decodeUtf8, encodeUtf8 } from "../../src/bytes/bytes.ts";
import {
  findXarNode,
  readXar,
  writeXar,
  XAR_HEADER_SIZE,
  type XarWriteNode,
  xarFileBytes,
  xarStored,
  xarZlib,
} from "../../src/container/xar.ts";
import { FormatError } from "../../src/errors.ts";
import { chunkedSource } from "@packyard/testkit/chunked";

const tree = (): XarWriteNode[] => [
  { name: "Distribution", type: "file", mode: 0o644, data: xarZlib(encodeUtf8("<installer-gui-script/>\n")) },
  {
    name: "a.pkg",
    type: "directory",
    mode: 0o755,
    children: [
      { name: "Payload", type: "file", mode: 0o644, data: xarStored(encodeUtf8("payload ".repeat(100))) },
      {
        name: "PackageInfo",
        type: "file",
        mode: 0o644,
        data: xarZlib(encodeUtf8('<pkg-info format-version="2"/>')),
      },
      { name: "l", type: "symlink", link: "Payload" },
    ],
  },
];

const isCode = (code: string) => (e: unknown) => e instanceof FormatError && e.code === code;

test("header, zlib TOC and SHA-1 TOC checksum at heap offset 0, laid out byte by byte", async () => {
  const bytes = await collect(writeXar(tree(), { creationTime: 0 }));
  const dv = new DataView(bytes.buffer, bytes.byteOffset);
  assert.equal(decodeUtf8(bytes.subarray(0, 4)), "xar!");
  assert.equal(dv.getUint16(4), 28);
  assert.equal(dv.getUint16(6), 1);
  const clen = Number(dv.getBigUint64(8));
  const ulen = Number(dv.getBigUint64(16));
  assert.equal(dv.getUint32(24), 1);
  const ctoc = bytes.subarray(XAR_HEADER_SIZE, XAR_HEADER_SIZE + clen);
  assert.equal(ctoc[0], 0x78, "zlib (RFC 1950) header, not gzip");
  const xml = decodeUtf8(unzlibSync(ctoc));
  assert.equal(encodeUtf8(xml).length, ulen);
  const heap = XAR_HEADER_SIZE + clen;
  assert.equal(
    Buffer.from(bytes.subarray(heap, heap + 20)).toString("hex"),
    createHash("sha1").update(ctoc).digest("hex"),
  );
  // the first blob starts right after the checksum
  assert.match(xml, /<offset>20<\/offset>/);
  assert.match(xml, /<encoding style="application\/octet-stream"\/>/);
  assert.match(xml, /<encoding style="application\/x-gzip"\/>/);
});

test("round trip in 1, 7 and 321-byte chunks: nested directories, both encodings, checksums verified", async () => {
  const bytes = await collect(writeXar(tree()));
  for (const size of [1, 7, 321, [3, 50, 1, 999]]) {
    const src = chunkedSource(bytes, size);
    const a = await readXar(src);
    assert.deepEqual(
      a.nodes.map((n) => [n.name, n.type, n.children.map((c) => c.path)]),
      [
        ["Distribution", "file", []],
        ["a.pkg", "directory", ["a.pkg/Payload", "a.pkg/PackageInfo", "a.pkg/l"]],
      ],
    );
    assert.equal(
      decodeUtf8(await xarFileBytes(src, a, findXarNode(a.nodes, "a.pkg/Payload")!)),
      "payload ".repeat(100),
    );
    assert.equal(
      decodeUtf8(await xarFileBytes(src, a, findXarNode(a.nodes, "Distribution")!)),
      "<installer-gui-script/>\n",
    );
    assert.equal(findXarNode(a.nodes, "a.pkg/l")!.link, "Payload");
    assert.equal(findXarNode(a.nodes, "a.pkg")!.mode, 0o755);
  }
});

test("a flipped TOC byte is BAD_CHECKSUM (or a zlib error), a flipped data byte is BAD_CHECKSUM", async () => {
  const bytes = await collect(writeXar(tree()));
  const clen = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(8));
  const t = bytes.slice();
  t[XAR_HEADER_SIZE + clen - 3]! ^= 1; // inside the adler32 / end of deflate data
  await assert.rejects(
    readXar(bytesSource(t)),
    (e) =>
      e instanceof FormatError && ["BAD_CHECKSUM", "CORRUPT_COMPRESSED_DATA", "TRUNCATED"].includes(e.code),
  );
  const c = bytes.slice();
  c[XAR_HEADER_SIZE + clen + 5]! ^= 1; // inside the stored checksum
  await assert.rejects(readXar(bytesSource(c)), isCode("BAD_CHECKSUM"));
  const d = bytes.slice();
  d[d.length - 10]! ^= 1; // last blob
  const a = await readXar(bytesSource(d));
  const last = findXarNode(a.nodes, "a.pkg/PackageInfo")!;
  await assert.rejects(
    xarFileBytes(bytesSource(d), a, last),
    (e) => e instanceof FormatError && ["BAD_CHECKSUM", "CORRUPT_COMPRESSED_DATA"].includes(e.code),
  );
});

test("signature slots are reserved before offsets: RSA at 20, CMS after it, data after both", async () => {
  const certs = [encodeUtf8("leaf-der"), encodeUtf8("ca-der")];
  let signed: Uint8Array | undefined;
  const bytes = await collect(
    writeXar(tree(), {
      signature: {
        rsaSize: 8,
        cmsSize: 32,
        certificates: certs,
        async sign(checksum) {
          signed = checksum;
          return { rsa: new Uint8Array(8).fill(0xaa), cms: new Uint8Array(10).fill(0xbb) };
        },
      },
    }),
  );
  const a = await readXar(bytesSource(bytes));
  assert.deepEqual(signed, a.checksum!.bytes);
  assert.equal(a.signature!.style, "RSA");
  assert.equal(a.signature!.offset, 20);
  assert.deepEqual(a.signature!.bytes, new Uint8Array(8).fill(0xaa));
  assert.equal(a.xSignature!.style, "CMS");
  assert.equal(a.xSignature!.offset, 28);
  assert.deepEqual(a.xSignature!.bytes.subarray(0, 10), new Uint8Array(10).fill(0xbb));
  assert.deepEqual(a.xSignature!.bytes.subarray(10), new Uint8Array(22));
  assert.deepEqual(a.signature!.certificates, certs);
  assert.equal(findXarNode(a.nodes, "Distribution")!.data!.offset, 60);
  assert.match(a.tocXml, /<KeyInfo xmlns="http:\/\/www.w3.org\/2000\/09\/xmldsig#">/);
});

test("writer refuses duplicate names, path separators and data on directories", async () => {
  await assert.rejects(
    collect(writeXar([{ name: "a/b", type: "directory", children: [] }])),
    /single path component/,
  );
  const d = xarStored(new Uint8Array(1));
  await assert.rejects(
    collect(
      writeXar([
        { name: "x", type: "file", data: d },
        { name: "x", type: "file", data: d },
      ]),
    ),
    /twice/,
  );
});
