/** `packyard login`: stores the server URL and an API token for the remote commands. */
import { type Command, runFrom } from "../command.ts";

export const loginCommand: Command = {
  name: "login",
  summary: "store a packyard server URL and API token for the remote commands",
  help: `Usage: packyard login [--server URL] [--token TOKEN]

Checks the token against the server (GET /api/v1/user) and stores both in
$XDG_CONFIG_HOME/packyard/config.json (else ~/.config/packyard/config.json), mode 0600 in a 0700 folder.
Without --token the token is read from stdin: typed at a terminal (not echoed) or piped
(echo "$TOKEN" | packyard login --server URL), which keeps it out of the shell history and process list.

Options:
      --server URL     the server (default: PACKYARD_SERVER, else the stored one)
      --token TOKEN    the API token (pky_...) instead of reading it from stdin
      --debug          stack traces on errors
  -h, --help           show this help

Environment:
  PACKYARD_SERVER, PACKYARD_TOKEN   override the stored server and token in every remote command
  XDG_CONFIG_HOME                   where the config folder is (default ~/.config)
`,
  options: {
    server: { type: "string" },
    token: { type: "string" },
  },
  positionals: { min: 0, max: 0 },
  run: runFrom(() => import("../remote/run-login.ts")),
};
