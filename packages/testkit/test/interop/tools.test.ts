/**
 * needTool's contract: true when every tool is on PATH; a missing one skips the test locally and fails it
 * when CI=true, naming what is missing. (It runs `sh -c 'command -v'`, hence interop/.)
 */
import assert from "node:assert/strict";
import type { TestContext } from "node:test";
import { test } from "node:test";
import { hasTool, needTool } from "../../src/tools.ts";

const MISSING = "packyard-no-such-tool-7f3a";

/** A TestContext that records `skip` instead of skipping the real test. */
function fakeContext(): { t: TestContext; skipped: string[] } {
  const skipped: string[] = [];
  return { t: { skip: (msg?: string) => skipped.push(msg ?? "") } as unknown as TestContext, skipped };
}

function withCI<T>(value: string | undefined, f: () => T): T {
  const before = process.env.CI;
  if (value === undefined) delete process.env.CI;
  else process.env.CI = value;
  try {
    return f();
  } finally {
    if (before === undefined) delete process.env.CI;
    else process.env.CI = before;
  }
}

test("present tools: true, nothing skipped", () => {
  assert.equal(hasTool("sh"), true);
  const { t, skipped } = fakeContext();
  assert.equal(
    withCI("true", () => needTool(t, "sh")),
    true,
  );
  assert.deepEqual(skipped, []);
});

test("a missing tool skips locally, naming it", () => {
  assert.equal(hasTool(MISSING), false);
  for (const ci of [undefined, "", "false", "1"]) {
    const { t, skipped } = fakeContext();
    assert.equal(
      withCI(ci, () => needTool(t, "sh", MISSING)),
      false,
    );
    assert.equal(skipped.length, 1);
    assert.match(skipped[0]!, new RegExp(`needs ${MISSING}\\b`));
  }
});

test("a missing tool fails with CI=true, naming it", () => {
  const { t, skipped } = fakeContext();
  assert.throws(
    () => withCI("true", () => needTool(t, MISSING)),
    new RegExp(`CI=true and a judge is missing: needs ${MISSING}\\b`),
  );
  assert.deepEqual(skipped, []);
});
