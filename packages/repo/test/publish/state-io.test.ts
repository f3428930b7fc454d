// The stored state's bytes (issue 18): a compact JSON document listing its package records' chunks,
// content-addressed chunk files (JSON arrays, one record a line, its index fields last after the line's one
// TAB) cut by the records' digests so one package more or less changes one chunk; records carried over from
// the state read copied as they were (whole chunks not even encoded), their index fields parsed only when
// read; states written by earlier versions (schema 1: records inline, two-space indented, or compact with
// or without the TAB) read as before and written in the current form at their next commit.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createHash } from "node:crypto";
import {
  encodePointer,
  encodeState,
  layoutChunks,
  loadRoot,
  parseState,
  readState,
  recordBytesOf,
  stateBytes,
} from "../../src/publish/state-io.ts";
import { isRepoError } from "../../src/errors.ts";
import type { PackageRecord, RootState, RpmIndexInfo } from "../../src/publish/state.ts";
import { memoryStorage } from "../../src/storage/memory.ts";
import { testPackage, testSettings, testState } from "../apt/support.ts";

const decoder = new TextDecoder();
const encoder = new TextEncoder();

function sample(): RootState {
  const packages = [
    testPackage({ name: "hello", version: "1.0-1", arch: "amd64", paths: ["usr/bin/hello"] }),
    testPackage({ name: "hello-doc", version: "1.0-1", arch: "all", paths: ["usr/share/doc/hello/ü"] }),
    testPackage({ name: "zed", version: "2:0.1~rc1-1", arch: "arm64", paths: ["usr/bin/zed"] }),
  ];
  const state = testState(testSettings(), packages);
  state.tombstones = [{ key: "deb/pool/main/o/old.deb", due: "2026-01-01T00:00:00.000Z", sha256: "ab" }];
  state.top = {
    key: "deb/dists/stable/InRelease",
    sha256: "cd",
    others: { "deb/dists/stable/Release": "ef" },
  };
  return state;
}

/** The state as a fresh object tree: no record read from stored bytes. */
const fresh = (s: RootState): RootState => {
  const { chunks: _, ...rest } = s;
  return JSON.parse(JSON.stringify(rest)) as RootState;
};

/** A line as JSON.stringify spells the record: the TAB before its index fields taken out. */
const untabbed = (line: string): string => line.replace(/:\t/, ":");

/** A state as stored: its document and chunks. */
interface Stored {
  key: string;
  bytes: Uint8Array;
  chunks: Map<string, Uint8Array>;
}

function store(state: RootState): Stored {
  const { key, bytes, layout } = encodeState(state);
  return { key, bytes, chunks: new Map(layout.writes.map((w) => [w.chunk.key, w.bytes])) };
}

/** Reads a stored state back (its chunks from `stored`, or from `chunks`). */
function read(stored: Stored, root: string, chunks = stored.chunks): RootState {
  return parseState(stored.key, stored.bytes, root, (c) => chunks.get(c.key));
}

/** The text of a state's only chunk. */
function onlyChunk(stored: Stored): string {
  assert.equal(stored.chunks.size, 1);
  return decoder.decode([...stored.chunks.values()][0]);
}

/** A state as versions before chunks wrote it (schema 1): its records inline, one a line, as given. */
function v1Bytes(
  state: RootState,
  lines = state.packages.map((p) => decoder.decode(recordBytesOf(p))),
): Uint8Array {
  const parts: string[] = [];
  for (const [field, value] of Object.entries(state)) {
    if (value === undefined || field === "chunks") continue;
    if (field === "schema") parts.push('"schema":"packyard-state/1"');
    else if (field === "packages") parts.push(`"packages":[\n${lines.join(",\n")}\n]`);
    else parts.push(`${JSON.stringify(field)}:${JSON.stringify(value)}`);
  }
  return encoder.encode(`{${parts.join(",")}}\n`);
}

/** What a schema 1 state reads as: the same, as schema 1. */
const asV1 = (s: RootState): RootState => ({ ...fresh(s), schema: "packyard-state/1" });

