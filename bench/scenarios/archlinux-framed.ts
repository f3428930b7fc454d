/**
 * Framed compression (issue 18 gate "framed compression, electron5k"): `packyard build -p archlinux`
 * with `archlinux.compression: zstd:3/8MiB` (independent 8 MiB frames) at `--workers 2` (the gated
 * side), `--workers 1` and `--workers 8`, interleaved, against the raw `bsdtar | zstd -3 -T0` pipe for
 * scale. Gate: workers 2 ≥ 1.6× faster than workers 1, and the three packages byte-identical (checked
 * on every repetition by sha256). `--workers` is passed only when `packyard build --help` documents it;
 * until then the packyard side runs with its default and the workers 1 / 8 sides are reported as not run.
 */
import { cliBuild, cliHasWorkers, cliOutput, writePackyardConfig } from "../cli-build.ts";
import type { Scenario } from "../scenario.ts";
import { speedGates } from "../writer-gates.ts";
import { rawPipeSide } from "./archlinux.ts";

const FRAMED = "zstd:3/8MiB";
const NO_WORKERS = "packyard build has no --workers yet";

export const scenario: Scenario = {
  name: "archlinux-framed",
  description: `Arch .pkg.tar.zst with framed ${FRAMED}: \`packyard build --workers 1 / 2 / 8\` against each other (and the raw \`bsdtar | zstd -3 -T0\` pipe for scale).`,
  payloads: ["electron5k"],
  nativeTools: ["bsdtar", "zstd"],
  prepare: (ctx) => writePackyardConfig(ctx, "archlinux", ["archlinux:", `  compression: ${FRAMED}`]),
  packyard: (ctx) =>
    cliHasWorkers(ctx.repoRoot)
      ? cliBuild(ctx, "archlinux", { workers: 2, label: "packyard build --workers 2" })
      : cliBuild(ctx, "archlinux", { label: "packyard build (default workers: no --workers yet)" }),
  native: (ctx) => rawPipeSide(ctx).commands,
  extraSides: (ctx) =>
    [1, 8].map((n) => {
      const tag = `workers${n}`;
      return {
        id: `w${n}`,
        label: `packyard build --workers ${n}`,
        commands: [cliBuild(ctx, "archlinux", { workers: n, tag, label: `packyard build --workers ${n}` })],
        output: cliOutput("archlinux", tag),
        ...(cliHasWorkers(ctx.repoRoot) ? {} : { skip: NO_WORKERS }),
      };
    }),
  outputs: { packyard: cliOutput("archlinux"), native: "pipe.tar.zst" },
  packageKind: "archlinux",
  ceiling: { algo: "zstd", level: 3, split: true },
  identical: ["packyard", "w1", "w8"],
  gates: speedGates(
    `framed compression (Arch ${FRAMED}), workers 2 vs 1`,
    ["electron5k"],
    "w1",
    1.6,
    "workers 2 ≥ 1.6× faster than workers 1; bytes identical for 1, 2, 8",
  ),
  versions: () => [
    { label: "bsdtar", cmd: "bsdtar", args: ["--version"] },
    { label: "zstd", cmd: "zstd", args: ["--version"] },
    { label: "packyard", cmd: process.execPath, args: ["packages/cli/bin/packyard.js", "--version"] },
  ],
};
