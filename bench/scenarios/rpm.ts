/**
 * rpm: packyard's writer (cpio + gzip-6, SHA-256 file digests, one thread) against `rpmbuild -bb` of the
 * same prebuilt payload: `%_binary_payload w6.gzdio` (same compression and level), `%__os_install_post`
 * empty, no debuginfo, `AutoReqProv: no`, build id links off, %install only copies the staged tree.
 */
import { writeFileSync } from "node:fs";
import type { Scenario, ScenarioContext } from "../scenario.ts";

function specFile(ctx: ScenarioContext): string {
  return `${ctx.workDir}/../bench-rpm.spec`;
}

export const scenario: Scenario = {
  name: "rpm",
  description:
    "rpm: packyard (cpio + gzip-6, 1 thread) vs rpmbuild -bb with w6.gzdio, no install post-processing, AutoReqProv: no.",
  payloads: ["binary20mb", "electron5k", "small50k"],
  nativeTools: ["rpmbuild"],
  async prepare(ctx) {
    writeFileSync(
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
        "%files",
        "/*",
        "",
      ].join("\n"),
    );
  },
  packyard: (ctx) => ({
    label: "packyard",
    cmd: process.execPath,
    args: [`${ctx.repoRoot}/bench/drivers/rpm.ts`, ctx.payloadDir, `${ctx.workDir}/out.rpm`, "gzip", "6"],
  }),
  native: (ctx) => [
    {
      label: "rpmbuild -bb (w6.gzdio)",
      cmd: "rpmbuild",
      args: [
        "-bb",
        "--quiet",
        "--define",
        `_topdir ${ctx.workDir}/rpmbuild`,
        "--define",
        "_binary_payload w6.gzdio",
        "--define",
        "__os_install_post %{nil}",
        "--define",
        "debug_package %{nil}",
        "--define",
        "_build_id_links none",
        specFile(ctx),
      ],
    },
  ],
  versions: () => [{ label: "rpmbuild", cmd: "rpmbuild", args: ["--version"] }],
};
