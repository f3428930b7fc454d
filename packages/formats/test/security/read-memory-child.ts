/**
 * Child process of read-memory.test.ts (run with --expose-gc): writes a small rpm with our writer, reads it
 * `READS` times in this one process, and prints one JSON line per checkpoint (`CHECKPOINTS`, read counts)
 * with what memory holds after two full collections. `RETAIN=1` keeps every result and a copy of the
 * package per read: a deliberate leak, so the test can show its measure sees one.
 */
import v8 from "node:v8";
import { bytesSource, collect } from "../../src/bytes/bytes.ts";
import { readRpm, writeRpm } from "../../src/rpm/index.ts";
import { exampleSpec } from "@packyard/testkit/example";

const reads = Number(process.env.READS ?? 20_000);
const checkpoints = new Set((process.env.CHECKPOINTS ?? "2000,20000").split(",").map(Number));
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("run with --expose-gc");

const rpm = await collect(writeRpm(exampleSpec(), {}));
const source = bytesSource(rpm);
const retained: unknown[] = [];
for (let i = 1; i <= reads; i++) {
  const info = await readRpm(source);
  if (info.files.length === 0) throw new Error("read nothing");
  if (process.env.RETAIN === "1") retained.push(info, rpm.slice());
  if (checkpoints.has(i)) {
    gc();
    gc();
    const m = process.memoryUsage();
    const heap = v8.getHeapStatistics();
    console.log(
      JSON.stringify({
        reads: i,
        rss: m.rss,
        heapUsed: m.heapUsed,
        external: m.external,
        arrayBuffers: m.arrayBuffers,
        heapPhysical: heap.total_physical_size,
        maxRss: process.resourceUsage().maxRSS * 1024,
        rpmBytes: rpm.length,
        retained: retained.length,
      }),
    );
  }
}
