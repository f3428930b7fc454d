/**
 * Raw RSA keys and PKCS#1 v1.5 signatures through node:crypto, for Alpine: `.SIGN.RSA.` (SHA-1),
 * `.SIGN.RSA256.` and `.SIGN.RSA512.` members of packages and APKINDEX (apk-tools src/package.c over the raw
 * gzip member bytes src/io_gunzip.c passes it; abuild-sign). The signature is exactly what
 * `openssl dgst -<hash> -sign key.pem` writes.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  type KeyObject,
  sign,
  verify,
} from "node:crypto";
import { SignError, SpecError } from "../errors.ts";
import type { RSAHash, RSASigner } from "./signer.ts";

/** Options of {@link generateRSAKey}. */
export interface GenerateRSAKeyOptions {
  /** Modulus size; 4096 as abuild-keygen uses by default. */
  bits?: 2048 | 3072 | 4096;
  /** Encrypts the PKCS#8 private key (AES-256-CBC, PBES2) when given. */
  passphrase?: string;
}

/** A generated RSA key pair in PEM. */
export interface GeneratedRSAKey {
  /** PKCS#8 (`-----BEGIN PRIVATE KEY-----`, or `ENCRYPTED PRIVATE KEY` with a passphrase). */
  privateKeyPem: string;
  /** SubjectPublicKeyInfo (`-----BEGIN PUBLIC KEY-----`), the form apk reads from /etc/apk/keys. */
  publicKeyPem: string;
}

/** Options of {@link loadRSASigner}. */
export interface LoadRSASignerOptions {
  /** Public key file name users install in /etc/apk/keys; `.rsa.pub` is appended unless it ends in `.pub` (as nfpm's `key_name`). */
  keyName?: string;
  /** Maintainer e-mail: with no `keyName`, the name is {@link apkKeyName}(email, key). */
  email?: string;
  /** Passphrase of an encrypted PEM key (PKCS#8 or OpenSSL's traditional `Proc-Type: 4,ENCRYPTED`). */
  passphrase?: string;
}

const HASHES: ReadonlySet<string> = new Set(["sha1", "sha256", "sha512"]);

/**
 * Generates an RSA key pair (default 4096 bits, e = 65537) in the PEM forms apk and openssl expect.
 * @throws SpecError INVALID_FIELD for an unsupported size.
 */
export async function generateRSAKey(options: GenerateRSAKeyOptions = {}): Promise<GeneratedRSAKey> {
  const bits = options.bits ?? 4096;
  if (bits !== 2048 && bits !== 3072 && bits !== 4096) {
    throw new SpecError("INVALID_FIELD", `bits: expected 2048, 3072 or 4096, found ${String(bits)}`, {
      field: "bits",
      expected: [2048, 3072, 4096],
      found: bits,
    });
  }
  const encrypt =
    options.passphrase !== undefined && options.passphrase !== ""
      ? { cipher: "aes-256-cbc", passphrase: options.passphrase }
      : {};
  return await new Promise((resolve, reject) => {
    generateKeyPair(
      "rsa",
      {
        modulusLength: bits,
        publicExponent: 0x10001,
        publicKeyEncoding: { type: "spki", format: "pem" },
        privateKeyEncoding: { type: "pkcs8", format: "pem", ...encrypt },
      },
      (err, publicKeyPem, privateKeyPem) => {
        if (err)
          reject(new SignError("KEY_READ", `RSA key generation failed: ${err.message}`, {}, { cause: err }));
        else resolve({ privateKeyPem, publicKeyPem });
      },
    );
  });
}

function readPrivateKey(pem: string, passphrase: string | undefined): KeyObject {
  if (!pem.includes("-----BEGIN")) {
    throw new SignError(
      "KEY_READ",
      "RSA key: expected a PEM private key ('-----BEGIN RSA PRIVATE KEY-----' or '-----BEGIN PRIVATE KEY-----'), found no PEM block",
      {
        expected: "PEM",
      },
    );
  }
  if (/-----BEGIN (RSA )?PUBLIC KEY-----/.test(pem) && !pem.includes("PRIVATE KEY-----")) {
    throw new SignError("KEY_READ", "RSA key: expected a private key, found a public key", {
      expected: "private key",
      found: "public key",
    });
  }
  const encrypted = pem.includes("ENCRYPTED");
  if (encrypted && (passphrase === undefined || passphrase === "")) {
    throw new SignError(
      "KEY_LOCKED",
      "RSA key is passphrase-protected and no passphrase was given (set PACKYARD_PASSPHRASE)",
      {},
    );
  }
  try {
    return createPrivateKey(
      passphrase !== undefined && passphrase !== ""
        ? { key: pem, format: "pem", passphrase }
        : { key: pem, format: "pem" },
    );
  } catch (cause) {
    const e = cause as Error & { code?: string };
    if (encrypted && (e.code === "ERR_OSSL_BAD_DECRYPT" || /bad decrypt|decrypt/i.test(e.message))) {
      throw new SignError(
        "BAD_PASSPHRASE",
        `RSA key: the passphrase does not unlock it (${e.message})`,
        {},
        { cause },
      );
    }
    if (e.code === "ERR_MISSING_PASSPHRASE") {
      throw new SignError(
        "KEY_LOCKED",
        "RSA key is passphrase-protected and no passphrase was given (set PACKYARD_PASSPHRASE)",
        {},
        { cause },
      );
    }
    throw new SignError(
      "KEY_READ",
      `RSA key: expected a PKCS#1 or PKCS#8 PEM private key, could not read it: ${e.message}`,
      {},
      { cause },
    );
  }
}

