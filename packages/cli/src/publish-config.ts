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
import { expandEnv, FORMATS, loadConfig } from "./formats.ts";
import { type PublishBlock, stringFlag } from "./publish-settings.ts";
import { readError } from "./sniff.ts";

/** What the publishing commands take from the project's config. */
export interface PublishSetup {
  /** The parsed `publish:` block. */
  publish?: PublishBlock;
  /** The project's `name`: the default name of the `.repo` file and of the pacman repository. */
  projectName?: string;
  /** The project's `maintainer` ($VAR expanded): its e-mail names the Alpine key, as `packyard build` names it. */
  maintainer?: string;
  /** The apk signature's key name the project sets (`apk.signature.key_name`, or its `overrides.apk` one). */
  apkKeyName?: string;
  /** The first line of the project's `description`: the install page's subtitle. */
  description?: string;
}

/** The parsed `publish:` block, or undefined when there is no config file or it has no such block. */
export async function findPublishConfig(flags: Flags, io: CommandIo): Promise<PublishBlock | undefined> {
  return (await findPublishSetup(flags, io)).publish;
}

/** `value[k1][k2]…` of plain data, when each step is an object. */
function dig(value: unknown, ...keys: string[]): unknown {
  let v = value;
  for (const k of keys) {
    if (typeof v !== "object" || v === null || Array.isArray(v)) return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

/** A non-empty string, else undefined. */
const nonEmpty = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);

/** The `publish:` block and what the publishing commands take from the rest of the config. */
export async function findPublishSetup(flags: Flags, io: CommandIo): Promise<PublishSetup> {
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
  const config = loadConfig({
    text,
    path: shown,
    baseDir: io.cwd,
    env: io.env,
    formats: io.formats ?? FORMATS,
  });
  const name = config.raw.name;
  const maintainer = nonEmpty(config.raw.maintainer);
  const description = nonEmpty(config.raw.description)?.split("\n")[0]?.trim();
  // As the build resolves the apk block: overrides.apk.apk over the top-level apk: block.
  const overridden = nonEmpty(dig(config.raw, "overrides", "apk", "apk", "signature", "key_name"));
  const apkKeyName =
    overridden !== undefined
      ? expandEnv(overridden, io.env)
      : nonEmpty(dig(config.block("apk"), "signature", "key_name"));
  return {
    ...(config.publish !== undefined ? { publish: config.publish as PublishBlock } : {}),
    ...(typeof name === "string" && /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name) ? { projectName: name } : {}),
    ...(maintainer !== undefined ? { maintainer: expandEnv(maintainer, io.env) } : {}),
    ...(apkKeyName !== undefined ? { apkKeyName } : {}),
    ...(description ? { description } : {}),
  };
}
