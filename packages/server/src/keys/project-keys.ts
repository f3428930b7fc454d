/**
 * A project's signing keys: an OpenPGP v4 RSA key (APT, RPM-MD, pacman, package signatures) and an RSA key for
 * apk, each a row of `signing_keys`.
 *
 * - Stored: the public key as binary (OpenPGP public key packets; apk DER SubjectPublicKeyInfo), the secret
 *   sealed under the master key (AES-256-GCM, associated data = project id + key id + `<purpose>-secret`):
 *   OpenPGP binary secret key packets as uploaded (still locked when the upload was, its passphrase then sealed
 *   beside it as `<purpose>-passphrase`), apk PKCS#8 DER unlocked (node:crypto reads and re-exports it, so no
 *   passphrase is kept for apk keys). No armor or PEM text is ever written to the table. Whether an OpenPGP
 *   key is locked is read from its secret key packets (the S2K usage octet), never from whether a passphrase
 *   came with it: a passphrase sent with a key that is not protected is dropped, not stored.
 * - OpenPGP signing key: the (sub)key gpg and openpgp.js would sign with at the upload's time (the newest
 *   signing subkey valid then, else the primary when it may sign), its fingerprint stored in
 *   `signing_key_id` (migration 0002) so {@link projectSigners} signs with that same key later; `algorithm` is
 *   that key's (`rsa2048` for a 2048-bit signing subkey under a 4096-bit primary), `expires_at` when it stops
 *   being valid (its own expiry or the primary's, whichever comes first).
 * - Fingerprint: OpenPGP v4 fingerprint of the primary key, lowercase hex (40 digits); apk: SHA-256 of the DER
 *   SubjectPublicKeyInfo, lowercase hex (64 digits). The apk key name users install in /etc/apk/keys is
 *   `<project>-<first 8 hex of that fingerprint>.rsa.pub` (@packyard/formats' apkKeyName with the project as
 *   the name).
 * - States: one `active` key per purpose; rotation (and an upload, which is a rotation to the uploaded key)
 *   makes the active key `retiring` with `overlap_until` = now + overlap days (0: `retired` at once) and any key
 *   still retiring `retired`. A retiring key whose overlap has ended counts as retired when read (the row is
 *   rewritten on the next rotation). Retired keys stay sealed in the table (and in the backup).
 * - Every key, uploaded or generated, is checked the same way before it is stored: read, refused when it is
 *   public only, not v4 RSA, under 2048 bits, expired or revoked, expiring within {@link MIN_VALID_DAYS} days
 *   (or within the rotation's overlap when that is longer), or not unlocked by the passphrase, then made to
 *   sign a test message that is verified with its public part.
 */
import { createHash, createPrivateKey, createPublicKey, randomBytes, randomUUID } from "node:crypto";
import {
  loadOpenPGPSigner,
  loadRSASigner,
  type OpenPGPSigner,
  type RSASigner,
  verifyDetached,
  verifyRSA,
} from "@packyard/formats";
import type { Queryable } from "../db/db.ts";
import { isUniqueViolation } from "../db/driver-error.ts";
import { ServerError, type ServerErrorCode } from "../errors.ts";
import type { MasterKey } from "./master-key.ts";
import {
  armor,
  dearmor,
  type KeyPacket,
  keyPackets,
  PacketError,
  signingKeyExpiry,
  TAG,
  withoutSubkeys,
} from "./openpgp-packets.ts";
import { seal, unseal } from "./seal.ts";

/** What a key signs: OpenPGP (deb/rpm/Arch repositories and packages) or apk (APKINDEX, apk packages). */
export type KeyPurpose = "openpgp" | "apk";
export const KEY_PURPOSES: readonly KeyPurpose[] = ["openpgp", "apk"];

/** A key's state, as the API shows it (a retiring key past its overlap is `retired`). */
export type KeyState = "active" | "retiring" | "retired";

/** Weakest RSA modulus accepted. */
export const MIN_RSA_BITS = 2048;

/** Default overlap of a rotation, in days: both keys sign meanwhile. */
export const DEFAULT_OVERLAP_DAYS = 14;

/**
 * An OpenPGP key must stay valid for signing at least this many days after it is checked (or for the
 * rotation's overlap, when that is longer), else it is refused with KEY_EXPIRED: twice the default overlap, so
 * there is time to rotate to its successor with a full default overlap before it stops signing.
 */
export const MIN_VALID_DAYS = 30;

const DAY_MS = 86_400_000;

/** A key as the API lists it. */
export interface KeyInfo {
  id: string;
  purpose: KeyPurpose;
  state: KeyState;
  /** `rsa4096`, `rsa3072`… */
  algorithm: string;
  /** Full fingerprint, lowercase hex (OpenPGP v4: 40 digits; apk: SHA-256 of the DER public key, 64). */
  fingerprint: string;
  createdAt: Date;
  activatedAt: Date | null;
  /** While retiring: when the overlap ends (the key stops signing). */
  overlapUntil: Date | null;
  retiredAt: Date | null;
  /** apk keys: the file name users install the public key under in /etc/apk/keys; null for OpenPGP keys. */
  apkKeyName: string | null;
  /**
   * OpenPGP keys: fingerprint of the (sub)key that signs (40 lowercase hex; the primary's, or a signing
   * subkey's, as gpgv's VALIDSIG names it); null for apk keys (and OpenPGP keys stored before migration 0002).
   */
  signingFingerprint: string | null;
  /** OpenPGP keys: when the signing key stops being valid (its expiry or its primary's); null: never. */
  expiresAt: Date | null;
}