test("a state is a compact JSON document listing chunks, each a JSON array of one record a line with its index fields after its one TAB, and reads back equal", () => {
  const state = sample();
  const stored = store(state);
  const doc = decoder.decode(stored.bytes);
  const { packages, ...rest } = JSON.parse(JSON.stringify(state)) as RootState;
  const chunks = [...stored.chunks].map(([key, bytes]) => ({ key, size: bytes.length, count: 3 }));
  // The document: JSON.stringify's text, schema 2, `chunks` in the place of `packages`, and a newline.
  assert.equal(
    doc,
    `${JSON.stringify({ ...rest, schema: "packyard-state/2" }).replace(',"indexes"', `,"chunks":${JSON.stringify(chunks)},"indexes"`)}\n`,
  );
  assert.match(chunks[0]!.key, /^\.packyard\/chunks\/deb\/stable\/[0-9a-f]{64}\.json$/);
  const text = onlyChunk(stored);
  assert.deepEqual(JSON.parse(text), packages);
  const lines = text.split("\n");
  // `[`, one line per record, `]`, and the final newline.
  assert.equal(lines.length, state.packages.length + 3);
  assert.equal(lines[0], "[");
  assert.equal(lines.at(-2), "]");
  for (const [i, p] of state.packages.entries()) {
    const line = lines[i + 1]!;
    assert.equal(line.split("\t").length, 2, "one TAB a line");
    assert.ok(line.includes(',"deb":\t{"control":'), "the TAB opens the index fields");
    assert.equal(untabbed(line), JSON.stringify(p) + (i < state.packages.length - 1 ? "," : ""));
  }
  const parsed = read(stored, state.root);
  assert.deepEqual(parsed.chunks, chunks);
  assert.deepEqual(fresh(parsed), fresh(state));
  assert.equal(parsed.schema, "packyard-state/2");
});

test("a record's index fields are written last, whatever their place in the record", () => {
  const state = sample();
  const [first, ...rest] = state.packages;
  const { deb, ...head } = first!;
  // deb first, then the other fields: written after them.
  const reordered = { deb: deb!, ...head, signedBy: "07962191B2826E8F1D471B0F4D5503A21837F8FD" };
  state.packages = [reordered, ...rest];
  const stored = store(state);
  const line = onlyChunk(stored).split("\n")[1]!;
  assert.ok(line.endsWith(`,"deb":\t${JSON.stringify(deb)}},`), line);
  assert.ok(line.startsWith('{"name":"hello",'), line);
  assert.deepEqual(JSON.parse(line.slice(0, -1)), reordered);
  assert.deepEqual(read(stored, state.root).packages[0], reordered);
});

test("a state read leaves each record's index fields unparsed until read; unread, they are written back as they were", () => {
  const state = sample();
  const first = encodeState(state);
  const stored = store(state);
  const again = read(stored, state.root);
  for (const p of again.packages)
    assert.equal(
      typeof Object.getOwnPropertyDescriptor(p, "deb")?.get,
      "function",
      `${p.name}: not parsed yet`,
    );
  assert.deepEqual(encodeState(again), first);
  // Read: the stanza as written, from then on an ordinary value (parsed once).
  const deb = again.packages[1]!.deb;
  assert.deepEqual(deb, state.packages[1]!.deb);
  assert.equal(Object.getOwnPropertyDescriptor(again.packages[1]!, "deb")?.value, deb);
  assert.equal(again.packages[1]!.deb, deb);
  assert.deepEqual(encodeState(again), first);
  assert.deepEqual(fresh(again), fresh(state));
});

test("assigning a read record's index fields replaces them, and the record is written as it now is", () => {
  const state = sample();
  const again = read(store(state), state.root);
  const changed = again.packages[2]!;
  changed.deb = { control: "Package: zed\nVersion: 2\n" };
  assert.equal(changed.deb.control, "Package: zed\nVersion: 2\n");
  const written = onlyChunk(store(again));
  assert.ok(written.includes('"deb":\t{"control":"Package: zed\\nVersion: 2\\n"}}'), written);
  const expected = fresh(state);
  expected.packages[2]!.deb = { control: "Package: zed\nVersion: 2\n" };
  assert.deepEqual(store(again), store(expected));
});

