/**
 * Checks a pacman repository root as pacman sees it (repos.md §4): `<repo>.db` and `<repo>.db.sig` (what
 * `pacman -Sy` fetches), `<repo>.files` and its `.sig` (`pacman -Fy`), every package a `desc` names with
 * its `.sig` (`pacman -S`), and with `strict` the `.tar.gz` copies repo-add's names stand for. Everything
 * is read from the published bytes alone, parsed here without the index builders, and problems are
 * reported, not thrown, so one run lists everything a crash or a bad publish left broken. Each package is
 * read once, as a stream that is hashed and signature-checked at the same time.
 */
import { createHash } from "node:crypto";
import { isPackyardError, readSignatureInfo, type SignInput, verifyDetached } from "@packyard/formats";
import { decompress } from "@packyard/formats/compress";
import { readTar } from "@packyard/formats/container/tar";
import { RepoError } from "../errors.ts";
import type { Storage } from "../storage/storage.ts";
import type { VerifyOptions } from "./apt.ts";
import { digestObject } from "./digests.ts";
import { Problems, type VerifyProblem } from "./problems.ts";
import { mapLimited } from "../limit.ts";
import { once, readSmall } from "./reads.ts";

/** A pacman root: `archlinux/<repo>/os/<arch>` (Arch's mirror layout; pacman's `$repo/os/$arch`). */
const ROOT = /^archlinux\/([^/]+)\/os\/([^/]+)$/;
/** A database (compressed or not) larger than this is not read: a string of it would not fit in V8. */
const MAX_DATABASE_BYTES = 512 * 1024 * 1024;
/** A detached signature is a few hundred bytes; repo-add refuses to embed one over 16 KiB. */
const MAX_SIGNATURE_BYTES = 64 * 1024;
/** Packages read at the same time (each one a stream: an open file or connection). */
const PACKAGE_READS = 8;
/** The `desc` fields every entry needs for `pacman -S` to find, fetch and check the file. */
const REQUIRED = ["FILENAME", "NAME", "VERSION", "CSIZE", "SHA256SUM", "ARCH"] as const;

function short(hex: string): string {
  return hex.length > 16 ? `${hex.slice(0, 16)}…` : hex;
}

// ---------------------------------------------------------------------------------------------------------
// Signatures

/**
 * The packets of every `-----BEGIN PGP PUBLIC KEY BLOCK-----` in the given keys, joined into one binary
 * keyring, so that one verification (one read of a streamed package) tries every key, as pacman's keyring
 * does.
 * @throws RepoError INVALID_SETTING when a key holds no readable armored key block.
 */
function keyringOf(publicKeys: readonly string[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const [i, armored] of publicKeys.entries()) {
    const blocks = [
      ...armored.matchAll(
        /-----BEGIN PGP PUBLIC KEY BLOCK-----\r?\n([\s\S]*?)-----END PGP PUBLIC KEY BLOCK-----/g,
      ),
    ];
    if (blocks.length === 0)
      throw new RepoError(
        "INVALID_SETTING",
        `verify: public key ${i + 1} given is not an armored OpenPGP key: expected a '-----BEGIN PGP PUBLIC KEY BLOCK-----' line, found ${JSON.stringify(armored.trim().slice(0, 40))}`,
        { field: "publicKeys", expected: "-----BEGIN PGP PUBLIC KEY BLOCK-----" },
      );
    for (const block of blocks) {
      const lines = block[1]!.split(/\r?\n/);
      // Armor headers (`Comment: ...`) run up to the first blank line (RFC 4880 §6.2); the CRC line
      // starts with `=`.
      const blank = lines.findIndex((l) => l.trim() === "");
      const body = lines
        .slice(blank + 1)
        .map((l) => l.trim())
        .filter((l) => l !== "" && !l.startsWith("="))
        .join("");
      if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body))
        throw new RepoError(
          "INVALID_SETTING",
          `verify: public key ${i + 1} given has armor whose body is not base64`,
          { field: "publicKeys" },
        );
      parts.push(new Uint8Array(Buffer.from(body, "base64")));
    }
  }
  return new Uint8Array(Buffer.concat(parts));
}

/**
 * The signature file as pacman needs it: binary OpenPGP packets starting with a signature packet
 * (repo-add signs with `gpg --detach-sign --no-armor`). Armor, text or garbage is a problem (undefined).
 */
