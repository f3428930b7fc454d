/**
 * The build API: a config (or a spec) in, packages, detached signatures, a checksums file and
 * `packyard-build.json` on disk out, with a typed manifest of what was written and each package's
 * PackageInfo. `packyard build` is argv and progress over this; the server builds through it too.
 *
 * I/O is injected (BuildHost; the environment; the build date): the library reads no process.env and no
 * clock. Everything is validated, and every key unlocked, before the first file is written; every file is
 * written to a temp file and renamed, so a failed build leaves nothing half-written.
 */
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import { checksumsFile } from "../checksums/checksums.ts";
import {
  type ChecksumOptions,
  checksumConfig,
  checksumsName,
  parseChecksumConfig,
} from "../checksums/config.ts";
import { signChecksums } from "../checksums/sign.ts";
import type { ConfigurableFormat, SigningMaterial } from "../config/block.ts";
import { loadConfig } from "../config/load.ts";
import { IOError, SignError, SpecError } from "../errors.ts";
import type { PackageFormat, ReadContext, Warning } from "../format.ts";
import { createHasher, type Hasher } from "../hash/hasher.ts";
import type { KnownArtifact } from "../info/artifact-info.ts";
import type { KnownPayload } from "../info/known-payload.ts";
import type { PackageInfo } from "../info/types.ts";
import { FORMAT_ENTRIES, type FormatOptionsMap, loadFormat } from "../registry-lazy.ts";
import { resolvePassphrase } from "../sign/passphrase.ts";
import type { Signer } from "../sign/signer.ts";
import { withCompressionWorkers } from "../compress/compress.ts";
import { formatSemver } from "../spec/version.ts";
import { type BuildSettings, buildSettingsOf } from "./settings.ts";
import type { ByteSource, PackageSpec } from "../spec/types.ts";
import type { SpoolFactory } from "../spool/spool.ts";
import { markFileView } from "../source/file.ts";
import { nodeBuildHost } from "../source/node-build-host.ts";
import type { BuildHost } from "../source/host.ts";
import {
  BUILD_MANIFEST_NAME,
  BUILD_MANIFEST_SCHEMA,
  type BuildArtifact,
  type BuildManifest,
  serializeBuildManifestPieces,
} from "./manifest.ts";
import {
  formatForPackager,
  formatIdForPackager,
  isArchivePackager,
  PACKAGERS,
  packagerFromFileName,
} from "./packagers.ts";

// biome-ignore lint/suspicious/noExplicitAny: formats carry their own option types.
type AnyFormat = PackageFormat<any>;

/** Per-format options for a spec-based build (defaults: each format block's defaults). */
export type BuildFormatOptions = { [F in keyof FormatOptionsMap]?: FormatOptionsMap[F] };

/** What to build from: a config file, config text, or a ready PackageSpec with per-format options. */
export type BuildSource =
  | {
      /** Path of packyard.yml / nfpm.yaml. */
      configPath: string;
      /**
       * Folder that relative paths in the config (contents, scripts, changelog, key files) resolve against.
       * Default: the config file's folder. The CLI passes its working directory, as nfpm does.
       */
      baseDir?: string;
    }
  | {
      configText: string;
      /** Folder that relative paths in the config resolve against (absolute). */
      baseDir: string;
      /** Name for messages (default `packyard.yml`). */
      configPath?: string;
    }
  | {
      spec: PackageSpec;
      options?: BuildFormatOptions;
      /** The checksums file's settings (default: SHA256SUMS, unsigned). */
      checksum?: ChecksumOptions;
      /** Folder that relative key file paths in `options` resolve against (default: as given). */
      baseDir?: string;
    };

/** Progress of a build, for bars and logs (the CLI renders it; libraries may ignore it). */
export type BuildProgress =
  | {
      kind: "start";
      packager: string;
      path: string;
      /** Files and bytes of content the package holds (its input). */
      files: number;
      bytes: number;
    }
  | {
      /**
       * What the writer has read of the package's file contents: emitted when a file is first opened,
       * when a file is read from its start again, and every 1 MiB read. Writers that hash a file before
       * writing it (Arch, apk) or store an incompressible file after trying to deflate it (zip) read it
       * twice: `bytes` (each file counted once) then reaches the total before the package is written,
       * and `pass`/`passBytes` follow the second reading.
       */
      kind: "read";
      packager: string;
      path: string;
      /** Distinct files opened so far (at most the start event's `files`). */
      files: number;
      /** Bytes read so far, each file's counted once (at most the start event's `bytes`). */
      bytes: number;
      /** The most times one file has been read from its start so far: 1, or 2 during a second reading. */
      pass: number;
      /** Bytes read by the readings numbered `pass` (at most the start event's `bytes`). */
      passBytes: number;
    }
  | {
      kind: "write";
      packager: string;
      path: string;
      /** Bytes of the artifact written so far (emitted every 4 MiB). */
      written: number;
    }
  | { kind: "done"; packager: string; path: string; artifact: BuildArtifact }
  | { kind: "signed"; packager: string; path: string }
  | { kind: "checksums"; path: string }
  | { kind: "manifest"; path: string };

