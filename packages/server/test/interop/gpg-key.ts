/**
 * A key made by gpg for the upload tests: RSA-4096, sign-only, never expiring, protected by `passphrase`
 * (`gpg --batch --quick-gen-key <uid> rsa4096 sign never` in a scratch GNUPGHOME), with its armored secret
 * and public exports. The passphrase and the secret armor's lines are recorded as secrets the logs and
 * error bodies must not hold. Made once per (uid) per file: RSA-4096 takes seconds.
 */
import assert from "node:assert/strict";
import { type Scratch, scratch, scratchGnupgHome } from "@packyard/testkit/keyrings";
import { run } from "@packyard/testkit/tools";
import { secret } from "../app-harness.ts";

/** What gpg made. */
export interface GpgKey {
  fingerprint: string;
  secretArmored: string;
  publicArmored: string;
  /** The scratch folder (the GNUPGHOME inside it); dispose it after the file's tests. */
  s: Scratch;
}

const made = new Map<string, Promise<GpgKey>>();

/** The key of user id `uid` (`Name <email>`), protected by `passphrase`. */
export function gpgKey(uid: string, passphrase: string): Promise<GpgKey> {
  let key = made.get(uid);
  if (key === undefined) {
    key = (async () => {
      secret(passphrase);
      const s = scratch("packyard-server-gpg-");
      const home = scratchGnupgHome(s);
      const gpg = (args: string[]) =>
        run("gpg", ["--homedir", home, "--batch", "--no-tty", "--pinentry-mode", "loopback", ...args]);
      gpg(["--passphrase", passphrase, "--quick-gen-key", uid, "rsa4096", "sign", "never"]);
      const email = /<([^>]+)>/.exec(uid)?.[1] ?? uid;
      const colons = gpg(["--with-colons", "--list-secret-keys", email]);
      const fingerprint = /^fpr:+([0-9A-F]{40}):/m.exec(colons)?.[1];
      assert.ok(fingerprint !== undefined, colons);
      const secretArmored = gpg(["--passphrase", passphrase, "--armor", "--export-secret-keys", fingerprint]);
      for (const line of secretArmored.split("\n")) if (/^[A-Za-z0-9+/]{60,}$/.test(line)) secret(line);
      const publicArmored = gpg(["--armor", "--export", fingerprint]);
      return { fingerprint, secretArmored, publicArmored, s };
    })();
    made.set(uid, key);
  }
  return key;
}

/** Removes the scratch folders of every key made in this file. */
export async function disposeGpgKeys(): Promise<void> {
  for (const key of made.values()) (await key.catch(() => undefined))?.s.dispose();
  made.clear();
}
