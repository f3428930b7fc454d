// The stored state's bytes (issue 18): compact JSON with one package record a line, its index fields last
// after the line's one TAB; records carried over from the state read copied as they were, their index fields
// parsed only when read; states written by earlier versions (two-space indented, or compact without the
// TAB) read as before and written in the current form at their next commit.
import assert from "node:assert/strict";
import { test } from "node:test";
import { encodeState, parseState, stateBytes } from "../../src/publish/state-io.ts";
import { isRepoError } from "../../src/errors.ts";
import type { RootState, RpmIndexInfo } from "../../src/publish/state.ts";
import { testPackage, testSettings, testState } from "../apt/support.ts";

const decoder = new TextDecoder();

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
const fresh = (s: RootState): RootState => JSON.parse(JSON.stringify(s)) as RootState;

/** A line as JSON.stringify spells the record: the TAB before its index fields taken out. */
const untabbed = (line: string): string => line.replace(/:\t/, ":");

test("a state is compact JSON, one package record a line with its index fields after its one TAB, and reads back equal", () => {
  const state = sample();
  const bytes = stateBytes(state);
  const text = decoder.decode(bytes);
  assert.deepEqual(JSON.parse(text), JSON.parse(JSON.stringify(state)));
  const lines = text.split("\n");
  // `{…"packages":[`, one line per record, `],…}`, and the final newline.
  assert.equal(lines.length, state.packages.length + 3);
  for (const [i, p] of state.packages.entries()) {
    const line = lines[i + 1]!;
    assert.equal(line.split("\t").length, 2, "one TAB a line");
    assert.ok(line.includes(',"deb":\t{"control":'), "the TAB opens the index fields");
    assert.equal(untabbed(line), JSON.stringify(p) + (i < state.packages.length - 1 ? "," : ""));
  }
  assert.ok(lines[0]!.startsWith('{"schema":"packyard-state/1",') && lines[0]!.endsWith('"packages":['));
  assert.ok(lines.at(-2)!.startsWith('],"indexes":[]') && lines.at(-1) === "");
  // Outside the records, no whitespace: the text is JSON.stringify's but for the newlines and TABs.
  assert.equal(text.replaceAll("\n", "").replaceAll("\t", ""), `${JSON.stringify(state)}`);
  const parsed = parseState("k", bytes, state.root);
  assert.deepEqual(parsed, JSON.parse(JSON.stringify(state)));
});

test("a record's index fields are written last, whatever their place in the record", () => {
  const state = sample();
  const [first, ...rest] = state.packages;
  const { deb, ...head } = first!;
  // deb first, then the other fields: written after them.
  const reordered = { deb: deb!, ...head, signedBy: "07962191B2826E8F1D471B0F4D5503A21837F8FD" };
  state.packages = [reordered, ...rest];
  const line = decoder.decode(stateBytes(state)).split("\n")[1]!;
  assert.ok(line.endsWith(`,"deb":\t${JSON.stringify(deb)}},`), line);
  assert.ok(line.startsWith('{"name":"hello",'), line);
  assert.deepEqual(JSON.parse(line.slice(0, -1)), reordered);
  const read = parseState("k", stateBytes(state), state.root);
  assert.deepEqual(read.packages[0], reordered);
});

test("a state read leaves each record's index fields unparsed until read; unread, they are written back as they were", () => {
  const state = sample();
  const first = encodeState(state);
  const read = parseState(first.key, first.bytes, state.root);
  for (const p of read.packages)
    assert.equal(
      typeof Object.getOwnPropertyDescriptor(p, "deb")?.get,
      "function",
      `${p.name}: not parsed yet`,
    );
  assert.deepEqual(encodeState(read), first);
  // Read: the stanza as written, from then on an ordinary value (parsed once).
  const deb = read.packages[1]!.deb;
  assert.deepEqual(deb, state.packages[1]!.deb);
  assert.equal(Object.getOwnPropertyDescriptor(read.packages[1]!, "deb")?.value, deb);
  assert.equal(read.packages[1]!.deb, deb);
  assert.deepEqual(encodeState(read), first);
  assert.deepEqual(read, fresh(state));
});

test("assigning a read record's index fields replaces them, and the record is written as it now is", () => {
  const state = sample();
  const read = parseState("k", stateBytes(state), state.root);
  const changed = read.packages[2]!;
  changed.deb = { control: "Package: zed\nVersion: 2\n" };
  assert.equal(changed.deb.control, "Package: zed\nVersion: 2\n");
  const written = decoder.decode(stateBytes(read));
  assert.ok(written.includes('"deb":\t{"control":"Package: zed\\nVersion: 2\\n"}}'), written);
  const expected = fresh(state);
  expected.packages[2]!.deb = { control: "Package: zed\nVersion: 2\n" };
  assert.deepEqual(stateBytes(read), stateBytes(expected));
});

