/** text/deb822: Description folding, and the strict one-stanza parser's rules and error offsets. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { FormatError, SpecError } from "../../src/errors.ts";
import {
  foldDescription,
  getField,
  parseStanza,
  singleLineField,
  unfoldDescription,
} from "../../src/text/index.ts";

test("Description folding round-trips through the parser", () => {
  const folded = foldDescription("short", "line one  \n\n\nline two\n\n");
  assert.equal(folded, "Description: short\n line one\n .\n .\n line two\n");
  const value = parseStanza(folded, "x").get("Description")!;
  assert.deepEqual(unfoldDescription(value), { synopsis: "short", extended: "line one\n\n\nline two" });
});

test("parseStanza: continuation lines joined, names kept as written, lookup case-insensitive", () => {
  const s = parseStanza("Package: foo\nDepends: a,\n b\nX-Custom:  spaced  \n", "control");
  assert.deepEqual([...s.keys()], ["Package", "Depends", "X-Custom"]);
  assert.equal(getField(s, "depends"), "a,\nb");
  assert.equal(getField(s, "x-custom"), "spaced");
  assert.equal(getField(s, "Version"), undefined);
});

test("parseStanza: duplicate fields, a second stanza and a missing final newline are errors with offsets", () => {
  const code = (text: string, base = 0) => {
    try {
      parseStanza(text, "control", base);
    } catch (e) {
      assert.ok(e instanceof FormatError);
      return [e.code, e.data.offset];
    }
    return undefined;
  };
  assert.deepEqual(code("A: 1\na: 2\n"), ["DUPLICATE_KEY", 5]);
  assert.deepEqual(code("A: 1\n\nB: 2\n", 100), ["BAD_HEADER", 105]);
  assert.deepEqual(code("A: 1"), ["BAD_HEADER", 4]);
  assert.deepEqual(code(" x\n"), ["BAD_HEADER", 0]);
  assert.equal(code("A: 1\n\n\n"), undefined);
});

test("singleLineField refuses a line break", () => {
  assert.equal(singleLineField("Section", " utils ", "section"), "Section: utils\n");
  assert.throws(() => singleLineField("Section", "a\nb", "section"), SpecError);
});
