/**
 * What the pacman and Alpine engine tests share: real packages written by @packyard/formats and read back
 * (the PublishInput shape publish gets), an RSA signer from a fresh node:crypto key, detached Arch
 * signatures, and independent readers of what a publish stores — a pacman database's `desc` entries
 * (gunzip + tar), an APKINDEX.tar.gz cut into its two gzip members by node:zlib alone, and a storage
 * wrapper that refuses to read package files.
 *
 * Exports:
 * - `testArch(options)`, `testApk(options)`: a package ready to publish (`{ info, source, name, bytes }`).
 * - `archInput(bytes, name, signature?)`: reads Arch package bytes back into a PublishInput.
 * - `rsaSigner(keyName, bits?)`: an RSA signer of a new key (2048 bits by default; each call is slow).
 * - `archSignature(pkg, signer, date?)`: a binary detached OpenPGP signature over the package bytes.
 * - `pacmanDatabase(bytes)`: the `desc` texts of a .db (or `files` of a .files), by entry folder.
 * - `descFields(text)`: a `desc` text as `%FIELD%` → lines.
 * - `gzipMembers(bytes)`: the members of a concatenation of gzip streams (compressed bytes of each).
 * - `apkIndexParts(bytes)`: an APKINDEX.tar.gz's signature entries, signed member and index entries.
 * - `apkIndexEntries(text)`: the APKINDEX text as one Map of field letter → value per package.
 * - `tarEntries(bytes)`: every member of an uncompressed tar (name → bytes), end blocks optional.
 * - `denyingGets(inner, allowed)`: `inner` whose `get` throws for package files `allowed` refuses;
 *   `PACKAGE_FILE` is the pattern of those keys.
 */
import { generateKeyPairSync } from "node:crypto";
import { gunzipSync, inflateRawSync } from "node:zlib";
import {
  type ByteSource,
  bytesSource,
  type OpenPGPSigner,
  type PackageInfo,
  type PackageSpec,
  packageFileName,
  loadRSASigner,
  readPackage,
  type RSASigner,
  writePackage,
} from "@packyard/formats";
import { readTar } from "@packyard/formats/container/tar";
import type { PublishInput, Storage } from "@packyard/repo";

/** A package ready to publish, with its bytes. */
export interface TestPackage {
  info: PackageInfo;
  source: ByteSource;
  name: string;
  bytes: Uint8Array;
  signature?: Uint8Array;
}

/** What a test Arch package or apk varies. */
export interface TestPackageOptions {
  name?: string;
  /**
   * Arch: `[epoch:]pkgver-pkgrel` (default `1.0-1`); apk: `<upstream>-r<N>` (default `1.0-r0`).
   */
  version?: string;
  /** The format's own name: Arch `x86_64`, `aarch64`, `any`; apk `x86_64`, `aarch64`, `noarch`. */
  arch?: string;
  /** Extra bytes in the payload, to change the content without changing the version. */
  payload?: string;
  /** apk only: sign the package with this key when writing it (`.SIGN.RSA256.<keyName>`). */
  signer?: RSASigner;
}

const enc = new TextEncoder();
const root = { name: "root", id: 0 };

/** Fixed build date of every test package (2024-01-01T00:00:00Z), so writing is deterministic. */
export const PACKAGE_DATE = 1704067200;

const CANONICAL: Record<string, string> = {
  x86_64: "amd64",
  aarch64: "arm64",
  any: "all",
  noarch: "all",
};

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of chunks) parts.push(c);
  return new Uint8Array(Buffer.concat(parts));
}

function specOf(o: TestPackageOptions, version: PackageSpec["version"]): PackageSpec {
  const name = o.name ?? "hello";
  return {
    name,
    version,
    arch: CANONICAL[o.arch ?? "x86_64"] ?? o.arch,
    date: PACKAGE_DATE,
    maintainer: "Packyard Test <test@packyard.invalid>",
    summary: `Test package ${name}`,
    description: "A package made by the repository tests.",
    license: "MIT",
    relations: {},
    scripts: {},
    changelog: [],
    entries: [
      {
        type: "file",
        path: `/usr/share/${name}/data`,
        mode: 0o644,
        owner: root,
        group: root,
        content: bytesSource(enc.encode(`${name} ${o.version ?? ""} ${o.payload ?? ""}\n`)),
      },
    ],
  } as unknown as PackageSpec;
}

