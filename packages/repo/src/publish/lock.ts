/**
 * The publish lock. `publish` takes any {@link PublishLock} (the server passes one kept in PostgreSQL); the
 * default, {@link storageLock}, lives beside the repository so that every publisher of one repository —
 * laptops, a CI matrix — sees it.
 *
 * Storage lock protocol: the lock is a sequence of generations `.packyard/lock/<000000000001>`, each a
 * small JSON record `{ owner, host, pid, expires, released }` made with a conditional create (`O_EXCL` /
 * link on disk, `If-None-Match: *` on S3), so exactly one publisher makes generation g+1. The holder of the
 * newest generation holds the lock while its lease (`expires`) runs; it renews every lease/3 by rewriting
 * its own record (nobody else writes it). A waiting publisher takes over — compare-and-swap by creating
 * g+1 — once the newest generation is released, its lease has expired, or its holder is a dead process
 * on the same host. A holder whose generation is no longer the newest, or whose lease ran out before a
 * renewal, has lost the lock: `assertHeld` then throws LOCK_LOST before its next write.
 */
import { readlinkSync } from "node:fs";
import { hostname } from "node:os";
import { RepoError } from "../errors.ts";
import { readObject } from "../storage/read.ts";
import type { Storage } from "../storage/storage.ts";
import { LOCK_PREFIX } from "./layout.ts";
import { listAll } from "./state-io.ts";

/** A lock held for the duration of one publish. The server passes its own (PostgreSQL); the CLI uses the storage lock. */
export interface PublishLock {
  /** Waits until the lock is held (RepoError LOCK_TIMEOUT after `timeoutMs`). */
  acquire(options: { timeoutMs: number }): Promise<void>;
  /** Extends the lease; throws LOCK_LOST when another holder took it over. */
  renew(): Promise<void>;
  /** Throws RepoError LOCK_LOST unless the lock is still held by this publisher. Called before every write. */
  assertHeld(): Promise<void>;
  /** Gives the lock up (idempotent). */
  release(): Promise<void>;
}

/** A lock record as stored. */
export interface LockRecord {
  owner: string;
  host: string;
  pid: number;
  /**
   * The holder's PID namespace (`pid:[4026531836]`), when known: containers sharing a host name have
   * their own pids, so a pid is only checked for life within the same namespace.
   */
  pidns?: string;
  /** Lease end, ISO-8601. */
  expires: string;
  released: boolean;
}

/** Options of {@link storageLock}. */
export interface StorageLockOptions {
  /** Lease length (default 60 s); renewed every third of it. */
  leaseMs?: number;
  /** Who holds it, for messages (default `packyard`). */
  owner?: string;
  /** How often a waiting publisher looks again (default 500 ms, with jitter). */
  pollMs?: number;
  /** For tests: the host name and pid recorded (default: this process). */
  host?: string;
  pid?: number;
  /** For tests: the time (default Date.now). */
  now?: () => number;
}

/** The lock beside a repository, with the storage's probe for conditional creates. */
export interface StorageLock extends PublishLock {
  readonly kind: "storage";
  /** The generation held, once acquired. */
  readonly generation: number | undefined;
  /** Does the store honour conditional creates? (Writes and deletes two probe objects.) */
  probe(): Promise<boolean>;
}

const GEN_DIGITS = 12;
/** How often `assertHeld` asks the store whether the lock was taken over (ms). */
const REMOTE_CHECK_MS = 1000;
/** Generations kept behind the newest: a stalled holder must still find the one after its own. */
const KEEP_GENERATIONS = 16;

function pidNamespace(): string | undefined {
  try {
    return readlinkSync("/proc/self/ns/pid");
  } catch {
    return undefined;
  }
}

