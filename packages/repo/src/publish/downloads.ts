/**
 * Downloads: what has no repository index (macOS `.pkg` files, release archives) is published as plain
 * files under `downloads/<name>/<version>/<file>`, with a `SHA256SUMS` over every file of that version
 * (`sha256sum -c` format), its armored detached signature `SHA256SUMS.asc` by the first signer (as `gpg
 * --armor --detach-sign` makes), and a Homebrew cask `downloads/<name>/<token>.rb` for the newest `.pkg`
 * of each name.
 *
 * A published file never changes: its URL is pinned by users' copies of SHA256SUMS, by casks in taps and
 * by caches that were told it is immutable for a year. So a file held with other bytes is refused
 * (REPO_CONFLICT) even with `replace`, as Alpine refuses a changed .apk: a new build is a new version.
 *
 * `planDownloads` only reads the storage; the caller writes the plan in its order (files, then each
 * version's SHA256SUMS and its .asc, then casks), e.g. with {@link applyDownloadWrites}.
 */
import { createHash } from "node:crypto";
import { inflateSync } from "node:zlib";
import {
  type ByteSource,
  compareSemver,
  type OpenPGPSigner,
  type PackageInfo,
  packagerFromFileName,
  parseVersion,
} from "@packyard/formats";
import { checksumsFile, parseChecksums, signChecksums } from "@packyard/formats/checksums";
import { parseXml, type XmlElement, xmlChild, xmlChildren } from "@packyard/formats/text";
import { isRepoError, RepoError } from "../errors.ts";
import { caskToken, homebrewCask } from "../install/cask.ts";
import type { DownloadFile, DownloadRelease } from "../install/types.ts";
import { collectBytes, readObject } from "../storage/read.ts";
import { contentTypeFor, IMMUTABLE_CACHE, MUTABLE_CACHE, type Storage } from "../storage/storage.ts";
import { verifying } from "./commit.ts";
import type { PublishInput } from "./options.ts";

/** The folder of downloads at the repository root. */
export const DOWNLOADS_PREFIX = "downloads/";
/** The checksums file of each version folder, and its signature. */
export const CHECKSUMS_NAME = "SHA256SUMS";
export const CHECKSUMS_SIGNATURE_NAME = "SHA256SUMS.asc";

/** A file to publish as a download: what the reader found in it, its bytes and its file name. */
export type DownloadInput = PublishInput;

/** One object of a download plan, in write order. */
export interface DownloadWrite {
  key: string;
  /** Bytes (SHA256SUMS, .asc, cask) or the published file itself, streamed while it is copied. */
  body: Uint8Array | ByteSource;
  /** Rewritten by later publishes (SHA256SUMS, .asc, cask): short Cache-Control, a CDN must invalidate it. */
  mutable: boolean;
  contentType: string;
  /** {@link MUTABLE_CACHE} or {@link IMMUTABLE_CACHE}. */
  cacheControl: string;
  /** For a streamed file: what its bytes must be (the caller checks while copying, CHECKSUM_MISMATCH otherwise). */
  expect?: { size: number; sha256: string; where: string };
}

/** A download file by name, version and file name. */
export interface DownloadEntry {
  name: string;
  version: string;
  file: string;
}

/** What {@link planDownloads} found to do. */
export interface DownloadPlan {
  /** Files first, then per version SHA256SUMS followed by its .asc, then casks. */
  writes: DownloadWrite[];
  /** Files not held yet. */
  added: DownloadEntry[];
  /** Files held with the same bytes (no write). */
  unchanged: DownloadEntry[];
  /** Cask keys written by the plan. */
  casks: string[];
  /** What the publish could not do for users (no cask without a base URL). */
  warnings: string[];
}

