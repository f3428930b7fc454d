/**
 * What `packyard publish` adds: the packages `packyard build` wrote (its `packyard-build.json`, whose
 * PackageInfo means no package is read again; each file's size and SHA-256 checked against it), or the
 * files named on the command line, sorted into packages, their detached `.sig` files (an Arch package's
 * travels with it) and checksums files (`SHA256SUMS`, verified against the given files, and its `.asc`,
 * checked with the repository key).
 *
 * Every package is published: debs, rpms, Arch packages and apks into their repositories, macOS packages
 * and release archives (.tar.gz, .zip, ...) into downloads/<name>/<version>/. Which targets rpms and apks go
 * to is the engine's to settle (the settings', else the repository's), so they pass here whatever is
 * configured.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { basename, dirname, join, relative, resolve } from "node:path";
import {
  BUILD_MANIFEST_NAME,
  type BuildManifest,
  detectFormat,
  fileSource,
  formatById,
  IOError,
  type OpenPGPSigner,
  type PackageInfo,
  parseBuildManifest,
  parseChecksums,
  verifyDetached,
} from "./formats.ts";
import { DEFAULT_MANIFEST } from "./library-names.ts";
import { mapLimited, type PublishInput, RepoError } from "./repo.ts";
import { aboutFile } from "./report.ts";
import { readError } from "./sniff.ts";

/**
 * Package formats the engine publishes: debs, rpms, Arch packages and apks each into its family's
 * repositories; macOS packages and release archives (`tarball`: .tar.gz, .zip) into downloads/.
 */
export const PUBLISHED_FORMATS: readonly string[] = ["deb", "rpm", "archlinux", "apk", "macos", "tarball"];

/** What packyard publish writes, as its messages say it. */
export const WHAT_PUBLISH_WRITES =
  "packyard publish writes APT, RPM-MD, pacman and Alpine repositories, and downloads of macOS packages and release archives";

/** The packages to add, and what was said on the way. */
export interface GatheredInputs {
  inputs: PublishInput[];
  /** Remarks for stderr: checksums verified, signatures checked. */
  notes: string[];
}

/** Where a file is, and how to name it to the user. */
interface Named {
  path: string;
  shown: string;
}

/** The file's SHA-256 (or SHA-512), lowercase hex, streamed. */
async function digestOf(file: Named, algo: "sha256" | "sha512" = "sha256"): Promise<string> {
  const hash = createHash(algo);
  try {
    for await (const chunk of createReadStream(file.path)) hash.update(chunk as Buffer);
  } catch (e) {
    throw readError(file.shown, e);
  }
  return hash.digest("hex");
}

async function readText(file: Named): Promise<string> {
  try {
    return await readFile(file.path, "utf8");
  } catch (e) {
    throw readError(file.shown, e);
  }
}

/**
 * UNSUPPORTED_PACKAGE for a package of a format packyard publish has no place for (every format packyard
 * reads today has one; a manifest may name another).
 */
function checkPublished(format: string, file: Named, where = ""): void {
  if (PUBLISHED_FORMATS.includes(format)) return;
  throw new RepoError(
    "UNSUPPORTED_PACKAGE",
    `${file.shown}${where}: a package of format ${format}, which packyard publish does not publish (${WHAT_PUBLISH_WRITES})`,
    { path: file.shown, expected: PUBLISHED_FORMATS.join(", "), found: format },
  );
}

/** The file `a` of a manifest, checked: its size and SHA-256 must be what the manifest says. */
async function checkArtifact(
  file: Named,
  expected: { size: number; sha256: string },
  manifest: string,
): Promise<void> {
  let size: number;
  try {
    size = (await stat(file.path)).size;
  } catch (e) {
    throw readError(file.shown, e);
  }
  const sha256 = size === expected.size ? await digestOf(file) : undefined;
  if (size !== expected.size || sha256 !== expected.sha256) {
    throw new RepoError(
      "CHECKSUM_MISMATCH",
      `${file.shown}: ${manifest} lists ${expected.size} bytes with sha256 ${expected.sha256}, but the file has ${size} bytes${sha256 !== undefined ? ` with sha256 ${sha256}` : ""}; it changed after the build (run packyard build again)`,
      { path: file.shown, expected: expected.sha256, ...(sha256 !== undefined ? { found: sha256 } : {}) },
    );
  }
}

