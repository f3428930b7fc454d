/**
 * Where a signing key's passphrase comes from. Library code never reads the environment: the CLI and the
 * server call these helpers with their own environment object and pass the passphrase on as a parameter.
 */

/** Upper-cased format id as it appears inside an env var name: `tar.gz` → `TAR_GZ`. */
function envFormat(format: string): string {
  return format.toUpperCase().replace(/[^A-Z0-9]+/g, "_");
}

/**
 * Env var names that may hold the passphrase, in precedence order: `PACKYARD_<FORMAT>_PASSPHRASE`,
 * `PACKYARD_PASSPHRASE`, then nfpm's `NFPM_<FORMAT>_PASSPHRASE` and `NFPM_PASSPHRASE` for migrators.
 * @example passphraseEnvNames("deb") // ["PACKYARD_DEB_PASSPHRASE", "PACKYARD_PASSPHRASE", "NFPM_DEB_PASSPHRASE", "NFPM_PASSPHRASE"]
 */
export function passphraseEnvNames(format?: string): string[] {
  if (format === undefined || format === "") return ["PACKYARD_PASSPHRASE", "NFPM_PASSPHRASE"];
  const f = envFormat(format);
  return [`PACKYARD_${f}_PASSPHRASE`, "PACKYARD_PASSPHRASE", `NFPM_${f}_PASSPHRASE`, "NFPM_PASSPHRASE"];
}

/**
 * Picks the first non-empty passphrase from `env` (the caller's environment object) following
 * {@link passphraseEnvNames}; returns the variable name too so the CLI can say where it came from.
 */
export function resolvePassphrase(
  env: Readonly<Record<string, string | undefined>>,
  format?: string,
): { name: string; passphrase: string } | undefined {
  for (const name of passphraseEnvNames(format)) {
    const value = env[name];
    if (value !== undefined && value !== "") return { name, passphrase: value };
  }
  return undefined;
}
