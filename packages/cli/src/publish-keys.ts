/**
 * The repository's signing keys for `packyard publish` and `packyard repo …`: one OpenPGP secret key, or
 * two while rotating, loaded as the other commands load keys (load-signer.ts), their passphrase from
 * `--passphrase-env`, else PACKYARD_REPO_PASSPHRASE, PACKYARD_PASSPHRASE (and nfpm's names); and the RSA
 * key of the Alpine indexes (`--apk-key`), its passphrase from `--passphrase-env`, else
 * PACKYARD_APK_PASSPHRASE, PACKYARD_PASSPHRASE (the names `packyard build` reads for the same key), named
 * as `packyard build` names the project's apk signatures.
 */
import { resolve } from "node:path";
import { type OpenPGPSigner, type RSASigner, resolveKeyName } from "./formats.ts";
import { loadSigner } from "./load-signer.ts";
import { RepoError } from "./repo.ts";

/** The passphrase variables of a repository key are PACKYARD_REPO_PASSPHRASE, then the generic ones. */
export const REPO_KEY_FORMAT = "repo";

/** The command that makes a repository key, as MISSING_KEY tells it. */
export const KEYGEN_HINT =
  "packyard keygen --type openpgp --name repo --email you@example.org (writes repo.secret.asc and repo.asc)";

/** RepoError MISSING_KEY: no key was given and the config names none; says how to make one. */
export function missingKey(command: string): RepoError {
  return new RepoError(
    "MISSING_KEY",
    `packyard ${command} signs the repository, but no key was given: pass --key FILE (an OpenPGP secret key) or set publish.key in packyard.yml; make a key with: ${KEYGEN_HINT}`,
    { expected: "--key FILE" },
  );
}

/** Loads the signers of `keys` (paths relative to `cwd`); MISSING_KEY when there are none, BAD_KEY for a non-OpenPGP key. */
export async function loadRepoSigners(
  keys: readonly string[],
  opts: {
    cwd: string;
    env: Readonly<Record<string, string | undefined>>;
    passphraseEnv?: string;
    command: string;
  },
): Promise<OpenPGPSigner[]> {
  if (keys.length === 0) throw missingKey(opts.command);
  const signers: OpenPGPSigner[] = [];
  for (const key of keys) {
    const signer = await loadSigner(resolve(opts.cwd, key), {
      env: opts.env,
      format: REPO_KEY_FORMAT,
      ...(opts.passphraseEnv !== undefined ? { passphraseEnv: opts.passphraseEnv } : {}),
    });
    if (signer.kind !== "openpgp") {
      throw new RepoError(
        "BAD_KEY",
        `${key}: expected an OpenPGP secret key (apt verifies repositories with OpenPGP), found ${signer.kind === "rsa" ? "an RSA key (that is for apk packages)" : `a ${signer.kind} key`}`,
        { path: key, expected: "openpgp", found: signer.kind },
      );
    }
    signers.push(signer);
  }
  return signers;
}

/** The passphrase variables of the Alpine key are PACKYARD_APK_PASSPHRASE, then the generic ones (as for apk signing). */
export const APK_KEY_FORMAT = "apk";

/** The smallest RSA key the Alpine indexes are signed with (OpenSSL 3 and sqv refuse shorter keys). */
export const MIN_APK_KEY_BITS = 2048;

/** The command that makes an Alpine key, as MISSING_KEY tells it. */
export const APK_KEYGEN_HINT =
  "packyard keygen --type rsa --name repo --email you@example.org (writes repo.rsa and repo.rsa.pub)";

/** RepoError MISSING_KEY: the publish touches Alpine roots (`why`), and no --apk-key was given. */
export function missingApkKey(command: string, why: string): RepoError {
  return new RepoError(
    "MISSING_KEY",
    `packyard ${command} signs Alpine indexes with an RSA key, and ${why}, but no Alpine key was given: pass --apk-key FILE (an RSA private key in PEM) or set publish.apk_key in packyard.yml; make a key with: ${APK_KEYGEN_HINT}`,
    { expected: "--apk-key FILE" },
  );
}

/** How the Alpine key is found, unlocked and named. */
export interface ApkKeyOptions {
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  passphraseEnv?: string;
  /** `--apk-key-name` or `publish.alpine.key_name`, else the project's `apk.signature.key_name`. */
  keyName?: string;
  /** The project's maintainer (`Name <e-mail>`): with no key name, its e-mail names the key. */
  maintainer?: string;
}

/**
 * Loads the RSA key of the Alpine indexes from `key` (a path relative to `cwd`), named as `packyard build`
 * names the apk signatures of the same project with the same key: the key name given (`.rsa.pub` appended
 * unless it ends in `.pub`), else `<maintainer e-mail>-<8 hex>.rsa.pub`, else the key's own
 * `packyard-<8 hex>.rsa.pub`.
 * @throws RepoError BAD_KEY for a key that is not RSA, or shorter than {@link MIN_APK_KEY_BITS} bits.
 */
export async function loadApkSigner(key: string, opts: ApkKeyOptions): Promise<RSASigner> {
  const signer = await loadSigner(resolve(opts.cwd, key), {
    env: opts.env,
    format: APK_KEY_FORMAT,
    ...(opts.passphraseEnv !== undefined ? { passphraseEnv: opts.passphraseEnv } : {}),
  });
  if (signer.kind !== "rsa") {
    throw new RepoError(
      "BAD_KEY",
      `${key}: expected an RSA private key in PEM (apk verifies Alpine indexes with RSA), found ${signer.kind === "openpgp" ? "an OpenPGP key (that is for --key)" : `a ${signer.kind} key`}; make one with: ${APK_KEYGEN_HINT}`,
      { path: key, expected: "rsa", found: signer.kind },
    );
  }
  if (signer.bits < MIN_APK_KEY_BITS) {
    throw new RepoError(
      "BAD_KEY",
      `${key}: expected an RSA key of at least ${MIN_APK_KEY_BITS} bits for the Alpine indexes, found ${signer.bits} bits; make a new one with: ${APK_KEYGEN_HINT}`,
      { path: key, expected: `>= ${MIN_APK_KEY_BITS} bits`, found: signer.bits },
    );
  }
  // The same rule the apk writer applies to the project's packages, so index and packages name one key.
  const keyName = resolveKeyName(signer, opts.maintainer, opts.keyName);
  if (keyName === signer.keyName) return signer;
  return {
    kind: "rsa",
    keyName,
    bits: signer.bits,
    publicKeyPem: () => signer.publicKeyPem(),
    sign: (data, hash) => signer.sign(data, hash),
  };
}
