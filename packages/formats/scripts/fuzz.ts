// The fuzzer over every reader: `npm run fuzz -- [format...] [--cases N] [--seed S]`.
//
// For each format (all six when none is named) it mutates seed packages (test/fuzz/seeds.ts) with the
// format's structure-aware mutators (test/fuzz/formats/) and reads every case with readPackage under
// FUZZ_LIMITS (test/fuzz/contract.ts). The contract per case: PackageInfo or a packyard typed error with a
// code; never an untyped error, never more than 1 s, never more than 256 MiB of RSS, never more than the
// 64 MiB decompression budget.
//
// Processes: this one (the parent) starts a child per format (node --max-old-space-size, small semi-spaces,
// --expose-gc) that runs the cases and reports each over IPC, writing the index of the case it is on to a
// progress file first, so a crash or a hang names its case. A case over the time limit or a child whose
// peak RSS passes the limit is only a suspect until a fresh process ("verify") confirms it on that one case
// alone; confirmed violations, and every untyped error, are written to test/fuzz/reproducers/ (one per cause;
// an untyped error's input is first reduced, in another fresh process, to the smallest that fails alike).
// The parent makes the cases again itself (they are deterministic in run seed, format and index) but never
// reads them.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { type FuzzCase, makeCase } from "../test/fuzz/cases.ts";
import { LIMIT_SETS, type LimitSet, readUnderContract } from "../test/fuzz/contract.ts";
import {
  listReproducers,
  signatureOf,
  type Sidecar,
  type Violation,
  writeReproducer,
} from "../test/fuzz/reproducers.ts";
import { outcomeKey, readExtras, reportViolations, runRange } from "../test/fuzz/run.ts";
import { buildSeeds, FUZZ_FORMATS, type FuzzFormat } from "../test/fuzz/seeds.ts";

const MiB = 1024 * 1024;
const SELF = new URL(import.meta.url).pathname;

const USAGE = `usage: npm run fuzz -- [format...] [options]
  formats: ${FUZZ_FORMATS.join(", ")} (default: all, one after another)
  --cases N         cases per format (default 10000)
  --seed S          run seed (default "fuzz"); case i of a format is the same for the same seed
  --start K         first case index (default 0), to resume or replay
  --time-ms T       per-case time limit (default 1000)
  --rss-mib M       RSS limit (default 256)
  --heap-mib H      the child's --max-old-space-size (default 256)
  --limits L        read limits: fuzz (default, FUZZ_LIMITS) or sample (SAMPLE_LIMITS, as npm test's sample)
  --json FILE       also write the summary as JSON`;

interface Options {
  formats: FuzzFormat[];
  cases: number;
  seed: string;
  start: number;
  timeMs: number;
  rssMiB: number;
  heapMiB: number;
  limits: LimitSet;
  json?: string;
}

/** A case the child flagged (too slow, or peak RSS over the limit) or that took the child down. */
interface Suspect {
  index: number;
  kind: "slow" | "memory" | "crash" | "hang";
  detail: string;
}

/** Messages from the child. */
type ChildMessage =
  | { t: "ready"; seeds: number; rssMiB: number }
  | { t: "d"; i: number; k: string; ms: number; u: number }
  | { t: "v"; i: number; v: Violation }
  | { t: "mem"; i: number; rssMiB: number }
  | { t: "end"; maxRssMiB: number };

interface FormatStats {
  format: FuzzFormat;
  cases: number;
  wallSeconds: number;
  outcomes: Record<string, number>;
  times: number[];
  maxUnpackedBytes: number;
  peakRssMiB: number;
  restarts: number;
  suspects: { kind: string; index: number; confirmed: boolean; detail: string }[];
  violations: { signature: string; count: number; reproducer?: string; detail: string; first: number }[];
}

// ---------------------------------------------------------------------------------------------------
// child: runs the cases

