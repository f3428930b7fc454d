/**
 * Finds the `publish:` block for `packyard publish` and `packyard repo …`: in the config `-f` names, else
 * in the first of packyard.yml, packyard.yaml, nfpm.yaml, nfpm.yml in the working folder, as
 * `packyard build` looks. Without a config file the commands work from their flags alone.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { relative, resolve } from "node:path";
import { defaultConfigPath } from "./build.ts";
import type { CommandIo, Flags } from "./command.ts";
import { loadConfig, type PublishConfig } from "./formats.ts";
import { readError } from "./sniff.ts";
import { stringFlag } from "./publish-settings.ts";

/** The parsed `publish:` block, or undefined when there is no config file or it has no such block. */
export async function findPublishConfig(flags: Flags, io: CommandIo): Promise<PublishConfig | undefined> {
  return (await findPublishSetup(flags, io)).publish;
}

/** The `publish:` block and the project's `name` (the default name of the `.repo` file users add). */
export async function findPublishSetup(
  flags: Flags,
  io: CommandIo,
): Promise<{ publish?: PublishConfig; projectName?: string }> {
  const named = stringFlag(flags, "config");
  const path = named !== undefined ? resolve(io.cwd, named) : defaultConfigPath(io.cwd);
  // A config named with -f must exist; the default names are only tried.
  if (named === undefined && !existsSync(path)) return {};
  const shown = named ?? (relative(io.cwd, path) || path);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    throw readError(shown, e);
  }
  const config = loadConfig({ text, path: shown, baseDir: io.cwd, env: io.env, formats: io.formats });
  const name = config.raw.name;
  return {
    ...(config.publish !== undefined ? { publish: config.publish } : {}),
    ...(typeof name === "string" && /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name) ? { projectName: name } : {}),
  };
}