/** A writer's warning, with the packager it came from. */
export interface BuildWarning extends Warning {
  packager: string;
}

export interface BuildOptions {
  /** Packager names: `deb`, `rpm`, `archlinux`, `apk`, `macos`, `tar.gz`, `tar.zst`, `tar.xz`, `zip`. */
  formats: readonly string[];
  /** Output folder; or, with exactly one packager, a file path whose extension names it (`dist/x.deb`). */
  target: string;
  /** The build date in seconds since the epoch (SOURCE_DATE_EPOCH): default mtime, signature dates. */
  date: number;
  /** Environment for `$VAR` expansion in the config and for key passphrases (PACKYARD_<FORMAT>_PASSPHRASE...). */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * Signers by packager name (`deb`, `rpm`, ..., or `checksums`), used instead of the key files the config
   * names; a packager with neither is not signed.
   */
  signers?: Readonly<Partial<Record<string, Signer>>>;
  /** File access (default: the local file system). */
  host?: BuildHost;
  /** Where writers buffer parts whose size must come first (default: memory, then temp files). */
  spool?: SpoolFactory;
  /**
   * Compression worker threads for this build, over the config's `build.workers`: 1-16, or `"auto"`
   * (from the machine's cores; the default). Changes how fast packages are written, never their bytes.
   */
  workers?: number | "auto";
  /**
   * The formats to choose from (default: the registered formats, FORMATS; each is then loaded only when one
   * of its packagers is built, and the config's blocks are checked with the formats' `config` alone).
   */
  registry?: readonly AnyFormat[];
  onProgress?: (event: BuildProgress) => void;
  onWarning?: (warning: BuildWarning) => void;
  /** Write `packyard-build.json` into the output folder (default true). */
  writeManifest?: boolean;
}

/** What {@link build} returns: the manifest, the folder its `file` names are relative to, and where it was written. */
export interface BuildResult {
  manifest: BuildManifest;
  /** Absolute output folder. */
  dir: string;
  /** Absolute path of `packyard-build.json`, when written. */
  manifestPath?: string;
}

/** One packager's resolved work, checked and with its signer unlocked, before anything is written. */
interface Plan {
  packager: string;
  format: AnyFormat;
  spec: PackageSpec;
  options: unknown;
  signer: Signer | undefined;
  path: string;
}

/** Pieces made on demand, one at a time, as the file is written. */
async function* each(pieces: Iterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  yield* pieces;
}

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

/** Runs `fn`, tagging a config error that names no file with the config's path. */
async function inConfig<T>(configPath: string | undefined, fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (
      configPath !== undefined &&
      e instanceof SpecError &&
      e.data.path === undefined &&
      !e.message.includes(configPath)
    )
      e.data.path = configPath;
    throw e;
  }
}

/** Where the build's inputs come from, normalised: a resolver per format, and the checksum settings. */
interface Inputs {
  configPath?: string;
  baseDir?: string;
  checksum: ChecksumOptions;
  /** The config's `build:` block (a spec-based build has none). */
  settings: BuildSettings;
  resolve(format: AnyFormat): Promise<{ spec: PackageSpec; options: unknown }>;
}

/** The formats a build chooses from: their config blocks, and each packager's format, loaded on demand. */
interface Registry {
  configurable: readonly ConfigurableFormat[];
  /** The id of the format that writes `packager`; throws SpecError UNKNOWN_FORMAT. */
  idFor(packager: string): string;
  load(id: string): Promise<AnyFormat>;
}

