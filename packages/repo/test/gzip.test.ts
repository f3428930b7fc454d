// gzipItems: an index of items (packages) in pieces cut and known by the items alone, so that one package
// more or less changes one or two pieces, and a previous file's unchanged pieces are copied without making
// their text: the bytes are the same as compressing everything, which the tests below compare.
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
  type GzipItemsOptions,
  type GzipPieceTable,
  type GzipPrevious,
  gzipBytes,
  gzipItems,
  itemCuts,
  itemPieces,
  type PieceItem,
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

/** A package of an index: a stanza of 300-1,500 bytes (text that compresses like Packages), cut and id by name. */
interface Item extends PieceItem {
  text(): string;
}

function items(names: readonly string[]): Item[] {
  return names.map((name) => {
    const seed = [...name].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7);
    const words = Array.from({ length: 20 + (seed % 120) }, (_, i) => `w${(seed * (i + 3)) % 997}`);
    const stanza = `Package: ${name}\nVersion: 1.${seed % 50}\nDescription: ${words.join(" ")}\n\n`;
    return {
      cut: createHash("sha256").update(name).digest("hex"),
      id: new TextEncoder().encode(name),
      text: () => stanza,
    };
  });
}

const names = Array.from({ length: 4000 }, (_, i) => `pkg${String(i * 2).padStart(5, "0")}`);
const OPEN = new TextEncoder().encode("<?xml?>\n<metadata>\n");
const END = new TextEncoder().encode("</metadata>");

/** gzipItems of `list` (pieces from the list itself), counting the items whose text is made. */
async function run(
  list: readonly Item[],
  options: GzipItemsOptions,
): Promise<GzipIndex & { made: number; madeAt: Set<number>; text?: Uint8Array[] }> {
  let made = 0;
  const madeAt = new Set<number>();
  const out = await gzipItems(
    list.map((i, k) => () => {
      made++;
      madeAt.add(k);
      return i.text();
    }),
    itemPieces(list),
    options,
  );
  return { ...out, made, madeAt };
}

/**
 * The pieces of `next` that were copied from `previous` (same key, same place, same 32 KiB before them),
 * as gzipItems finds them: the others were made and deflated again.
 */
function copiedPieces(previous: GzipPieceTable, next: GzipPieceTable): Set<number> {
  const copied = new Set<number>();
  const last = next.pieces.length - 1;
  const oldLast = previous.pieces.length - 1;
  for (const [i, p] of next.pieces.entries()) {
    const found = previous.pieces.some(
      (q, j) =>
        q.sha256 === p.sha256 &&
        (j === oldLast) === (i === last) &&
        (i === 0 ? j === 0 : j > 0 && previous.pieces[j - 1]!.tail === next.pieces[i - 1]!.tail),
    );
    if (found) copied.add(i);
  }
  return copied;
}

/**
 * Checks that the items whose text was made are those of the pieces made again and, for the dictionary
 * of a piece made again, the last items of a copied piece before it: no more of them than its last 32
 * KiB takes.
 */
function madeOnlyWhatIsNeeded(
  list: readonly Item[],
  madeAt: ReadonlySet<number>,
  copied: ReadonlySet<number>,
  what: string,
): void {
  for (const [i, { start, end }] of itemPieces(list).ranges.entries()) {
    const made = [...madeAt].filter((k) => k >= start && k < end).sort((a, b) => a - b);
    if (!copied.has(i)) {
      assert.equal(made.length, end - start, `${what}: piece ${i} is made again, all its items`);
      continue;
    }
    if (made.length === 0) continue;
    assert.deepEqual(
      made,
      Array.from({ length: made.length }, (_, j) => end - made.length + j),
      `${what}: the items made of copied piece ${i} are its last ones`,
    );
    const after = made.slice(1).reduce((n, k) => n + Buffer.byteLength(list[k]!.text()), 0);
    assert.ok(
      after < 32 * 1024,
      `${what}: ${made.length} items of copied piece ${i} made for a 32 KiB window`,
    );
  }
}

/** The whole uncompressed index: open, every item's text, close. */
function wholeOf(list: readonly Item[], open: Uint8Array = OPEN, close: Uint8Array = END): Uint8Array {
  const enc = new TextEncoder();
  return Buffer.concat([open, ...list.map((i) => enc.encode(i.text())), close]);
}

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
  assert.equal(
    crc32(input),
    Buffer.from(out.bytes.subarray(out.bytes.length - 8)).readUInt32LE(0),
    `${what}: CRC-32`,
  );
}

