/**
 * `packyard` entry point: picks the subcommand, parses its flags with node:util parseArgs, runs it, and
 * maps failures to exit codes (0 ok, 1 user error, 2 usage error). The only module that sees `process`
 * is bin/packyard.js, which passes argv and env in.
 */
import { readFileSync } from "node:fs";
import { FORMATS, type PackageFormat } from "./formats.ts";
import { parseArgs } from "node:util";
import { buildCommand } from "./commands/build.ts";
import { initCommand } from "./commands/init.ts";
import { inspectCommand } from "./commands/inspect.ts";
import { keygenCommand } from "./commands/keygen.ts";
import { signCommand } from "./commands/sign.ts";
import type { Command, CommandIo, Flags } from "./command.ts";
import { exitCodeOf, formatError } from "./report.ts";
import { UsageError } from "./usage-error.ts";

const COMMANDS: readonly Command[] = [buildCommand, inspectCommand, keygenCommand, signCommand, initCommand];

/** The CLI's version, from its package.json. */
export function cliVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return pkg.version;
}

function topHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `packyard: build, sign and inspect Linux and macOS packages from one config

Usage: packyard <command> [options]

Commands:
${lines.join("\n")}

Options:
  -h, --help     show help (also after a command: packyard build --help)
      --version  print the version
      --debug    print stack traces and diagnostic details

Environment:
  SOURCE_DATE_EPOCH   build date in seconds (default: the latest git commit of the config's folder, else now)
  PACKYARD_PASSPHRASE, PACKYARD_<FORMAT>_PASSPHRASE (and nfpm's NFPM_PASSPHRASE names): key passphrases
  NO_COLOR            disable colours
`;
}

/** Streams the CLI writes to; tests may pass their own. */
export interface MainStreams {
  stdout: { write(s: string): unknown; isTTY?: boolean };
  stderr: { write(s: string): unknown; isTTY?: boolean };
}

/** Runs the CLI on `argv` (without node and script) and returns the exit code. */
export async function main(
  argv: string[],
  env: Readonly<Record<string, string | undefined>>,
  streams: MainStreams = { stdout: process.stdout, stderr: process.stderr },
  cwd: string = process.cwd(),
  // biome-ignore lint/suspicious/noExplicitAny: formats carry their own option types.
  formats: readonly PackageFormat<any>[] = FORMATS,
): Promise<number> {
  const debug = argv.includes("--debug");
  const color = env.NO_COLOR === undefined && streams.stderr.isTTY === true && env.TERM !== "dumb";
  const io: CommandIo = {
    out: (s) => streams.stdout.write(s),
    err: (s) => streams.stderr.write(s),
    env,
    cwd,
    debug,
    color,
    formats,
  };
  try {
    return await dispatch(argv, io);
  } catch (e) {
    io.err(formatError(e, { debug, color }));
    return exitCodeOf(e);
  }
}

async function dispatch(argv: string[], io: CommandIo): Promise<number> {
  const first = argv.find((a) => a !== "--debug");
  if (first === undefined) {
    io.err(topHelp());
    return 2;
  }
  if (first === "--help" || first === "-h" || first === "help") {
    io.out(topHelp());
    return 0;
  }
  if (first === "--version" || first === "-v") {
    io.out(`packyard ${cliVersion()}\n`);
    return 0;
  }
  if (first.startsWith("-")) throw new UsageError(`unknown option '${first}' (expected a command first)`);
  const command = COMMANDS.find((c) => c.name === first);
  if (command === undefined) {
    const known = COMMANDS.map((c) => c.name).join(", ");
    throw new UsageError(`unknown command '${first}' (expected one of: ${known})`);
  }
  const rest = argv.slice(argv.indexOf(first) + 1);
  let flags: Flags;
  let positionals: string[];
  try {
    const parsed = parseArgs({
      args: rest,
      options: {
        ...command.options,
        help: { type: "boolean", short: "h" },
        debug: { type: "boolean" },
      },
      allowPositionals: true,
      strict: true,
    });
    flags = parsed.values as Flags;
    positionals = parsed.positionals;
  } catch (e) {
    // parseArgs throws TypeErrors with ERR_PARSE_ARGS_* codes for unknown options and missing values.
    const message = e instanceof Error ? e.message.replace(/\. To specify a positional.*$/s, "") : String(e);
    throw new UsageError(message, command.name);
  }
  if (flags.help === true) {
    io.out(command.help);
    return 0;
  }
  const { min, max, name } = command.positionals;
  if (positionals.length < min) throw new UsageError(`missing ${name ?? "argument"}`, command.name);
  if (positionals.length > max) {
    throw new UsageError(`unexpected argument '${positionals[max]}'`, command.name);
  }
  return (await command.run(flags, positionals, io)) ?? 0;
}
