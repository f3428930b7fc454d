/** xar and Bom judged by libarchive (bsdtar), sha1sum/python3 and GNU cpio. */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { bytesSource, collect, decodeUtf8, encodeUtf8 } from "../../src/bytes/bytes.ts";
import {
  findXarNode,
  readXar,
  writeXar,
  type XarWriteNode,
  xarFileBytes,
  xarStored,
  xarZlib,
} from "../../src/container/xar.ts";
import { needTool, run, tryRun } from "@packyard/testkit/tools";

const nodes = (): XarWriteNode[] => [
  {
    name: "Distribution",
    type: "file",
    mode: 0o644,
    data: xarZlib(encodeUtf8('<installer-gui-script minSpecVersion="1"/>\n')),
  },
  {
    name: "x.pkg",
    type: "directory",
    mode: 0o755,
    children: [
      { name: "Bom", type: "file", mode: 0o644, data: xarZlib(new Uint8Array(3000).fill(7)) },
      {
        name: "Payload",
        type: "file",
        mode: 0o644,
        data: xarStored(encodeUtf8("stored payload\n".repeat(50))),
      },
    ],
  },
];

/** Independent TOC check: cut the compressed TOC out with python3 (header fields read by struct), sha1 it. */
const PY_TOC = `
import hashlib, struct, sys
b = open(sys.argv[1], 'rb').read()
magic, hsize, ver, clen, ulen, algo = struct.unpack('>4sHHQQI', b[:28])
assert magic == b'xar!' and algo == 1
heap = hsize + clen
print(hashlib.sha1(b[hsize:heap]).hexdigest(), b[heap:heap+20].hex())
`;

test("bsdtar extracts every member of our xar (TOC and per-file checksums verified by libarchive)", async (t) => {
  if (!needTool(t, "bsdtar", "python3")) return;
  const dir = mkdtempSync(join(tmpdir(), "packyard-xar-"));
  try {
    {
      const bytes = await collect(writeXar(nodes(), { creationTime: 1_700_000_000 }));
      const f = join(dir, "a.xar");
      writeFileSync(f, bytes);
      assert.equal(run("bsdtar", ["-xOf", f, "x.pkg/Payload"]), "stored payload\n".repeat(50));
      assert.equal(
        run("bsdtar", ["-xOf", f, "Distribution"]),
        '<installer-gui-script minSpecVersion="1"/>\n',
      );
      assert.equal(readFileSync(f).length > 0, true);
      const bom = tryRun("bsdtar", ["-xOf", f, "x.pkg/Bom"]);
      assert.equal(bom.status, 0, bom.stderr);
      const [computed, stored] = run("python3", ["-c", PY_TOC, f]).trim().split(" ");
      assert.equal(computed, stored);
      // libarchive must reject a flipped TOC checksum byte and a flipped data byte
      const heap = 28 + Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(8));
      const c = bytes.slice();
      c[heap + 1]! ^= 0xff;
      writeFileSync(f, c);
      assert.notEqual(tryRun("bsdtar", ["-xOf", f, "x.pkg/Payload"]).status, 0);
      const d = bytes.slice();
      d[d.length - 5]! ^= 0xff;
      writeFileSync(f, d);
      assert.notEqual(tryRun("bsdtar", ["-xOf", f, "x.pkg/Payload"]).status, 0);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("our reader reads bsdtar --format xar archives (zlib-encoded files, nested directories)", async (t) => {
  if (!needTool(t, "bsdtar")) return;
  const dir = mkdtempSync(join(tmpdir(), "packyard-xar-"));
  try {
    mkdirSync(join(dir, "in/sub/deeper"), { recursive: true });
    writeFileSync(join(dir, "in/top.txt"), "top\n");
    writeFileSync(join(dir, "in/sub/deeper/d.bin"), new Uint8Array(5000).fill(3));
    run("bsdtar", ["--format", "xar", "-cf", join(dir, "t.xar"), "-C", join(dir, "in"), "top.txt", "sub"]);
    const src = bytesSource(new Uint8Array(readFileSync(join(dir, "t.xar"))));
    const a = await readXar(src);
    assert.equal(decodeUtf8(await xarFileBytes(src, a, findXarNode(a.nodes, "top.txt")!)), "top\n");
    const d = findXarNode(a.nodes, "sub/deeper/d.bin")!;
    assert.deepEqual(await xarFileBytes(src, a, d), new Uint8Array(5000).fill(3));
    assert.equal(d.data!.encoding, "application/x-gzip");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