test("gzipItems: one member that gives the opening, the items and the closing back, cut at item ends; one piece is gzipBytes' one call", async () => {
  const list = items(names);
  const whole = wholeOf(list);
  const out = await run(list, { level: 9, open: OPEN, close: END, text: true });
  checkIndex(out, whole, 9, "4,000 items");
  sameBytes(Buffer.concat(out.text!), whole, "the text comes back");
  const cuts = itemCuts(list.map((i) => i.cut));
  assert.ok(cuts.length >= 20, `${cuts.length} pieces`);
  let at = OPEN.length;
  const ends = new Set(list.map((i) => (at += new TextEncoder().encode(i.text()).length)));
  let offset = 0;
  for (const p of out.table!.pieces.slice(0, -1))
    assert.ok(ends.has((offset += p.size)), `a cut at ${offset} is an item's end`);
  const again = await run(list, { level: 9, open: OPEN, close: END });
  assert.deepEqual([again.bytes, again.table], [out.bytes, out.table], "deterministic");
  const single = await compressBytes(whole, { algo: "gzip", level: 9 });
  assert.ok(
    out.bytes.length <= single.length * 1.01,
    `${out.bytes.length} against ${single.length} in one call`,
  );
  const few = items(names.slice(0, 20));
  const one = await run(few, { level: 6, open: OPEN, close: END });
  assert.equal(one.table!.pieces.length, 1);
  sameBytes(one.bytes, await gzipBytes(wholeOf(few), 6), "one piece: gzipBytes' bytes");
  const none = await run([], { level: 6, open: OPEN, close: END, text: true });
  sameBytes(gunzipSync(none.bytes), wholeOf([]), "no items");
  assert.deepEqual(itemCuts([]), [0]);
  assert.throws(() => itemCuts(["not hex"]), RangeError);
  await assert.rejects(
    gzipItems([() => "x"], itemPieces(list), { level: 6 }),
    RangeError,
    "pieces of another list",
  );
});

test("gzipItems: after a change only the changed pieces' text is made, the text comes back whole, and the bytes are those of compressing it all", async () => {
  const base = items(names);
  const cuts = itemCuts(base.map((i) => i.cut));
  const changed = (i: number, n: string) => items(names.map((m, k) => (k === i ? n : m)));
  const cases: [string, Item[], Uint8Array?][] = [
    ["nothing", base],
    ["added at the start", items(["a-first", ...names])],
    ["added in the middle", items([...names.slice(0, 2001), "pkg02001", ...names.slice(2001)])],
    ["removed from the middle", items([...names.slice(0, 1500), ...names.slice(1501)])],
    ["changed in the middle", changed(2500, "pkg02500-changed")],
    ["added at the end", items([...names, "zz-last"])],
    ["the last one removed", items(names.slice(0, -1))],
    // Around the cuts: a piece whose items are unchanged but whose 32 KiB before it changed (its
    // dictionary), and a piece that was the last and no longer is, or the other way round (the final
    // block): those are deflated again.
    ["changed just before a cut", changed(cuts[1]! - 1, "changed-name-here")],
    ["ended at a cut", items(names.slice(0, cuts[2]!))],
    ["another opening (a count)", base, new TextEncoder().encode('<?xml?>\n<metadata packages="4001">\n')],
  ];
  for (const level of [6, 9]) {
    const first = await run(base, { level, open: OPEN, close: END, salt: "v1" });
    const previous = { bytes: first.bytes, table: first.table! };
    for (const [what, list, open = OPEN] of cases) {
      const options = { level, open, close: END, salt: "v1", text: true };
      const again = await run(list, { ...options, previous });
      const fresh = await run(list, options);
      const whole = wholeOf(list, open);
      checkIndex(again, whole, level, `${what}, level ${level}`);
      sameBytes(again.bytes, fresh.bytes, `${what}, level ${level}: the bytes of compressing it all`);
      assert.deepEqual(again.table, fresh.table, `${what}: the same table`);
      sameBytes(Buffer.concat(again.text!), whole, `${what}: the text, copied pieces inflated`);
      sameBytes(Buffer.concat(fresh.text!), whole, `${what}: the text, made whole`);
      assert.equal(fresh.reused, 0);
      const pieces = again.table!.pieces.length;
      assert.ok(
        // The changed piece, and the one or two after it whose 32 KiB before them reach into it.
        again.reused >= pieces - (what === "nothing" ? 0 : 3),
        `${what}, level ${level}: ${again.reused} of ${pieces} copied`,
      );
      // The changed pieces, and the last items of the ones before them for their last 32 KiB.
      madeOnlyWhatIsNeeded(
        list,
        again.madeAt,
        copiedPieces(first.table!, again.table!),
        `${what}, level ${level}`,
      );
      assert.ok(
        again.made <= (what === "nothing" ? 0 : 4 * 300),
        `${what}: ${again.made} of ${list.length} items made`,
      );
      if (what === "nothing")
        assert.equal(again.text!.length, 1, "nothing changed: the previous text as one view");
    }
  }
  const first = await run(base, { level: 6, open: OPEN, close: END, salt: "v1" });
  const salted = await run(base, {
    level: 6,
    open: OPEN,
    close: END,
    salt: "v2",
    previous: { bytes: first.bytes, table: first.table! },
  });
  assert.equal(salted.reused, 0, "another salt copies nothing");
});

