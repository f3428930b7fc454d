// The data folder lock: a second holder is refused, a SIGKILLed holder's lock does not block, entries that
// cannot be checked (another host) count as held, stale ones (dead pid, reused pid, previous boot) do not.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { isServerError, LOCK_DIR, type LockHolder, lockDataDir, type ServerError } from "../src/index.ts";

const scratch = await mkdtemp(join(tmpdir(), "packyard-lock-"));
after(() => rm(scratch, { recursive: true, force: true }));
let n = 0;
const fresh = (): string => join(scratch, `data${++n}`);

function locked(mentions?: string): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(isServerError(e), `expected a ServerError, got ${String(e)}`);
    assert.equal((e as ServerError).code, "DATA_DIR_LOCKED", (e as Error).message);
    if (mentions !== undefined) assert.ok((e as Error).message.includes(mentions), (e as Error).message);
    return true;
  };
}

const LOCK_MODULE = new URL("../src/data-lock.ts", import.meta.url).href;

/** A child Node process that takes the lock of `dir`, says so, and waits to be killed. */
async function holder(dir: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      "--input-type=module",
      "-e",
      `const { lockDataDir } = await import(${JSON.stringify(LOCK_MODULE)});
       await lockDataDir(${JSON.stringify(dir)});
       process.stdout.write("locked\\n");
       setInterval(() => {}, 1000);`,
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const [line] = (await once(child.stdout!, "data")) as [Buffer];
  assert.equal(line.toString(), "locked\n");
  return child;
}

/** This machine's boot id and a process's start time, as the lock records them (Linux). */
async function procFacts(pid: number): Promise<{ bootId: string; startTicks: string }> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  return {
    bootId: (await readFile("/proc/sys/kernel/random/boot_id", "utf8")).trim(),
    startTicks: stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]!,
  };
}

async function writeEntry(dir: string, name: string, holder: LockHolder): Promise<string> {
  await mkdir(join(dir, LOCK_DIR), { recursive: true });
  const path = join(dir, LOCK_DIR, `${name}.json`);
  await writeFile(path, JSON.stringify(holder));
  return path;
}

test("a second lock in the same process is refused until the first is released", async () => {
  const dir = fresh();
  const first = await lockDataDir(dir);
  await assert.rejects(lockDataDir(dir), locked(`pid ${process.pid}`));
  // The refused attempt left no entry of its own behind.
  assert.deepStrictEqual(await readdir(join(dir, LOCK_DIR)), [first.path.split("/").at(-1)]);
  await first.release();
  await first.release(); // twice is fine
  assert.deepStrictEqual(await readdir(join(dir, LOCK_DIR)), []);
  const second = await lockDataDir(dir);
  await second.release();
});

test("another process's lock is refused naming its pid; once it is SIGKILLed the folder can be taken", async (t) => {
  if (process.platform !== "linux") return t.skip("checks /proc");
  const dir = fresh();
  const child = await holder(dir);
  const exited = once(child, "exit");
  try {
    await assert.rejects(lockDataDir(dir), locked(`pid ${child.pid}`));
  } finally {
    child.kill("SIGKILL");
  }
  const [, signal] = await exited;
  assert.equal(signal, "SIGKILL");
  // Its entry is still there (nothing ran at exit), and it no longer counts.
  assert.equal((await readdir(join(dir, LOCK_DIR))).length, 1);
  const lock = await lockDataDir(dir);
  assert.deepStrictEqual(await readdir(join(dir, LOCK_DIR)), [lock.path.split("/").at(-1)]);
  await lock.release();
});

test("an entry from another host counts as held, and the message says which file to delete", async () => {
  const dir = fresh();
  const path = await writeEntry(dir, "1-aaaaaaaaaaaa", {
    pid: process.pid,
    host: `${hostname()}-elsewhere`,
    since: "2026-12-01T00:00:00.000Z",
  });
  await assert.rejects(lockDataDir(dir), locked(path));
  assert.ok((await readdir(join(dir, LOCK_DIR))).includes("1-aaaaaaaaaaaa.json"));
});

test("entries of gone processes are cleared: a dead pid, a reused pid, a previous boot", async (t) => {
  if (process.platform !== "linux") return t.skip("checks /proc");
  const dir = fresh();
  const exited = spawn(process.execPath, ["-e", ""]);
  await once(exited, "exit");
  const facts = await procFacts(process.pid);
  await writeEntry(dir, "dead", { pid: exited.pid!, host: hostname(), since: "2026-12-01T00:00:00.000Z" });
  // This very process's pid, but started at another time: the pid was reused.
  await writeEntry(dir, "reused", {
    pid: process.pid,
    host: hostname(),
    bootId: facts.bootId,
    startTicks: String(Number(facts.startTicks) - 1),
    since: "2026-12-01T00:00:00.000Z",
  });
  await writeEntry(dir, "rebooted", {
    pid: process.pid,
    host: hostname(),
    bootId: "00000000-0000-0000-0000-000000000000",
    startTicks: facts.startTicks,
    since: "2026-12-01T00:00:00.000Z",
  });
  const lock = await lockDataDir(dir);
  assert.deepStrictEqual(await readdir(join(dir, LOCK_DIR)), [lock.path.split("/").at(-1)]);
  // What the lock records about this process matches /proc.
  const mine = JSON.parse(await readFile(lock.path, "utf8")) as LockHolder;
  assert.deepStrictEqual(
    { pid: mine.pid, host: mine.host, bootId: mine.bootId, startTicks: mine.startTicks },
    { pid: process.pid, host: hostname(), ...facts },
  );
  await lock.release();
});

test("an entry that is not a lock record is not ignored", async () => {
  const dir = fresh();
  await mkdir(join(dir, LOCK_DIR), { recursive: true });
  await writeFile(join(dir, LOCK_DIR, "junk.json"), "{not json");
  await assert.rejects(lockDataDir(dir), locked("junk.json"));
});

test("lockers racing for one folder never both win", async () => {
  for (let round = 0; round < 5; round++) {
    const dir = fresh();
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => lockDataDir(dir)));
    const winners = results.filter((r) => r.status === "fulfilled");
    assert.ok(winners.length <= 1, `${winners.length} lockers won round ${round}`);
    for (const r of results) if (r.status === "rejected") locked()(r.reason);
    for (const w of winners) await w.value.release();
    // Losers leave nothing behind: the folder is free again.
    assert.deepStrictEqual(await readdir(join(dir, LOCK_DIR)), []);
  }
});
