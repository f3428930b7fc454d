/**
 * Checks an Alpine repository folder as apk sees it (repos.md §5): `APKINDEX.tar.gz` — signature gzip
 * members first (each a tar of `.SIGN.*` entries cut before the end-of-archive blocks), then one member
 * holding the index tar; every signature over the exact compressed bytes of that member, by the key of the
 * name it carries, both the caller's and the one published under `keys/<name>` — then every APKINDEX
 * entry and the `.apk` it names: present beside the index with `S:` bytes, and `C:` the SHA-1 of its
 * control gzip member. Everything is read from the published bytes alone, parsed here without the index
 * builder, and problems are reported, not thrown. Each package is read once, as a stream: its signature
 * and control members are kept (small), the rest only hashed.
 */
import { createHash, createPublicKey, type KeyObject, verify } from "node:crypto";
import { type ByteSource, isPackyardError } from "@packyard/formats";
import { decompressBytes, gzipMembers, type GzipMember } from "@packyard/formats/compress";
import { readTar } from "@packyard/formats/container/tar";
import { RepoError } from "../errors.ts";
import { readObject } from "../storage/read.ts";
import type { Storage } from "../storage/storage.ts";
import type { VerifyOptions } from "./apt.ts";
import { Problems, type VerifyProblem } from "./problems.ts";
import { mapLimited } from "../limit.ts";
import { once } from "./reads.ts";

