import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { encodeUtf8 } from "../../src/bytes/bytes.ts";
import { type BomEntry, cksum, decodeBom, encodeBom } from "../../src/container/bom.ts";
import { FormatError } from "../../src/errors.ts";
import { expectWithinBudget } from "../support/budget.ts";

const dir = (path: string): BomEntry => ({
  path,
  type: "dir",
  mode: 0o40755,
  uid: 0,
  gid: 80,
  mtime: 7,
  size: 0,
  checksum: 0,
});
const file = (path: string, body: string): BomEntry => ({
  path,
  type: "file",
  mode: 0o100644,
  uid: 0,
  gid: 0,
  mtime: 9,
  size: encodeUtf8(body).length,
  checksum: cksum(encodeUtf8(body)),
});
const isCode = (code: string) => (e: unknown) => e instanceof FormatError && e.code === code;

/** decodeBom(bytes) throws FormatError `code` within the bad-input budget (support/budget.ts). */
async function bomRejects(bytes: Uint8Array, code: string): Promise<void> {
  const e = await expectWithinBudget(async () => decodeBom(bytes), undefined, code);
  assert.ok(isCode(code)(e), `expected ${code}, got ${String(e)}`);
}

test("POSIX cksum check values (the values POSIX cksum(1) prints)", () => {
  assert.equal(cksum(encodeUtf8("hello\n")), 3015617425);
  assert.equal(cksum(encodeUtf8("Info.plist")), 1262758207);
  assert.equal(cksum(new Uint8Array(0)), 4294967295);
});

test("header, vars and block table as mkbom lays them out", () => {
  const b = encodeBom([dir("."), dir("./usr"), file("./usr/a", "hello\n")]);
  const dv = new DataView(b.buffer);
  assert.equal(new TextDecoder().decode(b.subarray(0, 8)), "BOMStore");
  assert.equal(dv.getUint32(8), 1);
  const indexOffset = dv.getUint32(16);
  assert.equal(indexOffset + dv.getUint32(20), b.length);
  assert.equal(dv.getUint32(24), 512);
  const count = dv.getUint32(indexOffset);
  assert.equal(dv.getUint32(12), count - 1, "non-null blocks");
  assert.equal(dv.getUint32(indexOffset + 4), 0);
  assert.equal(dv.getUint32(indexOffset + 8), 0);
  const names: string[] = [];
  let p = 516;
  for (let i = 0; i < dv.getUint32(512); i++) {
    const len = b[p + 4]!;
    names.push(new TextDecoder().decode(b.subarray(p + 5, p + 5 + len)));
    p += 5 + len;
  }
  assert.deepEqual(names, ["BomInfo", "Paths", "HLIndex", "VIndex", "Size64"]);
  assert.equal(b.length - (indexOffset + 4 + count * 8), 20, "free list: count 0 + two zero pairs");
});

test("round trip: breadth-first, sorted children, symlinks; multi-leaf trees above 256 paths", () => {
  const entries = [dir("."), dir("./b"), dir("./a"), file("./b/z", "1"), file("./a/y", "22")];
  entries.push({
    path: "./a/l",
    type: "symlink",
    mode: 0o120777,
    uid: 0,
    gid: 0,
    mtime: 1,
    size: 1,
    checksum: cksum(encodeUtf8("y")),
    linkName: "y",
  });
  assert.deepEqual(
    decodeBom(encodeBom(entries)).map((e) => e.path),
    [".", "./a", "./b", "./a/l", "./a/y", "./b/z"],
  );
  assert.deepEqual(
    decodeBom(encodeBom(entries)).find((e) => e.path === "./a/l"),
    entries[5],
  );
  const many = [dir(".")];
  for (let i = 0; i < 700; i++) many.push(file(`./f${i}`, String(i)));
  const back = decodeBom(encodeBom(many));
  assert.equal(back.length, 701);
  assert.deepEqual(new Set(back.map((e) => JSON.stringify(e))), new Set(many.map((e) => JSON.stringify(e))));
});

test("property: decode(encode(x)) has the same entries", () => {
  fc.assert(
    fc.property(
      fc.uniqueArray(fc.stringMatching(/^[a-z]{1,6}$/), { maxLength: 40 }),
      fc.integer({ min: 0, max: 2 ** 31 }),
      (names, mtime) => {
        const entries = [dir("."), ...names.map((n) => ({ ...file(`./${n}`, n), mtime }))];
        const back = decodeBom(encodeBom(entries));
        assert.deepEqual(back.map((e) => e.path).sort(), entries.map((e) => e.path).sort());
        for (const e of back)
          assert.deepEqual(
            e,
            entries.find((x) => x.path === e.path),
          );
      },
    ),
    { numRuns: 50 },
  );
});

test("bad input: block index out of range, cyclic tree, truncated, bad magic; each within the bad-input budget", async () => {
  const b = encodeBom([dir("."), file("./a", "x")]);
  const dv = new DataView(b.buffer);
  const indexOffset = dv.getUint32(16);
  // Paths var -> block index 9999
  const bad = b.slice();
  new DataView(bad.buffer).setUint32(516 + 5 + 7, 9999);
  await bomRejects(bad, "OFFSET_OUT_OF_RANGE");
  // a branch node pointing to itself
  const cyc = b.slice();
  const cdv = new DataView(cyc.buffer);
  const pathsVar = cdv.getUint32(516 + 12);
  const treeOff = cdv.getUint32(indexOffset + 4 + pathsVar * 8);
  const root = cdv.getUint32(treeOff + 8);
  const rootOff = cdv.getUint32(indexOffset + 4 + root * 8);
  cdv.setUint16(rootOff, 0); // branch
  cdv.setUint32(rootOff + 12, root);
  await bomRejects(cyc, "CYCLIC_STRUCTURE");
  await bomRejects(b.subarray(0, 20), "TRUNCATED");
  await bomRejects(b.subarray(0, 600), "OFFSET_OUT_OF_RANGE");
  const m = b.slice();
  m[0] = 0;
  await bomRejects(m, "BAD_MAGIC");
});

test("encoder refuses paths without a parent entry", () => {
  assert.throws(() => encodeBom([dir("."), file("./x/y", "1")]), /no parent/);
  assert.throws(() => encodeBom([dir("."), file("x", "1")]), /must be/);
});
