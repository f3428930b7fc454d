/**
 * The PostgreSQL adapter: a `pg` pool. Statements outside a transaction run on any pooled connection; a
 * transaction holds one connection from BEGIN to COMMIT/ROLLBACK. A connection that failed mid-transaction
 * is destroyed, not returned to the pool. A session ({@link Db.session}) holds one connection for its
 * callback's duration; its loss is watched, and it goes back to the pool without advisory locks (or is
 * destroyed).
 */
import pg from "pg";
import { ServerError } from "../errors.ts";
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

/** Options of {@link openPostgres}. */
export interface PostgresOptions {
  /** `postgres://user:password@host:port/database` (what DATABASE_URL holds). */
  connectionString: string;
  /** Most connections the pool opens (default 10). */
  max?: number;
  /** Schema that unqualified names resolve to (default: the server's search_path). Must already exist. */
  schema?: string;
  /** Called with errors of idle pooled connections (e.g. the server closed them); without it they are dropped. */
  onIdleError?: (error: Error) => void;
  /** Name shown in pg_stat_activity (default "packyard"). */
  applicationName?: string;
}

/** `bytea` in text form (`\x` + hex) as a plain Uint8Array, as PGlite returns it. */
function parseBytea(text: string): Uint8Array {
  return Uint8Array.from(Buffer.from(text.slice(2), "hex"));
}

/** pg's parsers, with int8 and bytea returned as PGlite returns them. */
const types = {
  getTypeParser(oid: number, format?: "text" | "binary"): unknown {
    if (format !== "binary") {
      if (oid === 20) return parseInt8;
      if (oid === 17) return parseBytea;
    }
    return pg.types.getTypeParser(oid, format ?? "text");
  },
} as unknown as pg.CustomTypesConfig;

function toResult<T>(r: pg.QueryResult): QueryResult<T> {
  return { rows: r.rows as T[], rowCount: r.rowCount ?? r.rows.length };
}

/** Statements on a pool or on one client; `usable` is checked first (a transaction handle dies with it). */
function queryable(target: pg.Pool | pg.PoolClient, usable: () => void = () => {}): Queryable {
  return {
    async query<T>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<T>> {
      usable();
      try {
        return toResult<T>(await target.query(sql, params as unknown[]));
      } catch (e) {
        throw driverError(e, sql);
      }
    },
    async exec(script: string): Promise<void> {
      usable();
      try {
        // Without parameters pg uses the simple query protocol, which runs several statements.
        await target.query(script);
      } catch (e) {
        throw driverError(e, script);
      }
    },
  };
}

/**
 * Connects a pool to PostgreSQL and returns it as a {@link Db}; the first connection is made (and its
 * failure thrown as DB_UNAVAILABLE) before this resolves.
 *
 * @example const db = await openPostgres({ connectionString: process.env.DATABASE_URL! });
 */