/** A key that passed the checks, ready to be sealed and stored. Holds the secret in the clear: keep it short-lived. */
export interface CheckedKey {
  /** The row id, drawn before the row exists (part of the seal's associated data). */
  id: string;
  purpose: KeyPurpose;
  algorithm: string;
  fingerprint: string;
  /** OpenPGP public key packets, or apk DER SubjectPublicKeyInfo. */
  publicKey: Uint8Array;
  /** OpenPGP secret key packets (possibly locked), or apk PKCS#8 DER (unlocked). */
  secret: Uint8Array;
  /** OpenPGP only: the passphrase that unlocks `secret`, when its packets are locked (never otherwise). */
  passphrase: string | undefined;
  /** OpenPGP only: fingerprint of the (sub)key that signs, 40 lowercase hex; undefined for apk. */
  signingKeyId: string | undefined;
  /** OpenPGP only: when the signing key stops being valid; null: never (and for apk). */
  expiresAt: Date | null;
}

/** What {@link checkKey} is given. */
export interface CheckKeyInput {
  purpose: KeyPurpose;
  /** Armored/PEM text, base64 of binary (as uploads send it), or binary (as a KeyGenerator makes it). */
  key: string | Uint8Array;
  passphrase?: string | undefined;
  /** The project's slug (the apk key name). */
  project: string;
  /** When the test signature is made and checked (expiry is judged at this time). */
  now: Date;
  /**
   * The overlap of the rotation the key comes with, in days: an OpenPGP key must stay valid at least this
   * long, and at least {@link MIN_VALID_DAYS} (default {@link DEFAULT_OVERLAP_DAYS}).
   */
  overlapDays?: number | undefined;
}

function refuse(code: ServerErrorCode, message: string, field = "key"): ServerError {
  return new ServerError(code, message, { field });
}

/** Maps @packyard/formats' signing errors (SignError, SpecError) to the upload refusals. */
function mapSignError(e: unknown, purpose: KeyPurpose): ServerError {
  if (e instanceof ServerError) return e;
  const err = e as { code?: unknown; message?: unknown; data?: { found?: unknown } };
  const code = typeof err.code === "string" ? err.code : "";
  const message = typeof err.message === "string" ? err.message : String(e);
  const what = purpose === "openpgp" ? "OpenPGP key" : "RSA key for apk";
  const wrap = (c: ServerErrorCode, m: string, field = "key"): ServerError => {
    const s = refuse(c, m, field);
    (s as { cause?: unknown }).cause = e;
    return s;
  };
  switch (code) {
    case "KEY_LOCKED":
      return wrap(
        "KEY_PASSPHRASE_WRONG",
        `Expected a passphrase that unlocks the uploaded ${what}, found none given for a passphrase-protected key`,
        "passphrase",
      );
    case "BAD_PASSPHRASE":
      return wrap(
        "KEY_PASSPHRASE_WRONG",
        `Expected a passphrase that unlocks the uploaded ${what}, found one that does not`,
        "passphrase",
      );
    case "KEY_UNSUPPORTED":
      return wrap("KEY_ALGORITHM_UNSUPPORTED", `Expected the ${what} to be v4 RSA: ${message}`);
    case "NO_SIGNING_KEY":
    case "SIGN_FAILED":
      if (/revoked|expired|valid signing key|no longer valid/i.test(message))
        return wrap("KEY_EXPIRED", `Expected the ${what} to be valid for signing now, found: ${message}`);
      return wrap("KEY_INVALID", `Expected the ${what} to sign, found: ${message}`);
    case "KEY_READ":
      if (err.data?.found === "public key")
        return wrap("KEY_PUBLIC_ONLY", `Expected a secret ${what}, found a public key only`);
      return wrap("KEY_INVALID", `Expected the ${what} to be readable: ${message}`);
    default:
      return wrap("KEY_INVALID", `Expected the ${what} to be usable, found: ${message}`);
  }
}

/** Strict base64 (standard alphabet, whitespace allowed) to bytes, or undefined. */
function base64Bytes(text: string): Uint8Array | undefined {
  const t = text.replace(/\s+/g, "");
  if (t === "" || !/^[A-Za-z0-9+/]+={0,2}$/.test(t) || t.length % 4 === 1) return undefined;
  return new Uint8Array(Buffer.from(t, "base64"));
}

/** A test message: random, so a signature over it cannot have been prepared. */
function testMessage(): Uint8Array {
  return new Uint8Array(Buffer.concat([Buffer.from("packyard key check\n"), randomBytes(32)]));
}

