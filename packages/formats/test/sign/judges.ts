/**
 * Scratch keyrings for the signature judges (gpgv, gpg, openssl) used by the sign interop tests.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { run, tryRun } from "@packyard/testkit/tools";

/** fixtures/keys/ in the repository. */
export const KEYS_DIR = fileURLToPath(new URL("../../../../fixtures/keys/", import.meta.url));

/** Passphrase of the locked fixture keys (see fixtures/keys/make.sh). */
export const FIXTURE_PASSPHRASE = "packyard-test";

/** A scratch directory removed by `dispose()`. */
export interface Scratch {
  dir: string;
  file(name: string, contents: Uint8Array | string): string;
  dispose(): void;
}

/** Creates a scratch directory under the OS temp dir. */
export function scratch(prefix = "packyard-sign-"): Scratch {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    file(name, contents) {
      const p = join(dir, name);
      writeFileSync(p, contents);
      return p;
    },
    dispose() {
      tryRun("gpgconf", ["--homedir", join(dir, "gnupg"), "--kill", "all"]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The scratch GNUPGHOME of `s` (mode 700), so gpg never reads or writes the user's ~/.gnupg. */
export function scratchGnupgHome(s: Scratch): string {
  const home = join(s.dir, "gnupg");
  mkdirSync(home, { recursive: true, mode: 0o700 });
  return home;
}

/** Writes a binary keyring (gpg --dearmor of an armored key) usable by `gpgv --keyring`. */
export function gpgvKeyring(s: Scratch, name: string, armoredPublicKey: string): string {
  const armored = s.file(`${name}.asc`, armoredPublicKey);
  const out = join(s.dir, `${name}.gpg`);
  run("gpg", ["--homedir", scratchGnupgHome(s), "--batch", "--yes", "--dearmor", "--output", out, armored]);
  return out;
}

/** Runs gpgv with a status fd; returns the exit status and the status lines. */
export function gpgv(
  keyring: string,
  ...files: string[]
): { status: number; statusLines: string; stderr: string } {
  const r = tryRun("gpgv", ["--status-fd", "1", "--keyring", keyring, ...files]);
  return { status: r.status, statusLines: r.stdout, stderr: r.stderr };
}

/** A scratch GNUPGHOME with the given armored public key imported; returns a `gpg` runner for it. */
export function gpgHome(
  s: Scratch,
  armoredPublicKeys: string[],
): (args: string[]) => { status: number; stdout: string; stderr: string } {
  const home = scratchGnupgHome(s);
  // gpg-agent otherwise calibrates the S2K count for every protect/unprotect (seconds per call).
  writeFileSync(join(home, "gpg-agent.conf"), "s2k-count 65536\n");
  const gpg = (args: string[]) => tryRun("gpg", ["--homedir", home, "--batch", "--no-tty", ...args]);
  armoredPublicKeys.forEach((k, i) => {
    const r = gpg(["--import", s.file(`import-${i}.asc`, k)]);
    if (r.status !== 0) throw new Error(`gpg --import failed: ${r.stderr}`);
  });
  return gpg;
}

/**
 * Fields of gpg's `VALIDSIG` status line (doc/DETAILS): signing-key fingerprint, creation timestamp,
 * signature version, public-key and hash algorithm ids, and the primary key fingerprint.
 */
export function validSig(statusLines: string):
  | {
      fingerprint: string;
      created: number;
      version: number;
      pubkeyAlgo: number;
      hashAlgo: number;
      primary: string;
    }
  | undefined {
  const line = statusLines.split("\n").find((l) => l.startsWith("[GNUPG:] VALIDSIG "));
  if (line === undefined) return undefined;
  const f = line.split(" ").slice(2);
  return {
    fingerprint: f[0] ?? "",
    created: Number(f[2]),
    version: Number(f[4]),
    pubkeyAlgo: Number(f[6]),
    hashAlgo: Number(f[7]),
    primary: f[9] ?? "",
  };
}
