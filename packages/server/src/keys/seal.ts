/**
 * Sealing secrets under the master key: AES-256-GCM with a random 96-bit nonce per secret and associated data
 * that binds the ciphertext to where it belongs (project, key id, purpose, master key version), so a sealed
 * secret copied to another row, project or purpose does not open. Any failure to open (altered byte, other
 * key, other context) is KEY_DECRYPT_FAILED.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { ServerError } from "../errors.ts";
import type { MasterKey } from "./master-key.ts";

/** GCM nonce length: 96 bits, the size GCM is defined for without hashing (NIST SP 800-38D). */
export const NONCE_BYTES = 12;
/** GCM tag length, appended to the ciphertext. */
export const TAG_BYTES = 16;

/** Where a sealed secret belongs; all three must be given again to open it. */
export interface SealContext {
  /** The project's id. */
  projectId: string | number;
  /** The key's id (signing_keys.id). */
  keyId: string;
  /** What the secret is, e.g. `openpgp-secret`, `openpgp-passphrase`, `apk-secret`. */
  purpose: string;
}

/** A sealed secret, as stored. */
export interface Sealed {
  /** Ciphertext followed by the 16-byte tag. */
  ciphertext: Uint8Array;
  nonce: Uint8Array;
  /** Version of the master key it was sealed with. */
  masterKeyVersion: number;
}

/** The associated data: a fixed label and the context as a JSON array (unambiguous field boundaries). */
function associatedData(context: SealContext, version: number): Buffer {
  if (context.keyId === "" || context.purpose === "")
    throw new ServerError(
      "KEY_DECRYPT_FAILED",
      "Expected a key id and a purpose to seal or open a secret, found an empty one",
    );
  return Buffer.from(
    `packyard-seal-v1\n${JSON.stringify([String(context.projectId), context.keyId, context.purpose, version])}`,
    "utf8",
  );
}

/** Encrypts `plaintext` under `key` for `context`. */
export function seal(key: MasterKey, plaintext: Uint8Array, context: SealContext): Sealed {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key.bytes, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(associatedData(context, key.version));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return { ciphertext: new Uint8Array(body), nonce: new Uint8Array(nonce), masterKeyVersion: key.version };
}

/** Decrypts what {@link seal} made, for the same `context`; throws KEY_DECRYPT_FAILED otherwise. */
export function unseal(key: MasterKey, sealed: Sealed, context: SealContext): Uint8Array {
  const where = `project ${context.projectId}, key ${context.keyId}, ${context.purpose}`;
  if (sealed.masterKeyVersion !== key.version)
    throw new ServerError(
      "KEY_DECRYPT_FAILED",
      `Expected a secret sealed with master key version ${key.version}, found version ${sealed.masterKeyVersion} (${where})`,
      { expected: key.version, found: sealed.masterKeyVersion },
    );
  if (sealed.nonce.length !== NONCE_BYTES || sealed.ciphertext.length < TAG_BYTES)
    throw new ServerError(
      "KEY_DECRYPT_FAILED",
      `Expected a ${NONCE_BYTES}-byte nonce and at least ${TAG_BYTES} bytes of ciphertext, found ${sealed.nonce.length} and ${sealed.ciphertext.length} (${where})`,
    );
  const cut = sealed.ciphertext.length - TAG_BYTES;
  try {
    const decipher = createDecipheriv("aes-256-gcm", key.bytes, sealed.nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(associatedData(context, sealed.masterKeyVersion));
    decipher.setAuthTag(sealed.ciphertext.subarray(cut));
    return new Uint8Array(
      Buffer.concat([decipher.update(sealed.ciphertext.subarray(0, cut)), decipher.final()]),
    );
  } catch (e) {
    throw new ServerError(
      "KEY_DECRYPT_FAILED",
      `Expected the sealed secret to open with the master key (${where}), found its authentication failing: altered bytes, another master key or another project/key/purpose`,
      {},
      { cause: e },
    );
  }
}
