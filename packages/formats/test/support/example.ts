/**
 * The example project (fixtures/example) built the way `packyard build -p <format>` builds it: its
 * packyard.yml through the config loader and the real format registry, at a fixed build date. Tests
 * that judge "the example" use this, so they judge what users get from the README's quick start.
 */
import { readFileSync } from "node:fs";
import { loadConfig } from "../../src/config/index.ts";
import { FORMATS } from "../../src/registry.ts";
import type { PackageSpec } from "../../src/spec/types.ts";

/** fixtures/example/, absolute, with a trailing slash. */
export const EXAMPLE_DIR = new URL("../../../../fixtures/example/", import.meta.url).pathname;

/** 2024-01-01T00:00:00Z, the date of the example's newest changelog entry, used as the build date. */
export const EXAMPLE_DATE = 1704067200;

/** The example's spec and format options for one format id (`deb`, `rpm`, `archlinux`, `apk`, `macos`, ...). */
export async function exampleFromConfig<O = unknown>(
  formatId: string,
  config = "packyard.yml",
): Promise<{ spec: PackageSpec; options: O }> {
  const cfg = loadConfig({
    text: readFileSync(EXAMPLE_DIR + config, "utf8"),
    path: config,
    baseDir: EXAMPLE_DIR,
    env: {},
    formats: FORMATS,
  });
  const r = await cfg.resolve(formatId, { date: EXAMPLE_DATE });
  return { spec: r.spec, options: r.options as O };
}
