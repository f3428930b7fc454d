/**
 * Framed compression (issue 18 gate "framed compression, electron5k"): `packyard build` with framed
 * compression set in packyard.yml (independent 8 MiB frames) at `--workers 2` (the gated side),
 * `--workers 1` and `--workers 8`, interleaved, against a native command for scale. Gate: workers 2
 * ≥ 1.6× faster than workers 1, and the three packages byte-identical (sha256 of every run).
 * `framedScenario` makes one per format: this file is Arch `zstd:3/8MiB` against the raw
 * `bsdtar | zstd -3 -T0` pipe; deb-framed.ts is deb `gzip:6/8MiB` against `dpkg-deb -Zgzip -z6`.
 * `--workers` is passed only when `packyard build --help` documents it; until then the packyard side
 * runs with its default and the workers 1 / 8 sides (and so the gate) are reported as not run.
 */
import { type CliFormat, cliBuild, cliHasWorkers, cliOutput, writePackyardConfig } from "../cli-build.ts";
import type { BenchCommand, PackageKind, Scenario, ScenarioContext } from "../scenario.ts";
import { speedGates } from "../writer-gates.ts";
import { rawPipeSide } from "./archlinux.ts";

const NO_WORKERS = "packyard build has no --workers yet";

export interface FramedOptions {
  name: string;
  format: CliFormat & PackageKind;
  /** The yml's compression, e.g. `zstd:3/8MiB`. */
  compression: string;
  algo: "gzip" | "zstd";
  level: number;
  /** The format's block key in packyard.yml. */
  block: string;
  native: { label: string; commands(ctx: ScenarioContext): BenchCommand[]; output: string };
  nativeTools: string[];
  prepare?(ctx: ScenarioContext): Promise<void>;
}

export function framedScenario(o: FramedOptions): Scenario {
  return {
    name: o.name,
    description: `${o.format} with framed ${o.compression}: \`packyard build --workers 1 / 2 / 8\` against each other (and ${o.native.label} for scale).`,
    payloads: ["electron5k"],
    nativeTools: o.nativeTools,
    async prepare(ctx) {
      await o.prepare?.(ctx);
      await writePackyardConfig(ctx, o.format, [`${o.block}:`, `  compression: ${o.compression}`]);
    },
    packyard: (ctx) =>
      cliHasWorkers(ctx.repoRoot)
        ? cliBuild(ctx, o.format, { workers: 2, label: "packyard build --workers 2" })
        : cliBuild(ctx, o.format, { label: "packyard build (default workers: no --workers yet)" }),
    native: (ctx) => o.native.commands(ctx),
    extraSides: (ctx) =>
      [1, 8].map((n) => {
        const tag = `workers${n}`;
        return {
          id: `w${n}`,
          label: `packyard build --workers ${n}`,
          commands: [cliBuild(ctx, o.format, { workers: n, tag, label: `packyard build --workers ${n}` })],
          output: cliOutput(o.format, tag),
          ...(cliHasWorkers(ctx.repoRoot) ? {} : { skip: NO_WORKERS }),
        };
      }),
    outputs: { packyard: cliOutput(o.format), native: o.native.output },
    packageKind: o.format,
    ceiling: { algo: o.algo, level: o.level, split: true },
    identical: ["packyard", "w1", "w8"],
    gates: speedGates(
      `framed compression (${o.format} ${o.compression}), workers 2 vs 1`,
      ["electron5k"],
      "w1",
      1.6,
      "workers 2 ≥ 1.6× faster than workers 1; bytes identical for 1, 2, 8",
    ),
    versions: () => [
      ...o.nativeTools.map((t) => ({ label: t, cmd: t, args: ["--version"] })),
      { label: "packyard", cmd: process.execPath, args: ["packages/cli/bin/packyard.js", "--version"] },
    ],
  };
}

export const scenario: Scenario = framedScenario({
  name: "archlinux-framed",
  format: "archlinux",
  compression: "zstd:3/8MiB",
  algo: "zstd",
  level: 3,
  block: "archlinux",
  native: {
    label: "the raw `bsdtar | zstd -3 -T0` pipe",
    commands: (ctx) => rawPipeSide(ctx).commands,
    output: "pipe.tar.zst",
  },
  nativeTools: ["bsdtar", "zstd"],
});
