/**
 * OpenPGP keys and signatures through openpgp.js, limited to what every verifier in the support window
 * accepts (apt methods/gpgv.cc and methods/sqv.cc, GPGME under dnf and pacman, rpm ≥ 4.14; EdDSA only from
 * rpm 4.16, commit 92c87b971): v4 keys, RSA or legacy EdDSA (algo 22), SHA-256/512 data signatures. RFC 9580
 * keys (`curve25519` = algo 27, v6) are refused: gpgv 2.2 (apt on Debian 12), pacman/GPGME, librepo and rpm
 * 4.18 reject them.
 *
 * Reproducibility: openpgp.js adds a random `salt@notations.openpgpjs.org` notation to every v4 signature by
 * default. We turn it off, so a signature is a pure function of (key, data, hash, date): RSA PKCS#1 v1.5 and
 * EdDSA are deterministic. Verifiers accept signatures with or without the notation: openpgp.js marks it
 * non-critical (src/config.ts nonDeterministicSignaturesViaNotation), and RFC 4880 §5.2.3.1 lets a verifier
 * ignore a non-critical subpacket.
 */
import * as openpgp from "openpgp";
import { concatBytes } from "../bytes/bytes.ts";
import { encodeHex } from "../bytes/encoding.ts";
import { isPackyardError, SignError, SpecError } from "../errors.ts";
import type { OpenPGPHash, OpenPGPSigner, OpenPGPSignOptions, SignInput } from "./signer.ts";

/** Key types a caller may ask for; `curve25519` is listed only so that asking for it gets a clear refusal. */
export type OpenPGPKeyType = "rsa" | "ecc" | "curve25519";

/** Options of {@link generateOpenPGPKey}. */
export interface GenerateOpenPGPKeyOptions {
  /** `rsa` (default, v4 RSA-4096) or `ecc` (v4 EdDSA legacy Ed25519, algo 22; not verifiable by rpm 4.14). */
  type?: OpenPGPKeyType;
  name: string;
  email: string;
  /** Encrypts the secret key (iterated+salted S2K, AES-256; readable by gpg 2.2). */
  passphrase?: string;
  /** RSA modulus size, default 4096. */
  rsaBits?: 2048 | 3072 | 4096;
  /** Key creation time (default: now, read by openpgp.js). Signatures must not predate it. */
  date?: Date;
}

/** A generated key pair, armored without Version/Comment headers. */
export interface GeneratedOpenPGPKey {
  publicKeyArmored: string;
  secretKeyArmored: string;
  /** Primary key fingerprint, 40 uppercase hex digits. */
  fingerprint: string;
  /** Primary key id, 16 uppercase hex digits. */
  keyId: string;
}

/** Options of {@link loadOpenPGPSigner}. */
export interface LoadOpenPGPSignerOptions {
  /** Passphrase of an encrypted secret key; the CLI resolves it with `resolvePassphrase`. */
  passphrase?: string;
  /** Fingerprint (40 hex) or key id (16 hex) of the primary key or of a signing subkey; spaces and `0x` allowed. */
  keyId?: string;
  /** Default hash of the signer's signatures (SHA-256 unless given). */
  hash?: OpenPGPHash;
}

/** Public-key algorithm ids (RFC 9580 §9.1). */
const ALGO = {
  rsaEncryptSign: 1,
  rsaSign: 3,
  dsa: 17,
  ecdsa: 19,
  eddsaLegacy: 22,
  x25519: 25,
  x448: 26,
  ed25519: 27,
  ed448: 28,
} as const;
/** RFC 9580-only algorithms: present anywhere in a certificate, they break import on the verifiers we target. */
const RFC9580_ALGOS: ReadonlySet<number> = new Set([ALGO.x25519, ALGO.x448, ALGO.ed25519, ALGO.ed448]);

const HASH_IDS: Record<OpenPGPHash, openpgp.enums.hash> = {
  sha256: openpgp.enums.hash.sha256,
  sha512: openpgp.enums.hash.sha512,
};

/** Full openpgp.js config: no salt notation, no armor Version/Comment, no AEAD-protected secret keys. */
function configFor(hash: OpenPGPHash): openpgp.Config {
  return {
    ...openpgp.config,
    preferredHashAlgorithm: HASH_IDS[hash],
    nonDeterministicSignaturesViaNotation: false,
    showVersion: false,
    showComment: false,
    aeadProtect: false,
    v6Keys: false,
  };
}

