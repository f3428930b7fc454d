/**
 * The build date, resolved once at the CLI edge (the library never reads the clock): SOURCE_DATE_EPOCH,
 * else the time of the latest git commit touching the config's folder, else now.
 */
import { spawnSync } from "node:child_process";
import { SpecError } from "./formats-build.ts";

export interface BuildDate {
  /** Seconds since the epoch. */
  date: number;
  /** Where it came from, for --debug. */
  source: "SOURCE_DATE_EPOCH" | "git" | "clock";
}

/** SOURCE_DATE_EPOCH in seconds when set and not empty; a value that is not whole seconds is a SpecError. */
export function sourceDateEpoch(env: Readonly<Record<string, string | undefined>>): number | undefined {
  const sde = env.SOURCE_DATE_EPOCH;
  if (sde === undefined || sde === "") return undefined;
  if (!/^\d+$/.test(sde) || !Number.isSafeInteger(Number(sde))) {
    throw new SpecError(
      "INVALID_FIELD",
      `SOURCE_DATE_EPOCH: expected whole seconds since 1970 (e.g. 1700000000), found ${JSON.stringify(sde)}`,
      { field: "SOURCE_DATE_EPOCH", found: sde },
    );
  }
  return Number(sde);
}

/** Resolves the build date for a config living in `dir`. */
export function resolveBuildDate(
  env: Readonly<Record<string, string | undefined>>,
  dir: string,
  now: () => number = Date.now,
): BuildDate {
  const sde = sourceDateEpoch(env);
  if (sde !== undefined) return { date: sde, source: "SOURCE_DATE_EPOCH" };
  const git = spawnSync("git", ["log", "-1", "--format=%ct", "--", "."], {
    cwd: dir,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
  });
  const out = typeof git.stdout === "string" ? git.stdout.trim() : "";
  if (git.status === 0 && /^\d+$/.test(out)) return { date: Number(out), source: "git" };
  return { date: Math.floor(now() / 1000), source: "clock" };
}
