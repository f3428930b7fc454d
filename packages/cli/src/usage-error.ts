/** A command line that cannot be understood: exit code 2, message plus a pointer to `--help`. */
import { errorLabel } from "./paint.ts";

export class UsageError extends Error {
  override readonly name = "UsageError";
  /** The command whose help the user should read, or undefined for the top level. */
  readonly command: string | undefined;
  constructor(message: string, command?: string) {
    super(message);
    this.command = command;
  }
}

/**
 * The text printed to stderr for a usage error, ending with a newline: the message and which help to read
 * (no stack trace, even with --debug). Here rather than in report.ts so that reporting one loads no library.
 */
export function formatUsageError(e: UsageError, opts: { color: boolean }): string {
  const help = e.command === undefined ? "packyard --help" : `packyard ${e.command} --help`;
  return `${errorLabel(opts.color)} ${e.message}\nSee '${help}'.\n`;
}

/** Exit code for `e`: 2 for usage errors, 1 for everything else. */
export function exitCodeOf(e: unknown): number {
  return e instanceof UsageError ? 2 : 1;
}