/** Options of {@link planDownloads}. */
export interface DownloadOptions {
  /** The repository's OpenPGP signers; the first signs SHA256SUMS. Empty: no .asc (refused where one is held). */
  signers: readonly OpenPGPSigner[];
  /**
   * Ignored for downloads: a file held with other bytes is always REPO_CONFLICT (see the module comment).
   * Accepted so the caller can pass the publish's own option.
   */
  replace?: boolean;
  /** Public base URL (no trailing slash needed): the cask's `url`. Without one no cask is written. */
  baseUrl?: string;
  /** The signature date's clock (default `new Date()`). */
  clock?: () => Date;
  /** The cask's `homepage` (default: the package's, else the repository's install page at the base URL). */
  homepage?: string;
  /** The cask's `desc` (default: the package's description, when it has one). */
  description?: string;
}

const SAFE_SEGMENT = /^[A-Za-z0-9_+~-][A-Za-z0-9._+~-]*$/;

/**
 * Throws RepoError UNSUPPORTED_PACKAGE unless `value` can be a path segment of a download key: letters,
 * digits and `. _ + ~ -`, not starting with `.`, no `..`.
 */
function checkSegment(value: string, field: string, where: string): void {
  if (SAFE_SEGMENT.test(value) && !value.includes("..")) return;
  throw new RepoError(
    "UNSUPPORTED_PACKAGE",
    `${where}: the download ${field} ${JSON.stringify(value)} cannot be a path segment of downloads/<name>/<version>/<file>; expected letters, digits and . _ + ~ - (not starting with "." and without "..")`,
    { path: where, field, found: value, expected: "[A-Za-z0-9._+~-], no leading . and no .." },
  );
}

/**
 * Orders download versions: semver precedence (`1.10.0` > `1.9.2`, `1.0.0` > `1.0.0-rc1`, a `v` prefix
 * and `+metadata` ignored), then byte order of the strings so that the order is total.
 *
 * @example compareDownloadVersions("1.10.0", "1.9.2") // 1
 */
