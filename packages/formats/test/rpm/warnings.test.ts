import assert from "node:assert/strict";
import { test } from "node:test";
import type { Warning } from "../../src/format.ts";
import { writeRpm } from "../../src/rpm/writer.ts";
import { exampleSpec } from "@packyard/testkit/example";

async function warningsFor(prerelease: string | undefined): Promise<string[]> {
  const spec = exampleSpec();
  const version = { ...spec.version };
  if (prerelease === undefined) delete version.prerelease;
  else version.prerelease = prerelease;
  const seen: Warning[] = [];
  for await (const _ of writeRpm({ ...spec, version }, {}, { warn: (w) => seen.push(w) })) {
    // drain: warnings are emitted while writing
  }
  return seen.map((w) => w.code);
}

test("a prerelease starting with a number warns that rpm orders it after alphabetic ones", async () => {
  assert.ok((await warningsFor("0.1.b1")).includes("RPM_PRERELEASE_ORDER"));
  assert.ok((await warningsFor("1")).includes("RPM_PRERELEASE_ORDER"));
  assert.ok(!(await warningsFor("rc.1")).includes("RPM_PRERELEASE_ORDER"));
  assert.ok(!(await warningsFor("rc1")).includes("RPM_PRERELEASE_ORDER"));
  assert.ok(!(await warningsFor("alpha.beta")).includes("RPM_PRERELEASE_ORDER"));
  assert.ok(!(await warningsFor(undefined)).includes("RPM_PRERELEASE_ORDER"));
});
