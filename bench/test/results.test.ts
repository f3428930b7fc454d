import assert from "node:assert/strict";
import { test } from "node:test";
import { median, RESULTS_HEADER, replaceSection } from "../results.ts";

test("a scenario's section is appended once, then replaced in place", () => {
  const one = replaceSection("", "tar", "## tar\nfirst");
  assert.ok(one.startsWith(RESULTS_HEADER));
  const two = replaceSection(one, "deb", "## deb\nd");
  const three = replaceSection(two, "tar", "## tar\nsecond");
  assert.equal(three.match(/bench:tar:start/g)?.length, 1);
  assert.ok(three.includes("second") && !three.includes("first"));
  assert.ok(three.indexOf("## tar") < three.indexOf("## deb"), "order kept");
  assert.ok(three.includes("## deb\nd"));
});

test("median of odd and even lists", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.throws(() => median([]));
});