/** An RPM-MD root's state holding one record whose index fields are `rpm`. */
function rpmState(rpm: unknown): RootState {
  return {
    schema: "packyard-state/2",
    family: "rpm",
    root: "rpm/el/9/x86_64",
    generation: 1,
    date: "2026-12-06T02:03:04.000Z",
    rpm: { target: "el-9", path: "el/9", arch: "x86_64", compression: "gz", changelogLimit: 10, name: "t" },
    packages: [
      {
        name: "hello",
        version: "1.0-1",
        arch: "x86_64",
        key: "rpm/pool/h/hello/hello-1.0-1.x86_64.rpm",
        size: 1,
        digests: { md5: "a", sha1: "b", sha256: "c".repeat(64), sha512: "d" },
        identity: "c",
        added: "2026-12-06T02:03:04.000Z",
        rpm: rpm as RpmIndexInfo,
      },
    ],
    indexes: [],
    tombstones: [],
    top: { key: "rpm/el/9/x86_64/repodata/repomd.xml", sha256: "" },
  };
}

/** `stored` with its only chunk's text changed by `edit` (under the same key). */
function editChunk(stored: Stored, edit: (text: string) => string): Stored {
  const [[key, bytes]] = [...stored.chunks] as [[string, Uint8Array]];
  const changed = encoder.encode(edit(decoder.decode(bytes)));
  const doc = decoder.decode(stored.bytes).replace(`"size":${bytes.length}`, `"size":${changed.length}`);
  return { key: stored.key, bytes: encoder.encode(doc), chunks: new Map([[key, changed]]) };
}

test("index fields that lack what the engine reads, or do not parse, are CORRUPT_STATE when first read, naming the record", () => {
  const root = "rpm/el/9/x86_64";
  const bad = store(rpmState({ deps: 1, files: [], changelog: [] }));
  const again = read(bad, root);
  assert.throws(
    () => again.packages[0]!.rpm,
    (e: unknown) =>
      isRepoError(e) &&
      e.code === "CORRUPT_STATE" &&
      e.message.includes("hello 1.0-1 x86_64") &&
      e.message.includes("{ deps, files, changelog, ... }"),
  );
  // Without the TAB (as earlier versions wrote records), the chunk is checked whole when read, and so is
  // a schema 1 state.
  assert.throws(
    () =>
      read(
        editChunk(bad, (t) => t.replace("\t", "")),
        root,
      ),
    { code: "CORRUPT_STATE" },
  );
  const state = rpmState({ deps: 1, files: [], changelog: [] });
  const [line] = state.packages.map((p) => untabbed(decoder.decode(recordBytesOf(p))));
  assert.throws(() => parseState("k", v1Bytes(state, [line!]), root), { code: "CORRUPT_STATE" });
  // Index fields that are not JSON: read, and CORRUPT_STATE once they are.
  const good = store(rpmState({ deps: {}, files: [], changelog: [] }));
  const read2 = read(
    editChunk(good, (t) => t.replace('"files":[]', '"files":]')),
    root,
  );
  assert.equal(read2.packages[0]!.name, "hello");
  assert.throws(
    () => read2.packages[0]!.rpm,
    (e: unknown) =>
      isRepoError(e) && e.code === "CORRUPT_STATE" && e.message.includes("index fields as JSON"),
  );
  assert.deepEqual(read(good, root).packages[0]!.rpm, { deps: {}, files: [], changelog: [] });
});

