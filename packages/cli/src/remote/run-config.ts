/** `packyard config show`'s work (commands/config.ts describes the command). */
import type { RunCommand } from "../command.ts";
import { UsageError } from "../usage-error.ts";
import { maskToken, remoteSettings } from "./config.ts";

export const run: RunCommand = async (flags, positionals, io) => {
  if (positionals[0] !== "show")
    throw new UsageError(`unknown subcommand '${positionals[0]}' (expected: show)`, "config");
  const s = await remoteSettings(io.env);
  const shown = {
    file: s.file,
    server: s.server?.value ?? null,
    serverSource: s.server?.source ?? null,
    token: s.token !== undefined ? maskToken(s.token.value) : null,
    tokenSource: s.token?.source ?? null,
  };
  if (flags.json === true) {
    io.out(`${JSON.stringify(shown, null, 2)}\n`);
    return 0;
  }
  const from = (source: string | null) => (source === "env" ? " (from the environment)" : "");
  io.out(
    `config file: ${s.file}\nserver: ${shown.server ?? "(none)"}${from(shown.serverSource)}\ntoken: ${shown.token ?? "(none)"}${from(shown.tokenSource)}\n`,
  );
  return 0;
};