function curve25519Refusal(field: string, found: string): SpecError {
  return new SpecError(
    "UNSUPPORTED_KEY_TYPE",
    `${field}: expected 'rsa' (v4 RSA-4096, the default) or 'ecc' (v4 EdDSA legacy Ed25519), found '${found}'. ` +
      "RFC 9580 keys (curve25519 / Ed25519 algo 27, v6 keys) are rejected by apt on Debian 12 (gpgv 2.2), pacman, dnf/librepo and rpm 4.18",
    { field, expected: ["rsa", "ecc"], found },
  );
}

/**
 * Generates a v4 OpenPGP key: RSA-4096 (certify+sign primary, encryption subkey) by default, or legacy
 * EdDSA with `type: 'ecc'`. No expiry; self-signatures use SHA-512.
 * @throws SpecError UNSUPPORTED_KEY_TYPE for `curve25519` (RFC 9580) or an unknown type.
 */
export async function generateOpenPGPKey(options: GenerateOpenPGPKeyOptions): Promise<GeneratedOpenPGPKey> {
  const type = options.type ?? "rsa";
  if (type !== "rsa" && type !== "ecc") throw curve25519Refusal("type", String(type));
  const rsaBits = options.rsaBits ?? 4096;
  if (type === "rsa" && rsaBits !== 2048 && rsaBits !== 3072 && rsaBits !== 4096) {
    throw new SpecError("INVALID_FIELD", `rsaBits: expected 2048, 3072 or 4096, found ${String(rsaBits)}`, {
      field: "rsaBits",
      expected: [2048, 3072, 4096],
      found: rsaBits,
    });
  }
  if (options.name.trim() === "" && options.email.trim() === "") {
    throw new SpecError(
      "MISSING_FIELD",
      "name/email: expected a name or an e-mail for the key's user ID, found neither",
      { field: "name" },
    );
  }
  const userID: openpgp.UserID = {};
  if (options.name !== "") userID.name = options.name;
  if (options.email !== "") userID.email = options.email;
  const base = {
    userIDs: [userID],
    keyExpirationTime: 0,
    format: "object" as const,
    config: configFor("sha512"),
    ...(options.passphrase !== undefined && options.passphrase !== ""
      ? { passphrase: options.passphrase }
      : {}),
    ...(options.date !== undefined ? { date: options.date } : {}),
  };
  let pair: { privateKey: openpgp.PrivateKey; publicKey: openpgp.PublicKey };
  try {
    pair =
      type === "rsa"
        ? await openpgp.generateKey({ ...base, type: "rsa", rsaBits })
        : await openpgp.generateKey({ ...base, type: "ecc", curve: "ed25519Legacy" });
  } catch (cause) {
    throw new SpecError(
      "INVALID_FIELD",
      `OpenPGP key generation failed: ${(cause as Error).message}`,
      { field: "name" },
      { cause },
    );
  }
  const config = configFor("sha512");
  return {
    publicKeyArmored: pair.publicKey.armor(config),
    secretKeyArmored: pair.privateKey.armor(config),
    fingerprint: pair.privateKey.getFingerprint().toUpperCase(),
    keyId: pair.privateKey.getKeyID().toHex().toUpperCase(),
  };
}

function isArmored(key: string | Uint8Array): string | undefined {
  if (typeof key === "string") return key;
  // Binary OpenPGP packets always have the high bit of the first octet set; armor is ASCII text.
  if (key.length > 0 && ((key[0] ?? 0) & 0x80) === 0) return new TextDecoder().decode(key);
  return undefined;
}

async function readSecretKeys(key: string | Uint8Array): Promise<openpgp.PrivateKey[]> {
  const armored = isArmored(key);
  if (armored?.includes("-----BEGIN PGP PUBLIC KEY BLOCK-----") && !armored.includes("PRIVATE KEY BLOCK")) {
    throw new SignError(
      "KEY_READ",
      "OpenPGP key: expected a secret key ('-----BEGIN PGP PRIVATE KEY BLOCK-----'), found a public key block",
      {
        expected: "secret key",
        found: "public key",
      },
    );
  }
  try {
    return armored !== undefined
      ? await openpgp.readPrivateKeys({ armoredKeys: armored })
      : await openpgp.readPrivateKeys({ binaryKeys: key as Uint8Array });
  } catch (cause) {
    throw new SignError(
      "KEY_READ",
      `OpenPGP key: expected an armored or binary secret key, could not read it: ${(cause as Error).message}`,
      {},
      { cause },
    );
  }
}

