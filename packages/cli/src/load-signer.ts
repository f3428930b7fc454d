/**
 * Reads a signing key file (and a certificate, for X.509) and turns it into a Signer through the library's
 * `signerFromKeyFile`. The passphrase comes from an env var the user names, else from
 * passphraseEnvNames(format).
 */
import { readFile } from "node:fs/promises";
import { SignError, type Signer, signerFromKeyFile } from "./formats.ts";

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
  /** Path of a PEM certificate chain (leaf first) that goes with a PEM private key (macOS packages). */
  certificate?: string;
}

async function readBytes(path: string, what: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    throw new SignError(
      "KEY_READ",
      `cannot read ${what} ${path}: ${(e as Error).message}`,
      { path },
      { cause: e },
    );
  }
}

/** Reads `path` and returns a Signer for it. */
export async function loadSigner(path: string, opts: LoadSignerOptions): Promise<Signer> {
  const bytes = await readBytes(path, "signing key");
  if (opts.passphraseEnv !== undefined && opts.env[opts.passphraseEnv] === undefined) {
    throw new SignError("KEY_LOCKED", `--passphrase-env names ${opts.passphraseEnv}, but it is not set`, {
      path,
      expected: opts.passphraseEnv,
    });
  }
  const certificatePem =
    opts.certificate !== undefined
      ? new TextDecoder().decode(await readBytes(opts.certificate, "certificate"))
      : undefined;
  return signerFromKeyFile({
    path,
    bytes,
    env: opts.env,
    ...(opts.format !== undefined ? { format: opts.format } : {}),
    ...(opts.passphraseEnv !== undefined ? { passphraseEnv: opts.passphraseEnv } : {}),
    ...(opts.keyId !== undefined ? { keyId: opts.keyId } : {}),
    ...(opts.keyName !== undefined ? { keyName: opts.keyName } : {}),
    ...(certificatePem !== undefined ? { certificatePem } : {}),
  });
}
