/**
 * apkIndexText: apk-tools v2.14's field order and presence rules (src/package.c
 * apk_pkg_write_index_header), the noarch rewrite, the empty line after every block, the order of blocks
 * and the refusals.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { isRepoError } from "../../src/errors.ts";
import { apkIndexText, compareApkNames } from "../../src/apkindex/index.ts";
import type { ApkEntry, ApkIndexInfo } from "../../src/apkindex/types.ts";

const Q1 = (c: string) => `Q1${Buffer.alloc(20, c).toString("base64")}`;

function info(over: Partial<ApkIndexInfo> = {}): ApkIndexInfo {
  return {
    checksum: Q1("a"),
    name: "hello",
    version: "1.0-r0",
    arch: "x86_64",
    installedSize: "4096",
    description: "Says hello",
    url: "https://example.org/",
    license: "MIT",
    depends: [],
    provides: [],
    installIf: [],
    replaces: [],
    ...over,
  };
}

const entry = (over: Partial<ApkIndexInfo> = {}, size = 1234): ApkEntry => ({ info: info(over), size });

/** The lines of each block (the text split at its empty lines). */
function blocks(text: string): string[][] {
  assert.ok(text.endsWith("\n\n"), "the last block is followed by an empty line too");
  return text
    .slice(0, -2)
    .split("\n\n")
    .map((b) => b.split("\n"));
}

test("every field, in apk-tools' order: C P V A S I T U L o m t c k D p i", () => {
  const text = apkIndexText(
    [
      entry({
        origin: "hello-src",
        maintainer: "Me <me@example.org>",
        buildTime: "1704067200",
        commit: "abc123",
        providerPriority: "10",
        depends: ["so:libc.musl-x86_64.so.1", "foo>=1.2-r0", "!bar"],
        provides: ["cmd:hello=1.0-r0", "hi"],
        installIf: ["hello-base", "baz"],
        replaces: ["old"],
        replacesPriority: "3",
      }),
    ],
    "x86_64",
  );
  assert.equal(
    text,
    [
      `C:${Q1("a")}`,
      "P:hello",
      "V:1.0-r0",
      "A:x86_64",
      "S:1234",
      "I:4096",
      "T:Says hello",
      "U:https://example.org/",
      "L:MIT",
      "o:hello-src",
      "m:Me <me@example.org>",
      "t:1704067200",
      "c:abc123",
      "k:10",
      "D:so:libc.musl-x86_64.so.1 foo>=1.2-r0 !bar",
      "p:cmd:hello=1.0-r0 hi",
      "i:hello-base baz",
      "",
      "",
    ].join("\n"),
  );
});

test("r: and q: are never written: apk-tools keeps them for the installed database", () => {
  const text = apkIndexText([entry({ replaces: ["old", "older"], replacesPriority: "7" })], "x86_64");
  assert.doesNotMatch(text, /^[rq]:/m);
});

test("T:, U: and L: are written when empty; optional fields only when set; t:/k: not when zero", () => {
  const [lines] = blocks(
    apkIndexText(
      [entry({ description: "", url: "", license: "", buildTime: "0", providerPriority: "0" })],
      "x86_64",
    ),
  );
  assert.deepEqual(
    lines!.map((l) => l.slice(0, 2)),
    ["C:", "P:", "V:", "A:", "S:", "I:", "T:", "U:", "L:"],
  );
  assert.deepEqual(lines!.slice(6), ["T:", "U:", "L:"]);
  const [some] = blocks(apkIndexText([entry({ maintainer: "M", providerPriority: "1" })], "x86_64"));
  assert.deepEqual(
    some!.slice(9).map((l) => l.slice(0, 2)),
    ["m:", "k:"],
  );
});

test("I: is always written, 0 for a meta package", () => {
  const [lines] = blocks(apkIndexText([entry({ installedSize: "0" }, 0)], "x86_64"));
  assert.ok(lines!.includes("I:0"));
  assert.ok(lines!.includes("S:0"));
});

test("noarch (and a package without arch) is listed with the folder's arch; others keep their own", () => {
  const text = apkIndexText(
    [
      entry({ name: "a", arch: "noarch" }),
      entry({ name: "b", arch: "" }),
      entry({ name: "c", arch: "x86_64" }),
      entry({ name: "d", arch: "armhf" }),
    ],
    "aarch64",
  );
  assert.deepEqual(
    blocks(text).map((b) => b.find((l) => l.startsWith("A:"))),
    ["A:aarch64", "A:aarch64", "A:x86_64", "A:armhf"],
  );
  assert.doesNotMatch(text, /^A:noarch$/m);
});

