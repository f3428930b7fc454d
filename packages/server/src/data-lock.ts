/**
 * The data folder lock of `packyard serve --data`: one server per folder (PGlite's files allow one process).
 *
 * No fcntl/flock (Node has neither). Each holder writes its own entry in `<data>/.lock/`, named uniquely and
 * holding its pid, host, boot id and process start time; then it lists the folder. Any other entry whose
 * process still runs means the folder is taken: the newcomer removes its entry and fails with
 * DATA_DIR_LOCKED. An entry whose process is gone (no such pid, a zombie, a pid reused by a process that
 * started at another time, or a previous boot) is stale and deleted; that is how a SIGKILLed server's lock
 * stops counting. Because every starter writes before it looks, two starters can never both win (both may
 * lose, if they start at the same instant; the next start wins). An entry from another host cannot be
 * checked and counts as held: its message says which file to delete if that host is gone.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdir, readdir, readFile, rename, stat, unlink, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { ServerError } from "./errors.ts";

/** The lock folder's name inside the data folder. */
export const LOCK_DIR = ".lock";

/** What an entry records about its holder. */
export interface LockHolder {
  pid: number;
  host: string;
  /** Linux's /proc/sys/kernel/random/boot_id, when there is one. */
  bootId?: string;
  /** Field 22 of /proc/<pid>/stat (start time in clock ticks since boot), when there is one. */
  startTicks?: string;
  /** When the lock was taken (ISO 8601). */
  since: string;
}

/** A held data folder lock. */
export interface DataDirLock {
  /** The entry file this process holds. */
  readonly path: string;
  /** Gives the folder up (deletes the entry); later calls do nothing. */
  release(): Promise<void>;
}

function readProc(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/** State (field 3) and start time (field 22) of a process from /proc, when Linux has it. */
function procStat(pid: number): { state: string; startTicks: string } | undefined {
  const text = readProc(`/proc/${pid}/stat`);
  if (text === undefined) return undefined;
  // The command name (field 2) is in parentheses and may hold spaces or ')': fields resume after the last ')'.
  const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const state = rest[0];
  const startTicks = rest[19];
  return state === undefined || startTicks === undefined ? undefined : { state, startTicks };
}

function bootId(): string | undefined {
  return readProc("/proc/sys/kernel/random/boot_id")?.trim();
}

/** Whether the process an entry names still runs (on this host). */
function holderRuns(holder: LockHolder): boolean {
  const myBoot = bootId();
  if (holder.bootId !== undefined && myBoot !== undefined && holder.bootId !== myBoot) return false;
  try {
    process.kill(holder.pid, 0);
  } catch (e) {
    // EPERM: the process exists but belongs to another user.
    if ((e as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  const now = procStat(holder.pid);
  if (now === undefined) return true; // no /proc (not Linux): the pid's existence is all there is
  // Z: killed but not yet reaped by its parent; X: dead.
  if (now.state === "Z" || now.state === "X") return false;
  return holder.startTicks === undefined || holder.startTicks === now.startTicks;
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const v = JSON.parse(text) as Partial<LockHolder>;
    if (typeof v.pid === "number" && typeof v.host === "string" && typeof v.since === "string")
      return v as LockHolder;
  } catch {}
  return undefined;
}

/**
 * Takes the lock of data folder `dir` (created if needed) for this process, or throws DATA_DIR_LOCKED
 * naming the holder. Release it on shutdown; a killed process's entry is cleared by the next start.
 *
 * @example const lock = await lockDataDir("./packyard-data"); try { ... } finally { await lock.release(); }
 */
export async function lockDataDir(dir: string, options: { now?: Date } = {}): Promise<DataDirLock> {
  const lockDir = join(dir, LOCK_DIR);
  await mkdir(lockDir, { recursive: true });
  const me: LockHolder = {
    pid: process.pid,
    host: hostname(),
    since: (options.now ?? new Date()).toISOString(),
  };
  const boot = bootId();
  if (boot !== undefined) me.bootId = boot;
  const mine = procStat(process.pid);
  if (mine !== undefined) me.startTicks = mine.startTicks;

  const name = `${process.pid}-${randomBytes(6).toString("hex")}`;
  const path = join(lockDir, `${name}.json`);
  // Written whole under a temporary name, then renamed: a reader never sees a half-written entry.
  const temp = join(lockDir, `tmp-${name}`);
  await writeFile(temp, `${JSON.stringify(me)}\n`, { flag: "wx", mode: 0o600 });
  await rename(temp, path);

  let released = false;
  const release = async (): Promise<void> => {
    if (released) return;
    released = true;
    await unlink(path).catch(() => {});
  };

  try {
    for (const entry of (await readdir(lockDir)).sort()) {
      const other = join(lockDir, entry);
      if (other === path) continue;
      if (entry.startsWith("tmp-")) {
        // A temporary left by a start killed between write and rename; cleared once clearly abandoned.
        const info = await stat(other).catch(() => undefined);
        if (info !== undefined && Date.now() - info.mtimeMs > 60_000) await unlink(other).catch(() => {});
        continue;
      }
      if (!entry.endsWith(".json")) continue;
      const text = await readFile(other, "utf8").catch(() => undefined);
      if (text === undefined) continue; // deleted meanwhile by its holder or another starter
      const holder = parseHolder(text);
      if (holder === undefined) {
        // Entries are renamed into place whole, so an unreadable one was not written by packyard.
        throw new ServerError(
          "DATA_DIR_LOCKED",
          `Expected lock entries written by packyard in ${lockDir}, found ${entry} unreadable; delete it if no server uses ${dir}`,
          { path: other },
        );
      }
      if (holder.host !== me.host)
        throw new ServerError(
          "DATA_DIR_LOCKED",
          `Expected the data folder ${dir} free, found it held by pid ${holder.pid} on host ${holder.host} since ${holder.since}; if that host no longer runs packyard, delete ${other}`,
          { path: other, found: holder },
        );
      if (holderRuns(holder))
        throw new ServerError(
          "DATA_DIR_LOCKED",
          `Expected the data folder ${dir} free, found it held by packyard pid ${holder.pid} (running since ${holder.since}); stop that server first`,
          { path: other, found: holder },
        );
      await unlink(other).catch(() => {}); // stale: its process is gone
    }
  } catch (e) {
    await release();
    throw e;
  }
  return { path, release };
}
