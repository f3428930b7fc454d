/**
 * Real tools are the judges. A test that needs one calls `needTool`: when the tool is missing the test
 * is skipped locally, but with CI=true it fails, so a missing judge never passes silently.
 */
import { spawnSync } from "node:child_process";
import type { TestContext } from "node:test";

const cache = new Map<string, boolean>();

/** True when `name` is on PATH. */
export function hasTool(name: string): boolean {
  let found = cache.get(name);
  if (found === undefined) {
    found = spawnSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" }).status === 0;
    cache.set(name, found);
  }
  return found;
}

/**
 * Returns true when every tool is present. Otherwise skips the test (returns false), or throws when
 * CI=true so that CI reports the missing judge as a failure.
 */
export function needTool(t: TestContext, ...names: string[]): boolean {
  const missing = names.filter((n) => !hasTool(n));
  if (missing.length === 0) return true;
  const msg = `needs ${missing.join(", ")} (install the Debian packages listed in .ci/run)`;
  if (process.env.CI === "true") throw new Error(`CI=true and a judge is missing: ${msg}`);
  t.skip(msg);
  return false;
}

/**
 * Returns true when the tests run as root (what `why` needs, e.g. rpm chrooting into a scratch root to run
 * scriptlets). Otherwise skips the test (returns false), or throws when CI=true, like {@link needTool}.
 */
export function needRoot(t: TestContext, why: string): boolean {
  if (process.getuid?.() === 0) return true;
  if (process.env.CI === "true") throw new Error(`CI=true and not root: ${why}`);
  t.skip(`needs root: ${why}`);
  return false;
}

/** Runs a command, returning stdout; throws with stderr when it exits non-zero. */
export function run(
  cmd: string,
  args: string[],
  options: { input?: Uint8Array | string; cwd?: string; env?: NodeJS.ProcessEnv } = {},
): string {
  const r = tryRun(cmd, args, options);
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(" ")} exited ${r.status}\n${r.stderr}\n${r.stdout}`);
  return r.stdout;
}

/**
 * Runs a command and returns status (-1 when a signal ended it), stdout and stderr without throwing;
 * throws only when it could not be started.
 */
export function tryRun(
  cmd: string,
  args: string[],
  options: { input?: Uint8Array | string; cwd?: string; env?: NodeJS.ProcessEnv } = {},
): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, {
    input: options.input,
    cwd: options.cwd,
    env: options.env ?? process.env,
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}
