import type { X509Signer } from "./x509.ts";
/**
 * One Signer interface for every format and, later, every repository index. A signer is a pure function
 * of bytes and key: no files, no environment.
 */

export type SignHash = "sha1" | "sha256" | "sha512";

/** Hash algorithms an OpenPGP signer may use for data signatures (SHA-1 is refused by apt, sqv, RHEL 9). */
export type OpenPGPHash = "sha256" | "sha512";

/**
 * Bytes to sign or verify: whole in memory, or streamed (a ByteSource's `open()`), in which case memory stays
 * bounded whatever their size.
 */
export type SignInput = Uint8Array | AsyncIterable<Uint8Array>;

/** Options shared by the OpenPGP signing calls. */
export interface OpenPGPSignOptions {
  /** Overrides the signer's default hash (SHA-256 unless chosen at load time). */
  hash?: OpenPGPHash;
  /**
   * Signature creation time, required: library code never reads the clock, so the caller (the CLI, a build
   * date such as `SOURCE_DATE_EPOCH`, or a date recorded in the artifact) chooses it. With a fixed date, RSA
   * (PKCS#1 v1.5) and EdDSA signatures are byte-for-byte deterministic. A date before the signing key's
   * creation is raised to that creation time (verifiers refuse signatures older than their key), which keeps
   * the output fixed for a given key.
   */
  date: Date;
}

/** Signs with an OpenPGP secret key (openpgp.js). */
export interface OpenPGPSigner {
  kind: "openpgp";
  /** Uppercase hex fingerprint of the key that signs (primary or signing subkey). */
  fingerprint: string;
  /** 16 uppercase hex digits: the id of the key that signs. */
  keyId: string;
  /** Uppercase hex fingerprint of the primary key (what `signed-by`, `pacman-key --lsign-key` and `rpm -qi gpg-pubkey` name). */
  primaryFingerprint: string;
  algorithm: "rsa" | "eddsa" | "ecdsa";
  /** User IDs of the certificate, e.g. `Jane Doe <jane@example.org>`. */
  userIds: readonly string[];
  /** Armored public key (the whole certificate) to hand to users. */
  publicKeyArmored(): string;
  /** Binary public key (`.gpg`). */
  publicKeyBinary(): Uint8Array;
  /**
   * Detached signature over `data`; binary packet(s) or ASCII-armored text. Streamed data is hashed as it
   * arrives and never held whole; the signature bytes equal those made over the same bytes in memory.
   */
  detached(data: SignInput, options: OpenPGPSignOptions & { armor?: false }): Promise<Uint8Array>;
  detached(data: SignInput, options: OpenPGPSignOptions & { armor: true }): Promise<string>;
  /** Cleartext-signed message (`-----BEGIN PGP SIGNED MESSAGE-----`), as for APT InRelease. */
  cleartext(text: string, options: OpenPGPSignOptions): Promise<string>;
}

/** Hash algorithms for raw RSA signatures: `.SIGN.RSA.` (SHA-1), `.SIGN.RSA256.`, `.SIGN.RSA512.`. */
export type RSAHash = "sha1" | "sha256" | "sha512";

/** Signs with a raw RSA key, PKCS#1 v1.5 (Alpine packages and APKINDEX). */
export interface RSASigner {
  kind: "rsa";
  /** Key name as users place it in /etc/apk/keys/, e.g. `dev@example.org-5f3a1b2c.rsa.pub`. */
  keyName: string;
  /** Modulus size in bits. */
  bits: number;
  /** SubjectPublicKeyInfo PEM. */
  publicKeyPem(): string;
  /** PKCS#1 v1.5 signature over `data`: modulus-length bytes, as `openssl dgst -<hash> -sign` writes. */
  sign(data: Uint8Array, hash: RSAHash): Promise<Uint8Array>;
}

/** Signs with an X.509 certificate chain (macOS installer packages: RSA over the xar TOC digest + CMS). */
export type { X509Signer } from "./x509.ts";

export type Signer = OpenPGPSigner | RSASigner | X509Signer;
