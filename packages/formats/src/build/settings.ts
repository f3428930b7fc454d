/**
 * The `build:` block of packyard.yml: settings of the build itself rather than of a package format.
 * `workers`: how many threads compress side by side (`auto`, the default, or 1-16); the worker count
 * changes how fast packages are written, never their bytes. `steps`, `timeout`, `env` and `outputs`: user
 * build steps that only a build agent (`packyard agent`) runs before it writes the packages; `packyard
 * build` parses them (so a typo fails everywhere) but never runs them.
 */
import { checksumConfig } from "../checksums/config.ts";
import { MAX_FRAME_THREADS } from "../compress/compression.ts";
import type { ConfigBlock, ConfigContext, JsonSchema } from "../config/block.ts";
import { DURATION_EXAMPLES, parseDuration } from "../config/duration.ts";
import { configError, onlyKeys, plainMap, plainString } from "../config/plain.ts";

/** One build step: a POSIX shell command (`/bin/sh -c run`) run in the job's work folder. */
export interface BuildStep {
  /** The command as written (not `$VAR`-expanded by packyard: the shell expands it when the step runs). */
  run: string;
  /** A title for logs. */
  name?: string;
  /**
   * The packagers whose jobs run this step (`deb`, `rpm`, `archlinux`, `apk`); absent: every job. A job
   * builds one packager's package, so a step making only the rpm's files need not run for the deb.
   */
  packagers?: StepPackager[];
}

/** The packagers a build agent writes packages of, which `build.steps[].packagers` may name. */
export const STEP_PACKAGERS = ["deb", "rpm", "archlinux", "apk"] as const;
/** A packager a build step may be limited to. */
export type StepPackager = (typeof STEP_PACKAGERS)[number];

export interface BuildSettings {
  /** Compression worker threads: 1-16 or `auto` (chosen from the machine's cores); absent: auto. */
  workers?: number | "auto";
  /** Build steps, in order; run by build agents only (`packyard build` ignores them). */
  steps?: BuildStep[];
  /** Time limit over all steps, in whole seconds (1 s to 6 h); absent: DEFAULT_STEPS_TIMEOUT_SECONDS. */
  timeout?: number;
  /** Environment variables the steps may see (from the project's build secrets first, then the agent's environment). */
  env?: string[];
  /** Relative POSIX paths (in the work folder) the steps produce, for packyard.yml to reference. */
  outputs?: string[];
}

/** `build.timeout` when absent: 30 minutes. */
export const DEFAULT_STEPS_TIMEOUT_SECONDS = 30 * 60;
/** The largest `build.timeout`: 6 hours. */
export const MAX_STEPS_TIMEOUT_SECONDS = 6 * 3600;
/** A name `build.env` may list. */
export const STEP_ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;
/** Names `build.env` may not list: packyard's own settings and credentials never reach build steps. */
const RESERVED_ENV_PREFIX = "PACKYARD_";

const KEYS = ["workers", "steps", "timeout", "env", "outputs"];
const AGENT_ONLY = "Run only by build agents (`packyard agent`); `packyard build` never runs steps.";

