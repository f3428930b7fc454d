/** JSON schemas the routes share: objects as the API shows them, names, and error answers. */
import { SCOPES } from "../accounts/tokens.ts";
import { ROLES } from "./authz.ts";
import { ERROR_SCHEMA } from "./http-errors.ts";

/** A user or project slug: `[a-z0-9][a-z0-9-]{1,62}`. */
export const SLUG = { type: "string", pattern: "^[a-z0-9][a-z0-9-]{1,62}$" } as const;

export const EMAIL = { type: "string", pattern: "^[^@\\s]+@[^@\\s]+$", maxLength: 254 } as const;

/** Passwords: at least 10 characters; the upper bound keeps scrypt's input small. */
export const PASSWORD = { type: "string", minLength: 10, maxLength: 1024 } as const;

export const SCOPE = { type: "string", enum: [...SCOPES] } as const;

export const ROLE = { type: "string", enum: [...ROLES] } as const;

const DATE = { type: "string", format: "date-time" } as const;
const NULLABLE_DATE = { type: ["string", "null"], format: "date-time" } as const;

export const USER = {
  type: "object",
  required: ["id", "email", "slug", "isAdmin", "createdAt"],
  properties: {
    id: { type: "integer" },
    email: { type: "string" },
    slug: { type: "string" },
    isAdmin: { type: "boolean" },
    createdAt: DATE,
  },
} as const;

export const TOKEN_INFO = {
  type: "object",
  required: ["id", "name", "scopes", "project", "expiresAt", "revokedAt", "lastUsedAt", "createdAt"],
  properties: {
    id: { type: "integer" },
    name: { type: "string" },
    scopes: { type: "array", items: { type: "string" } },
    project: { type: ["string", "null"] },
    expiresAt: NULLABLE_DATE,
    revokedAt: NULLABLE_DATE,
    lastUsedAt: NULLABLE_DATE,
    createdAt: DATE,
  },
} as const;

/** A new token: its info and, this once, the token string. */
export const NEW_TOKEN = {
  type: "object",
  required: ["token", "info"],
  properties: { token: { type: "string" }, info: TOKEN_INFO },
} as const;

/** What a request for a new token says (sign-in adds email and password). */
export const TOKEN_REQUEST_PROPERTIES = {
  name: { type: "string", minLength: 1, maxLength: 100 },
  scopes: { type: "array", items: SCOPE, minItems: 1, uniqueItems: true },
  project: SLUG,
  expiresAt: { type: "string", format: "date-time" },
} as const;

export const PROJECT = {
  type: "object",
  required: ["id", "slug", "displayName", "role", "createdAt"],
  properties: {
    id: { type: "integer" },
    slug: { type: "string" },
    displayName: { type: "string" },
    role: { type: "string" },
    createdAt: DATE,
  },
} as const;

export const MEMBER = {
  type: "object",
  required: ["user", "role", "since"],
  properties: { user: { type: "string" }, role: { type: "string" }, since: DATE },
} as const;

/** Error answers every route may give. */
export const ERRORS = {
  "4xx": ERROR_SCHEMA,
  "5xx": ERROR_SCHEMA,
} as const;

/** An empty success answer (204). */
export const NO_CONTENT = { 204: { type: "null" }, ...ERRORS } as const;
