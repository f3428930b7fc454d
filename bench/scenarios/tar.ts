/**
 * Smoke scenario proving the harness: packyard's tar writer + the library's gzip (level 6) against
 * `tar -czf` (GNU tar piping through gzip, whose default level is also 6).
 */
import type { Scenario } from "../scenario.ts";

export const scenario: Scenario = {
  name: "tar",
  description:
    "gzip-compressed tar of the payload: packyard's tar writer + node:zlib gzip-6 vs `tar -czf` (GNU tar + gzip -6).",
  payloads: ["binary20mb", "electron5k", "small50k"],
  nativeTools: ["tar", "gzip"],
  packyard: (ctx) => ({
    label: "packyard",
    cmd: process.execPath,
    args: [`${ctx.repoRoot}/bench/drivers/tar.ts`, ctx.payloadDir, `${ctx.workDir}/out.tar.gz`, "6"],
  }),
  native: (ctx) => [
    {
      label: "tar -czf",
      cmd: "tar",
      args: ["-czf", `${ctx.workDir}/out.tar.gz`, "-C", ctx.payloadDir, "."],
    },
  ],
  versions: () => [
    { label: "tar", cmd: "tar", args: ["--version"] },
    { label: "gzip", cmd: "gzip", args: ["--version"] },
  ],
};
