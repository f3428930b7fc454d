/**
 * Checks an APT suite as apt sees it (repos.md §2.7): the signed top files, every index the Release lists
 * (by its by-hash copy when Acquire-By-Hash is on, since that is what apt fetches; the canonical name may
 * then lag behind), and every package each Packages names, down to its size and hashes. It reports
 * problems instead of throwing, so one run lists everything a crash or a bad publish left broken.
 */
import { isPackyardError, verifyDetached } from "@packyard/formats";
import { decompressBytes } from "@packyard/formats/compress";
import { getField, parseStanza, parseStanzas, type Stanza } from "@packyard/formats/text";
import { aptDistsDir } from "../apt/indexes.ts";
import { RepoError } from "../errors.ts";
import type { Storage } from "../storage/storage.ts";
import { parseCleartext } from "./cleartext.ts";
import { readObject } from "../storage/read.ts";
import { digestBytes, digestObject, type ObjectDigests } from "./digests.ts";

import { Problems, type VerifyProblem } from "./problems.ts";

export type { VerifyProblem };

/** Options of the verifiers. */
export interface VerifyOptions {
  /** Armored OpenPGP public keys; with them, each signature file must carry a signature one of them verifies. */
  publicKeys?: readonly string[];
  /** With it, a Release dated more than 10 s after it or whose Valid-Until has passed is a problem (apt's rules). */
  now?: Date;
  /**
   * Also check `Release` + `Release.gpg` when InRelease is present and valid (apt then never reads them).
   * Off by default, which is apt's view; on, it asserts a publish that finished.
   */
  strict?: boolean;
  /**
   * Alpine public keys (PEM, `BEGIN PUBLIC KEY`) by the file name a user installs them under in
   * `/etc/apk/keys/`; with them, an APKINDEX must carry a `.SIGN.*.<name>` signature one of them verifies.
   */
  apkKeys?: readonly { name: string; pem: string }[];
}

/** The archive root apt's sources line names: `Filename:` values are relative to it. */
const ARCHIVE_ROOT = "deb/";
/** Extensions apt recognises as compressed variants of an index (repos.md §2.4). */
const COMPRESSED = /\.(gz|xz|bz2|lzma|zst|lz4)$/;
const PACKAGES = /(^|\/)binary-[^/]+\/Packages(\.(gz|xz))?$/;
/** apt's Date grammar: RFC 2822 in UTC (apt-pkg/contrib/strutl.cc RFC1123StrToTime). */
const APT_DATE =
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), {1,2}\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} (UTC|GMT|Z|\+0000)$/;
/** apt's Acquire::Max-FutureTime default. */
const MAX_FUTURE_MS = 10_000;

/** An index file as a Release hash list names it. */
interface Listed {
  path: string;
  size: number;
  sha256: string;
  sha512?: string;
}

/** `load` with one call per key: the promise of the first call is kept and handed to later ones. */
function once<T>(load: (key: string) => Promise<T>): (key: string) => Promise<T> {
  const cache = new Map<string, Promise<T>>();
  return (key) => {
    let p = cache.get(key);
    if (p === undefined) {
      p = load(key);
      cache.set(key, p);
    }
    return p;
  };
}

/** Reads each key once, whatever the number of Release files and Packages naming it. */
interface Reader {
  /** The whole object (indexes: small). */
  bytes(key: string): Promise<Uint8Array | undefined>;
  /** Digests of a (possibly large) object, streamed. */
  digests(key: string): Promise<ObjectDigests | undefined>;
}

