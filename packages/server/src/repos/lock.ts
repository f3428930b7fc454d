/**
 * The server's publish lock: a {@link PublishLock} passed to @packyard/repo's `publish` in place of its
 * storage lock, one per repository, held for the whole publish.
 *
 * - PostgreSQL: a session advisory lock, `pg_try_advisory_lock(namespace, repository id)`, polled until it is
 *   granted or the timeout passes (LOCK_TIMEOUT), on the dedicated connection of a {@link Db.session}. The
 *   namespace is a 31-bit hash of the schema name, so servers sharing a database in different schemas do
 *   not exclude each other. Losing the connection frees the lock (PostgreSQL drops a dead session's locks);
 *   `assertHeld`, which the publish calls before every write, then throws LOCK_LOST: it asks the database
 *   whether this connection still holds the lock (`pg_locks`), so a terminated backend is noticed before
 *   the next write even when the driver has not yet reported the closed socket.
 * - PGlite: one session for the whole process, where advisory locks exclude nothing; an in-process keyed
 *   lock (first come, first served, with the same timeout) keyed by the session's scope and the repository
 *   id takes their place. Nothing is lost there short of the process itself.
 *
 * No transaction is open while the lock is held: the lock lives on the session, statements autocommit.
 */
import { createHash } from "node:crypto";
import { type PublishLock, RepoError } from "@packyard/repo";
import type { Db, Session } from "../db/db.ts";

/** Options of {@link withPublishLock}. */
export interface PublishLockOptions {
  /** How often a waiting publisher asks PostgreSQL again (default 250 ms, with jitter). */
  pollMs?: number;
  /** How to wait (default setTimeout); tests inject their own. */
  sleep?: (ms: number) => Promise<void>;
  /** What the lock is of, for messages (default `repository <id>`). */
  description?: string;
}

/** Where the lock lives and what it protects, for messages and tests. */
export interface ServerPublishLock extends PublishLock {
  readonly kind: "advisory" | "local";
  /** True between a successful `acquire` and `release` (or the loss of the connection). */
  readonly held: boolean;
}

const DEFAULT_POLL_MS = 250;

/**
 * Runs `fn` with the publish lock of repository `repositoryId` (not yet acquired: `publish` acquires and
 * releases it), on a session of its own that outlives the lock. Statements `fn` makes while the lock is held
 * go through `session` (on PostgreSQL the lock's own connection): a holder asking the pool for another
 * connection could wait forever behind waiters, each of which holds a connection while it polls.
 *
 * @example
 * await withPublishLock(db, repo.id, (lock) => publish(view, { add, signers, lock }));
 */
export function withPublishLock<T>(
  db: Db,
  repositoryId: number,
  fn: (lock: ServerPublishLock, session: Session) => Promise<T>,
  options: PublishLockOptions = {},
): Promise<T> {
  if (!Number.isSafeInteger(repositoryId) || repositoryId < 1 || repositoryId > 0x7fffffff)
    throw new RepoError(
      "INVALID_SETTING",
      `the publish lock: expected a repository id from 1 to 2^31-1 (the advisory lock's second key is an int4), found ${repositoryId}`,
      { field: "repositoryId", found: repositoryId },
    );
  return db.session(async (session) => {
    const lock = session.dedicated
      ? advisoryLock(session, repositoryId, options)
      : localLock(session.scope, repositoryId, options);
    try {
      return await fn(lock, session);
    } finally {
      // publish releases the lock itself; this covers a caller that failed between acquire and publish.
      await lock.release().catch(() => {});
    }
  });
}

/** A 31-bit namespace from the schema name (non-negative, so pg_locks' oid columns compare plainly). */
function namespaceOf(schema: string): number {
  return createHash("sha256").update(`packyard.publish:${schema}`).digest().readUInt32BE(0) & 0x7fffffff;
}

function jitter(ms: number): number {
  return Math.max(1, Math.round(ms * (0.5 + Math.random())));
}

const defaultSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function lockLost(what: string, reason: string, cause?: unknown): RepoError {
  return new RepoError(
    "LOCK_LOST",
    `the publish lock of ${what} was lost: ${reason}; nothing more was written`,
    { key: what },
    ...(cause === undefined ? [] : [{ cause }]),
  );
}

/**
 * The PostgreSQL lock: a session advisory lock on `session`'s connection.
 */
