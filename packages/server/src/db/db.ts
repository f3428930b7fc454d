/**
 * The database port. The server speaks one SQL dialect to it: plain PostgreSQL no newer than 15 (Debian 12's),
 * with `$1, $2…` parameters, which PGlite (PostgreSQL 18 in WebAssembly) runs unchanged. Two adapters
 * implement it: {@link openPglite} (embedded, one session) and {@link openPostgres} (a `pg` pool).
 *
 * Values both adapters return alike: `int8` as a number (a `bigint` past 2^53), `numeric` as a string,
 * `timestamptz` as a Date, `bytea` as a plain Uint8Array, `json`/`jsonb` parsed, arrays as arrays.
 * Parameters: strings, numbers, booleans, null, Date, Uint8Array, arrays of strings or numbers (a PostgreSQL
 * array). JSON goes in as a string (`JSON.stringify(v)`) cast with `$n::jsonb`: `pg` would send a JS array as
 * a PostgreSQL array literal, not as JSON.
 */
import { ServerError } from "../errors.ts";

/** A result row; give `query` a type argument for its columns. */
export type Row = Record<string, unknown>;

/** What a statement returned. */
export interface QueryResult<T> {
  rows: T[];
  /** Rows returned, or changed by INSERT/UPDATE/DELETE. */
  rowCount: number;
}

/** Runs statements: the database itself, or a transaction handle. */
export interface Queryable {
  /** One statement with `$n` parameters. */
  query<T = Row>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>>;
  /** A script of one or more statements, without parameters (migrations). */
  exec(script: string): Promise<void>;
}

/** The handle a {@link Db.transaction} callback gets; valid only until the callback settles. */
export type Tx = Queryable;

/** Which adapter a {@link Db} is. */
export type DbKind = "pglite" | "postgres";

/**
 * What a {@link Db.session} callback gets: statements on one connection of its own for the callback's
 * duration, so that session state (a session advisory lock) lives exactly as long as that connection.
 *
 * - PostgreSQL: one pool client, checked out for the whole callback. Its loss (the server terminated the
 *   backend, the network dropped) is observable: {@link Session.lost} is set, and the next statement fails
 *   with DB_UNAVAILABLE. Afterwards the client goes back to the pool with its advisory locks released, or
 *   is destroyed when it was lost or could not be cleaned.
 * - PGlite: there is only one session, shared by everything in the process; a "session" is the Db itself
 *   (statements take turns as usual, nothing is held between them), never lost. Session-level locks
 *   therefore exclude nothing there: callers needing mutual exclusion on PGlite use an in-process lock
 *   keyed by {@link Session.scope} (see repos/lock.ts).
 */
export interface Session extends Queryable {
  /** True when the session is a connection of its own (PostgreSQL); false on PGlite's one shared session. */
  readonly dedicated: boolean;
  /**
   * Names the data the session is on — the same for every Db over the same database and schema in this
   * process (PGlite: instance and schema; PostgreSQL: connection target and schema) — for in-process locks.
   */
  readonly scope: string;
  /** Why the connection was lost, once it was; undefined while it is up (always, on PGlite). */
  readonly lost: Error | undefined;
  /** PostgreSQL's backend process id of the connection (`pg_backend_pid()`); undefined on PGlite. */
  readonly backendPid: number | undefined;
}

/** A database: statements outside a transaction autocommit. */
export interface Db extends Queryable {
  readonly kind: DbKind;
  /**
   * Runs `fn` with a {@link Session}: on PostgreSQL a connection held for `fn`'s whole duration (no
   * transaction is opened: statements autocommit unless `fn` says BEGIN), on PGlite the shared session.
   * Resolves or rejects with `fn`'s outcome.
   */
  session<T>(fn: (session: Session) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` in one transaction: committed when it resolves, rolled back when it throws (its error is
   * rethrown). On PGlite transactions run one at a time and nothing else runs meanwhile, so inside `fn` use
   * `tx`, never the Db itself (that is refused rather than left to deadlock).
   */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /**
   * LISTEN on `channel` (a lower-case SQL identifier, see {@link checkChannelName}): `onNotify` gets the
   * payload of every NOTIFY on it, from any connection, this one included, once the notifying transaction
   * commits. Resolves when listening, to a function that stops (idempotent). Optional: a Db without it makes
   * callers poll.
   *
   * - PGlite: the instance's own LISTEN, in process (channels are per instance, not per schema).
   * - PostgreSQL: one dedicated connection per Db, outside the pool, shared by every listener. When it is
   *   lost it is reopened (backing off up to 5 s) and LISTENs again; notifications sent meanwhile are lost,
   *   so each listener's `onGap` is called once it is back (listeners re-read what they follow). The first
   *   connection's failure rejects as DB_UNAVAILABLE.
   */
  listen?(
    channel: string,
    onNotify: (payload: string) => void,
    onGap?: () => void,
  ): Promise<() => Promise<void>>;
  /** Closes the database or pool; waits for running statements. */
  close(): Promise<void>;
}

/** Parses an `int8` the way both adapters return it: a number while exact, else a bigint. */
export function parseInt8(text: string): number | bigint {
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : BigInt(text);
}

/** A schema name safe to put in `SET search_path` unquoted-equivalent form. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Checks a schema option; returns it. */
export function checkSchemaName(schema: string): string {
  if (!SCHEMA_NAME.test(schema))
    throw new ServerError("DB_ERROR", `Expected a schema name matching ${SCHEMA_NAME}, found "${schema}"`, {
      field: "schema",
      expected: String(SCHEMA_NAME),
      found: schema,
    });
  return schema;
}

/** A LISTEN/NOTIFY channel name: a lower-case identifier, used unquoted. */
const CHANNEL_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Checks a channel name for {@link Db.listen}; returns it. */
export function checkChannelName(channel: string): string {
  if (!CHANNEL_NAME.test(channel))
    throw new ServerError(
      "DB_ERROR",
      `Expected a channel name matching ${CHANNEL_NAME}, found "${channel}"`,
      {
        field: "channel",
        expected: String(CHANNEL_NAME),
        found: channel,
      },
    );
  return channel;
}
