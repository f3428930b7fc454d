// gzipIndex: an index of items (packages) cut at item ends chosen by content, so that one package more or
// less changes one or two pieces, and a previous file's unchanged pieces are copied: the bytes are the same
// as compressing everything, which the tests below compare.
//
// gzipBytes: up to one piece (256 KiB) the indexes' gzip in one call gives the bytes of @packyard/formats'
// compressBytes (one gzip stream), so moving the indexes to it changed no small index's bytes; above, it
// deflates pieces in parallel into one member that gzip, zcat and apt's own reader take. Always: it
// decompresses to its input, and the same input gives the same bytes.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type TestContext, test } from "node:test";
import { crc32, gunzipSync, inflateRawSync } from "node:zlib";
import { compressBytes } from "@packyard/formats/compress";
import { needTool } from "@packyard/testkit/tools";
import {
  crc32Combine,
  GZIP_PIECE,
  type GzipIndex,
  type GzipItem,
  gzipBytes,
  gzipIndex,
  gzipItems,
  itemCuts,
  pieceCuts,
} from "../src/gzip.ts";

const text = new TextEncoder().encode("Package: hello\nVersion: 1.0\nDescription: x\n\n".repeat(80_000));

test("gzipBytes writes the bytes compressBytes writes for gzip up to one piece, at levels 1, 6 (default) and 9", async () => {
  // Empty, small, exactly one piece of text, and one piece of noise.
  const inputs = [
    new Uint8Array(0),
    text.subarray(0, 100),
    text.subarray(0, GZIP_PIECE),
    randomBytes(GZIP_PIECE),
  ];
  for (const input of inputs) {
    for (const level of [1, 6, 9]) {
      const ours = await gzipBytes(input, level);
      const theirs = await compressBytes(input, { algo: "gzip", level });
      assert.equal(
        Buffer.compare(Buffer.from(ours), Buffer.from(theirs)),
        0,
        `${input.length} bytes, level ${level}`,
      );
      assert.equal(Buffer.compare(gunzipSync(ours), Buffer.from(input)), 0);
      // mtime 0, OS byte 3 (Unix).
      assert.deepEqual([...ours.subarray(4, 8), ours[9]], [0, 0, 0, 0, 3]);
    }
    assert.deepEqual(await gzipBytes(input), await gzipBytes(input, 6));
  }
});

test("above one piece: one gzip member with zlib's header, its input back, the same bytes every time, close to one deflate call's size", async () => {
  // Just over one piece, several MiB of text (pieces with matches across every cut), and noise.
  const inputs = [text.subarray(0, GZIP_PIECE + 1), text, new Uint8Array(randomBytes(3 << 20))];
  for (const input of inputs) {
    for (const level of [1, 6, 9]) {
      const what = `${input.length} bytes, level ${level}`;
      const ours = await gzipBytes(input, level);
      assert.equal(Buffer.compare(gunzipSync(ours), Buffer.from(input)), 0, what);
      assert.deepEqual(await gzipBytes(input, level), ours, `${what}: deterministic`);
      // The header zlib writes for the level (XFL 4 at level 1, 2 at 9), mtime 0, OS 3.
      assert.deepEqual(
        [...ours.subarray(0, 10)],
        [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, level === 9 ? 2 : level === 1 ? 4 : 0, 3],
      );
      // One member: the raw deflate stream ends exactly before the 8-byte trailer (a second member, or
      // a stream that ended early, would leave bytes between them).
      const inflated = inflateRawSync(ours.subarray(10, ours.length - 8), { info: true }) as unknown as {
        buffer: Buffer;
        engine: { bytesWritten: number };
      };
      assert.equal(
        inflated.engine.bytesWritten,
        ours.length - 18,
        `${what}: one deflate stream, then the trailer`,
      );
      const trailer = Buffer.from(ours.subarray(ours.length - 8));
      assert.equal(trailer.readUInt32LE(4), input.length, `${what}: ISIZE`);
      const whole = await compressBytes(input, { algo: "gzip", level });
      assert.ok(
        ours.length <= whole.length * 1.01 + 64 * Math.ceil(input.length / GZIP_PIECE),
        `${what}: ${ours.length} bytes against ${whole.length} in one call`,
      );
    }
  }
});

/**
 * The judges of a gzip index: gzip -t, zcat, libarchive (bsdcat: pacman's reader) and apt's own reader
 * (apt-helper cat-file) each give `input` back from `gz`.
 */
