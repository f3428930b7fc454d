/**
 * Making a project's signing keys. The server calls a {@link KeyGenerator} at project creation and on
 * rotation; tests inject one that draws from pre-generated fixture keys (RSA-4096 generation takes seconds).
 */

/** A freshly made secret key, in the form the keys module stores. */
export interface GeneratedKey {
  /** OpenPGP: the binary secret key packets (unencrypted); apk: the PKCS#8 DER private key. */
  secret: Uint8Array;
}

/** Makes signing keys. */
export interface KeyGenerator {
  /** An OpenPGP v4 RSA-4096 signing key with this user id (`Project <project@host>`). */
  openpgp(userId: string): Promise<GeneratedKey>;
  /** An RSA-4096 key for apk index signatures. */
  apk(): Promise<GeneratedKey>;
}
