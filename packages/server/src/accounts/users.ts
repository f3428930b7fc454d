/** User accounts in the database: creation (with an optional password) and sign-in by email and password. */
import type { Queryable } from "../db/db.ts";
import { isUniqueViolation } from "../db/driver-error.ts";
import { ServerError } from "../errors.ts";
import {
  DEFAULT_SCRYPT,
  hashPassword,
  type PasswordHash,
  type ScryptCost,
  verifyPassword,
} from "./password.ts";

/** A user as the API shows it. */
export interface User {
  id: number;
  email: string;
  slug: string;
  isAdmin: boolean;
  createdAt: Date;
}

/** What {@link createUser} needs. */
export interface NewUser {
  email: string;
  slug: string;
  /** Absent: an account used through tokens only. */
  password?: string;
  isAdmin?: boolean;
}

interface UserRow {
  id: number;
  email: string;
  slug: string;
  is_admin: boolean;
  created_at: Date;
}

const toUser = (r: UserRow): User => ({
  id: r.id,
  email: r.email,
  slug: r.slug,
  isAdmin: r.is_admin,
  createdAt: r.created_at,
});

/** Creates a user; a taken email (compared without case) or slug is ALREADY_EXISTS. */
export async function createUser(
  db: Queryable,
  user: NewUser,
  now: Date,
  cost: ScryptCost = DEFAULT_SCRYPT,
): Promise<User> {
  const pw: PasswordHash | undefined =
    user.password === undefined ? undefined : await hashPassword(user.password, cost);
  try {
    const { rows } = await db.query<UserRow>(
      `INSERT INTO users (email, slug, is_admin, password_hash, password_salt, scrypt_n, scrypt_r, scrypt_p, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       RETURNING id, email, slug, is_admin, created_at`,
      [
        user.email,
        user.slug,
        user.isAdmin === true,
        pw?.hash ?? null,
        pw?.salt ?? null,
        pw?.n ?? null,
        pw?.r ?? null,
        pw?.p ?? null,
        now,
      ],
    );
    return toUser(rows[0]!);
  } catch (e) {
    if (isUniqueViolation(e, "users_slug_key"))
      throw new ServerError("ALREADY_EXISTS", `Expected a free user name, found ${user.slug} taken`, {
        field: "slug",
      });
    if (isUniqueViolation(e, "users_email_key"))
      throw new ServerError("ALREADY_EXISTS", "Expected an email address no account uses, found it taken", {
        field: "email",
      });
    throw e;
  }
}

/** The user with this email and password, or undefined (unknown email and wrong password alike). */
export async function signIn(db: Queryable, email: string, password: string): Promise<User | undefined> {
  const { rows } = await db.query<
    UserRow & {
      password_hash: Uint8Array | null;
      password_salt: Uint8Array | null;
      scrypt_n: number | null;
      scrypt_r: number | null;
      scrypt_p: number | null;
    }
  >(
    `SELECT id, email, slug, is_admin, created_at, password_hash, password_salt, scrypt_n, scrypt_r, scrypt_p
       FROM users WHERE lower(email) = lower($1)`,
    [email],
  );
  const row = rows[0];
  const stored: PasswordHash | undefined =
    row?.password_hash != null && row.password_salt != null
      ? {
          hash: row.password_hash,
          salt: row.password_salt,
          n: row.scrypt_n ?? 0,
          r: row.scrypt_r ?? 0,
          p: row.scrypt_p ?? 0,
        }
      : undefined;
  const ok = await verifyPassword(password, stored);
  return ok && row !== undefined ? toUser(row) : undefined;
}

/** The user with this slug, or undefined. */
export async function userBySlug(db: Queryable, slug: string): Promise<User | undefined> {
  const { rows } = await db.query<UserRow>(
    "SELECT id, email, slug, is_admin, created_at FROM users WHERE slug = $1",
    [slug],
  );
  return rows[0] === undefined ? undefined : toUser(rows[0]);
}

/** Every user, by slug. */
export async function listUsers(db: Queryable): Promise<User[]> {
  const { rows } = await db.query<UserRow>(
    "SELECT id, email, slug, is_admin, created_at FROM users ORDER BY slug",
  );
  return rows.map(toUser);
}