function binarySignature(problems: Problems, key: string, bytes: Uint8Array): Uint8Array | undefined {
  if (bytes.length === 0) {
    problems.add(key, "empty: expected a binary OpenPGP signature");
    return undefined;
  }
  if ((bytes[0]! & 0x80) === 0) {
    const text = new TextDecoder().decode(bytes.subarray(0, 64)).trim();
    problems.add(
      key,
      text.startsWith("-----BEGIN PGP")
        ? `ASCII-armored (${JSON.stringify(text.split(/\r?\n/)[0])}): pacman verifies binary signatures only (gpg --detach-sign --no-armor)`
        : `not an OpenPGP signature: the first byte 0x${bytes[0]!.toString(16).padStart(2, "0")} is no packet header (found ${JSON.stringify(text.slice(0, 40))})`,
    );
    return undefined;
  }
  try {
    readSignatureInfo(bytes);
  } catch (e) {
    if (!isPackyardError(e)) throw e;
    problems.add(key, `not a readable OpenPGP signature: ${e.message}`);
    return undefined;
  }
  return bytes;
}

/**
 * Why `signature` does not verify `data` with the keyring, or undefined when one of its keys does. A
 * streamed `data` is read through here, once.
 */
async function signatureFault(
  data: SignInput,
  signature: Uint8Array,
  keyring: Uint8Array,
): Promise<string | undefined> {
  let result: Awaited<ReturnType<typeof verifyDetached>>;
  try {
    result = await verifyDetached(data, signature, keyring, { date: null });
  } catch (e) {
    if (isPackyardError(e) && e.code === "KEY_READ")
      throw new RepoError(
        "INVALID_SETTING",
        `verify: a public key given could not be read: ${e.message}`,
        { field: "publicKeys" },
        { cause: e },
      );
    if (isPackyardError(e) && e.code === "VERIFY_FAILED") return `signature unreadable: ${e.message}`;
    throw e;
  }
  if (result.valid) return undefined;
  const by = result.reason === undefined ? result.keyId : `${result.keyId}: ${result.reason}`;
  return `does not verify with the given keys (${by})`;
}

/**
 * Checks the detached signature `sigKey` of `signedKey`: present, binary, and with a keyring, good over
 * `data` (bytes, or a function opening the signed object as a stream, called only when needed).
 */
async function checkSignatureFile(
  problems: Problems,
  storage: Storage,
  sigKey: string,
  signedKey: string,
  data: Uint8Array | (() => Promise<AsyncIterable<Uint8Array> | undefined>),
  keyring: Uint8Array | undefined,
  missing: string,
): Promise<void> {
  const bytes = await readSmall(problems, storage, sigKey, MAX_SIGNATURE_BYTES);
  if (bytes === "too big") return;
  if (bytes === undefined) {
    problems.add(sigKey, missing);
    return;
  }
  const signature = binarySignature(problems, sigKey, bytes);
  if (signature === undefined || keyring === undefined) return;
  const signed = data instanceof Uint8Array ? data : await data();
  if (signed === undefined) return;
  const fault = await signatureFault(signed, signature, keyring);
  if (fault !== undefined) problems.add(sigKey, `${fault}, over ${signedKey}`);
}

// ---------------------------------------------------------------------------------------------------------
// Databases

/** One package directory of a database: the bytes of its `desc` and (files database) `files`. */
interface DatabaseEntry {
  desc?: Uint8Array;
  files?: Uint8Array;
}

/** What a database file holds that pacman reads: its bytes and its package directories, in archive order. */
interface Database {
  bytes: Uint8Array;
  entries: Map<string, DatabaseEntry>;
}

/** Explains bytes that are no archive: a symlink stub uploaded as a file is the known way to get there. */
function notAnArchive(bytes: Uint8Array, reason: string): string {
  const text = new TextDecoder("utf-8", { fatal: false }).decode(bytes.subarray(0, 200));
  if (bytes.length < 256 && /^[\x20-\x7e]+\n?$/.test(text))
    return `a ${bytes.length}-byte text ${JSON.stringify(text.trim())}, not an archive: a symlink uploaded as a file? pacman says "Unrecognized archive format"`;
  return `not an archive pacman reads (gzip, zstd, xz, bzip2 or plain tar): ${reason}`;
}

/**
 * Reads the package directories of a database: `<name>-<version>/` holding `desc` (and in the files
 * database `files`). Entries of another shape are problems; an unreadable archive gives undefined.
 */