test("an empty package list is no chunk; absent fields are left out as JSON.stringify leaves them", () => {
  const state = testState(testSettings(), []);
  (state as unknown as Record<string, unknown>).retired = undefined;
  const stored = store(state);
  assert.equal(stored.chunks.size, 0);
  const { packages: _, ...rest } = state;
  assert.equal(
    decoder.decode(stored.bytes),
    `${JSON.stringify(rest).replace(',"indexes"', ',"chunks":[],"indexes"')}\n`,
  );
  assert.deepEqual(read(stored, state.root).packages, []);
});

test("records carried over from a read state are copied; new and changed ones encoded; same bytes either way", () => {
  const state = sample();
  const first = store(state);
  const again = read(first, state.root);
  // Written again unchanged: the same bytes and key.
  assert.deepEqual(store(again), first);
  // One record added, one replaced by a changed copy, one carried over: the bytes are those of a state
  // built from scratch (no record read from storage).
  const added = testPackage({ name: "new", version: "1", arch: "amd64", paths: ["usr/bin/new"] }).record;
  const changed = { ...again.packages[1]!, size: again.packages[1]!.size + 1 };
  const next: RootState = {
    ...again,
    generation: 2,
    packages: [again.packages[0]!, changed, again.packages[2]!, added],
  };
  const encoded = store(next);
  assert.deepEqual(encoded, store(fresh(next)));
  assert.ok(onlyChunk(encoded).includes(`"size":${changed.size}`));
});

/** `n` records in name order, their digests those of distinct bytes. */
function manyRecords(n: number, prefix = "p"): PackageRecord[] {
  return Array.from(
    { length: n },
    (_, i) =>
      testPackage({ name: `${prefix}${String(i).padStart(5, "0")}`, version: "1.0-1", arch: "amd64" }).record,
  ).sort((a, b) => (a.name < b.name ? -1 : 1));
}

test("chunks are cut by the records alone: one record more or less changes one chunk (two where it moves a cut), the rest are kept unencoded", () => {
  const root = "deb/stable";
  const state = testState(testSettings(), []);
  state.packages = manyRecords(2000);
  const first = store(state);
  const chunks = JSON.parse(decoder.decode(first.bytes)).chunks as { key: string; count: number }[];
  // 64 records at least, 2,048 at most, a few hundred on average.
  assert.ok(chunks.length >= 3 && chunks.length <= 31, `${chunks.length} chunks`);
  assert.equal(
    chunks.reduce((n, c) => n + c.count, 0),
    2000,
  );
  assert.ok(chunks.slice(0, -1).every((c) => c.count >= 64 && c.count <= 2048));
  const loaded = read(first, root);
  const held = new Set(chunks.map((c) => c.key));
  // Unchanged: every chunk kept, nothing encoded or written.
  const same = layoutChunks(root, loaded.packages, held);
  assert.deepEqual(
    same.chunks.map((c) => c.key),
    chunks.map((c) => c.key),
  );
  assert.deepEqual(
    same.writes.map((w) => w.chunk.key),
    [],
  );
  for (const at of [0, 1000, 1999]) {
    // One record added (in name order), one removed.
    const extra = manyRecords(1, `p0${String(at).padStart(4, "0")}x`)[0]!;
    const added = [...loaded.packages.slice(0, at + 1), extra, ...loaded.packages.slice(at + 1)];
    const removed = loaded.packages.filter((_, i) => i !== at);
    for (const packages of [added, removed]) {
      const next = layoutChunks(root, packages, held);
      assert.ok(next.writes.length >= 1 && next.writes.length <= 2, `${next.writes.length} chunks written`);
      const kept = next.chunks.filter((c) => held.has(c.key));
      assert.ok(kept.length >= chunks.length - 2, `${kept.length} of ${chunks.length} kept`);
      // The same chunks as a layout of fresh records, which encodes them all.
      const all = layoutChunks(
        root,
        packages.map((p) => JSON.parse(JSON.stringify(p)) as PackageRecord),
      );
      assert.deepEqual(
        next.chunks.map((c) => c.key),
        all.chunks.map((c) => c.key),
      );
      assert.equal(all.writes.length, all.chunks.length);
    }
  }
  // Kept means not encoded again: a record changed in place (which the engine never does) goes unseen
  // while its chunk is held, and is written once it is not.
  const inPlace = read(first, root);
  inPlace.packages[5]!.deb = { control: "Package: changed\n" };
  assert.deepEqual(
    layoutChunks(root, inPlace.packages, held).writes.map((w) => w.chunk.key),
    [],
  );
  const unheld = layoutChunks(root, inPlace.packages);
  assert.notEqual(unheld.chunks[0]!.key, chunks[0]!.key);
  assert.deepEqual(
    unheld.chunks.slice(1).map((c) => c.key),
    chunks.slice(1).map((c) => c.key),
  );
  // A chunk not held (the previous state does not list it) is written again, though read from storage.
  const partly = layoutChunks(root, loaded.packages, new Set(chunks.slice(1).map((c) => c.key)));
  assert.deepEqual(
    partly.writes.map((w) => w.chunk.key),
    [chunks[0]!.key],
  );
  assert.deepEqual(partly.writes[0]!.bytes, first.chunks.get(chunks[0]!.key));
});

