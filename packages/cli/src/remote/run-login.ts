/** `packyard login`'s work (commands/login.ts describes the command). */
import type { CommandIo, Flags, RunCommand } from "../command.ts";
import { stringFlag } from "../flags.ts";
import { RemoteClient } from "./client.ts";
import { ConfigError, normalizeServer, readConfig, writeConfig } from "./config.ts";

/** What login reads a token from when --token is not given. */
export interface TokenInput extends AsyncIterable<Uint8Array | string> {
  isTTY?: boolean;
  setRawMode?(raw: boolean): unknown;
  pause?(): unknown;
}

/**
 * Reads a token: at a terminal a prompt on stderr and the typed characters, not echoed, up to Enter
 * (Backspace works, Ctrl-C or Ctrl-D gives up); from a pipe its first line.
 */
export async function readToken(input: TokenInput, io: Pick<CommandIo, "err">): Promise<string> {
  const tty = input.isTTY === true && typeof input.setRawMode === "function";
  if (tty) {
    io.err("API token (not shown): ");
    input.setRawMode!(true);
  }
  let text = "";
  try {
    for await (const chunk of input) {
      const s = typeof chunk === "string" ? chunk : new TextDecoder().decode(chunk);
      if (!tty) {
        text += s;
        if (text.includes("\n")) break;
        continue;
      }
      for (const ch of s) {
        if (ch === "\r" || ch === "\n") return text;
        if (ch === "\u0003" || ch === "\u0004")
          throw new ConfigError("NO_TOKEN", "Expected an API token, found the input cancelled");
        if (ch === "\u007f" || ch === "\b") text = text.slice(0, -1);
        else text += ch;
      }
    }
  } finally {
    if (tty) {
      input.setRawMode!(false);
      io.err("\n");
    }
    input.pause?.();
  }
  return text.split(/\r?\n/)[0]!.trim();
}

/** Runs `packyard login` with `input` as its stdin. */
export async function login(flags: Flags, io: CommandIo, input: TokenInput): Promise<number> {
  const { file, config } = await readConfig(io.env);
  const given = stringFlag(flags, "server");
  const rawServer = given ?? (io.env.PACKYARD_SERVER || undefined) ?? config.server;
  if (rawServer === undefined)
    throw new ConfigError(
      "NOT_LOGGED_IN",
      "Expected --server URL (or PACKYARD_SERVER): no server is stored yet",
      {
        file,
      },
    );
  const server = normalizeServer(rawServer, given !== undefined ? "--server" : "the server");
  const token = (stringFlag(flags, "token") ?? (await readToken(input, io))).trim();
  if (token === "") throw new ConfigError("NO_TOKEN", "Expected an API token (pky_...), found an empty one");
  const client = new RemoteClient({ server, token });
  const user = await client.call<{ slug: string; email: string; isAdmin: boolean }>("GET", "/api/v1/user");
  const written = await writeConfig(io.env, { ...config, server, token });
  io.err(`logged in to ${server} as ${user.slug}${user.isAdmin ? " (admin)" : ""}; saved to ${written}\n`);
  if (io.env.PACKYARD_TOKEN)
    io.err("note: PACKYARD_TOKEN is set and overrides the stored token in the remote commands\n");
  return 0;
}

export const run: RunCommand = async (flags, _positionals, io) => login(flags, io, process.stdin);