function readerOf(storage: Storage): Reader {
  return {
    bytes: once((key) => readObject(storage, key)),
    digests: once((key) => digestObject(storage, key)),
  };
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function short(hex: string): string {
  return hex.length > 16 ? `${hex.slice(0, 16)}…` : hex;
}

/**
 * Verifies a signature against the given keys, as apt does: good when any one key verifies it. An
 * unreadable signature is a problem; an unreadable public key is the caller's error (INVALID_SETTING).
 */
async function checkSignature(
  problems: Problems,
  key: string,
  data: Uint8Array,
  signature: string,
  publicKeys: readonly string[],
): Promise<void> {
  const reasons: string[] = [];
  for (const publicKey of publicKeys) {
    let result: Awaited<ReturnType<typeof verifyDetached>>;
    try {
      result = await verifyDetached(data, signature, publicKey, { date: null });
    } catch (e) {
      if (isPackyardError(e) && e.code === "KEY_READ")
        throw new RepoError(
          "INVALID_SETTING",
          `verify: a public key given could not be read: ${e.message}`,
          { field: "publicKeys" },
          { cause: e },
        );
      if (isPackyardError(e)) {
        problems.add(key, `signature unreadable: ${e.message}`);
        return;
      }
      throw e;
    }
    if (result.valid) return;
    reasons.push(result.reason === undefined ? result.keyId : `${result.keyId}: ${result.reason}`);
  }
  problems.add(key, `no signature in it verifies with the given keys (${reasons.join("; ")})`);
}

/** Parses one hash list of a Release (`SHA256:` lines ` <hex> <size> <path>`); bad lines are problems. */
function hashList(
  problems: Problems,
  releaseKey: string,
  stanza: Stanza,
  field: "SHA256" | "SHA512",
): Map<string, { hex: string; size: number }> | undefined {
  const value = getField(stanza, field);
  if (value === undefined) return undefined;
  const hexLength = field === "SHA256" ? 64 : 128;
  const out = new Map<string, { hex: string; size: number }>();
  for (const line of value.split("\n")) {
    if (line.trim() === "") continue;
    const m = /^\s*([0-9a-fA-F]+)\s+(\d+)\s+(\S+)\s*$/.exec(line);
    if (m === null || m[1]!.length !== hexLength) {
      problems.add(
        releaseKey,
        `${field} list: expected '<hex> <size> <path>', found ${JSON.stringify(line)}`,
      );
      continue;
    }
    out.set(m[3]!, { hex: m[1]!.toLowerCase(), size: Number(m[2]) });
  }
  return out;
}

/** What is wrong with `bytes` as the file `listed`, or undefined when size and hashes agree. */
function mismatch(digests: ObjectDigests, listed: Listed, releaseKey: string): string | undefined {
  if (digests.size !== listed.size) return `size ${digests.size}, ${releaseKey} lists ${listed.size}`;
  if (digests.sha256 !== listed.sha256)
    return `SHA256 ${short(digests.sha256)}, ${releaseKey} lists ${short(listed.sha256)}`;
  if (listed.sha512 !== undefined && digests.sha512 !== listed.sha512)
    return `SHA512 ${short(digests.sha512)}, ${releaseKey} lists ${short(listed.sha512)}`;
  return undefined;
}

function checkDates(problems: Problems, releaseKey: string, stanza: Stanza, now: Date | undefined): void {
  const date = getField(stanza, "Date");
  if (date === undefined) {
    problems.add(releaseKey, "no Date field");
  } else if (!APT_DATE.test(date)) {
    problems.add(releaseKey, `Date ${JSON.stringify(date)} is not the RFC 2822 UTC form apt reads`);
  } else if (now !== undefined && Date.parse(date) > now.getTime() + MAX_FUTURE_MS) {
    problems.add(releaseKey, `Date ${date} is in the future: apt refuses the Release as not valid yet`);
  }
  const until = getField(stanza, "Valid-Until");
  if (until === undefined) return;
  if (!APT_DATE.test(until)) {
    problems.add(releaseKey, `Valid-Until ${JSON.stringify(until)} is not the RFC 2822 UTC form apt reads`);
  } else if (now !== undefined && Date.parse(until) <= now.getTime()) {
    problems.add(releaseKey, `Valid-Until ${until} has passed: apt refuses the Release as expired`);
  }
}

/** Decompresses an index variant by its name; a problem (and undefined) when that fails. */
async function plainIndex(
  problems: Problems,
  key: string,
  bytes: Uint8Array,
): Promise<Uint8Array | undefined> {
  try {
    if (key.endsWith(".gz")) return await decompressBytes(bytes, "gzip");
    if (key.endsWith(".xz")) return await decompressBytes(bytes, "xz");
    return bytes;
  } catch (e) {
    problems.add(key, `cannot be decompressed: ${message(e)}`);
    return undefined;
  }
}

/** A Filename apt can fetch: relative, no empty, `.` or `..` segment. */
function fetchable(filename: string): boolean {
  return filename.split("/").every((s) => s !== "" && s !== "." && s !== "..");
}

/** Checks every package a Packages file names: present, with the Size and hashes the stanza gives. */
async function checkPackages(
  problems: Problems,
  reader: Reader,
  packagesKey: string,
  text: string,
  poolReported: Set<string>,
): Promise<void> {
  let stanzas: Stanza[];
  try {
    stanzas = parseStanzas(text, packagesKey);
  } catch (e) {
    problems.add(packagesKey, `not a valid Packages file: ${message(e)}`);
    return;
  }
  for (const stanza of stanzas) {
    const who = ["Package", "Version", "Architecture"].map((f) => getField(stanza, f) ?? "?").join(" ");
    const filename = getField(stanza, "Filename");
    const size = getField(stanza, "Size");
    const sha256 = getField(stanza, "SHA256");
    const missing = [
      filename === undefined ? "Filename" : "",
      size === undefined ? "Size" : "",
      sha256 === undefined ? "SHA256" : "",
    ].filter((f) => f !== "");
    if (missing.length > 0 || filename === undefined || size === undefined || sha256 === undefined) {
      problems.add(packagesKey, `${who}: no ${missing.join(", ")} field (apt cannot fetch it securely)`);
      continue;
    }
    if (!fetchable(filename)) {
      problems.add(packagesKey, `${who}: Filename ${JSON.stringify(filename)} is not a relative path`);
      continue;
    }
    const poolKey = ARCHIVE_ROOT + filename;
    const digests = await reader.digests(poolKey);
    // An `all` package is named by every architecture's Packages: its problems are reported once, by the first.
    const report = (what: string, problem: string) => {
      if (poolReported.has(`${poolKey}\n${what}`)) return;
      poolReported.add(`${poolKey}\n${what}`);
      problems.add(poolKey, problem);
    };
    if (digests === undefined) {
      report("missing", `missing: ${packagesKey} lists it for ${who}`);
      continue;
    }
    if (String(digests.size) !== size)
      report("Size", `size ${digests.size}, ${packagesKey} gives ${size} for ${who}`);
    const hashes: [string, keyof ObjectDigests][] = [
      ["SHA256", "sha256"],
      ["SHA512", "sha512"],
      ["SHA1", "sha1"],
      ["MD5sum", "md5"],
    ];
    for (const [field, algo] of hashes) {
      const want = getField(stanza, field);
      if (want !== undefined && want.toLowerCase() !== digests[algo])
        report(
          field,
          `${field} ${short(String(digests[algo]))}, ${packagesKey} gives ${short(want)} for ${who}`,
        );
    }
  }
}

/** Checks one Release text (from InRelease or Release): fields, every listed index, every Packages' pool files. */
async function checkRelease(
  problems: Problems,
  reader: Reader,
  suite: string,
  releaseKey: string,
  text: string,
  now: Date | undefined,
  poolReported: Set<string>,
): Promise<void> {
  const dir = aptDistsDir(suite);
  let stanza: Stanza;
  try {
    stanza = parseStanza(text, releaseKey);
  } catch (e) {
    problems.add(releaseKey, `not a Release stanza: ${message(e)}`);
    return;
  }
  if (getField(stanza, "Suite") !== suite && getField(stanza, "Codename") !== suite)
    problems.add(
      releaseKey,
      `neither Suite nor Codename is ${suite} (apt warns of a conflicting distribution)`,
    );
  if (getField(stanza, "Architectures") === undefined)
    problems.add(releaseKey, "no Architectures field (multiarch hosts warn on every update)");
  checkDates(problems, releaseKey, stanza, now);
  const sha256 = hashList(problems, releaseKey, stanza, "SHA256");
  if (sha256 === undefined) {
    problems.add(releaseKey, "no SHA256 list (apt refuses a Release without a strong hash)");
    return;
  }
  const sha512 = hashList(problems, releaseKey, stanza, "SHA512");
  const byHash = getField(stanza, "Acquire-By-Hash")?.toLowerCase() === "yes";
  const listed: Listed[] = [];
  for (const [path, { hex, size }] of sha256) {
    const entry: Listed = { path, size, sha256: hex };
    const strong = sha512?.get(path);
    if (strong !== undefined) {
      if (strong.size !== size)
        problems.add(releaseKey, `${path}: SHA512 list gives size ${strong.size}, SHA256 list ${size}`);
      entry.sha512 = strong.hex;
    }
    listed.push(entry);
  }
  for (const path of sha512?.keys() ?? [])
    if (!sha256.has(path)) problems.add(releaseKey, `${path}: listed under SHA512 but not SHA256`);

  // Compressed variants first: an absent uncompressed index is fine when apt has a compressed one to take.
  listed.sort((a, b) => Number(COMPRESSED.test(b.path)) - Number(COMPRESSED.test(a.path)));
  const good = new Map<string, Uint8Array>();
  for (const f of listed) {
    const canonicalKey = dir + f.path;
    const folder = f.path.slice(0, f.path.lastIndexOf("/") + 1);
    const optional =
      !COMPRESSED.test(f.path) &&
      [...good.keys()].some((p) => p.startsWith(`${f.path}.`) && COMPRESSED.test(p));
    const canonical = await reader.bytes(canonicalKey);
    if (byHash) {
      const copies: [string, string][] = [[`${dir}${folder}by-hash/SHA256/${f.sha256}`, "SHA256"]];
      if (f.sha512 !== undefined) copies.push([`${dir}${folder}by-hash/SHA512/${f.sha512}`, "SHA512"]);
      let allGood = true;
      let fetched: Uint8Array | undefined;
      for (const [key, hash] of copies) {
        const bytes = await reader.bytes(key);
        if (bytes === undefined) {
          allGood = false;
          if (!(optional && canonical === undefined))
            problems.add(
              key,
              `missing: ${releaseKey} lists ${f.path} and Acquire-By-Hash (apt fetches it by ${hash})`,
            );
          continue;
        }
        const wrong = mismatch(digestBytes(bytes), f, releaseKey);
        if (wrong !== undefined) {
          allGood = false;
          problems.add(key, `by-hash copy of ${f.path}: ${wrong}`);
        } else fetched = bytes;
      }
      // Clients without by-hash (apt < 1.2, Acquire::By-Hash=no) fetch the canonical name, which may lag.
      if (canonical === undefined && !optional)
        problems.add(canonicalKey, `missing: ${releaseKey} lists it (clients without by-hash fetch it)`);
      if (allGood && fetched !== undefined) good.set(f.path, fetched);
    } else if (canonical === undefined) {
      if (!optional) problems.add(canonicalKey, `missing: ${releaseKey} lists it`);
    } else {
      const wrong = mismatch(digestBytes(canonical), f, releaseKey);
      if (wrong !== undefined) problems.add(canonicalKey, wrong);
      else good.set(f.path, canonical);
    }
  }

  // Each Packages once, from its verified variants; they must all hold the same text.
  const groups = new Map<string, string[]>();
  for (const path of good.keys()) {
    if (!PACKAGES.test(path)) continue;
    const base = path.replace(/\.(gz|xz)$/, "");
    groups.set(base, [...(groups.get(base) ?? []), path]);
  }
  for (const [base, paths] of groups) {
    paths.sort();
    let reference: { key: string; text: string } | undefined;
    for (const path of paths) {
      const key = dir + path;
      const plain = await plainIndex(problems, key, good.get(path)!);
      if (plain === undefined) continue;
      const text = new TextDecoder().decode(plain);
      if (reference === undefined) reference = { key, text };
      else if (text !== reference.text)
        problems.add(key, `decompresses to other text than ${reference.key} (${dir}${base})`);
    }
    if (reference !== undefined)
      await checkPackages(problems, reader, reference.key, reference.text, poolReported);
  }
}

/**
 * Verifies the APT suite `suite` in `storage` (keys relative to the repository root, the suite under
 * `deb/dists/<suite>/`): `InRelease` (framing, and with `publicKeys` its signature), `Release` and
 * `Release.gpg` when InRelease is missing or broken, or always with `strict` (checked on their own:
 * armored, signed, and their list when it differs from InRelease's), each listed index (its by-hash copies with Acquire-By-Hash, else the canonical file; size,
 * SHA256 and SHA512), and each package every Packages names (present, Size, SHA256/SHA512/SHA1/MD5sum).
 * Returns the problems found, `[]` when a client would see a healthy suite.
 * @throws RepoError INVALID_SETTING when a public key given cannot be read; storage errors as they come.
 */
export async function verifyAptSuite(
  storage: Storage,
  suite: string,
  options: VerifyOptions = {},
): Promise<VerifyProblem[]> {
  const problems = new Problems();
  const read = readerOf(storage);
  const dir = aptDistsDir(suite);
  const keys = options.publicKeys;
  const inReleaseKey = `${dir}InRelease`;
  const releaseKey = `${dir}Release`;
  const gpgKey = `${dir}Release.gpg`;

  const releases: { key: string; text: string }[] = [];
  const inRelease = await read.bytes(inReleaseKey);
  let inReleaseText: string | undefined;
  if (inRelease === undefined) {
    problems.add(inReleaseKey, "missing (apt fetches InRelease first)");
  } else {
    try {
      const parsed = parseCleartext(new TextDecoder().decode(inRelease), inReleaseKey);
      inReleaseText = parsed.text;
      releases.push({ key: inReleaseKey, text: parsed.text });
      if (keys !== undefined)
        await checkSignature(problems, inReleaseKey, parsed.signed, parsed.signature, keys);
    } catch (e) {
      if (!(e instanceof RepoError) || e.code !== "VERIFY_FAILED") throw e;
      problems.add(inReleaseKey, `not a cleartext-signed message apt accepts: ${e.message}`);
    }
  }

  // apt reads Release + Release.gpg only when InRelease is absent (repos.md §2.7); a publisher stopped
  // between its Release and Release.gpg writes leaves that pair out of step while InRelease serves.
  const pairMatters = options.strict === true || inReleaseText === undefined;
  const release = pairMatters ? await read.bytes(releaseKey) : undefined;
  const gpg = pairMatters ? await read.bytes(gpgKey) : undefined;
  if (release !== undefined) {
    const text = new TextDecoder().decode(release);
    if (gpg === undefined) {
      problems.add(gpgKey, "missing beside Release (clients without InRelease see an unsigned suite)");
    } else {
      const armored = new TextDecoder().decode(gpg);
      if (!armored.trimStart().startsWith("-----BEGIN PGP SIGNATURE-----"))
        problems.add(gpgKey, "not an ASCII-armored signature (apt ≥ 1.8 refuses a binary Release.gpg)");
      else if (keys !== undefined) await checkSignature(problems, gpgKey, release, armored, keys);
    }
    if (text !== inReleaseText) releases.push({ key: releaseKey, text });
  } else if (gpg !== undefined) {
    problems.add(releaseKey, "missing beside Release.gpg");
  }

  const poolReported = new Set<string>();
  for (const r of releases)
    await checkRelease(problems, read, suite, r.key, r.text, options.now, poolReported);
  return problems.list;
}
