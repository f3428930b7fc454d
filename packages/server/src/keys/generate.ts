/**
 * Making a project's signing keys. The server calls a {@link KeyGenerator} at project creation and on
 * rotation; tests inject one that draws from pre-generated fixture keys (RSA-4096 generation takes seconds).
 */
import { createPrivateKey } from "node:crypto";
import { generateOpenPGPKey, generateRSAKey } from "@packyard/formats";
import { dearmor } from "./openpgp-packets.ts";

/** A freshly made secret key, in the form the keys module stores. */
export interface GeneratedKey {
  /** OpenPGP: the binary secret key packets (unencrypted); apk: the PKCS#8 DER private key (unencrypted). */
  secret: Uint8Array;
}

/** The user ID of a project's OpenPGP key: `<name> <<email>>`. */
export interface KeyUser {
  name: string;
  email: string;
}

/** Makes signing keys. */
export interface KeyGenerator {
  /** An OpenPGP v4 RSA-4096 signing key with this user id, created at `date`. */
  openpgp(user: KeyUser, date: Date): Promise<GeneratedKey>;
  /** An RSA-4096 key for apk index signatures. */
  apk(): Promise<GeneratedKey>;
}

/** An armored OpenPGP secret key as binary packets. */
export function openpgpSecretBinary(armored: string): Uint8Array {
  return dearmor(armored).bytes;
}

/** A PEM RSA private key (unencrypted) as PKCS#8 DER. */
export function pkcs8Der(pem: string): Uint8Array {
  return new Uint8Array(createPrivateKey(pem).export({ type: "pkcs8", format: "der" }));
}

/** Real generation with @packyard/formats: OpenPGP v4 RSA-4096 and RSA-4096 for apk (seconds each). */
export const realKeyGenerator: KeyGenerator = {
  async openpgp(user, date) {
    const key = await generateOpenPGPKey({
      type: "rsa",
      rsaBits: 4096,
      name: user.name,
      email: user.email,
      date,
    });
    return { secret: openpgpSecretBinary(key.secretKeyArmored) };
  },
  async apk() {
    const key = await generateRSAKey({ bits: 4096 });
    return { secret: pkcs8Der(key.privateKeyPem) };
  },
};

/**
 * The user ID of a project's generated key: `<project> <<project>@<host>>`, the host of the server's public
 * URL, or `packyard.invalid` without one (RFC 6761 reserves `.invalid`).
 */
export function projectKeyUser(project: string, publicUrl: string | undefined): KeyUser {
  let host = "packyard.invalid";
  if (publicUrl !== undefined) {
    try {
      const h = new URL(publicUrl).hostname.replace(/^\[|\]$/g, "");
      if (/^[A-Za-z0-9.-]+$/.test(h) && h !== "") host = h;
    } catch {} // an unparsable URL keeps the placeholder host
  }
  return { name: project, email: `${project}@${host}` };
}
