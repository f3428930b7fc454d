/** `packyard init`: writes a commented packyard.yml to start from. */
import { writeFile } from "node:fs/promises";
import { basename, dirname, relative, resolve } from "node:path";
import type { Command } from "../command.ts";
import { IOError, initConfigText } from "../formats.ts";

/** A package name guessed from the folder name: lower case, only the characters every format accepts. */
function packageName(folder: string): string {
  const name = folder
    .toLowerCase()
    .replace(/[^a-z0-9+.-]+/g, "-")
    .replace(/^[^a-z0-9]+|-+$/g, "");
  return name === "" ? "my-package" : name;
}

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
  async run(flags, _positionals, io) {
    const path = resolve(io.cwd, typeof flags.config === "string" ? flags.config : "packyard.yml");
    try {
      await writeFile(path, initConfigText({ name: packageName(basename(dirname(path))) }), { flag: "wx" });
    } catch (e) {
      const exists = (e as NodeJS.ErrnoException).code === "EEXIST";
      throw new IOError(
        "WRITE_FAILED",
        exists
          ? `${path} already exists: packyard init never overwrites a config; remove it or pass -f with another name`
          : `cannot write ${path}: ${(e as Error).message}`,
        { path },
        { cause: e },
      );
    }
    io.err(`wrote ${relative(io.cwd, path) || path}; edit it, then run: packyard build -p deb\n`);
    return 0;
  },
};
