/** `packyard config show`: the server and token the remote commands use, and where they come from. */
import { type Command, runFrom } from "../command.ts";

export const configCommand: Command = {
  name: "config",
  summary: "show the server and token the remote commands use (token masked)",
  help: `Usage: packyard config show [--json]

Prints the config file's path, the server and the API token (masked: pky_abcd…wxyz) the remote commands
use, and where each comes from: the environment (PACKYARD_SERVER, PACKYARD_TOKEN) or the file.

Options:
      --json     print { file, server, serverSource, token, tokenSource } (token masked)
      --debug    stack traces on errors
  -h, --help     show this help
`,
  options: {
    json: { type: "boolean" },
  },
  positionals: { min: 1, max: 1, name: "subcommand (show)" },
  run: runFrom(() => import("../remote/run-config.ts")),
};
