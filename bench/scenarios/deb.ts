/**
 * deb: packyard's writer against `dpkg-deb --build --root-owner-group` on the same staged tree, same data
 * compression and level. `debScenario` makes one scenario per compression, so each gets its own section of
 * RESULTS.md: this file is gzip -6 (`npm run bench -- deb`), deb-zstd.ts is zstd -3. dpkg-deb runs GNU tar
 * and the compressor in child processes.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Scenario } from "../scenario.ts";

/** dpkg-deb needs DEBIAN/control inside the tree it builds; the packyard drivers skip that folder. */
export async function writeDebControl(payloadDir: string): Promise<void> {
  await mkdir(join(payloadDir, "DEBIAN"), { recursive: true });
  await writeFile(
    join(payloadDir, "DEBIAN/control"),
    "Package: bench\nVersion: 1.0.0-1\nArchitecture: amd64\nMaintainer: Bench <bench@example.org>\nDescription: bench payload\n",
  );
}

/** The deb scenario for one data.tar compression and level, named `name` (its RESULTS.md section). */
export function debScenario(name: string, algo: "gzip" | "zstd", level: number): Scenario {
  const ext = algo === "zstd" ? "zst" : "gz";
  return {
    name,
    description: `Debian .deb, data.tar.${ext} level ${level}: packyard vs \`dpkg-deb --root-owner-group -Z${algo} -z${level} --build\`.`,
    payloads: ["binary20mb", "electron5k", "small50k"],
    nativeTools: ["dpkg-deb"],
    prepare: (ctx) => writeDebControl(ctx.payloadDir),
    packyard: (ctx) => ({
      label: "packyard",
      cmd: process.execPath,
      args: [
        `${ctx.repoRoot}/bench/drivers/deb.ts`,
        ctx.payloadDir,
        `${ctx.workDir}/out.deb`,
        algo,
        String(level),
      ],
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
}

export const scenario: Scenario = debScenario("deb", "gzip", 6);