export async function openPostgres(options: PostgresOptions): Promise<Db> {
  const schema = options.schema === undefined ? undefined : checkSchemaName(options.schema);
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max ?? 10,
    types,
    application_name: options.applicationName ?? "packyard",
    ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }),
  });
  pool.on("error", (e) => options.onIdleError?.(e));
  const direct = queryable(pool);

  async function connect(): Promise<pg.PoolClient> {
    try {
      return await pool.connect();
    } catch (e) {
      throw new ServerError(
        "DB_UNAVAILABLE",
        `Expected to connect to PostgreSQL at ${redactUrl(options.connectionString)}, found: ${e instanceof Error ? e.message : String(e)}`,
        {},
        { cause: e },
      );
    }
  }
  // Fail now, not on the first request, when the server is unreachable or refuses the credentials.
  (await connect()).release();
  const listener = pgListener(options);
  const scope = `postgres:${targetOf(options.connectionString)}:${schema ?? ""}`;

  return {
    kind: "postgres",
    query: (sql, params) => direct.query(sql, params),
    exec: (script) => direct.exec(script),
    async transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
      const client = await connect();
      // A checked-out client emits 'error' when its connection dies (the pool listens only to idle ones);
      // unheard, that would end the process. The failing statement reports it as DB_UNAVAILABLE instead.
      const onError = (): void => {};
      client.on("error", onError);
      const release = (destroy?: boolean): void => {
        client.off("error", onError);
        client.release(destroy);
      };
      let stage: "begin" | "run" | "commit" | "done" = "begin";
      const tx = queryable(client, () => {
        if (stage === "done")
          throw new ServerError(
            "DB_ERROR",
            "Expected a transaction handle in use, found it after its transaction ended",
          );
      });
      let result: T;
      try {
        await tx.query("BEGIN");
        stage = "run";
        result = await fn(tx);
        stage = "commit";
        const commit = await client.query("COMMIT");
        // PostgreSQL answers COMMIT of a transaction an earlier statement aborted with ROLLBACK, no error.
        if (commit.command === "ROLLBACK") throw abortedCommit(undefined);
      } catch (e) {
        const failedAt = stage;
        stage = "done";
        try {
          await client.query("ROLLBACK");
          release();
        } catch {
          release(true);
        }
        throw failedAt === "commit" ? driverError(e, "COMMIT") : e;
      }
      stage = "done";
      release();
      return result;
    },
    async session<T>(fn: (session: Session) => Promise<T>): Promise<T> {
      const client = await connect();
      let lost: Error | undefined;
      let done = false;
      // A checked-out client emits 'error' when its backend is terminated or the socket drops, then 'end';
      // both are heard here (unheard, 'error' would end the process) and make the session lost.
      const onError = (e: Error): void => {
        lost ??= e;
      };
      const onEnd = (): void => {
        lost ??= new Error("the connection was closed");
      };
      client.on("error", onError);
      client.on("end", onEnd);
      const statements = queryable(client, () => {
        if (done)
          throw new ServerError(
            "DB_ERROR",
            "Expected a session handle in use, found it after its session ended",
          );
        if (lost !== undefined)
          throw new ServerError(
            "DB_UNAVAILABLE",
            `Expected the session's database connection to be up, found it lost: ${lost.message}`,
            {},
            { cause: lost },
          );
      });
      const pid = (client as unknown as { processID?: unknown }).processID;
      const session: Session = {
        dedicated: true,
        scope,
        get lost() {
          return lost;
        },
        backendPid: typeof pid === "number" ? pid : undefined,
        query: (sql, params) => statements.query(sql, params),
        exec: (script) => statements.exec(script),
      };
      try {
        return await fn(session);
      } finally {
        done = true;
        // Session-level advisory locks outlive their holder on a pooled connection: release them all before
        // the connection is reused; a connection that is lost or cannot be cleaned is destroyed instead.
        let destroy = lost !== undefined;
        if (!destroy) {
          try {
            await client.query("SELECT pg_advisory_unlock_all()");
          } catch {
            destroy = true;
          }
        }
        client.off("error", onError);
        client.off("end", onEnd);
        client.release(destroy || lost !== undefined);
      }
    },
    listen: (channel, onNotify, onGap) => listener.listen(channel, onNotify, onGap),
    async close(): Promise<void> {
      await listener.close();
      if (!pool.ended && !pool.ending) await pool.end();
    },
  };
}

/** Longest wait before reopening a lost LISTEN connection. */
const LISTEN_RETRY_MAX_MS = 5_000;

interface ListenEntry {
  onNotify: (payload: string) => void;
  onGap: (() => void) | undefined;
}

/**
 * The LISTEN side of a Db: one connection of its own (not from the pool: a pooled connection is shared by
 * statements and goes back dirty), opened with the first listener and closed with the last. Its loss
 * reopens it with backoff, LISTENs every channel again and tells every listener about the gap.
 */
