/**
 * CLI start-up: `packyard build -p deb` of a small payload, where start-up is most of the cost, against
 * `dpkg-deb --build` of the same tree. `cliStartupScenario` makes them: `cli-startup` builds one 4 KiB file
 * with the installed launcher (bin/packyard.js → the emitted dist/), `cli-startup-src` the same through the
 * TypeScript sources with type stripping (the launcher before the emitted build), `cli-build-1mb` one
 * 1 MiB file with the launcher (issue 18 item 5: "a build of a 1 MB payload"). Each gets its own
 * RESULTS.md section; `cli-version.ts` times `packyard --version` alone.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileBytes } from "../payload.ts";
import type { BenchCommand, Scenario, ScenarioContext } from "../scenario.ts";
import { writeDebControl } from "./deb.ts";

/** What is built: the staged tiny payload (one 4 KiB file), or one 1 MiB file the scenario writes itself. */
export type StartupTree = "tiny" | "1mib";

/** The 1 MiB tree: one file of the payload generator's binary-like bytes (gzip -6 keeps about half). */
const MIB_FILE = { path: "usr/lib/bench/bench-1mib.bin", size: 1 << 20, seed: 0x1b1b };

/** The folder both sides build: the staged payload, or the 1 MiB tree written beside it. */
function treeDir(ctx: ScenarioContext, tree: StartupTree): string {
  return tree === "tiny" ? ctx.payloadDir : join(dirname(ctx.payloadDir), "cli-startup-1mib");
}

function configPath(ctx: ScenarioContext, tree: StartupTree): string {
  return join(dirname(ctx.payloadDir), tree === "tiny" ? "cli-startup.yml" : "cli-startup-1mib.yml");
}

/** The start-up scenario for one way of starting the CLI and one tree. */
export function cliStartupScenario(name: string, from: "dist" | "src", tree: StartupTree = "tiny"): Scenario {
  const what =
    tree === "tiny"
      ? "of one 4 KiB file"
      : "of one 1 MiB file (written by the scenario next to the staged payload: the MB in column shows the tiny payload the harness stages, not this file)";
  return {
    name,
    description:
      from === "dist"
        ? `CLI start-up, emitted JavaScript: \`packyard build -p deb\` ${what} vs \`dpkg-deb --build\`.`
        : `CLI start-up, TypeScript sources through type stripping (the launcher before the emitted build): \`packyard build -p deb\` ${what} vs \`dpkg-deb --build\`.`,
    payloads: ["tiny"],
    nativeTools: ["dpkg-deb"],
    async prepare(ctx) {
      const dir = treeDir(ctx, tree);
      if (tree === "1mib") {
        const file = join(dir, MIB_FILE.path);
        await mkdir(dirname(file), { recursive: true });
        await writeFile(file, fileBytes(MIB_FILE.size, MIB_FILE.seed), { mode: 0o644 });
      }
      await writeDebControl(dir);
      await writeFile(
        configPath(ctx, tree),
        [
          "name: bench",
          "version: 1.0.0",
          "arch: amd64",
          "maintainer: Bench <bench@example.org>",
          "description: bench payload",
          "contents:",
          `  - src: ${join(dir, "usr")}`,
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
        configPath(ctx, tree),
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
        args: [
          "--root-owner-group",
          "-Zgzip",
          "-z6",
          "--build",
          treeDir(ctx, tree),
          `${ctx.workDir}/native.deb`,
        ],
        env: { SOURCE_DATE_EPOCH: "1704067200" },
      },
    ],
    versions: () => [{ label: "dpkg-deb", cmd: "dpkg-deb", args: ["--version"] }],
  };
}

export const scenario: Scenario = cliStartupScenario("cli-startup", "dist");
