/**
 * `packyard` entry point: picks the subcommand, parses its flags with node:util parseArgs, runs it, and
 * maps failures to exit codes (0 ok, 1 user error, 2 usage error). The only module that sees `process`
 * is bin/packyard.js, which passes argv and env in.
 *
 * Start-up loads only what the command line needs: this module and the command descriptions
 * (commands/*.ts) import no library, so `--version`, `--help` and a usage error print without loading
 * @packyard/formats, openpgp.js, the YAML parser or @packyard/repo. A command's work (run/*.ts), and with
 * it the libraries it uses, is imported when it runs; report.ts (which knows every library's errors) when
 * a command fails.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import type { Command, CommandIo, Flags } from "./command.ts";
import { agentCommand } from "./commands/agent.ts";
import { buildCommand } from "./commands/build.ts";
import { configCommand } from "./commands/config.ts";
import { initCommand } from "./commands/init.ts";
import { inspectCommand } from "./commands/inspect.ts";
import { keygenCommand } from "./commands/keygen.ts";
import { loginCommand } from "./commands/login.ts";
import { publishCommand } from "./commands/publish.ts";
import { remoteCommand } from "./commands/remote.ts";
import { repoCommand } from "./commands/repo.ts";
import { serveCommand } from "./commands/serve.ts";
import { signCommand } from "./commands/sign.ts";
import { uploadCommand } from "./commands/upload.ts";
import type { PackageFormat } from "./formats.ts";
import { exitCodeOf, formatUsageError, UsageError } from "./usage-error.ts";

/** Every `packyard <command>`, in the order `--help` lists them. */
export const COMMANDS: readonly Command[] = [
  buildCommand,
  inspectCommand,
  keygenCommand,
  signCommand,
  publishCommand,
  repoCommand,
  serveCommand,
  agentCommand,
  loginCommand,
  configCommand,
  uploadCommand,
  remoteCommand,
  initCommand,
];

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
  return `packyard: build, sign, inspect and publish Linux and macOS packages from one config

Usage: packyard <command> [options]

Commands:
${lines.join("\n")}

Options:
  -h, --help     show help (also after a command: packyard build --help, or packyard help build)
      --version  print the version
      --debug    print stack traces and diagnostic details

Environment:
  SOURCE_DATE_EPOCH   build date in seconds (default: the latest git commit of the config's folder, else now)
  PACKYARD_PASSPHRASE, PACKYARD_<FORMAT>_PASSPHRASE (and nfpm's NFPM_PASSPHRASE names): key passphrases
                      (PACKYARD_REPO_PASSPHRASE: the repository key of publish and repo)
  AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_PROFILE, ...: S3 credentials of publish and repo
  NO_COLOR            disable colours (when set and not empty)
  PACKYARD_PROGRESS_INTERVAL  seconds between build progress lines when stderr is not a terminal (5)
`;
}

/** One stream the CLI writes to: process.stdout/stderr, or what a test passes. */
export interface OutStream {
  write(s: string): unknown;
  isTTY?: boolean;
  /** Terminal width, for progress bars. */
  columns?: number;
  /** Node streams report write failures (EPIPE when the reader went away) as `error` events. */
  on?(event: "error", listener: (e: Error) => void): unknown;
}

/** Streams the CLI writes to; tests may pass their own. */
export interface MainStreams {
  stdout: OutStream;
  stderr: OutStream;
}

/**
 * A writer that stops writing once the reader has gone: `packyard inspect x.deb | head -1` closes the
 * pipe early, which is what the reader wanted, not an error (EPIPE; SIGPIPE is ignored by Node). Any other
 * write failure is kept, for main() to report.
 */
function guarded(stream: OutStream): { write(s: string): void; failure(): Error | undefined } {
  let closed = false;
  let failure: Error | undefined;
  const fail = (e: Error): void => {
    closed = true;
    if ((e as NodeJS.ErrnoException).code !== "EPIPE") failure ??= e;
  };
  stream.on?.("error", fail);
  return {
    write(s) {
      if (closed) return;
      try {
        stream.write(s);
      } catch (e) {
        fail(e as Error);
      }
    },
    failure: () => failure,
  };
}