/** Normalizes a user-given fingerprint or key id; undefined when it has neither 16 nor 40 hex digits. */
function normalizeKeyRef(ref: string): string | undefined {
  const s = ref.replace(/\s+/g, "").replace(/^0x/i, "").toUpperCase();
  return /^([0-9A-F]{16}|[0-9A-F]{40})$/.test(s) ? s : undefined;
}

function matches(k: openpgp.PrivateKey | openpgp.Subkey, ref: string): boolean {
  return ref.length === 40
    ? k.getFingerprint().toUpperCase() === ref
    : k.getKeyID().toHex().toUpperCase() === ref;
}

function refuseRFC9580(key: openpgp.PrivateKey): void {
  const fpr = key.getFingerprint().toUpperCase();
  if (key.keyPacket.version !== 4) {
    throw new SignError(
      "KEY_UNSUPPORTED",
      `OpenPGP key ${fpr}: expected a v4 key, found a v${key.keyPacket.version} key; apt on Debian 12 (gpgv 2.2), pacman, librepo and rpm 4.18 reject RFC 9580 v6 keys`,
      { expected: 4, found: key.keyPacket.version },
    );
  }
  for (const k of key.getKeys()) {
    const algo = k.keyPacket.algorithm as number;
    if (RFC9580_ALGOS.has(algo)) {
      throw new SignError(
        "KEY_UNSUPPORTED",
        `OpenPGP key ${fpr}: (sub)key ${k.getKeyID().toHex().toUpperCase()} uses RFC 9580 algorithm ${algo} (${openpgp.enums.read(openpgp.enums.publicKey, algo)}); ` +
          "apt on Debian 12 (gpgv 2.2), pacman, librepo and rpm 4.18 reject it. Use an RSA or legacy EdDSA (algo 22) key",
        { found: algo },
      );
    }
  }
}

async function unlock(key: openpgp.PrivateKey, passphrase: string | undefined): Promise<openpgp.PrivateKey> {
  if (key.isDecrypted()) return key;
  const fpr = key.getFingerprint().toUpperCase();
  if (passphrase === undefined || passphrase === "") {
    throw new SignError(
      "KEY_LOCKED",
      `OpenPGP key ${fpr} is passphrase-protected and no passphrase was given (set PACKYARD_PASSPHRASE)`,
      {
        found: fpr,
      },
    );
  }
  try {
    return await openpgp.decryptKey({ privateKey: key, passphrase });
  } catch (cause) {
    const message = (cause as Error).message;
    if (/passphrase|decrypt/i.test(message)) {
      throw new SignError(
        "BAD_PASSPHRASE",
        `OpenPGP key ${fpr}: the passphrase does not unlock it (${message})`,
        { found: fpr },
        { cause },
      );
    }
    throw new SignError(
      "KEY_READ",
      `OpenPGP key ${fpr}: could not unlock it: ${message}`,
      { found: fpr },
      { cause },
    );
  }
}

function signerAlgorithm(algo: number, keyId: string): OpenPGPSigner["algorithm"] {
  if (algo === ALGO.rsaEncryptSign || algo === ALGO.rsaSign) return "rsa";
  if (algo === ALGO.eddsaLegacy) return "eddsa";
  if (algo === ALGO.ecdsa) return "ecdsa";
  throw new SignError(
    "KEY_UNSUPPORTED",
    `OpenPGP signing key ${keyId}: expected RSA, legacy EdDSA or ECDSA, found algorithm ${algo} (${openpgp.enums.read(openpgp.enums.publicKey, algo)})`,
    { expected: ["rsa", "eddsa", "ecdsa"], found: algo },
  );
}

