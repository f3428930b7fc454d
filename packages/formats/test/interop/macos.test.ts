/**
 * macOS packages judged on Linux: libarchive extracts every xar member (TOC and file checksums), python3
 * recomputes the TOC SHA-1, GNU cpio lists the Payload, an independent python Bom parser gives the Bom,
 * and cksum(1) checks every Payload file's CRC — for the example project (through the config loader) and
 * 20 seeded specs.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import fc from "fast-check";
import { type MacosOptions, writeMacosBytes } from "../../src/macos/index.ts";
import type { PackageSpec } from "../../src/spec/types.ts";
import { macosSpec } from "../support/arbitrary-macos.ts";
import { exampleFromConfig } from "@packyard/testkit/example";
import { needTool, run, tryRun } from "@packyard/testkit/tools";

/** Independent xar reader: header by struct, TOC inflated by zlib, member list from the XML, TOC SHA-1. */
const PY_XAR = String.raw`
import hashlib, struct, sys, zlib, xml.etree.ElementTree as ET
b = open(sys.argv[1], 'rb').read()
magic, hsize, ver, clen, ulen, algo = struct.unpack('>4sHHQQI', b[:28])
assert magic == b'xar!' and hsize == 28 and ver == 1 and algo == 1, (magic, hsize, ver, algo)
ctoc = b[28:28 + clen]
toc = zlib.decompress(ctoc)
assert len(toc) == ulen
heap = 28 + clen
root = ET.fromstring(toc).find('toc')
ck = root.find('checksum')
off, size = int(ck.find('offset').text), int(ck.find('size').text)
assert hashlib.sha1(ctoc).digest() == b[heap + off:heap + off + size], 'TOC checksum'
def walk(el, prefix):
    for f in el.findall('file'):
        name = prefix + f.find('name').text
        if f.find('data') is not None:
            enc = f.find('data/encoding').get('style')
            print(name + '\t' + enc)
        walk(f, name + '/')
walk(root, '')
`;

/** Independent Bom lister (bomutils src/bom.h): path, st_mode octal, uid, gid, size, checksum, link. */
const PY_BOM = String.raw`
import struct, sys
b = open(sys.argv[1], 'rb').read()
assert b[:8] == b'BOMStore'
_, nblocks, ioff, ilen, voff, vlen = struct.unpack('>IIIIII', b[8:32])
count = struct.unpack('>I', b[ioff:ioff+4])[0]
def blk(i):
    o, l = struct.unpack('>II', b[ioff+4+8*i:ioff+12+8*i])
    return b[o:o+l]
nv = struct.unpack('>I', b[voff:voff+4])[0]; p = voff + 4; vars = {}
for _ in range(nv):
    idx, ln = struct.unpack('>IB', b[p:p+5]); vars[b[p+5:p+5+ln].decode()] = idx; p += 5 + ln
assert list(vars) == ['BomInfo', 'Paths', 'HLIndex', 'VIndex', 'Size64'], list(vars)
tree = blk(vars['Paths']); assert tree[:4] == b'tree'
rootnode, bsize, pcount = struct.unpack('>III', tree[8:20])
names = {}; out = []
def node(i):
    n = blk(i); leaf, cnt, fwd, back = struct.unpack('>HHII', n[:12])
    for k in range(cnt):
        a, c = struct.unpack('>II', n[12+8*k:20+8*k])
        if not leaf: node(a); continue
        pid, i2 = struct.unpack('>II', blk(a)[:8])
        f = blk(c); parent = struct.unpack('>I', f[:4])[0]; name = f[4:].split(b'\0')[0].decode()
        names[pid] = (names[parent] + '/' + name) if parent else name
        d = blk(i2)
        typ, _, arch, mode, uid, gid, mtime, size, _, ck, ll = struct.unpack('>BBHHIIIIBII', d[:31])
        link = d[31:31+ll].split(b'\0')[0].decode() if ll else ''
        out.append('\t'.join([names[pid], oct(mode)[2:], str(uid), str(gid), str(size), str(ck), link]))
node(rootnode)
assert len(out) == pcount, (len(out), pcount)
print('\n'.join(out))
`;

function permString(mode: number): string {
  const t = (mode & 0o170000) === 0o040000 ? "d" : (mode & 0o170000) === 0o120000 ? "l" : "-";
  const r = "rwxrwxrwx";
  let s = "";
  for (let i = 0; i < 9; i++) s += mode & (1 << (8 - i)) ? r[i] : "-";
  return t + s;
}