export function compareDownloadVersions(a: string, b: string): number {
  const c = Math.sign(compareSemver(parseVersion(a), parseVersion(b)));
  if (c !== 0) return c;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The URL of a storage key under a base URL, each segment percent-encoded (`+` as %2B: S3 reads `+` as space). */
export function downloadUrl(baseUrl: string, key: string): string {
  return `${baseUrl.replace(/\/+$/, "")}/${key.split("/").map(encodeURIComponent).join("/")}`;
}

/** `downloads/<name>/<version>/`. */
function versionPrefix(name: string, version: string): string {
  return `${DOWNLOADS_PREFIX}${name}/${version}/`;
}

/** `downloads/<name>/<token>.rb`. */
export function caskKey(name: string): string {
  return `${DOWNLOADS_PREFIX}${name}/${caskToken(name)}.rb`;
}

/** The kind of a download file: `macos` for a .pkg, else the archive packager (`tar.gz`, `zip`, `tar`). */
export function downloadKind(file: string): string | undefined {
  const packager = packagerFromFileName(file);
  if (packager === "macos") return "macos";
  if (packager === "tar.gz" || packager === "tar.zst" || packager === "tar.xz" || packager === "zip")
    return packager;
  if (file.endsWith(".tar")) return "tar";
  return undefined;
}

function baseName(path: string): string {
  return path.slice(Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\")) + 1);
}

/** The archive extension a tarball's PackageInfo implies, for a file given without a name. */
function archiveExtension(info: PackageInfo): string {
  if (info.raw.format !== "tarball" || info.raw.container === "zip") return ".zip";
  const ext: Record<string, string> = { gzip: ".tar.gz", zstd: ".tar.zst", xz: ".tar.xz", none: ".tar" };
  return ext[info.raw.compression] ?? ".tar";
}

/** Strips the archive extension (`hello_1.0_linux_amd64.tar.gz` → `hello_1.0_linux_amd64`). */
function stripArchiveExtension(file: string): string {
  for (const ext of [".tar.gz", ".tgz", ".tar.zst", ".tar.xz", ".tar", ".zip"])
    if (file.endsWith(ext)) return file.slice(0, -ext.length);
  return file;
}

/** A resolved input: where it goes and what it is. */
interface Planned {
  input: DownloadInput;
  name: string;
  version: string;
  file: string;
  kind: string;
  key: string;
  where: string;
}

/** Name, version, file name and kind of an input; RepoError UNSUPPORTED_PACKAGE when they cannot be had. */
function resolveInput(input: DownloadInput): Planned {
  const info = input.info;
  const given = input.name === undefined ? undefined : baseName(input.name);
  let { name, versionString: version } = info;
  let file = given;
  if (info.format === "macos") {
    file ??= `${name}-${version}.pkg`;
    if (!file.endsWith(".pkg")) {
      throw new RepoError(
        "UNSUPPORTED_PACKAGE",
        `${input.name}: a macOS installer package is published as a .pkg file, found the file name ${JSON.stringify(file)}`,
        { path: input.name ?? file, expected: "<name>.pkg", found: file },
      );
    }
  } else {
    // Archives carry no metadata: a top folder `name_version_os_arch` tells, else the file name does.
    if ((name === "" || version === "") && given !== undefined) {
      const m = /^(.+)_([^_]+)_([^_]+)_([^_]+)$/.exec(stripArchiveExtension(given));
      if (m !== null) [name, version] = [m[1]!, m[2]!];
    }
    if (name === "" || version === "") {
      throw new RepoError(
        "UNSUPPORTED_PACKAGE",
        `${input.name ?? "a release archive"}: expected a name and version for downloads/<name>/<version>/, found none: name the archive <name>_<version>_<os>_<arch>.<ext> or give it one top folder named so`,
        { path: input.name ?? "", expected: "<name>_<version>_<os>_<arch>" },
      );
    }
    file ??= `${name}-${version}${archiveExtension(info)}`;
  }
  const where = input.name ?? file;
  checkSegment(name, "name", where);
  checkSegment(version, "version", where);
  checkSegment(file, "file name", where);
  if (file === CHECKSUMS_NAME || file === CHECKSUMS_SIGNATURE_NAME) {
    throw new RepoError(
      "UNSUPPORTED_PACKAGE",
      `${where}: the file name ${file} is the version folder's checksums file`,
      { path: where, found: file },
    );
  }
  const kind = info.format === "macos" ? "macos" : downloadKind(file);
  if (kind === undefined) {
    throw new RepoError(
      "UNSUPPORTED_PACKAGE",
      `${where}: expected a release archive named *.tar.gz, *.tgz, *.tar.zst, *.tar.xz, *.tar or *.zip, found ${JSON.stringify(file)}`,
      { path: where, found: file },
    );
  }
  if (version.endsWith(".rb") && `${caskToken(name)}.rb` === version) {
    throw new RepoError(
      "UNSUPPORTED_PACKAGE",
      `${where}: the version ${version} would be the folder of the cask file downloads/${name}/${version}`,
      { path: where, field: "version", found: version },
    );
  }
  return { input, name, version, file, kind, key: `${versionPrefix(name, version)}${file}`, where };
}

/** Every object under `prefix`, all pages. */
async function listAll(storage: Storage, prefix: string): Promise<{ key: string; size: number }[]> {
  const out: { key: string; size: number }[] = [];
  let cursor: string | undefined;
  do {
    const page = await storage.list(prefix, cursor === undefined ? {} : { cursor });
    for (const o of page.objects) out.push({ key: o.key, size: o.size });
    cursor = page.cursor;
  } while (cursor !== undefined);
  return out;
}

/** SHA-256 and size of a stored object, streamed. */
async function hashStored(storage: Storage, key: string): Promise<{ sha256: string; size: number }> {
  const body = await storage.get(key);
  if (body === undefined)
    throw new RepoError("NOT_FOUND", `${key}: expected the stored download, found no such object`, { key });
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of body) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { sha256: hash.digest("hex"), size };
}

/** A version folder's SHA256SUMS as file → digest; empty when absent. RepoError CORRUPT_STATE when unreadable. */
async function readSums(
  storage: Storage,
  prefix: string,
): Promise<{ text?: string; sums: Map<string, string> }> {
  const key = `${prefix}${CHECKSUMS_NAME}`;
  const bytes = await readObject(storage, key);
  if (bytes === undefined) return { sums: new Map() };
  const text = new TextDecoder().decode(bytes);
  try {
    const parsed = parseChecksums(text);
    if (parsed.algo !== "sha256") throw new Error(`${parsed.algo} digests`);
    return { text, sums: new Map(parsed.lines.map((l) => [l.name, l.digest])) };
  } catch (cause) {
    throw new RepoError(
      "CORRUPT_STATE",
      `${key}: expected sha256sum lines "<64 hex>  <file>", could not read it: ${(cause as Error).message}`,
      { key },
      { cause },
    );
  }
}

/** A stored object as a re-openable, range-reading source. */
function storedRangeSource(storage: Storage, key: string, size: number): ByteSource {
  return {
    size,
    open: (range) =>
      (async function* () {
        const body = await storage.get(key, range === undefined ? {} : { range });
        if (body === undefined)
          throw new RepoError("NOT_FOUND", `${key}: expected the stored .pkg, found no such object`, { key });
        yield* body;
      })(),
  };
}

/** xar's fixed header: magic, header size (offset 4, u16), compressed TOC length (offset 8, u64). */
const XAR_HEADER_SIZE = 28;
const XAR_MAGIC = 0x78617221;
/** Bounds on what is read of a .pkg for its identifiers: the TOC and each PackageInfo file. */
const MAX_TOC_BYTES = 16 * 1024 * 1024;
const MAX_PACKAGE_INFO_BYTES = 1024 * 1024;

async function readRange(source: ByteSource, start: number, end: number): Promise<Uint8Array> {
  return collectBytes(source.open({ start, end }));
}

/**
 * The package identifiers of a macOS flat package (what pkgutil records and `uninstall pkgutil:` names):
 * the `identifier` of each component's PackageInfo (`PackageInfo` of a component package, `<x>.pkg/
 * PackageInfo` of a product archive), read from the xar TOC and those files only, by range — the payload is
 * not read. RepoError CORRUPT_PACKAGE naming `where` when the archive does not say.
 */
export async function pkgIdentifiers(source: ByteSource, where: string): Promise<string[]> {
  const fail = (message: string, cause?: unknown) =>
    new RepoError(
      "CORRUPT_PACKAGE",
      `${where}: ${message}`,
      { path: where },
      cause === undefined ? undefined : { cause },
    );
  if (source.size < XAR_HEADER_SIZE) throw fail(`expected a xar archive, found ${source.size} bytes`);
  const head = await readRange(source, 0, XAR_HEADER_SIZE);
  const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  if (dv.getUint32(0) !== XAR_MAGIC)
    throw fail(`expected "xar!" at offset 0, found 0x${dv.getUint32(0).toString(16)}`);
  const headerSize = dv.getUint16(4);
  const tocLength = Number(dv.getBigUint64(8));
  const heapStart = headerSize + tocLength;
  if (headerSize < XAR_HEADER_SIZE || tocLength > MAX_TOC_BYTES || heapStart > source.size)
    throw fail(
      `xar header size ${headerSize} and TOC length ${tocLength} do not fit the ${source.size}-byte file`,
    );
  let toc: XmlElement | undefined;
  try {
    const xml = inflateSync(await readRange(source, headerSize, heapStart), {
      maxOutputLength: MAX_TOC_BYTES,
    });
    const root = parseXml(new TextDecoder("utf-8", { fatal: true }).decode(xml), `${where}: xar TOC`);
    toc = root.name === "xar" ? xmlChild(root, "toc") : undefined;
  } catch (cause) {
    throw fail("the xar TOC could not be read", cause);
  }
  if (toc === undefined) throw fail("expected <xar><toc> in the xar TOC");
  const infos: { path: string; data: XmlElement }[] = [];
  const nameOf = (f: XmlElement) => xmlChild(f, "name")?.text ?? "";
  for (const f of xmlChildren(toc, "file")) {
    const data = xmlChild(f, "data");
    if (nameOf(f) === "PackageInfo" && data !== undefined) infos.push({ path: "PackageInfo", data });
    if (!nameOf(f).endsWith(".pkg")) continue;
    for (const c of xmlChildren(f, "file")) {
      const d = xmlChild(c, "data");
      if (nameOf(c) === "PackageInfo" && d !== undefined)
        infos.push({ path: `${nameOf(f)}/PackageInfo`, data: d });
    }
  }
  const ids: string[] = [];
  for (const { path, data } of infos) {
    const num = (tag: string) => {
      const text = xmlChild(data, tag)?.text.trim() ?? "";
      if (!/^\d+$/.test(text))
        throw fail(`${path}: expected a number in <${tag}>, found ${JSON.stringify(text)}`);
      return Number(text);
    };
    const offset = num("offset");
    const length = num("length");
    const start = heapStart + offset;
    if (length > MAX_PACKAGE_INFO_BYTES || start + length > source.size)
      throw fail(`${path}: ${length} bytes at heap offset ${offset} do not fit the file (or exceed 1 MiB)`);
    const stored = await readRange(source, start, start + length);
    const encoding = xmlChild(data, "encoding")?.attrs.style ?? "application/octet-stream";
    let identifier: string | undefined;
    try {
      // xar's "application/x-gzip" encoding is a zlib stream (xar lib/zxar.c).
      const bytes =
        encoding === "application/x-gzip"
          ? inflateSync(stored, { maxOutputLength: MAX_PACKAGE_INFO_BYTES })
          : encoding === "application/octet-stream"
            ? stored
            : undefined;
      if (bytes === undefined) throw new Error(`unsupported encoding ${encoding}`);
      const root = parseXml(new TextDecoder("utf-8", { fatal: true }).decode(bytes), `${where}: ${path}`);
      if (root.name === "pkg-info") identifier = root.attrs.identifier;
    } catch (cause) {
      throw fail(`${path} could not be read`, cause);
    }
    if (identifier === undefined || identifier === "")
      throw fail(`${path}: expected <pkg-info identifier="…">`);
    if (!ids.includes(identifier)) ids.push(identifier);
  }
  if (ids.length === 0)
    throw fail(
      "expected a PackageInfo (component package) or <x>.pkg/PackageInfo (product archive), found none",
    );
  return ids;
}

/** What is known of one version folder while planning. */
interface VersionPlan {
  name: string;
  version: string;
  prefix: string;
  /** File → sha256 the new SHA256SUMS lists. */
  files: Map<string, string>;
  sumsText?: string;
  ascHeld: boolean;
}

/**
 * Plans publishing `inputs` that are macOS packages or release archives (others are ignored) as
 * downloads: the files, each version's SHA256SUMS (every file of the version, held ones included) and its
 * .asc by the first signer, and the cask of the newest `.pkg` of each name when a base URL is given. Reads
 * the storage only.
 *
 * @throws RepoError UNSUPPORTED_PACKAGE (a name, version or file name that is not a safe path segment),
 * REPO_CONFLICT (a file held with other bytes, `replace` or not), MISSING_KEY (a version whose SHA256SUMS
 * is signed would change and no signer is given), CORRUPT_STATE (an unreadable SHA256SUMS),
 * CORRUPT_PACKAGE (a .pkg whose identifiers cannot be read).
 */
export async function planDownloads(
  storage: Storage,
  inputs: readonly DownloadInput[],
  opts: DownloadOptions,
): Promise<DownloadPlan> {
  const plan: DownloadPlan = { writes: [], added: [], unchanged: [], casks: [], warnings: [] };
  const planned = new Map<string, Planned>();
  for (const input of inputs) {
    if (input.info.format !== "macos" && input.info.format !== "tarball") continue;
    const p = resolveInput(input);
    const twin = planned.get(p.key);
    if (twin !== undefined) {
      const [a, b] = [twin.input.info.artifact.digests.sha256, p.input.info.artifact.digests.sha256];
      if (a !== b)
        throw new RepoError(
          "REPO_CONFLICT",
          `${p.key}: given twice with different bytes (${twin.where}: sha256 ${a}; ${p.where}: sha256 ${b})`,
          { key: p.key, expected: a, found: b },
        );
      continue;
    }
    planned.set(p.key, p);
  }
  const versions = new Map<string, VersionPlan>();
  const files: DownloadWrite[] = [];
  const inputOf = new Map<string, Planned>();
  for (const p of [...planned.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))) {
    const prefix = versionPrefix(p.name, p.version);
    let v = versions.get(prefix);
    if (v === undefined) {
      const held = await listAll(storage, prefix);
      const { text, sums } = await readSums(storage, prefix);
      v = { name: p.name, version: p.version, prefix, files: new Map(), ascHeld: false };
      if (text !== undefined) v.sumsText = text;
      for (const o of held) {
        const file = o.key.slice(prefix.length);
        if (file.includes("/")) continue;
        if (file === CHECKSUMS_SIGNATURE_NAME) v.ascHeld = true;
        if (file === CHECKSUMS_NAME || file === CHECKSUMS_SIGNATURE_NAME) continue;
        // A file a stopped publish wrote before its SHA256SUMS is listed now: it was meant to be published.
        const listed = sums.get(file);
        v.files.set(file, listed ?? (await hashStored(storage, o.key)).sha256);
      }
      versions.set(prefix, v);
    }
    const { size, digests } = p.input.info.artifact;
    const entry = { name: p.name, version: p.version, file: p.file };
    inputOf.set(p.key, p);
    const heldSha = v.files.get(p.file);
    if (heldSha !== undefined) {
      if (heldSha === digests.sha256) {
        plan.unchanged.push(entry);
        continue;
      }
      throw new RepoError(
        "REPO_CONFLICT",
        `${p.key} is published with sha256 ${heldSha}, and ${p.where} has sha256 ${digests.sha256}; a published download never changes (users' SHA256SUMS, casks and year-long caches pin its bytes), ${opts.replace === true ? "not even with --replace" : "so it is not replaced"}: publish the new build as a new version`,
        { key: p.key, expected: heldSha, found: digests.sha256 },
      );
    }
    v.files.set(p.file, digests.sha256);
    plan.added.push(entry);
    files.push({
      key: p.key,
      body: p.input.source,
      mutable: false,
      contentType: contentTypeFor(p.key),
      cacheControl: IMMUTABLE_CACHE,
      expect: { size, sha256: digests.sha256, where: p.where },
    });
  }
  plan.writes.push(...files);
  const signer = opts.signers[0];
  const date = (opts.clock ?? (() => new Date()))();
  for (const v of versions.values()) {
    const text = await checksumsFile(
      [...v.files].map(([name, digest]) => ({ name, digest })),
      "sha256",
    );
    const changed = text !== v.sumsText;
    if (changed && signer === undefined && v.ascHeld) {
      throw new RepoError(
        "MISSING_KEY",
        `${v.prefix}${CHECKSUMS_NAME} would change and its signature ${v.prefix}${CHECKSUMS_SIGNATURE_NAME} is held: without a key the signature would no longer match; pass --key`,
        { key: `${v.prefix}${CHECKSUMS_SIGNATURE_NAME}`, expected: "an OpenPGP secret key" },
      );
    }
    const sumsBytes = new TextEncoder().encode(text);
    if (changed) plan.writes.push(textWrite(`${v.prefix}${CHECKSUMS_NAME}`, sumsBytes));
    if (signer !== undefined && (changed || !v.ascHeld)) {
      const signed = await signChecksums(text, CHECKSUMS_NAME, signer, { date });
      plan.writes.push(textWrite(`${v.prefix}${signed.name}`, new TextEncoder().encode(signed.text)));
    }
  }
  const names = [
    ...new Set([...planned.values()].filter((p) => p.kind === "macos").map((p) => p.name)),
  ].sort();
  for (const name of names) {
    if (opts.baseUrl === undefined) {
      plan.warnings.push(
        `no Homebrew cask for ${name}: a cask needs the public URL of the .pkg; give a base URL (--base-url or publish.base_url)`,
      );
      continue;
    }
    const write = await caskWrite(storage, name, versions, inputOf, { ...opts, baseUrl: opts.baseUrl });
    if (write !== undefined) {
      plan.writes.push(write);
      plan.casks.push(write.key);
    }
  }
  return plan;
}

