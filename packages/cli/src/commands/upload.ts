/** `packyard upload`: sends a source file to a package on the server, under its access name. */
import { type Command, runFrom } from "../command.ts";

export const uploadCommand: Command = {
  name: "upload",
  summary: "upload a source file to a package on a packyard server",
  help: `Usage: packyard upload --project PROJECT --package NAME [--name ACCESS] [--json] FILE

Uploads FILE as the package's source file ACCESS (the name packyard.yml refers to it by; uploading it
again replaces it). The SHA-256 is sent with it (X-Checksum-Sha256) and the server checks it. Progress
is shown when stderr is a terminal. Prints the stored name, size and SHA-256.

Options:
      --project PROJECT   the project (slug)
      --package NAME      the package
      --name ACCESS       the access name (default: FILE's base name)
      --json              print the server's answer as JSON
      --debug             stack traces on errors
  -h, --help              show this help

Uses the server and token of packyard login, or PACKYARD_SERVER and PACKYARD_TOKEN.
`,
  options: {
    project: { type: "string" },
    package: { type: "string" },
    name: { type: "string" },
    json: { type: "boolean" },
  },
  positionals: { min: 1, max: 1, name: "FILE" },
  run: runFrom(() => import("../remote/run-upload.ts")),
};
