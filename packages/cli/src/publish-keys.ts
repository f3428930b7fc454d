/**
 * The repository's signing keys for `packyard publish` and `packyard repo …`: one OpenPGP secret key, or
 * two while rotating, loaded as the other commands load keys (load-signer.ts), their passphrase from
 * `--passphrase-env`, else PACKYARD_REPO_PASSPHRASE, PACKYARD_PASSPHRASE (and nfpm's names).
 */
import { resolve } from "node:path";
import type { OpenPGPSigner } from "./formats.ts";
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
