/**
 * A token string: `pky_` + 32 random bytes in base64url, its scopes, and the SHA-256 the database keeps.
 * Apart from tokens.ts (which stores and grants tokens) so that app/authz.ts, which reads them on every
 * request, and tokens.ts, which asks authz what a user may grant, do not import each other.
 */
import { createHash, randomBytes } from "node:crypto";

/** What a token may be used for. */
export type Scope = "read" | "write" | "publish" | "keys" | "admin";

/** Every scope, in the order lists show them. */
export const SCOPES: readonly Scope[] = ["read", "write", "publish", "keys", "admin"];

/** The prefix every packyard token starts with (secret scanners can match it). */
export const TOKEN_PREFIX = "pky_";

/** A token's shape: the prefix and 43 base64url characters (32 bytes). */
export const TOKEN_PATTERN = /^pky_[A-Za-z0-9_-]{43}$/;

/** A new token string. */
export function newToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString("base64url");
}

/** The SHA-256 of a token string, as stored. */
export function tokenHash(token: string): Uint8Array {
  return new Uint8Array(createHash("sha256").update(token, "utf8").digest());
}
