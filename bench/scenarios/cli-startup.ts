/**
 * CLI start-up: `packyard build -p deb` of a tiny payload (one 4 KiB file), where start-up is nearly all the
 * cost, against `dpkg-deb --build` of the same tree. `cliStartupScenario` makes two: `cli-startup` runs the
 * installed launcher (bin/packyard.js → the emitted dist/), `cli-startup-src` the TypeScript sources through
 * type stripping, as the launcher did before the emitted build; each gets its own RESULTS.md section.
 */
import { writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { BenchCommand, Scenario, ScenarioContext } from "../scenario.ts";
import { writeDebControl } from "./deb.ts";

function configPath(ctx: ScenarioContext): string {
  return join(dirname(ctx.payloadDir), "cli-startup.yml");
}

/** The start-up scenario for one way of starting the CLI. */
export function cliStartupScenario(name: string, from: "dist" | "src"): Scenario {
  return {
    name,
    description:
      from === "dist"
        ? "CLI start-up, emitted JavaScript: `packyard build -p deb` of one 4 KiB file vs `dpkg-deb --build`."
        : "CLI start-up, TypeScript sources through type stripping (the launcher before the emitted build) vs `dpkg-deb --build`.",
    payloads: ["tiny"],
    nativeTools: ["dpkg-deb"],
    async prepare(ctx) {
      await writeDebControl(ctx.payloadDir);
      await writeFile(
        configPath(ctx),
        [
          "name: bench",
          "version: 1.0.0",
          "arch: amd64",
          "maintainer: Bench <bench@example.org>",
          "description: bench payload",
          "contents:",
          `  - src: ${join(ctx.payloadDir, "usr")}`,
          "    dst: /usr",
          "    type: tree",
          "checksum:",
          "  disable: true",
          "",
        ].join("\n"),
      );
    },
    packyard: (ctx): BenchCommand => ({
      label: from === "dist" ? "packyard (dist)" : "packyard (src, type stripping)",
      cmd: process.execPath,
      args: [
        ...(from === "dist"
          ? [`${ctx.repoRoot}/packages/cli/bin/packyard.js`]
          : ["--conditions=@packyard/source", `${ctx.repoRoot}/bench/drivers/cli-src.ts`]),
        "build",
        "-f",
        configPath(ctx),
        "-p",
        "deb",
        "-t",
        `${ctx.workDir}/out.deb`,
      ],
      env: { SOURCE_DATE_EPOCH: "1704067200", NO_COLOR: "1" },
    }),
    native: (ctx) => [
      {
        label: "dpkg-deb -Zgzip -z6",
        cmd: "dpkg-deb",
        args: ["--root-owner-group", "-Zgzip", "-z6", "--build", ctx.payloadDir, `${ctx.workDir}/native.deb`],
        env: { SOURCE_DATE_EPOCH: "1704067200" },
      },
    ],
    versions: () => [{ label: "dpkg-deb", cmd: "dpkg-deb", args: ["--version"] }],
  };
}

export const scenario: Scenario = cliStartupScenario("cli-startup", "dist");
