/**
 * The issue-18 gates as the bench judges them (pure: no processes, no clock of its own).
 *
 * - A speed gate compares the medians of two timed sides: `against / packyard ≥ atLeast` ("packyard at
 *   least atLeast× faster"). It also holds when packyard reaches ≥ 90 % of the compressor ceiling's
 *   speed on the same bytes: ceiling seconds / packyard seconds ≥ 0.9 (same bytes, so speed is 1/time).
 * - A peak-RSS gate bounds the packyard side's median peak RSS; it has no ceiling clause.
 * - Output sizes of packyard and the native side must be within 1 %: a case outside it is flagged in
 *   its row (the gate is still judged: the issue asks to report it, not to drop it).
 * - A repetition that starts at a 1-minute load average above 1.5 is repeated: the harness first waits
 *   for the load to drop (capped), and when the cap passes it runs the repetition, then runs it again
 *   (at most `maxAttempts` times in all); the last attempt is kept and flagged.
 */
import type { GateSpec } from "./scenario.ts";

/** Share of the ceiling's speed at which a speed gate holds whatever its ratio. */
export const CEILING_SHARE = 0.9;
/** Largest relative difference of output sizes that is not flagged. */
export const SIZE_TOLERANCE = 0.01;

/** Medians of one timed side. */
export interface SideMedians {
  wallSeconds: number;
  maxRssKiB: number;
  outputBytes: number;
}

export type GateStatus = "holds by ratio" | "holds by ceiling" | "fails" | "not run";

export interface GateResult {
  case: string;
  gate: string;
  /** Speed gates: against / packyard (× faster); RSS gates: peak MiB. Absent when a side did not run. */
  measured?: number;
  /** The unit of `measured`. */
  unit: "x" | "MiB";
  ceilingSeconds?: number;
  /** 100 × ceiling seconds / packyard seconds. */
  percentOfCeiling?: number;
  status: GateStatus;
  /** Size flag, or why the gate did not run. */
  notes: string[];
}

/** Relative size difference `a / b - 1`, and whether it is within {@link SIZE_TOLERANCE}. */
export function sizeCheck(a: number, b: number): { diff: number; within: boolean } {
  if (b <= 0) return { diff: Number.NaN, within: false };
  const diff = a / b - 1;
  // (a tiny slack for floating point: 101 / 100 - 1 is a hair above 0.01)
  return { diff, within: Math.abs(diff) <= SIZE_TOLERANCE + 1e-12 };
}

/** 100 × ceiling / packyard seconds: how close packyard comes to the compressor alone on the same bytes. */
export function percentOfCeiling(ceilingSeconds: number, packyardSeconds: number): number {
  if (!(packyardSeconds > 0)) return Number.NaN;
  return (100 * ceilingSeconds) / packyardSeconds;
}

/**
 * Judges one gate from the medians of the sides (`undefined`: the side did not run) and, for speed gates,
 * the median ceiling seconds of the same payload (absent: no ceiling measured, only the ratio can hold).
 */
export function evaluateGate(
  spec: GateSpec,
  sides: ReadonlyMap<string, SideMedians | undefined>,
  ceilingSeconds?: number,
): GateResult {
  const sideId = spec.side ?? "packyard";
  const mine = sides.get(sideId);
  const base = { case: spec.case, gate: spec.gate, notes: [] as string[] };
  if (spec.kind === "rss") {
    if (mine === undefined)
      return { ...base, unit: "MiB", status: "not run", notes: [`${sideId} did not run`] };
    const mibPeak = mine.maxRssKiB / 1024;
    return {
      ...base,
      unit: "MiB",
      measured: mibPeak,
      status: mibPeak <= spec.maxMiB ? "holds by ratio" : "fails",
    };
  }
  const other = sides.get(spec.against);
  if (mine === undefined || other === undefined) {
    const missing = [mine === undefined ? sideId : undefined, other === undefined ? spec.against : undefined];
    return {
      ...base,
      unit: "x",
      status: "not run",
      notes: [`${missing.filter((s) => s !== undefined).join(" and ")} did not run`],
    };
  }
  const measured = mine.wallSeconds > 0 ? other.wallSeconds / mine.wallSeconds : Number.POSITIVE_INFINITY;
  const out: GateResult = { ...base, unit: "x", measured, status: "fails" };
  if (ceilingSeconds !== undefined) {
    out.ceilingSeconds = ceilingSeconds;
    out.percentOfCeiling = percentOfCeiling(ceilingSeconds, mine.wallSeconds);
  }
  if (measured >= spec.atLeast) out.status = "holds by ratio";
  else if (out.percentOfCeiling !== undefined && out.percentOfCeiling >= CEILING_SHARE * 100)
    out.status = "holds by ceiling";
  return out;
}

