/** .CHANGELOG: free text shown by `pacman -Qc`; packyard writes one block per entry, newest first. */
import type { ChangelogEntry } from "../spec/types.ts";

function isoDate(seconds: number): string {
  return new Date(seconds * 1000).toISOString().slice(0, 10);
}

/** Renders the changelog (dates in UTC, computed from the entries, never the clock). */
export function encodeChangelog(entries: readonly ChangelogEntry[]): string {
  return entries
    .map(
      (e) =>
        `${isoDate(e.date)}  ${e.author}\n\n\t* ${e.version}\n${e.changes.map((c) => `\t- ${c.replace(/\n/g, "\n\t  ")}\n`).join("")}`,
    )
    .join("\n");
}