/** Reads Arch package bytes into a PublishInput (with `signature` as its `.sig` when given). */
export async function archInput(
  bytes: Uint8Array,
  name: string,
  signature?: Uint8Array,
): Promise<TestPackage> {
  const source = bytesSource(bytes);
  const info = await readPackage(source, name);
  return { info, source, name, bytes, ...(signature !== undefined ? { signature } : {}) };
}

/** Writes and reads back one small Arch package (`.pkg.tar.zst`, deterministic for given options). */
export async function testArch(o: TestPackageOptions = {}): Promise<TestPackage> {
  const text = o.version ?? "1.0-1";
  const m = /^(?:(\d+):)?([^-:]+)-([^-]+)$/.exec(text);
  if (m === null) throw new Error(`test Arch version ${text}: expected [epoch:]pkgver-pkgrel`);
  const version: PackageSpec["version"] = { upstream: m[2]!, release: m[3]! };
  if (m[1] !== undefined) version.epoch = Number(m[1]);
  const spec = specOf({ ...o, version: text }, version);
  const bytes = await collect(writePackage("archlinux", spec));
  return archInput(bytes, packageFileName("archlinux", spec));
}

/** Writes and reads back one small .apk (deterministic for given options; signed when `signer` is given). */
export async function testApk(o: TestPackageOptions = {}): Promise<TestPackage> {
  const text = o.version ?? "1.0-r0";
  const m = /^(.+)-r(\d+)$/.exec(text);
  if (m === null) throw new Error(`test apk version ${text}: expected <upstream>-r<N>`);
  const spec = specOf({ ...o, version: text }, { upstream: m[1]!, release: m[2]! });
  const ctx = o.signer === undefined ? { date: PACKAGE_DATE } : { date: PACKAGE_DATE, signer: o.signer };
  const bytes = await collect(writePackage("apk", spec, {}, ctx));
  const source = bytesSource(bytes);
  const name = packageFileName("apk", spec, {});
  return { info: await readPackage(source, name), source, name, bytes };
}

/** An RSA signer of a fresh key (node:crypto; about 0.1–1 s for 2048 bits, keep to a few per file). */
export function rsaSigner(keyName: string, bits = 2048): RSASigner {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: bits });
  return loadRSASigner(privateKey.export({ type: "pkcs8", format: "pem" }).toString(), { keyName });
}

/** A binary detached OpenPGP signature over `pkg`'s bytes (as `makepkg --sign` makes `<file>.sig`). */
export async function archSignature(
  pkg: { bytes: Uint8Array },
  signer: OpenPGPSigner,
  date = new Date(PACKAGE_DATE * 1000),
): Promise<Uint8Array> {
  return signer.detached(pkg.bytes, { date });
}

/** Every member of an uncompressed tar, by name (the end blocks may be missing: apk's cut tars). */
export async function tarEntries(bytes: Uint8Array): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  for await (const e of readTar(bytesSource(bytes).open(), { allowMissingEnd: true }))
    out.set(e.header.name, await e.bytes());
  return out;
}

/** The `desc` (or `files`) text of each entry of a pacman database (.db/.files: a gzipped tar), by folder. */
export async function pacmanDatabase(bytes: Uint8Array, member = "desc"): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const [name, body] of await tarEntries(gunzipSync(bytes))) {
    const m = /^([^/]+)\/([^/]+)$/.exec(name);
    if (m !== null && m[2] === member) out.set(m[1]!, new TextDecoder().decode(body));
  }
  return out;
}