async function readDatabase(
  problems: Problems,
  key: string,
  bytes: Uint8Array,
  kind: "db" | "files",
): Promise<Map<string, DatabaseEntry> | undefined> {
  const entries = new Map<string, DatabaseEntry>();
  const allowed = kind === "db" ? ["desc"] : ["desc", "files"];
  try {
    for await (const entry of readTar(decompress(once(bytes), "auto"))) {
      const name = entry.header.name.replace(/^(\.\/)+/, "");
      const parts = name.replace(/\/$/, "").split("/");
      if (entry.header.type === "dir" && parts.length === 1) {
        // `./` itself (an archive made with `bsdtar -C dir .`) is no package folder.
        if (parts[0] !== "" && !entries.has(parts[0]!)) entries.set(parts[0]!, {});
        continue;
      }
      const file = parts[1] as "desc" | "files";
      if (entry.header.type !== "file" || parts.length !== 2 || parts[0] === "" || !allowed.includes(file)) {
        problems.add(
          key,
          `holds ${entry.header.type} ${JSON.stringify(entry.header.name)}; expected <name>-<version>/ folders holding ${allowed.join(" and ")}`,
        );
        continue;
      }
      const dir = parts[0]!;
      const slot = entries.get(dir) ?? {};
      entries.set(dir, slot);
      if (slot[file] !== undefined) problems.add(key, `holds ${name} twice`);
      slot[file] = await entry.bytes();
    }
  } catch (e) {
    if (!isPackyardError(e)) throw e;
    problems.add(key, notAnArchive(bytes, e.message));
    return undefined;
  }
  return entries;
}

/**
 * Checks one database (`db` or `files`): present, signed, the `.tar.gz` copy equal with its own signature
 * (with `strict`), readable. Returns it, or undefined when pacman could not read it.
 */
async function checkDatabase(
  problems: Problems,
  storage: Storage,
  base: string,
  kind: "db" | "files",
  keyring: Uint8Array | undefined,
  strict: boolean,
): Promise<Database | undefined> {
  const key = `${base}.${kind}`;
  const bytes = await readSmall(problems, storage, key, MAX_DATABASE_BYTES);
  if (bytes === "too big") return undefined;
  if (bytes === undefined) {
    problems.add(
      key,
      kind === "db"
        ? "missing (pacman -Sy fetches <repo>.db; the .db.tar.gz name alone gives a 404)"
        : "missing (pacman -Fy fetches <repo>.files)",
    );
    return undefined;
  }
  const sigNeed =
    kind === "db"
      ? "missing beside the database (SigLevel DatabaseRequired refuses the repository)"
      : "missing beside the files database (pacman -Fy with DatabaseRequired refuses it)";
  await checkSignatureFile(problems, storage, `${key}.sig`, key, bytes, keyring, sigNeed);
  if (strict) {
    // repo-add's real file names; object stores have no symlinks, so they are copies that must match.
    const copyKey = `${key}.tar.gz`;
    const copy = await digestObject(storage, copyKey);
    const want = createHash("sha256").update(bytes).digest("hex");
    const same = copy !== undefined && copy.size === bytes.length && copy.sha256 === want;
    if (copy === undefined) problems.add(copyKey, `missing: a copy of ${key} (repo-add's name for it)`);
    else if (!same)
      problems.add(
        copyKey,
        `differs from ${key} (size ${copy.size}, SHA256 ${short(copy.sha256)}; ${key}: size ${bytes.length}, SHA256 ${short(want)})`,
      );
    if (copy !== undefined)
      await checkSignatureFile(
        problems,
        storage,
        `${copyKey}.sig`,
        copyKey,
        same ? bytes : () => storage.get(copyKey),
        keyring,
        `missing beside ${copyKey}`,
      );
  }
  const entries = await readDatabase(problems, key, bytes, kind);
  return entries === undefined ? undefined : { bytes, entries };
}

// ---------------------------------------------------------------------------------------------------------
// desc

/** The blocks of a `desc`: `%FIELD%`, one value a line, a blank line after each (repo-add db_write_entry). */
function parseDesc(text: string): { fields: Map<string, string[]>; faults: string[] } {
  const fields = new Map<string, string[]>();
  const faults: string[] = [];
  let current: string[] | undefined;
  for (const [i, line] of text.split("\n").entries()) {
    if (line === "") {
      current = undefined;
      continue;
    }
    if (current !== undefined) {
      current.push(line);
      continue;
    }
    const m = /^%([A-Z0-9]+)%$/.exec(line);
    if (m === null) {
      faults.push(`line ${i + 1}: expected a %FIELD% line, found ${JSON.stringify(line.slice(0, 40))}`);
      continue;
    }
    if (fields.has(m[1]!)) faults.push(`%${m[1]}% appears twice`);
    current = [];
    fields.set(m[1]!, current);
  }
  return { fields, faults };
}

