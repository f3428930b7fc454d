/**
 * The packyard side of the writer scenarios: `packyard build` end to end, from the emitted JavaScript
 * (packages/cli/bin/packyard.js → dist/, as the cli-* scenarios run it), with a packyard.yml written in
 * `prepare` that maps the staged payload into the package at the paths the native side packs: one
 * `type: tree` item per top-level folder of the payload (`usr/` → `/usr`), the native side's DEBIAN/
 * control folder left out, and the format's compression and level set in the yml.
 */
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { BenchCommand, ScenarioContext } from "./scenario.ts";

/** The packagers the writer scenarios build, with the file extension of their output. */
export const CLI_FORMATS = {
  deb: "deb",
  rpm: "rpm",
  archlinux: "pkg.tar.zst",
  apk: "apk",
  macos: "pkg",
  "tar.gz": "tar.gz",
} as const;
export type CliFormat = keyof typeof CLI_FORMATS;

/** The packyard.yml a writer scenario builds from. `block` is the format's own block (YAML lines). */
export function packyardConfig(payloadDir: string, format: CliFormat, block: string[]): string {
  const tops = readdirSync(payloadDir)
    .filter((n) => n !== "DEBIAN")
    .sort();
  const contents = tops.flatMap((name) => [
    `  - src: ${JSON.stringify(join(payloadDir, name))}`,
    // macOS refuses /usr outside /usr/local (System Integrity Protection): the tree goes there instead.
    `    dst: ${format === "macos" && name === "usr" ? "/usr/local" : `/${name}`}`,
    "    type: tree",
  ]);
  return [
    "name: bench",
    "version: 1.0.0",
    "release: 1",
    "arch: amd64",
    "maintainer: Bench <bench@example.org>",
    "description: bench payload",
    "homepage: https://example.org",
    "license: MIT",
    "contents:",
    ...contents,
    "checksum:",
    "  disable: true",
    ...block,
    "",
  ].join("\n");
}

/** Where a scenario's packyard.yml goes: beside the work folder, so the harness never counts it as output. */
export function configFile(ctx: ScenarioContext): string {
  return `${ctx.workDir}.packyard.yml`;
}

export async function writePackyardConfig(
  ctx: ScenarioContext,
  format: CliFormat,
  block: string[],
): Promise<void> {
  await writeFile(configFile(ctx), packyardConfig(ctx.payloadDir, format, block));
}

let workersFlag: boolean | undefined;

/** True when `packyard build --help` documents `--workers` (the lead adds it; until then the bench does not pass it). */
export function cliHasWorkers(repoRoot: string): boolean {
  if (workersFlag === undefined) {
    const r = spawnSync(
      process.execPath,
      [join(repoRoot, "packages/cli/bin/packyard.js"), "build", "--help"],
      {
        encoding: "utf8",
      },
    );
    workersFlag = `${r.stdout}${r.stderr}`.includes("--workers");
  }
  return workersFlag;
}

/** The output file name of a packyard side (relative to the work folder). */
export function cliOutput(format: CliFormat, tag = "packyard"): string {
  return `${tag}.${CLI_FORMATS[format]}`;
}

/** `packyard build -f <yml> -p <format> -t OUT/<tag>.<ext> [--workers N]`. */
export function cliBuild(
  ctx: ScenarioContext,
  format: CliFormat,
  opts: { workers?: number; tag?: string; label?: string } = {},
): BenchCommand {
  const args = [
    join(ctx.repoRoot, "packages/cli/bin/packyard.js"),
    "build",
    "-q",
    "-f",
    configFile(ctx),
    "-p",
    format,
    "-t",
    join(ctx.workDir, cliOutput(format, opts.tag)),
  ];
  if (opts.workers !== undefined) args.push("--workers", String(opts.workers));
  return {
    label: opts.label ?? "packyard build",
    cmd: process.execPath,
    args,
    env: { SOURCE_DATE_EPOCH: "1704067200", NO_COLOR: "1" },
  };
}
