/**
 * The master key: 32 bytes that seal every secret the server keeps (signing keys, passphrases). It comes from
 * a {@link KeyProvider}: a file (the data folder's `master.key`, created 0600 on a new data folder, or
 * `PACKYARD_MASTER_KEY_FILE`) or an environment variable (`PACKYARD_MASTER_KEY`, hex or base64). A file that
 * group or others may access is refused (MASTER_KEY_PERMISSIONS); a missing key is MASTER_KEY_MISSING and is
 * never replaced by a new one unless the caller says the data folder is new.
 */
import { randomBytes } from "node:crypto";
import { type FileHandle, open } from "node:fs/promises";
import { join } from "node:path";
import { ServerError } from "../errors.ts";

/** Bytes in a master key (AES-256). */
export const MASTER_KEY_BYTES = 32;

/** A master key and its version (recorded beside every secret sealed with it, for a later rotation). */
export interface MasterKey {
  readonly version: number;
  readonly bytes: Uint8Array;
}

/** Where the master key comes from. */
export interface KeyProvider {
  /** Says where, without the key (for messages and logs), e.g. `file /srv/packyard/master.key`. */
  readonly source: string;
  /** Reads the key; throws MASTER_KEY_MISSING / _PERMISSIONS / _INVALID. */
  load(): Promise<MasterKey>;
}

/** Options of {@link fileKeyProvider}. */
export interface FileKeyOptions {
  /** Create the file with 32 random bytes (mode 0600) when it does not exist (a new data folder only). */
  create?: boolean;
  /** Version of the key (default 1). */
  version?: number;
}

/** Reads a master key file; refuses one that group or others can access. */
export function fileKeyProvider(path: string, options: FileKeyOptions = {}): KeyProvider {
  const version = options.version ?? 1;
  return {
    source: `file ${path}`,
    async load(): Promise<MasterKey> {
      let handle: FileHandle;
      try {
        handle = await open(path, "r");
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw keyFileError(path, e);
        if (options.create !== true)
          throw new ServerError(
            "MASTER_KEY_MISSING",
            `Expected the master key file ${path}, found none; without the key that sealed them the stored secrets cannot be opened, so no new key is made (restore the file, or set PACKYARD_MASTER_KEY / PACKYARD_MASTER_KEY_FILE)`,
            { path },
          );
        return { version, bytes: await createKeyFile(path) };
      }
      try {
        const info = await handle.stat();
        // Any group/other bit is refused, as ssh refuses private keys: the key opens every stored secret.
        if (process.platform !== "win32" && (info.mode & 0o077) !== 0)
          throw new ServerError(
            "MASTER_KEY_PERMISSIONS",
            `Expected the master key file ${path} to be readable by its owner only (mode 0600), found mode 0${(info.mode & 0o777).toString(8)}; run chmod 600 ${path}`,
            { path, expected: "0600", found: `0${(info.mode & 0o777).toString(8)}` },
          );
        if (info.size !== MASTER_KEY_BYTES)
          throw new ServerError(
            "MASTER_KEY_INVALID",
            `Expected the master key file ${path} to hold ${MASTER_KEY_BYTES} bytes, found ${info.size}`,
            { path, expected: MASTER_KEY_BYTES, found: info.size },
          );
        const bytes = new Uint8Array(MASTER_KEY_BYTES);
        const { bytesRead } = await handle.read(bytes, 0, MASTER_KEY_BYTES, 0);
        if (bytesRead !== MASTER_KEY_BYTES)
          throw new ServerError(
            "MASTER_KEY_INVALID",
            `Expected to read ${MASTER_KEY_BYTES} bytes from the master key file ${path}, found ${bytesRead}`,
            { path },
          );
        return { version, bytes };
      } finally {
        await handle.close();
      }
    },
  };
}