test("gzipItems: a piece that was the last of the previous file is deflated again when more follow it", async () => {
  const base = items(names);
  const cut = itemCuts(base.map((i) => i.cut))[1]!;
  const first = await run(base.slice(0, cut), { level: 9, close: END });
  assert.equal(
    first.table!.pieces.length,
    2,
    "the prefix is two pieces, the second ending at a cut of the whole",
  );
  const out = await run(base, {
    level: 9,
    close: END,
    previous: { bytes: first.bytes, table: first.table! },
  });
  checkIndex(out, wholeOf(base, new Uint8Array(0)), 9, "after a prefix");
  sameBytes(out.bytes, (await run(base, { level: 9, close: END })).bytes, "the bytes of compressing it all");
  assert.equal(out.reused, 1, "the first piece copied, not the prefix's last");
});

test("gzipItems ignores a previous file that does not fit it: another level, a table that does not add up or lies about its text, other bytes", async () => {
  const list = items(names);
  const nine = await run(list, { level: 9, open: OPEN, close: END });
  const six = await run(list, { level: 6, open: OPEN, close: END });
  const table = nine.table!;
  const pieces = (change: (p: (typeof table.pieces)[number], i: number) => object) => ({
    level: 9,
    pieces: table.pieces.map((p, i) => ({ ...p, ...change(p, i) })),
  });
  const misfits: [string, GzipPrevious][] = [
    ["level 9 for level 6", { bytes: nine.bytes, table }],
    ["a table one byte short", { bytes: nine.bytes.subarray(0, nine.bytes.length - 1), table }],
    [
      "a piece's deflated size off by one",
      { bytes: nine.bytes, table: pieces((p, i) => (i === 1 ? { deflated: p.deflated + 1 } : {})) },
    ],
    ["a broken table", { bytes: nine.bytes, table: { level: 9, pieces: [{ size: -1 } as never] } }],
    ["no pieces", { bytes: nine.bytes, table: { level: 9, pieces: [] } }],
    [
      "pieces without a CRC-32 (an older state)",
      { bytes: nine.bytes, table: pieces(() => ({ crc32: undefined })) },
    ],
    // Two pieces' sizes swapped: the total holds, so only the pieces' CRC-32s tell the text is not theirs.
    [
      "two pieces' sizes swapped",
      {
        bytes: nine.bytes,
        table: pieces((_, i) =>
          i === 3 ? { size: table.pieces[4]!.size } : i === 4 ? { size: table.pieces[3]!.size } : {},
        ),
      },
    ],
    [
      "a file that is not gzip",
      { bytes: Buffer.concat([nine.bytes.subarray(0, 10), Buffer.alloc(nine.bytes.length - 10, 7)]), table },
    ],
  ];
  for (const [what, previous] of misfits) {
    const level = what.startsWith("level") ? 6 : 9;
    const out = await run(list, { level, open: OPEN, close: END, previous, text: true });
    sameBytes(out.bytes, level === 6 ? six.bytes : nine.bytes, what);
    assert.deepEqual(out.table, level === 6 ? six.table : nine.table, `${what}: the table`);
    sameBytes(Buffer.concat(out.text!), wholeOf(list), `${what}: the text`);
    if (!what.includes("swapped") && !what.includes("not gzip")) assert.equal(out.reused, 0, what);
  }
});

test("gzip -t, zcat, libarchive (bsdcat) and apt-helper cat-file take an index whose pieces were copied from a previous one", async (t) => {
  const first = await run(items(names), { level: 9 });
  const next = items([...names.slice(0, 999), "pkg00999", ...names.slice(999), "zz-last"]);
  const out = await run(next, { level: 9, previous: { bytes: first.bytes, table: first.table! } });
  assert.ok(out.reused > 0, "pieces copied");
  await judge(t, out.bytes, wholeOf(next, new Uint8Array(0), new Uint8Array(0)));
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
