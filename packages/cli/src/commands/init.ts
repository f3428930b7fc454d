/** `packyard init`: writes a commented packyard.yml to start from. */
import { type Command, runFrom } from "../command.ts";

export const initCommand: Command = {
  name: "init",
  summary: "write a commented packyard.yml to start from",
  help: `Usage: packyard init [-f packyard.yml]

Writes a commented starting config (nfpm's schema plus packyard's blocks). Never overwrites a file.

Options:
  -f, --config FILE   where to write (default: packyard.yml)
      --debug         stack traces on errors
  -h, --help          show this help
`,
  options: {
    config: { type: "string", short: "f" },
  },
  positionals: { min: 0, max: 0 },
  run: runFrom(() => import("../run/init.ts")),
};