async function child(
  format: FuzzFormat,
  runSeed: string,
  start: number,
  end: number,
  progress: string,
  rssLimit: number,
  limits: LimitSet,
) {
  const send = (m: ChildMessage) => process.send?.(m);
  const gc = (globalThis as { gc?: () => void }).gc;
  const seeds = await buildSeeds(format);
  const rss = () => process.memoryUsage.rss();
  const maxRss = () => process.resourceUsage().maxRSS * 1024;
  let current = start;
  let sinceGc = 0;
  const fatal = (what: string) => (e: unknown) => {
    const err = e instanceof Error ? e : new Error(String(e));
    send({
      t: "v",
      i: current,
      v: {
        kind: "untyped",
        detail: `${what}: ${err.name}: ${err.message}`.slice(0, 300),
        outcome: {
          kind: "untyped",
          name: err.name,
          message: `${what}: ${err.message}`,
          stack: err.stack ?? "",
        },
      },
    });
    setTimeout(() => process.exit(3), 100);
  };
  process.on("uncaughtException", fatal("uncaught exception"));
  process.on("unhandledRejection", fatal("unhandled rejection"));
  send({ t: "ready", seeds: seeds.length, rssMiB: Math.round(rss() / MiB) });
  const fd = progress;
  await runRange({
    format,
    runSeed,
    start,
    end,
    seeds,
    limits: LIMIT_SETS[limits],
    onStart(i) {
      current = i;
      writeFileSync(fd, String(i));
    },
    onDone(r) {
      send({
        t: "d",
        i: r.index,
        k: outcomeKey(r.outcome),
        ms: Math.round(r.ms * 10) / 10,
        u: r.unpackedBytes,
      });
      for (const v of reportViolations(r)) send({ t: "v", i: r.index, v });
      // Keep garbage from passing for a case's memory: collect when RSS nears the limit (not after every
      // case: a full collection costs more than most reads).
      if (++sinceGc >= 100 && rss() > rssLimit * 0.75) {
        sinceGc = 0;
        gc?.();
      }
      if (maxRss() > rssLimit) {
        send({ t: "mem", i: r.index, rssMiB: Math.round(maxRss() / MiB) });
        return false;
      }
      return true;
    },
  });
  send({ t: "end", maxRssMiB: Math.round(maxRss() / MiB) });
  // let the IPC queue drain before leaving
  process.disconnect?.();
}

// ---------------------------------------------------------------------------------------------------
// one case handed to a fresh process: case.bin and case.json in a temporary folder

interface CaseMeta {
  fileName: string;
  chunk: number;
  keys: boolean;
  limits: LimitSet;
  detached?: Uint8Array;
}

function writeMeta(dir: string, c: FuzzCase, limits: LimitSet): void {
  writeFileSync(join(dir, "case.bin"), c.bytes);
  const detached = c.detached === undefined ? undefined : Buffer.from(c.detached).toString("base64");
  writeFileSync(
    join(dir, "case.json"),
    JSON.stringify({ fileName: c.fileName, chunk: c.chunk, keys: c.keys, limits, detached }),
  );
}

function readMeta(dir: string): CaseMeta {
  const m = JSON.parse(readFileSync(join(dir, "case.json"), "utf8")) as Omit<CaseMeta, "detached"> & {
    detached?: string;
  };
  const { detached, ...rest } = m;
  return detached === undefined
    ? rest
    : { ...rest, detached: new Uint8Array(Buffer.from(detached, "base64")) };
}

// ---------------------------------------------------------------------------------------------------
// verify: one case, alone, in a fresh process

interface VerifyResult {
  outcome: string;
  ms: number[];
  baselineMiB: number;
  peakMiB: number;
}

