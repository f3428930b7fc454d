/** Test helpers: spawn the real launcher, or call main() in-process with injected formats. */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { PackageFormat } from "../src/formats.ts";
import { main } from "../src/main.ts";

export const LAUNCHER = fileURLToPath(new URL("../bin/packyard.js", import.meta.url));
export const REPO = fileURLToPath(new URL("../../../", import.meta.url));

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Spawns `node bin/packyard.js ...args` in `cwd` (NO_COLOR set, SOURCE_DATE_EPOCH cleared unless given). */
export function spawnCli(args: string[], cwd: string, env: Record<string, string> = {}): CliResult {
  const base: Record<string, string | undefined> = {
    ...process.env,
    NO_COLOR: "1",
    SOURCE_DATE_EPOCH: undefined,
  };
  const r = spawnSync(process.execPath, [LAUNCHER, ...args], {
    cwd,
    env: { ...base, ...env } as NodeJS.ProcessEnv,
    encoding: "utf8",
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Runs main() in-process with the given formats, capturing output. */
export async function runMain(
  args: string[],
  cwd: string,
  // biome-ignore lint/suspicious/noExplicitAny: formats carry their own option types.
  formats: readonly PackageFormat<any>[],
  env: Record<string, string> = {},
): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const status = await main(
    args,
    { NO_COLOR: "1", ...env },
    { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } },
    cwd,
    formats,
  );
  return { status, stdout, stderr };
}

/** True when `text` is one error paragraph: starts with `error:`, no stack frames. */
export function isOneParagraph(text: string): boolean {
  return text.startsWith("error: ") && !/\n\s+at /.test(text) && !text.trimEnd().includes("\n\n");
}
