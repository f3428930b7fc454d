/**
 * Loads a signing key file into a Signer: OpenPGP (armored or binary secret key) or RSA (PEM). The
 * passphrase comes from an env var the user names, else from passphraseEnvNames(format).
 */
import { readFile } from "node:fs/promises";
import {
  loadOpenPGPSigner,
  loadRSASigner,
  loadX509Signer,
  resolvePassphrase,
  SignError,
  type Signer,
} from "./formats.ts";

export interface LoadSignerOptions {
  env: Readonly<Record<string, string | undefined>>;
  /** Format id whose PACKYARD_<FORMAT>_PASSPHRASE applies. */
  format?: string;
  /** Env var named by `--passphrase-env`; takes precedence over the default names. */
  passphraseEnv?: string;
  /** OpenPGP fingerprint or 16-hex key id to sign with. */
  keyId?: string;
  /** RSA key name as installed in /etc/apk/keys. */
  keyName?: string;
  /**
   * PEM certificate chain (leaf first) that goes with a PEM private key: makes an X.509 signer (macOS
   * packages). A PKCS#12 key file (`.p12`/`.pfx`) carries its own certificates and needs none.
   */
  certificate?: string;
}

/** True for a DER PKCS#12 file named .p12/.pfx (a DER SEQUENCE: 0x30). */
function isPkcs12(path: string, bytes: Uint8Array): boolean {
  return /\.(p12|pfx)$/i.test(path) && bytes[0] === 0x30;
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (e) {
    throw new SignError(
      "KEY_READ",
      `cannot read ${what} ${path}: ${(e as Error).message}`,
      { path },
      { cause: e },
    );
  }
}

/** What kind of key file this is, from its first bytes. */
export function keyKind(bytes: Uint8Array): "openpgp" | "rsa" | undefined {
  const head = new TextDecoder("latin1").decode(bytes.subarray(0, 4096));
  if (head.includes("-----BEGIN PGP PRIVATE KEY BLOCK-----")) return "openpgp";
  if (/-----BEGIN (RSA |ENCRYPTED )?PRIVATE KEY-----/.test(head)) return "rsa";
  // A binary OpenPGP secret key starts with a packet tag byte (bit 7 set), tag 5 (secret key).
  const b = bytes[0];
  if (b !== undefined && (b & 0x80) !== 0) {
    const tag = (b & 0x40) !== 0 ? b & 0x3f : (b >> 2) & 0x0f;
    if (tag === 5) return "openpgp";
  }
  return undefined;
}

/** Reads `path` and returns a Signer for it. */
export async function loadSigner(path: string, opts: LoadSignerOptions): Promise<Signer> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (e) {
    throw new SignError(
      "KEY_READ",
      `cannot read signing key ${path}: ${(e as Error).message}`,
      { path },
      { cause: e },
    );
  }
  let passphrase: string | undefined;
  if (opts.passphraseEnv !== undefined) {
    passphrase = opts.env[opts.passphraseEnv];
    if (passphrase === undefined) {
      throw new SignError("KEY_LOCKED", `--passphrase-env names ${opts.passphraseEnv}, but it is not set`, {
        path,
        expected: opts.passphraseEnv,
      });
    }
  } else {
    passphrase = resolvePassphrase(opts.env, opts.format)?.passphrase;
  }
  if (isPkcs12(path, bytes)) {
    return loadX509Signer({ p12: bytes, ...(passphrase !== undefined ? { passphrase } : {}) });
  }
  const kind = keyKind(bytes);
  if (opts.certificate !== undefined) {
    if (kind !== "rsa") {
      throw new SignError(
        "KEY_UNSUPPORTED",
        `${path}: a certificate goes with an RSA private key in PEM, found ${kind === "openpgp" ? "an OpenPGP key" : "neither"}`,
        { path, expected: "PEM RSA private key" },
      );
    }
    return loadX509Signer({
      certificatePem: await readText(opts.certificate, "certificate"),
      keyPem: new TextDecoder().decode(bytes),
      ...(passphrase !== undefined ? { passphrase } : {}),
    });
  }
  if (kind === "openpgp") {
    const text = new TextDecoder().decode(bytes);
    const key = text.includes("-----BEGIN PGP") ? text : bytes;
    return loadOpenPGPSigner(key, {
      ...(passphrase !== undefined ? { passphrase } : {}),
      ...(opts.keyId !== undefined ? { keyId: opts.keyId } : {}),
    });
  }
  if (kind === "rsa") {
    return loadRSASigner(new TextDecoder().decode(bytes), {
      ...(passphrase !== undefined ? { passphrase } : {}),
      ...(opts.keyName !== undefined ? { keyName: opts.keyName } : {}),
    });
  }
  throw new SignError(
    "KEY_UNSUPPORTED",
    `${path}: expected an OpenPGP secret key (armored or binary), an RSA private key in PEM or a PKCS#12 .p12, found none of them`,
    { path },
  );
}