async function checkOpenPGP(input: CheckKeyInput): Promise<CheckedKey> {
  let bytes: Uint8Array;
  const key = input.key;
  try {
    if (typeof key !== "string") bytes = key;
    else if (key.includes("-----BEGIN PGP")) {
      const { bytes: b, kinds } = dearmor(key);
      if (!kinds.some((k) => k.includes("PRIVATE KEY")) && kinds.some((k) => k.includes("PUBLIC KEY")))
        throw refuse(
          "KEY_PUBLIC_ONLY",
          "Expected an OpenPGP secret key (-----BEGIN PGP PRIVATE KEY BLOCK-----), found a public key block only",
        );
      bytes = b;
    } else if (key.includes("-----BEGIN"))
      throw refuse(
        "KEY_INVALID",
        "Expected an OpenPGP secret key (armored or base64 of binary), found a PEM block (an apk RSA key goes with purpose apk)",
      );
    else {
      const b = base64Bytes(key);
      if (b === undefined)
        throw refuse(
          "KEY_INVALID",
          "Expected an OpenPGP secret key, armored or as base64 of its binary packets, found neither",
        );
      bytes = b;
    }
  } catch (e) {
    if (e instanceof PacketError)
      throw refuse("KEY_INVALID", `Expected an armored OpenPGP key: ${e.message}`);
    throw e;
  }
  let packets: ReturnType<typeof keyPackets>;
  try {
    packets = keyPackets(bytes);
  } catch (e) {
    throw refuse("KEY_INVALID", `Expected OpenPGP key packets: ${(e as Error).message}`);
  }
  const primaries = packets.filter((p) => p.tag === TAG.secretKey);
  if (primaries.length === 0)
    throw packets.some((p) => p.tag === TAG.publicKey)
      ? refuse("KEY_PUBLIC_ONLY", "Expected an OpenPGP secret key, found public key packets only")
      : refuse("KEY_INVALID", "Expected an OpenPGP secret key, found no key packet");
  if (primaries.length > 1)
    throw refuse(
      "KEY_INVALID",
      `Expected one OpenPGP secret key per upload, found ${primaries.length} (export the one key that signs)`,
    );
  const primary = primaries[0]!;
  if (primary.version !== 4)
    throw refuse(
      "KEY_ALGORITHM_UNSUPPORTED",
      `Expected a v4 OpenPGP key, found a v${primary.version} key (RFC 9580 keys are rejected by apt on Debian 12, pacman, dnf and rpm 4.18)`,
    );
  if (primary.bits === undefined)
    throw refuse(
      "KEY_ALGORITHM_UNSUPPORTED",
      `Expected an RSA OpenPGP key, found primary key algorithm ${primary.algorithmName} (curve25519, EdDSA and ECDSA keys are not accepted)`,
    );
  if (primary.bits < MIN_RSA_BITS)
    throw refuse(
      "KEY_TOO_WEAK",
      `Expected an RSA key of at least ${MIN_RSA_BITS} bits, found ${primary.bits} bits`,
    );
  const locked = lockedPackets(packets);
  const given = input.passphrase === undefined || input.passphrase === "" ? undefined : input.passphrase;
  // A passphrase the key does not need unlocks nothing: it is neither used nor stored.
  const passphrase = locked ? given : undefined;
  if (locked && passphrase === undefined)
    throw refuse(
      "KEY_PASSPHRASE_WRONG",
      "Expected a passphrase that unlocks the uploaded OpenPGP key, found none given for a passphrase-protected key",
      "passphrase",
    );
  const {
    signer,
    packet: signing,
    publicKey,
  } = await chooseSigningKey(bytes, packets, passphrase, input.now);
  if (signer.algorithm !== "rsa")
    throw refuse(
      "KEY_ALGORITHM_UNSUPPORTED",
      `Expected an RSA signing key, found ${signer.algorithm} (key ${signer.keyId})`,
    );
  if (signing.bits === undefined || signing.bits < MIN_RSA_BITS)
    throw refuse(
      "KEY_TOO_WEAK",
      `Expected a signing (sub)key of at least ${MIN_RSA_BITS} bits, found ${signing.bits ?? "an unknown size"} (key ${signer.keyId})`,
    );
  const message = testMessage();
  let signature: Uint8Array;
  try {
    signature = await signer.detached(message, { date: input.now });
  } catch (e) {
    throw mapSignError(e, "openpgp");
  }
  const verified = await verifyDetached(message, signature, publicKey, { date: input.now });
  if (!verified.valid)
    throw refuse(
      "KEY_INVALID",
      `Expected the key's test signature to verify with its public key, found it invalid (${verified.reason ?? "no reason given"})`,
    );
  const expiresAt = await checkExpiry(bytes, signer, input);
  return {
    id: randomUUID(),
    purpose: "openpgp",
    algorithm: `rsa${signing.bits}`,
    fingerprint: signer.primaryFingerprint.toLowerCase(),
    publicKey,
    secret: bytes,
    passphrase,
    signingKeyId: signer.fingerprint.toLowerCase(),
    expiresAt,
  };
}

/**
 * Whether the secret key packets are passphrase-protected, read from their S2K usage octets (GNU dummy stubs,
 * which hold no secret, do not count). A key whose packets are protected differently (some in the clear, some
 * not) is refused: it cannot be stored as one locked or unlocked key.
 */
function lockedPackets(packets: readonly KeyPacket[]): boolean {
  const held = packets.filter((p) => p.protection === "none" || p.protection === "passphrase");
  const protectedCount = held.filter((p) => p.protection === "passphrase").length;
  if (protectedCount > 0 && protectedCount < held.length)
    throw refuse(
      "KEY_INVALID",
      `Expected the OpenPGP key's secret (sub)keys all protected by the passphrase or all in the clear, found ${protectedCount} of ${held.length} protected (export the key again with one passphrase)`,
    );
  return protectedCount > 0;
}

/** The dates a test signature may carry: openpgp.js writes creation times as 32-bit Unix seconds. */
const LAST_SIGNABLE = new Date(0xffff_ffff * 1000);

/** Whether `signer` makes a signature dated `date` (openpgp.js checks the key's validity then). */
async function signsAt(signer: OpenPGPSigner, date: Date): Promise<boolean> {
  try {
    await signer.detached(testMessage(), { date });
    return true;
  } catch {
    return false;
  }
}