async function judge(t: TestContext, gz: Uint8Array, input: Uint8Array): Promise<void> {
  if (!needTool(t, "gzip", "zcat", "bsdcat")) return;
  const aptHelper = "/usr/lib/apt/apt-helper";
  if (!existsSync(aptHelper)) {
    if (process.env.CI === "true") throw new Error(`CI=true and a judge is missing: ${aptHelper} (apt)`);
    t.skip(`needs ${aptHelper}`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), "packyard-gzip-"));
  try {
    const file = join(dir, "Packages.gz");
    writeFileSync(file, gz);
    assert.equal(spawnSync("gzip", ["-t", file]).status, 0, "gzip -t");
    for (const [cmd, args] of [
      ["zcat", [file]],
      ["bsdcat", [file]],
      [aptHelper, ["cat-file", file]],
    ] as const) {
      const r = spawnSync(cmd, args, { maxBuffer: 64 << 20 });
      assert.equal(r.status, 0, `${cmd}: ${r.stderr}`);
      assert.equal(Buffer.compare(r.stdout, Buffer.from(input)), 0, `${cmd} gives the input back`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("gzip -t, zcat, libarchive (bsdcat: pacman's reader) and apt's own reader (apt-helper cat-file) take a many-piece index", async (t) => {
  await judge(t, await gzipBytes(text, 9), text);
});

/** An index of `n` stanzas of 300-1,500 bytes (text that compresses like Packages), and where each ends. */
function stanzas(names: readonly string[]): { bytes: Uint8Array; ends: number[] } {
  const parts: string[] = [];
  for (const name of names) {
    const seed = [...name].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7);
    const words = Array.from({ length: 20 + (seed % 120) }, (_, i) => `w${(seed * (i + 3)) % 997}`);
    parts.push(`Package: ${name}\nVersion: 1.${seed % 50}\nDescription: ${words.join(" ")}\n\n`);
  }
  const ends: number[] = [];
  let at = 0;
  const enc = new TextEncoder();
  const encoded = parts.map((p) => enc.encode(p));
  for (const e of encoded) ends.push((at += e.length));
  return { bytes: Buffer.concat(encoded), ends };
}

const names = Array.from({ length: 4000 }, (_, i) => `pkg${String(i * 2).padStart(5, "0")}`);

function sameBytes(a: Uint8Array, b: Uint8Array, what: string): void {
  assert.equal(Buffer.compare(Buffer.from(a), Buffer.from(b)), 0, what);
}

function checkIndex(out: GzipIndex, input: Uint8Array, level: number, what: string): void {
  sameBytes(gunzipSync(out.bytes), input, `${what}: gives its input back`);
  const table = out.table!;
  assert.equal(table.level, level);
  assert.equal(
    table.pieces.reduce((n, p) => n + p.size, 0),
    input.length,
    `${what}: the pieces' sizes add up to the input`,
  );
  assert.equal(
    table.pieces.reduce((n, p) => n + p.deflated, 18),
    out.bytes.length,
    `${what}: header, the pieces' deflate output and the trailer make the file`,
  );
}

test("gzipIndex: pieces cut at item ends, one member, the input back; small indexes are gzipBytes' one call", async () => {
  const { bytes, ends } = stanzas(names);
  assert.ok(bytes.length > 6 * GZIP_PIECE, `${bytes.length} bytes`);
  const out = await gzipIndex(bytes, ends, 9);
  checkIndex(out, bytes, 9, "4,000 stanzas");
  const cuts = new Set(pieceCuts(bytes, ends));
  assert.ok(cuts.size >= 4, `${cuts.size} pieces`);
  for (const c of cuts) assert.ok(c === bytes.length || ends.includes(c), `cut ${c} is an item's end`);
  assert.deepEqual(await gzipIndex(bytes, ends, 9), out, "deterministic");
  const whole = await compressBytes(bytes, { algo: "gzip", level: 9 });
  assert.ok(
    out.bytes.length <= whole.length * 1.01,
    `${out.bytes.length} against ${whole.length} in one call`,
  );
  const small = stanzas(names.slice(0, 50));
  const one = await gzipIndex(small.bytes, small.ends, 9);
  assert.equal(one.table, undefined, "no table for one piece");
  sameBytes(one.bytes, await gzipBytes(small.bytes, 9), "small: gzipBytes' bytes");
  assert.throws(() => pieceCuts(bytes, [10, 5]), RangeError);
});

test("gzipIndex: a package added, removed or changed anywhere re-deflates one or two pieces, and the bytes are those of compressing it all", async () => {
  const base = stanzas(names);
  for (const level of [6, 9]) {
    const first = await gzipIndex(base.bytes, base.ends, level);
    const previous = { bytes: first.bytes, table: first.table! };
    const n = first.table!.pieces.length;
    const changes: [string, string[]][] = [
      ["nothing", names],
      ["added at the start", ["a-first", ...names]],
      ["added in the middle", [...names.slice(0, 2001), "pkg02001", ...names.slice(2001)]],
      ["added at the end", [...names, "zz-last"]],
      ["removed from the middle", [...names.slice(0, 1500), ...names.slice(1501)]],
      ["changed in the middle", names.map((m, i) => (i === 2500 ? `${m}-changed` : m))],
      ["the last one removed", names.slice(0, -1)],
    ];
    // Around the cuts: a piece whose text is unchanged but whose 32 KiB before it changed (its
    // dictionary), and a piece that was the last and no longer is, or the other way round (the final
    // block): those are deflated again.
    const cuts = pieceCuts(base.bytes, base.ends);
    const atCut = cuts.slice(1, 3).map((c) => base.ends.indexOf(c));
    changes.push(
      ["changed just before a cut", names.map((m, i) => (i === atCut[0]! - 1 ? `${m}-changed` : m))],
      ["ended at a cut", names.slice(0, atCut[1]! + 1)],
    );
    for (const [what, list] of changes) {
      const next = stanzas(list);
      const reused = await gzipIndex(next.bytes, next.ends, level, previous);
      const fresh = await gzipIndex(next.bytes, next.ends, level);
      checkIndex(reused, next.bytes, level, `${what}, level ${level}`);
      sameBytes(reused.bytes, fresh.bytes, `${what}, level ${level}: the bytes of compressing it all`);
      assert.deepEqual(reused.table, fresh.table, `${what}: the same table`);
      assert.equal(fresh.reused, 0);
      const pieces = reused.table!.pieces.length;
      assert.ok(
        reused.reused >= pieces - (what === "nothing" ? 0 : 2),
        `${what}, level ${level}: ${reused.reused} of ${pieces} pieces copied (${n} before)`,
      );
    }
  }
});

test("gzipIndex: a piece that was the last of the previous file is deflated again when more follow it", async () => {
  const base = stanzas(names);
  const cut = pieceCuts(base.bytes, base.ends)[1]!;
  const prefix = stanzas(names.slice(0, base.ends.indexOf(cut) + 1));
  const first = await gzipIndex(prefix.bytes, prefix.ends, 9);
  assert.equal(
    first.table!.pieces.length,
    2,
    "the prefix is two pieces, the second ending at a cut of the whole",
  );
  const out = await gzipIndex(base.bytes, base.ends, 9, { bytes: first.bytes, table: first.table! });
  checkIndex(out, base.bytes, 9, "after a prefix");
  sameBytes(out.bytes, (await gzipIndex(base.bytes, base.ends, 9)).bytes, "the bytes of compressing it all");
  assert.equal(out.reused, 1, "the first piece copied, not the prefix's last");
});

test("gzipIndex ignores a previous file that does not fit it: another level, a table that does not add up, other bytes", async () => {
  const { bytes, ends } = stanzas(names);
  const nine = await gzipIndex(bytes, ends, 9);
  const six = await gzipIndex(bytes, ends, 6);
  const table = nine.table!;
  const misfits: [string, { bytes: Uint8Array; table: typeof table }][] = [
    ["level 9 for level 6", { bytes: nine.bytes, table }],
    ["a table one byte short", { bytes: nine.bytes.subarray(0, nine.bytes.length - 1), table }],
    [
      "a piece's deflated size off by one",
      {
        bytes: nine.bytes,
        table: {
          level: 9,
          pieces: table.pieces.map((p, i) => (i === 1 ? { ...p, deflated: p.deflated + 1 } : p)),
        },
      },
    ],
    ["a broken table", { bytes: nine.bytes, table: { level: 9, pieces: [{ size: -1 } as never] } }],
    ["no pieces", { bytes: nine.bytes, table: { level: 9, pieces: [] } }],
  ];
  for (const [what, previous] of misfits) {
    const out = await gzipIndex(bytes, ends, what.startsWith("level") ? 6 : 9, previous);
    assert.equal(out.reused, 0, what);
    sameBytes(out.bytes, what.startsWith("level") ? six.bytes : nine.bytes, what);
  }
});

test("gzip -t, zcat, libarchive (bsdcat) and apt-helper cat-file take an index whose pieces were copied from a previous one", async (t) => {
  const base = stanzas(names);
  const first = await gzipIndex(base.bytes, base.ends, 9);
  const next = stanzas([...names.slice(0, 999), "pkg00999", ...names.slice(999), "zz-last"]);
  const out = await gzipIndex(next.bytes, next.ends, 9, { bytes: first.bytes, table: first.table! });
  assert.ok(out.reused > 0, "pieces copied");
  await judge(t, out.bytes, next.bytes);
});

test("crc32Combine gives the CRC-32 of two parts joined, for empty, short and long parts", () => {
  const parts = [
    new Uint8Array(0),
    text.subarray(0, 1),
    text.subarray(0, 1000),
    new Uint8Array(randomBytes(300_000)),
  ];
  for (const a of parts) {
    for (const b of parts) {
      const joined = Buffer.concat([a, b]);
      assert.equal(crc32Combine(crc32(a), crc32(b), b.length), crc32(joined), `${a.length} + ${b.length}`);
    }
  }
});

/** Items of 1-12 KiB (a package's tar members, say), each with a hex cut and an id. */
function items(names: readonly string[]): GzipItem[] {
  return names.map((name) => {
    const body = stanzas(
      [name, `${name}-a`, `${name}-b`, `${name}-c`, `${name}-d`].slice(0, 1 + (name.length % 5)),
    );
    return {
      cut: createHash("sha256").update(name).digest("hex"),
      id: new TextEncoder().encode(name),
      text: () => body.bytes,
    };
  });
}

const END = new Uint8Array(1024);

test("gzipItems: one member that gives the items and the close back; one piece is gzipBytes' one call", async () => {
  const list = items(names.slice(0, 2000));
  const out = await gzipItems(list, { level: 6, close: END });
  const whole = Buffer.concat([...list.map((i) => i.text()), END]);
  checkIndex(out, whole, 6, "2,000 items");
  assert.ok(out.table!.pieces.length >= 4, `${out.table!.pieces.length} pieces`);
  assert.equal(crc32(whole), Buffer.from(out.bytes.subarray(out.bytes.length - 8)).readUInt32LE(0));
  const few = items(names.slice(0, 5));
  const one = await gzipItems(few, { level: 6, close: END });
  sameBytes(one.bytes, await gzipBytes(Buffer.concat([...few.map((i) => i.text()), END]), 6), "one piece");
  assert.deepEqual(itemCuts([]), [0]);
  assert.throws(() => itemCuts(["not hex"]), RangeError);
});

test("gzipItems: after a change, only the changed pieces' text is made, and the bytes are those of compressing it all", async () => {
  const base = items(names);
  const first = await gzipItems(base, { level: 6, close: END, salt: "v1" });
  const previous = { bytes: first.bytes, table: first.table! };
  const cuts = itemCuts(base.map((i) => i.cut));
  const changed = (i: number, n: string) => items(names.map((m, k) => (k === i ? n : m)));
  const cases: [string, GzipItem[]][] = [
    ["nothing", base],
    ["added in the middle", items([...names.slice(0, 2001), "pkg02001", ...names.slice(2001)])],
    ["removed at the start", items(names.slice(1))],
    ["added at the end", items([...names, "zz-last"])],
    ["changed just before a cut", changed(cuts[1]! - 2, "changed-name-here")],
    ["ended at a cut", items(names.slice(0, cuts[2]!))],
  ];
  for (const [what, list] of cases) {
    let made = 0;
    const counted = list.map((i) => ({
      ...i,
      text: () => {
        made++;
        return i.text();
      },
    }));
    const again = await gzipItems(counted, { level: 6, close: END, previous, salt: "v1" });
    const fresh = await gzipItems(list, { level: 6, close: END, salt: "v1" });
    const whole = Buffer.concat([...list.map((i) => i.text()), END]);
    checkIndex(again, whole, 6, what);
    sameBytes(again.bytes, fresh.bytes, `${what}: the bytes of compressing it all`);
    assert.deepEqual(again.table, fresh.table, `${what}: the same table`);
    const pieces = again.table!.pieces.length;
    assert.ok(
      again.reused >= pieces - (what === "nothing" ? 0 : 2),
      `${what}: ${again.reused} of ${pieces} copied`,
    );
    // The changed pieces, and the ones before them for their last 32 KiB: a few hundred items at most.
    assert.ok(made <= (what === "nothing" ? 0 : 4 * 300), `${what}: ${made} of ${list.length} items made`);
  }
  const salted = await gzipItems(base, { level: 6, close: END, previous, salt: "v2" });
  assert.equal(salted.reused, 0, "another salt copies nothing");
});