test("a chunk missing, of another size or record count, or not a list of records is CORRUPT_STATE naming the chunk; readState reads a state with its chunks, partial ones without the missing", async () => {
  const state = testState(testSettings(), []);
  state.packages = manyRecords(600);
  const stored = store(state);
  const [firstKey, secondKey] = [...stored.chunks.keys()];
  assert.ok(secondKey !== undefined, "several chunks");
  const without = new Map(stored.chunks);
  without.delete(secondKey);
  const named = (key: string) => (e: unknown) =>
    isRepoError(e) && e.code === "CORRUPT_STATE" && e.message.startsWith(`${key}: `);
  assert.throws(() => read(stored, state.root, without), named(secondKey));
  const shorter = new Map(stored.chunks);
  shorter.set(firstKey!, stored.chunks.get(firstKey!)!.subarray(0, -1));
  assert.throws(() => read(stored, state.root, shorter), named(firstKey!));
  // Same size, one record fewer: a record's line blanked out with spaces.
  const text = decoder.decode(stored.chunks.get(firstKey!));
  const lines = text.split("\n");
  const fewer = `${lines[0]}\n${" ".repeat(lines[1]!.length)}${lines.slice(2).join("\n")}`;
  assert.equal(encoder.encode(fewer).length + 1, stored.chunks.get(firstKey!)!.length);
  const counted = new Map(stored.chunks);
  counted.set(firstKey!, encoder.encode(`${fewer} `));
  assert.throws(() => read(stored, state.root, counted), named(firstKey!));
  const notList = new Map(stored.chunks);
  notList.set(firstKey!, encoder.encode(`{${" ".repeat(stored.chunks.get(firstKey!)!.length - 2)}}`));
  assert.throws(() => read(stored, state.root, notList), named(firstKey!));
  // A document whose chunk list is not one: named by the document.
  const odd = encoder.encode(decoder.decode(stored.bytes).replace('"chunks":[', '"chunks":[7,'));
  assert.throws(
    () => parseState("doc", odd, state.root, (c) => stored.chunks.get(c.key)),
    (e: unknown) => isRepoError(e) && e.code === "CORRUPT_STATE" && e.message.startsWith("doc chunks[0]: "),
  );

  const storage = memoryStorage();
  await storage.put(stored.key, stored.bytes);
  for (const [key, bytes] of without) await storage.put(key, bytes);
  await assert.rejects(readState(storage, stored.key, state.root), named(secondKey));
  const partial = await readState(storage, stored.key, state.root, true);
  const missing = JSON.parse(decoder.decode(stored.bytes)).chunks[1].count as number;
  assert.equal(partial!.packages.length, 600 - missing);
  assert.equal(partial!.chunks!.length, stored.chunks.size);
  await storage.put(secondKey, stored.chunks.get(secondKey)!);
  assert.deepEqual(fresh((await readState(storage, stored.key, state.root))!), fresh(state));
  assert.equal(await readState(storage, "no/such/state.json", state.root), undefined);
});

