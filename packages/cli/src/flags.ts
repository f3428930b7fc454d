/**
 * Reading parsed flags: the last value of a string flag, the comma-split values of a list flag. Loads
 * nothing but types, so command descriptors (commands/*.ts) may use it without loading a library.
 */
import type { Flags } from "./command.ts";

/** The string value of `--name`, if given. */
export function stringFlag(flags: Flags, name: string): string | undefined {
  const v = flags[name];
  if (Array.isArray(v)) {
    const last = v[v.length - 1];
    return typeof last === "string" ? last : undefined;
  }
  return typeof v === "string" ? v : undefined;
}

/** The values of a repeatable `--name`, each also split at commas (`--arch amd64,arm64 --arch i386`). */
export function listFlag(flags: Flags, name: string): string[] {
  const v = flags[name];
  const values = Array.isArray(v) ? v : v === undefined ? [] : [v];
  return values
    .flatMap((s) => String(s).split(","))
    .map((s) => s.trim())
    .filter((s) => s !== "");
}
