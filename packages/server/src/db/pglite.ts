/**
 * The embedded adapter: PGlite, PostgreSQL compiled to WebAssembly, in this process. PGlite has one session,
 * so row locks, SKIP LOCKED and advisory locks exclude nothing between callers; this adapter makes every
 * statement and every whole transaction take turns on one {@link Mutex} per PGlite instance instead. A
 * transaction therefore excludes every other caller until it ends: keep storage I/O out of transactions.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { PGlite, type Transaction } from "@electric-sql/pglite";
import { isServerError, ServerError } from "../errors.ts";
import {
  checkChannelName,
  checkSchemaName,
  type Db,
  parseInt8,
  type QueryResult,
  type Queryable,
  type Session,
  type Tx,
} from "./db.ts";
import { abortedCommit, driverError } from "./driver-error.ts";
import { Mutex } from "./mutex.ts";

/** Options of {@link openPglite}. */
export interface PgliteOptions {
  /** Folder holding the database files (created on first open); absent: a database in memory. */
  dataDir?: string;
  /** Schema that unqualified names resolve to (default: PostgreSQL's `public`). Must already exist. */
  schema?: string;
}

/** Options of {@link pgliteDb}. */
export interface PgliteDbOptions {
  /** As {@link PgliteOptions.schema}: set as the search path at the start of each turn. */
  schema?: string;
  /** Whether `close()` closes the PGlite instance too (default true). */
  ownsInstance?: boolean;
}

/** One mutex per PGlite instance, shared by every Db made over it. */
const turns = new WeakMap<PGlite, Mutex>();
/** A number per PGlite instance, for {@link Session.scope}. */
const instanceNumbers = new WeakMap<PGlite, number>();
let instancesSeen = 0;
/**
 * Set while a transaction callback runs, to refuse `db.query` from inside it (it would wait forever). `open`
 * turns false when the transaction ends, for work the callback started that outlives it.
 */
const inTransaction = new AsyncLocalStorage<{ instance: PGlite; open: boolean }>();

function toResult<T>(r: { rows: unknown[]; affectedRows?: number }): QueryResult<T> {
  return { rows: r.rows as T[], rowCount: Math.max(r.affectedRows ?? 0, r.rows.length) };
}

/** PGlite's `query`/`exec`, from the instance or a transaction, behind the port's error mapping. */
function queryable(target: PGlite | Transaction): Queryable {
  return {
    async query<T>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<T>> {
      try {
        return toResult<T>(await target.query(sql, params as unknown[]));
      } catch (e) {
        throw driverError(e, sql);
      }
    },
    async exec(script: string): Promise<void> {
      try {
        await target.exec(script);
      } catch (e) {
        throw driverError(e, script);
      }
    },
  };
}

/**
 * Opens (or creates) a PGlite database and returns it as a {@link Db}.
 *
 * @example const db = await openPglite({ dataDir: "./packyard-data/db" });
 */
export async function openPglite(options: PgliteOptions = {}): Promise<Db> {
  let instance: PGlite;
  try {
    instance = await PGlite.create({
      ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
      parsers: { 20: parseInt8 },
    });
  } catch (e) {
    throw new ServerError(
      "DB_UNAVAILABLE",
      `Expected to open the embedded database${options.dataDir === undefined ? " in memory" : ` in ${options.dataDir}`}, found: ${e instanceof Error ? e.message : String(e)}`,
      options.dataDir === undefined ? {} : { path: options.dataDir },
      { cause: e },
    );
  }
  return pgliteDb(instance, options.schema === undefined ? {} : { schema: options.schema });
}

/**
 * A {@link Db} over an open PGlite instance. Several may share one instance (tests give each its own schema);
 * they take turns on the instance's one session.
 */
