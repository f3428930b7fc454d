/**
 * APKINDEX.tar.gz, v2 (apk-tools v2.14 src/app_index.c, abuild-sign; reference §5.3):
 *
 * 1. U = gzip -9n of a tar holding `DESCRIPTION` then `APKINDEX`, ended by the two zero blocks;
 * 2. RSA PKCS#1 v1.5 signatures over the bytes of U as stored (apk feeds the compressed input to the
 *    digest): `.SIGN.RSA256.<key name>` (SHA-256), then `.SIGN.RSA.<key name>` (SHA-1) for apk-tools
 *    older than 2.7 when asked; while keys rotate, one of each per key (all SHA-256 ones first);
 * 3. the signatures in a tar cut before its end blocks (abuild-tar --cut: the decompressed members read as
 *    one tar), gzipped as a member of its own;
 * 4. the file is that member followed by U.
 */
import { isPackyardError, type RSASigner } from "@packyard/formats";
import { APK_GZIP_LEVEL } from "@packyard/formats/apk";
import { compressBytes } from "@packyard/formats/compress";
import { type TarWriteEntry, writeTar } from "@packyard/formats/container/tar";
import { RepoError } from "../errors.ts";
import { apkIndexText } from "./index-text.ts";
import type { ApkEntry } from "./types.ts";

/** Options of {@link buildApkIndex}. */
export interface ApkIndexOptions {
  /** The folder's architecture (`x86_64`, `aarch64`, …); noarch packages are listed with it. */
  arch: string;
  /** Text of the `DESCRIPTION` member (what `apk update` prints beside the repository). */
  description: string;
  /** The repository's RSA key, at least 2048 bits. */
  signer: RSASigner;
  /** File name of the public key in /etc/apk/keys, ending in `.pub`; apk matches signatures by it. */
  keyName: string;
  /**
   * While keys rotate: further keys that sign the index too, each under its own `keyName`, after `signer`.
   * apk-tools uses the first `.SIGN.` entry whose key it has installed (extract_v2.c,
   * apk_sign_ctx_process_file), so users holding any one of the keys trust the index.
   */
  additionalSigners?: readonly RSASigner[];
  /** Also sign with SHA-1 (`.SIGN.RSA.`), for apk-tools older than 2.7 (Alpine < 3.6). */
  legacySha1: boolean;
  /** Modification time of the tar members, seconds since the epoch. */
  mtime: number;
}

/** Smallest RSA modulus accepted: current verifiers refuse weaker keys (reference §8 pitfall 25). */
const MIN_RSA_BITS = 2048;
/** Largest mtime the 12-byte octal tar field holds, so no pax record is needed. */
const MAX_TAR_MTIME = 8 ** 11 - 1;

function invalid(field: string, message: string, expected: string, found: unknown): RepoError {
  return new RepoError("INVALID_SETTING", `APKINDEX: ${message}`, { field, expected, found });
}

function checkSigner(signer: RSASigner, field: string): void {
  if (signer.kind !== "rsa" || !(signer.bits >= MIN_RSA_BITS))
    throw new RepoError(
      "BAD_KEY",
      `APKINDEX: expected an RSA key of at least ${MIN_RSA_BITS} bits, found ${signer.kind === "rsa" ? `${signer.bits} bits` : `a ${String(signer.kind)} key`} (${signer.keyName})`,
      { field, expected: `rsa >= ${MIN_RSA_BITS} bits`, found: signer.bits },
    );
}

function checkKeyName(keyName: string, field: string): void {
  // apk looks the key up as /etc/apk/keys/<key name>: a path or a name without .pub never matches.
  if (keyName.includes("/") || !keyName.endsWith(".pub") || keyName === ".pub" || /[\s\0]/.test(keyName))
    throw invalid(
      field,
      `the key name must be the public key's file name in /etc/apk/keys, ending in .pub, without "/" or blanks; found ${JSON.stringify(keyName)}`,
      "<name>.rsa.pub",
      keyName,
    );
}

