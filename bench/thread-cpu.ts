/**
 * CPU time per thread of one command, by thread name: `node bench/thread-cpu.ts CMD ARGS...`.
 *
 * A CPU profile shows one JavaScript thread at a time and counts a thread that waits for a core as busy;
 * on a 2-core machine running 4+ busy threads that hides where the CPU goes. This reads utime + stime of
 * every thread of the command's process from /proc/PID/task/TID/stat every 50 ms and prints each
 * thread's last reading (threads that end between two readings lose at most 50 ms). Linux only. Thread
 * names are what the kernel shows: MainThread, WorkerThread (node:worker_threads: here the batch reader
 * and the compression workers), libuv-worker (the pool: fs and async zlib), V8Worker (GC and compiler
 * helpers).
 */
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

const [cmd, ...args] = process.argv.slice(2);
if (cmd === undefined) {
  process.stderr.write("usage: node bench/thread-cpu.ts CMD [ARGS...]\n");
  process.exit(2);
}
const ticksPerSecond = 100; // USER_HZ on Linux
const child = spawn(cmd, args, { stdio: "inherit" });
const pid = child.pid;
const seen = new Map<string, { name: string; ticks: number }>();

function sample(): void {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
      // The name is in parentheses and may hold spaces; utime and stime are fields 14 and 15.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, "utf8").trim();
      seen.set(tid, { name, ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // the thread ended between listing and reading
    }
  }
}

const timer = setInterval(sample, 50);
const started = performance.now();
child.on("exit", (code) => {
  clearInterval(timer);
  const wall = (performance.now() - started) / 1000;
  const byName = new Map<string, { threads: number; seconds: number; max: number }>();
  for (const { name, ticks } of seen.values()) {
    const s = ticks / ticksPerSecond;
    const e = byName.get(name) ?? { threads: 0, seconds: 0, max: 0 };
    e.threads++;
    e.seconds += s;
    e.max = Math.max(e.max, s);
    byName.set(name, e);
  }
  const rows = [...byName].sort((a, b) => b[1].seconds - a[1].seconds);
  const total = rows.reduce((t, [, e]) => t + e.seconds, 0);
  process.stdout.write(`wall ${wall.toFixed(2)} s, CPU ${total.toFixed(2)} s (exit ${code})\n`);
  for (const [name, e] of rows)
    process.stdout.write(
      `${name.padEnd(16)} ${String(e.threads).padStart(3)} thread(s) ${e.seconds.toFixed(2).padStart(7)} s  (busiest ${e.max.toFixed(2)} s)\n`,
    );
  process.exitCode = code ?? 1;
});