/**
 * When the chosen signing key stops being valid, read from the key's signatures and confirmed by signing at
 * that time (refused) and a second before (made); refuses (KEY_EXPIRED) a key that is not valid for signing
 * until now + max({@link MIN_VALID_DAYS}, the rotation's overlap). A reading openpgp.js contradicts (it would
 * sign later, or not until then) is refused as KEY_INVALID rather than listed wrongly.
 */
async function checkExpiry(
  bytes: Uint8Array,
  signer: OpenPGPSigner,
  input: CheckKeyInput,
): Promise<Date | null> {
  const days = Math.max(MIN_VALID_DAYS, input.overlapDays ?? DEFAULT_OVERLAP_DAYS);
  const until = new Date(input.now.getTime() + days * DAY_MS);
  const expiresAt = signingKeyExpiry(bytes, signer.fingerprint) ?? null;
  if (!(await signsAt(signer, until)))
    throw refuse(
      "KEY_EXPIRED",
      `Expected the OpenPGP key to stay valid for signing at least ${days} days (until ${until.toISOString()}: ${MIN_VALID_DAYS} days, or the rotation's overlap when longer), found ${
        expiresAt === null ? "it invalid by then" : `it expires at ${expiresAt.toISOString()}`
      } (key ${signer.keyId}); extend its expiry (gpg --quick-set-expire) or upload another key`,
    );
  const confirmed =
    expiresAt === null
      ? await signsAt(signer, LAST_SIGNABLE)
      : expiresAt.getTime() > LAST_SIGNABLE.getTime() ||
        ((await signsAt(signer, new Date(expiresAt.getTime() - 1000))) &&
          !(await signsAt(signer, expiresAt)));
  if (!confirmed)
    throw refuse(
      "KEY_INVALID",
      `Expected the OpenPGP key's signatures to tell when it expires, found ${
        expiresAt === null ? "no expiry" : `expiry ${expiresAt.toISOString()}`
      } in them while openpgp.js judges its validity otherwise (key ${signer.keyId})`,
    );
  return expiresAt;
}

/** Load options of a stored or uploaded key. */
const unlockWith = (passphrase: string | undefined) => (passphrase === undefined ? {} : { passphrase });

/**
 * A signer bound to the (sub)key `signingKeyId` of `secret`: a subkey is named to loadOpenPGPSigner; the
 * primary is given without its subkeys (loadOpenPGPSigner would otherwise take the newest signing subkey), and
 * the signer then hands out `publicKey`, the whole certificate, as its public key.
 */
async function loadSigningKey(
  secret: Uint8Array,
  primaryFingerprint: string,
  signingKeyId: string,
  passphrase: string | undefined,
  publicKey: Uint8Array,
): Promise<OpenPGPSigner> {
  const options = { ...unlockWith(passphrase), keyId: signingKeyId };
  if (signingKeyId.toLowerCase() !== primaryFingerprint.toLowerCase())
    return loadOpenPGPSigner(secret, options);
  return withCertificate(await loadOpenPGPSigner(withoutSubkeys(secret), options), publicKey);
}

/** `signer`, handing out `publicKey` (binary packets) as its public key. */
function withCertificate(signer: OpenPGPSigner, publicKey: Uint8Array): OpenPGPSigner {
  const detached = ((data, options) => signer.detached(data, options as never)) as OpenPGPSigner["detached"];
  return {
    kind: "openpgp",
    fingerprint: signer.fingerprint,
    keyId: signer.keyId,
    primaryFingerprint: signer.primaryFingerprint,
    algorithm: signer.algorithm,
    userIds: signer.userIds,
    publicKeyArmored: () => armorPublic(publicKey),
    publicKeyBinary: () => Uint8Array.from(publicKey),
    detached,
    cleartext: (text, options) => signer.cleartext(text, options),
  };
}

/**
 * The key gpg and openpgp.js would sign with at `now` (openpgp.js getSigningKey(undefined, now)): the newest
 * signing subkey valid then (ties: the higher algorithm id), else the primary when it may sign. Each candidate
 * is loaded pinned and made to sign at `now`; the first that does is chosen. Refusals: the passphrase's, and
 * for no key that signs now the last candidate's reason (KEY_EXPIRED for an expired or revoked key).
 */
