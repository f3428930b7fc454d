/**
 * Turns what `pg` or PGlite throws into a {@link ServerError}: DB_UNAVAILABLE when the connection is the
 * problem, DB_ERROR with the SQLSTATE and constraint otherwise. Parameters never enter the message or data
 * (they may hold token hashes or sealed secrets); the statement is named by its first line.
 */
import { isServerError, ServerError, type ServerErrorData } from "../errors.ts";

/** Fields both drivers put on a server error (pg's DatabaseError, PGlite's DatabaseError). */
interface DriverErrorFields {
  code?: unknown;
  constraint?: unknown;
  table?: unknown;
  column?: unknown;
  detail?: unknown;
}

/** Node socket errors meaning the server cannot be reached. */
const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "EPIPE"]);

/** True for a SQLSTATE meaning the session is gone: class 08 (connection exception), 57P01-57P03 (shutdown). */
function isConnectionState(code: string): boolean {
  return code.startsWith("08") || code === "57P01" || code === "57P02" || code === "57P03";
}

/** The statement's first non-empty line, shortened, to name it in messages. */
export function statementLabel(sql: string): string {
  const line =
    sql
      .split("\n")
      .map((l) => l.trim())
      .find((l) => l !== "" && !l.startsWith("--")) ?? "";
  return line.length > 80 ? `${line.slice(0, 77)}...` : line;
}

/** Wraps a driver error; a ServerError passes through unchanged. */
export function driverError(e: unknown, sql: string): ServerError {
  if (isServerError(e)) return e;
  const fields = (typeof e === "object" && e !== null ? e : {}) as DriverErrorFields;
  const message = e instanceof Error ? e.message : String(e);
  const code = typeof fields.code === "string" ? fields.code : undefined;
  const where = `running "${statementLabel(sql)}"`;
  if (
    (code !== undefined && (NETWORK_CODES.has(code) || isConnectionState(code))) ||
    /Connection terminated|connection is closed|Client has encountered a connection error|PGlite is closed/i.test(
      message,
    )
  ) {
    return new ServerError(
      "DB_UNAVAILABLE",
      `Expected a database connection ${where}, found it lost or refused: ${message}`,
      code === undefined ? {} : { sqlState: code },
      { cause: e },
    );
  }
  const data: ServerErrorData = {};
  if (code !== undefined) data.sqlState = code;
  if (typeof fields.constraint === "string") data.constraint = fields.constraint;
  if (typeof fields.table === "string") data.table = fields.table;
  if (typeof fields.column === "string") data.field = fields.column;
  const detail = typeof fields.detail === "string" && fields.detail !== "" ? ` (${fields.detail})` : "";
  const state = code === undefined ? "" : ` [SQLSTATE ${code}]`;
  return new ServerError("DB_ERROR", `The database refused ${where}: ${message}${detail}${state}`, data, {
    cause: e,
  });
}

/** True for a DB_ERROR from a unique constraint (SQLSTATE 23505), of `constraint` when given. */
export function isUniqueViolation(e: unknown, constraint?: string): boolean {
  return (
    isServerError(e, "DB_ERROR") &&
    e.data.sqlState === "23505" &&
    (constraint === undefined || e.data.constraint === constraint)
  );
}

/** COMMIT answered ROLLBACK: a statement of the transaction failed and the callback went on regardless. */
export function abortedCommit(cause: unknown): ServerError {
  return new ServerError(
    "DB_ERROR",
    "Expected COMMIT to commit, found the transaction rolled back: a statement in it failed earlier",
    { sqlState: "25P02" },
    cause === undefined ? undefined : { cause },
  );
}

/**
 * True for a DB_ERROR from a foreign key (of `constraint` when given): a row referencing a missing one, or a
 * deletion of a row still referenced. PostgreSQL 15 reports an ON DELETE RESTRICT refusal as 23503 like the
 * others, PostgreSQL 18 (PGlite) as 23001 restrict_violation; both count.
 */
export function isForeignKeyViolation(e: unknown, constraint?: string): boolean {
  return (
    isServerError(e, "DB_ERROR") &&
    (e.data.sqlState === "23503" || e.data.sqlState === "23001") &&
    (constraint === undefined || e.data.constraint === constraint)
  );
}