function textWrite(key: string, bytes: Uint8Array): DownloadWrite {
  return {
    key,
    body: bytes,
    mutable: true,
    contentType: contentTypeFor(key),
    cacheControl: MUTABLE_CACHE,
  };
}

/**
 * The cask write for `name`, or undefined when it stays: the newest version holding a .pkg (held or
 * planned) decides. A held cask for a held .pkg is left alone (what the package said of itself is known
 * only while it is published); a missing one is made from the stored .pkg.
 */
async function caskWrite(
  storage: Storage,
  name: string,
  versions: ReadonlyMap<string, VersionPlan>,
  inputOf: ReadonlyMap<string, Planned>,
  opts: DownloadOptions & { baseUrl: string },
): Promise<DownloadWrite | undefined> {
  const namePrefix = `${DOWNLOADS_PREFIX}${name}/`;
  // Held .pkg files by version: what SHA256SUMS lists (a file not listed is not published), plus the plan.
  const pkgs = new Map<string, Map<string, string>>();
  const heldVersions = new Set<string>();
  for (const o of await listAll(storage, namePrefix)) {
    const parts = o.key.slice(namePrefix.length).split("/");
    if (parts.length === 2 && parts[1] === CHECKSUMS_NAME) heldVersions.add(parts[0]!);
  }
  for (const version of heldVersions) {
    const prefix = versionPrefix(name, version);
    const v = versions.get(prefix);
    const listed = v?.files ?? (await readSums(storage, prefix)).sums;
    for (const [file, sha] of listed) {
      if (!file.endsWith(".pkg")) continue;
      const m = pkgs.get(version) ?? new Map<string, string>();
      m.set(file, sha);
      pkgs.set(version, m);
    }
  }
  for (const v of versions.values()) {
    if (v.name !== name) continue;
    for (const [file, sha] of v.files) {
      if (!file.endsWith(".pkg")) continue;
      const m = pkgs.get(v.version) ?? new Map<string, string>();
      m.set(file, sha);
      pkgs.set(v.version, m);
    }
  }
  const newest = [...pkgs.keys()].sort(compareDownloadVersions).pop();
  if (newest === undefined) return undefined;
  // One .pkg per version is expected; with several the first by name is the cask's.
  const [file, sha256] = [...pkgs.get(newest)!].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))[0]!;
  const key = caskKey(name);
  const fileKey = `${versionPrefix(name, newest)}${file}`;
  const planned = inputOf.get(fileKey);
  const held = await readObject(storage, key);
  if (planned === undefined && held !== undefined) return undefined;
  let source: ByteSource;
  let info: PackageInfo | undefined;
  if (planned !== undefined) {
    source = planned.input.source;
    info = planned.input.info;
  } else {
    const head = await storage.head(fileKey);
    if (head === undefined) return undefined;
    source = storedRangeSource(storage, fileKey, head.size);
  }
  let identifiers: string[];
  try {
    identifiers = await pkgIdentifiers(source, planned?.where ?? fileKey);
  } catch (e) {
    if (isRepoError(e)) throw e;
    throw new RepoError(
      "CORRUPT_PACKAGE",
      `${planned?.where ?? fileKey}: could not read its package identifiers`,
      { path: fileKey },
      { cause: e },
    );
  }
  const homepage = opts.homepage ?? info?.homepage ?? `${opts.baseUrl.replace(/\/+$/, "")}/`;
  const description = opts.description ?? info?.description;
  const text = homebrewCask({
    token: caskToken(name),
    name: info?.summary ?? info?.name ?? name,
    version: newest,
    sha256,
    url: downloadUrl(opts.baseUrl, fileKey),
    homepage,
    ...(description === undefined ? {} : { description }),
    pkgFile: file,
    pkgIdentifiers: identifiers,
  });
  const bytes = new TextEncoder().encode(text);
  if (held !== undefined && Buffer.from(held).equals(bytes)) return undefined;
  return textWrite(key, bytes);
}

