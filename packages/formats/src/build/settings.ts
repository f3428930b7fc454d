/**
 * The `build:` block of packyard.yml: settings of the build itself rather than of a package format.
 * Today one key, `workers`: how many threads compress side by side (`auto`, the default, or 1-16). The
 * worker count changes how fast packages are written, never their bytes.
 */
import { checksumConfig } from "../checksums/config.ts";
import { MAX_FRAME_THREADS } from "../compress/compression.ts";
import type { ConfigBlock, ConfigContext, JsonSchema } from "../config/block.ts";
import { configError, onlyKeys, plainMap } from "../config/plain.ts";

export interface BuildSettings {
  /** Compression worker threads: 1-16 or `auto` (chosen from the machine's cores); absent: auto. */
  workers?: number | "auto";
}

const SCHEMA: JsonSchema = {
  type: "object",
  description: "Settings of the build itself (not of a package format).",
  additionalProperties: false,
  properties: {
    workers: {
      description: `Compression worker threads: auto (default, from the machine's cores) or 1-${MAX_FRAME_THREADS}. Changes speed, never the bytes written.`,
      oneOf: [{ const: "auto" }, { type: "integer", minimum: 1, maximum: MAX_FRAME_THREADS }],
    },
  },
};

/**
 * Parses a worker count as written in packyard.yml or on the command line: `auto` or an integer from 1 to
 * MAX_FRAME_THREADS; throws SpecError INVALID_FIELD naming `field` otherwise.
 */
export function parseWorkers(raw: unknown, field: string): number | "auto" {
  if (raw === "auto") return "auto";
  const n = typeof raw === "string" && /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : raw;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > MAX_FRAME_THREADS)
    throw configError(
      "INVALID_FIELD",
      field,
      `expected auto or an integer from 1 to ${MAX_FRAME_THREADS}`,
      raw,
    );
  return n;
}

/** Parses the `build:` block; unknown keys throw SpecError UNKNOWN_KEY. */
export function parseBuildSettings(raw: unknown, ctx: ConfigContext): BuildSettings {
  if (raw === undefined || raw === null) return {};
  const o = plainMap(raw, ctx.field);
  onlyKeys(o, ["workers"], ctx.field, { expected: "workers" });
  const out: BuildSettings = {};
  if (o.workers !== undefined && o.workers !== null) {
    out.workers = parseWorkers(o.workers, `${ctx.field}.workers`);
  }
  return out;
}

/** The `build:` block (top-level key `build`). */
export const buildSettingsConfig: ConfigBlock<BuildSettings> = {
  key: "build",
  schema: SCHEMA,
  parse: parseBuildSettings,
};

/** The build-wide blocks the build parses itself (not the loader): with the formats', packyard's full schema. */
// biome-ignore lint/suspicious/noExplicitAny: blocks of every options type.
export const BUILD_CONFIG_BLOCKS: readonly ConfigBlock<any>[] = [buildSettingsConfig, checksumConfig];
