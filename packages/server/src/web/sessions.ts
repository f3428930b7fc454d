/**
 * Sign-in sessions of the web interface. The cookie carries 32 random bytes in base64url; the database
 * keeps only their SHA-256 (table sessions, migration 0006), with the user, when the session was made and
 * last seen, its idle expiry (slid forward as it is used, never past the absolute one), its absolute expiry
 * and its revocation. A session stands for its user with every scope the user may hold (authz.ts).
 */
import { createHash, randomBytes } from "node:crypto";
import type { FastifyRequest } from "fastify";
import type { Queryable } from "../db/db.ts";

/** The session cookie's name. */
export const SESSION_COOKIE = "packyard_session";

/** A session cookie value: 32 random bytes in base64url (43 characters). */
export const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** How long sessions live. */
export interface SessionLifetimes {
  /** Ends a session not used for this long (milliseconds; default 12 hours). */
  idleMs: number;
  /** Ends a session this long after sign-in, used or not (milliseconds; default 14 days). */
  absoluteMs: number;
}

/** Default lifetimes: 12 hours idle, 14 days absolute. */
export const DEFAULT_LIFETIMES: SessionLifetimes = { idleMs: 12 * 3600_000, absoluteMs: 14 * 24 * 3600_000 };

/** The idle expiry is written at most this often per session (a page load fetches several URLs). */
const SLIDE_EVERY_MS = 60_000;

/** A live session, as a lookup finds it. */
export interface Session {
  id: number;
  userId: number;
  createdAt: Date;
  lastSeenAt: Date;
  idleExpiresAt: Date;
  expiresAt: Date;
}

/** The SHA-256 of a session id, as stored. */
export function sessionHash(id: string): Uint8Array {
  return new Uint8Array(createHash("sha256").update(id, "utf8").digest());
}

/** The session cookie's value on `request`, when it carries a well-formed one. */
export function sessionCookieOf(request: FastifyRequest): string | undefined {
  const header = request.headers.cookie;
  if (header === undefined) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== SESSION_COOKIE) continue;
    const value = part.slice(eq + 1).trim();
    return SESSION_ID_PATTERN.test(value) ? value : undefined;
  }
  return undefined;
}

/** Starts a session for `userId`; returns the cookie value (shown to the browser only) and the session. */
export async function createSession(
  db: Queryable,
  userId: number,
  now: Date,
  lifetimes: SessionLifetimes = DEFAULT_LIFETIMES,
): Promise<{ cookie: string; session: Session }> {
  // The user's ended sessions (expired or signed out) go at each sign-in, so the table holds about as many
  // rows as there are live sessions: it is never scanned, and nothing of an ended session is kept.
  await db.query(
    "DELETE FROM sessions WHERE user_id = $1 AND (revoked_at IS NOT NULL OR idle_expires_at <= $2 OR expires_at <= $2)",
    [userId, now],
  );
  const cookie = randomBytes(32).toString("base64url");
  const expiresAt = new Date(now.getTime() + lifetimes.absoluteMs);
  const idleExpiresAt = new Date(Math.min(now.getTime() + lifetimes.idleMs, expiresAt.getTime()));
  const { rows } = await db.query<{ id: number }>(
    `INSERT INTO sessions (user_id, id_sha256, created_at, last_seen_at, idle_expires_at, expires_at)
     VALUES ($1, $2, $3, $3, $4, $5) RETURNING id`,
    [userId, sessionHash(cookie), now, idleExpiresAt, expiresAt],
  );
  return {
    cookie,
    session: { id: Number(rows[0]!.id), userId, createdAt: now, lastSeenAt: now, idleExpiresAt, expiresAt },
  };
}

/** What {@link findSession} found for a cookie. */
export type SessionLookup =
  | { state: "live"; session: Session }
  | { state: "expired" | "revoked" | "unknown"; session?: undefined };

/**
 * The session a cookie value opens at `now`. A live session's idle expiry slides to `now + idleMs` (capped
 * by the absolute expiry), written at most once a minute.
 */
export async function findSession(
  db: Queryable,
  cookie: string,
  now: Date,
  lifetimes: SessionLifetimes = DEFAULT_LIFETIMES,
): Promise<SessionLookup> {
  const { rows } = await db.query<{
    id: number;
    user_id: number;
    created_at: Date;
    last_seen_at: Date;
    idle_expires_at: Date;
    expires_at: Date;
    revoked_at: Date | null;
  }>(
    `SELECT id, user_id, created_at, last_seen_at, idle_expires_at, expires_at, revoked_at
       FROM sessions WHERE id_sha256 = $1`,
    [sessionHash(cookie)],
  );
  const row = rows[0];
  if (row === undefined) return { state: "unknown" };
  if (row.revoked_at !== null) return { state: "revoked" };
  const t = now.getTime();
  if (t >= row.expires_at.getTime() || t >= row.idle_expires_at.getTime()) return { state: "expired" };
  const session: Session = {
    id: Number(row.id),
    userId: Number(row.user_id),
    createdAt: row.created_at,
    lastSeenAt: row.last_seen_at,
    idleExpiresAt: row.idle_expires_at,
    expiresAt: row.expires_at,
  };
  if (t - row.last_seen_at.getTime() >= SLIDE_EVERY_MS) {
    const idle = new Date(Math.min(t + lifetimes.idleMs, row.expires_at.getTime()));
    await db.query(
      `UPDATE sessions SET last_seen_at = $2, idle_expires_at = $3
        WHERE id = $1 AND last_seen_at < $2 AND revoked_at IS NULL`,
      [row.id, now, idle],
    );
    session.lastSeenAt = now;
    session.idleExpiresAt = idle;
  }
  return { state: "live", session };
}

/** Ends one session (sign out); revoking twice keeps the first time. */
export async function revokeSession(db: Queryable, cookie: string, now: Date): Promise<void> {
  await db.query("UPDATE sessions SET revoked_at = COALESCE(revoked_at, $2) WHERE id_sha256 = $1", [
    sessionHash(cookie),
    now,
  ]);
}

/** Ends every session of `userId` (sign out everywhere); returns how many were live. */
export async function revokeAllSessions(db: Queryable, userId: number, now: Date): Promise<number> {
  const { rowCount } = await db.query(
    "UPDATE sessions SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL",
    [userId, now],
  );
  return rowCount;
}