/** The parts of openpgp.js's packet layer we use, whose published declarations mark them private. */
interface LiteralPacket {
  setText(text: string): void;
  setBytes(bytes: Uint8Array | ReadableStream<Uint8Array>, format: openpgp.enums.literal): void;
  /** After signing over a stream: the stream openpgp.js's passive clone follows (see {@link signStreamed}). */
  data: ReadableStream<Uint8Array> | Uint8Array | null;
}
/** A signature packet signed over a stream: openpgp.js leaves these two fields as a stream and a promise. */
interface StreamSignedPacket {
  signedHashValue: Uint8Array | ReadableStream<Uint8Array>;
  params: unknown;
}
const LiteralData = openpgp.LiteralDataPacket as unknown as new (date: Date) => LiteralPacket;
/** A literal packet's date is not covered by a detached signature; a constant keeps the clock out. */
const LITERAL_DATE = new Date(0);

/** A web ReadableStream (what openpgp.js streams) over an async iterable, pulled one chunk at a time. */
function webStream(data: AsyncIterable<Uint8Array>): ReadableStream<Uint8Array> {
  const it = data[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const { done, value } = await it.next();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      async cancel(reason) {
        await it.return?.(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

/** Reads a web stream to its end, keeping nothing (or, with `keep`, the chunks). */
async function drain(stream: ReadableStream<Uint8Array>, keep?: Uint8Array[]): Promise<void> {
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    keep?.push(value);
  }
}

/**
 * Completes a signature packet that openpgp.js signed over a streamed literal packet. openpgp.js hashes a
 * *passive* clone of the literal data, which only receives chunks as the literal packet's own stream is read;
 * its public `sign({ detached: true })` drives that by reading the whole message into memory
 * (`readToEnd`). Here the literal stream is read and each chunk dropped, so memory stays at a few chunks.
 */
async function signStreamed(literal: LiteralPacket, packet: openpgp.SignaturePacket): Promise<void> {
  const p = packet as unknown as StreamSignedPacket;
  const source = literal.data as ReadableStream<Uint8Array>;
  const [, params] = await Promise.all([drain(source), p.params]);
  p.params = params;
  if (!(p.signedHashValue instanceof Uint8Array)) {
    const parts: Uint8Array[] = [];
    await drain(p.signedHashValue, parts);
    p.signedHashValue = concatBytes(parts);
  }
}

/**
 * The date a signature is given: the requested one, raised to the signing key's creation time when it is
 * earlier. A signature older than its key is refused by every verifier (gpg: "key … was created … in the future",
 * openpgp.js: the key is not valid at that date), so signing with it would fail; the current time would
 * work but differ from run to run. The key's creation time is a fixed input too, so a build date
 * (SOURCE_DATE_EPOCH) that predates the key still yields the same bytes on every run.
 */
function notBeforeKey(date: Date, created: Date): Date {
  return date.getTime() < created.getTime() ? created : date;
}

class OpenPGPKeySigner implements OpenPGPSigner {
  readonly kind = "openpgp";
  readonly fingerprint: string;
  readonly keyId: string;
  readonly primaryFingerprint: string;
  readonly algorithm: OpenPGPSigner["algorithm"];
  readonly userIds: readonly string[];
  readonly #key: openpgp.PrivateKey;
  readonly #signingKey: openpgp.PrivateKey | openpgp.Subkey;
  readonly #hash: OpenPGPHash;
  readonly #publicArmored: string;
  readonly #publicBinary: Uint8Array;

  constructor(key: openpgp.PrivateKey, signingKey: openpgp.PrivateKey | openpgp.Subkey, hash: OpenPGPHash) {
    this.#key = key;
    this.#signingKey = signingKey;
    this.#hash = hash;
    this.fingerprint = signingKey.getFingerprint().toUpperCase();
    this.keyId = signingKey.getKeyID().toHex().toUpperCase();
    this.primaryFingerprint = key.getFingerprint().toUpperCase();
    this.algorithm = signerAlgorithm(signingKey.keyPacket.algorithm as number, this.keyId);
    this.userIds = key.getUserIDs();
    const pub = key.toPublic();
    this.#publicArmored = pub.armor(configFor(hash));
    this.#publicBinary = pub.write();
  }

  publicKeyArmored(): string {
    return this.#publicArmored;
  }

  publicKeyBinary(): Uint8Array {
    return this.#publicBinary.slice();
  }

  detached(data: SignInput, options: OpenPGPSignOptions & { armor?: false }): Promise<Uint8Array>;
  detached(data: SignInput, options: OpenPGPSignOptions & { armor: true }): Promise<string>;
  async detached(
    data: SignInput,
    options: OpenPGPSignOptions & { armor?: boolean },
  ): Promise<Uint8Array | string> {
    const hash = options.hash ?? this.#hash;
    const literal = new LiteralData(LITERAL_DATE);
    literal.setBytes(data instanceof Uint8Array ? data : webStream(data), openpgp.enums.literal.binary);
    const signature = await this.#sign(literal, openpgp.enums.signature.binary, hash, options.date);
    return options.armor === true ? signature.armor(configFor(hash)) : (signature.write() as Uint8Array);
  }

  async cleartext(text: string, options: OpenPGPSignOptions): Promise<string> {
    const hash = options.hash ?? this.#hash;
    // Cleartext signature framework (RFC 4880 §7): the line break before the signature armor is not part
    // of the signed text, and trailing spaces/tabs are not hashed. The body is written as gpg --clearsign
    // writes it (LF line ends, whitespace kept, dash-escaped); openpgp.js's own armor would emit CRLF lines,
    // which would then leak into the Release text apt extracts from an InRelease file.
    const lines = text.replace(/\r?\n$/, "").split(/\r?\n/);
    const literal = new LiteralData(LITERAL_DATE);
    literal.setText(lines.map((line) => line.replace(/[ \t]+$/, "")).join("\r\n"));
    const signature = await this.#sign(literal, openpgp.enums.signature.text, hash, options.date);
    const body = lines.map((line) => (line.startsWith("-") ? `- ${line}` : line)).join("\n");
    return `-----BEGIN PGP SIGNED MESSAGE-----\nHash: ${hash.toUpperCase()}\n\n${body}\n${signature.armor(configFor(hash))}`;
  }

  /**
   * Builds one v4 signature packet. We call the packet layer rather than `openpgp.sign()` because the
   * latter negotiates the hash against the key's preferences and the curve (it forces SHA-512 on legacy
   * EdDSA keys); here the caller's choice of SHA-256 or SHA-512 is what gets used.
   */
  async #sign(
    literal: LiteralPacket,
    type: openpgp.enums.signature,
    hash: OpenPGPHash,
    date: Date,
  ): Promise<openpgp.Signature> {
    date = notBeforeKey(date, this.#signingKey.getCreationTime());
    const config = configFor(hash);
    try {
      // Re-checks that the key is a valid signing key at the signature date (not expired or revoked).
      const signingKey = await this.#key.getSigningKey(this.#signingKey.getKeyID(), date, undefined, config);
      const packet = new openpgp.SignaturePacket();
      packet.signatureType = type;
      packet.publicKeyAlgorithm = signingKey.keyPacket.algorithm;
      packet.hashAlgorithm = HASH_IDS[hash];
      packet.rawNotations = [];
      // Typed as Uint8Array in openpgp.js's declarations; the packet layer takes the literal data packet.
      const sign = packet.sign as unknown as (
        key: unknown,
        data: LiteralPacket,
        date: Date | undefined,
        detached: boolean,
        config: openpgp.Config,
      ) => Promise<void>;
      await sign.call(packet, signingKey.keyPacket, literal, date, true, config);
      if (literal.data !== null && !(literal.data instanceof Uint8Array)) await signStreamed(literal, packet);
      const list = new openpgp.PacketList<openpgp.SignaturePacket>();
      list.push(packet);
      return new openpgp.Signature(list);
    } catch (cause) {
      // A streamed input that fails (IOError, FormatError of a truncated package) keeps its own error.
      if (isPackyardError(cause)) throw cause;
      throw new SignError(
        "SIGN_FAILED",
        `OpenPGP signing with key ${this.keyId} failed: ${(cause as Error).message}`,
        { found: this.keyId },
        { cause },
      );
    }
  }
}

/**
 * Reads an armored or binary OpenPGP secret key (as `gpg --export-secret-keys` or {@link generateOpenPGPKey}
 * write it), unlocks it, and returns a signer bound to its signing-capable key: the primary, or the newest
 * valid signing subkey, or the one named by `keyId`.
 * @throws SignError KEY_READ, KEY_LOCKED, BAD_PASSPHRASE, KEY_NOT_FOUND, NO_SIGNING_KEY or KEY_UNSUPPORTED.
 */
export async function loadOpenPGPSigner(
  key: string | Uint8Array,
  options: LoadOpenPGPSignerOptions = {},
): Promise<OpenPGPSigner> {
  const hash = options.hash ?? "sha256";
  if (hash !== "sha256" && hash !== "sha512") {
    throw new SpecError("INVALID_FIELD", `hash: expected 'sha256' or 'sha512', found '${String(hash)}'`, {
      field: "hash",
      expected: ["sha256", "sha512"],
      found: hash,
    });
  }
  const keys = await readSecretKeys(key);
  let ref: string | undefined;
  if (options.keyId !== undefined) {
    ref = normalizeKeyRef(options.keyId);
    if (ref === undefined) {
      throw new SpecError(
        "INVALID_FIELD",
        `keyId: expected a 40-hex fingerprint or a 16-hex key id, found '${options.keyId}'`,
        {
          field: "keyId",
          found: options.keyId,
        },
      );
    }
  }
  const wanted = ref;
  const candidates =
    wanted === undefined
      ? keys
      : keys.filter((k) =>
          k.getKeys().some((sub) => matches(sub as openpgp.PrivateKey | openpgp.Subkey, wanted)),
        );
  const chosen = candidates[0];
  if (chosen === undefined) {
    const present = keys.flatMap((k) => k.getKeys().map((sub) => sub.getFingerprint().toUpperCase()));
    throw new SignError(
      "KEY_NOT_FOUND",
      `OpenPGP key: no primary key or subkey matches '${options.keyId ?? ""}'; the key file holds ${present.join(", ")}`,
      {
        field: "keyId",
        expected: options.keyId,
        found: present,
      },
    );
  }
  if (candidates.length > 1) {
    throw new SignError(
      "KEY_NOT_FOUND",
      `OpenPGP key: the key file holds ${candidates.length} secret keys (${candidates.map((k) => k.getFingerprint().toUpperCase()).join(", ")}); choose one with keyId`,
      { field: "keyId", found: candidates.map((k) => k.getFingerprint().toUpperCase()) },
    );
  }
  refuseRFC9580(chosen);
  // A reference to the primary lets openpgp.js pick any signing-capable key of it (as gpg does); a subkey
  // reference pins that subkey.
  const subkey =
    wanted === undefined || matches(chosen, wanted)
      ? undefined
      : chosen.getSubkeys().find((s) => matches(s, wanted));
  let signingKey: openpgp.PrivateKey | openpgp.Subkey;
  try {
    // date null: choose without consulting the clock; the signing call checks validity at its own date.
    signingKey = await chosen.getSigningKey(subkey?.getKeyID(), null);
  } catch (cause) {
    throw new SignError(
      "NO_SIGNING_KEY",
      `OpenPGP key ${chosen.getFingerprint().toUpperCase()}: ${subkey === undefined ? "neither the primary key nor a subkey" : `subkey ${subkey.getKeyID().toHex().toUpperCase()}`} is a valid signing key (${(cause as Error).message})`,
      { found: chosen.getFingerprint().toUpperCase() },
      { cause },
    );
  }
  const unlocked = await unlock(chosen, options.passphrase);
  const unlockedSigning = unlocked.getKeys(signingKey.getKeyID())[0] ?? signingKey;
  return new OpenPGPKeySigner(unlocked, unlockedSigning, hash);
}

/** Result of {@link verifyDetached}. */
export interface DetachedVerification {
  valid: boolean;
  /** Issuer key id of the (first valid, else first) signature, 16 uppercase hex digits. */
  keyId: string;
  /** Issuer fingerprint when the signature carries it. */
  fingerprint?: string;
  /** Why verification failed, when it did. */
  reason?: string;
}

/**
 * Public keys read from the same text before, for verifications that ignore dates, oldest first (at most
 * {@link PUBLIC_KEY_CACHE_ENTRIES}): a publish checks thousands of package signatures against one key, and
 * a key read afresh has its own binding signatures verified again by every verification (openpgp.js
 * remembers that on the key object). Only for `date: null`: openpgp.js also marks a binding it found
 * revoked at one date on the key object, which a check at another date must not inherit.
 */
const publicKeyCache = new Map<string, Promise<openpgp.Key[]>>();
const PUBLIC_KEY_CACHE_ENTRIES = 16;

function readPublicKeys(key: string | Uint8Array, cacheable: boolean): Promise<openpgp.Key[]> {
  if (typeof key !== "string" || !cacheable) return parsePublicKeys(key);
  const hit = publicKeyCache.get(key);
  if (hit !== undefined) return hit;
  const read = parsePublicKeys(key).then((keys) => keys.map((k) => k.toPublic()));
  publicKeyCache.set(key, read);
  read.catch(() => publicKeyCache.delete(key));
  if (publicKeyCache.size > PUBLIC_KEY_CACHE_ENTRIES)
    publicKeyCache.delete(publicKeyCache.keys().next().value!);
  return read;
}

async function parsePublicKeys(key: string | Uint8Array): Promise<openpgp.Key[]> {
  const armored = isArmored(key);
  try {
    return armored !== undefined
      ? await openpgp.readKeys({ armoredKeys: armored })
      : await openpgp.readKeys({ binaryKeys: key as Uint8Array });
  } catch (cause) {
    throw new SignError(
      "KEY_READ",
      `OpenPGP public key: expected an armored or binary key, could not read it: ${(cause as Error).message}`,
      {},
      { cause },
    );
  }
}

/**
 * Verifies a detached OpenPGP signature (binary or armored) over `data` against a public key (armored or
 * binary, one or several keys). SHA-1 data signatures count as invalid, as apt and sqv treat them.
 * Streamed `data` is hashed as it arrives, never held whole; it is read once per call, so a caller trying
 * several keys opens it again for each. `date` is the verification time (default now, which reads the clock;
 * `null` ignores expiry, as packyard's readers do).
 * @throws SignError KEY_READ for an unreadable key; SignError VERIFY_FAILED for an unreadable signature;
 * a streamed input's own error (IOError, FormatError) as it is.
 */
export async function verifyDetached(
  data: SignInput,
  signature: Uint8Array | string,
  publicKey: string | Uint8Array,
  options: { date?: Date | null } = {},
): Promise<DetachedVerification> {
  const verificationKeys = (await readPublicKeys(publicKey, options.date === null)).map((k) => k.toPublic());
  let sig: openpgp.Signature;
  try {
    const armored = isArmored(signature);
    sig =
      armored !== undefined
        ? await openpgp.readSignature({ armoredSignature: armored })
        : await openpgp.readSignature({ binarySignature: signature as Uint8Array });
  } catch (cause) {
    throw new SignError(
      "VERIFY_FAILED",
      `OpenPGP signature: expected an armored or binary detached signature, could not read it: ${(cause as Error).message}`,
      {},
      { cause },
    );
  }
  const streamed = !(data instanceof Uint8Array);
  const message = await openpgp.createMessage({ binary: streamed ? webStream(data) : data });
  const result = await openpgp.verify({
    message,
    signature: sig,
    verificationKeys,
    format: "binary",
    ...(options.date !== undefined ? { date: options.date } : {}),
  });
  // Over a stream, each signature's `verified` settles only once the data has been read through; it is
  // read here chunk by chunk and dropped (openpgp.js hashes a passive clone of it).
  if (streamed) await drain(result.data as unknown as ReadableStream<Uint8Array>);
  let first: DetachedVerification | undefined;
  for (const [i, s] of result.signatures.entries()) {
    const packet = sig.packets[i];
    const entry: DetachedVerification = { valid: false, keyId: s.keyID.toHex().toUpperCase() };
    if (packet?.issuerFingerprint)
      entry.fingerprint = encodeHex(Uint8Array.from(packet.issuerFingerprint)).toUpperCase();
    try {
      entry.valid = await s.verified;
    } catch (cause) {
      entry.reason = (cause as Error).message;
    }
    if (entry.valid) return entry;
    first ??= entry;
  }
  if (first === undefined)
    throw new SignError(
      "VERIFY_FAILED",
      "OpenPGP signature: the signature block holds no signature packet",
      {},
    );
  return first;
}
