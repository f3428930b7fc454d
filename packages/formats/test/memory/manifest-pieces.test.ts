/**
 * The build writes packyard-build.json in pieces (serializeBuildManifestPieces) so that a package of
 * tens of thousands of files never holds its manifest as one string. The pieces must make exactly the
 * text of serializeBuildManifest (JSON.stringify with a two-space indent), which parseBuildManifest
 * reads: checked against JSON.stringify itself, the independent reference, on arbitrary JSON values and
 * on the awkward ones (byte arrays, undefined, empty containers, toJSON, escapes, deep nesting).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  BUILD_MANIFEST_SCHEMA,
  type BuildManifest,
  serializeBuildManifest,
  serializeBuildManifestPieces,
} from "../../src/build/manifest.ts";

function joined(m: BuildManifest): { text: string; largest: number } {
  const decoder = new TextDecoder();
  let text = "";
  let largest = 0;
  for (const piece of serializeBuildManifestPieces(m)) {
    largest = Math.max(largest, piece.length);
    text += decoder.decode(piece);
  }
  return { text, largest };
}

function manifest(info: unknown, extra: Record<string, unknown> = {}): BuildManifest {
  return {
    schema: BUILD_MANIFEST_SCHEMA,
    name: "memtest",
    version: "1.0.0",
    date: 1704067200,
    artifacts: [
      {
        file: "a.deb",
        packager: "deb",
        kind: "package",
        size: 1,
        sha256: "00",
        info: info as never,
        ...extra,
      },
      { file: "SHA256SUMS", packager: "checksums", kind: "checksums", size: 2, sha256: "11" },
    ],
  };
}

test("the pieces make JSON.stringify's text for arbitrary JSON in a package's info", () => {
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 8 }), (info) => {
      const m = manifest(info);
      assert.equal(joined(m).text, `${JSON.stringify(m, null, 2)}\n`);
    }),
    { numRuns: 300 },
  );
});

test("the pieces make serializeBuildManifest's text: byte arrays, undefined, empty containers, toJSON, escapes", () => {
  const files = Array.from({ length: 3000 }, (_, i) => ({
    path: `/opt/d${i % 7}/f${i}\n"é\u2028.txt`,
    size: i,
    mode: 0o644,
    digest: i % 3 === 0 ? undefined : { sha256: "ab".repeat(32) },
    empty: i % 5 === 0 ? [] : {},
    fn: () => 1,
    list: [undefined, () => 2, Symbol("s"), Number.NaN, -0, [[], [[1]]]],
  }));
  const m = manifest(
    {
      name: "x",
      files,
      signature: new Uint8Array([1, 2, 3, 250]),
      when: new Date(0),
      nested: { a: [{ b: [{ c: [{ d: [1, { e: new Uint8Array(0) }] }] }] }] },
      // Records and lists of primitives only (written directly, not through JSON.stringify): what JSON
      // leaves out of an object (undefined, functions, symbols) is left out, and written as null in a list.
      records: Array.from({ length: 50 }, (_, i) => ({
        path: `/usr/lib/x${i}\t"ü"`,
        size: i,
        fn: () => 1,
        sym: Symbol("s"),
        u: undefined,
        nan: Number.NaN,
        zero: -0,
        yes: i % 2 === 0,
        none: null,
      })),
      lists: [[undefined, () => 2, Symbol("t"), 1, "x", null], [], [undefined]],
      onlySkipped: [{ fn: () => 3, u: undefined }],
      nothing: undefined,
      emptyArray: [],
      emptyObject: {},
    },
    { signs: undefined },
  );
  const { text, largest } = joined(m);
  assert.equal(text, serializeBuildManifest(m));
  assert.ok(text.length > 1024 * 1024, `a large manifest (${text.length} characters)`);
  // pieces of about 64 KiB: the largest is one file record over it
  assert.ok(largest < 80 * 1024, `largest piece ${largest} bytes`);
  // byte arrays as the replacer writes them (base64 of 01 02 03 fa)
  assert.deepEqual(JSON.parse(text).artifacts[0].info.signature, { base64: "AQID+g==" });
});
