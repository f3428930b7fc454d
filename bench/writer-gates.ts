/** Builders for the issue-18 gate rows the writer scenarios declare (see bench/gates.ts for how they are judged). */
import type { GateSpec, PayloadKind } from "./scenario.ts";

/** The payloads a writer speed gate covers (binary20mb rows are reported and gate nothing). */
export const GATED_PAYLOADS: readonly PayloadKind[] = ["electron5k", "small50k"];
/** The payloads of the peak-RSS gate. */
export const RSS_PAYLOADS: readonly PayloadKind[] = ["small50k", "large2g"];
/** The peak-RSS bound, MiB. */
export const RSS_LIMIT_MIB = 150;

/** One speed gate per payload: `against`'s time / packyard's time ≥ atLeast. */
export function speedGates(
  what: string,
  payloads: readonly PayloadKind[],
  against: string,
  atLeast: number,
  gate: string,
  side?: string,
): GateSpec[] {
  return payloads.map((payload) => ({
    kind: "speed" as const,
    case: `${what}, ${payload}`,
    payload,
    against,
    atLeast,
    gate,
    ...(side === undefined ? {} : { side }),
  }));
}

/** The peak-RSS gate of a format on small50k and the 2 GB payload. */
export function rssGates(what: string, payloads: readonly PayloadKind[] = RSS_PAYLOADS): GateSpec[] {
  return payloads.map((payload) => ({
    kind: "rss" as const,
    case: `peak RSS, ${what}, ${payload}`,
    payload,
    maxMiB: RSS_LIMIT_MIB,
    gate: `≤ ${RSS_LIMIT_MIB} MiB (no ceiling clause)`,
  }));
}