async function verify(dir: string, runs: number): Promise<void> {
  const meta = readMeta(dir);
  const bytes = new Uint8Array(readFileSync(join(dir, "case.bin")));
  const baseline = process.resourceUsage().maxRSS * 1024;
  const ms: number[] = [];
  let outcome = "";
  for (let k = 0; k < runs; k++) {
    const t = performance.now();
    const r = await readUnderContract(
      bytes,
      meta.fileName,
      meta.chunk,
      LIMIT_SETS[meta.limits],
      readExtras(meta),
    );
    ms.push(performance.now() - t);
    outcome = outcomeKey(r.outcome);
  }
  const result: VerifyResult = {
    outcome,
    ms,
    baselineMiB: baseline / MiB,
    peakMiB: (process.resourceUsage().maxRSS * 1024) / MiB,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

// ---------------------------------------------------------------------------------------------------
// minimize: the smallest input that still throws the same untyped error, in a fresh process

async function minimize(dir: string, format: FuzzFormat): Promise<void> {
  const meta = readMeta(dir);
  let best: Uint8Array = new Uint8Array(readFileSync(join(dir, "case.bin")));
  const key = async (b: Uint8Array): Promise<string | undefined> => {
    const r = await readUnderContract(
      b,
      meta.fileName,
      meta.chunk,
      LIMIT_SETS[meta.limits],
      readExtras(meta),
    );
    const v = reportViolations({ index: 0, outcome: r.outcome, ms: 0, unpackedBytes: r.unpackedBytes });
    const untyped = v.find((x) => x.kind === "untyped");
    return untyped === undefined ? undefined : signatureOf(format, untyped);
  };
  const want = await key(best);
  if (want === undefined) return;
  const deadline = performance.now() + 20_000;
  let tries = 0;
  const attempt = async (b: Uint8Array): Promise<boolean> => {
    if (tries++ > 600 || performance.now() > deadline) return false;
    if ((await key(b)) !== want) return false;
    best = b;
    return true;
  };
  // cut the end: the shortest prefix that still fails
  let lo = 0;
  let hi = best.length;
  while (lo + 1 < hi && tries < 600) {
    const mid = Math.floor((lo + hi) / 2);
    if (await attempt(best.slice(0, mid))) hi = mid;
    else lo = mid;
  }
  // then remove ranges, halving their size
  for (let size = Math.floor(best.length / 2); size >= 1 && tries < 600; size = Math.floor(size / 2)) {
    for (let at = 0; at + size <= best.length && tries < 600; ) {
      const b = new Uint8Array(best.length - size);
      b.set(best.subarray(0, at));
      b.set(best.subarray(at + size), at);
      if (!(await attempt(b))) at += size;
    }
  }
  writeFileSync(join(dir, "min.bin"), best);
}

// ---------------------------------------------------------------------------------------------------
// parent

function nodeArgs(o: Options): string[] {
  return [`--max-old-space-size=${o.heapMiB}`, "--max-semi-space-size=4", "--expose-gc"];
}

/** Runs `args` in a fresh node; resolves with its stdout, exit code/signal and stderr tail (killed after `timeoutMs`). */
function runNode(
  o: Options,
  args: string[],
  timeoutMs: number,
): Promise<{
  stdout: string;
  stderr: string;
  code: number | null;
  signal: string | null;
  timedOut: boolean;
}> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [...nodeArgs(o), SELF, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    p.stdout.on("data", (d) => {
      stdout += d;
    });
    p.stderr.on("data", (d) => {
      stderr = (stderr + d).slice(-4000);
    });
    const timer = setTimeout(() => {
      timedOut = true;
      p.kill("SIGKILL");
    }, timeoutMs);
    p.on("exit", (code, signal) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, code, signal, timedOut });
    });
  });
}

/** Time a fresh process gets for one case before it counts as a hang. */
const HANG_MS = 30_000;

