/**
 * OpenPGP test keys and the keyrings the signature judges read: fresh keys made by the library (fast EdDSA
 * unless asked otherwise), the committed fixture keys (fixtures/keys, made by gpg and openssl), scratch
 * GNUPGHOMEs so gpg never touches the user's ~/.gnupg, binary keyrings for `gpgv --keyring`, and gpgv's
 * verdict. Callers check the tools first with `needTool` (gpg, gpgv).
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type GeneratedOpenPGPKey,
  type GenerateOpenPGPKeyOptions,
  generateOpenPGPKey,
  loadOpenPGPSigner,
  type OpenPGPSigner,
} from "@packyard/formats/sign";
import { FIXTURES } from "./repo.ts";
import { run, tryRun } from "./tools.ts";

/** fixtures/keys/ in the repository, with a trailing slash. */
export const KEYS_DIR = `${FIXTURES}keys/`;

/** Passphrase of the locked fixture keys (see fixtures/keys/make.sh). */
export const FIXTURE_PASSPHRASE = "packyard-test";

/** A fresh OpenPGP key and its signer. */
export interface TestKey {
  key: GeneratedOpenPGPKey;
  signer: OpenPGPSigner;
}

/**
 * Makes an OpenPGP key with the library and loads its signer. Defaults: EdDSA (`ecc`, fast), user ID
 * `Packyard Test <test@packyard.invalid>`, no passphrase, created now.
 */
export async function openpgpTestKey(options: Partial<GenerateOpenPGPKeyOptions> = {}): Promise<TestKey> {
  const key = await generateOpenPGPKey({
    type: "ecc",
    name: "Packyard Test",
    email: "test@packyard.invalid",
    ...options,
  });
  const passphrase = options.passphrase;
  const signer = await loadOpenPGPSigner(
    key.secretKeyArmored,
    passphrase === undefined ? {} : { passphrase },
  );
  return { key, signer };
}

/** A scratch directory removed by `dispose()`. */
export interface Scratch {
  dir: string;
  /** Writes `contents` to `name` in the scratch directory; returns its path. */
  file(name: string, contents: Uint8Array | string): string;
  /** Stops any gpg-agent started for the scratch GNUPGHOME, then removes the directory. */
  dispose(): void;
}

/** Creates a scratch directory under the OS temp dir. */
export function scratch(prefix = "packyard-keys-"): Scratch {
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

/** `<dir>/gnupg` (mode 700), a GNUPGHOME of the scratch directory `dir`. */
export function scratchGnupgHome(dir: string | Scratch): string {
  const home = join(typeof dir === "string" ? dir : dir.dir, "gnupg");
  mkdirSync(home, { recursive: true, mode: 0o700 });
  return home;
}

/**
 * Writes `<dir>/<name>.gpg`, a binary keyring usable by `gpgv --keyring` holding the armored public keys
 * (each `gpg --dearmor`ed; a keyring is the concatenation of the binary keys). Returns its path.
 */
export function gpgvKeyring(
  dir: string | Scratch,
  name: string,
  armoredPublicKeys: string | readonly string[],
): string {
  const d = typeof dir === "string" ? dir : dir.dir;
  const home = scratchGnupgHome(d);
  const keys = typeof armoredPublicKeys === "string" ? [armoredPublicKeys] : armoredPublicKeys;
  const parts = keys.map((armored, i) => {
    const input = join(home, `${name}.${i}.asc`);
    const output = join(home, `${name}.${i}.gpg`);
    writeFileSync(input, armored);
    run("gpg", ["--homedir", home, "--batch", "--yes", "--dearmor", "--output", output, input]);
    return readFileSync(output);
  });
  const ring = join(d, `${name}.gpg`);
  writeFileSync(ring, Buffer.concat(parts));
  return ring;
}

/** Runs gpgv with a status fd; returns the exit status, the status lines and what it says on stderr. */
export function gpgv(
  keyring: string,
  ...files: string[]
): { status: number; statusLines: string; stderr: string } {
  const r = tryRun("gpgv", ["--status-fd", "1", "--keyring", keyring, ...files]);
  return { status: r.status, statusLines: r.stdout, stderr: r.stderr };
}

/**
 * Asserts that gpgv finds a good signature `signature` over `data` (a detached signature and its file;
 * `data` omitted for a cleartext or inline signature) from a key in `keyring`, and, when `uid` is given,
 * that the key's user ID is `uid`. Returns what gpgv said.
 */
export function gpgvVerify(keyring: string, signature: string, data?: string, uid?: string): string {
  const r = gpgv(keyring, ...(data === undefined ? [signature] : [signature, data]));
  assert.equal(r.status, 0, `gpgv ${signature}: ${r.stderr}`);
  assert.match(r.stderr, uid === undefined ? /Good signature from/ : goodFrom(uid));
  return r.stderr;
}

function goodFrom(uid: string): RegExp {
  return new RegExp(`Good signature from "${uid.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}"`);
}

/** A scratch GNUPGHOME with the given armored public keys imported; returns a `gpg` runner for it. */
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
