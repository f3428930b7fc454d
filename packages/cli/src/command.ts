/**
 * What every subcommand module exports, and the I/O it is given. Commands never touch `process`: main.ts
 * hands them the environment, the working directory and the output streams.
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
  /** The package formats to build and read (the registry, FORMATS, unless a test injects others). */
  // biome-ignore lint/suspicious/noExplicitAny: formats carry their own option types.
  formats: readonly PackageFormat<any>[];
}

/** Parsed flags as node:util parseArgs returns them. */
export type Flags = Record<string, string | boolean | (string | boolean)[] | undefined>;

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
  run(flags: Flags, positionals: string[], io: CommandIo): Promise<number | undefined>;
}
