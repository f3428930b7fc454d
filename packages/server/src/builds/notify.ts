/**
 * The per-process hub that wakes log streams: `subscribe(buildId, onWake)` calls `onWake` whenever that
 * build's log may have grown or its state may have changed; the subscriber then reads from the database
 * (readLogs). Wakes come from LISTEN `build_logs` when the Db has {@link Db.listen}, and from polling
 * `builds.log_seq` and `state` every `pollMs` — the only source without LISTEN, and a safety net with it (a
 * lost notification, a state change nobody NOTIFYs). One LISTEN and one polling query serve every
 * subscriber of the process. A wake may be spurious; one is never lost.
 */
import type { Db } from "../db/db.ts";
import { LOG_CHANNEL } from "./logs.ts";

/** How long after a failed LISTEN a new subscription tries again. */
const LISTEN_RETRY_MS = 5_000;

export interface LogHubOptions {
  /** Polling interval in ms (default 1,000). */
  pollMs?: number;
  /** Use the Db's LISTEN when it has one (default true); false: poll only. */
  listen?: boolean;
  /** Told about LISTEN and polling failures (the hub keeps going). */
  onError?: (error: unknown) => void;
}

export interface LogHub {
  /** Calls `onWake` when build `buildId` may have new entries or a new state; returns the unsubscribe. */
  subscribe(buildId: number, onWake: () => void): () => void;
  /** Subscriptions open now (for tests and metrics). */
  subscriptions(): number;
  /** Resolves once LISTEN is set up: true when notifications are heard, false when only polling. */
  ready(): Promise<boolean>;
  /** Stops listening and polling; subscriptions are dropped. */
  close(): Promise<void>;
}

interface Subscriber {
  onWake: () => void;
  /** `log_seq:state` the last poll saw for this subscriber (undefined: not polled yet). */
  seen: string | undefined;
}

/**
 * Makes a hub over `db`.
 *
 * @example const hub = logHub(db); const stop = hub.subscribe(7, () => void readMore()); … stop();
 */
export function logHub(db: Db, options: LogHubOptions = {}): LogHub {
  const pollMs = options.pollMs ?? 1000;
  const subscribers = new Map<number, Set<Subscriber>>();
  let timer: NodeJS.Timeout | undefined;
  let polling = false;
  let closed = false;
  let listening: Promise<boolean> | undefined;
  let unlisten: (() => Promise<void>) | undefined;
  let listenFailedAt: number | undefined;

  const report = (e: unknown): void => options.onError?.(e);

  function wake(subs: Iterable<Subscriber>): void {
    for (const s of [...subs]) {
      try {
        s.onWake();
      } catch (e) {
        report(e);
      }
    }
  }

  function wakeAll(): void {
    for (const set of subscribers.values()) wake(set);
  }

  function startListening(): void {
    if (listenFailedAt !== undefined && Date.now() - listenFailedAt >= LISTEN_RETRY_MS) {
      listenFailedAt = undefined;
      listening = undefined;
    }
    if (listening !== undefined) return;
    if (options.listen === false || db.listen === undefined) {
      listening = Promise.resolve(false);
      return;
    }
    listening = db
      .listen(
        LOG_CHANNEL,
        (payload) => {
          const id = Number(payload);
          const set = subscribers.get(id);
          if (set !== undefined) wake(set);
        },
        wakeAll,
      )
      .then(
        async (stop) => {
          if (closed) {
            await stop();
            return false;
          }
          unlisten = stop;
          // Anything committed between a subscriber's first read and LISTEN taking effect was not heard.
          wakeAll();
          return true;
        },
        (e: unknown) => {
          report(e);
          // Polling carries on; a later subscription tries LISTEN again.
          listenFailedAt = Date.now();
          return false;
        },
      );
  }

  async function poll(): Promise<void> {
    if (polling || closed) return;
    if (subscribers.size === 0) {
      stopPolling();
      return;
    }
    polling = true;
    try {
      const ids = [...subscribers.keys()];
      const { rows } = await db.query<{ id: number; log_seq: number; state: string }>(
        "SELECT id, log_seq, state FROM builds WHERE id = ANY($1::bigint[])",
        [ids],
      );
      const found = new Map(rows.map((r) => [Number(r.id), `${r.log_seq}:${r.state}`]));
      for (const id of ids) {
        // A build that is gone wakes its subscribers too: their read answers NOT_FOUND and they end.
        const now = found.get(id) ?? "gone";
        const due: Subscriber[] = [];
        for (const s of subscribers.get(id) ?? []) {
          if (s.seen !== now) due.push(s);
          s.seen = now;
        }
        wake(due);
      }
    } catch (e) {
      report(e);
    } finally {
      polling = false;
    }
  }

  function startPolling(): void {
    if (timer !== undefined || closed) return;
    timer = setInterval(() => void poll(), pollMs);
    timer.unref();
  }

  function stopPolling(): void {
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
  }

  return {
    subscribe(buildId, onWake) {
      if (closed) return () => {};
      const sub: Subscriber = { onWake, seen: undefined };
      let set = subscribers.get(buildId);
      if (set === undefined) subscribers.set(buildId, (set = new Set()));
      set.add(sub);
      startListening();
      startPolling();
      let done = false;
      return () => {
        if (done) return;
        done = true;
        const current = subscribers.get(buildId);
        current?.delete(sub);
        if (current?.size === 0) subscribers.delete(buildId);
        if (subscribers.size === 0) stopPolling();
      };
    },
    subscriptions() {
      let n = 0;
      for (const set of subscribers.values()) n += set.size;
      return n;
    },
    ready() {
      startListening();
      return listening!;
    },
    async close() {
      closed = true;
      stopPolling();
      subscribers.clear();
      await listening;
      const stop = unlisten;
      unlisten = undefined;
      if (stop !== undefined) await stop().catch(report);
    },
  };
}
