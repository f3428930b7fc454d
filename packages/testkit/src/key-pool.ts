/**
 * Pre-generated fixture keys (packages/server/test/fixtures/keys/pool-*, made by fixtures/keys/make-pool.ts with @packyard/formats:
 * OpenPGP v4 RSA-4096 and apk RSA-4096, as the server generates them) behind a KeyGenerator, so a test that
 * creates projects does not spend seconds per RSA-4096 key. Each pool hands its keys out in turn and starts
 * over when all were used; a test that needs N distinct keys in one project takes a fresh {@link keyPool}.
 */
import { readFileSync } from "node:fs";
import { type KeyGenerator, openpgpSecretBinary, pkcs8Der } from "@packyard/server";

/** Keys of each kind in the pool. */
export const POOL_SIZE = 4;

// The fixture keys stay beside the server's tests that made them.
const dir = new URL("../../server/test/fixtures/keys/", import.meta.url);
const read = (name: string) => readFileSync(new URL(name, dir), "utf8");

/** The pool's armored OpenPGP secret keys (RSA-4096, no passphrase), in hand-out order. */
export const POOL_OPENPGP: readonly string[] = Array.from({ length: POOL_SIZE }, (_, i) =>
  read(`pool-openpgp-${i + 1}.secret.asc`),
);
/** The pool's apk RSA-4096 private keys (PKCS#8 PEM, no passphrase), in hand-out order. */
export const POOL_APK: readonly string[] = Array.from({ length: POOL_SIZE }, (_, i) =>
  read(`pool-apk-${i + 1}.rsa`),
);

/** A KeyGenerator over the fixture keys; `start` shifts where it begins. Counts what it handed out. */
export function keyPool(start = 0): KeyGenerator & { handedOut: { openpgp: number; apk: number } } {
  const handedOut = { openpgp: 0, apk: 0 };
  return {
    handedOut,
    async openpgp() {
      const armored = POOL_OPENPGP[(start + handedOut.openpgp++) % POOL_SIZE]!;
      return { secret: openpgpSecretBinary(armored) };
    },
    async apk() {
      const pem = POOL_APK[(start + handedOut.apk++) % POOL_SIZE]!;
      return { secret: pkcs8Der(pem) };
    },
  };
}

/** The pool the test harness uses by default (shared by the file's apps). */
export const poolKeyGenerator: KeyGenerator = keyPool();
