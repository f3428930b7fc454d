/** apk dependency strings read back from `.PKGINFO`: the forms apk writes, and malformed ones as typed errors. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseApkRelation } from "../../src/apk/relations.ts";
import { FormatError } from "../../src/errors.ts";

test("names, operators, fuzzy forms and conflicts parse", () => {
  assert.deepEqual(parseApkRelation("so:libc.musl-x86_64.so.1"), {
    relation: { name: "so:libc.musl-x86_64.so.1" },
    conflict: false,
  });
  assert.deepEqual(parseApkRelation("!foo>=1.0"), {
    relation: { name: "foo", op: ">=", version: "1.0" },
    conflict: true,
  });
  assert.deepEqual(parseApkRelation("bar~1.2").relation, { name: "bar", op: "=", version: "1.2" });
  assert.deepEqual(parseApkRelation("baz<~2").relation, { name: "baz", op: "<=", version: "2" });
  assert.deepEqual(parseApkRelation("qux<3").relation, { name: "qux", op: "<", version: "3" });
});

test("an empty value, a value starting with <>=~, or an operator without version is INVALID_VALUE", () => {
  for (const [text, field, what] of [
    ["", "depend", "has no package name"],
    ["!", "depend", "has no package name"],
    ["<1.0", "depend", "starts with an operator"],
    [">=2", "depend", "starts with an operator"],
    ["=1", "provides", "starts with an operator"],
    ["~1.2", "depend", "starts with an operator"],
    ["!<1", "depend", "starts with an operator"],
    ["foo>=", "depend", "has an operator but no version"],
    ["foo~", "replaces", "has an operator but no version"],
  ] as const) {
    assert.throws(
      () => parseApkRelation(text, field),
      (e: unknown) => {
        assert.ok(e instanceof FormatError, `${JSON.stringify(text)}: ${String(e)}`);
        assert.equal(e.code, "INVALID_VALUE");
        assert.equal(e.data.path, ".PKGINFO");
        assert.equal(e.data.field, field);
        assert.equal(e.data.found, text);
        assert.ok(e.message.includes(`${field} ${JSON.stringify(text)} ${what}`), e.message);
        assert.match(e.message, /expected a package name/);
        return true;
      },
    );
  }
});
