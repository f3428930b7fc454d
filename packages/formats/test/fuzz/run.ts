/**
 * The fuzz loop both `npm run fuzz` (scripts/fuzz.ts, in its child process) and the sample test run: make
 * case i, read it under the contract, report. Per-case time is measured here with performance.now() for
 * reports; whether it counts against the contract is the caller's business (the tool checks it, the test
 * counts work instead).
 */
import { type FuzzCase, makeCase } from "./cases.ts";
import { FUZZ_LIMITS, FUZZ_WORK_BUDGET, type Outcome, readUnderContract } from "./contract.ts";
import type { Violation } from "./reproducers.ts";
import { type FuzzFormat, fuzzPublicKeys, type Seed } from "./seeds.ts";
import type { ReadLimits } from "../../src/limits.ts";

/** What one case did. */
export interface CaseReport {
  index: number;
  outcome: Outcome;
  /** Wall time of the read alone (not of making the case), in milliseconds. */
  ms: number;
  unpackedBytes: number;
}

/** Options of {@link runRange}. */
export interface RunRangeOptions {
  format: FuzzFormat;
  runSeed: string;
  /** First case index, inclusive. */
  start: number;
  /** Last case index, exclusive. */
  end: number;
  seeds: readonly Seed[];
  limits?: ReadLimits;
  /** Called before case `index` is made and read (the tool records it, to know which case crashed). */
  onStart?(index: number): void;
  /** Called after each read; return false to stop the loop. */
  onDone(report: CaseReport, c: FuzzCase): boolean | undefined | Promise<boolean | undefined>;
}

/** Runs cases `start` to `end` of a run, one after another. */
export async function runRange(o: RunRangeOptions): Promise<void> {
  for (let i = o.start; i < o.end; i++) {
    o.onStart?.(i);
    const c = await makeCase(o.format, o.runSeed, i, o.seeds);
    const t = performance.now();
    const r = await readUnderContract(c.bytes, c.fileName, c.chunk, o.limits ?? FUZZ_LIMITS, readExtras(c));
    const ms = performance.now() - t;
    const go = await o.onDone({ index: i, outcome: r.outcome, ms, unpackedBytes: r.unpackedBytes }, c);
    if (go === false) return;
  }
}

const publicKeys = fuzzPublicKeys();

/** The keys and detached signature case `c` is read with. */
export function readExtras(c: Pick<FuzzCase, "keys" | "detached">): {
  publicKeys?: string[];
  detachedSignature?: Uint8Array;
} {
  return {
    ...(c.keys ? { publicKeys } : {}),
    ...(c.detached !== undefined ? { detachedSignature: c.detached } : {}),
  };
}

/** The outcome as one word for statistics: `info`, an error code, or `untyped`. */
export function outcomeKey(o: Outcome): string {
  return o.kind === "info" ? "info" : o.kind === "typed" ? o.code : "untyped";
}

/** The violations a report shows by itself (untyped error, too much work); time and memory are the tool's. */
export function reportViolations(r: CaseReport): Violation[] {
  const out: Violation[] = [];
  if (r.outcome.kind === "untyped")
    out.push({
      kind: "untyped",
      detail: `${r.outcome.name}: ${r.outcome.message}`.slice(0, 300),
      outcome: r.outcome,
      ms: Math.round(r.ms),
      unpackedBytes: r.unpackedBytes,
    });
  if (r.unpackedBytes > FUZZ_WORK_BUDGET)
    out.push({
      kind: "work",
      detail: `decompressed ${r.unpackedBytes} bytes, over the budget of ${FUZZ_WORK_BUDGET}`,
      unpackedBytes: r.unpackedBytes,
    });
  return out;
}