test("a schema 1 state (records inline) reads the same, and is written as schema 2 with all its chunks", () => {
  const state = sample();
  for (const bytes of [
    // Two-space indented, as the first versions wrote it.
    encoder.encode(`${JSON.stringify({ ...fresh(state), schema: "packyard-state/1" }, null, 2)}\n`),
    // Compact, one record a line, with and without the TABs.
    v1Bytes(state),
    v1Bytes(
      state,
      state.packages.map((p) => untabbed(decoder.decode(recordBytesOf(p)))),
    ),
  ]) {
    const old = parseState("old", bytes, state.root);
    assert.deepEqual(old, asV1(state));
    assert.equal(old.chunks, undefined);
    const again = store({ ...old, generation: 2 });
    assert.deepEqual(again, store({ ...fresh(state), generation: 2 }));
    assert.equal(JSON.parse(decoder.decode(again.bytes)).schema, "packyard-state/2");
  }
});

test("compact text whose lines are not one record each is read, and its records encoded afresh", () => {
  const state = sample();
  // The records as a state stores them (each with its TAB), and as earlier versions did (without).
  const [a, b, c] = state.packages.map((p) => decoder.decode(recordBytesOf(p))) as [string, string, string];
  // Two records on the first line, the third alone: the line count matches nothing.
  const read1 = parseState("odd", v1Bytes(state, [`${a},${b}`, c]), state.root);
  assert.deepEqual(read1, asV1(state));
  assert.deepEqual(store(read1), store(fresh(state)));
  // Records split over lines by whitespace JSON allows: read, and encoded afresh.
  const read2 = parseState("spread", v1Bytes(state, [a, b.replace(",", ",\n"), c]), state.root);
  assert.deepEqual(store(read2), store(fresh(state)));
  // A line without its TAB (a record as earlier versions wrote it): every record read whole, and written
  // again with its TAB.
  const read3 = parseState("old", v1Bytes(state, [a, untabbed(b), c]), state.root);
  for (const p of read3.packages) assert.ok("value" in Object.getOwnPropertyDescriptor(p, "deb")!);
  assert.deepEqual(read3, asV1(state));
  assert.deepEqual(store(read3), store(fresh(state)));
  // The same in a chunk.
  const stored = store(state);
  const spread = read(
    editChunk(stored, (t) => t.replace(",\n{", ",{")),
    state.root,
  );
  assert.deepEqual(fresh(spread), fresh(state));
  assert.deepEqual(store(spread), stored);
});

test("a state's bytes must be UTF-8: invalid bytes are CORRUPT_STATE, U+FFFD and a byte order mark read", () => {
  const state = sample();
  const stored = store(state);
  const bytes = stored.bytes;
  // An invalid byte (0xff) inside a string value, in the document and in a chunk.
  const text = decoder.decode(bytes);
  const at = encoder.encode(text.slice(0, text.indexOf('"stable"') + 2)).length;
  const bad = bytes.slice();
  bad[at] = 0xff;
  assert.throws(() => read({ ...stored, bytes: bad }, state.root), { code: "CORRUPT_STATE" });
  const [[key, chunk]] = [...stored.chunks] as [[string, Uint8Array]];
  const badChunk = chunk.slice();
  badChunk[chunk.indexOf(0x22) + 1] = 0xff;
  assert.throws(() => read(stored, state.root, new Map([[key, badChunk]])), { code: "CORRUPT_STATE" });
  // U+FFFD itself is a character like any other; a leading byte order mark is not part of the text.
  const withReplacement = { ...fresh(state), apt: { ...state.apt!, origin: "Packyard \uFFFD" } };
  assert.equal(read(store(withReplacement), state.root).apt!.origin, "Packyard \uFFFD");
  const bom = new Uint8Array([0xef, 0xbb, 0xbf, ...bytes]);
  assert.deepEqual(fresh(read({ ...stored, bytes: bom }, state.root)), fresh(read(stored, state.root)));
  const stateBom = stateBytes(state);
  assert.deepEqual(stateBom, bytes);
});

