/**
 * rpm: `packyard build -p rpm` (the CLI from dist/, rpm.compression gzip:6) against `rpmbuild -bb` of the
 * same prebuilt payload: `%_binary_payload w6.gzdio` (same compression and level), `%__os_install_post`
 * empty, no debuginfo, `AutoReqProv: no`, build id links off, %install only copies the staged tree (the
 * native side's DEBIAN/ folder removed). `rpmScenario` makes one scenario per payload compression:
 * this file is gzip -6, rpm-zstd.ts is zstd -3 (`w3.zstdio`). Gates (issue 18): ≥ 4× faster than
 * rpmbuild on electron5k and small50k, both compressions; peak RSS ≤ 150 MiB (gzip scenario).
 */
import { writeFile } from "node:fs/promises";
import { cliBuild, cliOutput, writePackyardConfig } from "../cli-build.ts";
import type { Scenario, ScenarioContext } from "../scenario.ts";
import { GATED_PAYLOADS, rssGates, speedGates } from "../writer-gates.ts";

function specFile(ctx: ScenarioContext): string {
  return `${ctx.workDir}.spec`;
}

export function rpmScenario(name: string, algo: "gzip" | "zstd", level: number): Scenario {
  const io = algo === "gzip" ? `w${level}.gzdio` : `w${level}.zstdio`;
  return {
    name,
    description: `rpm, payload ${algo}-${level}: \`packyard build -p rpm\` (rpm.compression ${algo}:${level}) vs \`rpmbuild -bb\` with ${io}, no install post-processing, AutoReqProv: no.`,
    payloads:
      algo === "gzip"
        ? ["binary20mb", "electron5k", "small50k", "large2g"]
        : ["binary20mb", "electron5k", "small50k"],
    nativeTools: ["rpmbuild", "rpm2cpio", "gzip", "zstd"],
    async prepare(ctx) {
      await writeFile(
        specFile(ctx),
        [
          "Name: bench",
          "Version: 1.0.0",
          "Release: 1",
          "Summary: bench payload",
          "License: MIT",
          "AutoReqProv: no",
          "%description",
          "bench payload",
          "%install",
          `cp -a ${ctx.payloadDir}/. %{buildroot}/`,
          "rm -rf %{buildroot}/DEBIAN",
          "%files",
          "/*",
          "",
        ].join("\n"),
      );
      await writePackyardConfig(ctx, "rpm", ["rpm:", `  compression: ${algo}:${level}`]);
    },
    packyard: (ctx) => cliBuild(ctx, "rpm"),
    native: (ctx) => [
      {
        label: `rpmbuild -bb (${io})`,
        cmd: "rpmbuild",
        args: [
          "-bb",
          "--quiet",
          "--define",
          `_topdir ${ctx.workDir}/rpmbuild`,
          "--define",
          `_binary_payload ${io}`,
          "--define",
          "__os_install_post %{nil}",
          "--define",
          "debug_package %{nil}",
          "--define",
          "_build_id_links none",
          "--define",
          "_rpmfilename bench.rpm",
          specFile(ctx),
        ],
      },
    ],
    outputs: { packyard: cliOutput("rpm"), native: "rpmbuild/RPMS/bench.rpm" },
    packageKind: "rpm",
    ceiling: { algo, level, split: true },
    gates: [
      ...speedGates(
        `.rpm ${algo}-${level}`,
        GATED_PAYLOADS,
        "native",
        4,
        `≥ 4× faster than \`rpmbuild -bb\``,
      ),
      ...(algo === "gzip" ? rssGates(".rpm") : []),
    ],
    versions: () => [
      { label: "rpmbuild", cmd: "rpmbuild", args: ["--version"] },
      { label: "packyard", cmd: process.execPath, args: ["packages/cli/bin/packyard.js", "--version"] },
    ],
  };
}

export const scenario: Scenario = rpmScenario("rpm", "gzip", 6);
