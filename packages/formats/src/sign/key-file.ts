/**
 * A signing key file's bytes into a Signer: OpenPGP (armored or binary secret key), RSA (PEM), PKCS#12
 * (`.p12`/`.pfx`, X.509 for macOS) or a PEM RSA key with its certificate chain (X.509). The caller reads the
 * files; the passphrase comes from the caller's environment object, never from process.env. Only the code
 * for the kind of key found is loaded (openpgp.js for OpenPGP, node-forge for X.509).
 */
import { SignError } from "../errors.ts";
import { resolvePassphrase } from "./passphrase.ts";
import type { Signer } from "./signer.ts";

/** A key file and how to unlock it. */
export interface KeyFileInput {
  /** Where the bytes came from, for messages and to recognise `.p12`/`.pfx`. */
  path: string;
  bytes: Uint8Array;
  /** Environment for the passphrase (PACKYARD_<FORMAT>_PASSPHRASE, PACKYARD_PASSPHRASE, NFPM_* names). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Format id whose PACKYARD_<FORMAT>_PASSPHRASE applies (`deb`, `rpm`, `checksum`, ...). */
  format?: string;
  /** A variable to take the passphrase from instead of the default names (the CLI's `--passphrase-env`). */
  passphraseEnv?: string;
  /** The passphrase itself; wins over `env`. */
  passphrase?: string;
  /** OpenPGP fingerprint or 16-hex key id to sign with. */
  keyId?: string;
  /** RSA key name as installed in /etc/apk/keys. */
  keyName?: string;
  /** PEM certificate chain (leaf first) that goes with a PEM private key: makes an X.509 signer. */
  certificatePem?: string;
}

/** What kind of key file this is, from its first bytes. */
export function keyFileKind(bytes: Uint8Array): "openpgp" | "rsa" | undefined {
  const head = new TextDecoder("latin1").decode(bytes.subarray(0, 4096));
  if (head.includes("-----BEGIN PGP PRIVATE KEY BLOCK-----")) return "openpgp";
  if (/-----BEGIN (RSA |ENCRYPTED )?PRIVATE KEY-----/.test(head)) return "rsa";
  // A binary OpenPGP secret key starts with a packet tag byte (bit 7 set), tag 5 (secret key): RFC 4880 §4.2.
  const b = bytes[0];
  if (b !== undefined && (b & 0x80) !== 0) {
    const tag = (b & 0x40) !== 0 ? b & 0x3f : (b >> 2) & 0x0f;
    if (tag === 5) return "openpgp";
  }
  return undefined;
}

/** True for a DER PKCS#12 file named .p12/.pfx (a DER SEQUENCE: 0x30). */
function isPkcs12(path: string, bytes: Uint8Array): boolean {
  return /\.(p12|pfx)$/i.test(path) && bytes[0] === 0x30;
}

function passphraseOf(input: KeyFileInput): string | undefined {
  if (input.passphrase !== undefined) return input.passphrase;
  const env = input.env ?? {};
  if (input.passphraseEnv !== undefined) {
    const value = env[input.passphraseEnv];
    if (value === undefined) {
      throw new SignError(
        "KEY_LOCKED",
        `the passphrase variable ${input.passphraseEnv} is not set (named for ${input.path})`,
        { path: input.path, expected: input.passphraseEnv },
      );
    }
    return value;
  }
  return resolvePassphrase(env, input.format)?.passphrase;
}

/**
 * Turns a key file into a Signer, recognising the kind from its bytes.
 * @example
 * const signer = await signerFromKeyFile({ path: "key.asc", bytes: await readFile("key.asc"), env: process.env, format: "deb" });
 */
export async function signerFromKeyFile(input: KeyFileInput): Promise<Signer> {
  const { path, bytes } = input;
  const passphrase = passphraseOf(input);
  const pass = passphrase !== undefined ? { passphrase } : {};
  if (isPkcs12(path, bytes)) {
    const { loadX509Signer } = await import("./x509.ts");
    return loadX509Signer({ p12: bytes, ...pass });
  }
  const kind = keyFileKind(bytes);
  if (input.certificatePem !== undefined) {
    if (kind !== "rsa") {
      throw new SignError(
        "KEY_UNSUPPORTED",
        `${path}: a certificate goes with an RSA private key in PEM, found ${kind === "openpgp" ? "an OpenPGP key" : "neither"}`,
        { path, expected: "PEM RSA private key" },
      );
    }
    const { loadX509Signer } = await import("./x509.ts");
    return loadX509Signer({
      certificatePem: input.certificatePem,
      keyPem: new TextDecoder().decode(bytes),
      ...pass,
    });
  }
  if (kind === "openpgp") {
    const text = new TextDecoder().decode(bytes);
    const key = text.includes("-----BEGIN PGP") ? text : bytes;
    const { loadOpenPGPSigner } = await import("./openpgp.ts");
    return loadOpenPGPSigner(key, { ...pass, ...(input.keyId !== undefined ? { keyId: input.keyId } : {}) });
  }
  if (kind === "rsa") {
    const { loadRSASigner } = await import("./rsa.ts");
    return loadRSASigner(new TextDecoder().decode(bytes), {
      ...pass,
      ...(input.keyName !== undefined ? { keyName: input.keyName } : {}),
    });
  }
  throw new SignError(
    "KEY_UNSUPPORTED",
    `${path}: expected an OpenPGP secret key (armored or binary), an RSA private key in PEM or a PKCS#12 .p12, found none of them`,
    { path },
  );
}