/**
 * The packages of a `packyard-build.json`: debs, rpms, Arch packages (with their `.sig`), apks, macOS
 * packages and release archives to add, every file checked.
 */
export async function inputsFromManifest(manifestFile: Named, cwd: string): Promise<GatheredInputs> {
  let text: string;
  try {
    text = await readFile(manifestFile.path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") {
      throw new IOError(
        "NOT_FOUND",
        `${manifestFile.shown} not found: run packyard build first, or name the packages to publish (packyard publish dist/*.deb)`,
        { path: manifestFile.shown },
        { cause: e },
      );
    }
    throw readError(manifestFile.shown, e);
  }
  const manifest: BuildManifest = parseBuildManifest(text, manifestFile.shown);
  const dir = dirname(manifestFile.path);
  const shownOf = (name: string): Named => {
    const path = join(dir, name);
    const rel = relative(cwd, path);
    return { path, shown: rel === "" || rel.startsWith("..") ? path : rel };
  };
  const out: GatheredInputs = { inputs: [], notes: [] };
  const byFile = new Map<string, PublishInput>();
  for (const a of manifest.artifacts) {
    if (a.kind !== "package" || a.info === undefined) continue;
    const file = shownOf(a.file);
    const info: PackageInfo = a.info;
    checkPublished(info.format, file, ` (${manifestFile.shown} lists it)`);
    await checkArtifact(file, a, manifestFile.shown);
    const input: PublishInput = { info, source: await fileSource(file.path, a.size), name: file.shown };
    out.inputs.push(input);
    byFile.set(a.file, input);
  }
  // A detached signature travels with its package (Arch `.sig`; debs, rpms and apks carry theirs inside).
  for (const a of manifest.artifacts) {
    const input = a.kind === "signature" && a.signs !== undefined ? byFile.get(a.signs) : undefined;
    if (input === undefined) continue;
    const file = shownOf(a.file);
    await checkArtifact(file, a, manifestFile.shown);
    input.signature = new Uint8Array(await readFile(file.path));
  }
  return out;
}

/** What one command-line file is. */
type Kind = "manifest" | "checksums" | "checksums-signature" | "signature" | "package";

function kindOf(name: string, names: ReadonlySet<string>, isDir: boolean): Kind {
  if (isDir || name === BUILD_MANIFEST_NAME) return "manifest";
  if (/SUMS$/.test(name)) return "checksums";
  if (/SUMS\.asc$/.test(name)) return "checksums-signature";
  if (name.endsWith(".sig") && names.has(name.slice(0, -".sig".length))) return "signature";
  return "package";
}

/**
 * A checksums file's lines, checked against the given files it lists (by name): a digest that differs is
 * CHECKSUM_MISMATCH. Returns how many were checked.
 */
async function verifySums(sums: Named, text: string, given: ReadonlyMap<string, Named>): Promise<number> {
  let parsed: ReturnType<typeof parseChecksums>;
  try {
    parsed = parseChecksums(text);
  } catch (e) {
    throw aboutFile(sums.shown, e);
  }
  const { algo, lines } = parsed;
  let checked = 0;
  for (const line of lines) {
    const file = given.get(basename(line.name));
    if (file === undefined) continue;
    const digest = await digestOf(file, algo);
    if (digest !== line.digest) {
      throw new RepoError(
        "CHECKSUM_MISMATCH",
        `${file.shown}: ${sums.shown} lists ${algo} ${line.digest}, but the file has ${digest}`,
        { path: file.shown, expected: line.digest, found: digest },
      );
    }
    checked++;
  }
  return checked;
}

