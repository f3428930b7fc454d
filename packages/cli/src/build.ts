/**
 * Programmatic build: a config path in, artifacts on disk out. The CLI's `build` command and, later, the
 * server call this; it reads files but not process.env (the caller passes its environment in).
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import {
  ARCHIVE_FORMATS,
  type ArchiveFormat,
  type ChecksumOptions,
  checksumsFile,
  checksumsName,
  FORMATS,
  fileSource,
  formatSemver,
  IOError,
  type LoadX509SignerOptions,
  loadConfig,
  loadX509Signer,
  type PackageFormat,
  type PackageSpec,
  parseChecksumConfig,
  resolvePassphrase,
  SpecError,
  type Signer,
  signChecksums,
  type Warning,
  writeFileAtomic,
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

/** True for the `-p` values that are release archives, all written by the one `tarball` format. */
export function isArchivePackager(packager: string): packager is ArchiveFormat {
  return (ARCHIVE_FORMATS as readonly string[]).includes(packager);
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
  const archive = isArchivePackager(packager) ? byId("tarball") : undefined;
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
  /** Packager name (`deb`, `tar.gz`, ...), or `checksums` for the checksums file and its `.asc`. */
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

/**
 * A format's options with an X.509 `signing` source (macOS: a .p12, or PEM certificate + key, read by the
 * config block) turned into `signer`, its passphrase taken from the environment (the library never reads
 * env). Loading here, before anything is written, makes a wrong passphrase fail like any other key error.
 */
function withX509Signer(
  options: unknown,
  env: Readonly<Record<string, string | undefined>>,
  packager: string,
): unknown {
  if (typeof options !== "object" || options === null || "signer" in options) return options;
  const signing = (options as { signing?: LoadX509SignerOptions }).signing;
  if (typeof signing !== "object" || signing === null) return options;
  const hasMaterial =
    signing.p12 !== undefined || (signing.certificatePem !== undefined && signing.keyPem !== undefined);
  if (!hasMaterial) return options;
  const passphrase = signing.passphrase ?? resolvePassphrase(env, packager)?.passphrase;
  const signer = loadX509Signer({
    ...(signing.p12 !== undefined ? { p12: signing.p12 } : {}),
    ...(signing.certificatePem !== undefined ? { certificatePem: signing.certificatePem } : {}),
    ...(signing.keyPem !== undefined ? { keyPem: signing.keyPem } : {}),
    ...(passphrase !== undefined ? { passphrase } : {}),
  });
  return { ...options, signer };
}

/** Writes the checksums file over `artifacts` (and its `.asc` with a signer); returns what it wrote. */
async function writeChecksums(
  artifacts: readonly BuiltArtifact[],
  opts: ChecksumOptions,
  spec: PackageSpec,
  outDir: string,
  signer: Signer | undefined,
  input: BuildInput,
): Promise<BuiltArtifact[]> {
  const algo = opts.algorithm ?? "sha256";
  const list = await Promise.all(
    artifacts.map(async (a) =>
      algo === "sha256"
        ? { name: basename(a.path), digest: a.sha256 }
        : { name: basename(a.path), source: await fileSource(a.path) },
    ),
  );
  const text = await checksumsFile(list, algo);
  const name = checksumsName(opts, { name: spec.name, version: formatSemver(spec.version) });
  const written: BuiltArtifact[] = [];
  const put = async (fileName: string, content: string): Promise<void> => {
    const bytes = new TextEncoder().encode(content);
    const path = join(outDir, fileName);
    await writeFileAtomic(path, once(bytes), 0o644);
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    written.push({ format: "checksums", path, size: bytes.length, sha256 });
  };
  input.progress?.(`checksums: writing ${join(outDir, name)}`);
  await put(name, text);
  if (signer !== undefined) {
    // Dated the build date (raised to the key's creation when the key is newer), so builds sign alike.
    const signed = await signChecksums(text, name, signer, { date: new Date(input.date * 1000) });
    await put(signed.name, signed.text);
    input.progress?.(`checksums: signed ${join(outDir, signed.name)}`);
  }
  return written;
}

/**
 * Reads the config, builds every requested packager, and writes the artifacts (and detached signatures),
 * then the checksums file over all of them (and its signature) unless `checksum.disable` is set.
 */
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
  const baseDir = dirname(configPath);
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
    loadConfig({ text, path: configPath, baseDir, env: input.env, formats: registry }),
  );
  const checksum = inConfig(configPath, () =>
    parseChecksumConfig(config.block("checksum"), { field: "checksum", baseDir }),
  );

  // Config errors come first: they are what a user fixes first, whatever the packagers.
  const formats = [...new Set(input.packagers)].map((p) => ({
    packager: p,
    format: formatForPackager(p, registry),
  }));
  const targetIsFile = formats.length === 1 && packagerFromFileName(basename(input.target)) !== undefined;
  const outDir = resolve(targetIsFile ? dirname(input.target) : input.target);
  // The checksums key is loaded before any package is written, so a locked or missing key fails fast.
  let checksumSigner: Signer | undefined;
  const checksumKey = checksum.signature?.keyFile;
  if (checksum.disable !== true && checksumKey !== undefined) {
    const keyId = checksum.signature?.keyId;
    checksumSigner = await loadSigner(resolve(baseDir, checksumKey), {
      env: input.env,
      format: "checksum",
      ...(keyId !== undefined ? { keyId } : {}),
    });
  }

  // Resolve, validate and unlock keys for every packager before writing anything, so a version one format
  // cannot represent or a locked key leaves no half-built set of packages behind.
  const plans: {
    packager: string;
    // biome-ignore lint/suspicious/noExplicitAny: formats carry their own option types.
    format: PackageFormat<any>;
    spec: PackageSpec;
    options: unknown;
    signer: Signer | undefined;
    path: string;
  }[] = [];
  for (const { packager, format } of formats) {
    const resolved = await inConfig(configPath, () => config.resolve(format.id, { date: input.date }));
    // Every archive kind shares the `archives:` block; the packager picks the container and compression.
    let options =
      format.id === "tarball" && isArchivePackager(packager)
        ? { ...(resolved.options as object | undefined), format: packager }
        : resolved.options;
    options = withX509Signer(options, input.env, packager);
    const sig = signatureOptions(options);
    let signer: Signer | undefined;
    if (sig?.keyFile !== undefined) {
      signer = await loadSigner(resolve(baseDir, sig.keyFile), {
        env: input.env,
        format: packager,
        ...(sig.keyId !== undefined ? { keyId: sig.keyId } : {}),
        ...(sig.keyName !== undefined ? { keyName: sig.keyName } : {}),
      });
    }
    format.validate(resolved.spec, options);
    const path = targetIsFile ? resolve(input.target) : join(outDir, format.fileName(resolved.spec, options));
    plans.push({ packager, format, spec: resolved.spec, options, signer, path });
  }
  await mkdir(outDir, { recursive: true });

  const artifacts: BuiltArtifact[] = [];
  for (const { packager, format, spec, options, signer, path } of plans) {
    input.progress?.(`${packager}: writing ${path}`);
    const tally = { size: 0, hash: createHash("sha256") };
    const chunks = format.write(spec, options, {
      date: input.date,
      ...(signer !== undefined ? { signer } : {}),
      ...(input.warn !== undefined ? { warn: input.warn } : {}),
    });
    await writeFileAtomic(path, measured(chunks, tally), 0o644);
    artifacts.push({ format: packager, path, size: tally.size, sha256: tally.hash.digest("hex") });

    if (signer !== undefined && format.detachedSignature !== undefined) {
      const detached = await format.detachedSignature(await fileSource(path), options, signer, {
        date: input.date,
      });
      if (detached !== undefined) {
        const sigPath = path + detached.suffix;
        await writeFileAtomic(sigPath, once(detached.bytes), 0o644);
        const sha256 = createHash("sha256").update(detached.bytes).digest("hex");
        artifacts.push({ format: packager, path: sigPath, size: detached.bytes.length, sha256 });
        input.progress?.(`${packager}: signed ${sigPath}`);
      }
    }
  }
  const firstSpec = plans[0]?.spec;
  if (checksum.disable !== true && firstSpec !== undefined) {
    artifacts.push(...(await writeChecksums(artifacts, checksum, firstSpec, outDir, checksumSigner, input)));
  }
  return artifacts;
}
