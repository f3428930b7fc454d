/**
 * Checks an RPM-MD repository root as dnf (librepo) and zypper read it (repos.md §3.6): `repomd.xml`, its
 * detached signature `repomd.xml.asc`, every metadata file repomd lists (size, checksum, and decompressed
 * size and checksum), the package lists of primary, filelists and other, and every package primary names,
 * down to its size and checksum. Problems are reported, not thrown, so one run lists everything a crash or
 * a bad publish left broken. Packages are hashed as they stream, a few at a time, each object once.
 */
import { createHash } from "node:crypto";
import { isPackyardError, verifyDetached } from "@packyard/formats";
import { type CompressionAlgo, decompressBytes } from "@packyard/formats/compress";
import { dearmorSignature } from "../apt/armor.ts";
import { isRepoError, RepoError } from "../errors.ts";
import { checkKey } from "../storage/key.ts";
import { readObject } from "../storage/read.ts";
import type { Storage } from "../storage/storage.ts";
import type { VerifyOptions } from "./apt.ts";
import { Problems, type VerifyProblem } from "./problems.ts";
import { childElements, decodeXml, parseXml, readXml, textOf, type XmlElement } from "./xml-read.ts";
import { readSmall } from "./reads.ts";

/** The metadata every RPM-MD repository carries (createrepo_c writes them; yum and zypper read all three). */
const REQUIRED = ["primary", "filelists", "other"] as const;
/**
 * Checksum types librepo knows (librepo/checksum.c, case-insensitive) → node:crypto names, and the hex
 * length of each.
 */
const HASHES: Readonly<Record<string, { algo: string; length: number }>> = {
  md5: { algo: "md5", length: 32 },
  sha: { algo: "sha1", length: 40 },
  sha1: { algo: "sha1", length: 40 },
  sha224: { algo: "sha224", length: 56 },
  sha256: { algo: "sha256", length: 64 },
  sha384: { algo: "sha384", length: 96 },
  sha512: { algo: "sha512", length: 128 },
};
/** Metadata larger than this (compressed or not) is not read: a string of it would not fit in V8. */
const MAX_METADATA_BYTES = 512 * 1024 * 1024;
/** repomd.xml, its signature and its key are small; anything larger is not read whole. */
const MAX_TOP_BYTES = 16 * 1024 * 1024;

/** Packages hashed at the same time (each one a stream: an open file or connection). */
const PACKAGE_READS = 8;

/** A checksum as RPM-MD writes it: `<checksum type="sha256">hex</checksum>`. */
interface Checksum {
  /** The type as written (for messages). */
  type: string;
  /** node:crypto algorithm. */
  algo: string;
  hex: string;
}

/** Size and checksum of a streamed object. */
interface ObjectHash {
  size: number;
  hex: string;
}

/**
 * Hashes package objects for every root of a run: each (key, algorithm) read once, at most
 * {@link PACKAGE_READS} at a time, and only the size and digest kept.
 */
class PackageReader {
  readonly #storage: Storage;
  readonly #cache = new Map<string, Promise<ObjectHash | undefined>>();
  readonly #waiting: (() => void)[] = [];
  #active = 0;
  /** Pool problems already reported (`key\nkind`): a noarch package named by several roots is reported once. */
  readonly reported = new Set<string>();

  constructor(storage: Storage) {
    this.#storage = storage;
  }

  hash(key: string, algo: string): Promise<ObjectHash | undefined> {
    const id = `${algo}\n${key}`;
    let p = this.#cache.get(id);
    if (p === undefined) {
      p = this.#limited(() => hashObject(this.#storage, key, algo));
      // Awaited later, in primary's order; until then a failure must not count as unhandled.
      p.catch(() => {});
      this.#cache.set(id, p);
    }
    return p;
  }

  async #limited<T>(work: () => Promise<T>): Promise<T> {
    // A finishing read hands its slot to the next waiting one, so no newcomer slips in between.
    if (this.#active >= PACKAGE_READS) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    else this.#active++;
    try {
      return await work();
    } finally {
      const next = this.#waiting.shift();
      if (next === undefined) this.#active--;
      else next();
    }
  }
}

