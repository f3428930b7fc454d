/**
 * `packyard build` over the library's build API: finds the config, turns the manifest into the CLI's
 * `--json` lines, and reports progress. Everything else (config, keys, writing, checksums,
 * `packyard-build.json`) is `build` in @packyard/formats, which the server uses too.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import {
  type BuildProgress,
  type BuildWarning,
  build as buildPackages,
  type PackageFormat,
} from "./formats-build.ts";

/** Config file names tried in a folder when `-f` is not given. */
export const CONFIG_NAMES = ["packyard.yml", "packyard.yaml", "nfpm.yaml", "nfpm.yml"] as const;

/** The first config file that exists in `dir`, or the default name when none does. */
export function defaultConfigPath(dir: string): string {
  for (const name of CONFIG_NAMES) {
    const p = join(dir, name);
    if (existsSync(p)) return p;
  }
  return join(dir, CONFIG_NAMES[0]);
}

export interface BuildInput {
  /** Path of packyard.yml (or nfpm.yaml). */
  configPath: string;
  /** Folder relative paths in the config resolve against: the working directory, as nfpm does. */
  baseDir: string;
  /** Packager names as `-p` takes them. */
  packagers: readonly string[];
  /** Output folder; or, with exactly one packager, the artifact's file path. */
  target: string;
  /** Environment for `${VAR}` expansion and key passphrases. */
  env: Readonly<Record<string, string | undefined>>;
  /** Build date, seconds since the epoch. */
  date: number;
  /** Compression worker threads (`--workers`); absent: the config's `build.workers`, else auto. */
  workers?: number | "auto";
  progress?: (event: BuildProgress) => void;
  warn?: (w: BuildWarning) => void;
  /** The formats to choose from (default: the registered formats, each loaded only when built). */
  // biome-ignore lint/suspicious/noExplicitAny: formats carry their own option types.
  formats?: readonly PackageFormat<any>[];
}

/** One file written by {@link build}, as `packyard build --json` prints it. */
export interface BuiltArtifact {
  /** Packager name (`deb`, `tar.gz`, ...), or `checksums` for the checksums file and its `.asc`. */
  format: string;
  path: string;
  size: number;
  sha256: string;
}

/** Builds every packager; returns what was written, in order, and where `packyard-build.json` went. */
export async function build(
  input: BuildInput,
): Promise<{ artifacts: BuiltArtifact[]; manifestPath?: string }> {
  const { manifest, dir, manifestPath } = await buildPackages(
    { configPath: resolve(input.configPath), baseDir: input.baseDir },
    {
      formats: input.packagers,
      target: input.target,
      date: input.date,
      env: input.env,
      ...(input.workers !== undefined ? { workers: input.workers } : {}),
      ...(input.formats !== undefined ? { registry: input.formats } : {}),
      ...(input.progress !== undefined ? { onProgress: input.progress } : {}),
      ...(input.warn !== undefined ? { onWarning: input.warn } : {}),
    },
  );
  const artifacts: BuiltArtifact[] = manifest.artifacts.map((a) => ({
    format: a.packager,
    path: join(dir, a.file),
    size: a.size,
    sha256: a.sha256,
  }));
  return { artifacts, ...(manifestPath !== undefined ? { manifestPath } : {}) };
}