export function advisoryLock(
  session: Session,
  repositoryId: number,
  options: PublishLockOptions = {},
): ServerPublishLock {
  const what = options.description ?? `repository ${repositoryId}`;
  const pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  const sleep = options.sleep ?? defaultSleep;
  let namespace: number | undefined;
  let held = false;
  let lost: RepoError | undefined;

  async function keys(): Promise<[number, number]> {
    if (namespace === undefined) {
      const { rows } = await session.query<{ schema: string }>("SELECT current_schema() AS schema");
      namespace = namespaceOf(rows[0]?.schema ?? "");
    }
    return [namespace, repositoryId];
  }

  /** Who holds the lock now, for the timeout message. */
  async function holder(ns: number): Promise<string> {
    try {
      const { rows } = await session.query<{ pid: number; application_name: string | null }>(
        `SELECT l.pid, a.application_name FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
          WHERE l.locktype = 'advisory' AND l.classid = $1::int8::oid AND l.objid = $2::int8::oid
            AND l.objsubid = 2 AND l.granted`,
        [ns, repositoryId],
      );
      const r = rows[0];
      return r === undefined
        ? "another publisher"
        : `PostgreSQL backend ${r.pid} (${r.application_name ?? "?"})`;
    } catch {
      return "another publisher";
    }
  }

  const lock: ServerPublishLock = {
    kind: "advisory",
    get held() {
      return held && lost === undefined;
    },
    async acquire({ timeoutMs }) {
      if (held && lost === undefined) return;
      const [ns, id] = await keys();
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const { rows } = await session.query<{ ok: boolean }>(
          "SELECT pg_try_advisory_lock($1::int4, $2::int4) AS ok",
          [ns, id],
        );
        if (rows[0]?.ok === true) {
          held = true;
          lost = undefined;
          return;
        }
        if (Date.now() >= deadline) {
          const by = await holder(ns);
          throw new RepoError(
            "LOCK_TIMEOUT",
            `${what} stayed locked by ${by} for ${Math.round(timeoutMs / 1000)} s while another publish ran; try again later`,
            { key: what, found: by },
          );
        }
        await sleep(Math.min(jitter(pollMs), Math.max(1, deadline - Date.now())));
      }
    },
    async renew() {
      // The lock lasts as long as the connection: there is no lease to extend, only the check.
      if (held) await lock.assertHeld();
    },
    async assertHeld() {
      if (lost !== undefined) throw lost;
      if (!held) throw lockLost(what, "it is not held");
      if (session.lost !== undefined) {
        held = false;
        lost = lockLost(
          what,
          `the database connection holding it ended (${session.lost.message})`,
          session.lost,
        );
        throw lost;
      }
      const [ns, id] = await keys();
      let count: number;
      try {
        const { rows } = await session.query<{ n: number }>(
          `SELECT count(*)::int4 AS n FROM pg_locks
            WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND classid = $1::int8::oid
              AND objid = $2::int8::oid AND objsubid = 2 AND granted`,
          [ns, id],
        );
        count = rows[0]?.n ?? 0;
      } catch (e) {
        held = false;
        lost = lockLost(
          what,
          `the database connection holding it failed (${e instanceof Error ? e.message : String(e)})`,
          e,
        );
        throw lost;
      }
      if (count === 0) {
        held = false;
        lost = lockLost(what, "its database session no longer holds the advisory lock");
        throw lost;
      }
    },
    async release() {
      if (!held) return;
      held = false;
      if (lost !== undefined || session.lost !== undefined) return; // the dead session's locks are gone with it
      const [ns, id] = await keys();
      await session.query("SELECT pg_advisory_unlock($1::int4, $2::int4)", [ns, id]);
    },
  };
  return lock;
}

/** In-process locks by `<scope>#<repository id>`: the holder's token and the queue of waiters. */
const local = new Map<string, { holder: symbol; waiters: { token: symbol; grant: () => void }[] }>();

/**
 * The PGlite lock: an in-process keyed lock, first come first served, shared by every Db over the same
 * PGlite instance and schema (`scope`).
 */
export function localLock(
  scope: string,
  repositoryId: number,
  options: PublishLockOptions = {},
): ServerPublishLock {
  const what = options.description ?? `repository ${repositoryId}`;
  const key = `${scope}#${repositoryId}`;
  const token = Symbol(key);
  let held = false;

  const lock: ServerPublishLock = {
    kind: "local",
    get held() {
      return held;
    },
    acquire({ timeoutMs }) {
      if (held) return Promise.resolve();
      const entry = local.get(key);
      if (entry === undefined) {
        local.set(key, { holder: token, waiters: [] });
        held = true;
        return Promise.resolve();
      }
      return new Promise<void>((resolve, reject) => {
        const waiter = {
          token,
          grant: () => {
            clearTimeout(timer);
            held = true;
            resolve();
          },
        };
        const timer = setTimeout(() => {
          const i = entry.waiters.indexOf(waiter);
          if (i >= 0) entry.waiters.splice(i, 1);
          reject(
            new RepoError(
              "LOCK_TIMEOUT",
              `${what} stayed locked by another publish in this server for ${Math.round(timeoutMs / 1000)} s; try again later`,
              { key: what },
            ),
          );
        }, timeoutMs);
        entry.waiters.push(waiter);
      });
    },
    async renew() {},
    async assertHeld() {
      if (!held) throw lockLost(what, "it is not held");
    },
    async release() {
      if (!held) return;
      held = false;
      const entry = local.get(key);
      if (entry === undefined || entry.holder !== token) return;
      const next = entry.waiters.shift();
      if (next === undefined) {
        local.delete(key);
        return;
      }
      entry.holder = next.token;
      next.grant();
    },
  };
  return lock;
}
