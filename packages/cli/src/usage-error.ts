/** A command line that cannot be understood: exit code 2, message plus a pointer to `--help`. */
export class UsageError extends Error {
  override readonly name = "UsageError";
  /** The command whose help the user should read, or undefined for the top level. */
  readonly command: string | undefined;
  constructor(message: string, command?: string) {
    super(message);
    this.command = command;
  }
}
