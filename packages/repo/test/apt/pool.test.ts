/** apt/pool: key segment escaping and pool keys — examples, the safe alphabet, and injectivity. */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { debPoolKey, escapeKeySegment, poolPrefix } from "../../src/apt/pool.ts";
import { isRepoError } from "../../src/errors.ts";

test("escapeKeySegment: safe characters stay, others become _ and lowercase hex per UTF-8 byte", () => {
  assert.equal(escapeKeySegment("hello-1.0"), "hello-1.0");
  assert.equal(escapeKeySegment("1.0+git~rc1"), "1.0_2bgit_7erc1");
  assert.equal(escapeKeySegment("1:2.0"), "1_3a2.0");
  assert.equal(escapeKeySegment("a_b"), "a_5fb");
  assert.equal(escapeKeySegment("a b/c"), "a_20b_2fc");
  assert.equal(escapeKeySegment("é"), "_c3_a9");
  assert.equal(escapeKeySegment("."), "_2e");
  assert.equal(escapeKeySegment(".."), "_2e_2e");
  assert.equal(escapeKeySegment("..."), "_2e_2e_2e");
  assert.equal(escapeKeySegment(".hidden"), ".hidden");
});

test("poolPrefix: first character, or four for lib* names", () => {
  assert.equal(poolPrefix("hello"), "h");
  assert.equal(poolPrefix("libfoo1"), "libf");
  assert.equal(poolPrefix("lib"), "l");
  assert.equal(poolPrefix("libc++"), "libc");
  assert.equal(poolPrefix("émile"), "é");
});

test("debPoolKey: Debian's layout with every part escaped, epoch kept", () => {
  assert.equal(debPoolKey("main", "hello", "1.0-1", "amd64"), "deb/pool/main/h/hello/hello_1.0-1_amd64.deb");
  assert.equal(
    debPoolKey("main", "libfoo", "1:2.0+dfsg~b1", "arm64"),
    "deb/pool/main/libf/libfoo/libfoo_1_3a2.0_2bdfsg_7eb1_arm64.deb",
  );
  assert.equal(debPoolKey("main", "g++", "1", "all"), "deb/pool/main/g/g_2b_2b/g_2b_2b_1_all.deb");
});

test("debPoolKey refuses an empty part or an architecture dpkg would not name", () => {
  const cases: [string, string, string, string][] = [
    ["", "a", "1", "amd64"],
    ["main", "", "1", "amd64"],
    ["main", "a", "", "amd64"],
    ["main", "a", "1", "amd_64"],
    ["main", "a", "1", "AMD64"],
    ["main", "a", "1", ""],
  ];
  for (const args of cases) {
    assert.throws(
      () => debPoolKey(...args),
      (e) => isRepoError(e) && e.code === "INVALID_SETTING",
      JSON.stringify(args),
    );
  }
});

test("escapeKeySegment output holds only [A-Za-z0-9._-] and is never '.' or '..'", () => {
  fc.assert(
    fc.property(fc.string({ unit: "binary" }), (s) => {
      const e = escapeKeySegment(s);
      assert.match(e, /^[A-Za-z0-9._-]*$/);
      assert.ok(e !== "." && e !== "..");
    }),
  );
});

/** Any code point, lone surrogates included (a JS string may hold them). */
const unicodeOrSurrogate = fc.oneof(
  fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
  fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
);

test("escapeKeySegment is injective", () => {
  fc.assert(
    fc.property(fc.string({ unit: unicodeOrSurrogate }), fc.string({ unit: unicodeOrSurrogate }), (a, b) => {
      fc.pre(a !== b);
      assert.notEqual(escapeKeySegment(a), escapeKeySegment(b));
    }),
  );
  // Strings that would collide if '_' were left unescaped or escapes were not fixed-length.
  const tricky = [
    "+",
    "_2b",
    "_",
    "__",
    "_5f",
    ".",
    "..",
    "_2e",
    "a+b",
    "a_2bb",
    "é",
    "_c3_a9",
    "\ud800",
    "\udc00",
    "\ufffd",
  ];
  assert.equal(new Set(tricky.map(escapeKeySegment)).size, tricky.length);
});

const arch = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,8}$/);
const part = fc.oneof(
  fc.string({ unit: "binary", minLength: 1, maxLength: 12 }),
  // Debian-shaped names and versions, where collisions would matter in practice.
  fc.stringMatching(/^[a-z0-9][a-z0-9+.~:_-]{0,10}$/),
);

test("debPoolKey is injective over (name, version, arch) for one component", () => {
  fc.assert(
    fc.property(fc.tuple(part, part, arch), fc.tuple(part, part, arch), ([n1, v1, a1], [n2, v2, a2]) => {
      fc.pre(n1 !== n2 || v1 !== v2 || a1 !== a2);
      assert.notEqual(debPoolKey("main", n1, v1, a1), debPoolKey("main", n2, v2, a2));
    }),
    { numRuns: 2000 },
  );
  // Splits that move characters between name, version and arch.
  const keys = [
    ["a", "5f_1", "amd64"],
    ["a_", "5f1", "amd64"],
    ["a", "1_5f", "x"],
    ["a", "1", "5f-x"],
    ["a_1", "2", "amd64"],
    ["a", "1_2", "amd64"],
  ].map(([n, v, a]) => debPoolKey("main", n!, v!, a!));
  assert.equal(new Set(keys).size, keys.length);
});
