/**
 * Package signatures (formats.md §4.2, §4.4): RSA PKCS#1 v1.5 over the raw bytes of the compressed
 * control member, stored as `.SIGN.RSA256.<keyname>` (SHA-256) and, on request, `.SIGN.RSA.<keyname>`
 * (SHA-1, for apk-tools < 2.7) in a cut tar that is its own gzip member.
 */
import { writeTarBytes } from "./segment.ts";
import { SignError } from "../errors.ts";
import { apkKeyName, rsaKeyFingerprint } from "../sign/rsa.ts";
import type { RSAHash, RSASigner, Signer } from "../sign/signer.ts";

/** `.SIGN.<ALG>.` prefixes and their hashes (package.c). DSA is legacy and never verified here. */
export const APK_SIGNATURE_TYPES: Readonly<Record<string, RSAHash>> = {
  RSA: "sha1",
  RSA256: "sha256",
  RSA512: "sha512",
};

/** Splits `.SIGN.RSA256.name.rsa.pub` into type and key name, or undefined when it is not a signature name. */
export function parseSignatureName(name: string): { type: string; keyName: string } | undefined {
  const m = /^\.SIGN\.([A-Z0-9]+)\.(.+)$/.exec(name);
  return m === null ? undefined : { type: m[1]!, keyName: m[2]! };
}

function normalizeKeyName(name: string): string {
  return name.endsWith(".pub") ? name : `${name}.rsa.pub`;
}

function emailOf(maintainer: string | undefined): string | undefined {
  return maintainer === undefined
    ? undefined
    : (/<([^<>\s]+@[^<>\s]+)>/.exec(maintainer)?.[1] ??
        (/^\S+@\S+$/.test(maintainer) ? maintainer : undefined));
}

/**
 * The key name written after `.SIGN.RSA256.`: the `keyName` option; else the signer's name when it was
 * chosen (not the anonymous `packyard-<hex>.rsa.pub` default); else `<maintainer e-mail>-<8 hex>.rsa.pub`
 * (as nfpm derives it from the maintainer, in abuild-keygen's shape); else the signer's name.
 */
export function resolveKeyName(signer: RSASigner, maintainer: string | undefined, keyName?: string): string {
  if (keyName !== undefined && keyName !== "") return normalizeKeyName(keyName);
  const anonymous = `packyard-${rsaKeyFingerprint(signer.publicKeyPem()).slice(0, 8)}.rsa.pub`;
  if (signer.keyName !== anonymous) return signer.keyName;
  const email = emailOf(maintainer);
  return email === undefined ? signer.keyName : apkKeyName(email, signer.publicKeyPem());
}

/** Narrows a Signer to RSA: apk signatures are raw RSA, not OpenPGP. */
export function rsaSigner(signer: Signer): RSASigner {
  if (signer.kind !== "rsa") {
    throw new SignError(
      "KEY_UNSUPPORTED",
      "apk packages are signed with an RSA key (PEM), found an OpenPGP key; create one with `packyard keygen --type rsa`",
      {
        expected: "rsa",
        found: signer.kind,
      },
    );
  }
  return signer;
}

/** One signature file of the signature member. */
export interface ApkSignatureFile {
  name: string;
  bytes: Uint8Array;
}

/** Signs the raw control member: SHA-256 first, then SHA-1 when `legacySha1`. */
export async function signControl(
  control: Uint8Array,
  signer: RSASigner,
  keyName: string,
  legacySha1: boolean,
): Promise<ApkSignatureFile[]> {
  const out: ApkSignatureFile[] = [
    { name: `.SIGN.RSA256.${keyName}`, bytes: await signer.sign(control, "sha256") },
  ];
  if (legacySha1) out.push({ name: `.SIGN.RSA.${keyName}`, bytes: await signer.sign(control, "sha1") });
  return out;
}

/** The signature tar (cut: no end blocks), uncompressed. Mode 0644, owner 0/0, as abuild-sign writes. */
export async function signatureTar(files: readonly ApkSignatureFile[], mtime: number): Promise<Uint8Array> {
  return writeTarBytes(
    files.map((f) => ({
      header: {
        name: f.name,
        type: "file" as const,
        mode: 0o644,
        uid: 0,
        gid: 0,
        uname: "root",
        gname: "root",
        size: f.bytes.length,
        mtime,
      },
      content: f.bytes,
    })),
    false,
  );
}