function registryOf(opts: BuildOptions): Registry {
  const given = opts.registry;
  if (given !== undefined) {
    return {
      configurable: given,
      idFor: (packager) => formatForPackager(packager, given).id,
      load: async (id) => formatForPackager(id, given),
    };
  }
  const ids = FORMAT_ENTRIES.map((e) => e.id);
  return { configurable: FORMAT_ENTRIES, idFor: (p) => formatIdForPackager(p, ids), load: loadFormat };
}

async function inputsOf(
  source: BuildSource,
  opts: BuildOptions,
  host: BuildHost,
  registry: readonly ConfigurableFormat[],
): Promise<Inputs> {
  const env = opts.env ?? {};
  if ("spec" in source) {
    return {
      ...(source.baseDir !== undefined ? { baseDir: source.baseDir } : {}),
      checksum: source.checksum ?? {},
      settings: {},
      resolve: async (format) => {
        const given = (source.options as Record<string, unknown> | undefined)?.[format.id];
        const options =
          given ??
          format.config.parse(undefined, { field: format.config.key, baseDir: source.baseDir ?? "." });
        return { spec: source.spec, options };
      },
    };
  }
  let text: string;
  let configPath: string;
  let baseDir: string;
  if ("configText" in source) {
    text = source.configText;
    configPath = source.configPath ?? "packyard.yml";
    baseDir = source.baseDir;
  } else {
    configPath = resolve(source.configPath);
    baseDir = resolve(source.baseDir ?? dirname(configPath));
    text = new TextDecoder().decode(await host.readFile(configPath));
  }
  const config = await inConfig(configPath, () =>
    loadConfig({ text, path: configPath, baseDir, env: { ...env }, formats: registry, host: host.config }),
  );
  const checksum = await inConfig(configPath, () =>
    parseChecksumConfig(config.block("checksum"), { field: "checksum", baseDir }),
  );
  const settings = await inConfig(configPath, () => buildSettingsOf(config, baseDir));
  return {
    configPath,
    baseDir,
    checksum,
    settings,
    resolve: (format) => inConfig(configPath, () => config.resolve(format.id, { date: opts.date })),
  };
}

/** Loads the signing material a block names into a Signer (passphrases from `env`). */
async function loadMaterial(
  material: SigningMaterial,
  packager: string,
  baseDir: string | undefined,
  opts: BuildOptions,
  host: BuildHost,
): Promise<Signer> {
  const env = opts.env ?? {};
  if (material.kind === "x509") {
    const passphrase = material.passphrase ?? resolvePassphrase(env, packager)?.passphrase;
    // node-forge (PKCS#12, CMS) is loaded only when an X.509 key is.
    const { loadX509Signer } = await import("../sign/x509.ts");
    return loadX509Signer({
      ...(material.p12 !== undefined ? { p12: material.p12 } : {}),
      ...(material.certificatePem !== undefined ? { certificatePem: material.certificatePem } : {}),
      ...(material.keyPem !== undefined ? { keyPem: material.keyPem } : {}),
      ...(passphrase !== undefined ? { passphrase } : {}),
    });
  }
  const path =
    baseDir !== undefined && !isAbsolute(material.keyFile)
      ? resolve(baseDir, material.keyFile)
      : material.keyFile;
  let bytes: Uint8Array;
  try {
    bytes = await host.readFile(path);
  } catch (e) {
    throw new SignError(
      "KEY_READ",
      `cannot read signing key ${path}: ${(e as Error).message}`,
      { path },
      { cause: e },
    );
  }
  // openpgp.js and the RSA and X.509 code are loaded only when a key file is, and only the one it needs.
  const { signerFromKeyFile } = await import("../sign/key-file.ts");
  return signerFromKeyFile({
    path,
    bytes,
    env,
    format: packager,
    ...(material.keyId !== undefined ? { keyId: material.keyId } : {}),
    ...(material.keyName !== undefined ? { keyName: material.keyName } : {}),
  });
}

function contentTotals(spec: PackageSpec): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  for (const e of spec.entries) {
    if (e.type !== "file") continue;
    files++;
    bytes += e.content.size;
  }
  return { files, bytes };
}

/** Bytes written between two `write` progress events of one packager. */
const PROGRESS_BYTES = 4 << 20;

/** Bytes read between two `read` progress events of one packager. */
const READ_PROGRESS_BYTES = 1 << 20;