test("one empty line after every block, the last one included, and no more", () => {
  const text = apkIndexText([entry({ name: "a" }), entry({ name: "b" }), entry({ name: "c" })], "x86_64");
  assert.ok(text.endsWith("L:MIT\n\n"));
  assert.doesNotMatch(text, /\n\n\n/);
  assert.equal(text.match(/\n\n/g)?.length, 3);
  assert.ok(!text.startsWith("\n"));
  assert.equal(apkIndexText([], "x86_64"), "");
});

test("blocks sorted by name (case-folded first), apk version order, then checksum; input order does not matter", () => {
  const list = [
    entry({ name: "hello", version: "2.10.0-r0", checksum: Q1("b") }),
    entry({ name: "Zed", version: "1-r0" }),
    entry({ name: "hello", version: "2.9.1-r3" }),
    entry({ name: "hello", version: "2.10.0-r0", checksum: Q1("a") }),
    entry({ name: "hello", version: "2.10.0_rc1-r0" }),
    entry({ name: "abc", version: "1-r0" }),
    entry({ name: "hello-doc", version: "1-r0" }),
  ];
  const expected = [
    ["abc", "1-r0", Q1("a")],
    ["hello", "2.9.1-r3", Q1("a")],
    ["hello", "2.10.0_rc1-r0", Q1("a")],
    ["hello", "2.10.0-r0", Q1("a")],
    ["hello", "2.10.0-r0", Q1("b")],
    ["hello-doc", "1-r0", Q1("a")],
    ["Zed", "1-r0", Q1("a")],
  ];
  const text = apkIndexText(list, "x86_64");
  assert.deepEqual(
    blocks(text).map((b) => [b[1]!.slice(2), b[2]!.slice(2), b[0]!.slice(2)]),
    expected,
  );
  for (let i = 0; i < list.length; i++) {
    const rotated = [...list.slice(i), ...list.slice(0, i)];
    assert.equal(apkIndexText(rotated, "x86_64"), text);
    assert.equal(apkIndexText(rotated.reverse(), "x86_64"), text);
  }
  assert.equal(apkIndexText(list, "x86_64"), text, "the input array is not reordered");
});

test("compareApkNames: strcasecmp first, then bytes", () => {
  assert.ok(compareApkNames("abc", "Zed") < 0);
  assert.ok(compareApkNames("Zed", "abc") > 0);
  assert.ok(compareApkNames("ABC", "abc") < 0, "equal ignoring case: byte order (A < a)");
  assert.ok(compareApkNames("a", "a-b") < 0);
  assert.equal(compareApkNames("x", "x"), 0);
});

function rejects(fn: () => unknown, code: string, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isRepoError(e), String(e));
    assert.equal(e.code, code);
    assert.match(e.message, pattern);
    return true;
  });
}

test("refuses a folder arch that is empty, not one word, or noarch", () => {
  for (const arch of ["", "x86 64", "a/b", "noarch"])
    rejects(() => apkIndexText([entry()], arch), "INVALID_SETTING", /architecture/);
});

test("refuses entries whose values cannot be index lines", () => {
  rejects(
    () => apkIndexText([entry({ description: "two\nlines" })], "x86_64"),
    "CORRUPT_STATE",
    /hello-1\.0-r0: T: holds a line break/,
  );
  rejects(() => apkIndexText([entry({ name: "" })], "x86_64"), "CORRUPT_STATE", /P: is empty/);
  rejects(() => apkIndexText([entry({ checksum: "" })], "x86_64"), "CORRUPT_STATE", /C: is empty/);
  rejects(() => apkIndexText([entry({}, -1)], "x86_64"), "CORRUPT_STATE", /S: must be the file size/);
  rejects(() => apkIndexText([entry({}, 1.5)], "x86_64"), "CORRUPT_STATE", /S: must be the file size/);
  rejects(
    () => apkIndexText([entry({ installedSize: "12k" })], "x86_64"),
    "CORRUPT_STATE",
    /I: must be an unsigned decimal/,
  );
  rejects(
    () => apkIndexText([entry({ depends: ["a b"] })], "x86_64"),
    "CORRUPT_STATE",
    /D: holds an item that is empty or has blanks/,
  );
});