/** Size and digest of an object read as a stream, never held whole; undefined when absent. */
async function hashObject(storage: Storage, key: string, algo: string): Promise<ObjectHash | undefined> {
  const stream = await storage.get(key);
  if (stream === undefined) return undefined;
  const hash = createHash(algo);
  let size = 0;
  for await (const chunk of stream) {
    size += chunk.length;
    hash.update(chunk);
  }
  return { size, hex: hash.digest("hex") };
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function short(hex: string): string {
  return hex.length > 16 ? `${hex.slice(0, 16)}…` : hex;
}

/** The problem text of a malformed XML document (the reader's message without the key it starts with). */
function xmlProblem(e: RepoError): string {
  const { expected, found, line, column } = e.data;
  if (line === undefined) return `not well-formed XML: expected ${String(expected)}, found ${String(found)}`;
  return `not well-formed XML: expected ${String(expected)}, found ${String(found)} (line ${String(line)}, column ${String(column)})`;
}

/** A storage key of `href` read relative to the folder `base` (librepo joins baseurl and href), or why none. */
function resolveHref(base: string, href: string): { key: string } | { problem: string } {
  if (href === "") return { problem: "is empty" };
  if (href.includes("://")) return { problem: "is a URL, not a path relative to the repository" };
  if (href.startsWith("/")) return { problem: "is an absolute path, not one relative to the repository" };
  const parts = base.split("/").filter((s) => s !== "");
  for (const segment of href.split("/")) {
    if (segment === "") return { problem: "has an empty path segment" };
    if (segment === ".") continue;
    if (segment === "..") {
      if (parts.length === 0) return { problem: "escapes the repository root" };
      parts.pop();
      continue;
    }
    parts.push(segment);
  }
  const key = parts.join("/");
  try {
    checkKey(key);
  } catch (e) {
    if (isRepoError(e) && e.code === "INVALID_SETTING") return { problem: "names no valid storage key" };
    throw e;
  }
  return { key };
}

/** Reads a `<checksum type=…>hex</checksum>`-like element; a string says what is wrong with it. */
function checksumOf(element: { type?: string | undefined; text: string }, what: string): Checksum | string {
  const type = element.type;
  if (type === undefined) return `${what} has no type`;
  const known = HASHES[type.toLowerCase()];
  if (known === undefined) return `${what} type ${JSON.stringify(type)} is not one librepo knows`;
  const hex = element.text.trim().toLowerCase();
  if (hex.length !== known.length || !/^[0-9a-f]+$/.test(hex))
    return `${what} ${JSON.stringify(hex.slice(0, 20))} is not ${known.length} hex digits (${type})`;
  return { type, algo: known.algo, hex };
}

function digestHex(bytes: Uint8Array, algo: string): string {
  return createHash(algo).update(bytes).digest("hex");
}

/** A non-negative decimal integer (as RPM-MD writes sizes), else undefined. */
function count(text: string | undefined): number | undefined {
  if (text === undefined || !/^\s*\d{1,15}\s*$/.test(text)) return undefined;
  return Number(text);
}

// ---------------------------------------------------------------------------------------------------------
// repomd.xml.asc

/** Tags of the OpenPGP packets in `bytes` (RFC 4880 §4.2, old and new headers), or why they do not parse. */
function packetTags(bytes: Uint8Array): number[] | string {
  const tags: number[] = [];
  let i = 0;
  while (i < bytes.length) {
    const head = bytes[i]!;
    if ((head & 0x80) === 0) return `byte ${i} is not an OpenPGP packet header`;
    let tag: number;
    let length: number;
    let body: number;
    if ((head & 0x40) !== 0) {
      tag = head & 0x3f;
      const b = bytes[i + 1];
      if (b === undefined) return `packet at byte ${i} is truncated`;
      if (b < 192) [length, body] = [b, i + 2];
      else if (b < 224) [length, body] = [((b - 192) << 8) + (bytes[i + 2] ?? 0) + 192, i + 3];
      else if (b === 255) {
        length = 0;
        for (let k = 2; k < 6; k++) length = length * 256 + (bytes[i + k] ?? 0);
        body = i + 6;
      } else return `packet at byte ${i} has a partial body length (never used by a signature)`;
    } else {
      tag = (head >> 2) & 0x0f;
      const lengthBytes = [1, 2, 4, 0][head & 3]!;
      if (lengthBytes === 0) return `packet at byte ${i} has an indeterminate length`;
      length = 0;
      for (let k = 1; k <= lengthBytes; k++) length = length * 256 + (bytes[i + k] ?? 0);
      body = i + 1 + lengthBytes;
    }
    if (body + length > bytes.length) return `packet at byte ${i} is truncated`;
    tags.push(tag);
    i = body + length;
  }
  if (tags.length === 0) return "no packets";
  return tags;
}

/** The signature of `repomd.xml.asc` as read (text when armored), or undefined when it cannot be used. */
function readSignatureFile(
  problems: Problems,
  ascKey: string,
  asc: Uint8Array,
): string | Uint8Array | undefined {
  let packets: Uint8Array;
  let signature: string | Uint8Array;
  // Binary packets have the high bit of the first octet set; librepo tries them when it finds no armor.
  if (asc.length > 0 && (asc[0]! & 0x80) !== 0) {
    packets = asc;
    signature = asc;
  } else {
    const text = new TextDecoder().decode(asc);
    const begin = /^-----BEGIN PGP ([^\r\n]*?)-----[ \t\r]*$/m.exec(text);
    if (begin === null) {
      problems.add(
        ascKey,
        `not an OpenPGP signature: no '-----BEGIN PGP SIGNATURE-----' line (found ${JSON.stringify(text.trim().slice(0, 40))})`,
      );
      return undefined;
    }
    if (begin[1] !== "SIGNATURE") {
      // librepo (gpg_rpm.c) looks for a SIGNATURE armor line: a cleartext message has one, but its
      // signature covers the message text, not repomd.xml's bytes.
      problems.add(
        ascKey,
        begin[1] === "SIGNED MESSAGE"
          ? "a cleartext-signed message, not a detached signature block: dnf cannot verify repomd.xml with it"
          : `a '-----BEGIN PGP ${begin[1]}-----' block, not a detached signature block: dnf fails with "Signature not found in armored packets"`,
      );
      return undefined;
    }
    try {
      packets = dearmorSignature(text.slice(begin.index), ascKey);
    } catch (e) {
      if (!isRepoError(e) || e.code !== "VERIFY_FAILED") throw e;
      problems.add(ascKey, `armor unreadable: ${e.message}`);
      return undefined;
    }
    signature = text.slice(begin.index);
  }
  const tags = packetTags(packets);
  if (typeof tags === "string") {
    problems.add(ascKey, `OpenPGP packets unreadable: ${tags}`);
    return undefined;
  }
  if (tags.some((t) => t !== 2)) {
    problems.add(
      ascKey,
      `holds packets other than signatures (tags ${tags.join(", ")}); expected tag 2 only`,
    );
    return undefined;
  }
  if (tags.length > 1) {
    // gpgme-based librepo accepts any good one; rpm's parser (librepo's rpm backend, dnf5) reads one
    // signature packet and refuses the trailing bytes.
    problems.add(
      ascKey,
      `holds ${tags.length} signature packets; expected one (librepo's rpm backend and dnf5 read one and refuse trailing bytes)`,
    );
  }
  return signature;
}

/**
 * Whether some key of `publicKeys` verifies `signature` over `data` (any one signature of the block, as
 * gpg-based clients accept), or why not. A signature that does not parse is a problem; a key that does not,
 * the caller's error.
 */
async function verifiedBy(
  data: Uint8Array,
  signature: string | Uint8Array,
  publicKeys: readonly (string | Uint8Array)[],
): Promise<{ valid: true } | { valid: false; reason: string }> {
  const reasons: string[] = [];
  for (const publicKey of publicKeys) {
    const result = await verifyDetached(data, signature, publicKey, { date: null });
    if (result.valid) return { valid: true };
    reasons.push(result.reason === undefined ? result.keyId : `${result.keyId}: ${result.reason}`);
  }
  return { valid: false, reason: reasons.join("; ") };
}

async function checkSignature(
  problems: Problems,
  storage: Storage,
  dir: string,
  repomd: Uint8Array,
  publicKeys: readonly string[] | undefined,
): Promise<void> {
  const ascKey = `${dir}repomd.xml.asc`;
  const asc = await readSmall(problems, storage, ascKey, MAX_TOP_BYTES, "a top file may hold");
  if (asc === "too big") return;
  if (asc === undefined) {
    problems.add(
      ascKey,
      publicKeys === undefined
        ? "missing beside repomd.xml (clients with repo_gpgcheck=1 refuse the repository)"
        : "missing: with repo_gpgcheck=1 dnf refuses the repository (GPG verification is enabled, but GPG signature is not available)",
    );
    return;
  }
  const signature = readSignatureFile(problems, ascKey, asc);
  if (signature === undefined || publicKeys === undefined) return;
  try {
    const result = await verifiedBy(repomd, signature, publicKeys);
    if (!result.valid) {
      problems.add(
        ascKey,
        `no signature in it verifies repomd.xml with the given keys (${result.reason}): dnf reports "repomd.xml GPG signature verification error: Bad GPG signature"`,
      );
      return;
    }
  } catch (e) {
    if (isPackyardError(e) && e.code === "KEY_READ")
      throw new RepoError(
        "INVALID_SETTING",
        `verify: a public key given could not be read: ${e.message}`,
        { field: "publicKeys" },
        { cause: e },
      );
    if (!isPackyardError(e)) throw e;
    problems.add(ascKey, `signature unreadable: ${e.message}`);
    return;
  }

  // zypper offers repomd.xml.key for import when it does not know the signer: it must verify the good
  // signature (a bad one is reported above, once).
  const keyKey = `${dir}repomd.xml.key`;
  const key = await readSmall(problems, storage, keyKey, MAX_TOP_BYTES, "a top file may hold");
  if (key === undefined || key === "too big") return;
  try {
    const result = await verifiedBy(repomd, signature, [key]);
    if (!result.valid)
      problems.add(
        keyKey,
        `verifies no signature of repomd.xml.asc (${result.reason}): zypper users who import it see a bad signature`,
      );
  } catch (e) {
    if (!isPackyardError(e)) throw e;
    problems.add(keyKey, `not a readable OpenPGP public key: ${e.message}`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// repomd.xml

/** One `<data type=…>` of repomd.xml. */
interface DataRecord {
  type: string;
  href: string;
  key: string;
  checksum: Checksum;
  size?: number;
  openChecksum?: Checksum;
  openSize?: number;
}

function firstChild(element: XmlElement, name: string): XmlElement | undefined {
  return childElements(element, name)[0];
}

/**
 * The `<data>` records of repomd.xml, and every type named (a broken record is a problem and is left out of
 * the records, but its type counts as present).
 */
function dataRecords(
  problems: Problems,
  repomdKey: string,
  root: string,
  doc: XmlElement,
): { records: Map<string, DataRecord>; types: Set<string> } {
  const records = new Map<string, DataRecord>();
  const types = new Set<string>();
  for (const data of childElements(doc, "data")) {
    const type = data.attributes.type;
    if (type === undefined || type === "") {
      problems.add(repomdKey, "a <data> element has no type");
      continue;
    }
    const what = `<data type="${type}">`;
    if (types.has(type)) {
      problems.add(repomdKey, `${what} appears twice`);
      continue;
    }
    types.add(type);
    const location = firstChild(data, "location");
    const href = location?.attributes.href;
    if (href === undefined) {
      problems.add(repomdKey, `${what} has no <location href>`);
      continue;
    }
    const base = location?.attributes["xml:base"];
    if (base !== undefined) {
      problems.add(
        repomdKey,
        `${what}: location has xml:base=${JSON.stringify(base)}, which this check cannot follow`,
      );
      continue;
    }
    const resolved = resolveHref(root, href);
    if ("problem" in resolved) {
      problems.add(repomdKey, `${what}: location ${JSON.stringify(href)} ${resolved.problem}`);
      continue;
    }
    const checksumElement = firstChild(data, "checksum");
    if (checksumElement === undefined) {
      problems.add(repomdKey, `${what} has no <checksum> (librepo cannot check what it downloads)`);
      continue;
    }
    const checksum = checksumOf(
      { type: checksumElement.attributes.type, text: textOf(checksumElement) },
      `${what} <checksum>`,
    );
    if (typeof checksum === "string") {
      problems.add(repomdKey, checksum);
      continue;
    }
    const record: DataRecord = { type, href, key: resolved.key, checksum };
    const sizes: [string, "size" | "openSize"][] = [
      ["size", "size"],
      ["open-size", "openSize"],
    ];
    for (const [element, field] of sizes) {
      const e = firstChild(data, element);
      if (e === undefined) continue;
      const n = count(textOf(e));
      if (n === undefined)
        problems.add(
          repomdKey,
          `${what} <${element}> ${JSON.stringify(textOf(e).slice(0, 20))} is not a size`,
        );
      else record[field] = n;
    }
    const open = firstChild(data, "open-checksum");
    if (open !== undefined) {
      const c = checksumOf({ type: open.attributes.type, text: textOf(open) }, `${what} <open-checksum>`);
      if (typeof c === "string") problems.add(repomdKey, c);
      else record.openChecksum = c;
    }
    records.set(type, record);
  }
  return { records, types };
}

/** How a metadata file is compressed, by its name; undefined for zchunk, which is not read here. */
function compressionOf(href: string): CompressionAlgo | undefined {
  if (href.endsWith(".gz")) return "gzip";
  if (href.endsWith(".zst")) return "zstd";
  if (href.endsWith(".xz")) return "xz";
  if (href.endsWith(".bz2")) return "bzip2";
  if (href.endsWith(".zck")) return undefined;
  return "none";
}

/**
 * Checks one metadata file against its `<data>` record: present, size, checksum, then decompressed size
 * and checksum. Returns the decompressed bytes when `wanted` and the stored file matches its checksum.
 */
async function checkData(
  problems: Problems,
  storage: Storage,
  repomdKey: string,
  record: DataRecord,
  wanted: boolean,
): Promise<Uint8Array | undefined> {
  const { key, type } = record;
  const what = `<data type="${type}">`;
  const info = await storage.head(key);
  if (info === undefined) {
    problems.add(key, `missing: ${repomdKey} lists it as ${what}`);
    return undefined;
  }
  if (record.size !== undefined && info.size !== record.size) {
    problems.add(key, `size ${info.size}, ${repomdKey} gives ${record.size} for ${what}`);
    return undefined;
  }
  if (info.size > MAX_METADATA_BYTES) {
    problems.add(key, `${info.size} bytes: larger than the ${MAX_METADATA_BYTES} this check reads`);
    return undefined;
  }
  const bytes = await readObject(storage, key);
  if (bytes === undefined) {
    problems.add(key, `missing: ${repomdKey} lists it as ${what}`);
    return undefined;
  }
  const got = digestHex(bytes, record.checksum.algo);
  if (got !== record.checksum.hex) {
    problems.add(
      key,
      `${record.checksum.type} ${short(got)}, ${repomdKey} gives ${short(record.checksum.hex)} for ${what} (dnf refuses the metadata)`,
    );
    return undefined;
  }
  if (!wanted && record.openChecksum === undefined && record.openSize === undefined) return undefined;
  const algo = compressionOf(record.href);
  if (algo === undefined) return undefined;
  const limit = Math.min(record.openSize ?? MAX_METADATA_BYTES, MAX_METADATA_BYTES);
  let plain: Uint8Array;
  try {
    plain =
      algo === "none" ? bytes : await decompressBytes(bytes, algo, { limits: { maxUnpackedBytes: limit } });
  } catch (e) {
    if (!isPackyardError(e)) throw e;
    if (e.code === "LIMIT_UNPACKED_BYTES")
      problems.add(
        key,
        record.openSize === limit
          ? `decompresses to more than the open-size ${limit} ${repomdKey} gives for ${what}`
          : `decompresses to more than the ${limit} bytes this check reads`,
      );
    else problems.add(key, `cannot be decompressed (${algo}): ${message(e)}`);
    return undefined;
  }
  if (record.openSize !== undefined && plain.length !== record.openSize)
    problems.add(
      key,
      `decompressed size ${plain.length}, ${repomdKey} gives open-size ${record.openSize} for ${what}`,
    );
  if (record.openChecksum !== undefined) {
    const open = digestHex(plain, record.openChecksum.algo);
    if (open !== record.openChecksum.hex)
      problems.add(
        key,
        `decompressed ${record.openChecksum.type} ${short(open)}, ${repomdKey} gives open-checksum ${short(record.openChecksum.hex)} for ${what}`,
      );
  }
  return wanted ? plain : undefined;
}

// ---------------------------------------------------------------------------------------------------------
// primary, filelists, other

/** What the verifier takes from one `<package>` of primary.xml. */
interface PrimaryPackage {
  /** `name-[epoch:]ver-rel.arch`, for messages. */
  who: string;
  checksum?: Checksum;
  size?: number;
  href?: string;
  base?: string;
}

/** The package list of a metadata document: the root's `packages=` count and the `<package>` children. */
interface PackageList<P> {
  declared: number | undefined;
  packages: P[];
}

/** Parses `bytes` with `read`; a malformed document is a problem and gives undefined. */
function parseDocument<T>(
  problems: Problems,
  key: string,
  bytes: Uint8Array,
  read: (text: string) => T,
): T | undefined {
  try {
    return read(decodeXml(bytes, key));
  } catch (e) {
    if (!isRepoError(e) || e.code !== "VERIFY_FAILED") throw e;
    problems.add(key, xmlProblem(e));
    return undefined;
  }
}

/** Checks the root element and its `packages=` count, then returns the declared count. */
function rootCount(
  problems: Problems,
  key: string,
  name: string,
  attributes: Readonly<Record<string, string>>,
  expected: string,
): number | undefined {
  if (name !== expected) {
    problems.add(key, `root element <${name}>, expected <${expected}>`);
    return undefined;
  }
  const declared = count(attributes.packages);
  if (declared === undefined)
    problems.add(
      key,
      attributes.packages === undefined
        ? `<${expected}> has no packages= count`
        : `<${expected}> packages=${JSON.stringify(attributes.packages)} is not a count`,
    );
  return declared;
}

function readPrimary(problems: Problems, key: string, text: string): PackageList<PrimaryPackage> {
  const list: PackageList<PrimaryPackage> = { declared: undefined, packages: [] };
  let current:
    | {
        name: string;
        arch: string;
        evr: string;
        checksum?: { type?: string; text: string };
        pkg: PrimaryPackage;
      }
    | undefined;
  /** The element at depth 2 whose text is being collected. */
  let collecting: "name" | "arch" | "checksum" | undefined;
  readXml(
    text,
    {
      open(name, attributes, depth) {
        if (depth === 0) list.declared = rootCount(problems, key, name, attributes, "metadata");
        else if (depth === 1 && name === "package")
          current = { name: "", arch: "", evr: "", pkg: { who: "" } };
        else if (depth === 2 && current !== undefined) {
          if (name === "name" || name === "arch") collecting = name;
          else if (name === "checksum") {
            collecting = "checksum";
            current.checksum = {
              text: "",
              ...(attributes.type === undefined ? {} : { type: attributes.type }),
            };
          } else if (name === "version") {
            const epoch = attributes.epoch ?? "0";
            current.evr = `${epoch === "0" || epoch === "" ? "" : `${epoch}:`}${attributes.ver ?? "?"}-${attributes.rel ?? "?"}`;
          } else if (name === "size") {
            const size = count(attributes.package);
            if (size !== undefined) current.pkg.size = size;
          } else if (name === "location") {
            if (attributes.href !== undefined) current.pkg.href = attributes.href;
            if (attributes["xml:base"] !== undefined) current.pkg.base = attributes["xml:base"];
          }
        }
      },
      text(t, depth) {
        if (depth !== 2 || current === undefined || collecting === undefined) return;
        if (collecting === "checksum") current.checksum!.text += t;
        else current[collecting] += t;
      },
      close(name, depth) {
        if (depth === 2) collecting = undefined;
        if (depth !== 1 || name !== "package" || current === undefined) return;
        const pkg = current.pkg;
        pkg.who = `${current.name.trim() || "?"}-${current.evr || "?"}.${current.arch.trim() || "?"}`;
        if (current.checksum === undefined) problems.add(key, `${pkg.who}: no <checksum> (the package id)`);
        else {
          const c = checksumOf(current.checksum, `${pkg.who}: <checksum>`);
          if (typeof c === "string") problems.add(key, c);
          else pkg.checksum = c;
        }
        if (pkg.size === undefined) problems.add(key, `${pkg.who}: no <size package=…> (the file size)`);
        if (pkg.href === undefined) problems.add(key, `${pkg.who}: no <location href>`);
        list.packages.push(pkg);
        current = undefined;
      },
    },
    key,
  );
  return list;
}

/** The pkgids of filelists.xml (`<filelists>`) or other.xml (`<otherdata>`), in order. */
function readPkgids(problems: Problems, key: string, text: string, rootName: string): PackageList<string> {
  const list: PackageList<string> = { declared: undefined, packages: [] };
  readXml(
    text,
    {
      open(name, attributes, depth) {
        if (depth === 0) list.declared = rootCount(problems, key, name, attributes, rootName);
        else if (depth === 1 && name === "package") {
          const pkgid = attributes.pkgid;
          if (pkgid === undefined || pkgid === "")
            problems.add(key, `a <package name=${JSON.stringify(attributes.name ?? "?")}> has no pkgid`);
          else list.packages.push(pkgid.toLowerCase());
        }
      },
    },
    key,
  );
  return list;
}

function checkCount(problems: Problems, key: string, list: PackageList<unknown>, root: string): void {
  if (list.declared !== undefined && list.declared !== list.packages.length)
    problems.add(
      key,
      `<${root} packages="${list.declared}"> but it holds ${list.packages.length} <package> elements`,
    );
}

/** Lists up to three items and how many more. */
function some(items: string[]): string {
  const shown = items.slice(0, 3).join(", ");
  return items.length > 3 ? `${shown} and ${items.length - 3} more` : shown;
}

/** filelists and other describe the packages primary lists, by pkgid: the same set. */
function comparePkgids(problems: Problems, key: string, primary: PrimaryPackage[], pkgids: string[]): void {
  const mine = new Set(pkgids);
  const primaryIds = new Set<string>();
  const lacking: string[] = [];
  for (const p of primary) {
    if (p.checksum === undefined) continue;
    primaryIds.add(p.checksum.hex);
    if (!mine.has(p.checksum.hex)) lacking.push(p.who);
  }
  const extra = [...mine].filter((id) => !primaryIds.has(id)).map(short);
  if (lacking.length > 0)
    problems.add(key, `lacks ${lacking.length} package(s) primary lists: ${some(lacking)}`);
  if (extra.length > 0) problems.add(key, `lists ${extra.length} pkgid(s) primary does not: ${some(extra)}`);
}

/** Checks every package primary lists: where its location leads, and that object's size and checksum. */
async function checkPackages(
  problems: Problems,
  reader: PackageReader,
  root: string,
  primaryKey: string,
  packages: PrimaryPackage[],
): Promise<void> {
  const pending = packages.map((p) => {
    if (p.href === undefined || p.checksum === undefined || p.size === undefined) return undefined;
    if (p.base !== undefined) {
      problems.add(
        primaryKey,
        `${p.who}: location has xml:base=${JSON.stringify(p.base)}: dnf fetches it from there, which this check cannot follow`,
      );
      return undefined;
    }
    const resolved = resolveHref(root, p.href);
    if ("problem" in resolved) {
      problems.add(primaryKey, `${p.who}: location ${JSON.stringify(p.href)} ${resolved.problem}`);
      return undefined;
    }
    return { key: resolved.key, hash: reader.hash(resolved.key, p.checksum.algo) };
  });
  for (const [i, p] of packages.entries()) {
    const job = pending[i];
    if (job === undefined) continue;
    const { key } = job;
    const got = await job.hash;
    // A noarch package is named by every architecture's primary: its problems are reported once, by the first.
    const report = (kind: string, problem: string) => {
      if (reader.reported.has(`${key}\n${kind}`)) return;
      reader.reported.add(`${key}\n${kind}`);
      problems.add(key, problem);
    };
    if (got === undefined) {
      report("missing", `missing: ${primaryKey} lists it for ${p.who}`);
      continue;
    }
    if (got.size !== p.size) report("size", `size ${got.size}, ${primaryKey} gives ${p.size} for ${p.who}`);
    const want = p.checksum!;
    if (got.hex !== want.hex)
      report(
        "checksum",
        `${want.type} ${short(got.hex)}, ${primaryKey} gives ${short(want.hex)} for ${p.who}`,
      );
  }
}

async function checkRoot(
  problems: Problems,
  storage: Storage,
  reader: PackageReader,
  rootGiven: string,
  options: VerifyOptions,
): Promise<void> {
  const root = rootGiven.replace(/\/+$/, "");
  const dir = `${root}/repodata/`;
  const repomdKey = `${dir}repomd.xml`;
  const repomd = await readSmall(problems, storage, repomdKey, MAX_TOP_BYTES, "a top file may hold");
  if (repomd === "too big") return;
  if (repomd === undefined) {
    problems.add(repomdKey, "missing (dnf fetches repodata/repomd.xml first)");
    return;
  }
  await checkSignature(problems, storage, dir, repomd, options.publicKeys);
  const doc = parseDocument(problems, repomdKey, repomd, (text) => parseXml(text, repomdKey));
  if (doc === undefined) return;
  if (doc.name !== "repomd") {
    problems.add(repomdKey, `root element <${doc.name}>, expected <repomd>`);
    return;
  }
  const { records, types } = dataRecords(problems, repomdKey, root, doc);
  for (const type of REQUIRED) if (!types.has(type)) problems.add(repomdKey, `no <data type="${type}">`);

  let primary: PackageList<PrimaryPackage> | undefined;
  let primaryKey = "";
  const lists: { key: string; list: PackageList<string> }[] = [];
  for (const record of records.values()) {
    const wanted = (REQUIRED as readonly string[]).includes(record.type);
    const plain = await checkData(problems, storage, repomdKey, record, wanted);
    if (plain === undefined) continue;
    if (record.type === "primary") {
      primaryKey = record.key;
      primary = parseDocument(problems, record.key, plain, (text) => readPrimary(problems, record.key, text));
      if (primary !== undefined) checkCount(problems, record.key, primary, "metadata");
    } else {
      const rootName = record.type === "filelists" ? "filelists" : "otherdata";
      const list = parseDocument(problems, record.key, plain, (text) =>
        readPkgids(problems, record.key, text, rootName),
      );
      if (list === undefined) continue;
      checkCount(problems, record.key, list, rootName);
      lists.push({ key: record.key, list });
    }
  }
  if (primary === undefined) return;
  for (const { key, list } of lists) comparePkgids(problems, key, primary.packages, list.packages);
  await checkPackages(problems, reader, root, primaryKey, primary.packages);
}

/**
 * Verifies the RPM-MD repository root `root` in `storage` (a folder such as `rpm/el/9/x86_64`, relative to
 * the repository root, holding `repodata/`): `repomd.xml` (present, well-formed), `repomd.xml.asc` (present,
 * a detached signature block; with `publicKeys`, one signature in it verifies with one of them, and a
 * `repomd.xml.key` beside it must verify it too), every `<data>` (present, size and checksum, decompressed
 * size and checksum), `primary`/`filelists`/`other` (present, `packages=` counts, the same pkgids), and every
 * package primary lists (its location inside the repository, the object's size and checksum).
 * Returns the problems found, `[]` when dnf would see a healthy repository.
 * @throws RepoError INVALID_SETTING when a public key given cannot be read; storage errors as they come.
 *
 * @example const problems = await verifyRpmRoot(storage, "rpm/el/9/x86_64", { publicKeys: [armored] });
 */
export async function verifyRpmRoot(
  storage: Storage,
  root: string,
  options: VerifyOptions = {},
): Promise<VerifyProblem[]> {
  return verifyRpmRoots(storage, [root], options);
}

/**
 * Verifies several RPM-MD roots (see {@link verifyRpmRoot}) in one pass: a package named by several roots
 * (noarch in every architecture, one pool for several releases) is read once and its problems reported once.
 */
export async function verifyRpmRoots(
  storage: Storage,
  roots: readonly string[],
  options: VerifyOptions = {},
): Promise<VerifyProblem[]> {
  const problems = new Problems();
  const reader = new PackageReader(storage);
  for (const root of roots) await checkRoot(problems, storage, reader, root, options);
  return problems.list;
}