/** Hex SHA-256 of the DER SubjectPublicKeyInfo: a stable identity for a raw RSA key. */
export function rsaKeyFingerprint(publicKeyPem: string): string {
  let der: Uint8Array;
  try {
    der = createPublicKey(publicKeyPem).export({ type: "spki", format: "der" });
  } catch (cause) {
    throw new SignError(
      "KEY_READ",
      `RSA public key: expected a PEM public key, could not read it: ${(cause as Error).message}`,
      {},
      { cause },
    );
  }
  return createHash("sha256").update(der).digest("hex");
}

/**
 * Default apk key file name: `<email>-<8 hex>.rsa.pub`, the shape abuild-keygen gives its keys. abuild puts
 * the creation time in hex there; a library must not read the clock, so the 8 hex digits are the first
 * 32 bits of the SHA-256 of the public key (DER SPKI) instead: stable for one key, distinct across keys.
 * @example apkKeyName("dev@example.org", pem) // "dev@example.org-5f3a1b2c.rsa.pub"
 * @throws SpecError INVALID_FIELD when the e-mail is empty or holds a path separator.
 */
export function apkKeyName(email: string, publicKeyPem: string): string {
  const who = email.trim();
  if (who === "" || /[/\\\s]/.test(who)) {
    throw new SpecError(
      "INVALID_FIELD",
      `email: expected an e-mail usable in a file name (no spaces or slashes), found '${email}'`,
      {
        field: "email",
        found: email,
      },
    );
  }
  return `${who}-${rsaKeyFingerprint(publicKeyPem).slice(0, 8)}.rsa.pub`;
}

function normalizeKeyName(name: string): string {
  if (name === "" || /[/\\]/.test(name)) {
    throw new SpecError("INVALID_FIELD", `keyName: expected a file name without slashes, found '${name}'`, {
      field: "keyName",
      found: name,
    });
  }
  return name.endsWith(".pub") ? name : `${name}.rsa.pub`;
}

/**
 * Reads an RSA private key in PEM — PKCS#1 (`BEGIN RSA PRIVATE KEY`, as `openssl genrsa -traditional` and
 * older abuild-keygen write) or PKCS#8 (`BEGIN PRIVATE KEY`, `BEGIN ENCRYPTED PRIVATE KEY`) — and returns a
 * PKCS#1 v1.5 signer. Without `keyName` or `email` the key name is `packyard-<8 hex>.rsa.pub`.
 * @throws SignError KEY_READ, KEY_LOCKED, BAD_PASSPHRASE or KEY_UNSUPPORTED (not an RSA key).
 */
export function loadRSASigner(pem: string, options: LoadRSASignerOptions = {}): RSASigner {
  const key = readPrivateKey(pem, options.passphrase);
  if (key.asymmetricKeyType !== "rsa") {
    throw new SignError(
      "KEY_UNSUPPORTED",
      `RSA key: expected an RSA private key, found ${key.asymmetricKeyType ?? "an unknown key type"}`,
      {
        expected: "rsa",
        found: key.asymmetricKeyType,
      },
    );
  }
  const publicKeyPem = createPublicKey(key).export({ type: "spki", format: "pem" }).toString();
  const keyName =
    options.keyName !== undefined
      ? normalizeKeyName(options.keyName)
      : options.email !== undefined
        ? apkKeyName(options.email, publicKeyPem)
        : `packyard-${rsaKeyFingerprint(publicKeyPem).slice(0, 8)}.rsa.pub`;
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  return {
    kind: "rsa",
    keyName,
    bits,
    publicKeyPem: () => publicKeyPem,
    sign: async (data: Uint8Array, hash: RSAHash): Promise<Uint8Array> => {
      if (!HASHES.has(hash)) {
        throw new SpecError(
          "INVALID_FIELD",
          `hash: expected 'sha1', 'sha256' or 'sha512', found '${String(hash)}'`,
          { field: "hash", found: hash },
        );
      }
      try {
        // RSA keys sign with PKCS#1 v1.5 padding by default in node:crypto.
        return new Uint8Array(sign(hash, data, key));
      } catch (cause) {
        throw new SignError(
          "SIGN_FAILED",
          `RSA signing (${hash}) with ${keyName} failed: ${(cause as Error).message}`,
          {},
          { cause },
        );
      }
    },
  };
}

/**
 * Verifies a PKCS#1 v1.5 RSA signature over `data` with a PEM public key (SPKI or PKCS#1); false when it
 * does not match. For readers of apk packages and APKINDEX.
 * @throws SignError KEY_READ when the key cannot be read.
 */
export function verifyRSA(
  data: Uint8Array,
  signature: Uint8Array,
  publicKeyPem: string,
  hash: RSAHash,
): boolean {
  let key: KeyObject;
  try {
    key = createPublicKey(publicKeyPem);
  } catch (cause) {
    throw new SignError(
      "KEY_READ",
      `RSA public key: expected a PEM public key, could not read it: ${(cause as Error).message}`,
      {},
      { cause },
    );
  }
  try {
    return verify(hash, data, key, signature);
  } catch {
    return false;
  }
}