/** One package as a `desc` of the database describes it. */
interface DescPackage {
  dir: string;
  filename: string;
  csize: number;
  sha256: string;
  md5?: string;
  /** `%PGPSIG%` (base64 of the binary .sig) when embedded. */
  pgpsig?: string;
}

/** Checks every `desc` of the database and returns the packages whose file can be looked for. */
function readDescs(
  problems: Problems,
  dbKey: string,
  entries: Map<string, DatabaseEntry>,
  arch: string,
): DescPackage[] {
  const packages: DescPackage[] = [];
  const byName = new Map<string, string>();
  for (const [dir, entry] of entries) {
    if (entry.desc === undefined) {
      problems.add(dbKey, `${dir}/ has no desc`);
      continue;
    }
    const { fields, faults } = parseDesc(new TextDecoder().decode(entry.desc));
    for (const fault of faults) problems.add(dbKey, `${dir}/desc: ${fault}`);
    const one: Partial<Record<(typeof REQUIRED)[number], string>> = {};
    for (const field of REQUIRED) {
      const values = fields.get(field);
      if (values === undefined || values.length === 0) problems.add(dbKey, `${dir}/desc: no %${field}%`);
      else if (values.length > 1)
        problems.add(dbKey, `${dir}/desc: %${field}% has ${values.length} values; expected one`);
      else one[field] = values[0]!;
    }
    const { FILENAME: filename, NAME: name, VERSION: version, CSIZE: csize, SHA256SUM: sha256 } = one;
    if (name !== undefined && version !== undefined) {
      if (`${name}-${version}` !== dir)
        problems.add(
          dbKey,
          `${dir}/desc: %NAME%-%VERSION% is ${name}-${version}, not the folder's name (pacman: "database is inconsistent")`,
        );
      const other = byName.get(name);
      if (other !== undefined)
        problems.add(
          dbKey,
          `${name} is listed twice (${other}, ${dir}): a sync database holds one version per name`,
        );
      else byName.set(name, dir);
    }
    if (one.ARCH !== undefined && one.ARCH !== arch && one.ARCH !== "any")
      problems.add(dbKey, `${dir}/desc: %ARCH% ${one.ARCH} in the ${arch} folder; expected ${arch} or any`);
    let bad = false;
    if (csize !== undefined && !/^\d{1,15}$/.test(csize)) {
      problems.add(dbKey, `${dir}/desc: %CSIZE% ${JSON.stringify(csize)} is not a size in bytes`);
      bad = true;
    }
    if (sha256 !== undefined && !/^[0-9a-fA-F]{64}$/.test(sha256)) {
      problems.add(dbKey, `${dir}/desc: %SHA256SUM% ${JSON.stringify(sha256)} is not 64 hex digits`);
      bad = true;
    }
    const md5 = fields.get("MD5SUM")?.[0];
    if (md5 !== undefined && !/^[0-9a-fA-F]{32}$/.test(md5)) {
      problems.add(dbKey, `${dir}/desc: %MD5SUM% ${JSON.stringify(md5)} is not 32 hex digits`);
      bad = true;
    }
    if (filename !== undefined && (filename.includes("/") || filename === "." || filename === "..")) {
      problems.add(
        dbKey,
        `${dir}/desc: %FILENAME% ${JSON.stringify(filename)} is not a file name in the database's folder`,
      );
      bad = true;
    }
    if (bad || filename === undefined || csize === undefined || sha256 === undefined) continue;
    const pkg: DescPackage = { dir, filename, csize: Number(csize), sha256: sha256.toLowerCase() };
    if (md5 !== undefined) pkg.md5 = md5.toLowerCase();
    const pgpsig = fields.get("PGPSIG");
    if (pgpsig !== undefined) pkg.pgpsig = pgpsig.join("");
    packages.push(pkg);
  }
  return packages;
}

