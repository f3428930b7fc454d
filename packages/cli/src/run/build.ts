/** `packyard build`'s work (commands/build.ts describes the command). */
import { basename, dirname, relative, resolve } from "node:path";
import { build, defaultConfigPath } from "../build.ts";
import { resolveBuildDate } from "../build-date.ts";
import type { RunCommand } from "../command.ts";
import { DEFAULT_PACKAGERS } from "../commands/build.ts";
import { listFlag } from "../flags.ts";
import {
  type BuildProgress,
  PACKAGERS,
  packagerFromFileName,
  parseWorkers,
  SpecError,
} from "../formats-build.ts";
import { Progress } from "../progress.ts";
import { UsageError } from "../usage-error.ts";

/** A path relative to the working folder when it lies inside it, else absolute. */
function shown(cwd: string, path: string): string {
  const rel = relative(cwd, path);
  return rel === "" || rel.startsWith("..") ? path : rel;
}

/** PACKYARD_PROGRESS_INTERVAL in milliseconds (seconds in the environment; default 5 s). */
function progressInterval(env: Readonly<Record<string, string | undefined>>): number {
  const v = env.PACKYARD_PROGRESS_INTERVAL;
  if (v === undefined || v === "") return 5000;
  const seconds = Number(v);
  if (!/^\d+(\.\d+)?$/.test(v) || !(seconds > 0)) {
    throw new SpecError(
      "INVALID_FIELD",
      `PACKYARD_PROGRESS_INTERVAL: expected seconds between progress lines (e.g. 30), found ${JSON.stringify(v)}`,
      { field: "PACKYARD_PROGRESS_INTERVAL", found: v },
    );
  }
  return seconds * 1000;
}

export const run: RunCommand = async (flags, _positionals, io) => {
  const configPath =
    typeof flags.config === "string" ? resolve(io.cwd, flags.config) : defaultConfigPath(io.cwd);
  const target = resolve(io.cwd, typeof flags.target === "string" ? flags.target : "dist");
  const packagers = listFlag(flags, "packager");
  if (packagers.length === 0 && typeof flags.target === "string") {
    const guessed = packagerFromFileName(flags.target);
    if (guessed !== undefined) packagers.push(guessed);
  }
  if (packagers.length === 0) packagers.push(...DEFAULT_PACKAGERS);
  const unknown = packagers.find((p) => !(PACKAGERS as readonly string[]).includes(p));
  if (unknown !== undefined) {
    throw new UsageError(
      `-p: unknown packager '${unknown}' (expected one of: ${PACKAGERS.join(", ")})`,
      "build",
    );
  }
  const chosen = [...new Set(packagers)];
  if (typeof flags.target === "string" && chosen.length > 1 && packagerFromFileName(basename(target))) {
    throw new UsageError(
      `-t ${flags.target} names one package file, but ${chosen.length} packagers were asked for (${chosen.join(", ")}); give -t a folder, or one packager`,
      "build",
    );
  }
  let workers: number | "auto" | undefined;
  if (typeof flags.workers === "string") {
    try {
      workers = parseWorkers(flags.workers, "--workers");
    } catch (e) {
      // parseWorkers' message names the flag, what it takes and what was found.
      throw new UsageError((e as Error).message, "build");
    }
  }
  const { date, source } = resolveBuildDate(io.env, dirname(configPath));
  if (io.debug) {
    io.err(`build date ${date} (${new Date(date * 1000).toISOString()}) from ${source}\n`);
    // The launcher restarts `build` with a small young generation (bin/packyard.js): say whether it did.
    io.err(`node options: ${process.execArgv.join(" ") || "(none)"}\n`);
  }
  const quiet = flags.quiet === true;
  const progress = quiet
    ? undefined
    : new Progress({
        write: io.err,
        tty: io.tty,
        ...(io.columns !== undefined ? { columns: io.columns } : {}),
        intervalMs: progressInterval(io.env),
        show: (p) => shown(io.cwd, p),
      });
  const warn = (text: string) => (progress !== undefined ? progress.log(text) : io.err(text));
  let built: Awaited<ReturnType<typeof build>>;
  try {
    built = await build({
      configPath,
      baseDir: io.cwd,
      packagers: chosen,
      target,
      env: io.env,
      date,
      ...(workers !== undefined ? { workers } : {}),
      ...(io.formats !== undefined ? { formats: io.formats } : {}),
      ...(progress !== undefined ? { progress: (event: BuildProgress) => progress.event(event) } : {}),
      warn: (w) => warn(`warning: ${w.message} [${w.code}]\n`),
    });
  } finally {
    progress?.finish();
  }
  const { artifacts, manifestPath } = built;
  if (flags.json === true) {
    io.out(`${JSON.stringify(artifacts, null, 2)}\n`);
  } else if (!quiet) {
    for (const a of artifacts) {
      io.err(`built ${shown(io.cwd, a.path)} (${a.size} bytes)\n`);
    }
    if (manifestPath !== undefined) io.err(`manifest ${shown(io.cwd, manifestPath)}\n`);
  }
  return 0;
};