/**
 * Checks `SHA256SUMS.asc` over its checksums file with the repository keys: good → a note; made by one of
 * those keys but bad → CHECKSUM_MISMATCH; made by another key → a note that it was not checked.
 */
async function verifySumsSignature(
  asc: Named,
  sums: Named,
  data: Uint8Array,
  signers: readonly OpenPGPSigner[],
): Promise<string> {
  const signature = await readText(asc);
  let issuer: string | undefined;
  for (const signer of signers) {
    const result = await verifyDetached(data, signature, signer.publicKeyArmored(), { date: null }).catch(
      (e: unknown) => {
        throw aboutFile(asc.shown, e);
      },
    );
    if (result.valid) return `${asc.shown}: good signature by ${result.fingerprint ?? signer.fingerprint}`;
    issuer = result.fingerprint ?? result.keyId;
    const ours = [signer.fingerprint, signer.primaryFingerprint, signer.keyId].some(
      (id) => issuer !== undefined && (id.endsWith(issuer) || issuer.endsWith(id)),
    );
    if (ours) {
      throw new RepoError(
        "CHECKSUM_MISMATCH",
        `${asc.shown}: the signature by the repository key ${signer.fingerprint} does not match ${sums.shown}${result.reason !== undefined ? ` (${result.reason})` : ""}`,
        { path: asc.shown, expected: signer.fingerprint },
      );
    }
  }
  return `${asc.shown}: signed by key ${issuer ?? "(unknown)"}, not a repository key: signature not checked`;
}

/** `<file>.sig` when it exists beside `file`. */
async function besideSignature(file: Named): Promise<Named | undefined> {
  const path = `${file.path}.sig`;
  try {
    if (!(await stat(path)).isFile()) return undefined;
  } catch {
    return undefined;
  }
  return { path, shown: `${file.shown}.sig` };
}

/**
 * Files stat'ed and sniffed at once, and packages read whole at once: enough to keep the disk busy while
 * the main thread parses (a first publish of 5,000 packages waited on one read at a time), few enough
 * readers that their decoders' windows stay bounded (a zstd --ultra package may need 128 MiB).
 */
const FILE_CONCURRENCY = 16;
const READ_CONCURRENCY = 4;

/**
 * The inputs from command-line files (paths relative to `cwd`): packages (read once each, format
 * checked first), `.sig` files beside them, checksums files and their `.asc` (verified, not published),
 * and manifests or folders holding one.
 */