async function chooseSigningKey(
  bytes: Uint8Array,
  packets: readonly KeyPacket[],
  passphrase: string | undefined,
  now: Date,
): Promise<{ signer: OpenPGPSigner; packet: KeyPacket; publicKey: Uint8Array }> {
  // Without a key id, loadOpenPGPSigner chooses without the clock; it also reads the whole certificate.
  let whole: OpenPGPSigner;
  try {
    whole = await loadOpenPGPSigner(bytes, unlockWith(passphrase));
  } catch (e) {
    throw mapSignError(e, "openpgp");
  }
  const publicKey = whole.publicKeyBinary();
  const primary = packets.find((p) => p.tag === TAG.secretKey)!;
  const subkeys = packets
    .map((p, i) => ({ p, i }))
    .filter(({ p }) => p.tag === TAG.secretSubkey)
    .sort(
      (a, b) => b.p.created.getTime() - a.p.created.getTime() || b.p.algorithm - a.p.algorithm || a.i - b.i,
    )
    .map(({ p }) => p);
  let failure: unknown;
  for (const candidate of [...subkeys, primary]) {
    const fingerprint = candidate.fingerprint;
    if (fingerprint === undefined || candidate.protection === "stub") continue;
    // A key made after `now` is not valid yet (formats would date the test signature at its creation).
    if (candidate.created.getTime() > now.getTime()) {
      failure ??= new Error(`key ${fingerprint} was made after ${now.toISOString()}, it is not valid yet`);
      continue;
    }
    let signer: OpenPGPSigner;
    if (fingerprint === whole.fingerprint.toLowerCase()) signer = whole;
    else {
      try {
        signer = await loadSigningKey(bytes, primary.fingerprint!, fingerprint, passphrase, publicKey);
      } catch (e) {
        if ((e as { code?: unknown }).code === "NO_SIGNING_KEY") continue; // not a signing key
        throw mapSignError(e, "openpgp");
      }
    }
    try {
      await signer.detached(testMessage(), { date: now });
    } catch (e) {
      failure = e;
      continue;
    }
    return { signer, packet: candidate, publicKey };
  }
  throw mapSignError(failure ?? new Error("neither the primary key nor a subkey can sign"), "openpgp");
}

