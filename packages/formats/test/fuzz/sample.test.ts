/**
 * A fixed sample of the fuzzer in `npm test`: 2,000 mutated packages per format (deb, rpm, archlinux, apk,
 * macos, tarball), made from the same seeds and by the same structure-aware mutators as `npm run fuzz`
 * (scripts/fuzz.ts), each read with readPackage. The contract: PackageInfo or a packyard typed error with a
 * code, never an untyped error. Work is counted, not timed: every read runs under SAMPLE_LIMITS and must
 * decompress at most the bad-input budget (64 MiB, test/support/budget.ts) as the codecs report it on the
 * `packyard:unpacked` channel. The time each format took is reported as a diagnostic only. A failure names
 * the case: `npm run fuzz -- <format> --seed sample-1 --limits sample --start <index> --cases 1` makes it
 * again and keeps it as a reproducer.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { readPackage } from "../../src/api.ts";
import { BAD_INPUT_BUDGET } from "../support/budget.ts";
import { fuzzSource, SAMPLE_LIMITS } from "./contract.ts";
import { outcomeKey, runRange } from "./run.ts";
import { buildSeeds, FUZZ_FORMATS } from "./seeds.ts";

/** Cases per format and the run seed of the sample. */
export const SAMPLE_CASES = 2000;
export const SAMPLE_SEED = "sample-1";

for (const format of FUZZ_FORMATS) {
  test(`${format}: ${SAMPLE_CASES} mutated packages give PackageInfo or typed errors, within the work budget`, async (t) => {
    const seeds = await buildSeeds(format);
    for (const s of seeds) await readPackage(fuzzSource(s.bytes, 0), s.fileName, { limits: SAMPLE_LIMITS });
    const outcomes = new Map<string, number>();
    const broken: string[] = [];
    let maxWork = 0;
    let totalWork = 0;
    const started = performance.now();
    await runRange({
      format,
      runSeed: SAMPLE_SEED,
      start: 0,
      end: SAMPLE_CASES,
      seeds,
      limits: SAMPLE_LIMITS,
      onDone(r, c) {
        const key = outcomeKey(r.outcome);
        outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
        maxWork = Math.max(maxWork, r.unpackedBytes);
        totalWork += r.unpackedBytes;
        const how = `case ${r.index} (${c.seed}; ${c.mutations.map((m) => `${m.mutator}: ${m.what}`).join("; ")})`;
        if (r.outcome.kind === "untyped") broken.push(`${how}: ${r.outcome.stack || r.outcome.message}`);
        if (r.unpackedBytes > BAD_INPUT_BUDGET.unpackedBytes)
          broken.push(
            `${how}: decompressed ${r.unpackedBytes} bytes, over ${BAD_INPUT_BUDGET.unpackedBytes}`,
          );
        return true;
      },
    });
    const seconds = (performance.now() - started) / 1000;
    const summary = [...outcomes]
      .sort((a, b) => b[1] - a[1])
      .map(([k, n]) => `${k} ${n}`)
      .join(", ");
    t.diagnostic(
      `${format}: ${SAMPLE_CASES} cases in ${seconds.toFixed(1)} s; decompressed at most ${(maxWork / 2 ** 20).toFixed(1)} MiB in one read, ${(totalWork / 2 ** 20).toFixed(0)} MiB in all; ${summary}`,
    );
    assert.deepEqual(broken, []);
    // A sample that only ever hits one early check would test little: the mutations must reach deep
    // enough that some packages still read and several different checks answer.
    assert.ok((outcomes.get("info") ?? 0) >= SAMPLE_CASES * 0.05, `too few readable cases: ${summary}`);
    assert.ok(outcomes.size >= 6, `too few distinct outcomes: ${summary}`);
  });
}