const SCHEMA: JsonSchema = {
  type: "object",
  description: "Settings of the build itself (not of a package format).",
  additionalProperties: false,
  properties: {
    workers: {
      description: `Compression worker threads: auto (default, from the machine's cores) or 1-${MAX_FRAME_THREADS}. Changes speed, never the bytes written.`,
      oneOf: [{ const: "auto" }, { type: "integer", minimum: 1, maximum: MAX_FRAME_THREADS }],
    },
    steps: {
      description: `Build steps, each a /bin/sh -c command run in order in the job's work folder (where the uploaded sources are), before the packages are written. ${AGENT_ONLY}`,
      type: "array",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["run"],
        properties: {
          run: {
            type: "string",
            minLength: 1,
            description: "The shell command ($VAR is left for the shell to expand)",
          },
          name: { type: "string", minLength: 1, description: "A title for the build log" },
          packagers: {
            description: "Run the step only for jobs of these packagers (absent: every job)",
            type: "array",
            minItems: 1,
            uniqueItems: true,
            items: { enum: [...STEP_PACKAGERS] },
          },
        },
      },
    },
    timeout: {
      type: "string",
      pattern: "^([0-9]+[smhdwSMHDW])+$",
      description: `Time limit over all build steps (default 30m, at most 6h). ${AGENT_ONLY}`,
      examples: ["30m", "1h30m"],
    },
    env: {
      description: `Environment variables the build steps see besides a minimal set (PATH, LANG, HOME...): taken from the project's build secrets first, then the agent's environment. ${AGENT_ONLY}`,
      type: "array",
      items: { type: "string", pattern: STEP_ENV_NAME.source },
      uniqueItems: true,
    },
    outputs: {
      description: `Relative paths in the work folder that the build steps produce; packyard.yml may reference them although they are not uploaded. ${AGENT_ONLY}`,
      type: "array",
      items: { type: "string", pattern: "^(?![/\\\\])(?!(.*/)?\\.\\.(/|$))[^\\\\]+$" },
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

function plainList(raw: unknown, field: string): unknown[] {
  if (!Array.isArray(raw)) throw configError("INVALID_FIELD", field, "expected a list", raw);
  return raw;
}

function parseSteps(raw: unknown, field: string): BuildStep[] {
  return plainList(raw, field).map((item, i) => {
    const at = `${field}[${i}]`;
    if (typeof item !== "object" || item === null || Array.isArray(item))
      throw configError(
        "INVALID_FIELD",
        at,
        "expected a mapping with run (and optionally name, packagers)",
        item,
      );
    const o = item as Record<string, unknown>;
    onlyKeys(o, ["run", "name", "packagers"], at);
    if (o.run === undefined || o.run === null)
      throw configError("INVALID_FIELD", `${at}.run`, "expected a shell command; found none", o.run);
    if (typeof o.run !== "string" || o.run.trim() === "")
      throw configError("INVALID_FIELD", `${at}.run`, "expected a non-empty shell command", o.run);
    const step: BuildStep = { run: o.run };
    if (o.name !== undefined && o.name !== null) step.name = plainString(o.name, `${at}.name`);
    if (o.packagers !== undefined && o.packagers !== null)
      step.packagers = parseStepPackagers(o.packagers, `${at}.packagers`);
    return step;
  });
}

function parseStepPackagers(raw: unknown, field: string): StepPackager[] {
  const list = plainList(raw, field);
  if (list.length === 0)
    throw configError(
      "INVALID_FIELD",
      field,
      `expected at least one of ${STEP_PACKAGERS.join(", ")}; leave packagers out to run the step for every job`,
      raw,
    );
  const seen = new Set<string>();
  return list.map((item, i) => {
    const at = `${field}[${i}]`;
    if (typeof item !== "string" || !(STEP_PACKAGERS as readonly string[]).includes(item))
      throw configError(
        "INVALID_FIELD",
        at,
        `expected one of ${STEP_PACKAGERS.join(", ")} (the packagers build agents write)`,
        item,
      );
    if (seen.has(item)) throw configError("INVALID_FIELD", at, `${item} is listed twice`, item);
    seen.add(item);
    return item as StepPackager;
  });
}

function parseTimeout(raw: unknown, field: string): number {
  const text = typeof raw === "number" ? String(raw) : typeof raw === "string" ? raw : undefined;
  const seconds = text === undefined ? undefined : parseDuration(text);
  if (seconds === undefined) throw configError("INVALID_FIELD", field, `expected ${DURATION_EXAMPLES}`, raw);
  if (seconds < 1 || seconds > MAX_STEPS_TIMEOUT_SECONDS)
    throw configError("INVALID_FIELD", field, `expected a duration from 1s to 6h; found ${text}`, raw);
  return seconds;
}

function parseEnvNames(raw: unknown, field: string): string[] {
  const seen = new Set<string>();
  return plainList(raw, field).map((item, i) => {
    const at = `${field}[${i}]`;
    if (typeof item !== "string" || !STEP_ENV_NAME.test(item))
      throw configError(
        "INVALID_FIELD",
        at,
        "expected an environment variable name: capital letters, digits and _, not starting with a digit",
        item,
      );
    if (item.startsWith(RESERVED_ENV_PREFIX))
      throw configError(
        "INVALID_FIELD",
        at,
        `${item}: names starting with ${RESERVED_ENV_PREFIX} are packyard's own and never reach build steps`,
        item,
      );
    if (seen.has(item)) throw configError("INVALID_FIELD", at, `${item} is listed twice`, item);
    seen.add(item);
    return item;
  });
}

/** `p` as a normalised relative POSIX path (`./a//b/` → `a/b`), or a message saying why it is not one. */
function relativeOutput(p: string): string | { problem: string } {
  if (p.includes("\\")) return { problem: "expected a POSIX path (/ separators, no \\)" };
  if (p.startsWith("/"))
    return { problem: "expected a path relative to the work folder, not an absolute one" };
  const segments = p.split("/").filter((s) => s !== "" && s !== ".");
  if (segments.includes("..")) return { problem: "expected a path inside the work folder (no .. segment)" };
  if (segments.length === 0)
    return { problem: "expected a path below the work folder, not the folder itself" };
  return segments.join("/");
}

function parseOutputs(raw: unknown, field: string): string[] {
  return plainList(raw, field).map((item, i) => {
    const at = `${field}[${i}]`;
    const p = relativeOutput(plainString(item, at));
    if (typeof p !== "string") throw configError("INVALID_FIELD", at, p.problem, item);
    return p;
  });
}

/** What parseBuildSettings takes beyond the block. */
export interface BuildSettingsOptions {
  /**
   * The block as written, before `$VAR` expansion (`LoadedConfig.raw.build`): when given, steps are read
   * from it, so `$VAR` in a step reaches the shell rather than being expanded when the config is loaded.
   */
  unexpanded?: unknown;
}

/**
 * Parses the `build:` block (absent: `{}`); unknown keys throw SpecError UNKNOWN_KEY, bad values
 * INVALID_FIELD naming the field (`build.steps[1].run`).
 * @example parseBuildSettings({ steps: [{ run: "make" }], timeout: "10m" }, { field: "build", baseDir: "." })
 *   // { steps: [{ run: "make" }], timeout: 600 }
 */
export function parseBuildSettings(
  raw: unknown,
  ctx: ConfigContext,
  options: BuildSettingsOptions = {},
): BuildSettings {
  if (raw === undefined || raw === null) return {};
  const o = plainMap(raw, ctx.field);
  onlyKeys(o, KEYS, ctx.field);
  const at = (k: string) => `${ctx.field}.${k}`;
  const given = (v: unknown) => v !== undefined && v !== null;
  const out: BuildSettings = {};
  if (given(o.workers)) out.workers = parseWorkers(o.workers, at("workers"));
  const written =
    typeof options.unexpanded === "object" &&
    options.unexpanded !== null &&
    !Array.isArray(options.unexpanded)
      ? (options.unexpanded as Record<string, unknown>)
      : o;
  if (given(written.steps)) out.steps = parseSteps(written.steps, at("steps"));
  if (given(o.timeout)) out.timeout = parseTimeout(o.timeout, at("timeout"));
  if (given(o.env)) out.env = parseEnvNames(o.env, at("env"));
  if (given(o.outputs)) out.outputs = parseOutputs(o.outputs, at("outputs"));
  return out;
}

/**
 * The `build:` block of a loaded config (`loadConfig`'s result), with steps as written (unexpanded): what
 * a build agent and the server read.
 */
export function buildSettingsOf(
  config: { readonly raw: Record<string, unknown>; block(key: string): unknown },
  baseDir: string,
): BuildSettings {
  return parseBuildSettings(
    config.block("build"),
    { field: "build", baseDir },
    { unexpanded: config.raw.build },
  );
}

/**
 * The steps a job of `packager` runs, in order: those without `packagers` and those naming it.
 * @example stepsFor({ steps: [{ run: "a" }, { run: "b", packagers: ["rpm"] }] }, "deb") // [{ run: "a" }]
 */
export function stepsFor(settings: BuildSettings, packager: string): BuildStep[] {
  return (settings.steps ?? []).filter(
    (s) => s.packagers === undefined || (s.packagers as readonly string[]).includes(packager),
  );
}

/** The time limit over all steps in seconds: `build.timeout`, else the 30-minute default. */
export function stepsTimeoutSeconds(settings: BuildSettings): number {
  return settings.timeout ?? DEFAULT_STEPS_TIMEOUT_SECONDS;
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