function pgListener(options: PostgresOptions): {
  listen(
    channel: string,
    onNotify: (payload: string) => void,
    onGap?: () => void,
  ): Promise<() => Promise<void>>;
  close(): Promise<void>;
} {
  const channels = new Map<string, Set<ListenEntry>>();
  let client: pg.Client | undefined;
  let closed = false;
  let retryMs = 100;
  let retryTimer: NodeJS.Timeout | undefined;
  /** Listens, unlistens, reconnects and closes run one at a time, in order. */
  let chain: Promise<unknown> = Promise.resolve();
  function serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = chain.then(fn, fn);
    chain = run.catch(() => {});
    return run;
  }

  function onLost(c: pg.Client, e: Error): void {
    if (client !== c) return;
    client = undefined;
    c.end().catch(() => {});
    options.onIdleError?.(e);
    scheduleReconnect();
  }

  function scheduleReconnect(): void {
    if (closed || channels.size === 0 || retryTimer !== undefined) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      void serial(async () => {
        if (closed || client !== undefined || channels.size === 0) return;
        try {
          await ensureClient();
        } catch (e) {
          options.onIdleError?.(e instanceof Error ? e : new Error(String(e)));
          retryMs = Math.min(retryMs * 2, LISTEN_RETRY_MAX_MS);
          scheduleReconnect();
        }
      });
    }, retryMs);
    retryTimer.unref();
  }

  /** Opens the connection when there is none and LISTENs to every known channel; a reopen reports a gap. */
  async function ensureClient(): Promise<pg.Client> {
    if (client !== undefined) return client;
    const c = new pg.Client({
      connectionString: options.connectionString,
      application_name: `${options.applicationName ?? "packyard"}-listen`,
    });
    c.on("notification", (m) => {
      for (const entry of channels.get(m.channel) ?? []) entry.onNotify(m.payload ?? "");
    });
    c.on("error", (e) => onLost(c, e));
    c.on("end", () => onLost(c, new Error("the LISTEN connection was closed")));
    try {
      await c.connect();
      for (const channel of channels.keys()) await c.query(`LISTEN ${channel}`);
    } catch (e) {
      c.end().catch(() => {});
      throw new ServerError(
        "DB_UNAVAILABLE",
        `Expected to open a LISTEN connection to PostgreSQL at ${redactUrl(options.connectionString)}, found: ${e instanceof Error ? e.message : String(e)}`,
        {},
        { cause: e },
      );
    }
    client = c;
    retryMs = 100;
    if (channels.size > 0) for (const set of channels.values()) for (const entry of set) entry.onGap?.();
    return c;
  }

  return {
    listen(channel, onNotify, onGap) {
      checkChannelName(channel);
      return serial(async () => {
        if (closed) throw new ServerError("DB_UNAVAILABLE", `The database is closed (LISTEN ${channel})`);
        const c = await ensureClient();
        if (!channels.has(channel)) {
          try {
            await c.query(`LISTEN ${channel}`);
          } catch (e) {
            throw driverError(e, `LISTEN ${channel}`);
          }
          channels.set(channel, new Set());
        }
        const entry: ListenEntry = { onNotify, onGap };
        channels.get(channel)!.add(entry);
        let stopped = false;
        return () => {
          if (stopped) return Promise.resolve();
          stopped = true;
          return serial(async () => {
            const set = channels.get(channel);
            if (set === undefined || !set.delete(entry) || set.size > 0) return;
            channels.delete(channel);
            const current = client;
            if (current === undefined) return;
            if (channels.size === 0) {
              client = undefined;
              await current.end().catch(() => {});
            } else await current.query(`UNLISTEN ${channel}`).catch(() => {});
          });
        };
      });
    },
    close() {
      closed = true;
      if (retryTimer !== undefined) clearTimeout(retryTimer);
      retryTimer = undefined;
      return serial(async () => {
        const current = client;
        client = undefined;
        channels.clear();
        if (current !== undefined) await current.end().catch(() => {});
      });
    },
  };
}

/** `host:port/database` of a connection string (no user or password), naming the database in a session scope. */
function targetOf(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || "5432"}${u.pathname}`;
  } catch {
    return "(unparsable)";
  }
}

/** The connection string without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== "") u.password = "***";
    return u.toString();
  } catch {
    return "(an unparsable connection string)";
  }
}
