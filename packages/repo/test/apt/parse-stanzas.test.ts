/** @packyard/formats/text parseStanzas (added for the Packages reader of the verifier): splitting and offsets. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { FormatError } from "@packyard/formats";
import { parseStanzas } from "@packyard/formats/text";

test("parseStanzas: stanzas split at blank lines, runs and ends of blank lines allowed", () => {
  const stanzas = parseStanzas("\n\nPackage: a\nDescription: x\n y\n\n\n \nPackage: b\n\n", "Packages");
  assert.deepEqual(
    stanzas.map((s) => [...s]),
    [
      [
        ["Package", "a"],
        ["Description", "x\ny"],
      ],
      [["Package", "b"]],
    ],
  );
  assert.deepEqual(parseStanzas("", "Packages"), []);
  assert.deepEqual(parseStanzas("\n\n", "Packages"), []);
});

test("parseStanzas: errors carry the byte offset in the whole text", () => {
  const offsetOf = (text: string) => {
    try {
      parseStanzas(text, "Packages");
    } catch (e) {
      assert.ok(e instanceof FormatError);
      return [e.code, e.data.offset];
    }
    return undefined;
  };
  assert.deepEqual(offsetOf("Package: é\n\nPackage: b\nPackage: c\n"), ["DUPLICATE_KEY", 24]);
  assert.deepEqual(offsetOf("Package: a\n\nno colon\n"), ["BAD_HEADER", 12]);
  assert.deepEqual(offsetOf("Package: a\n\nPackage: b"), ["BAD_HEADER", 22]);
});
