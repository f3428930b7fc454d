// The stored state's bytes (issue 18): compact JSON with one package record a line, records carried over
// from the state read copied as they were, and states written by earlier versions (two-space indented)
// read as before and written in the compact form at their next commit.
import assert from "node:assert/strict";
import { test } from "node:test";
import { encodeState, parseState, stateBytes } from "../../src/publish/state-io.ts";
import type { RootState } from "../../src/publish/state.ts";
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

test("a state is compact JSON with one package record a line, and reads back equal", () => {
  const state = sample();
  const bytes = stateBytes(state);
  const text = decoder.decode(bytes);
  assert.deepEqual(JSON.parse(text), JSON.parse(JSON.stringify(state)));
  const lines = text.split("\n");
  // `{…"packages":[`, one line per record, `],…}`, and the final newline.
  assert.equal(lines.length, state.packages.length + 3);
  for (const [i, p] of state.packages.entries())
    assert.equal(lines[i + 1], JSON.stringify(p) + (i < state.packages.length - 1 ? "," : ""));
  assert.ok(lines[0]!.startsWith('{"schema":"packyard-state/1",') && lines[0]!.endsWith('"packages":['));
  assert.ok(lines.at(-2)!.startsWith('],"indexes":[]') && lines.at(-1) === "");
  // Outside the records, no whitespace: the text is JSON.stringify's but for the newlines around records.
  assert.equal(text.replaceAll("\n", ""), `${JSON.stringify(state)}`);
  const parsed = parseState("k", bytes, state.root);
  assert.deepEqual(parsed, JSON.parse(JSON.stringify(state)));
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
  const [a, b, c] = state.packages.map((p) => JSON.stringify(p)) as [string, string, string];
  const head = decoder.decode(stateBytes(state)).split("\n")[0]!;
  const tail = decoder.decode(stateBytes(state)).split("\n").at(-2)!;
  // Two records on the first line, the third alone: the line count matches nothing.
  const odd = new TextEncoder().encode(`${head}\n${a},${b},\n${c}\n${tail}\n`);
  const read = parseState("odd", odd, state.root);
  assert.deepEqual(read, JSON.parse(JSON.stringify(state)));
  assert.deepEqual(encodeState(read), encodeState(fresh(state)));
  // Records split over lines by whitespace JSON allows: read, and encoded afresh.
  const spread = new TextEncoder().encode(`${head}\n${a},\n${b.replace(",", ",\n")},\n${c}\n${tail}\n`);
  const read2 = parseState("spread", spread, state.root);
  assert.deepEqual(encodeState(read2), encodeState(fresh(state)));
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
