/**
 * Release archive: `packyard build -p tar.gz` (the CLI from dist/, `archives.level: 6`) against `tar -czf`
 * (GNU tar piping through gzip, whose default level is also 6). Gates (issue 18): ≥ 1.0× `tar -czf` on
 * electron5k and small50k; peak RSS ≤ 150 MiB on small50k and the 2 GB payload.
 */
import { cliBuild, cliOutput, writePackyardConfig } from "../cli-build.ts";
import type { Scenario } from "../scenario.ts";
import { GATED_PAYLOADS, rssGates, speedGates } from "../writer-gates.ts";

export const scenario: Scenario = {
  name: "tar",
  description:
    "gzip-compressed tar of the payload: `packyard build -p tar.gz` (level 6) vs `tar -czf` (GNU tar + gzip -6).",
  payloads: ["binary20mb", "electron5k", "small50k", "large2g"],
  nativeTools: ["tar", "gzip"],
  prepare: (ctx) => writePackyardConfig(ctx, "tar.gz", ["archives:", "  formats: [tar.gz]", "  level: 6"]),
  packyard: (ctx) => cliBuild(ctx, "tar.gz"),
  native: (ctx) => [
    {
      label: "tar -czf",
      cmd: "tar",
      args: ["--exclude=./DEBIAN", "-czf", `${ctx.workDir}/native.tar.gz`, "-C", ctx.payloadDir, "."],
    },
  ],
  outputs: { packyard: cliOutput("tar.gz"), native: "native.tar.gz" },
  packageKind: "tar",
  ceiling: { algo: "gzip", level: 6, split: true },
  gates: [
    ...speedGates("tar.gz gzip-6", GATED_PAYLOADS, "native", 1, "≥ 1.0× `tar -czf`"),
    ...rssGates("tar.gz"),
  ],
  versions: () => [
    { label: "tar", cmd: "tar", args: ["--version"] },
    { label: "gzip", cmd: "gzip", args: ["--version"] },
    { label: "packyard", cmd: process.execPath, args: ["packages/cli/bin/packyard.js", "--version"] },
  ],
};
