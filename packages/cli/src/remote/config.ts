/**
 * The CLI's remote settings: which packyard server it talks to and with which API token. They live in
 * `$XDG_CONFIG_HOME/packyard/config.json` (else `~/.config/packyard/config.json`) as
 * `{ "server": "...", "token": "pky_..." }`, written by `packyard login` with mode 0600 in a 0700 folder,
 * atomically (a temporary file renamed over the old one); PACKYARD_SERVER and PACKYARD_TOKEN override them.
 */
import { randomBytes } from "node:crypto";
import { chmod, mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";

/** What the config file holds. */
export interface RemoteConfig {
  server?: string;
  token?: string;
}

/** Where a setting came from. */
export type SettingSource = "flag" | "env" | "file";

/** The settings a remote command uses, with where each came from. */
export interface RemoteSettings {
  file: string;
  server?: { value: string; source: SettingSource };
  token?: { value: string; source: SettingSource };
}

type Env = Readonly<Record<string, string | undefined>>;

/** The config file's path: `$XDG_CONFIG_HOME/packyard/config.json`, else `$HOME/.config/packyard/config.json`. */
export function configPath(env: Env): string {
  const xdg = env.XDG_CONFIG_HOME;
  // The XDG base directory spec: a relative XDG_CONFIG_HOME is invalid and ignored.
  const base = xdg?.startsWith("/") ? xdg : join(env.HOME || homedir(), ".config");
  return join(base, "packyard", "config.json");
}

/** A configuration problem (unreadable file, bad server URL): reported like a server error, exit 1. */
export class ConfigError extends Error {
  override readonly name = "ServerError";
  readonly code: string;
  readonly data: Record<string, unknown>;
  constructor(code: string, message: string, data: Record<string, unknown> = {}) {
    super(message);
    this.code = code;
    this.data = data;
  }
}

/** Reads the config file; a missing file is an empty config. */
export async function readConfig(env: Env): Promise<{ file: string; config: RemoteConfig }> {
  const file = configPath(env);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return { file, config: {} };
    throw e;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new ConfigError("INVALID_CONFIG", `Expected ${file} to be JSON, found: ${(e as Error).message}`, {
      file,
    });
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw new ConfigError("INVALID_CONFIG", `Expected ${file} to hold a JSON object`, { file });
  const config: RemoteConfig = {};
  for (const key of ["server", "token"] as const) {
    const v = (parsed as Record<string, unknown>)[key];
    if (v === undefined) continue;
    if (typeof v !== "string")
      throw new ConfigError("INVALID_CONFIG", `Expected ${key} in ${file} to be a string`, {
        file,
        field: key,
      });
    config[key] = v;
  }
  return { file, config };
}

/**
 * Writes the config file: the folder made 0700, the file written 0600 under a temporary name in the same
 * folder, synced, then renamed over the old one, so a reader sees the old or the new file, never a part.
 */
export async function writeConfig(env: Env, config: RemoteConfig): Promise<string> {
  const file = configPath(env);
  const dir = dirname(file);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const tmp = join(dir, `.config.json.${randomBytes(6).toString("hex")}.tmp`);
  try {
    const handle = await open(tmp, "wx", 0o600);
    try {
      await handle.writeFile(`${JSON.stringify(config, null, 2)}\n`);
      await handle.chmod(0o600);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  return file;
}

/** A token as `config show` prints it: `pky_abcd…wxyz` (prefix and four characters, then the last four). */
export function maskToken(token: string): string {
  if (token.length < 16) return "…";
  const underscore = token.indexOf("_");
  const head = underscore > 0 && underscore < 8 ? underscore + 5 : 4;
  return `${token.slice(0, head)}…${token.slice(-4)}`;
}

/**
 * A server URL as the CLI keeps it: http(s), no trailing slash, no credentials, query or fragment.
 * @throws ConfigError INVALID_CONFIG otherwise.
 */
export function normalizeServer(text: string, where: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(
      "INVALID_CONFIG",
      `Expected ${where} to be a URL (https://host), found ${JSON.stringify(text)}`,
      {
        field: where,
      },
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new ConfigError(
      "INVALID_CONFIG",
      `Expected ${where} to be an http or https URL, found ${url.protocol}`,
      {
        field: where,
      },
    );
  if (url.username !== "" || url.password !== "" || url.search !== "" || url.hash !== "")
    throw new ConfigError(
      "INVALID_CONFIG",
      `Expected ${where} to be a plain server URL without credentials, query or fragment`,
      { field: where },
    );
  return url.href.replace(/\/+$/, "");
}

/**
 * The server and token to use: a flag first, then PACKYARD_SERVER / PACKYARD_TOKEN, then the config file.
 * Empty environment variables count as unset.
 */
export async function remoteSettings(
  env: Env,
  flags: { server?: string; token?: string } = {},
): Promise<RemoteSettings> {
  const { file, config } = await readConfig(env);
  const settings: RemoteSettings = { file };
  const pick = (flag: string | undefined, envName: string, stored: string | undefined) =>
    flag !== undefined
      ? { value: flag, source: "flag" as const }
      : env[envName]
        ? { value: env[envName]!, source: "env" as const }
        : stored !== undefined && stored !== ""
          ? { value: stored, source: "file" as const }
          : undefined;
  const server = pick(flags.server, "PACKYARD_SERVER", config.server);
  const token = pick(flags.token, "PACKYARD_TOKEN", config.token);
  if (server !== undefined)
    settings.server = {
      value: normalizeServer(
        server.value,
        server.source === "flag"
          ? "--server"
          : server.source === "env"
            ? "PACKYARD_SERVER"
            : `server in ${file}`,
      ),
      source: server.source,
    };
  if (token !== undefined) settings.token = token;
  return settings;
}
