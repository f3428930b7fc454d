/**
 * Read tokens of private repositories: per project, rows of api_tokens with kind 'repository', scope
 * `read` only, bound to the project (the table's check enforces both), named, optionally expiring,
 * revocable. The token string has the API tokens' shape (`pky_` + 32 random bytes), is shown once and
 * stored as its SHA-256; `user_id` records who made it. authz.ts refuses these tokens as Bearer
 * credentials, so they never reach the API.
 *
 * Package managers send them with HTTP basic auth (`Authorization: Basic base64(login:token)`): apt from
 * `/etc/apt/auth.conf.d/` (`machine <host>/r/<project>/ login <anything> password <token>`), dnf and zypper
 * from `username=`/`password=` in the `.repo` file, pacman from `https://<login>:<token>@host/...` in its
 * `Server` line. The login part is not checked (any value works; the project slug is a good one to
 * write): the token alone is the credential, and clients that need a login get to send one.
 */
import { insertToken, TOKEN_PATTERN, tokenHash } from "../accounts/tokens.ts";
import type { Queryable } from "../db/db.ts";

/** A read token as lists show it (never the token string). */
export interface ReadTokenInfo {
  id: number;
  name: string;
  /** Slug of the user who made it, or null once that user is gone. */
  createdBy: string | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
  createdAt: Date;
}

interface ReadTokenRow {
  id: number;
  name: string;
  created_by: string | null;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
  created_at: Date;
}

const toInfo = (r: ReadTokenRow): ReadTokenInfo => ({
  id: r.id,
  name: r.name,
  createdBy: r.created_by,
  expiresAt: r.expires_at,
  revokedAt: r.revoked_at,
  lastUsedAt: r.last_used_at,
  createdAt: r.created_at,
});

const COLUMNS = `t.id, t.name, u.slug AS created_by, t.expires_at, t.revoked_at, t.last_used_at, t.created_at`;

/** What {@link issueReadToken} needs. */
export interface NewReadToken {
  projectId: number;
  /** The user making it (kept as its creator). */
  userId: number;
  name: string;
  expiresAt?: Date | null;
}

/** Stores a new read token of a project; the returned token string is shown this once. */
export async function issueReadToken(
  db: Queryable,
  token: NewReadToken,
  now: Date,
): Promise<{ token: string; info: ReadTokenInfo }> {
  const made = await insertToken(
    db,
    {
      userId: token.userId,
      kind: "repository",
      name: token.name,
      scopes: ["read"],
      projectId: token.projectId,
      expiresAt: token.expiresAt ?? null,
    },
    now,
  );
  const { rows: info } = await db.query<ReadTokenRow>(
    `SELECT ${COLUMNS} FROM api_tokens t LEFT JOIN users u ON u.id = t.user_id WHERE t.id = $1`,
    [made.id],
  );
  return { token: made.token, info: toInfo(info[0]!) };
}

/** A project's read tokens, revoked and expired ones included, newest first. */
export async function listReadTokens(db: Queryable, projectId: number): Promise<ReadTokenInfo[]> {
  const { rows } = await db.query<ReadTokenRow>(
    `SELECT ${COLUMNS} FROM api_tokens t LEFT JOIN users u ON u.id = t.user_id
      WHERE t.project_id = $1 AND t.kind = 'repository' ORDER BY t.id DESC`,
    [projectId],
  );
  return rows.map(toInfo);
}

/**
 * Revokes one of a project's read tokens; false when the project has no such token. Revoking twice keeps
 * the first time.
 */
export async function revokeReadToken(
  db: Queryable,
  projectId: number,
  tokenId: number,
  now: Date,
): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $3)
      WHERE id = $1 AND project_id = $2 AND kind = 'repository'`,
    [tokenId, projectId, now],
  );
  return rowCount > 0;
}

/** The login and password of an `Authorization: Basic …` header, or undefined for anything else. */
export function basicCredentials(
  header: string | undefined,
): { login: string; password: string } | undefined {
  if (header === undefined) return undefined;
  const m = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(header);
  if (m === null) return undefined;
  const text = Buffer.from(m[1]!, "base64").toString("utf8");
  const colon = text.indexOf(":");
  if (colon < 0) return undefined;
  return { login: text.slice(0, colon), password: text.slice(colon + 1) };
}

const LAST_USED_EVERY_MS = 60_000;

/**
 * Whether an Authorization header carries a valid read token of project `projectId` (basic auth, the
 * token as password; known, of that project, kind 'repository', not revoked, not expired). Writes
 * `last_used_at` at most once a minute.
 */
export async function readTokenAllows(
  db: Queryable,
  projectId: number,
  authorization: string | undefined,
  now: Date,
): Promise<boolean> {
  const credentials = basicCredentials(authorization);
  if (credentials === undefined || !TOKEN_PATTERN.test(credentials.password)) return false;
  const { rows } = await db.query<{
    id: number;
    expires_at: Date | null;
    last_used_at: Date | null;
  }>(
    `SELECT id, expires_at, last_used_at FROM api_tokens
      WHERE token_sha256 = $1 AND kind = 'repository' AND project_id = $2 AND revoked_at IS NULL`,
    [tokenHash(credentials.password), projectId],
  );
  const row = rows[0];
  if (row === undefined) return false;
  if (row.expires_at !== null && row.expires_at.getTime() <= now.getTime()) return false;
  if (row.last_used_at === null || now.getTime() - row.last_used_at.getTime() >= LAST_USED_EVERY_MS) {
    await db.query(
      `UPDATE api_tokens SET last_used_at = $2
        WHERE id = $1 AND (last_used_at IS NULL OR last_used_at <= $3)`,
      [row.id, now, new Date(now.getTime() - LAST_USED_EVERY_MS)],
    );
  }
  return true;
}