/** PEM text of DER bytes under `label`. */
function pem(label: string, der: Uint8Array): string {
  const lines =
    Buffer.from(der)
      .toString("base64")
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

/** A DER private key as PEM with the label its structure needs; public keys and non-DER are refused. */
function derToPem(der: Uint8Array): string {
  const b = Buffer.from(der);
  for (const [type, label] of [
    ["pkcs8", "PRIVATE KEY"],
    ["pkcs1", "RSA PRIVATE KEY"],
  ] as const) {
    try {
      createPrivateKey({ key: b, format: "der", type });
      return pem(label, der);
    } catch {}
  }
  // createPublicKey also derives from private keys, so it is asked only once those were ruled out.
  for (const type of ["spki", "pkcs1"] as const) {
    try {
      createPublicKey({ key: b, format: "der", type });
    } catch {
      continue;
    }
    throw refuse("KEY_PUBLIC_ONLY", "Expected an RSA private key, found a public key only");
  }
  // Else an encrypted PKCS#8 (EncryptedPrivateKeyInfo, a DER SEQUENCE) whose passphrase decides.
  if (der[0] !== 0x30)
    throw refuse("KEY_INVALID", "Expected an RSA private key in PEM or as base64 of DER, found neither");
  return pem("ENCRYPTED PRIVATE KEY", der);
}

function checkApk(input: CheckKeyInput): CheckedKey {
  const key = input.key;
  let text: string;
  if (typeof key !== "string") text = derToPem(key);
  else if (key.includes("-----BEGIN PGP"))
    throw refuse(
      "KEY_INVALID",
      "Expected an RSA private key in PEM for apk, found an OpenPGP block (it goes with purpose openpgp)",
    );
  else if (key.includes("-----BEGIN")) text = key;
  else {
    const der = base64Bytes(key);
    if (der === undefined)
      throw refuse("KEY_INVALID", "Expected an RSA private key in PEM or as base64 of DER, found neither");
    text = derToPem(der);
  }
  const passphrase = input.passphrase === undefined || input.passphrase === "" ? undefined : input.passphrase;
  let signer: RSASigner;
  try {
    signer = loadRSASigner(text, passphrase === undefined ? {} : { passphrase });
  } catch (e) {
    throw mapSignError(e, "apk");
  }
  if (signer.bits < MIN_RSA_BITS)
    throw refuse(
      "KEY_TOO_WEAK",
      `Expected an RSA key of at least ${MIN_RSA_BITS} bits, found ${signer.bits} bits`,
    );
  const privateKey = createPrivateKey(
    passphrase === undefined ? { key: text, format: "pem" } : { key: text, format: "pem", passphrase },
  );
  const spki = new Uint8Array(createPublicKey(privateKey).export({ type: "spki", format: "der" }));
  return {
    id: randomUUID(),
    purpose: "apk",
    algorithm: `rsa${signer.bits}`,
    fingerprint: createHash("sha256").update(spki).digest("hex"),
    publicKey: spki,
    secret: new Uint8Array(privateKey.export({ type: "pkcs8", format: "der" })),
    passphrase: undefined,
    signingKeyId: undefined,
    expiresAt: null,
  };
}

async function testApkSignature(secret: Uint8Array, publicKey: Uint8Array): Promise<void> {
  const signer = loadRSASigner(pem("PRIVATE KEY", secret));
  const message = testMessage();
  const signature = await signer.sign(message, "sha256");
  if (!verifyRSA(message, signature, pem("PUBLIC KEY", publicKey), "sha256"))
    throw refuse(
      "KEY_INVALID",
      "Expected the key's test signature to verify with its public key, found it invalid",
    );
}

/**
 * Reads and checks a key for `purpose`: refuses (422, nothing stored) with KEY_INVALID, KEY_PUBLIC_ONLY,
 * KEY_ALGORITHM_UNSUPPORTED, KEY_TOO_WEAK, KEY_EXPIRED or KEY_PASSPHRASE_WRONG; otherwise the key with a new
 * id, ready for {@link insertKey}. Messages never hold key material or the passphrase.
 */
export async function checkKey(input: CheckKeyInput): Promise<CheckedKey> {
  if (input.purpose === "openpgp") return checkOpenPGP(input);
  const key = checkApk(input);
  try {
    await testApkSignature(key.secret, key.publicKey);
  } catch (e) {
    throw mapSignError(e, "apk");
  }
  return key;
}

/** Seal contexts: project id + key id + what the secret is. */
const secretContext = (projectId: number, id: string, purpose: KeyPurpose) => ({
  projectId,
  keyId: id,
  purpose: `${purpose}-secret`,
});
const passphraseContext = (projectId: number, id: string, purpose: KeyPurpose) => ({
  projectId,
  keyId: id,
  purpose: `${purpose}-passphrase`,
});

/** Seals and inserts a checked key as the project's active key (the caller has retired the previous one). */
export async function insertKey(
  tx: Queryable,
  masterKey: MasterKey,
  projectId: number,
  key: CheckedKey,
  now: Date,
): Promise<void> {
  const secret = seal(masterKey, key.secret, secretContext(projectId, key.id, key.purpose));
  const pass =
    key.passphrase === undefined
      ? undefined
      : seal(
          masterKey,
          Buffer.from(key.passphrase, "utf8"),
          passphraseContext(projectId, key.id, key.purpose),
        );
  try {
    await tx.query(
      `INSERT INTO signing_keys (id, project_id, purpose, state, algorithm, fingerprint, public_key,
         secret_sealed, secret_nonce, passphrase_sealed, passphrase_nonce, master_key_version, created_at, activated_at,
         signing_key_id, expires_at)
       VALUES ($1, $2, $3, 'active', $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13, $14)`,
      [
        key.id,
        projectId,
        key.purpose,
        key.algorithm,
        key.fingerprint,
        key.publicKey,
        secret.ciphertext,
        secret.nonce,
        pass?.ciphertext ?? null,
        pass?.nonce ?? null,
        masterKey.version,
        now,
        key.signingKeyId ?? null,
        key.expiresAt,
      ],
    );
  } catch (e) {
    if (isUniqueViolation(e, "signing_keys_fingerprint_key"))
      throw new ServerError(
        "ALREADY_EXISTS",
        `Expected a key the project does not hold yet, found ${key.purpose} key ${key.fingerprint} already stored`,
        { field: "key" },
        { cause: e },
      );
    throw e;
  }
}

/** The project's keys of one purpose that are not retired: the active one, then the retiring ones. */
interface LiveRow {
  id: string;
  state: "active" | "retiring";
  overlap_until: Date | null;
}

/**
 * Makes `key` the project's active key for its purpose: keys still retiring become retired (at the end of
 * their overlap if it has passed, else now), the active one becomes retiring until now + `overlapDays` (with
 * 0: retired now), then `key` is inserted active. Run it in a transaction; it locks the project row, so
 * rotations of one project take turns.
 */
export async function activateKey(
  tx: Queryable,
  masterKey: MasterKey,
  projectId: number,
  key: CheckedKey,
  now: Date,
  overlapDays: number = DEFAULT_OVERLAP_DAYS,
): Promise<{ previous: string | undefined }> {
  await tx.query("SELECT id FROM projects WHERE id = $1 FOR UPDATE", [projectId]);
  const { rows } = await tx.query<LiveRow>(
    `SELECT id::text AS id, state, overlap_until FROM signing_keys
      WHERE project_id = $1 AND purpose = $2 AND state IN ('active', 'retiring') ORDER BY id FOR UPDATE`,
    [projectId, key.purpose],
  );
  let previous: string | undefined;
  for (const r of rows) {
    if (r.state === "retiring") {
      const end =
        r.overlap_until !== null && r.overlap_until.getTime() < now.getTime() ? r.overlap_until : now;
      await tx.query("UPDATE signing_keys SET state = 'retired', retired_at = $2 WHERE id = $1", [r.id, end]);
    } else {
      previous = r.id;
      if (overlapDays > 0)
        await tx.query("UPDATE signing_keys SET state = 'retiring', overlap_until = $2 WHERE id = $1", [
          r.id,
          new Date(now.getTime() + overlapDays * DAY_MS),
        ]);
      else
        await tx.query(
          "UPDATE signing_keys SET state = 'retired', overlap_until = $2, retired_at = $2 WHERE id = $1",
          [r.id, now],
        );
    }
  }
  await insertKey(tx, masterKey, projectId, key, now);
  return { previous };
}

interface KeyRow {
  id: string;
  purpose: KeyPurpose;
  state: "active" | "retiring" | "retired";
  algorithm: string;
  fingerprint: string;
  public_key: Uint8Array;
  secret_sealed: Uint8Array;
  secret_nonce: Uint8Array;
  passphrase_sealed: Uint8Array | null;
  passphrase_nonce: Uint8Array | null;
  master_key_version: number;
  created_at: Date;
  activated_at: Date | null;
  overlap_until: Date | null;
  retired_at: Date | null;
  signing_key_id: string | null;
  expires_at: Date | null;
  slug: string;
}

const KEY_COLUMNS = `k.id::text AS id, k.purpose, k.state, k.algorithm, k.fingerprint, k.public_key,
  k.secret_sealed, k.secret_nonce, k.passphrase_sealed, k.passphrase_nonce, k.master_key_version,
  k.created_at, k.activated_at, k.overlap_until, k.retired_at, k.signing_key_id, k.expires_at, p.slug`;

const STATE_RANK: Record<KeyState, number> = { active: 0, retiring: 1, retired: 2 };

/** The state a row has at `now`: a retiring key past its overlap is retired. */
function stateAt(r: KeyRow, now: Date): KeyState {
  if (r.state === "retiring" && r.overlap_until !== null && r.overlap_until.getTime() <= now.getTime())
    return "retired";
  return r.state;
}

/** The apk key name of a project's apk key: `<project>-<8 hex of the DER SPKI SHA-256>.rsa.pub`. */
export function projectApkKeyName(project: string, fingerprint: string): string {
  return `${project}-${fingerprint.slice(0, 8)}.rsa.pub`;
}

function infoOf(r: KeyRow, now: Date): KeyInfo {
  const state = stateAt(r, now);
  return {
    id: r.id,
    purpose: r.purpose,
    state,
    algorithm: r.algorithm,
    fingerprint: r.fingerprint,
    createdAt: r.created_at,
    activatedAt: r.activated_at,
    overlapUntil: r.overlap_until,
    retiredAt: r.retired_at ?? (state === "retired" ? r.overlap_until : null),
    apkKeyName: r.purpose === "apk" ? projectApkKeyName(r.slug, r.fingerprint) : null,
    signingFingerprint: r.signing_key_id,
    expiresAt: r.expires_at,
  };
}

/** An OpenPGP key whose signing key's validity has ended by `now`. */
function expiredAt(r: KeyRow, now: Date): boolean {
  return r.expires_at !== null && r.expires_at.getTime() <= now.getTime();
}

/**
 * The rows that sign at `now`: not retired, and of those retiring, not expired (a retiring key whose expiry
 * came within its overlap stops signing then). An expired active key stays: {@link projectSigners} refuses it.
 */
function signingRows(rows: KeyRow[], now: Date): KeyRow[] {
  return sortRows(rows, now).filter((r) => {
    const state = stateAt(r, now);
    return state === "active" || (state === "retiring" && !expiredAt(r, now));
  });
}

/** Rows sorted: purpose (openpgp first), then active, retiring, retired, newest first within a state. */
function sortRows(rows: KeyRow[], now: Date): KeyRow[] {
  const time = (r: KeyRow) => (r.activated_at ?? r.created_at).getTime();
  return rows.sort(
    (a, b) =>
      KEY_PURPOSES.indexOf(a.purpose) - KEY_PURPOSES.indexOf(b.purpose) ||
      STATE_RANK[stateAt(a, now)] - STATE_RANK[stateAt(b, now)] ||
      time(b) - time(a) ||
      (a.id < b.id ? -1 : 1),
  );
}

async function keyRows(db: Queryable, projectId: number, liveOnly: boolean): Promise<KeyRow[]> {
  const { rows } = await db.query<KeyRow>(
    `SELECT ${KEY_COLUMNS} FROM signing_keys k JOIN projects p ON p.id = k.project_id
      WHERE k.project_id = $1 ${liveOnly ? "AND k.state IN ('active', 'retiring')" : ""}`,
    [projectId],
  );
  return rows;
}

/** Every key of the project (all states), openpgp first, active → retiring → retired. */
export async function listKeys(db: Queryable, projectId: number, now: Date): Promise<KeyInfo[]> {
  return sortRows(await keyRows(db, projectId, false), now).map((r) => infoOf(r, now));
}

function unsealedSecret(masterKey: MasterKey, projectId: number, r: KeyRow): Uint8Array {
  return unseal(
    masterKey,
    { ciphertext: r.secret_sealed, nonce: r.secret_nonce, masterKeyVersion: r.master_key_version },
    secretContext(projectId, r.id, r.purpose),
  );
}

function unsealedPassphrase(masterKey: MasterKey, projectId: number, r: KeyRow): string | undefined {
  if (r.passphrase_sealed === null || r.passphrase_nonce === null) return undefined;
  const bytes = unseal(
    masterKey,
    { ciphertext: r.passphrase_sealed, nonce: r.passphrase_nonce, masterKeyVersion: r.master_key_version },
    passphraseContext(projectId, r.id, r.purpose),
  );
  return Buffer.from(bytes).toString("utf8");
}

/** What a publish signs with. */
export interface ProjectSigners {
  /** The active OpenPGP key, then the retiring one while its overlap lasts. */
  openpgp: OpenPGPSigner[];
  /** The active apk key, then the retiring one while its overlap lasts; keyName as in /etc/apk/keys. */
  apk: RSASigner[];
  /** The keys behind the signers, in the same order (openpgp ones first). */
  keys: KeyInfo[];
}

/**
 * The project's signers at `now`: per purpose the active key first, then the retiring one(s) whose overlap
 * has not ended and whose OpenPGP key has not expired. An OpenPGP key signs with the (sub)key chosen when it
 * was stored. Unseals the secrets (KEY_DECRYPT_FAILED when one does not open); an active OpenPGP key past its
 * expiry is KEY_EXPIRED (rotate it); a stored key that no longer loads is INTERNAL.
 *
 * @example const { openpgp, apk } = await projectSigners(db, masterKey, project.id, clock.now());
 */
export async function projectSigners(
  db: Queryable,
  masterKey: MasterKey,
  projectId: number,
  now: Date,
): Promise<ProjectSigners> {
  const rows = signingRows(await keyRows(db, projectId, true), now);
  const out: ProjectSigners = { openpgp: [], apk: [], keys: [] };
  for (const r of rows) {
    if (expiredAt(r, now))
      throw new ServerError(
        "KEY_EXPIRED",
        `Expected the active ${r.purpose} key ${r.fingerprint} of project ${r.slug} to be valid for signing, found it expired at ${r.expires_at!.toISOString()}; rotate to a new key (POST /api/v1/projects/${r.slug}/keys/rotate)`,
        { table: "signing_keys", key: r.id },
      );
    const secret = unsealedSecret(masterKey, projectId, r);
    try {
      if (r.purpose === "openpgp") {
        const passphrase = unsealedPassphrase(masterKey, projectId, r);
        out.openpgp.push(
          r.signing_key_id === null
            ? await loadOpenPGPSigner(secret, unlockWith(passphrase))
            : await loadSigningKey(secret, r.fingerprint, r.signing_key_id, passphrase, r.public_key),
        );
      } else {
        out.apk.push(loadRSASigner(pem("PRIVATE KEY", secret), { email: r.slug }));
      }
    } catch (e) {
      throw new ServerError(
        "INTERNAL",
        `Expected the stored ${r.purpose} key ${r.id} of project ${r.slug} to load, found: ${(e as Error).message}`,
        { table: "signing_keys" },
        { cause: e },
      );
    }
    out.keys.push(infoOf(r, now));
  }
  return out;
}

/** A public key as users fetch it. */
export interface PublicKeyFile {
  key: KeyInfo;
  /** OpenPGP: armored public key; apk: SubjectPublicKeyInfo PEM. */
  text: string;
  /** OpenPGP: binary public key packets (`.gpg`); apk: DER SubjectPublicKeyInfo. */
  binary: Uint8Array;
}

function publicFile(r: KeyRow, now: Date): PublicKeyFile {
  return {
    key: infoOf(r, now),
    text: r.purpose === "openpgp" ? armorPublic(r.public_key) : pem("PUBLIC KEY", r.public_key),
    binary: r.public_key,
  };
}

function armorPublic(bytes: Uint8Array): string {
  return armor("PUBLIC KEY BLOCK", bytes);
}

/**
 * What install text needs: the public keys that sign now (active first, then retiring within the overlap and
 * not expired), per purpose — fingerprints, armored OpenPGP keys, apk key names and PEM.
 */
export async function projectPublicKeys(
  db: Queryable,
  projectId: number,
  now: Date,
): Promise<{ openpgp: PublicKeyFile[]; apk: PublicKeyFile[] }> {
  const rows = signingRows(await keyRows(db, projectId, true), now);
  return {
    openpgp: rows.filter((r) => r.purpose === "openpgp").map((r) => publicFile(r, now)),
    apk: rows.filter((r) => r.purpose === "apk").map((r) => publicFile(r, now)),
  };
}

/** One public key of a project by id (any state), or undefined. */
export async function publicKeyById(
  db: Queryable,
  project: string,
  id: string,
  now: Date,
): Promise<PublicKeyFile | undefined> {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id)) return undefined;
  const { rows } = await db.query<KeyRow>(
    `SELECT ${KEY_COLUMNS} FROM signing_keys k JOIN projects p ON p.id = k.project_id
      WHERE p.slug = $1 AND k.id = $2::uuid`,
    [project, id],
  );
  const r = rows[0];
  return r === undefined ? undefined : publicFile(r, now);
}

