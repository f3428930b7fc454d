/**
 * One Signer interface for every format and, later, every repository index. A signer is a pure function
 * of bytes and key: no files, no environment.
 */

export type SignHash = "sha1" | "sha256" | "sha512";

/** Signs with an OpenPGP secret key (openpgp.js). */
export interface OpenPGPSigner {
  kind: "openpgp";
  /** Uppercase hex fingerprint of the key that signs (primary or signing subkey). */
  fingerprint: string;
  /** 16 uppercase hex digits. */
  keyId: string;
  algorithm: "rsa" | "eddsa";
  /** Armored public key (the whole certificate) to hand to users. */
  publicKeyArmored(): string;
  /** Binary public key (`.gpg`). */
  publicKeyBinary(): Uint8Array;
  /** Detached signature over `data`; binary packet(s) or ASCII-armored text. */
  detached(data: Uint8Array, options?: { armor?: false; hash?: SignHash }): Promise<Uint8Array>;
  detached(data: Uint8Array, options: { armor: true; hash?: SignHash }): Promise<string>;
  /** Cleartext-signed message (`-----BEGIN PGP SIGNED MESSAGE-----`), as for APT InRelease. */
  cleartext(text: string, options?: { hash?: SignHash }): Promise<string>;
}

/** Signs with a raw RSA key, PKCS#1 v1.5 (Alpine packages and APKINDEX). */
export interface RSASigner {
  kind: "rsa";
  /** Key name as users place it in /etc/apk/keys/, e.g. `dev@example.org-5f3a1b2c.rsa.pub`. */
  keyName: string;
  /** SubjectPublicKeyInfo PEM. */
  publicKeyPem(): string;
  sign(data: Uint8Array, hash: "sha1" | "sha256"): Promise<Uint8Array>;
}

export type Signer = OpenPGPSigner | RSASigner;