/** Creates `path` with a new random key, 0600, failing if it appeared meanwhile. */
async function createKeyFile(path: string): Promise<Uint8Array> {
  const bytes = new Uint8Array(randomBytes(MASTER_KEY_BYTES));
  let handle: FileHandle;
  try {
    handle = await open(path, "wx", 0o600);
  } catch (e) {
    throw keyFileError(path, e);
  }
  try {
    // The umask can only remove bits from 0600; chmod anyway in case the file system ignores the mode.
    await handle.chmod(0o600);
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return bytes;
}

function keyFileError(path: string, e: unknown): ServerError {
  return new ServerError(
    "MASTER_KEY_MISSING",
    `Expected to open the master key file ${path}, found: ${e instanceof Error ? e.message : String(e)}`,
    { path },
    { cause: e },
  );
}

/** Decodes a master key written as 64 hex digits or as base64 (standard or URL alphabet) of 32 bytes. */
export function decodeMasterKey(text: string, where: string): Uint8Array {
  const t = text.trim();
  if (t === "")
    throw new ServerError("MASTER_KEY_MISSING", `Expected a master key in ${where}, found it empty`, {
      field: where,
    });
  let bytes: Buffer | undefined;
  if (/^[0-9a-fA-F]{64}$/.test(t)) bytes = Buffer.from(t, "hex");
  else if (/^[A-Za-z0-9+/_-]{43}=?$/.test(t)) bytes = Buffer.from(t, "base64");
  if (bytes?.length !== MASTER_KEY_BYTES)
    // The value itself is never put in the message: it is, or is close to, the key.
    throw new ServerError(
      "MASTER_KEY_INVALID",
      `Expected ${where} to be ${MASTER_KEY_BYTES} bytes as 64 hex digits or base64, found ${t.length} characters that are neither`,
      { field: where },
    );
  return new Uint8Array(bytes);
}

/** The master key from an environment variable's value. */
export function envKeyProvider(
  value: string,
  options: { name?: string; version?: number } = {},
): KeyProvider {
  const name = options.name ?? "PACKYARD_MASTER_KEY";
  return {
    source: `environment variable ${name}`,
    async load(): Promise<MasterKey> {
      return { version: options.version ?? 1, bytes: decodeMasterKey(value, name) };
    },
  };
}

/** Options of {@link keyProviderFromEnv}. */
export interface EnvKeyOptions {
  /** The data folder, whose `master.key` is used when neither variable is set. */
  dataDir?: string;
  /** Whether `<dataDir>/master.key` may be created (the data folder is new: no database yet). */
  createInDataDir?: boolean;
}

/** The master key file's name in a data folder. */
export const MASTER_KEY_FILE = "master.key";

/**
 * Chooses the provider `packyard serve` uses: `PACKYARD_MASTER_KEY`, else `PACKYARD_MASTER_KEY_FILE`, else
 * `<dataDir>/master.key`. Setting both variables is refused (which one is meant is unclear).
 */
export function keyProviderFromEnv(env: NodeJS.ProcessEnv, options: EnvKeyOptions = {}): KeyProvider {
  const value = env.PACKYARD_MASTER_KEY;
  const file = env.PACKYARD_MASTER_KEY_FILE;
  if (value !== undefined && file !== undefined)
    throw new ServerError(
      "MASTER_KEY_INVALID",
      "Expected one of PACKYARD_MASTER_KEY and PACKYARD_MASTER_KEY_FILE, found both set",
      { field: "PACKYARD_MASTER_KEY" },
    );
  if (value !== undefined) return envKeyProvider(value);
  if (file !== undefined) return fileKeyProvider(file);
  if (options.dataDir === undefined)
    throw new ServerError(
      "MASTER_KEY_MISSING",
      "Expected PACKYARD_MASTER_KEY, PACKYARD_MASTER_KEY_FILE or a data folder holding master.key, found none",
    );
  return fileKeyProvider(join(options.dataDir, MASTER_KEY_FILE), {
    create: options.createInDataDir === true,
  });
}
