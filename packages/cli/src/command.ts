/**
 * What every subcommand module exports, and the I/O it is given. Commands never touch `process`: main.ts
 * hands them the environment, the working directory and the output streams.
 *
 * A command is two modules: `commands/NAME.ts` describes it (name, help, options) and loads nothing but
 * that, so `packyard --help` and every usage error load no library; `run/NAME.ts` does the work and is
 * imported when the command runs (see {@link runFrom}), and with it the libraries it uses.
 */
import type { ParseArgsOptionsConfig } from "node:util";
import type { PackageFormat } from "./formats.ts";

/** Where a command writes and what it may read of the host. */
export interface CommandIo {
  /** Machine-readable results (JSON manifests, summaries). */
  out(text: string): void;
  /** Progress lines and remarks. */
  err(text: string): void;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  debug: boolean;
  color: boolean;
  /** stderr is a terminal (and TERM is not `dumb`): progress may redraw a line in place. */
  tty: boolean;
  /** The terminal's width, when stderr is one. */
  columns?: number;
  /**
   * The package formats to build and read, when a test injects its own; undefined means the library's
   * registry (FORMATS), loaded by the commands that use it.
   */
  // biome-ignore lint/suspicious/noExplicitAny: formats carry their own option types.
  formats?: readonly PackageFormat<any>[];
}

/** Parsed flags as node:util parseArgs returns them. */
export type Flags = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** What a command does with its parsed flags and positionals: the exit code (0 when omitted). */
export type RunCommand = (flags: Flags, positionals: string[], io: CommandIo) => Promise<number | undefined>;

/** One `packyard <name>` subcommand. */
export interface Command {
  name: string;
  summary: string;
  /** Full `--help` text (usage line, options, examples). */
  help: string;
  options: ParseArgsOptionsConfig;
  /** How many positionals the command takes. */
  positionals: { min: number; max: number; name?: string };
  /** Returns the exit code (0 when omitted). Throws packyard errors for user errors, UsageError for usage. */
  run: RunCommand;
}

/**
 * A `run` that imports the module doing the command's work only when the command runs.
 * @example run: runFrom(() => import("../run/build.ts"))
 */
export function runFrom(load: () => Promise<{ run: RunCommand }>): RunCommand {
  return async (flags, positionals, io) => (await load()).run(flags, positionals, io);
}