export function pgliteDb(instance: PGlite, options: PgliteDbOptions = {}): Db {
  let mutex = turns.get(instance);
  if (mutex === undefined) turns.set(instance, (mutex = new Mutex()));
  const turn = mutex;
  const schema = options.schema === undefined ? undefined : checkSchemaName(options.schema);
  let instanceNumber = instanceNumbers.get(instance);
  if (instanceNumber === undefined) instanceNumbers.set(instance, (instanceNumber = ++instancesSeen));
  const scope = `pglite:${instanceNumber}:${schema ?? ""}`;
  const direct = queryable(instance);
  let closed = false;

  /** Runs `fn` on its turn, after pointing the session at this Db's schema. */
  function onTurn<T>(what: string, fn: () => Promise<T>): Promise<T> {
    if (closed) return Promise.reject(new ServerError("DB_UNAVAILABLE", `The database is closed (${what})`));
    const current = inTransaction.getStore();
    if (current?.instance === instance && current.open)
      return Promise.reject(
        new ServerError(
          "DB_ERROR",
          `Expected ${what} to use the transaction handle inside a transaction, found a call on the database itself (on PGlite it would wait for the transaction forever)`,
        ),
      );
    return turn.run(async () => {
      if (schema !== undefined) await direct.exec(`SET search_path TO ${schema}`);
      return fn();
    });
  }

  return {
    kind: "pglite",
    query<T>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>> {
      return onTurn("a query", () => direct.query<T>(sql, params));
    },
    exec(script: string): Promise<void> {
      return onTurn("a script", () => direct.exec(script));
    },
    transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
      return onTurn("a transaction", async () => {
        let committing = false;
        const marker = { instance, open: true };
        try {
          return await instance.transaction((t) =>
            inTransaction.run(marker, async () => {
              const result = await fn(queryable(t));
              committing = true;
              return result;
            }),
          );
        } catch (e) {
          if (committing) throw commitError(e);
          // The callback's own errors pass through as thrown; a failed BEGIN is the driver's.
          throw isServerError(e) || !isDriverError(e) ? e : driverError(e, "BEGIN");
        } finally {
          marker.open = false;
        }
      });
    },
    session<T>(fn: (session: Session) => Promise<T>): Promise<T> {
      // PGlite has one session for everything: the "session" is the Db itself, never lost (see Session).
      const session: Session = {
        dedicated: false,
        scope,
        lost: undefined,
        backendPid: undefined,
        query<R>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
          return onTurn("a query", () => direct.query<R>(sql, params));
        },
        exec: (script) => onTurn("a script", () => direct.exec(script)),
      };
      return fn(session);
    },
    listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>> {
      checkChannelName(channel);
      // A callback of this call's own: PGlite keeps a set of callbacks per channel and UNLISTENs with the last.
      const callback = (payload: string): void => onNotify(payload);
      return onTurn("a LISTEN", async () => {
        let stop: (() => Promise<void>) | undefined;
        try {
          stop = await instance.listen(channel, callback);
        } catch (e) {
          throw driverError(e, `LISTEN ${channel}`);
        }
        return async () => {
          const s = stop;
          stop = undefined;
          if (s === undefined || closed || instance.closed) return;
          await onTurn("an UNLISTEN", () => s()).catch(() => {});
        };
      });
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await turn.run(async () => {
        if (options.ownsInstance !== false && !instance.closed) await instance.close();
      });
    },
  };
}

/** What a failed COMMIT becomes; the same for both adapters. */
function commitError(e: unknown): ServerError {
  // PGlite throws SQLSTATE 25P02 when COMMIT answered ROLLBACK: a statement in the transaction had failed.
  if ((e as { code?: unknown }).code === "25P02") return abortedCommit(e);
  return driverError(e, "COMMIT");
}

/** True for what PGlite throws from the server (it carries a SQLSTATE). */
function isDriverError(e: unknown): boolean {
  return (
    e instanceof Error && typeof (e as { code?: unknown }).code === "string" && "severity" in (e as object)
  );
}