/** A file of a key backup. */
export interface BackupFile {
  name: string;
  /** Secret files are 0600, public ones 0644. */
  mode: number;
  content: Uint8Array;
}

/**
 * The files of a project's key backup, every key in every state: per OpenPGP key `openpgp/<fingerprint>.asc`
 * (public) and `.secret.asc` (armored secret, locked with its upload passphrase when it was uploaded locked;
 * the passphrase is not included; `locked` in keys.json is read from the secret key packets themselves), per
 * apk key `apk/<key name>` (public PEM, the name apk wants in
 * /etc/apk/keys) and `apk/<key name without .pub>` (PKCS#8 PEM), and `keys.json` listing them.
 */
export async function backupFiles(
  db: Queryable,
  masterKey: MasterKey,
  projectId: number,
  now: Date,
): Promise<BackupFile[]> {
  const rows = sortRows(await keyRows(db, projectId, false), now);
  const files: BackupFile[] = [];
  const utf8 = (s: string) => new Uint8Array(Buffer.from(s, "utf8"));
  const manifest: object[] = [];
  for (const r of rows) {
    const info = infoOf(r, now);
    const secret = unsealedSecret(masterKey, projectId, r);
    if (r.purpose === "openpgp") {
      const base = `openpgp/${r.fingerprint}`;
      files.push({ name: `${base}.asc`, mode: 0o644, content: utf8(armorPublic(r.public_key)) });
      files.push({
        name: `${base}.secret.asc`,
        mode: 0o600,
        content: utf8(armor("PRIVATE KEY BLOCK", secret)),
      });
      manifest.push({
        ...info,
        files: [`${base}.asc`, `${base}.secret.asc`],
        locked: keyPackets(secret).some((p) => p.protection === "passphrase"),
      });
    } else {
      const name = info.apkKeyName!;
      const secretName = `apk/${name.replace(/\.pub$/, "")}`;
      files.push({ name: `apk/${name}`, mode: 0o644, content: utf8(pem("PUBLIC KEY", r.public_key)) });
      files.push({ name: secretName, mode: 0o600, content: utf8(pem("PRIVATE KEY", secret)) });
      manifest.push({ ...info, files: [`apk/${name}`, secretName], locked: false });
    }
  }
  files.push({ name: "keys.json", mode: 0o644, content: utf8(`${JSON.stringify(manifest, null, 2)}\n`) });
  return files;
}