/** Runs the CLI on `argv` (without node and script) and returns the exit code. */
export async function main(
  argv: string[],
  env: Readonly<Record<string, string | undefined>>,
  streams: MainStreams = { stdout: process.stdout, stderr: process.stderr },
  cwd: string = process.cwd(),
  /** The formats to build and read instead of the library's registry (tests inject their own). */
  // biome-ignore lint/suspicious/noExplicitAny: formats carry their own option types.
  formats?: readonly PackageFormat<any>[],
): Promise<number> {
  const debug = argv.includes("--debug");
  const tty = streams.stderr.isTTY === true && env.TERM !== "dumb";
  // no-color.org: NO_COLOR turns colour off when it is set and not empty; NO_COLOR= keeps it.
  const color = (env.NO_COLOR === undefined || env.NO_COLOR === "") && tty;
  const stdout = guarded(streams.stdout);
  const stderr = guarded(streams.stderr);
  const io: CommandIo = {
    out: (s) => stdout.write(s),
    err: (s) => stderr.write(s),
    env,
    cwd,
    debug,
    color,
    tty,
    ...(streams.stderr.columns !== undefined ? { columns: streams.stderr.columns } : {}),
    ...(formats !== undefined ? { formats } : {}),
  };
  let status: number;
  try {
    status = await dispatch(argv, io);
  } catch (e) {
    io.err(await errorText(e, { debug, color }));
    status = exitCodeOf(e);
  }
  const lost = stdout.failure();
  if (lost !== undefined && status === 0) {
    const { IOError } = await import("./formats.ts");
    io.err(
      await errorText(
        new IOError("WRITE_FAILED", `cannot write to stdout: ${lost.message}`, {}, { cause: lost }),
        { debug, color },
      ),
    );
    return 1;
  }
  return status;
}

/** What stderr says about `e`: a usage error without loading report.ts (and the libraries it knows). */
async function errorText(e: unknown, opts: { debug: boolean; color: boolean }): Promise<string> {
  if (e instanceof UsageError) return formatUsageError(e, opts);
  const { formatError } = await import("./report.ts");
  return formatError(e, opts);
}

function unknownCommand(name: string): UsageError {
  return new UsageError(
    `unknown command '${name}' (expected one of: ${COMMANDS.map((c) => c.name).join(", ")})`,
  );
}

async function dispatch(argv: string[], io: CommandIo): Promise<number> {
  const first = argv.find((a) => a !== "--debug");
  if (first === undefined) {
    io.err(topHelp());
    return 2;
  }
  if (first === "--help" || first === "-h") {
    io.out(topHelp());
    return 0;
  }
  if (first === "help") {
    // `packyard help build` is `packyard build --help`, as git and npm have it.
    const [topic, extra] = argv.slice(argv.indexOf(first) + 1).filter((a) => a !== "--debug");
    if (extra !== undefined)
      throw new UsageError(`unexpected argument '${extra}' (usage: packyard help [COMMAND])`);
    if (topic === undefined) {
      io.out(topHelp());
      return 0;
    }
    const command = COMMANDS.find((c) => c.name === topic);
    if (command === undefined) throw unknownCommand(topic);
    io.out(command.help);
    return 0;
  }
  if (first === "--version" || first === "-v") {
    io.out(`packyard ${cliVersion()}\n`);
    return 0;
  }
  if (first.startsWith("-")) throw new UsageError(`unknown option '${first}' (expected a command first)`);
  const command = COMMANDS.find((c) => c.name === first);
  if (command === undefined) throw unknownCommand(first);
  const rest = argv.slice(argv.indexOf(first) + 1);
  const { flags, positionals } = parseCommandArgs(command, rest);
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

/**
 * A command's arguments parsed as `packyard` parses them: its options plus `-h`/`--help` and `--debug`,
 * strict, positionals allowed, and `--no-NAME` for a boolean option NAME (false: turns off a setting a
 * repository holds); an option itself named `no-NAME` (`--no-lock`) keeps its meaning.
 * @throws UsageError for an unknown option, a missing value, or `--no-` before a non-boolean.
 */
export function parseCommandArgs(
  command: Pick<Command, "name" | "options">,
  args: readonly string[],
): { flags: Flags; positionals: string[] } {
  let flags: Flags;
  let positionals: string[];
  try {
    const parsed = parseArgs({
      args: [...args],
      options: {
        ...command.options,
        help: { type: "boolean", short: "h" },
        debug: { type: "boolean" },
      },
      allowPositionals: true,
      strict: true,
      allowNegative: true,
    });
    flags = parsed.values as Flags;
    positionals = parsed.positionals;
  } catch (e) {
    // parseArgs throws TypeErrors with ERR_PARSE_ARGS_* codes for unknown options and missing values.
    const message = e instanceof Error ? e.message.replace(/\. To specify a positional.*$/s, "") : String(e);
    throw new UsageError(message, command.name);
  }
  for (const [name, value] of Object.entries(flags)) {
    if (value !== false) continue;
    if (command.options[`no-${name}`] !== undefined) {
      delete flags[name];
      flags[`no-${name}`] = true;
    } else if (command.options[name] === undefined) {
      throw new UsageError(`unknown option '--no-${name}'`, command.name);
    }
  }
  return { flags, positionals };
}