/** `c` reduced by a fresh process ({@link minimize}), or undefined when that fails. */
async function reduce(o: Options, format: FuzzFormat, c: FuzzCase): Promise<Uint8Array | undefined> {
  const dir = mkdtempSync(join(tmpdir(), "packyard-fuzz-"));
  try {
    writeMeta(dir, c, o.limits);
    const r = await runNode(o, ["--minimize", dir, "--format", format], 60_000);
    if (r.code !== 0) return undefined;
    return new Uint8Array(readFileSync(join(dir, "min.bin")));
  } catch {
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function confirm(o: Options, c: FuzzCase, s: Suspect): Promise<Violation | undefined> {
  const dir = mkdtempSync(join(tmpdir(), "packyard-fuzz-"));
  try {
    writeMeta(dir, c, o.limits);
    const runs = s.kind === "slow" ? 3 : 1;
    const r = await runNode(o, ["--verify", dir, "--runs", String(runs)], HANG_MS * runs);
    if (r.timedOut)
      return { kind: "hang", detail: `a fresh process did not finish the case in ${HANG_MS * runs} ms` };
    if (r.code !== 0 || r.stdout.trim() === "") {
      const tail = r.stderr.trim().split("\n").slice(-6).join(" | ");
      return {
        kind: "crash",
        detail: `a fresh process exited with ${r.signal ?? `code ${r.code}`}: ${tail}`.slice(0, 600),
      };
    }
    const v = JSON.parse(r.stdout.trim().split("\n").pop()!) as VerifyResult;
    const best = Math.min(...v.ms);
    if (best > o.timeMs)
      return {
        kind: "slow",
        detail: `fastest of ${runs} reads took ${best.toFixed(0)} ms (limit ${o.timeMs})`,
        ms: Math.round(best),
      };
    if (v.peakMiB > o.rssMiB)
      return {
        kind: "memory",
        detail: `peak RSS ${v.peakMiB.toFixed(0)} MiB reading this case alone (baseline ${v.baselineMiB.toFixed(0)}, limit ${o.rssMiB})`,
        rssMiB: Math.round(v.peakMiB),
      };
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

async function fuzzFormat(o: Options, format: FuzzFormat): Promise<FormatStats> {
  const seeds = await buildSeeds(format);
  const end = o.start + o.cases;
  const stats: FormatStats = {
    format,
    cases: 0,
    wallSeconds: 0,
    outcomes: {},
    times: [],
    maxUnpackedBytes: 0,
    peakRssMiB: 0,
    restarts: 0,
    suspects: [],
    violations: [],
  };
  const known = new Map<string, Sidecar>(listReproducers().map((s) => [s.signature, s]));
  const bySignature = new Map<string, FormatStats["violations"][number]>();
  const suspects: Suspect[] = [];
  const record = async (index: number, v: Violation, c?: FuzzCase) => {
    const signature = signatureOf(format, v);
    let entry = bySignature.get(signature);
    if (entry === undefined) {
      entry = { signature, count: 0, detail: v.detail, first: index };
      bySignature.set(signature, entry);
      const existing = known.get(signature);
      if (existing !== undefined) entry.reproducer = `${existing.file} (already kept)`;
      else {
        const kase = c ?? (await makeCase(format, o.seed, index, seeds));
        const reduced = v.kind === "untyped" ? await reduce(o, format, kase) : undefined;
        const s = writeReproducer(kase, v, reduced, o.limits);
        known.set(signature, s);
        entry.reproducer = s.file;
        log(`  ${format} case ${index}: ${v.kind} — ${v.detail.slice(0, 160)} -> reproducers/${s.file}`);
      }
    }
    entry.count++;
  };
  const progress = join(mkdtempSync(join(tmpdir(), "packyard-fuzz-progress-")), "index");
  const t0 = performance.now();
  let lastLog = t0;
  let next = o.start;
  while (next < end) {
    const start = next;
    const outcome = await new Promise<{ ended: boolean; suspect?: Suspect }>((resolve) => {
      const args = ["--child", format, "--seed", o.seed, "--start", String(start), "--end", String(end)];
      args.push("--progress", progress, "--rss-mib", String(o.rssMiB), "--limits", o.limits);
      const p = spawn(process.execPath, [...nodeArgs(o), SELF, ...args], {
        stdio: ["ignore", "inherit", "pipe", "ipc"],
      });
      let stderr = "";
      let ended = false;
      let memSuspect: Suspect | undefined;
      let lastActivity = performance.now();
      let hung = false;
      const pending: Promise<void>[] = [];
      p.stderr?.on("data", (d) => {
        stderr = (stderr + d).slice(-4000);
      });
      p.on("message", (m: ChildMessage) => {
        lastActivity = performance.now();
        if (m.t === "d") {
          next = m.i + 1;
          stats.cases++;
          stats.outcomes[m.k] = (stats.outcomes[m.k] ?? 0) + 1;
          stats.times.push(m.ms);
          stats.maxUnpackedBytes = Math.max(stats.maxUnpackedBytes, m.u);
          if (m.ms > o.timeMs)
            suspects.push({ index: m.i, kind: "slow", detail: `${m.ms} ms in the fuzz process` });
          if (performance.now() - lastLog > 15_000) {
            lastLog = performance.now();
            const rate = stats.cases / ((lastLog - t0) / 1000);
            log(
              `  ${format}: ${stats.cases}/${o.cases} cases, ${rate.toFixed(0)}/s, ${bySignature.size} violation causes`,
            );
          }
        } else if (m.t === "v") pending.push(record(m.i, m.v));
        else if (m.t === "mem") {
          memSuspect = { index: m.i, kind: "memory", detail: `peak RSS ${m.rssMiB} MiB in the fuzz process` };
          stats.peakRssMiB = Math.max(stats.peakRssMiB, m.rssMiB);
        } else if (m.t === "end") {
          ended = true;
          stats.peakRssMiB = Math.max(stats.peakRssMiB, m.maxRssMiB);
        }
      });
      const watchdog = setInterval(() => {
        if (performance.now() - lastActivity > HANG_MS) {
          hung = true;
          p.kill("SIGKILL");
        }
      }, 1000);
      p.on("exit", async (code, signal) => {
        clearInterval(watchdog);
        await Promise.all(pending);
        if (memSuspect) return resolve({ ended: false, suspect: memSuspect });
        if (ended) return resolve({ ended: true });
        let index = next;
        try {
          index = Number(readFileSync(progress, "utf8"));
        } catch {
          // no case started: the child died while starting
        }
        const tail = stderr.trim().split("\n").slice(-4).join(" | ");
        resolve({
          ended: false,
          suspect: hung
            ? { index, kind: "hang", detail: `no progress for ${HANG_MS} ms` }
            : { index, kind: "crash", detail: `child exited with ${signal ?? `code ${code}`}: ${tail}` },
        });
      });
    });
    if (outcome.ended) break;
    stats.restarts++;
    if (outcome.suspect) {
      suspects.push(outcome.suspect);
      next = Math.max(next, outcome.suspect.index + 1);
      if (outcome.suspect.kind !== "memory") {
        stats.cases++;
        stats.outcomes[outcome.suspect.kind] = (stats.outcomes[outcome.suspect.kind] ?? 0) + 1;
      }
    }
    if (stats.restarts > 1000) {
      log(`  ${format}: giving up after ${stats.restarts} restarts`);
      break;
    }
  }
  stats.wallSeconds = (performance.now() - t0) / 1000;
  for (const s of suspects) {
    const c = await makeCase(format, o.seed, s.index, seeds);
    const v = await confirm(o, c, s);
    stats.suspects.push({ kind: s.kind, index: s.index, confirmed: v !== undefined, detail: s.detail });
    if (v !== undefined) await record(s.index, v, c);
  }
  stats.violations = [...bySignature.values()];
  return stats;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function printSummary(o: Options, all: FormatStats[]): void {
  const lines = [`fuzz summary: run seed "${o.seed}", cases ${o.start}..${o.start + o.cases - 1} per format`];
  lines.push(
    "format     cases     wall s  cases/s  p50 ms  p99 ms  max ms  max unpacked MiB  peak RSS MiB  violations",
  );
  for (const s of all) {
    const t = [...s.times].sort((a, b) => a - b);
    lines.push(
      [
        s.format.padEnd(9),
        String(s.cases).padStart(7),
        s.wallSeconds.toFixed(0).padStart(9),
        (s.cases / s.wallSeconds).toFixed(0).padStart(8),
        percentile(t, 50).toFixed(1).padStart(7),
        percentile(t, 99).toFixed(1).padStart(7),
        (t[t.length - 1] ?? 0).toFixed(0).padStart(7),
        (s.maxUnpackedBytes / MiB).toFixed(1).padStart(17),
        String(s.peakRssMiB).padStart(13),
        String(s.violations.reduce((n, v) => n + v.count, 0)).padStart(11),
      ].join(" "),
    );
  }
  for (const s of all) {
    const outcomes = Object.entries(s.outcomes)
      .sort((a, b) => b[1] - a[1])
      .map(([k, n]) => `${k} ${n}`)
      .join(", ");
    lines.push(`${s.format}: ${outcomes}`);
    const unconfirmed = s.suspects.filter((x) => !x.confirmed);
    if (unconfirmed.length > 0) {
      const kinds = [...new Set(unconfirmed.map((x) => x.kind))].map((k) => {
        const of = unconfirmed.filter((x) => x.kind === k);
        const first = of.slice(0, 5).map((x) => x.index);
        return `${k} ${of.length} (cases ${first.join(", ")}${of.length > 5 ? ", ..." : ""})`;
      });
      lines.push(`  suspects a fresh process did not confirm: ${kinds.join("; ")}`);
    }
    for (const v of s.violations)
      lines.push(
        `  VIOLATION x${v.count} (first case ${v.first}): ${v.detail.slice(0, 200)}\n    ${v.signature}\n    reproducer: ${v.reproducer ?? "-"}`,
      );
  }
  process.stdout.write(`${lines.join("\n")}\n`);
  if (o.json !== undefined) {
    const data = all.map((s) => {
      const t = [...s.times].sort((a, b) => a - b);
      const { times: _times, ...rest } = s;
      return { ...rest, p50Ms: percentile(t, 50), p99Ms: percentile(t, 99), maxMs: t[t.length - 1] ?? 0 };
    });
    writeFileSync(
      o.json,
      `${JSON.stringify({ seed: o.seed, start: o.start, cases: o.cases, formats: data }, null, 2)}\n`,
    );
  }
}

// ---------------------------------------------------------------------------------------------------
// entry

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    cases: { type: "string" },
    seed: { type: "string" },
    start: { type: "string" },
    end: { type: "string" },
    "time-ms": { type: "string" },
    "rss-mib": { type: "string" },
    "heap-mib": { type: "string" },
    json: { type: "string" },
    limits: { type: "string" },
    child: { type: "string" },
    progress: { type: "string" },
    verify: { type: "string" },
    runs: { type: "string" },
    minimize: { type: "string" },
    format: { type: "string" },
    help: { type: "boolean", short: "h" },
  },
});

function int(v: string | undefined, fallback: number, name: string): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) {
    console.error(`--${name}: expected a non-negative integer, found ${JSON.stringify(v)}\n${USAGE}`);
    process.exit(2);
  }
  return n;
}

