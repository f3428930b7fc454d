/**
 * Programmatic build: a config path in, artifacts on disk out. The CLI's `build` command and, later, the
 * server call this; it reads files but not process.env (the caller passes its environment in).
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import {
  FORMATS,
  fileSource,
  loadConfig,
  writeFileAtomic,
  IOError,
  type PackageFormat,
  SpecError,
  type Signer,
  type Warning,
} from "./formats.ts";
import { loadSigner } from "./load-signer.ts";

/** Packager names the CLI accepts (`-p`), as nfpm spells them plus packyard's archives. */
export const PACKAGERS = [
  "deb",
  "rpm",
  "archlinux",
  "apk",
  "macos",
  "tar.gz",
  "tar.zst",
  "tar.xz",
  "zip",
] as const;

/** Config file names tried in a folder when `-f` is not given. */
export const CONFIG_NAMES = ["packyard.yml", "packyard.yaml", "nfpm.yaml", "nfpm.yml"] as const;

/** File name endings that name a packager when `-t` is a file (nfpm guesses the packager the same way). */
const EXTENSIONS: readonly [string, string][] = [
  [".pkg.tar.zst", "archlinux"],
  [".tar.gz", "tar.gz"],
  [".tgz", "tar.gz"],
  [".tar.zst", "tar.zst"],
  [".tar.xz", "tar.xz"],
  [".deb", "deb"],
  [".rpm", "rpm"],
  [".apk", "apk"],
  [".pkg", "macos"],
  [".zip", "zip"],
];

/** The packager a target file name implies, if any. */
export function packagerFromFileName(name: string): string | undefined {
  return EXTENSIONS.find(([ext]) => name.endsWith(ext))?.[1];
}

/** The first config file that exists in `dir`, or the default name when none does. */
export function defaultConfigPath(dir: string): string {
  for (const name of CONFIG_NAMES) {
    const p = join(dir, name);
    if (existsSync(p)) return p;
  }
  return join(dir, CONFIG_NAMES[0]);
}

/**
 * The registered format behind a packager name. Archives (`tar.gz`, `zip`, ...) are one `tarball` format
 * whose options say which container and compression to write.
 */
export function formatForPackager(
  packager: string,
  // biome-ignore lint/suspicious/noExplicitAny: formats carry their own option types.
  formats: readonly PackageFormat<any>[] = FORMATS,
  // biome-ignore lint/suspicious/noExplicitAny: formats carry their own option types.
): PackageFormat<any> {
  const byId = (id: string) => formats.find((f) => f.id === id);
  const direct = byId(packager);
  if (direct !== undefined) return direct;
  const archive = /^(tar(\.\w+)?|zip)$/.test(packager) ? byId("tarball") : undefined;
  if (archive !== undefined) return archive;
  const known = formats.map((f) => f.id);
  throw new SpecError(
    "UNKNOWN_FORMAT",
    `unknown packager ${JSON.stringify(packager)}: expected one of ${PACKAGERS.join(", ")}` +
      ` (formats available in this build: ${known.length > 0 ? known.join(", ") : "none yet"})`,
    { field: "packager", found: packager, expected: PACKAGERS },
  );
}

export interface BuildInput {
  /** Path of packyard.yml (or nfpm.yaml). */
  configPath: string;
  /** Packager names as `-p` takes them. */
  packagers: readonly string[];
  /** Output folder; or, with exactly one packager, the artifact's file path. */
  target: string;
  /** Environment for `${VAR}` expansion and key passphrases. */
  env: Readonly<Record<string, string | undefined>>;
  /** Build date, seconds since the epoch. */
  date: number;
  progress?: (line: string) => void;
  warn?: (w: Warning) => void;
  /** The formats to choose from (default: the registry, FORMATS). */
  // biome-ignore lint/suspicious/noExplicitAny: formats carry their own option types.
  formats?: readonly PackageFormat<any>[];
}

/** One file written by {@link build}. */
export interface BuiltArtifact {
  /** Packager name (`deb`, `tar.gz`, ...). */
  format: string;
  path: string;
  size: number;
  sha256: string;
}

/** Signing settings a format's options may carry (nfpm's `signature:` block, in either spelling). */
interface SignatureOptions {
  keyFile?: string;
  keyId?: string;
  keyName?: string;
}