/** The files database describes the same packages as the database: the same `desc`, plus a `files` each. */
function compareFiles(
  problems: Problems,
  dbKey: string,
  filesKey: string,
  db: Database,
  files: Database,
): void {
  for (const [dir, entry] of db.entries) {
    const other = files.entries.get(dir);
    if (other === undefined) {
      problems.add(filesKey, `lacks ${dir}/, which ${dbKey} lists`);
      continue;
    }
    if (entry.desc !== undefined && other.desc !== undefined && !Buffer.from(entry.desc).equals(other.desc))
      problems.add(filesKey, `${dir}/desc differs from the one in ${dbKey}`);
    if (other.desc === undefined) problems.add(filesKey, `${dir}/ has no desc`);
    if (other.files === undefined) problems.add(filesKey, `${dir}/ has no files list`);
    else if (!new TextDecoder().decode(other.files.subarray(0, 8)).startsWith("%FILES%\n"))
      problems.add(filesKey, `${dir}/files does not start with a %FILES% line`);
  }
  for (const dir of files.entries.keys())
    if (!db.entries.has(dir)) problems.add(filesKey, `lists ${dir}/, which ${dbKey} does not`);
}

// ---------------------------------------------------------------------------------------------------------
// Packages

/** What one read of a package (and its .sig) found. */
interface PackageRead {
  size: number;
  sha256: string;
  md5: string;
  /** The problems of the signature file, to report under its key. */
  signature: string[];
  /** The .sig's bytes, for `%PGPSIG%`. */
  sigBytes?: Uint8Array;
}

/**
 * A stream read once: hashed as it goes, and lent on the way to one consumer (a signature check) whose
 * leaving early does not close it; `finish` reads what the consumer left.
 */
function tap(stream: AsyncIterable<Uint8Array>): {
  lent: AsyncIterable<Uint8Array>;
  finish(): Promise<{ size: number; sha256: string; md5: string }>;
  close(): Promise<void>;
} {
  const it = stream[Symbol.asyncIterator]();
  const sha256 = createHash("sha256");
  const md5 = createHash("md5");
  let size = 0;
  let done = false;
  let failure: { error: unknown } | undefined;
  let chain: Promise<unknown> = Promise.resolve();
  const step = async (): Promise<IteratorResult<Uint8Array>> => {
    // A failed read stays failed: a later call must not see a clean end and a partial hash.
    if (failure !== undefined) throw failure.error;
    if (done) return { done: true, value: undefined };
    let r: IteratorResult<Uint8Array>;
    try {
      r = await it.next();
    } catch (error) {
      failure = { error };
      throw error;
    }
    if (r.done === true) done = true;
    else {
      size += r.value.length;
      sha256.update(r.value);
      md5.update(r.value);
    }
    return r;
  };
  // One read at a time, whoever asks.
  const next = (): Promise<IteratorResult<Uint8Array>> => {
    const result = chain.then(step);
    chain = result.catch(() => undefined);
    return result;
  };
  return {
    lent: { [Symbol.asyncIterator]: () => ({ next }) },
    async finish() {
      while (!(await next()).done);
      return { size, sha256: sha256.digest("hex"), md5: md5.digest("hex") };
    },
    async close() {
      if (!done) await it.return?.();
    },
  };
}

/** Reads a package and its `.sig` once: size, hashes, and the signature checked on the same stream. */
async function readPackage(
  storage: Storage,
  key: string,
  keyring: Uint8Array | undefined,
): Promise<PackageRead | undefined> {
  const sigKey = `${key}.sig`;
  const sigProblems = new Problems();
  const sigBytes = await readSmall(sigProblems, storage, sigKey, MAX_SIGNATURE_BYTES);
  let signature: Uint8Array | undefined;
  if (sigBytes === undefined)
    sigProblems.add(
      sigKey,
      "missing beside the package (pacman ≥ 6 fetches it; SigLevel PackageRequired fails without it)",
    );
  else if (sigBytes !== "too big") signature = binarySignature(sigProblems, sigKey, sigBytes);
  const stream = await storage.get(key);
  if (stream === undefined) return undefined;
  const reading = tap(stream);
  let digests: Awaited<ReturnType<typeof reading.finish>>;
  try {
    if (signature !== undefined && keyring !== undefined) {
      const fault = await signatureFault(reading.lent, signature, keyring);
      if (fault !== undefined) sigProblems.add(sigKey, `${fault}, over ${key}`);
    }
    digests = await reading.finish();
  } catch (e) {
    await reading.close().catch(() => undefined);
    throw e;
  }
  const read: PackageRead = { ...digests, signature: sigProblems.list.map((p) => p.problem) };
  if (sigBytes instanceof Uint8Array) read.sigBytes = sigBytes;
  return read;
}

