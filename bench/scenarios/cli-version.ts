/**
 * CLI start-up alone: `packyard --version` (the installed launcher, emitted JavaScript) against
 * `dpkg-deb --version`. Nothing is built: the staged tiny payload is unused, and both sides write no file.
 */
import type { Scenario } from "../scenario.ts";

export const scenario: Scenario = {
  name: "cli-version",
  description:
    "CLI start-up alone: `packyard --version` vs `dpkg-deb --version` (nothing built; the tiny payload is unused).",
  payloads: ["tiny"],
  nativeTools: ["dpkg-deb"],
  packyard: (ctx) => ({
    label: "packyard --version (dist)",
    cmd: process.execPath,
    args: [`${ctx.repoRoot}/packages/cli/bin/packyard.js`, "--version"],
    env: { NO_COLOR: "1" },
  }),
  native: () => [{ label: "dpkg-deb --version", cmd: "dpkg-deb", args: ["--version"] }],
  versions: () => [{ label: "dpkg-deb", cmd: "dpkg-deb", args: ["--version"] }],
};