function limitSet(v: string | undefined): LimitSet {
  if (v === undefined) return "fuzz";
  if (v in LIMIT_SETS) return v as LimitSet;
  console.error(
    `--limits: expected ${Object.keys(LIMIT_SETS).join(" or ")}, found ${JSON.stringify(v)}\n${USAGE}`,
  );
  process.exit(2);
}

if (values.help) {
  console.log(USAGE);
} else if (values.minimize !== undefined) {
  await minimize(values.minimize, (values.format ?? "deb") as FuzzFormat);
} else if (values.verify !== undefined) {
  await verify(values.verify, int(values.runs, 1, "runs"));
} else if (values.child !== undefined) {
  await child(
    values.child as FuzzFormat,
    values.seed ?? "fuzz",
    int(values.start, 0, "start"),
    int(values.end, 0, "end"),
    values.progress ?? join(tmpdir(), "packyard-fuzz-index"),
    int(values["rss-mib"], 256, "rss-mib") * MiB,
    limitSet(values.limits),
  );
} else {
  const unknown = positionals.filter((p) => !(FUZZ_FORMATS as readonly string[]).includes(p));
  if (unknown.length > 0) {
    console.error(`unknown format ${unknown.join(", ")}: expected ${FUZZ_FORMATS.join(", ")}\n${USAGE}`);
    process.exit(2);
  }
  const o: Options = {
    formats: positionals.length > 0 ? (positionals as FuzzFormat[]) : [...FUZZ_FORMATS],
    cases: int(values.cases, 10_000, "cases"),
    seed: values.seed ?? "fuzz",
    start: int(values.start, 0, "start"),
    timeMs: int(values["time-ms"], 1000, "time-ms"),
    rssMiB: int(values["rss-mib"], 256, "rss-mib"),
    heapMiB: int(values["heap-mib"], 256, "heap-mib"),
    limits: limitSet(values.limits),
    ...(values.json !== undefined ? { json: values.json } : {}),
  };
  const all: FormatStats[] = [];
  for (const f of o.formats) {
    log(`fuzzing ${f}: ${o.cases} cases from ${o.start}, seed "${o.seed}"`);
    all.push(await fuzzFormat(o, f));
  }
  printSummary(o, all);
  if (all.some((s) => s.violations.length > 0)) process.exitCode = 1;
}
