/**
 * macOS flat packages: packyard's product archive (gzip-6 cpio odc Payload + Bom + PackageInfo +
 * Distribution in a xar) against `bsdtar --format xar` of the same tree (libarchive's xar writer, gzip-6
 * per file) — the closest native tool on Linux; pkgbuild/productbuild exist only on macOS.
 */
import type { Scenario } from "../scenario.ts";

export const scenario: Scenario = {
  name: "macos",
  description: "macOS .pkg (product archive) vs `bsdtar --format xar -cf` of the same payload.",
  payloads: ["binary20mb", "electron5k", "small50k"],
  nativeTools: ["bsdtar"],
  packyard: (ctx) => ({
    label: "packyard",
    cmd: process.execPath,
    args: [`${ctx.repoRoot}/bench/drivers/macos.ts`, ctx.payloadDir, `${ctx.workDir}/out.pkg`],
  }),
  native: (ctx) => [
    {
      label: "bsdtar --format xar",
      cmd: "bsdtar",
      args: ["--format", "xar", "-cf", `${ctx.workDir}/out.xar`, "-C", ctx.payloadDir, "."],
    },
  ],
  versions: () => [{ label: "bsdtar", cmd: "bsdtar", args: ["--version"] }],
};