/** A `desc` text as `%FIELD%` → its lines (repo-add writes `%NAME%\nvalue\n...\n\n`). */
export function descFields(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const block of text.split("\n\n")) {
    const [head, ...lines] = block.split("\n");
    if (head === undefined || !/^%[A-Z0-9]+%$/.test(head)) continue;
    out.set(
      head.slice(1, -1),
      lines.filter((l) => l !== ""),
    );
  }
  return out;
}

/**
 * The members of a concatenation of gzip streams, each as its own compressed bytes: the header parsed by
 * RFC 1952 (FEXTRA, FNAME, FCOMMENT, FHCRC), the deflate data measured by inflating it (zlib reports the
 * input it consumed), then the 8-byte trailer.
 */
export function gzipMembers(bytes: Uint8Array): Uint8Array[] {
  const buf = Buffer.from(bytes);
  const out: Uint8Array[] = [];
  let at = 0;
  while (at < buf.length) {
    if (buf[at] !== 0x1f || buf[at + 1] !== 0x8b || buf[at + 2] !== 8)
      throw new Error(`gzip member at ${at}: bad magic`);
    const flags = buf[at + 3]!;
    let p = at + 10;
    if (flags & 4) p += 2 + buf.readUInt16LE(p);
    if (flags & 8) p = buf.indexOf(0, p) + 1;
    if (flags & 16) p = buf.indexOf(0, p) + 1;
    if (flags & 2) p += 2;
    const result = inflateRawSync(buf.subarray(p), { info: true }) as unknown as {
      engine: { bytesWritten: number };
    };
    const end = p + result.engine.bytesWritten + 8;
    out.push(new Uint8Array(buf.subarray(at, end)));
    at = end;
  }
  return out;
}

/** An APKINDEX.tar.gz taken apart: the signature member's entries, the signed member, its entries. */
export async function apkIndexParts(bytes: Uint8Array): Promise<{
  signatures: Map<string, Uint8Array>;
  signed: Uint8Array;
  entries: Map<string, Uint8Array>;
  text: string;
}> {
  const members = gzipMembers(bytes);
  if (members.length !== 2)
    throw new Error(`APKINDEX.tar.gz: expected 2 gzip members, found ${members.length}`);
  const signatures = await tarEntries(gunzipSync(members[0]!));
  const entries = await tarEntries(gunzipSync(members[1]!));
  const index = entries.get("APKINDEX");
  if (index === undefined) throw new Error(`APKINDEX.tar.gz: no APKINDEX member in ${[...entries.keys()]}`);
  return { signatures, signed: members[1]!, entries, text: new TextDecoder().decode(index) };
}

/** An APKINDEX text's package records: field letter → value, one Map per blank-line-separated record. */
export function apkIndexEntries(text: string): Map<string, string>[] {
  return text
    .split("\n\n")
    .filter((b) => b.trim() !== "")
    .map((b) => new Map(b.split("\n").map((l) => [l.slice(0, 1), l.slice(2)] as [string, string])));
}

/** Storage keys of package files: Arch packages and their `.sig`, apks. */
export const PACKAGE_FILE = /\.pkg\.tar(\.[a-z0-9]+)?(\.sig)?$|\.apk$/;

/**
 * `inner`, whose `get` of a package file (`.pkg.tar.*` and its `.sig`, `.apk`) that `allowed` refuses throws; every other
 * call passes through. Reading such a file is what an incremental publish must never do.
 */
export function denyingGets(inner: Storage, allowed: (key: string) => boolean): Storage {
  return {
    description: inner.description,
    get: async (key, options) => {
      if (PACKAGE_FILE.test(key) && !allowed(key)) throw new Error(`read of ${key}, a held package file`);
      return inner.get(key, options);
    },
    head: inner.head.bind(inner),
    list: inner.list.bind(inner),
    put: inner.put.bind(inner),
    create: inner.create.bind(inner),
    delete: inner.delete.bind(inner),
  };
}

/** A PublishInput without the test-only `bytes`. */
export function inputOf(p: TestPackage): PublishInput {
  return {
    info: p.info,
    source: p.source,
    name: p.name,
    ...(p.signature !== undefined ? { signature: p.signature } : {}),
  };
}
