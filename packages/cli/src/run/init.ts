/** `packyard init`'s work (commands/init.ts describes the command). */
import { writeFile } from "node:fs/promises";
import { basename, dirname, relative, resolve } from "node:path";
import type { RunCommand } from "../command.ts";
import { IOError, initConfigText } from "../formats.ts";

/** A package name guessed from the folder name: lower case, only the characters every format accepts. */
function packageName(folder: string): string {
  const name = folder
    .toLowerCase()
    .replace(/[^a-z0-9+.-]+/g, "-")
    .replace(/^[^a-z0-9]+|-+$/g, "");
  return name === "" ? "my-package" : name;
}

export const run: RunCommand = async (flags, _positionals, io) => {
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
};