test("a chunk list entry is read as this version writes it; a bad chunk key, or chunks in a schema 1 state, are CORRUPT_STATE", () => {
  const state = sample();
  const stored = store(state);
  const doc = decoder.decode(stored.bytes);
  const [chunk] = JSON.parse(doc).chunks as { key: string; size: number; count: number }[];
  // Another key order and a field this version does not know: read as { key, size, count }.
  const reordered = doc.replace(
    JSON.stringify(chunk),
    JSON.stringify({ count: chunk!.count, future: 1, size: chunk!.size, key: chunk!.key }),
  );
  const again = read({ ...stored, bytes: encoder.encode(reordered) }, state.root);
  assert.deepEqual(again.chunks, [chunk]);
  assert.deepEqual(store(again).bytes, stored.bytes);
  const named = (e: unknown) =>
    isRepoError(e) && e.code === "CORRUPT_STATE" && e.message.startsWith("doc chunks[0]: ");
  for (const key of [".packyard/chunks/deb/stable/", ".packyard/chunks/deb/stable/../../x.json"]) {
    const bad = encoder.encode(doc.replace(chunk!.key, key));
    assert.throws(() => parseState("doc", bad, state.root, () => undefined), named);
  }
  const v1 = decoder
    .decode(v1Bytes(state))
    .replace('"indexes"', `"chunks":[${JSON.stringify(chunk)}],"indexes"`);
  assert.throws(() => parseState("v1", encoder.encode(v1), state.root), {
    code: "CORRUPT_STATE",
    message: /^v1: expected no chunks in a packyard-state\/1 state/,
  });
});

test("loadRoot passes over a state whose publish stopped before its chunks though its top file matches the live one, and reports it abandoned; the pointer's state missing a chunk is CORRUPT_STATE", async () => {
  const root = "deb/stable";
  const top = encoder.encode("the live top file\n");
  const topSha = createHash("sha256").update(top).digest("hex");
  const storage = memoryStorage();
  await storage.put("deb/dists/stable/InRelease", top);
  const complete = testState(testSettings(), []);
  complete.packages = manyRecords(300);
  complete.top = { key: "deb/dists/stable/InRelease", sha256: topSha };
  const a = store(complete);
  await storage.put(a.key, a.bytes);
  for (const [key, bytes] of a.chunks) await storage.put(key, bytes);
  // A later state with the same top file (a pacman database carries no date), its document written and
  // none of its chunks that differ.
  const stopped: RootState = { ...complete, generation: 2, packages: manyRecords(301) };
  const b = store(stopped);
  await storage.put(b.key, b.bytes);
  for (const [key, bytes] of b.chunks) if (a.chunks.has(key)) await storage.put(key, bytes);
  assert.ok(
    [...b.chunks.keys()].some((k) => !a.chunks.has(k)),
    "a chunk of the later state is missing",
  );
  const loaded = await loadRoot(storage, root);
  assert.equal(loaded!.key, a.key);
  assert.equal(loaded!.state.packages.length, 300);
  assert.equal(loaded!.stale, true);
  assert.deepEqual(loaded!.abandoned, [b.key]);
  assert.equal(loaded!.maxGeneration, 2);
  // With a pointer naming the later state (so it was complete once), its missing chunk is damage.
  await storage.put(`.packyard/roots/${root}.json`, encodePointer(root, b.key, stopped));
  await assert.rejects(loadRoot(storage, root), { code: "CORRUPT_STATE" });
  // Without the complete state, the stopped one is all there is: damage too, naming the chunk.
  await storage.delete(`.packyard/roots/${root}.json`);
  await storage.delete(a.key);
  await assert.rejects(
    loadRoot(storage, root),
    (e: unknown) =>
      isRepoError(e) && e.code === "CORRUPT_STATE" && e.message.startsWith(".packyard/chunks/deb/stable/"),
  );
});
