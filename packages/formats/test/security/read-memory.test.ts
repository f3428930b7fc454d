/**
 * Reading does not leak: 20,000 reads of a small rpm (written by our writer) in one process keep memory
 * flat. Reports had RSS climbing to ~500 MiB over such a run.
 *
 * The reads run in a child process started with --expose-gc, so each checkpoint is measured after full
 * collections, and nothing else (other tests, the runner) shares its heap. Memory is compared between
 * read 5,000 and read 20,000: the first thousands warm up what is bounded by design and would pass for
 * growth (V8 enlarges its young generation to 128 MiB, the allocator keeps freed pages), a leak grows
 * with every read. Three measures, each blind to the others' noise:
 * - V8 heap in use after collection (objects kept alive): < 4 MiB more, i.e. < 280 bytes per read;
 * - external memory (Buffers, ArrayBuffers, native objects V8 is told about): < 4 MiB more;
 * - resident memory outside the V8 heap (RSS minus the heap's physical size: native memory V8 is not
 *   told about, such as codec state freed only by finalizers): < 32 MiB more, < 2.2 KiB per read;
 * and a fixed ceiling on the process's peak RSS over the whole run: 448 MiB.
 * Measured here (Node 24, 2 cores): heap in use -4 to +0.1 MiB, external 0, outside the heap +5 to +6 MiB,
 * peak 256-270 MiB; about 9 s for the 20,000 reads. The deliberate leak of the second test: +16 and +18 MiB.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";

const MiB = 1024 * 1024;
const CHILD = new URL("./read-memory-child.ts", import.meta.url).pathname;

interface Checkpoint {
  reads: number;
  rss: number;
  heapUsed: number;
  external: number;
  heapPhysical: number;
  maxRss: number;
  retained: number;
}

function run(env: Record<string, string>): Checkpoint[] {
  const r = spawnSync(process.execPath, ["--expose-gc", "--conditions=@packyard/source", CHILD], {
    env: { ...process.env, ...env },
    encoding: "utf8",
  });
  assert.equal(r.status, 0, `child failed: ${r.stderr}`);
  return r.stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as Checkpoint);
}

/** What grew from `from` to `to` beyond the bounds in the file comment; empty when nothing did. */
function growth(from: Checkpoint, to: Checkpoint): string[] {
  const over: string[] = [];
  const check = (what: string, grew: number, limit: number) => {
    if (grew >= limit)
      over.push(
        `${what} grew ${(grew / MiB).toFixed(1)} MiB over ${to.reads - from.reads} reads (limit ${limit / MiB} MiB)`,
      );
  };
  check("heap in use", to.heapUsed - from.heapUsed, 4 * MiB);
  check("external", to.external - from.external, 4 * MiB);
  check("RSS outside the V8 heap", to.rss - to.heapPhysical - (from.rss - from.heapPhysical), 32 * MiB);
  if (to.maxRss >= 448 * MiB) over.push(`peak RSS ${(to.maxRss / MiB).toFixed(0)} MiB (ceiling 448 MiB)`);
  return over;
}

test("20,000 rpm reads in one process: memory after read 5,000 and after read 20,000 is the same", () => {
  const [warm, end] = run({ READS: "20000", CHECKPOINTS: "5000,20000" });
  assert.ok(warm !== undefined && end !== undefined && end.reads === 20_000);
  assert.deepEqual(growth(warm, end), []);
});

test("the measure sees a leak: keeping each result and a package copy fails it within 3,000 reads", () => {
  const [from, to] = run({ READS: "3000", CHECKPOINTS: "1000,3000", RETAIN: "1" });
  assert.ok(from !== undefined && to !== undefined && to.retained === 6000);
  const over = growth(from, to);
  assert.ok(
    over.some((o) => o.startsWith("heap in use")),
    over.join("; "),
  );
  assert.ok(
    over.some((o) => o.startsWith("external")),
    over.join("; "),
  );
});