/**
 * Writes a plan in its order: streamed files are hashed while copied and must match `expect` (else the
 * object is deleted again and RepoError CHECKSUM_MISMATCH is thrown); `beforeEach` runs before every write
 * (the publish lock's `assertHeld`). Returns the keys written.
 */
export async function applyDownloadWrites(
  storage: Storage,
  writes: readonly DownloadWrite[],
  opts: { beforeEach?: (w: DownloadWrite) => Promise<void> } = {},
): Promise<string[]> {
  const written: string[] = [];
  for (const w of writes) {
    await opts.beforeEach?.(w);
    const options = { contentType: w.contentType, cacheControl: w.cacheControl };
    if (w.body instanceof Uint8Array) {
      await storage.put(w.key, w.body, options);
    } else {
      const sink = { size: 0, hash: createHash("sha256") };
      await storage.put(w.key, verifying(w.body.open(), sink), options);
      const sha256 = sink.hash.digest("hex");
      if (w.expect !== undefined && (sink.size !== w.expect.size || sha256 !== w.expect.sha256)) {
        await storage.delete(w.key).catch(() => {});
        throw new RepoError(
          "CHECKSUM_MISMATCH",
          `${w.expect.where}: expected ${w.expect.size} bytes with sha256 ${w.expect.sha256}, read ${sink.size} bytes with sha256 ${sha256}; the file changed after it was read`,
          { path: w.expect.where, key: w.key, expected: w.expect.sha256, found: sha256 },
        );
      }
    }
    written.push(w.key);
  }
  return written;
}

