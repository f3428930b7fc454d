/**
 * Durations as people write them in packyard.yml and on the command line: `90s`, `10m`, `2h`, `7d`, `1w`,
 * or several parts in descending order (`1h30m`). A bare `0` is allowed (no time at all); any other bare
 * number is refused, because `300` could as well mean seconds as milliseconds.
 */

/** Seconds per unit letter. */
const UNIT_SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** What a duration looks like, for messages. */
export const DURATION_EXAMPLES = "a duration such as 90s, 10m, 2h, 7d or 1h30m";

/**
 * `text` in whole seconds, or undefined when it is not a duration.
 * @example parseDuration("1h30m") // 5400
 */
export function parseDuration(text: string): number | undefined {
  const t = text.trim().toLowerCase();
  if (t === "0") return 0;
  if (!/^(\d+[smhdw])+$/.test(t)) return undefined;
  let total = 0;
  let last = Number.POSITIVE_INFINITY;
  for (const m of t.matchAll(/(\d+)([smhdw])/g)) {
    const unit = UNIT_SECONDS[m[2]!]!;
    // `30m1h` is more likely a typo than a sum: the parts must go from the largest unit down, once each.
    if (unit >= last) return undefined;
    last = unit;
    total += Number(m[1]) * unit;
  }
  return Number.isSafeInteger(total) ? total : undefined;
}