async function judge(spec: PackageSpec, dir: string, options: MacosOptions = {}): Promise<void> {
  const bytes = await writeMacosBytes(spec, options);
  const pkg = join(dir, "p.pkg");
  writeFileSync(pkg, bytes);
  const comp = `${spec.name}.pkg`;
  // python: TOC checksum and member list; Payload/Scripts stored, Bom/PackageInfo/Distribution zlib
  const members = run("python3", ["-c", PY_XAR, pkg])
    .trim()
    .split("\n")
    .map((l) => l.split("\t"));
  for (const [name, enc] of members) {
    if (name!.endsWith("/Payload") || name!.endsWith("/Scripts"))
      assert.equal(enc, "application/octet-stream", name);
    const r = tryRun("bsdtar", ["-xOf", pkg, name!]);
    assert.equal(r.status, 0, `bsdtar -xOf ${name}: ${r.stderr}`);
  }
  assert.ok(members.some(([n]) => n === `${comp}/Payload`));
  const bomFile = join(dir, "Bom");
  const bomBytes = tryRunBinary(["-xOf", pkg, `${comp}/Bom`]);
  writeFileSync(bomFile, bomBytes);
  const bom = run("python3", ["-c", PY_BOM, bomFile])
    .trim()
    .split("\n")
    .map((l) => l.split("\t"));
  const payloadGz = tryRunBinary(["-xOf", pkg, `${comp}/Payload`]);
  const gz = join(dir, "Payload.gz");
  writeFileSync(gz, payloadGz);
  const listing = run("sh", ["-c", `gunzip -c "$0" | cpio -itv --numeric-uid-gid --quiet`, gz])
    .trimEnd()
    .split("\n");
  assert.equal(listing.length, bom.length, "cpio lists as many entries as the Bom");
  // the Bom is breadth-first, the Payload depth-first: match by name
  const byName = new Map<string, string[]>();
  for (const line of listing) {
    const cols = line.trim().split(/\s+/);
    const name = cols.slice(8).join(" ");
    byName.set(cols[0]!.startsWith("l") ? name.slice(0, name.indexOf(" -> ")) : name, cols);
  }
  for (const [path, modeOct, uid, gid, size, , link] of bom) {
    const mode = Number.parseInt(modeOct!, 8);
    const bomName = path === "." ? "." : `./${path!.replace(/^\.\//, "")}`;
    const cols = byName.get(bomName);
    assert.ok(cols, `${bomName} is in the Payload`);
    assert.equal(cols[0], permString(mode), `${bomName} mode`);
    assert.equal(cols[2], uid, `${bomName} uid`);
    assert.equal(cols[3], gid, `${bomName} gid`);
    if ((mode & 0o170000) !== 0o040000) assert.equal(cols[4], size, `${bomName} size`);
    if (link) assert.equal(cols.slice(8).join(" "), `${bomName} -> ${link}`);
  }
  // cksum of every Payload file equals the Bom CRC
  const out = join(dir, "root");
  mkdirSync(out);
  run("sh", ["-c", `gunzip -c "$0" | (cd "$1" && cpio -idm --quiet --no-absolute-filenames)`, gz, out]);
  let checked = 0;
  for (const [path, modeOct, , , size, ck] of bom) {
    if ((Number.parseInt(modeOct!, 8) & 0o170000) !== 0o100000) continue;
    const [crc, len] = run("cksum", [join(out, path!)])
      .trim()
      .split(/\s+/);
    assert.equal(crc, ck, `${path} cksum`);
    assert.equal(len, size);
    checked++;
  }
  assert.equal(checked, spec.entries.filter((e) => e.type === "file" || e.type === "hardlink").length);
  run("chmod", ["-R", "u+rwx", out]);
}

function tryRunBinary(args: string[]): Uint8Array {
  const r = spawnSync("bsdtar", args, { maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`bsdtar ${args.join(" ")}: ${r.stderr.toString()}`);
  return new Uint8Array(r.stdout);
}

test("the example project (through the config loader): bsdtar, python3 TOC/Bom parsers, GNU cpio and cksum agree", async (t) => {
  if (!needTool(t, "bsdtar", "python3", "cpio", "cksum", "gunzip")) return;
  const dir = mkdtempSync(join(tmpdir(), "packyard-macos-"));
  try {
    const { spec, options } = await exampleFromConfig<MacosOptions>("macos");
    await judge(spec, dir, options);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("20 seeded specs: bsdtar, python3 TOC/Bom parsers, GNU cpio and cksum agree", async (t) => {
  if (!needTool(t, "bsdtar", "python3", "cpio", "cksum", "gunzip")) return;
  const specs = fc.sample(macosSpec, { seed: 424242, numRuns: 20 });
  for (const [i, spec] of specs.entries()) {
    const dir = mkdtempSync(join(tmpdir(), `packyard-macos-${i}-`));
    try {
      await judge(spec, dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
});
