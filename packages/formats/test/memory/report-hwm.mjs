// Loaded with `node --import` into the CLI process the memory test starts (the launcher keeps it across
// its re-exec): on exit, the main thread writes the process's peak resident set, VmHWM from
// /proc/self/status (all threads, every byte resident at the worst moment: V8 heaps, ArrayBuffers,
// malloc arenas, code), in KiB, to the file named by PACKYARD_HWM_FILE. Plain JavaScript, nothing else
// loaded, so it adds nothing measurable to what it measures.
import { readFileSync, writeFileSync } from "node:fs";
import { isMainThread } from "node:worker_threads";

const file = process.env.PACKYARD_HWM_FILE;
if (isMainThread && file !== undefined) {
  process.on("exit", () => {
    const hwm = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync("/proc/self/status", "utf8"))?.[1];
    writeFileSync(file, `${hwm ?? -1}\n`);
  });
}