/** Checks every package the database names: present, its size and hashes, its signature. */
async function checkPackages(
  problems: Problems,
  storage: Storage,
  dir: string,
  dbKey: string,
  packages: DescPackage[],
  keyring: Uint8Array | undefined,
): Promise<void> {
  // A file named by two entries is read once.
  const reads = new Map<string, Promise<PackageRead | undefined>>();
  const readOnce = (filename: string) => {
    let p = reads.get(filename);
    if (p === undefined) {
      p = readPackage(storage, `${dir}/${filename}`, keyring);
      reads.set(filename, p);
    }
    return p;
  };
  const results = await mapLimited(packages, PACKAGE_READS, (p) => readOnce(p.filename));
  for (const [i, p] of packages.entries()) {
    const key = `${dir}/${p.filename}`;
    const got = results[i];
    if (got === undefined) {
      problems.add(key, `missing: ${dbKey} lists it for ${p.dir}`);
      continue;
    }
    for (const problem of got.signature) problems.add(`${key}.sig`, problem);
    if (got.size !== p.csize)
      problems.add(key, `size ${got.size}, ${dbKey} gives %CSIZE% ${p.csize} for ${p.dir}`);
    if (got.sha256 !== p.sha256)
      problems.add(
        key,
        `SHA256 ${short(got.sha256)}, ${dbKey} gives %SHA256SUM% ${short(p.sha256)} for ${p.dir} (pacman: "invalid or corrupted package (checksum)")`,
      );
    if (p.md5 !== undefined && got.md5 !== p.md5)
      problems.add(key, `MD5 ${short(got.md5)}, ${dbKey} gives %MD5SUM% ${short(p.md5)} for ${p.dir}`);
    if (p.pgpsig !== undefined && got.sigBytes !== undefined) {
      if (p.pgpsig !== Buffer.from(got.sigBytes).toString("base64"))
        problems.add(dbKey, `${p.dir}/desc: %PGPSIG% is not the base64 of ${key}.sig`);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------

/** The repository name, architecture and folder of a pacman root. */
function parseRoot(rootGiven: string): { repo: string; arch: string; dir: string } {
  const dir = rootGiven.replace(/\/+$/, "");
  const m = ROOT.exec(dir);
  if (m === null)
    throw new RepoError(
      "INVALID_SETTING",
      `verify: expected a pacman root archlinux/<repo>/os/<arch>, found ${JSON.stringify(rootGiven)}`,
      { field: "root", expected: "archlinux/<repo>/os/<arch>", found: rootGiven },
    );
  return { repo: m[1]!, arch: m[2]!, dir };
}

/**
 * Verifies the pacman root `root` (`archlinux/<repo>/os/<arch>`) in `storage`, from its bytes alone:
 * `<repo>.db` (present, an archive pacman reads, not a symlink stub) and `<repo>.db.sig` (present, binary,
 * with `publicKeys` good over the exact bytes); the same for `<repo>.files`; with `strict`, also the
 * `.db.tar.gz`/`.files.tar.gz` copies (byte-equal to their database) and their `.sig`. Every `desc`: the
 * fields pacman needs (%FILENAME% %NAME% %VERSION% %CSIZE% %SHA256SUM% %ARCH%), its folder named
 * `<name>-<version>`, one version per name, %ARCH% the root's or `any`; the files database holding the same
 * folders with the same `desc` and a `files` list each. Every package: present beside the database with
 * %CSIZE% bytes, %SHA256SUM% (and %MD5SUM%, %PGPSIG% when given), its `.sig` present, binary and good.
 * Returns the problems found, `[]` when pacman would see a healthy repository.
 * @throws RepoError INVALID_SETTING for a root of another shape or a public key that cannot be read;
 * storage errors as they come.
 *
 * @example await verifyPacmanRoot(storage, "archlinux/tools/os/x86_64", { publicKeys: [armored] });
 */
export async function verifyPacmanRoot(
  storage: Storage,
  root: string,
  options: VerifyOptions = {},
): Promise<VerifyProblem[]> {
  const { repo, arch, dir } = parseRoot(root);
  const keyring = options.publicKeys === undefined ? undefined : keyringOf(options.publicKeys);
  const problems = new Problems();
  const base = `${dir}/${repo}`;
  const strict = options.strict === true;
  const db = await checkDatabase(problems, storage, base, "db", keyring, strict);
  const files = await checkDatabase(problems, storage, base, "files", keyring, strict);
  if (db === undefined) return problems.list;
  const packages = readDescs(problems, `${base}.db`, db.entries, arch);
  if (files !== undefined) compareFiles(problems, `${base}.db`, `${base}.files`, db, files);
  await checkPackages(problems, storage, dir, `${base}.db`, packages, keyring);
  return problems.list;
}