function signatureOptions(options: unknown): SignatureOptions | undefined {
  if (typeof options !== "object" || options === null) return undefined;
  const sig = (options as { signature?: unknown }).signature;
  if (typeof sig !== "object" || sig === null) return undefined;
  const s = sig as Record<string, unknown>;
  const pick = (a: string, b: string): string | undefined => {
    const v = s[a] ?? s[b];
    return typeof v === "string" && v !== "" ? v : undefined;
  };
  const keyFile = pick("keyFile", "key_file");
  if (keyFile === undefined) return undefined;
  const keyId = pick("keyId", "key_id");
  const keyName = pick("keyName", "key_name");
  return {
    keyFile,
    ...(keyId !== undefined ? { keyId } : {}),
    ...(keyName !== undefined ? { keyName } : {}),
  };
}

/** Streams `chunks` through, counting bytes and hashing them. */
async function* measured(
  chunks: AsyncIterable<Uint8Array>,
  tally: { size: number; hash: ReturnType<typeof createHash> },
): AsyncGenerator<Uint8Array> {
  for await (const c of chunks) {
    tally.size += c.length;
    tally.hash.update(c);
    yield c;
  }
}

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

/** Runs `fn`, tagging a config error that names no file with the config's path (for the CLI's message). */
function inConfig<T>(configPath: string, fn: () => T): T {
  const tag = (e: unknown): never => {
    if (e instanceof SpecError && e.data.path === undefined && !e.message.includes(configPath))
      e.data.path = configPath;
    throw e;
  };
  try {
    const r = fn();
    return (r instanceof Promise ? r.catch(tag) : r) as T;
  } catch (e) {
    return tag(e);
  }
}

/** Reads the config, builds every requested packager, and writes the artifacts (and detached signatures). */
export async function build(input: BuildInput): Promise<BuiltArtifact[]> {
  if (input.packagers.length === 0) {
    throw new SpecError(
      "MISSING_FIELD",
      `no packager given: expected one or more of ${PACKAGERS.join(", ")}`,
      {
        field: "packager",
      },
    );
  }
  const registry = input.formats ?? FORMATS;
  const configPath = resolve(input.configPath);
  let text: string;
  try {
    text = await readFile(configPath, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code === "ENOENT" ? "NOT_FOUND" : "READ_FAILED";
    throw new IOError(
      code,
      `cannot read config ${configPath}: ${(e as Error).message}`,
      { path: configPath },
      {
        cause: e,
      },
    );
  }
  const config = inConfig(configPath, () =>
    loadConfig({ text, path: configPath, baseDir: dirname(configPath), env: input.env, formats: registry }),
  );

  // Config errors come first: they are what a user fixes first, whatever the packagers.
  const formats = input.packagers.map((p) => ({ packager: p, format: formatForPackager(p, registry) }));
  const targetIsFile = formats.length === 1 && packagerFromFileName(basename(input.target)) !== undefined;
  const outDir = resolve(targetIsFile ? dirname(input.target) : input.target);
  await mkdir(outDir, { recursive: true });

  const artifacts: BuiltArtifact[] = [];
  for (const { packager, format } of formats) {
    const { spec, options } = await inConfig(configPath, () =>
      config.resolve(packager, { date: input.date }),
    );
    const sig = signatureOptions(options);
    let signer: Signer | undefined;
    if (sig?.keyFile !== undefined) {
      signer = await loadSigner(resolve(dirname(configPath), sig.keyFile), {
        env: input.env,
        format: packager,
        ...(sig.keyId !== undefined ? { keyId: sig.keyId } : {}),
        ...(sig.keyName !== undefined ? { keyName: sig.keyName } : {}),
      });
    }
    format.validate(spec, options);
    const path = targetIsFile ? resolve(input.target) : join(outDir, format.fileName(spec, options));
    input.progress?.(`${packager}: writing ${path}`);
    const tally = { size: 0, hash: createHash("sha256") };
    const chunks = format.write(spec, options, {
      ...(signer !== undefined ? { signer } : {}),
      ...(input.warn !== undefined ? { warn: input.warn } : {}),
    });
    await writeFileAtomic(path, measured(chunks, tally), 0o644);
    artifacts.push({ format: packager, path, size: tally.size, sha256: tally.hash.digest("hex") });

    if (signer !== undefined && format.detachedSignature !== undefined) {
      const detached = await format.detachedSignature(await fileSource(path), options, signer);
      if (detached !== undefined) {
        const sigPath = path + detached.suffix;
        await writeFileAtomic(sigPath, once(detached.bytes), 0o644);
        const sha256 = createHash("sha256").update(detached.bytes).digest("hex");
        artifacts.push({ format: packager, path: sigPath, size: detached.bytes.length, sha256 });
        input.progress?.(`${packager}: signed ${sigPath}`);
      }
    }
  }
  return artifacts;
}
