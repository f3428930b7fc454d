/**
 * API tokens: `pky_` + 32 random bytes in base64url, shown once; the database keeps only the SHA-256 of the
 * whole string. A token has a name, scopes, optionally one project and an expiry, and can be revoked.
 * {@link grantToken} holds the rules of what a request may be granted; the API's token routes
 * (app/plugins/accounts.ts) and the web interface's tokens page (web/pages/settings.ts) both call it.
 */
import { actsAsAdmin, type Principal, projectAccess } from "../app/authz.ts";
import type { Db, Queryable } from "../db/db.ts";
import { ServerError } from "../errors.ts";
import { newToken, type Scope, SCOPES, tokenHash } from "./token-string.ts";

export {
  newToken,
  type Scope,
  SCOPES,
  TOKEN_PATTERN,
  TOKEN_PREFIX,
  tokenHash,
} from "./token-string.ts";

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

/** Revokes token `tokenId` of user `userId` (the API's route and the tokens page): NOT_FOUND when they have none of that id. */
export async function revokeOwnToken(
  db: Queryable,
  userId: number,
  tokenId: number,
  now: Date,
): Promise<void> {
  if (!(await revokeToken(db, userId, tokenId, now)))
    throw new ServerError("NOT_FOUND", `Expected a token of yours with id ${tokenId}, found none`, {
      field: "id",
    });
}

/** Longest token name. */
export const TOKEN_NAME_MAX = 100;

/** What a token request asks for (`POST /api/v1/tokens`, `POST /api/v1/auth/token`, the tokens page). */
export interface TokenRequest {
  /** 1 to {@link TOKEN_NAME_MAX} characters. */
  name: string;
  /** One or more of {@link SCOPES}. */
  scopes: readonly Scope[];
  /** Slug of a project to bind the token to (one the user can see). */
  project?: string;
  /** An ISO 8601 date-time in the future. */
  expiresAt?: string;
}

const invalid = (field: string, message: string, data: Record<string, unknown> = {}) =>
  new ServerError("INVALID_REQUEST", message, { field, ...data });

/**
 * Issues a token for `user` as `request` asks, within what `caller` may grant, and returns it with its string
 * (shown this once). The rules, in order:
 *
 * - the name is 1 to 100 characters and the scopes one or more known scopes (400 INVALID_REQUEST; the API's
 *   schemas refuse these first, the pages' forms reach them here);
 * - the `admin` scope only for an administrator (403 FORBIDDEN);
 * - a token asking (`caller` from a Bearer token) grants only scopes it holds itself, unless it acts as an
 *   administrator (403 FORBIDDEN); a sign-in session's principal holds every scope its user may hold, and
 *   sign-in with a password (`caller` undefined) is not narrowed;
 * - `project` must be a project the user (or the caller) can see (404 NOT_FOUND, as a missing one), and a
 *   caller bound to a project grants only tokens bound to that same project (403 FORBIDDEN);
 * - `expiresAt` must lie after `now` (400 INVALID_REQUEST).
 *
 * @example const made = await grantToken(db, clock.now(), { id: p.userId, isAdmin: p.isAdmin }, body, p);
 */
export async function grantToken(
  db: Db,
  now: Date,
  user: { id: number; isAdmin: boolean },
  request: TokenRequest,
  caller?: Principal,
): Promise<{ token: string; info: TokenInfo }> {
  const { name, scopes } = request;
  // Characters as the API's schema counts them (code points, not UTF-16 units).
  const length = [...name].length;
  if (length === 0 || length > TOKEN_NAME_MAX)
    throw invalid("name", `Expected a token name of 1 to ${TOKEN_NAME_MAX} characters, found ${length}`);
  const unknown = scopes.filter((s) => !SCOPES.includes(s));
  if (scopes.length === 0 || unknown.length > 0)
    throw invalid(
      "scopes",
      `Expected one or more scopes of ${SCOPES.join(", ")}, found ${scopes.length === 0 ? "none" : scopes.join(", ")}`,
      unknown.length === 0 ? {} : { found: unknown },
    );
  if (scopes.includes("admin") && !user.isAdmin)
    throw new ServerError("FORBIDDEN", "Expected the admin scope only on an administrator's token", {
      field: "scopes",
    });
  if (caller !== undefined && !actsAsAdmin(caller)) {
    const extra = scopes.filter((s) => !caller.scopes.includes(s));
    if (extra.length > 0)
      throw new ServerError(
        "FORBIDDEN",
        `Expected scopes within this token's (${caller.scopes.join(", ")}), found ${extra.join(", ")}`,
        { field: "scopes", found: extra },
      );
  }
  let projectId: number | null = null;
  if (request.project !== undefined) {
    const principal: Principal = caller ?? {
      userId: user.id,
      userSlug: "",
      isAdmin: user.isAdmin,
      tokenId: 0,
      scopes,
      tokenProjectId: null,
    };
    const access = await projectAccess(db, principal, request.project);
    if (access === undefined)
      throw new ServerError(
        "NOT_FOUND",
        `Expected a project named ${request.project} that you can see, found none`,
        { field: "project" },
      );
    projectId = access.id;
  }
  if (caller?.tokenProjectId != null && projectId !== caller.tokenProjectId)
    throw new ServerError(
      "FORBIDDEN",
      "Expected a token bound to this token's project, found another or none",
      {
        field: "project",
      },
    );
  let expiresAt: Date | null = null;
  if (request.expiresAt !== undefined) {
    expiresAt = new Date(request.expiresAt);
    if (!(expiresAt.getTime() > now.getTime()))
      throw invalid("expiresAt", `Expected expiresAt in the future, found ${request.expiresAt}`);
  }
  return issueToken(db, { userId: user.id, name, scopes, projectId, expiresAt }, now);
}
