/**
 * What `packyard keygen` produces, as data: file names, contents and modes. The CLI writes the files and
 * prints the fingerprint; nothing here touches the file system.
 */
import { SpecError } from "../errors.ts";
import { generateOpenPGPKey, type OpenPGPKeyType } from "./openpgp.ts";
import { apkKeyName, generateRSAKey, rsaKeyFingerprint } from "./rsa.ts";

/** Options of {@link keygen}. */
export interface KeygenOptions {
  /** `openpgp` (deb, rpm, Arch, repository indexes) or `rsa` (Alpine). */
  type: "openpgp" | "rsa";
  /** Base file name: `N.asc` / `N.secret.asc`, or `N.rsa` / `N.rsa.pub`. */
  name: string;
  email: string;
  passphrase?: string;
  /** OpenPGP only: `rsa` (default, RSA-4096) or `ecc` (legacy EdDSA); `curve25519` is refused. */
  algorithm?: OpenPGPKeyType;
  /** Key size for RSA keys (either type), default 4096. */
  bits?: 2048 | 3072 | 4096;
  /** OpenPGP only: user ID name (defaults to `name`). */
  userName?: string;
  /** OpenPGP only: key creation time (default now). */
  date?: Date;
}

/** One file to write. */
export interface KeygenFile {
  name: string;
  contents: string;
  /** 0o600 for secret keys, 0o644 for public ones. */
  mode: number;
}

/** Result of {@link keygen}. */
export interface KeygenResult {
  files: KeygenFile[];
  /** OpenPGP: primary key fingerprint (40 hex). RSA: SHA-256 of the DER public key (64 hex). */
  fingerprint: string;
  /** RSA only: the apk key name (`<email>-<8hex>.rsa.pub`) to use when the public key is published under that name. */
  apkKeyName?: string;
}

/**
 * Generates a signing key and returns the files `packyard keygen` writes.
 * @throws SpecError INVALID_FIELD for a bad name, UNSUPPORTED_KEY_TYPE for curve25519.
 */
export async function keygen(options: KeygenOptions): Promise<KeygenResult> {
  const { name } = options;
  if (name === "" || name === "." || name === ".." || /[/\\\0]/.test(name)) {
    throw new SpecError("INVALID_FIELD", `name: expected a plain file name (no slashes), found '${name}'`, {
      field: "name",
      found: name,
    });
  }
  if (options.type === "openpgp") {
    const key = await generateOpenPGPKey({
      type: options.algorithm ?? "rsa",
      name: options.userName ?? name,
      email: options.email,
      ...(options.passphrase !== undefined ? { passphrase: options.passphrase } : {}),
      ...(options.bits !== undefined ? { rsaBits: options.bits } : {}),
      ...(options.date !== undefined ? { date: options.date } : {}),
    });
    return {
      files: [
        { name: `${name}.asc`, contents: key.publicKeyArmored, mode: 0o644 },
        { name: `${name}.secret.asc`, contents: key.secretKeyArmored, mode: 0o600 },
      ],
      fingerprint: key.fingerprint,
    };
  }
  if (options.type === "rsa") {
    if (options.algorithm !== undefined && options.algorithm !== "rsa") {
      throw new SpecError(
        "UNSUPPORTED_KEY_TYPE",
        `algorithm: expected 'rsa' for an apk (RSA) key, found '${options.algorithm}'`,
        {
          field: "algorithm",
          found: options.algorithm,
        },
      );
    }
    const key = await generateRSAKey({
      ...(options.bits !== undefined ? { bits: options.bits } : {}),
      ...(options.passphrase !== undefined ? { passphrase: options.passphrase } : {}),
    });
    const result: KeygenResult = {
      files: [
        { name: `${name}.rsa`, contents: key.privateKeyPem, mode: 0o600 },
        { name: `${name}.rsa.pub`, contents: key.publicKeyPem, mode: 0o644 },
      ],
      fingerprint: rsaKeyFingerprint(key.publicKeyPem),
    };
    if (options.email !== "") result.apkKeyName = apkKeyName(options.email, key.publicKeyPem);
    return result;
  }
  throw new SpecError(
    "UNSUPPORTED_KEY_TYPE",
    `type: expected 'openpgp' or 'rsa', found '${String(options.type)}'`,
    {
      field: "type",
      found: options.type,
    },
  );
}
