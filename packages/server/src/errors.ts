/**
 * The error class of @packyard/server. Like @packyard/repo's RepoError it carries a string `code` (a literal
 * union callers switch on), structured `data` and the original `cause`; the message says what was expected,
 * what was found and where (file, table, setting). HTTP statuses are mapped from codes in one place (the app).
 */
import type { ErrorData } from "@packyard/formats";

/** Codes of {@link ServerError}. */
export type ServerErrorCode =
  /** A migration already applied to the database differs from this build's file of the same number. */
  | "MIGRATION_CHANGED"
  /** The database holds a migration this build does not know: it was migrated by a newer packyard. */
  | "SCHEMA_TOO_NEW"
  /** The database lacks a migration older than one it has (a gap this build will not fill out of order). */
  | "MIGRATION_OUT_OF_ORDER"
  /** A migration file's name or number is not what the migrator reads (`0001_name.sql`, numbers unique). */
  | "MIGRATION_INVALID"
  /** The master key file can be read or written by group or others (it must be 0600). */
  | "MASTER_KEY_PERMISSIONS"
  /** No master key where one is required (file absent and not to be created, or an empty variable). */
  | "MASTER_KEY_MISSING"
  /** The master key is not 32 bytes (file size, or a variable that is neither 64 hex digits nor base64). */
  | "MASTER_KEY_INVALID"
  /** The master key differs from the one the database's secrets were sealed under (its check value). */
  | "MASTER_KEY_MISMATCH"
  /** A sealed secret did not open: wrong key, wrong context (project, key id, purpose) or altered bytes. */
  | "KEY_DECRYPT_FAILED"
  /** The data folder is held by another running packyard process. */
  | "DATA_DIR_LOCKED"
  /** The database could not be reached, or the connection was lost. */
  | "DB_UNAVAILABLE"
  /** The database refused a statement (constraint, syntax, serialization); `data.sqlState` has its code. */
  | "DB_ERROR"
  // Request errors of the HTTP API; statuses are mapped from these codes in app/http-errors.ts.
  /** The request's parameters, query or body do not match the route's schema (400). */
  | "INVALID_REQUEST"
  /** A token was sent in the query string, where proxies and logs keep it (400). */
  | "TOKEN_IN_QUERY"
  /** No credentials, or a token that is unknown, revoked, expired or not an API token (401). */
  | "UNAUTHENTICATED"
  /** The caller is known but its role or its token's scopes do not allow this (403). */
  | "FORBIDDEN"
  /** Sign-up is turned off on this server (`--allow-signup`) (403). */
  | "SIGNUP_DISABLED"
  /** No such route or object, or a project the caller has no role in (404). */
  | "NOT_FOUND"
  /** The name (slug, email) is taken (409). */
  | "ALREADY_EXISTS"
  /** The change would leave a project without an owner (409). */
  | "LAST_OWNER"
  /** The request body is larger than the route accepts (413). */
  | "PAYLOAD_TOO_LARGE"
  /** The request body's Content-Type is not one the route reads (415). */
  | "UNSUPPORTED_MEDIA_TYPE"
  /** Too many requests from this token or address; `Retry-After` says when to try again (429). */
  | "RATE_LIMITED"
  /** A failure the server did not expect; the response carries the request id to find it in the log (500). */
  | "INTERNAL"
  /** The database or the storage does not answer (503). */
  | "UNAVAILABLE";

/** Structured data of a {@link ServerError}. */
export interface ServerErrorData extends ErrorData {
  /** A PostgreSQL SQLSTATE, for DB_ERROR (e.g. `23505` unique violation). */
  sqlState?: string;
  /** The constraint a DB_ERROR names, when the database names one. */
  constraint?: string;
  /** A table the error is about. */
  table?: string;
}

/** A server failure: database, migrations, master key, data folder. */
export class ServerError extends Error {
  override readonly name = "ServerError";
  readonly code: ServerErrorCode;
  readonly data: ServerErrorData;
  constructor(
    code: ServerErrorCode,
    message: string,
    data: ServerErrorData = {},
    options?: { cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.data = data;
  }
}

/** True for a {@link ServerError} (also across copies of this package); with `code`, only that code. */
export function isServerError(e: unknown, code?: ServerErrorCode): e is ServerError {
  return (
    e instanceof Error &&
    e.name === "ServerError" &&
    typeof (e as ServerError).code === "string" &&
    (code === undefined || (e as ServerError).code === code)
  );
}