function genKey(gen: number): string {
  return `${LOCK_PREFIX}${String(gen).padStart(GEN_DIGITS, "0")}`;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

const encoder = new TextEncoder();

/** The default publish lock, kept in the repository's own storage under `.packyard/lock/`. */
export function storageLock(storage: Storage, options: StorageLockOptions = {}): StorageLock {
  const leaseMs = options.leaseMs ?? 60_000;
  const pollMs = options.pollMs ?? 500;
  const host = options.host ?? hostname();
  const pid = options.pid ?? process.pid;
  const owner = options.owner ?? "packyard";
  const pidns = options.host === undefined ? pidNamespace() : undefined;
  const now = options.now ?? Date.now;
  let held: number | undefined;
  let validUntil = 0;
  let lost: string | undefined;
  let timer: ReturnType<typeof setInterval> | undefined;
  let checkedAt = Number.NEGATIVE_INFINITY;

  const record = (released = false): Uint8Array => {
    const r: LockRecord = { owner, host, pid, expires: new Date(now() + leaseMs).toISOString(), released };
    if (pidns !== undefined) r.pidns = pidns;
    return encoder.encode(`${JSON.stringify(r)}\n`);
  };

  async function newest(): Promise<{ gen: number; record: LockRecord | undefined } | undefined> {
    const keys = (await listAll(storage, LOCK_PREFIX)).filter((k) =>
      /^\d+$/.test(k.slice(LOCK_PREFIX.length)),
    );
    if (keys.length === 0) return undefined;
    const key = keys[keys.length - 1]!;
    const gen = Number(key.slice(LOCK_PREFIX.length));
    const bytes = await readObject(storage, key);
    let rec: LockRecord | undefined;
    try {
      rec = bytes === undefined ? undefined : (JSON.parse(new TextDecoder().decode(bytes)) as LockRecord);
    } catch {
      rec = undefined; // an unreadable record counts as free: its writer was killed mid-create on a store without atomic puts
    }
    return { gen, record: rec };
  }

  function lose(reason: string): never {
    lost = reason;
    stopTimer();
    throw new RepoError(
      "LOCK_LOST",
      `the publish lock on ${storage.description} was lost: ${reason}; nothing more was written`,
      {
        key: held === undefined ? LOCK_PREFIX : genKey(held),
      },
    );
  }

  function stopTimer(): void {
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
  }

  async function check(): Promise<void> {
    if (held === undefined)
      throw new RepoError("LOCK_LOST", "the publish lock is not held", { key: LOCK_PREFIX });
    if (lost !== undefined) lose(lost);
    if (now() >= validUntil)
      lose(`its lease ran out at ${new Date(validUntil).toISOString()} before it was renewed`);
    // The lease (renewed every third of it) is what keeps others out; the store is asked at most once a
    // second whether someone took over anyway (hosts whose clocks disagree), not before every write.
    if (now() - checkedAt < REMOTE_CHECK_MS) return;
    if ((await storage.head(genKey(held))) === undefined) lose("its lock record was removed");
    if ((await storage.head(genKey(held + 1))) !== undefined) {
      const next = await readObject(storage, genKey(held + 1));
      let by = "another publisher";
      try {
        if (next !== undefined) {
          const r = JSON.parse(new TextDecoder().decode(next)) as LockRecord;
          by = `${r.owner} (pid ${r.pid} on ${r.host})`;
        }
      } catch {}
      lose(`${by} took it over`);
    }
    checkedAt = now();
  }

  const lock: StorageLock = {
    kind: "storage",
    get generation() {
      return held;
    },
    async probe() {
      const key = `${LOCK_PREFIX}probe-${host}-${pid}-${now()}-${Math.random().toString(16).slice(2)}`;
      try {
        const first = await storage.create(key, encoder.encode("probe\n"));
        const second = await storage.create(key, encoder.encode("probe again\n"));
        return first && !second;
      } finally {
        await storage.delete(key);
      }
    },
    async acquire({ timeoutMs }) {
      if (held !== undefined && lost === undefined) return;
      const deadline = now() + timeoutMs;
      let holder = "";
      for (;;) {
        const top = await newest();
        const free =
          top === undefined ||
          top.record === undefined ||
          top.record.released ||
          Date.parse(top.record.expires) <= now() ||
          (top.record.host === host &&
            top.record.pidns !== undefined &&
            top.record.pidns === pidns &&
            top.record.pid !== pid &&
            !isAlive(top.record.pid));
        if (free) {
          const gen = (top?.gen ?? 0) + 1;
          const start = now();
          if (await storage.create(genKey(gen), record())) {
            held = gen;
            lost = undefined;
            validUntil = start + leaseMs;
            timer = setInterval(
              () => {
                lock.renew().catch(() => {});
              },
              Math.max(1, Math.floor(leaseMs / 3)),
            );
            timer.unref();
            // Older generations are history now; removing them keeps listings short.
            for (const key of await listAll(storage, LOCK_PREFIX)) {
              const n = Number(key.slice(LOCK_PREFIX.length));
              if (Number.isInteger(n) && n < gen - KEEP_GENERATIONS)
                await storage.delete(key).catch(() => {});
            }
            return;
          }
          continue; // another publisher made that generation first: look again at once
        }
        const r = top.record!;
        holder = `${r.owner} (pid ${r.pid} on ${r.host}, lease until ${r.expires})`;
        if (now() >= deadline) {
          throw new RepoError(
            "LOCK_TIMEOUT",
            `the repository ${storage.description} stayed locked by ${holder} for ${Math.round(timeoutMs / 1000)} s; try again later, or raise --lock-timeout`,
            { key: genKey(top.gen), found: holder },
          );
        }
        const wait = Math.min(pollMs * (0.5 + Math.random()), Math.max(0, deadline - now()) + 1);
        await new Promise((r) => setTimeout(r, wait));
      }
    },
    async renew() {
      if (held === undefined || lost !== undefined) return;
      await check();
      const start = now();
      await storage.put(genKey(held), record());
      validUntil = start + leaseMs;
    },
    async assertHeld() {
      await check();
    },
    async release() {
      stopTimer();
      if (held === undefined) return;
      const gen = held;
      held = undefined;
      if (lost !== undefined) return;
      // Only mark our own generation released if nobody took over meanwhile.
      if ((await storage.head(genKey(gen + 1))) === undefined) await storage.put(genKey(gen), record(true));
    },
  };
  return lock;
}

/** True for the lock made by {@link storageLock} (publish probes the store for it). */
export function isStorageLock(lock: PublishLock): lock is StorageLock {
  return (lock as Partial<StorageLock>).kind === "storage";
}
