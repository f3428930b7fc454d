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
  /** An upload's, file's or repository's name is outside what the server accepts (`[A-Za-z0-9._-]{1,128}`, not `.`/`..`) (400). */
  | "INVALID_NAME"
  /** The uploaded bytes' SHA-256 differs from the one the client declared (422). */
  | "CHECKSUM_MISMATCH"
  /** An uploaded file is not a package the formats readers read; `data.readerCode` has the reader's code (422). */
  | "NOT_A_PACKAGE"
  /** A packyard.yml the formats config loader refused; `data.loaderCode` and `data.field` are the loader's (422). */
  | "INVALID_CONFIG"
  /** The same name + version + architecture is held with other bytes (409). */
  | "VERSION_EXISTS"
  /** An uploaded signing key could not be read as an OpenPGP or PEM key (422). */
  | "KEY_INVALID"
  /** An uploaded signing key holds no secret key material (422). */
  | "KEY_PUBLIC_ONLY"
  /** An uploaded signing key is not an RSA v4 key (curve25519, v6 and other algorithms are refused) (422). */
  | "KEY_ALGORITHM_UNSUPPORTED"
  /** An uploaded RSA key is shorter than 2048 bits (422). */
  | "KEY_TOO_WEAK"
  /** An uploaded signing key (or its signing subkey) has expired or is revoked (422). */
  | "KEY_EXPIRED"
  /** The passphrase does not unlock the uploaded key, or the key is locked and none was given (422). */
  | "KEY_PASSPHRASE_WRONG"
  /**
   * @packyard/repo refused a repository setting or a publish: a target, architecture or setting the
   * repository cannot serve, or a package signed by another key; `data.repoCode` has the library's code (422).
   */
  | "REPO_REFUSED"
  /** The change would alter Origin, Label or Codename of a published APT suite (409). */
  | "REPO_IDENTITY_LOCKED"
  /** The repository's publish lock was lost (connection to the database gone) before a write (503). */
  | "LOCK_LOST"
  /** The repository is being published by someone else and did not free up in time (503). */
  | "LOCK_TIMEOUT"
  // Builds (queue, agents, webhooks).
  /** A build names a target id the catalogue does not have (422). */
  | "UNKNOWN_TARGET"
  /** A build needs source files (access names its packyard.yml references) that are not uploaded (422). */
  | "MISSING_SOURCE"
  /** A build's version is not newer than the package's last succeeded build for a target (409). */
  | "VERSION_NOT_NEWER"
  /** A call from an agent carries an attempt number older than the job's current one (fencing) (409). */
  | "STALE_ATTEMPT"
  /** The job is not in a state that allows this (e.g. completing a cancelled job) (409). */
  | "JOB_STATE"
  /** An agent's uploaded package is unreadable or not the name, version or architecture the job asked for (422). */
  | "ARTIFACT_INVALID"
  /** A webhook's signature header is missing or does not match the body (401). */
  | "BAD_SIGNATURE"
  /** A signed source URL has expired or was altered (403). */
  | "URL_INVALID"
  /** A state-changing request made with the session cookie lacks a valid CSRF token, or comes from another origin (403). */
  | "CSRF_INVALID"
  /** The sign-in session has expired (idle or absolute) or was signed out (401). */
  | "SESSION_EXPIRED"
  /** A quota of the billing account's plan is used up; a higher plan lifts it (402). */
  | "PLAN_LIMIT_REACHED"
  /** The billing account's subscription is not active (past_due or canceled): new writes stop (403). */
  | "SUBSCRIPTION_INACTIVE"
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