/** Tallies what a writer has read of a package's file contents, for `read` progress events. */
class ReadTally {
  files = 0;
  bytes = 0;
  pass = 0;
  /** Bytes read by each pass: the first readings of files, the second readings, ... */
  private readonly perPass: number[] = [];
  private readonly total: number;
  private reported = 0;
  private readonly emit: (tally: ReadTally) => void;
  constructor(total: number, emit: (tally: ReadTally) => void) {
    this.total = total;
    this.emit = emit;
  }

  get passBytes(): number {
    return this.perPass[this.pass - 1] ?? 0;
  }

  /** A file was opened: for the first time (`first`), and/or from its start for the `reading`-th time. */
  opened(first: boolean, reading: number): void {
    if (first) this.files++;
    const again = reading > this.pass;
    if (again) this.pass = reading;
    if (first || again) this.report();
  }

  /** The `reading`-th reading of a file read `n` bytes, `fresh` of them never read before. */
  read(reading: number, n: number, fresh: number): void {
    this.perPass[reading - 1] = Math.min((this.perPass[reading - 1] ?? 0) + n, this.total);
    this.bytes += fresh;
    if (this.bytes + this.passBytes - this.reported >= READ_PROGRESS_BYTES) this.report();
  }

  private report(): void {
    this.reported = this.bytes + this.passBytes;
    this.emit(this);
  }
}

/**
 * A file's content that reports to a ReadTally how far into it any reading has got; the bytes pass
 * through unchanged. Re-reading a part already read adds nothing, so the tally never passes the total.
 */
class CountedSource implements ByteSource {
  readonly size: number;
  private readonly inner: ByteSource;
  private readonly tally: ReadTally;
  private opens = 0;
  private fromStart = 0;
  /** How far into the file the furthest reading has got. */
  private reached = 0;
  constructor(inner: ByteSource, tally: ReadTally) {
    this.inner = inner;
    this.tally = tally;
    this.size = inner.size;
    // A file's view: the writers' batch reader reads the file itself, off the main thread, and tells
    // this counter what it handed out instead of calling open().
    markFileView(this, inner, { opened: (start) => this.begin(start) });
  }

  open(range?: { start: number; end: number }): AsyncIterable<Uint8Array> {
    const start = range?.start ?? 0;
    return this.counted(this.inner.open(range), this.begin(start));
  }

  /** A reading starts at `start`; the returned function counts each piece of it as it passes. */
  private begin(start: number): (bytes: number) => void {
    // A reading from the start is a new pass over the file; a later range continues the current one.
    if (start === 0 || this.fromStart === 0) this.fromStart++;
    this.tally.opened(this.opens++ === 0, this.fromStart);
    const reading = this.fromStart;
    let at = start;
    return (n) => {
      at += n;
      const reached = Math.min(at, this.size);
      const fresh = Math.max(0, reached - this.reached);
      this.reached += fresh;
      this.tally.read(reading, n, fresh);
    };
  }

  private async *counted(
    chunks: AsyncIterable<Uint8Array>,
    count: (bytes: number) => void,
  ): AsyncGenerator<Uint8Array> {
    for await (const c of chunks) {
      count(c.length);
      yield c;
    }
  }
}

/** `spec` with every file's content counted into one ReadTally (built only when progress is wanted). */
function countingReads(spec: PackageSpec, emit: (tally: ReadTally) => void): PackageSpec {
  const tally = new ReadTally(contentTotals(spec).bytes, emit);
  return {
    ...spec,
    entries: spec.entries.map((e) =>
      e.type === "file" ? { ...e, content: new CountedSource(e.content, tally) } : e,
    ),
  };
}

/** Streams `chunks` through, counting and hashing them, and reporting progress at most every 4 MiB. */
async function* measured(
  chunks: AsyncIterable<Uint8Array>,
  tally: { size: number; hash: Hasher },
  report: (written: number) => void,
): AsyncGenerator<Uint8Array> {
  let next = PROGRESS_BYTES;
  for await (const c of chunks) {
    tally.size += c.length;
    tally.hash.update(c);
    if (tally.size >= next) {
      report(tally.size);
      next = tally.size + PROGRESS_BYTES;
    }
    yield c;
  }
}

/**
 * Builds every requested packager from `source` into `opts.target`: the packages, detached signatures
 * (Arch `.sig`), a checksums file over them (and its `.asc` when a checksums key is set) unless
 * `checksum.disable`, then `packyard-build.json`. Returns the manifest, each package with its PackageInfo.
 *
 * @example
 * const { manifest } = await build({ configPath: "packyard.yml" }, { formats: ["deb", "rpm"], target: "dist", date: 1700000000 });
 * for (const a of manifest.artifacts) console.log(a.file, a.info?.versionString);
 */
