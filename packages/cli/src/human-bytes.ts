/** Byte counts for people: `512 B`, `12.3 KiB`, `120.0 MiB` (binary units, one decimal). */
const UNITS = ["KiB", "MiB", "GiB", "TiB", "PiB"] as const;

/**
 * `n` bytes in the largest binary unit that keeps the number at least 1.
 * @example humanBytes(12595) // "12.3 KiB"
 */
export function humanBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  let value = n / 1024;
  let unit = 0;
  // 1023.95 and up would print as "1024.0": move to the next unit instead.
  while (value >= 1023.95 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${UNITS[unit]}`;
}
