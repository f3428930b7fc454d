/**
 * A package's packyard.yml, checked with @packyard/formats' config loader before it is stored. `loadConfig`
 * parses the YAML, checks every key against the key table (unknown and refused nfpm keys fail by name) and
 * parses each format's block; it reads no file: contents, scripts and changelogs are read by
 * `resolve(format)`, which the server does not call. So a config may name source files that are not
 * uploaded yet. It is given a host that refuses every access anyway (the server never reads its own disk
 * for a user's config) and an empty environment: `$VAR` expands to nothing, never to the server's variables.
 */
import { type ConfigHost, FORMATS, loadConfig, type SpecError } from "@packyard/formats";
import { ServerError } from "../errors.ts";

const refuse = async (): Promise<never> => {
  throw new ServerError("INTERNAL", "The server does not read files for a package's packyard.yml");
};

/** A ConfigHost that answers nothing (the loader's checks do not use it; the server reads no user file). */
export const NO_FILES: ConfigHost = {
  lstat: refuse,
  stat: refuse,
  readdir: refuse,
  readlink: refuse,
  readFile: refuse,
  file: refuse,
  glob: refuse,
  isGlob: () => false,
};

function isSpecError(e: unknown): e is SpecError {
  return e instanceof Error && e.name === "SpecError" && typeof (e as SpecError).code === "string";
}

/**
 * Checks a packyard.yml text; throws 422 INVALID_CONFIG with `details.loaderCode` (the loader's SpecError
 * code: CONFIG_SYNTAX, UNKNOWN_KEY, MISSING_FIELD, ...) and `details.field` (its field path) when the loader
 * refuses it. Returns the config's top-level `name` when it is a plain string.
 */
export function checkPackageConfig(text: string, path = "packyard.yml"): { name?: string } {
  try {
    const loaded = loadConfig({ text, path, baseDir: "/", env: {}, formats: FORMATS, host: NO_FILES });
    const name = loaded.raw.name;
    return typeof name === "string" ? { name } : {};
  } catch (e) {
    if (!isSpecError(e)) throw e;
    const details: Record<string, unknown> = { loaderCode: e.code, field: e.data.field ?? null };
    for (const k of ["line", "column", "expected", "found"] as const)
      if (e.data[k] !== undefined) details[k] = e.data[k];
    throw new ServerError("INVALID_CONFIG", `${path}: ${e.message}`, details, { cause: e });
  }
}