function checkOptions(o: ApkIndexOptions): void {
  checkSigner(o.signer, "signer");
  checkKeyName(o.keyName, "keyName");
  const names = [o.keyName];
  for (const [i, extra] of (o.additionalSigners ?? []).entries()) {
    checkSigner(extra, `additionalSigners[${i}]`);
    checkKeyName(extra.keyName, `additionalSigners[${i}].keyName`);
    if (names.includes(extra.keyName))
      throw invalid(
        `additionalSigners[${i}].keyName`,
        `two signing keys are named ${extra.keyName}; apk finds a signature's key by that name, so each key needs its own`,
        "distinct key names",
        extra.keyName,
      );
    names.push(extra.keyName);
  }
  if (!Number.isSafeInteger(o.mtime) || o.mtime < 0 || o.mtime > MAX_TAR_MTIME)
    throw invalid(
      "mtime",
      `the members' mtime must be whole seconds since the epoch (0 to ${MAX_TAR_MTIME}), found ${String(o.mtime)}`,
      "unsigned integer",
      o.mtime,
    );
  if (typeof o.legacySha1 !== "boolean")
    throw invalid("legacySha1", "legacySha1 must be true or false", "boolean", o.legacySha1);
}

/** A root-owned 0644 regular file, as apk-tools' apk_tar_write_entry and abuild-sign write them. */
function member(name: string, content: Uint8Array, mtime: number): TarWriteEntry {
  return {
    header: {
      name,
      type: "file",
      mode: 0o644,
      uid: 0,
      gid: 0,
      uname: "root",
      gname: "root",
      size: content.length,
      mtime,
    },
    content,
  };
}

async function tarBytes(entries: TarWriteEntry[], end: boolean): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  // pax flavour: "ustar\0" "00" headers; names this short never need a pax record.
  for await (const c of writeTar(entries, { flavour: "pax", end })) parts.push(c);
  return concat(parts);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** gzip -9n: the header carries no name and mtime 0 (formats' gzip writer pins both). */
function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  return compressBytes(bytes, { algo: "gzip", level: APK_GZIP_LEVEL });
}

async function signature(
  signer: RSASigner,
  data: Uint8Array,
  hash: "sha256" | "sha1",
  name: string,
  mtime: number,
): Promise<TarWriteEntry> {
  let bytes: Uint8Array;
  try {
    bytes = await signer.sign(data, hash);
  } catch (cause) {
    if (!isPackyardError(cause)) throw cause;
    throw new RepoError(
      "BAD_KEY",
      `APKINDEX: the key ${signer.keyName} could not make the ${hash} signature: ${cause.message}`,
      { field: "signer", found: signer.keyName },
      { cause },
    );
  }
  return member(name, bytes, mtime);
}

/**
 * The signed APKINDEX.tar.gz of `entries` for the folder of `options.arch`: a gzip member holding the
 * cut signature tar (`.SIGN.RSA256.<keyName>` of `signer` then of each of `additionalSigners`, then the
 * `.SIGN.RSA.` ones in the same order when `legacySha1`), followed by
 * the gzipped tar of `DESCRIPTION` and `APKINDEX` the signatures cover. Deterministic: the same entries
 * and options give the same bytes (PKCS#1 v1.5 signatures have no randomness).
 * @throws RepoError BAD_KEY for a signer under 2048 bits or one that fails; INVALID_SETTING for a key name
 * apk could not match (a path, or not ending in `.pub`) or a bad mtime; as {@link apkIndexText} for
 * `arch` and the entries.
 * @example await buildApkIndex(entries, { arch: "x86_64", description: "main", signer, keyName: signer.keyName, legacySha1: false, mtime: 0 })
 */
export async function buildApkIndex(
  entries: readonly ApkEntry[],
  options: ApkIndexOptions,
): Promise<Uint8Array> {
  checkOptions(options);
  const text = apkIndexText(entries, options.arch);
  const encoder = new TextEncoder();
  const unsigned = await gzip(
    await tarBytes(
      [
        member("DESCRIPTION", encoder.encode(options.description), options.mtime),
        member("APKINDEX", encoder.encode(text), options.mtime),
      ],
      true,
    ),
  );
  const keys: [RSASigner, string][] = [
    [options.signer, options.keyName],
    ...(options.additionalSigners ?? []).map((s): [RSASigner, string] => [s, s.keyName]),
  ];
  // Every SHA-256 signature before any SHA-1 one: apk-tools 2.7+ takes the first entry whose key it holds,
  // so it never settles for SHA-1; older ones skip the RSA256 entries they do not know.
  const signatures: TarWriteEntry[] = [];
  for (const [signer, name] of keys)
    signatures.push(await signature(signer, unsigned, "sha256", `.SIGN.RSA256.${name}`, options.mtime));
  if (options.legacySha1)
    for (const [signer, name] of keys)
      signatures.push(await signature(signer, unsigned, "sha1", `.SIGN.RSA.${name}`, options.mtime));
  const signed = await gzip(await tarBytes(signatures, false));
  return concat([signed, unsigned]);
}
