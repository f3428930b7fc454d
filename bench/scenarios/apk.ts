/**
 * apk: packyard's writer (data tar with per-file SHA-1 pax records, gzip -9, datahash, cut control)
 * against abuild's core step without abuild (not installable here): GNU tar in POSIX format piped through
 * `gzip -n -9`. The native side does less work (no per-file SHA-1 pass, no control member), so the
 * ratio is a conservative bound.
 */
import type { Scenario } from "../scenario.ts";

export const scenario: Scenario = {
  name: "apk",
  description: "Alpine apk v2, gzip -9: packyard vs `tar --format=posix | gzip -n -9` (abuild's data step).",
  payloads: ["binary20mb", "electron5k", "small50k"],
  nativeTools: ["tar", "gzip"],
  packyard: (ctx) => ({
    label: "packyard",
    cmd: process.execPath,
    args: [`${ctx.repoRoot}/bench/drivers/apk.ts`, ctx.payloadDir, `${ctx.workDir}/out.apk`, "9"],
  }),
  native: (ctx) => [
    {
      label: "tar | gzip -9",
      cmd: "sh",
      args: [
        "-c",
        `tar --format=posix --owner=root --group=root -C '${ctx.payloadDir}' -cf - . | gzip -n -9 > '${ctx.workDir}/data.tar.gz'`,
      ],
    },
  ],
  versions: () => [
    { label: "tar", cmd: "tar", args: ["--version"] },
    { label: "gzip", cmd: "gzip", args: ["--version"] },
  ],
};
