/** Builds a block's SigningMaterial from the option shapes the blocks share (nfpm `signature:`, macOS `signing:`). */
import type { SigningMaterial } from "./block.ts";

/** nfpm's `signature:` block as the format blocks parse it. */
export interface KeyFileSignature {
  keyFile?: string;
  keyId?: string;
  keyName?: string;
}

/** The key file a `signature:` block names, or undefined when it names none. */
export function keyFileSigning(signature: KeyFileSignature | undefined): SigningMaterial | undefined {
  if (signature?.keyFile === undefined || signature.keyFile === "") return undefined;
  return {
    kind: "key-file",
    keyFile: signature.keyFile,
    ...(signature.keyId !== undefined && signature.keyId !== "" ? { keyId: signature.keyId } : {}),
    ...(signature.keyName !== undefined && signature.keyName !== "" ? { keyName: signature.keyName } : {}),
  };
}

/** X.509 material a block read (a .p12, or a PEM certificate chain and key), or undefined when incomplete. */
export function x509Signing(
  material: { p12?: Uint8Array; certificatePem?: string; keyPem?: string; passphrase?: string } | undefined,
): SigningMaterial | undefined {
  if (material === undefined) return undefined;
  const { p12, certificatePem, keyPem, passphrase } = material;
  if (p12 === undefined && (certificatePem === undefined || keyPem === undefined)) return undefined;
  return {
    kind: "x509",
    ...(p12 !== undefined ? { p12 } : {}),
    ...(certificatePem !== undefined ? { certificatePem } : {}),
    ...(keyPem !== undefined ? { keyPem } : {}),
    ...(passphrase !== undefined ? { passphrase } : {}),
  };
}