/** The index file of a folder (apk fetches `<repo-url>/<arch>/APKINDEX.tar.gz`). */
const INDEX = "APKINDEX.tar.gz";
/** Where users are told to download the public keys from, by the name the signature carries. */
const KEYS = "keys/";
/** An index larger than this is not read whole. */
const MAX_INDEX_BYTES = 512 * 1024 * 1024;
/** A PEM public key is under a few KiB. */
const MAX_KEY_BYTES = 64 * 1024;
/** Signature and control members of a package: what is kept of it (and inflated) at most. */
const MAX_CONTROL_BYTES = 64 * 1024 * 1024;
/** Packages read at the same time (each one a stream: an open file or connection). */
const PACKAGE_READS = 8;
const TAR_BLOCK = 512;
/** Signature entry names apk reads (apk-tools package.c): the digest by the type, then the key's file name. */
const SIGN = /^\.SIGN\.(RSA|RSA256|RSA512)\.(.+)$/;
const DIGESTS: Readonly<Record<string, string>> = { RSA: "sha1", RSA256: "sha256", RSA512: "sha512" };
/** The fields apk needs of an entry: identity, name, version, architecture (the URL), size. */
const REQUIRED = ["C", "P", "V", "A", "S"] as const;

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The regular files of a tar segment (apk's signature and control segments end without end blocks). */
async function tarFiles(plain: Uint8Array): Promise<{ name: string; bytes: Uint8Array }[]> {
  const files: { name: string; bytes: Uint8Array }[] = [];
  for await (const entry of readTar(once(plain), { allowMissingEnd: true }))
    files.push({
      name: entry.header.name,
      bytes: entry.header.type === "file" ? await entry.bytes() : new Uint8Array(0),
    });
  return files;
}

/**
 * Offset of a zero block found where a tar header was due — the end-of-archive marker — or undefined
 * when the headers run to the end. Walks headers by their size field only (the entries were read already).
 */
function endMarkerAt(tar: Uint8Array): number | undefined {
  let pos = 0;
  while (pos + TAR_BLOCK <= tar.length) {
    const block = tar.subarray(pos, pos + TAR_BLOCK);
    if (block.every((b) => b === 0)) return pos;
    const size = Number.parseInt(new TextDecoder().decode(block.subarray(124, 136)).replace(/[\0 ]/g, ""), 8);
    if (!Number.isSafeInteger(size)) return undefined;
    pos += TAR_BLOCK + Math.ceil(size / TAR_BLOCK) * TAR_BLOCK;
  }
  return undefined;
}

function identityOf(controlMember: Uint8Array): string {
  return `Q1${createHash("sha1").update(controlMember).digest("base64")}`;
}

// ---------------------------------------------------------------------------------------------------------
// Keys and signatures

/** A PEM public key read, or why not. */
function publicKey(pem: string): KeyObject | string {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (e) {
    return `not a PEM public key: ${message(e)}`;
  }
  if (key.asymmetricKeyType !== "rsa") return `a ${key.asymmetricKeyType} key; apk's v2 signatures are RSA`;
  return key;
}

/**
 * The caller's Alpine keys by file name.
 * @throws RepoError INVALID_SETTING when one is not an RSA public key in PEM.
 */
function apkKeysOf(apkKeys: VerifyOptions["apkKeys"]): Map<string, KeyObject> | undefined {
  if (apkKeys === undefined) return undefined;
  const keys = new Map<string, KeyObject>();
  for (const { name, pem } of apkKeys) {
    const key = publicKey(pem);
    if (typeof key === "string")
      throw new RepoError(
        "INVALID_SETTING",
        `verify: the Alpine key ${JSON.stringify(name)} given is ${key}`,
        {
          field: "apkKeys",
          path: name,
        },
      );
    keys.set(name, key);
  }
  return keys;
}

/** Whether the RSA PKCS#1 v1.5 signature is good over `data` (an error counts as bad). */
function goodSignature(digest: string, data: Uint8Array, key: KeyObject, signature: Uint8Array): boolean {
  try {
    return verify(digest, data, key, signature);
  } catch {
    return false;
  }
}

/** One `.SIGN.*` entry of the index. */
interface IndexSignature {
  entry: string;
  digest: string;
  keyName: string;
  bytes: Uint8Array;
}

/**
 * Checks the signatures over `signed` (the index member's compressed bytes): with the caller's keys, one
 * signature at least names one of them and each that does verifies with it; always, each named key is
 * published under `keys/` and verifies its signature (users install it under that file name: another name
 * is "UNTRUSTED signature").
 */
async function checkSignatures(
  problems: Problems,
  storage: Storage,
  indexKey: string,
  signatures: IndexSignature[],
  signed: Uint8Array,
  apkKeys: Map<string, KeyObject> | undefined,
): Promise<void> {
  for (const s of signatures) {
    const mine = apkKeys?.get(s.keyName);
    if (mine !== undefined) {
      if (!goodSignature(s.digest, signed, mine, s.bytes))
        problems.add(
          indexKey,
          `${s.entry} does not verify over the index member with the key ${s.keyName} given (apk: "BAD signature")`,
        );
    }
    const keyKey = `${KEYS}${s.keyName}`;
    const head = await storage.head(keyKey);
    if (head === undefined) {
      problems.add(
        keyKey,
        `missing: ${indexKey} is signed by ${s.entry}, and users install the key under exactly that name (apk matches by file name)`,
      );
      continue;
    }
    if (head.size > MAX_KEY_BYTES) {
      problems.add(
        keyKey,
        `${head.size} bytes, over the ${MAX_KEY_BYTES} a PEM public key may hold: not read`,
      );
      continue;
    }
    const pem = await readObject(storage, keyKey);
    if (pem === undefined) continue;
    const key = publicKey(new TextDecoder().decode(pem));
    if (typeof key === "string") problems.add(keyKey, key);
    else if (!goodSignature(s.digest, signed, key, s.bytes))
      problems.add(
        keyKey,
        `does not verify ${s.entry} of ${indexKey}: users who install this key see "BAD signature" or "UNTRUSTED signature"`,
      );
  }
  if (apkKeys !== undefined && signatures.length > 0 && signatures.every((s) => !apkKeys.has(s.keyName)))
    problems.add(
      indexKey,
      `signed by ${signatures.map((s) => s.keyName).join(", ")}, none of the keys given (${[...apkKeys.keys()].join(", ")}): apk reports "UNTRUSTED signature" and ignores the repository (the key's file name must be the name after .SIGN.RSA*.)`,
    );
}

// ---------------------------------------------------------------------------------------------------------
// APKINDEX.tar.gz

/** One gzip member of the index, inflated, with its tar files. */
interface IndexMember {
  member: GzipMember;
  plain: Uint8Array;
  files: { name: string; bytes: Uint8Array }[];
}

/**
 * Splits the index file into signature members and the index member, checks their framing and returns
 * the signatures, the signed bytes and the index tar's files; undefined when apk could not read it.
 */
async function readIndexFile(
  problems: Problems,
  key: string,
  bytes: Uint8Array,
): Promise<
  | { signatures: IndexSignature[]; signed: Uint8Array; files: { name: string; bytes: Uint8Array }[] }
  | undefined
> {
  const members: IndexMember[] = [];
  try {
    for await (const member of gzipMembers(bytes)) {
      const plain = await decompressBytes(bytes.subarray(member.start, member.end), "gzip");
      members.push({ member, plain, files: await tarFiles(plain) });
    }
  } catch (e) {
    if (!isPackyardError(e)) throw e;
    problems.add(key, `not the concatenated gzip members of tar segments apk reads: ${e.message}`);
    return undefined;
  }
  const isSign = (name: string) => name.startsWith(".SIGN.");
  let first = 0;
  while (
    first < members.length &&
    members[first]!.files.length > 0 &&
    members[first]!.files.every((f) => isSign(f.name))
  )
    first++;
  const rest = members.slice(first);
  if (rest.length === 0) {
    problems.add(key, "holds signatures only: no index member follows them");
    return undefined;
  }
  if (rest[0]!.files.some((f) => isSign(f.name)))
    problems.add(
      key,
      'a .SIGN entry shares a gzip member with the index: the signature must be its own gzip member before the index\'s (one recompressed member gives "BAD signature")',
    );
  if (rest.length > 1)
    problems.add(
      key,
      `${rest.length} gzip members after the signatures; expected one, the index (apk signs and reads it as one stream)`,
    );
  if (first === 0 && !rest[0]!.files.some((f) => isSign(f.name)))
    problems.add(key, 'unsigned: no .SIGN.* member before the index (apk: "UNTRUSTED signature")');

  const signatures: IndexSignature[] = [];
  for (const m of members.slice(0, first)) {
    const end = endMarkerAt(m.plain);
    if (end !== undefined)
      problems.add(
        key,
        `the signature tar at offset ${m.member.start} keeps its end-of-archive blocks (offset ${end} of the tar); it must be cut (abuild-tar --cut): apk reports "BAD archive"`,
      );
    for (const f of m.files) {
      const s = SIGN.exec(f.name);
      if (s === null || s[2]!.includes("/")) {
        problems.add(
          key,
          `${f.name}: not a signature apk verifies; expected .SIGN.RSA256.<key file name> (or RSA, RSA512)`,
        );
        continue;
      }
      if (f.bytes.length === 0) {
        problems.add(key, `${f.name} is empty`);
        continue;
      }
      signatures.push({ entry: f.name, digest: DIGESTS[s[1]!]!, keyName: s[2]!, bytes: f.bytes });
    }
  }
  return { signatures, signed: bytes.subarray(rest[0]!.member.start), files: rest.flatMap((m) => m.files) };
}

/** One APKINDEX block: its first line and its `X:value` fields. */
interface IndexEntry {
  line: number;
  fields: Map<string, string>;
}

/** The blocks of APKINDEX (`X:value` lines; every block, the last included, ends with an empty line). */
function parseApkindex(problems: Problems, key: string, text: string): IndexEntry[] {
  const entries: IndexEntry[] = [];
  let current: IndexEntry | undefined;
  const lines = text.split("\n");
  // The final "" after the last "\n" is no line.
  if (lines.at(-1) === "") lines.pop();
  for (const [i, line] of lines.entries()) {
    if (line === "") {
      current = undefined;
      continue;
    }
    const m = /^([A-Za-z]):(.*)$/.exec(line);
    if (m === null) {
      problems.add(
        key,
        `APKINDEX line ${i + 1}: expected 'X:value', found ${JSON.stringify(line.slice(0, 40))}`,
      );
      continue;
    }
    if (current === undefined) {
      current = { line: i + 1, fields: new Map() };
      entries.push(current);
    }
    if (current.fields.has(m[1]!) && (REQUIRED as readonly string[]).includes(m[1]!))
      problems.add(
        key,
        `APKINDEX line ${i + 1}: a second ${m[1]}: in the entry starting at line ${current.line}`,
      );
    current.fields.set(m[1]!, m[2]!);
  }
  if (text !== "" && !text.endsWith("\n\n"))
    problems.add(
      key,
      "APKINDEX does not end with an empty line: every entry, the last included, ends with one (as apk index writes it)",
    );
  return entries;
}

/** An entry whose package can be looked for. */
interface IndexPackage {
  who: string;
  name: string;
  version: string;
  identity: string;
  size: number;
}

/** Checks the fields of every entry; returns those whose package can be looked for. */
function checkEntries(
  problems: Problems,
  key: string,
  entries: IndexEntry[],
  arch: string,
  root: string,
): IndexPackage[] {
  const packages: IndexPackage[] = [];
  const seen = new Map<string, number>();
  for (const e of entries) {
    const f = (k: string) => e.fields.get(k);
    const who =
      f("P") !== undefined && f("V") !== undefined ? `${f("P")}-${f("V")}` : `the entry at line ${e.line}`;
    const missing = REQUIRED.filter((k) => f(k) === undefined || f(k) === "");
    if (missing.length > 0) problems.add(key, `APKINDEX ${who}: no ${missing.map((k) => `${k}:`).join(" ")}`);
    const a = f("A");
    if (a !== undefined && a !== "" && a !== arch)
      problems.add(
        key,
        a === "noarch"
          ? `APKINDEX ${who}: A:noarch left in: apk fetches ${root.slice(0, root.lastIndexOf("/"))}/noarch/${who}.apk ("package mentioned in index not found"); write the folder's arch ${arch}`
          : `APKINDEX ${who}: A:${a} in the ${arch} folder (apk fetches the package from the ${a} folder)`,
      );
    const c = f("C");
    let bad = false;
    if (c !== undefined && c !== "" && !/^Q1[A-Za-z0-9+/]{27}=$/.test(c)) {
      problems.add(key, `APKINDEX ${who}: C:${c} is not Q1 + the base64 of a SHA-1`);
      bad = true;
    }
    const s = f("S");
    if (s !== undefined && s !== "" && !/^\d{1,15}$/.test(s)) {
      problems.add(key, `APKINDEX ${who}: S:${s} is not a size in bytes`);
      bad = true;
    }
    const p = f("P");
    const v = f("V");
    if (p !== undefined && v !== undefined && (`${p}-${v}`.includes("/") || p === "" || v === "")) {
      problems.add(key, `APKINDEX ${who}: P: and V: do not make a file name`);
      bad = true;
    }
    if (p !== undefined && v !== undefined) {
      const before = seen.get(who);
      if (before !== undefined)
        problems.add(
          key,
          `APKINDEX ${who} is listed twice (lines ${before} and ${e.line}): both name ${who}.apk`,
        );
      else seen.set(who, e.line);
    }
    if (bad || missing.length > 0) continue;
    packages.push({ who, name: p!, version: v!, identity: c!, size: Number(s) });
  }
  return packages;
}

// ---------------------------------------------------------------------------------------------------------
// Packages

/** More bytes before the control member ends than this check keeps. */
class PrefixTooLarge extends Error {}

/**
 * A package read as one stream: the bytes up to where asked are kept (the signature and control members),
 * served as a ByteSource to the gzip member walker; `rest` hashes what follows without keeping it.
 */
class StreamPrefix implements ByteSource {
  readonly size: number;
  readonly #it: AsyncIterator<Uint8Array>;
  #buffer = new Uint8Array(64 * 1024);
  #length = 0;
  #done = false;

  constructor(it: AsyncIterator<Uint8Array>, size: number) {
    this.#it = it;
    this.size = size;
  }

  async #pull(): Promise<boolean> {
    if (this.#done) return false;
    const r = await this.#it.next();
    if (r.done === true) {
      this.#done = true;
      return false;
    }
    const need = this.#length + r.value.length;
    if (need > MAX_CONTROL_BYTES)
      throw new PrefixTooLarge(`more than ${MAX_CONTROL_BYTES} bytes before the data`);
    if (need > this.#buffer.length) {
      const grown = new Uint8Array(Math.max(need, this.#buffer.length * 2));
      grown.set(this.#buffer.subarray(0, this.#length));
      this.#buffer = grown;
    }
    this.#buffer.set(r.value, this.#length);
    this.#length = need;
    return true;
  }

  async *open(range?: { start: number; end: number }): AsyncGenerator<Uint8Array> {
    let pos = range?.start ?? 0;
    const end = range?.end ?? this.size;
    while (pos < end) {
      while (pos >= this.#length) if (!(await this.#pull())) return;
      const stop = Math.min(end, this.#length);
      // Appends write past #length only, and growing copies: what is handed out never changes.
      yield this.#buffer.subarray(pos, stop);
      pos = stop;
    }
  }

  /** Bytes already read. */
  kept(start: number, end: number): Uint8Array {
    return this.#buffer.subarray(start, Math.min(end, this.#length));
  }

  /** Hashes from `start` to the end of the stream and returns the number of bytes the stream held. */
  async rest(start: number, hash: ReturnType<typeof createHash>): Promise<number> {
    if (start < this.#length) hash.update(this.#buffer.subarray(start, this.#length));
    let total = this.#length;
    while (!this.#done) {
      const r = await this.#it.next();
      if (r.done === true) this.#done = true;
      else {
        if (total >= start) hash.update(r.value);
        total += r.value.length;
      }
    }
    return total;
  }

  async close(): Promise<void> {
    if (!this.#done) await this.#it.return?.();
  }
}

/** What one read of a package found, or why it is no package apk reads. */
type ApkRead =
  | {
      size: number;
      identity: string;
      pkgname?: string;
      pkgver?: string;
      /** `datahash` of .PKGINFO, and the SHA-256 of what follows the control member. */
      datahash?: { want: string; got: string };
      dataless: boolean;
    }
  | { fault: string };

/** Reads a package once: its signature members skipped, its control member hashed and read, the rest hashed. */
async function readApk(storage: Storage, key: string): Promise<ApkRead | undefined> {
  const head = await storage.head(key);
  if (head === undefined) return undefined;
  const stream = await storage.get(key);
  if (stream === undefined) return undefined;
  const source = new StreamPrefix(stream[Symbol.asyncIterator](), head.size);
  try {
    let control: { member: GzipMember; pkginfo?: Uint8Array } | undefined;
    for await (const member of gzipMembers(source, { limits: { maxUnpackedBytes: MAX_CONTROL_BYTES } })) {
      const files = await tarFiles(await decompressBytes(source.kept(member.start, member.end), "gzip"));
      if (files.length > 0 && files.every((f) => f.name.startsWith(".SIGN."))) continue;
      const pkginfo = files.find((f) => f.name === ".PKGINFO")?.bytes;
      control = pkginfo === undefined ? { member } : { member, pkginfo };
      break;
    }
    if (control === undefined) return { fault: "no gzip member after the signature members" };
    if (control.pkginfo === undefined)
      return {
        fault: `the gzip member at offset ${control.member.start} after the signatures holds no .PKGINFO`,
      };
    const identity = identityOf(source.kept(control.member.start, control.member.end));
    const info = new Map<string, string>();
    for (const line of new TextDecoder().decode(control.pkginfo).split("\n")) {
      const m = /^([a-z_]+) = (.*)$/.exec(line);
      if (m !== null && !info.has(m[1]!)) info.set(m[1]!, m[2]!);
    }
    const hash = createHash("sha256");
    const size = await source.rest(control.member.end, hash);
    const read: ApkRead = { size, identity, dataless: size === control.member.end };
    const pkgname = info.get("pkgname");
    const pkgver = info.get("pkgver");
    const datahash = info.get("datahash");
    if (pkgname !== undefined) read.pkgname = pkgname;
    if (pkgver !== undefined) read.pkgver = pkgver;
    if (datahash !== undefined) read.datahash = { want: datahash.toLowerCase(), got: hash.digest("hex") };
    return read;
  } catch (e) {
    await source.close().catch(() => undefined);
    if (isPackyardError(e) || e instanceof PrefixTooLarge) return { fault: message(e) };
    throw e;
  }
}

/** Checks every package the index names: present beside it, `S:` bytes, `C:` its control member's identity. */
async function checkPackages(
  problems: Problems,
  storage: Storage,
  root: string,
  indexKey: string,
  packages: IndexPackage[],
): Promise<void> {
  const reads = await mapLimited(packages, PACKAGE_READS, (p) => readApk(storage, `${root}/${p.who}.apk`));
  for (const [i, p] of packages.entries()) {
    const key = `${root}/${p.who}.apk`;
    const got = reads[i];
    if (got === undefined) {
      problems.add(key, `missing: ${indexKey} lists it ("package mentioned in index not found")`);
      continue;
    }
    if ("fault" in got) {
      problems.add(key, `not an apk apk reads: ${got.fault}`);
      continue;
    }
    if (got.size !== p.size) problems.add(key, `size ${got.size}, ${indexKey} gives S:${p.size}`);
    if (got.identity !== p.identity)
      problems.add(
        key,
        `its control member hashes to C:${got.identity}, ${indexKey} gives C:${p.identity} (apk: "BAD signature" at install)`,
      );
    if (got.pkgname !== p.name || got.pkgver !== p.version)
      problems.add(
        key,
        `.PKGINFO names ${got.pkgname ?? "?"}-${got.pkgver ?? "?"}, ${indexKey} lists it as ${p.who}`,
      );
    if (got.dataless) problems.add(key, "no data member after the control member");
    if (got.datahash !== undefined && got.datahash.want !== got.datahash.got)
      problems.add(
        key,
        `the data after the control member hashes to ${got.datahash.got.slice(0, 16)}…, .PKGINFO gives datahash ${got.datahash.want.slice(0, 16)}…`,
      );
  }
}

// ---------------------------------------------------------------------------------------------------------

/**
 * Verifies the Alpine folder `root` (`alpine/<branch>/<repo>/<arch>`: the last segment is the arch) in
 * `storage`, from its bytes alone: `APKINDEX.tar.gz` (gzip members: `.SIGN.*` signature tars cut before
 * their end blocks, then one index member); each signature over the exact compressed bytes of the index
 * member — with `apkKeys`, by the key of the same file name, at least one of them (else "UNTRUSTED") — and
 * by the PEM published at `keys/<name>`; the index tar's APKINDEX (every entry, the last included, ending
 * with an empty line; C: P: V: A: S: present; A: the folder's arch, never noarch); every `<P>-<V>.apk`
 * beside it (present, S: bytes, C: = Q1 + base64 SHA-1 of its control gzip member, .PKGINFO naming the
 * same P-V, `datahash` when given). Returns the problems found, `[]` when apk would see a healthy folder.
 * @throws RepoError INVALID_SETTING when an Alpine key given is not an RSA public key in PEM; storage errors
 * as they come.
 *
 * @example await verifyAlpineRoot(storage, "alpine/v3.20/main/x86_64", { apkKeys: [{ name, pem }] });
 */
export async function verifyAlpineRoot(
  storage: Storage,
  root: string,
  options: VerifyOptions = {},
): Promise<VerifyProblem[]> {
  const dir = root.replace(/\/+$/, "");
  const arch = dir.slice(dir.lastIndexOf("/") + 1);
  const apkKeys = apkKeysOf(options.apkKeys);
  const problems = new Problems();
  const indexKey = `${dir}/${INDEX}`;
  const head = await storage.head(indexKey);
  if (head === undefined) {
    problems.add(indexKey, `missing (apk fetches <repository>/${arch}/${INDEX})`);
    return problems.list;
  }
  if (head.size > MAX_INDEX_BYTES) {
    problems.add(indexKey, `${head.size} bytes, over the ${MAX_INDEX_BYTES} this check reads: not read`);
    return problems.list;
  }
  const bytes = await readObject(storage, indexKey);
  if (bytes === undefined) {
    problems.add(indexKey, `missing (apk fetches <repository>/${arch}/${INDEX})`);
    return problems.list;
  }
  const index = await readIndexFile(problems, indexKey, bytes);
  if (index === undefined) return problems.list;
  await checkSignatures(problems, storage, indexKey, index.signatures, index.signed, apkKeys);
  const apkindex = index.files.find((f) => f.name === "APKINDEX");
  if (apkindex === undefined) {
    problems.add(
      indexKey,
      `the index tar holds no APKINDEX (found ${index.files.map((f) => f.name).join(", ") || "nothing"})`,
    );
    return problems.list;
  }
  const entries = parseApkindex(problems, indexKey, new TextDecoder().decode(apkindex.bytes));
  const packages = checkEntries(problems, indexKey, entries, arch, dir);
  await checkPackages(problems, storage, dir, indexKey, packages);
  return problems.list;
}
