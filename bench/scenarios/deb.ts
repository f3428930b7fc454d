/**
 * deb: `packyard build -p deb` (the CLI from dist/, end to end) against `dpkg-deb --build
 * --root-owner-group` on the same staged tree, same data compression and level. `debScenario` makes one
 * scenario per compression, so each gets its own section of RESULTS.md: this file is gzip -6
 * (`npm run bench -- deb`), deb-zstd.ts is zstd -3. dpkg-deb runs GNU tar and the compressor in child
 * processes. Gates (issue 18): gzip-6 ≥ 2× faster than dpkg-deb on electron5k and small50k; zstd-3
 * (one frame) ≥ 0.8× dpkg-deb on electron5k; peak RSS ≤ 150 MiB on small50k and the 2 GB payload.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { cliBuild, cliOutput, writePackyardConfig } from "../cli-build.ts";
import type { Scenario } from "../scenario.ts";
import { GATED_PAYLOADS, rssGates, speedGates } from "../writer-gates.ts";

/** dpkg-deb needs DEBIAN/control inside the tree it builds; packyard's config leaves that folder out. */
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
  const native = `dpkg-deb -Z${algo} -z${level}`;
  return {
    name,
    description: `Debian .deb, data.tar.${ext} level ${level}: \`packyard build -p deb\` (deb.compression ${algo}:${level}) vs \`dpkg-deb --root-owner-group -Z${algo} -z${level} --build\`.`,
    payloads:
      algo === "gzip"
        ? ["binary20mb", "electron5k", "small50k", "large2g"]
        : ["binary20mb", "electron5k", "small50k"],
    nativeTools: ["dpkg-deb", "gzip", "zstd"],
    async prepare(ctx) {
      await writeDebControl(ctx.payloadDir);
      await writePackyardConfig(ctx, "deb", ["deb:", `  compression: ${algo}:${level}`]);
    },
    packyard: (ctx) => cliBuild(ctx, "deb"),
    native: (ctx) => [
      {
        label: native,
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
    outputs: { packyard: cliOutput("deb"), native: "native.deb" },
    packageKind: "deb",
    ceiling:
      algo === "gzip"
        ? { algo, level, split: true }
        : { algo, level, split: false, why: "dpkg reads only the first zstd frame" },
    gates:
      algo === "gzip"
        ? [
            ...speedGates(
              `.deb gzip-${level}`,
              GATED_PAYLOADS,
              "native",
              2,
              `≥ 2× faster than \`${native}\``,
            ),
            ...rssGates(".deb"),
          ]
        : speedGates(
            `.deb zstd-${level} (one frame)`,
            ["electron5k"],
            "native",
            0.8,
            `≥ 0.8× \`${native}\` (packyard time ≤ native / 0.8)`,
          ),
    versions: () => [
      { label: "dpkg-deb", cmd: "dpkg-deb", args: ["--version"] },
      { label: "packyard", cmd: process.execPath, args: ["packages/cli/bin/packyard.js", "--version"] },
    ],
  };
}

export const scenario: Scenario = debScenario("deb", "gzip", 6);
