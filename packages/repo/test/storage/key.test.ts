import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isRepoError } from "../../src/errors.ts";
import { checkKey, checkPrefix } from "../../src/storage/key.ts";

const refused = (check: () => void, what: string): void =>
  assert.throws(check, (e: unknown) => isRepoError(e) && e.code === "INVALID_SETTING", what);

describe("checkKey", () => {
  it("accepts relative /-separated keys", () => {
    for (const key of [
      "InRelease",
      "deb/dists/stable/InRelease",
      ".packyard/lock/000000000001",
      "deb/pool/main/libc++/libc++_1:2.0~rc1+git_amd64.deb",
      "a/..b/c.",
      "keys/repository.asc",
    ])
      checkKey(key);
  });

  it("refuses empty, absolute, dot and backslash keys, naming the key", () => {
    for (const key of [
      "",
      "/etc/passwd",
      "a//b",
      "a/",
      "./a",
      "a/.",
      "..",
      "a/../../b",
      "a\\b",
      "a\0b",
      "x/.packyard-tmp-0",
    ])
      refused(() => checkKey(key), JSON.stringify(key));
    assert.throws(() => checkKey("deb/../x"), /"deb\/\.\.\/x".*"\.\." segment/);
  });
});

describe("checkPrefix", () => {
  it("accepts the start of any key, a partial last segment included", () => {
    for (const prefix of ["", "deb/", "deb/po", ".", ".p", "..", "deb/pool/main/h"]) checkPrefix(prefix);
  });

  it("refuses prefixes no key can start with", () => {
    for (const prefix of ["/deb", "../", "a/../b", "a//", "./a", "a\\", "a\0"])
      refused(() => checkPrefix(prefix), JSON.stringify(prefix));
  });
});
