/**
 * macOS flat packages: `packyard build -p macos` (the CLI from dist/; product archive: gzip-6 cpio odc
 * Payload + Bom + PackageInfo + Distribution in a xar; the payload's usr/ goes to /usr/local, since
 * packyard refuses SIP-protected paths) against `bsdtar --format xar` of the same tree (libarchive's xar
 * writer, gzip-6 per file) — the closest native tool on Linux; pkgbuild/productbuild exist only on macOS.
 * The ceiling runs on every core: the Payload is one gzip member (several are not proven for Installer)
 * made in blocks, deflated side by side (compress/gzip-blocks.ts).
 * Gates (issue 18): ≥ 1.0× bsdtar on electron5k and small50k; peak RSS ≤ 150 MiB on small50k and 2 GB.
 */
import { cliBuild, cliOutput, writePackyardConfig } from "../cli-build.ts";
import type { Scenario } from "../scenario.ts";
import { GATED_PAYLOADS, rssGates, speedGates } from "../writer-gates.ts";

export const scenario: Scenario = {
  name: "macos",
  description:
    "macOS .pkg (product archive): `packyard build -p macos` vs `bsdtar --format xar -cf` of the same payload.",
  payloads: ["binary20mb", "electron5k", "small50k", "large2g"],
  nativeTools: ["bsdtar", "gzip"],
  prepare: (ctx) => writePackyardConfig(ctx, "macos", ["macos:", "  identifier: org.example.bench"]),
  packyard: (ctx) => cliBuild(ctx, "macos"),
  native: (ctx) => [
    {
      label: "bsdtar --format xar",
      cmd: "bsdtar",
      args: [
        "--format",
        "xar",
        "--exclude",
        "./DEBIAN",
        "-cf",
        `${ctx.workDir}/out.xar`,
        "-C",
        ctx.payloadDir,
        ".",
      ],
    },
  ],
  outputs: { packyard: cliOutput("macos"), native: "out.xar" },
  packageKind: "macos",
  ceiling: { algo: "gzip", level: 6, split: true },
  gates: [
    ...speedGates("macOS .pkg", GATED_PAYLOADS, "native", 1, "≥ 1.0× `bsdtar --format xar`"),
    ...rssGates("macOS .pkg"),
  ],
  versions: () => [
    { label: "bsdtar", cmd: "bsdtar", args: ["--version"] },
    { label: "packyard", cmd: process.execPath, args: ["packages/cli/bin/packyard.js", "--version"] },
  ],
};
