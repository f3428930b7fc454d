/**
 * `--after-publish CMD` (or `publish.after_publish`): after a successful publish, runs CMD with the shell,
 * handing it the mutable keys the publish changed (what a CDN must invalidate) one per line on stdin and in
 * PACKYARD_CHANGED_KEYS, and the repository in PACKYARD_REPOSITORY. Its output goes to stderr, so stdout
 * stays the publish's own (`--json`).
 */
import { spawn } from "node:child_process";

/** What the hook is told. */
export interface AfterPublishInput {
  command: string;
  changedKeys: readonly string[];
  /** The `--to` target as given. */
  repository: string;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** Where the hook's stdout and stderr go. */
  output(text: string): void;
}

/** How the hook ended: its exit status, or the signal that ended it. */
export interface AfterPublishOutcome {
  status: number | null;
  signal: NodeJS.Signals | null;
}

/** Runs the hook and waits for it; rejects only when the shell cannot be started. */
export function runAfterPublish(input: AfterPublishInput): Promise<AfterPublishOutcome> {
  const keys = input.changedKeys.join("\n");
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(input.env)) if (v !== undefined) env[k] = v;
  env.PACKYARD_CHANGED_KEYS = keys;
  env.PACKYARD_REPOSITORY = input.repository;
  return new Promise((resolve, reject) => {
    const child = spawn(input.command, {
      shell: true,
      cwd: input.cwd,
      env,
      stdio: ["pipe", "pipe", "pipe"],
    });
    const decoder = (): ((chunk: Buffer) => void) => {
      const d = new TextDecoder();
      return (chunk) => input.output(d.decode(chunk, { stream: true }));
    };
    child.stdout.on("data", decoder());
    child.stderr.on("data", decoder());
    child.on("error", reject);
    child.on("close", (status, signal) => resolve({ status, signal }));
    // A hook that does not read its stdin closes the pipe early: that is its choice, not a failure.
    child.stdin.on("error", () => {});
    child.stdin.end(keys === "" ? "" : `${keys}\n`);
  });
}