export async function inputsFromFiles(
  files: readonly string[],
  opts: { cwd: string; signers: readonly OpenPGPSigner[] },
): Promise<GatheredInputs> {
  const named: Named[] = [];
  const seen = new Set<string>();
  for (const f of files) {
    const path = resolve(opts.cwd, f);
    if (seen.has(path)) continue;
    seen.add(path);
    named.push({ path, shown: f });
  }
  const names = new Set(named.map((n) => basename(n.path)));
  const byPath = new Map(named.map((n) => [n.path, n]));
  const kinds = new Map<Named, Kind>();
  const folders = new Set<Named>();
  const stats = await mapLimited(named, FILE_CONCURRENCY, async (n) => {
    try {
      return await stat(n.path);
    } catch (e) {
      throw readError(n.shown, e);
    }
  });
  // A regular file's size, taken from that stat rather than a second one.
  const sizes = new Map<Named, number>();
  for (const [i, n] of named.entries()) {
    if (stats[i]!.isDirectory()) folders.add(n);
    else if (stats[i]!.isFile()) sizes.set(n, stats[i]!.size);
    kinds.set(n, kindOf(basename(n.path), names, folders.has(n)));
  }
  const of = (k: Kind) => named.filter((n) => kinds.get(n) === k);
  const out: GatheredInputs = { inputs: [], notes: [] };

  // Every package's format first, so a wrong file fails before anything is read whole.
  const packages = await mapLimited(of("package"), FILE_CONCURRENCY, async (file) => {
    const source = await fileSource(file.path, sizes.get(file)).catch((e: unknown) => {
      throw aboutFile(file.shown, e);
    });
    const format = await detectFormat(source, basename(file.path));
    if (format === undefined) {
      throw new RepoError(
        "NOT_A_PACKAGE",
        `${file.shown}: not a package packyard reads (expected a .deb, .rpm, .pkg.tar.zst, .apk, macOS .pkg or release archive (.tar.gz, .tar.zst, .tar.xz, .zip, ...), a package's .sig beside it, SHA256SUMS or its .asc, or ${BUILD_MANIFEST_NAME})`,
        { path: file.shown },
      );
    }
    checkPublished(format, file);
    return { file, source, format };
  });
  for (const asc of of("checksums-signature")) {
    if (!names.has(basename(asc.path).slice(0, -".asc".length))) {
      throw new RepoError(
        "NOT_A_PACKAGE",
        `${asc.shown}: the signature of a checksums file, but ${basename(asc.path).slice(0, -".asc".length)} is not among the files`,
        { path: asc.shown },
      );
    }
  }

  // Checksums files: every given file they list must match.
  const given = new Map(named.filter((n) => kinds.get(n) !== "manifest").map((n) => [basename(n.path), n]));
  for (const sums of of("checksums")) {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(sums.path));
    } catch (e) {
      throw readError(sums.shown, e);
    }
    const checked = await verifySums(sums, new TextDecoder().decode(bytes), given);
    out.notes.push(`${sums.shown}: ${checked} of the given files listed, and their checksums match`);
    const asc = byPath.get(`${sums.path}.asc`);
    if (asc !== undefined) {
      out.notes.push(
        opts.signers.length > 0
          ? await verifySumsSignature(asc, sums, bytes, opts.signers)
          : `${asc.shown}: not checked (no key)`,
      );
    }
  }

  const read = await mapLimited(packages, READ_CONCURRENCY, async ({ file, source, format }) => {
    // The format the sniff found: readPackage would sniff the file again.
    const info = await formatById(format)!
      .read(source)
      .catch((e: unknown) => {
        throw aboutFile(file.shown, e);
      });
    // An Arch package's .sig beside it travels with it whether named or not (`dist/*.pkg.tar.zst` leaves
    // it out); pacman fetches it with the package.
    const sig =
      byPath.get(`${file.path}.sig`) ??
      (info.format === "archlinux" ? await besideSignature(file) : undefined);
    let signature: Uint8Array | undefined;
    try {
      signature = sig === undefined ? undefined : new Uint8Array(await readFile(sig.path));
    } catch (e) {
      throw readError(sig!.shown, e);
    }
    const input: PublishInput = { info, source, name: file.shown };
    if (signature !== undefined) input.signature = signature;
    return input;
  });
  out.inputs.push(...read);
  for (const m of of("manifest")) {
    const manifest = folders.has(m)
      ? { path: join(m.path, BUILD_MANIFEST_NAME), shown: join(m.shown, BUILD_MANIFEST_NAME) }
      : m;
    const got = await inputsFromManifest(manifest, opts.cwd);
    out.inputs.push(...got.inputs);
    out.notes.push(...got.notes);
  }
  return out;
}

/** The inputs for `packyard publish [FILES…]`: the files, or without any, `dist/packyard-build.json`. */
export async function gatherInputs(
  files: readonly string[],
  opts: { cwd: string; signers: readonly OpenPGPSigner[] },
): Promise<GatheredInputs> {
  if (files.length > 0) return inputsFromFiles(files, opts);
  return inputsFromManifest({ path: resolve(opts.cwd, DEFAULT_MANIFEST), shown: DEFAULT_MANIFEST }, opts.cwd);
}