/**
 * The published downloads, as the install document lists them: every version folder with a SHA256SUMS
 * (its files are what it lists and the store holds; sizes from `head`), the .asc when held, and the cask
 * URL on the newest release of a name whose cask is held. Sorted by name, newest version first.
 */
export async function readDownloads(storage: Storage, baseUrl: string): Promise<DownloadRelease[]> {
  const objects = await listAll(storage, DOWNLOADS_PREFIX);
  const held = new Set(objects.map((o) => o.key));
  const sizes = new Map(objects.map((o) => [o.key, o.size]));
  const versionsByName = new Map<string, string[]>();
  for (const o of objects) {
    const parts = o.key.slice(DOWNLOADS_PREFIX.length).split("/");
    if (parts.length !== 3 || parts[2] !== CHECKSUMS_NAME) continue;
    const list = versionsByName.get(parts[0]!) ?? [];
    list.push(parts[1]!);
    versionsByName.set(parts[0]!, list);
  }
  const out: DownloadRelease[] = [];
  for (const name of [...versionsByName.keys()].sort()) {
    const versions = versionsByName.get(name)!.sort((a, b) => compareDownloadVersions(b, a));
    const releases: DownloadRelease[] = [];
    for (const version of versions) {
      const prefix = versionPrefix(name, version);
      const { sums } = await readSums(storage, prefix);
      const files: DownloadFile[] = [];
      for (const [file, sha256] of [...sums].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        const key = `${prefix}${file}`;
        if (!held.has(key)) continue;
        const size = sizes.get(key) ?? (await storage.head(key))?.size;
        if (size === undefined) continue;
        files.push({
          name: file,
          url: downloadUrl(baseUrl, key),
          size,
          sha256,
          kind: downloadKind(file) ?? "file",
        });
      }
      const release: DownloadRelease = {
        name,
        version,
        files,
        checksums: downloadUrl(baseUrl, `${prefix}${CHECKSUMS_NAME}`),
      };
      if (held.has(`${prefix}${CHECKSUMS_SIGNATURE_NAME}`))
        release.checksumsSignature = downloadUrl(baseUrl, `${prefix}${CHECKSUMS_SIGNATURE_NAME}`);
      releases.push(release);
    }
    let cask: string | undefined;
    try {
      cask = caskKey(name);
    } catch {
      cask = undefined;
    }
    if (cask !== undefined && held.has(cask) && releases[0] !== undefined)
      releases[0].cask = downloadUrl(baseUrl, cask);
    out.push(...releases);
  }
  return out;
}