const fmt = (n: number | undefined, digits: number, suffix = ""): string =>
  n === undefined || !Number.isFinite(n) ? "—" : `${n.toFixed(digits)}${suffix}`;

/** The Gates table (Markdown) of one scenario's section. */
export function renderGates(results: readonly GateResult[]): string {
  const rows = results.map((r) => {
    const measured = r.unit === "x" ? fmt(r.measured, 2, "×") : fmt(r.measured, 1, " MiB");
    const status = r.status === "fails" ? "**fails**" : r.status;
    const notes = r.notes.length === 0 ? "" : ` (${r.notes.join("; ")})`;
    return `| ${r.case.replaceAll("|", "\\|")} | ${r.gate.replaceAll("|", "\\|")} | ${measured} | ${fmt(r.ceilingSeconds, 3)} | ${fmt(r.percentOfCeiling, 0, " %")} | ${status}${notes} |`;
  });
  return [
    "| case | gate | measured | ceiling s | % of ceiling | status |",
    "| --- | --- | ---: | ---: | ---: | --- |",
    ...rows,
  ].join("\n");
}

/** How the harness treats the machine's load before each repetition. */
export interface LoadPolicy {
  /** A repetition should start at a 1-minute load average at or below this (the issue: 1.5). */
  maxLoad: number;
  /** Longest wait for the load to drop before a repetition, seconds. */
  waitCapSeconds: number;
  /** Seconds between two looks at the load while waiting. */
  pollSeconds: number;
  /** Runs of one repetition at most (the first and its repeats); the last one is kept, flagged. */
  maxAttempts: number;
}

export const DEFAULT_LOAD_POLICY: LoadPolicy = {
  maxLoad: 1.5,
  waitCapSeconds: 60,
  pollSeconds: 5,
  maxAttempts: 2,
};

/** What the waiting needs from the outside world (injected so tests run without a clock). */
export interface LoadDeps {
  load(): number;
  sleep(ms: number): Promise<void>;
  /** Milliseconds, monotonic. */
  now(): number;
}

/**
 * Waits until the load is at or below `policy.maxLoad`, or until `policy.waitCapSeconds` have passed;
 * returns the load the repetition starts at and how long it waited.
 */
export async function waitForLoad(
  policy: LoadPolicy,
  deps: LoadDeps,
): Promise<{ load: number; waitedSeconds: number }> {
  const start = deps.now();
  let load = deps.load();
  while (load > policy.maxLoad && deps.now() - start < policy.waitCapSeconds * 1000) {
    const left = policy.waitCapSeconds * 1000 - (deps.now() - start);
    await deps.sleep(Math.max(0, Math.min(policy.pollSeconds * 1000, left)));
    load = deps.load();
  }
  return { load, waitedSeconds: (deps.now() - start) / 1000 };
}

/**
 * What to do with a repetition that has run: keep it (it started at or below the limit), repeat it
 * (it started above; attempts left), or keep it flagged (it started above and this was the last attempt).
 * `attempt` counts from 1.
 */
export function repetitionVerdict(
  loadAtStart: number,
  attempt: number,
  policy: LoadPolicy,
): "keep" | "repeat" | "keep-high" {
  if (loadAtStart <= policy.maxLoad) return "keep";
  return attempt < policy.maxAttempts ? "repeat" : "keep-high";
}
