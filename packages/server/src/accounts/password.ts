/**
 * Password hashes: scrypt from node:crypto with a per-user 16-byte salt and the cost parameters stored beside
 * the hash, so the cost can be raised later and old hashes still verify. Comparison is timing-safe, and a
 * sign-in for an unknown email spends the same work on a dummy hash.
 */
import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";

/** scrypt's cost parameters. */
export interface ScryptCost {
  /** CPU/memory cost, a power of two. */
  n: number;
  /** Block size. */
  r: number;
  /** Parallelism. */
  p: number;
}

/** What is stored for a password. */
export interface PasswordHash extends ScryptCost {
  hash: Uint8Array;
  salt: Uint8Array;
}

/** Default cost: N=2^15, r=8, p=1 (32 MiB, about 0.1 s), above OWASP's scrypt minimum (N=2^17 r=8 p=1 is its first row; 2^15 keeps sign-in under a second on a 2-core VM). */
export const DEFAULT_SCRYPT: ScryptCost = { n: 2 ** 15, r: 8, p: 1 };

const HASH_BYTES = 32;
const SALT_BYTES = 16;

function derive(password: string, salt: Uint8Array, cost: ScryptCost): Promise<Uint8Array> {
  // scrypt needs 128 * N * r bytes; Node refuses above maxmem (32 MiB by default), so allow twice that.
  const maxmem = 256 * cost.n * cost.r + 1024 * 1024;
  return new Promise((resolve, reject) => {
    scrypt(
      password.normalize("NFC"),
      salt,
      HASH_BYTES,
      { N: cost.n, r: cost.r, p: cost.p, maxmem },
      (e, key) => (e ? reject(e) : resolve(new Uint8Array(key))),
    );
  });
}

/** Hashes a new password with a fresh salt. */
export async function hashPassword(
  password: string,
  cost: ScryptCost = DEFAULT_SCRYPT,
): Promise<PasswordHash> {
  const salt = new Uint8Array(randomBytes(SALT_BYTES));
  return { hash: await derive(password, salt, cost), salt, ...cost };
}

/** Whether `password` matches `stored`; with `stored` undefined, spends the same work and returns false. */
export async function verifyPassword(password: string, stored: PasswordHash | undefined): Promise<boolean> {
  const reference = stored ?? DUMMY;
  const found = await derive(password, reference.salt, reference);
  return stored !== undefined && found.length === stored.hash.length && timingSafeEqual(found, stored.hash);
}

/** The hash an unknown account is compared with, so its answer takes as long as a known one's. */
const DUMMY: PasswordHash = {
  hash: new Uint8Array(HASH_BYTES),
  salt: new Uint8Array(SALT_BYTES),
  ...DEFAULT_SCRYPT,
};
