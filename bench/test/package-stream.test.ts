import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import zlib from "node:zlib";
import { algoOf, arMember, inspectStream, locateStream, rpmPayloadOffset } from "../package-stream.ts";

const dir = mkdtempSync(join(tmpdir(), "bench-stream-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** An ar archive written here from the format's definition: 60-byte headers, members padded to even size. */
function ar(members: [string, Uint8Array][]): Uint8Array {
  const parts: Uint8Array[] = [new TextEncoder().encode("!<arch>\n")];
  for (const [name, data] of members) {
    const h = `${name.padEnd(16)}${"0".padEnd(12)}${"0".padEnd(6)}${"0".padEnd(6)}${"100644".padEnd(8)}${String(data.length).padEnd(10)}\`\n`;
    assert.equal(h.length, 60);
    parts.push(new TextEncoder().encode(h), data);
    if (data.length % 2 === 1) parts.push(new Uint8Array([0x0a]));
  }
  return Buffer.concat(parts);
}

test("ar: the data member's offset and length, after an odd-sized member's padding", () => {
  const a = ar([
    ["debian-binary", new TextEncoder().encode("2.0\n")],
    ["control.tar.gz", new Uint8Array(7)],
    ["data.tar.zst", new Uint8Array([1, 2, 3])],
  ]);
  const m = arMember(a, "data.tar");
  assert.equal(m.name, "data.tar.zst");
  assert.equal(m.offset, 8 + 60 + 4 + 60 + 8 + 60);
  assert.equal(m.length, 3);
  assert.deepEqual([...a.subarray(m.offset, m.offset + m.length)], [1, 2, 3]);
  assert.throws(() => arMember(a, "nope"), /no member named nope/);
  assert.throws(() => arMember(new Uint8Array(10), "data"), /magic/);
});

test("rpm: the payload starts after the lead, the padded signature header and the main header", () => {
  const b = new Uint8Array(400);
  const v = new DataView(b.buffer);
  b.set([0xed, 0xab, 0xee, 0xdb]);
  // signature header: 2 index entries, 5 bytes of data -> 16 + 32 + 5 = 53 bytes, at 96 -> ends at 149, padded to 152
  v.setUint32(96, 0x8eade801);
  v.setUint32(96 + 8, 2);
  v.setUint32(96 + 12, 5);
  // main header at 152: 1 entry, 10 bytes -> 42 bytes -> payload at 194
  v.setUint32(152, 0x8eade801);
  v.setUint32(152 + 8, 1);
  v.setUint32(152 + 12, 10);
  assert.equal(rpmPayloadOffset(b), 194);
  v.setUint32(152, 0);
  assert.throws(() => rpmPayloadOffset(b), /main header magic/);
  assert.throws(() => rpmPayloadOffset(new Uint8Array(100)), /lead magic/);
});

test("compression by magic bytes", () => {
  assert.equal(algoOf(zlib.gzipSync("x")), "gzip");
  assert.equal(algoOf(zlib.zstdCompressSync("x")), "zstd");
  assert.equal(algoOf(new Uint8Array([0x42, 0x5a, 0x68, 0x39])), "other");
});

test("counts gzip members and zstd frames, and the first one's uncompressed size", async () => {
  const a = Buffer.alloc(70_000, 1);
  const b = Buffer.alloc(30_000, 2);
  const gz = join(dir, "x.tar.gz");
  writeFileSync(gz, Buffer.concat([zlib.gzipSync(a), zlib.gzipSync(b)]));
  const g = await inspectStream(await locateStream("tar", gz, dir));
  assert.deepEqual(
    { algo: g.algo, frames: g.frames, first: g.firstFrameBytes },
    { algo: "gzip", frames: 2, first: 70_000 },
  );

  const zs = join(dir, "x.pkg.tar.zst");
  const frames = [a, b, b].map((x) => zlib.zstdCompressSync(x));
  writeFileSync(zs, Buffer.concat(frames));
  const z = await inspectStream(await locateStream("archlinux", zs, dir));
  assert.deepEqual(
    { algo: z.algo, frames: z.frames, first: z.firstFrameBytes, bytes: z.compressedBytes },
    { algo: "zstd", frames: 3, first: 70_000, bytes: frames.reduce((n, f) => n + f.length, 0) },
  );
});

test("a deb's data member is found inside the ar archive", async () => {
  const data = zlib.gzipSync(Buffer.alloc(5000, 3));
  const deb = join(dir, "x.deb");
  writeFileSync(
    deb,
    ar([
      ["debian-binary", new TextEncoder().encode("2.0\n")],
      ["control.tar.gz", zlib.gzipSync("c")],
      ["data.tar.gz", data],
    ]),
  );
  const r = await locateStream("deb", deb, dir);
  assert.equal(r.length, data.length);
  const info = await inspectStream(r);
  assert.deepEqual([info.frames, info.firstFrameBytes], [1, 5000]);
});