/** An RPM-MD root's state holding one record whose index fields are `rpm`. */
function rpmState(rpm: unknown): RootState {
  return {
    schema: "packyard-state/1",
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
        digests: { md5: "a", sha1: "b", sha256: "c", sha512: "d" },
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

test("index fields that lack what the engine reads, or do not parse, are CORRUPT_STATE when first read, naming the record", () => {
  const bad = stateBytes(rpmState({ deps: 1, files: [], changelog: [] }));
  const read = parseState("k", bad, "rpm/el/9/x86_64");
  assert.throws(
    () => read.packages[0]!.rpm,
    (e: unknown) =>
      isRepoError(e) &&
      e.code === "CORRUPT_STATE" &&
      e.message.includes("hello 1.0-1 x86_64") &&
      e.message.includes("{ deps, files, changelog, ... }"),
  );
  // Without the TAB (as earlier versions wrote records), the state is checked whole when read.
  const untabbedBad = new TextEncoder().encode(decoder.decode(bad).replace("\t", ""));
  assert.throws(() => parseState("k", untabbedBad, "rpm/el/9/x86_64"), { code: "CORRUPT_STATE" });
  // Index fields that are not JSON: read, and CORRUPT_STATE once they are.
  const good = decoder.decode(stateBytes(rpmState({ deps: {}, files: [], changelog: [] })));
  const broken = new TextEncoder().encode(good.replace('"files":[]', '"files":]'));
  const read2 = parseState("k", broken, "rpm/el/9/x86_64");
  assert.equal(read2.packages[0]!.name, "hello");
  assert.throws(
    () => read2.packages[0]!.rpm,
    (e: unknown) =>
      isRepoError(e) && e.code === "CORRUPT_STATE" && e.message.includes("index fields as JSON"),
  );
  assert.deepEqual(parseState("k", new TextEncoder().encode(good), "rpm/el/9/x86_64").packages[0]!.rpm, {
    deps: {},
    files: [],
    changelog: [],
  });
});

test("an empty package list and absent fields are written as JSON.stringify writes them", () => {
  const state = testState(testSettings(), []);
  (state as unknown as Record<string, unknown>).retired = undefined;
  assert.equal(decoder.decode(stateBytes(state)), `${JSON.stringify(state)}\n`);
});

test("records carried over from a read state are copied; new and changed ones encoded; same bytes either way", () => {
  const state = sample();
  const first = encodeState(state);
  const read = parseState(first.key, first.bytes, state.root);
  // Written again unchanged: the same bytes and key.
  assert.deepEqual(encodeState(read), first);
  // One record added, one replaced by a changed copy, one carried over: the bytes are those of a state
  // built from scratch (no record read from storage).
  const added = testPackage({ name: "new", version: "1", arch: "amd64", paths: ["usr/bin/new"] }).record;
  const changed = { ...read.packages[1]!, size: read.packages[1]!.size + 1 };
  const next: RootState = {
    ...read,
    generation: 2,
    packages: [read.packages[0]!, changed, read.packages[2]!, added],
  };
  const encoded = encodeState(next);
  assert.deepEqual(encoded, encodeState(fresh(next)));
  assert.ok(decoder.decode(encoded.bytes).includes(`"size":${changed.size}`));
});

test("a state written two-space indented by an earlier version reads the same and is written compact", () => {
  const state = sample();
  const old = new TextEncoder().encode(`${JSON.stringify(state, null, 2)}\n`);
  const read = parseState("old", old, state.root);
  assert.deepEqual(read, JSON.parse(JSON.stringify(state)));
  const again = encodeState({ ...read, generation: 2 });
  assert.deepEqual(again, encodeState({ ...fresh(state), generation: 2 }));
  assert.ok(!decoder.decode(again.bytes).includes("\n  "), "no indentation left");
});

test("compact text whose lines are not one record each is read, and its records encoded afresh", () => {
  const state = sample();
  // The records as a state stores them (each with its TAB), and as earlier versions did (without).
  const stored = decoder.decode(stateBytes(state)).split("\n");
  const [a, b, c] = stored.slice(1, 4).map((l) => l.replace(/,$/, "")) as [string, string, string];
  const head = stored[0]!;
  const tail = stored.at(-2)!;
  // Two records on the first line, the third alone: the line count matches nothing.
  const odd = new TextEncoder().encode(`${head}\n${a},${b},\n${c}\n${tail}\n`);
  const read = parseState("odd", odd, state.root);
  assert.deepEqual(read, JSON.parse(JSON.stringify(state)));
  assert.deepEqual(encodeState(read), encodeState(fresh(state)));
  // Records split over lines by whitespace JSON allows: read, and encoded afresh.
  const spread = new TextEncoder().encode(`${head}\n${a},\n${b.replace(",", ",\n")},\n${c}\n${tail}\n`);
  const read2 = parseState("spread", spread, state.root);
  assert.deepEqual(encodeState(read2), encodeState(fresh(state)));
  // A line without its TAB (a record as earlier versions wrote it): every record read whole, and written
  // again with its TAB.
  const old = new TextEncoder().encode(`${head}\n${a},\n${untabbed(b)},\n${c}\n${tail}\n`);
  const read3 = parseState("old", old, state.root);
  for (const p of read3.packages) assert.ok("value" in Object.getOwnPropertyDescriptor(p, "deb")!);
  assert.deepEqual(read3, JSON.parse(JSON.stringify(state)));
  assert.deepEqual(encodeState(read3), encodeState(fresh(state)));
});

test("a state's bytes must be UTF-8: invalid bytes are CORRUPT_STATE, U+FFFD and a byte order mark read", () => {
  const state = sample();
  const bytes = stateBytes(state);
  // An invalid byte (0xff) inside a string value.
  const text = decoder.decode(bytes);
  const at = new TextEncoder().encode(text.slice(0, text.indexOf('"stable"') + 2)).length;
  const bad = bytes.slice();
  bad[at] = 0xff;
  assert.throws(() => parseState("bad", bad, state.root), { code: "CORRUPT_STATE" });
  // U+FFFD itself is a character like any other; a leading byte order mark is not part of the text.
  const withReplacement = { ...fresh(state), apt: { ...state.apt!, origin: "Packyard \uFFFD" } };
  assert.equal(parseState("r", stateBytes(withReplacement), state.root).apt!.origin, "Packyard \uFFFD");
  const bom = new Uint8Array([0xef, 0xbb, 0xbf, ...bytes]);
  assert.deepEqual(parseState("bom", bom, state.root), parseState("plain", bytes, state.root));
});
