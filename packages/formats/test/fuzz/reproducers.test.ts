/**
 * Every input the fuzzer ever caught breaking the contract (test/fuzz/reproducers/, written by
 * `npm run fuzz`) is read again: readPackage must return PackageInfo or throw a packyard typed error with
 * a code, within the bad-input budget (at most 64 MiB decompressed, under 64 MB allocated; see
 * test/support/budget.ts). Each fixed bug so keeps its regression test; the sidecar says how the input was
 * made and what it did before the fix.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { readPackage } from "../../src/api.ts";
import { isPackyardError } from "../../src/errors.ts";
import { expectWithinBudget } from "../support/budget.ts";
import { fuzzSource, LIMIT_SETS } from "./contract.ts";
import { listReproducers, reproducerBytes, sidecarCase } from "./reproducers.ts";
import { readExtras } from "./run.ts";

const reproducers = listReproducers();

test("the reproducers folder is readable and every sidecar names its input", () => {
  for (const s of reproducers) {
    assert.ok(reproducerBytes(s).length >= 0, s.file);
    assert.match(s.signature, new RegExp(`^${s.format}:`), s.file);
  }
});

for (const s of reproducers) {
  const what = s.mutations.map((m) => `${m.mutator}: ${m.what}`).join("; ");
  test(`${s.file} (${s.violation.kind} before: ${s.violation.detail.slice(0, 80)}) keeps the contract`, async () => {
    const bytes = reproducerBytes(s);
    const e = await expectWithinBudget(
      () =>
        readPackage(fuzzSource(bytes, s.chunk), s.fileName, {
          ...readExtras(sidecarCase(s)),
          limits: LIMIT_SETS[s.limits ?? "fuzz"],
        }),
      undefined,
      s.file,
    );
    if (e !== undefined) {
      assert.ok(
        isPackyardError(e) && typeof e.code === "string" && e.code.length > 0,
        `${s.file} (${s.seed}; ${what}) threw an untyped error: ${e instanceof Error ? e.stack : String(e)}`,
      );
    }
  });
}
