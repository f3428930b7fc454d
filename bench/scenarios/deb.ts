/**
 * deb: packyard's writer against `dpkg-deb --build --root-owner-group` on the same staged tree, same data
 * compression and level: gzip -6 by default, zstd -3 with PACKYARD_BENCH_DEB=zstd (bench-side switch;
 * library code never reads the environment). dpkg-deb runs GNU tar and the compressor in child processes.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Scenario } from "../scenario.ts";

const algo = process.env.PACKYARD_BENCH_DEB === "zstd" ? "zstd" : "gzip";
const level = algo === "zstd" ? "3" : "6";

export const scenario: Scenario = {
  name: "deb",
  description: `Debian .deb, data.tar.${algo === "zstd" ? "zst" : "gz"} level ${level}: packyard vs \`dpkg-deb --root-owner-group -Z${algo} -z${level} --build\`.`,
  payloads: ["binary20mb", "electron5k", "small50k"],
  nativeTools: ["dpkg-deb"],
  async prepare(ctx) {
    // dpkg-deb needs DEBIAN/control inside the tree; the packyard driver skips that folder.
    await mkdir(join(ctx.payloadDir, "DEBIAN"), { recursive: true });
    await writeFile(
      join(ctx.payloadDir, "DEBIAN/control"),
      "Package: bench\nVersion: 1.0.0-1\nArchitecture: amd64\nMaintainer: Bench <bench@example.org>\nDescription: bench payload\n",
    );
  },
  packyard: (ctx) => ({
    label: "packyard",
    cmd: process.execPath,
    args: [`${ctx.repoRoot}/bench/drivers/deb.ts`, ctx.payloadDir, `${ctx.workDir}/out.deb`, algo, level],
  }),
  native: (ctx) => [
    {
      label: `dpkg-deb -Z${algo} -z${level}`,
      cmd: "dpkg-deb",
      args: [
        "--root-owner-group",
        `-Z${algo}`,
        `-z${level}`,
        "--build",
        ctx.payloadDir,
        `${ctx.workDir}/native.deb`,
      ],
      env: { SOURCE_DATE_EPOCH: "1704067200" },
    },
  ],
  versions: () => [{ label: "dpkg-deb", cmd: "dpkg-deb", args: ["--version"] }],
};
