/**
 * API tokens: `pky_` + 32 random bytes in base64url, shown once; the database keeps only the SHA-256 of the
 * whole string. A token has a name, scopes, optionally one project and an expiry, and can be revoked.
 */
import { createHash, randomBytes } from "node:crypto";
import type { Queryable } from "../db/db.ts";

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

/** A token as lists show it (never the token string). */
export interface TokenInfo {
  id: number;
  name: string;
  scopes: Scope[];
  /** Slug of the project the token is bound to, or null. */
  project: string | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
  createdAt: Date;
}

/** What {@link issueToken} needs. */
export interface NewToken {
  userId: number;
  name: string;
  scopes: readonly Scope[];
  /** Project id to bind the token to. */
  projectId?: number | null;
  expiresAt?: Date | null;
}

interface TokenRow {
  id: number;
  name: string;
  scopes: Scope[];
  project: string | null;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
  created_at: Date;
}

const toInfo = (r: TokenRow): TokenInfo => ({
  id: r.id,
  name: r.name,
  scopes: r.scopes,
  project: r.project,
  expiresAt: r.expires_at,
  revokedAt: r.revoked_at,
  lastUsedAt: r.last_used_at,
  createdAt: r.created_at,
});

const TOKEN_COLUMNS = `t.id, t.name, t.scopes, p.slug AS project, t.expires_at, t.revoked_at, t.last_used_at,
  t.created_at`;

/**
 * Inserts a token row (an API token, or a project's repository read token) with a new random token string;
 * returns the string, shown this once, and the row's id. Only the string's SHA-256 is stored.
 */
export async function insertToken(
  db: Queryable,
  row: {
    userId: number;
    kind: "api" | "repository";
    name: string;
    scopes: readonly Scope[];
    projectId: number | null;
    expiresAt: Date | null;
  },
  now: Date,
): Promise<{ token: string; id: number }> {
  const token = newToken();
  const { rows } = await db.query<{ id: number }>(
    `INSERT INTO api_tokens (user_id, kind, name, token_sha256, scopes, project_id, expires_at, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
    [row.userId, row.kind, row.name, tokenHash(token), row.scopes, row.projectId, row.expiresAt, now],
  );
  return { token, id: rows[0]!.id };
}

/** Stores a new API token and returns it with its string, which is shown this once. */
export async function issueToken(
  db: Queryable,
  token: NewToken,
  now: Date,
): Promise<{ token: string; info: TokenInfo }> {
  const made = await insertToken(
    db,
    {
      userId: token.userId,
      kind: "api",
      name: token.name,
      scopes: SCOPES.filter((s) => token.scopes.includes(s)),
      projectId: token.projectId ?? null,
      expiresAt: token.expiresAt ?? null,
    },
    now,
  );
  const { rows: info } = await db.query<TokenRow>(
    `SELECT ${TOKEN_COLUMNS} FROM api_tokens t LEFT JOIN projects p ON p.id = t.project_id WHERE t.id = $1`,
    [made.id],
  );
  return { token: made.token, info: toInfo(info[0]!) };
}

/** A user's API tokens, newest first. */
export async function listTokens(db: Queryable, userId: number): Promise<TokenInfo[]> {
  const { rows } = await db.query<TokenRow>(
    `SELECT ${TOKEN_COLUMNS} FROM api_tokens t LEFT JOIN projects p ON p.id = t.project_id
      WHERE t.user_id = $1 AND t.kind = 'api' ORDER BY t.id DESC`,
    [userId],
  );
  return rows.map(toInfo);
}

/** Revokes one of a user's tokens; false when the user has no such token. Revoking twice keeps the first time. */
export async function revokeToken(
  db: Queryable,
  userId: number,
  tokenId: number,
  now: Date,
): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $3)
      WHERE id = $1 AND user_id = $2 AND kind = 'api'`,
    [tokenId, userId, now],
  );
  return rowCount > 0;
}
