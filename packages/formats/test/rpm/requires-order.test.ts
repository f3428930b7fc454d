import assert from "node:assert/strict";
import { test } from "node:test";
import { collect } from "../../src/bytes/bytes.ts";
import { type RpmOptions, writeRpm } from "../../src/rpm/index.ts";
import { parseRelation } from "../../src/spec/relation.ts";
import { exampleSpec } from "@packyard/testkit/example";

test("rpm.requires: the package bytes do not depend on the order of the phase keys", async () => {
  const pre = [parseRelation("shadow-utils"), parseRelation("coreutils >= 8")];
  const post = [parseRelation("coreutils >= 9"), parseRelation("systemd")];
  const posttrans = [parseRelation("coreutils")];
  const a: RpmOptions = { requires: { pre, post, posttrans } };
  const b: RpmOptions = { requires: { posttrans, post, pre } };
  assert.deepEqual(Object.keys(a.requires ?? {}), ["pre", "post", "posttrans"]);
  assert.deepEqual(Object.keys(b.requires ?? {}), ["posttrans", "post", "pre"]);
  const bytesA = await collect(writeRpm(exampleSpec(), a));
  const bytesB = await collect(writeRpm(exampleSpec(), b));
  assert.deepEqual(bytesB, bytesA);
  const none = await collect(writeRpm(exampleSpec(), {}));
  assert.notDeepEqual(bytesA, none, "the requires must reach the header");
});