export async function build(source: BuildSource, opts: BuildOptions): Promise<BuildResult> {
  if (opts.formats.length === 0) {
    throw new SpecError(
      "MISSING_FIELD",
      `no packager given: expected one or more of ${PACKAGERS.join(", ")}`,
      {
        field: "packager",
      },
    );
  }
  const host = opts.host ?? nodeBuildHost;
  const registry = registryOf(opts);
  const inputs = await inputsOf(source, opts, host, registry.configurable);
  // The worker count holds for this build's compressions only (builds side by side keep their own); it
  // changes speed, never bytes.
  const workers = opts.workers ?? inputs.settings.workers;
  if (workers === undefined) return buildWith(opts, host, registry, inputs);
  return withCompressionWorkers(workers, () => buildWith(opts, host, registry, inputs));
}

async function buildWith(
  opts: BuildOptions,
  host: BuildHost,
  registry: Registry,
  inputs: Inputs,
): Promise<BuildResult> {
  // Config errors come first: they are what a user fixes first, whatever the packagers. Every packager is
  // checked before any format's code is loaded; then only the formats asked for are.
  const ids = [...new Set(opts.formats)].map((p) => ({ packager: p, id: registry.idFor(p) }));
  const packagers: { packager: string; format: AnyFormat }[] = [];
  for (const { packager, id } of ids) packagers.push({ packager, format: await registry.load(id) });
  const targetIsFile = packagers.length === 1 && packagerFromFileName(basename(opts.target)) !== undefined;
  const dir = resolve(targetIsFile ? dirname(opts.target) : opts.target);

  // Keys are loaded, and every packager resolved and validated, before anything is written: a version one
  // format cannot represent or a locked key leaves no half-built set of packages behind.
  const checksum = inputs.checksum;
  let checksumSigner: Signer | undefined;
  if (checksum.disable !== true) {
    checksumSigner = opts.signers?.checksums;
    const material = checksumSigner === undefined ? checksumConfig.signing?.(checksum) : undefined;
    if (material !== undefined)
      checksumSigner = await loadMaterial(material, "checksum", inputs.baseDir, opts, host);
  }
  const plans: Plan[] = [];
  for (const { packager, format } of packagers) {
    const resolved = await inputs.resolve(format);
    // Every archive kind shares the `archives:` block; the packager picks the container and compression.
    const options =
      format.id === "tarball" && isArchivePackager(packager)
        ? { ...(resolved.options as object | undefined), format: packager }
        : resolved.options;
    let signer = opts.signers?.[packager];
    if (signer === undefined) {
      const material = format.config.signing?.(options);
      if (material !== undefined) signer = await loadMaterial(material, packager, inputs.baseDir, opts, host);
    }
    await inConfig(inputs.configPath, () => format.validate(resolved.spec, options));
    const path = targetIsFile ? resolve(opts.target) : join(dir, format.fileName(resolved.spec, options));
    plans.push({ packager, format, spec: resolved.spec, options, signer, path });
  }
  await host.mkdir(dir);

  const artifacts: BuildArtifact[] = [];
  const put = async (
    path: string,
    chunks: AsyncIterable<Uint8Array>,
    fields: Omit<BuildArtifact, "file" | "size" | "sha256">,
    report: (written: number) => void = () => undefined,
  ): Promise<{ artifact: BuildArtifact; known: KnownArtifact }> => {
    // Every digest PackageInfo.artifact holds, while the bytes pass: the read-back then takes them
    // instead of hashing the file again (the main thread mostly waits for the compressors here).
    const tally = { size: 0, hash: createHasher() };
    await host.writeFileAtomic(path, measured(chunks, tally, report), 0o644);
    const digests = tally.hash.digest();
    const artifact: BuildArtifact = {
      file: basename(path),
      ...fields,
      size: tally.size,
      sha256: digests.sha256 ?? "",
    };
    artifacts.push(artifact);
    return { artifact, known: { size: tally.size, digests } };
  };

  for (const { packager, format, spec, options, signer, path } of plans) {
    const onProgress = opts.onProgress;
    onProgress?.({ kind: "start", packager, path, ...contentTotals(spec) });
    const input =
      onProgress === undefined
        ? spec
        : countingReads(spec, ({ files, bytes, pass, passBytes }) =>
            onProgress({ kind: "read", packager, path, files, bytes, pass, passBytes }),
          );
    // What the writer knows of the payload (deb): the read-back below lists it instead of inflating it.
    let payload: KnownPayload | undefined;
    const chunks = format.write(input, options, {
      date: opts.date,
      onPayload: (p) => {
        payload = p;
      },
      ...(signer !== undefined ? { signer } : {}),
      ...(opts.spool !== undefined ? { spool: opts.spool } : {}),
      ...(opts.onWarning !== undefined ? { warn: (w: Warning) => opts.onWarning?.({ ...w, packager }) } : {}),
    });
    const { artifact: pkg, known } = await put(path, chunks, { packager, kind: "package" }, (written) =>
      opts.onProgress?.({ kind: "write", packager, path, written }),
    );

    let detachedSignature: Uint8Array | undefined;
    if (signer !== undefined && format.detachedSignature !== undefined) {
      const detached = await format.detachedSignature(await host.fileSource(path), options, signer, {
        date: opts.date,
      });
      if (detached !== undefined) {
        detachedSignature = detached.bytes;
        const sigPath = path + detached.suffix;
        await put(sigPath, once(detached.bytes), { packager, kind: "signature", signs: pkg.file });
        opts.onProgress?.({ kind: "signed", packager, path: sigPath });
      }
    }
    pkg.info = await readBack(format, await host.fileSource(path), { detachedSignature, known, payload });
    opts.onProgress?.({ kind: "done", packager, path, artifact: pkg });
  }

  const first = plans[0]?.spec;
  const version = first !== undefined ? formatSemver(first.version) : "";
  if (checksum.disable !== true && first !== undefined) {
    const algo = checksum.algorithm ?? "sha256";
    const list = await Promise.all(
      artifacts.map(async (a) =>
        algo === "sha256"
          ? { name: a.file, digest: a.sha256 }
          : { name: a.file, source: await host.fileSource(join(dir, a.file)) },
      ),
    );
    const text = await checksumsFile(list, algo);
    const name = checksumsName(checksum, { name: first.name, version });
    const sumsPath = join(dir, name);
    opts.onProgress?.({ kind: "checksums", path: sumsPath });
    const { artifact: sums } = await put(sumsPath, once(new TextEncoder().encode(text)), {
      packager: "checksums",
      kind: "checksums",
    });
    if (checksumSigner !== undefined) {
      // Dated the build date (raised to the key's creation when the key is newer), so builds sign alike.
      const signed = await signChecksums(text, name, checksumSigner, { date: new Date(opts.date * 1000) });
      const ascPath = join(dir, signed.name);
      await put(ascPath, once(new TextEncoder().encode(signed.text)), {
        packager: "checksums",
        kind: "signature",
        signs: sums.file,
      });
      opts.onProgress?.({ kind: "signed", packager: "checksums", path: ascPath });
    }
  }

  const manifest: BuildManifest = {
    schema: BUILD_MANIFEST_SCHEMA,
    name: first?.name ?? "",
    version,
    date: opts.date,
    artifacts,
  };
  if (opts.writeManifest === false) return { manifest, dir };
  const manifestPath = join(dir, BUILD_MANIFEST_NAME);
  // In pieces: a package's file list makes the text tens of MiB on a 50,000-file tree.
  await host.writeFileAtomic(manifestPath, each(serializeBuildManifestPieces(manifest)), 0o644);
  opts.onProgress?.({ kind: "manifest", path: manifestPath });
  return { manifest, dir, manifestPath };
}

/** Reads a package just written, so the manifest carries its PackageInfo; a failure here is a bug, said so. */
async function readBack(
  format: AnyFormat,
  source: Awaited<ReturnType<BuildHost["fileSource"]>>,
  given: {
    detachedSignature: Uint8Array | undefined;
    known: KnownArtifact;
    payload: KnownPayload | undefined;
  },
): Promise<PackageInfo> {
  const ctx: ReadContext = { knownArtifact: given.known };
  if (given.payload !== undefined) ctx.knownPayload = given.payload;
  if (given.detachedSignature !== undefined) ctx.detachedSignature = given.detachedSignature;
  try {
    return await format.read(source, ctx);
  } catch (e) {
    throw new IOError(
      "READ_FAILED",
      `reading back the ${format.id} package just written failed: ${(e as Error).message}`,
      {},
      { cause: e },
    );
  }
}
