/**
 * apk: `packyard build -p apk` (the CLI from dist/; data tar with per-file SHA-1 pax records, gzip -9,
 * datahash, cut control) against abuild's core step without abuild (not installable here): GNU tar in
 * POSIX format piped through `gzip -n -9`. The native side does less work (no per-file SHA-1 pass, no
 * control member), so the ratio is a conservative bound. The ceiling runs on every core: apk's members are
 * signed as written, so they are never framed, but packyard makes the data member in blocks (one member,
 * deflated side by side: compress/gzip-blocks.ts), so its gzip work is split all the same. Gates (issue 18): ≥ 1.0× the native
 * pipeline on electron5k and small50k; peak RSS ≤ 150 MiB on small50k and the 2 GB payload.
 */
import { cliBuild, cliOutput, writePackyardConfig } from "../cli-build.ts";
import type { Scenario } from "../scenario.ts";
import { GATED_PAYLOADS, rssGates, speedGates } from "../writer-gates.ts";

export const scenario: Scenario = {
  name: "apk",
  description:
    "Alpine apk v2, gzip -9: `packyard build -p apk` vs `tar --format=posix | gzip -n -9` (abuild's data step).",
  payloads: ["binary20mb", "electron5k", "small50k", "large2g"],
  nativeTools: ["tar", "gzip"],
  prepare: (ctx) => writePackyardConfig(ctx, "apk", ["apk:", "  compression: gzip:9"]),
  packyard: (ctx) => cliBuild(ctx, "apk"),
  native: (ctx) => [
    {
      label: "tar | gzip -9",
      cmd: "sh",
      args: [
        "-c",
        `tar --format=posix --owner=root --group=root --exclude=./DEBIAN -C '${ctx.payloadDir}' -cf - . | gzip -n -9 > '${ctx.workDir}/data.tar.gz'`,
      ],
    },
  ],
  outputs: { packyard: cliOutput("apk"), native: "data.tar.gz" },
  packageKind: "apk",
  // Every core: the data member is one member made in blocks, compressed side by side.
  ceiling: { algo: "gzip", level: 9, split: true },
  gates: [
    ...speedGates(".apk gzip-9", GATED_PAYLOADS, "native", 1, "≥ 1.0× `tar | gzip -9`"),
    ...rssGates(".apk"),
  ],
  versions: () => [
    { label: "tar", cmd: "tar", args: ["--version"] },
    { label: "gzip", cmd: "gzip", args: ["--version"] },
    { label: "packyard", cmd: process.execPath, args: ["packages/cli/bin/packyard.js", "--version"] },
  ],
};
