/**
 * Summarizes V8 CPU profiles (`node --cpu-prof`) of a bench driver into where the main thread's time
 * went: `node bench/profile.ts FILE.cpuprofile [...]` prints, per file, the split by category (ms and
 * % of the profile) and the 15 frames with the most self time; given several files (the repetitions of
 * one run, or a run's threads), it ends with the same tables for their mean.
 *
 * Each sample is charged to one category by its stack, read from the sampled frame towards the root:
 *
 * 1. V8's pseudo-frames decide at once: `(idle)` is idle (the event loop waiting: for node:zlib's
 *    thread pool, for fs promises, for the output stream), `(garbage collector)` is GC, `(program)`
 *    and `(root)` (native time V8 cannot attribute) are other, `runMicrotasks` is generator/promise.
 * 2. Start-up: a frame of the module loader (`node:internal/modules/`, `node:internal/bootstrap/`,
 *    `node:internal/main/`, amaro's type stripping `node:internal/deps/amaro`, `wasm://`) nearer to the
 *    sampled frame than any project frame makes the sample start-up.
 * 3. Otherwise the first frame, from the sampled one upwards, that a rule below matches decides.
 *    Project frames (under packages/ or bench/) always decide, by path: `source/` and `bench/drivers/`
 *    (the tree walk) -> file reading; `hash/` -> hashing; `container/` -> tar/cpio encoding;
 *    `compress/rechunk.ts` -> copies; other `compress/` -> compression; `spool/file.ts` -> file
 *    writing; other `spool/` -> copies (the memory spool copies each chunk); concatBytes and collect
 *    of `bytes/bytes.ts` -> copies (its other helpers are transparent); any other project frame
 *    (format, spec, text code) -> other. Node's own frames decide by module: `node:fs` and
 *    `node:internal/fs/` -> file writing when the function's name contains "write" (the output
 *    stream, the spool's temp file), else file reading; `node:internal/crypto/` -> hashing;
 *    `node:zlib` -> compression; concat, copy and set of `node:buffer` -> copies;
 *    `node:internal/process/task_queues`, `.../promises` and `runMicrotasks` (also as a caller) ->
 *    generator/promise.
 * 4. Every other frame is transparent: its time goes to the first deciding caller. So are native
 *    bindings (`open`, `read`, `lstat`, `writeBuffer`: frames without a url), node:internal/encoding
 *    (TextEncoder), node:path, node:events, node:internal/streams and the rest of node:buffer. A
 *    stack with no deciding frame is other.
 *
 * Limits, by construction of a sampling profile of one thread: time inside an async generator's own
 * frame (resume, yield, await) is charged to that generator's category, so generator/promise is a
 * lower bound; builtins such as `TypedArray.prototype.set` have no frame of their own and count for
 * their caller; work on other threads (zlib/zstd in the thread pool, GC helpers) is not in the
 * profile at all — the main thread shows it only as idle while it waits for that work.
 */
import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { fileURLToPath } from "node:url";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Categories in the order they are printed. */
const CATEGORIES = [
  "file reading",
  "file writing",
  "hashing",
  "tar/cpio encoding",
  "compression",
  "copies",
  "generator/promise",
  "GC",
  "idle",
  "start-up",
  "other",
] as const;
type Category = (typeof CATEGORIES)[number];

const PSEUDO: Readonly<Record<string, Category>> = {
  "(idle)": "idle",
  "(garbage collector)": "GC",
  "(program)": "other",
  "(root)": "other",
  runMicrotasks: "generator/promise",
};

const STARTUP_URL = /^(node:internal\/(modules|bootstrap|main)\/|node:internal\/deps\/amaro\/|wasm:\/\/)/;

function isProject(url: string): boolean {
  return url.startsWith("file://") && /\/(packages|bench)\//.test(url);
}

/** The category a project frame stands for (rule 3, by path); undefined for bytes.ts's other helpers. */
function projectCategory(f: CallFrame): Category | undefined {
  const u = f.url;
  if (u.includes("/src/source/") || u.includes("/bench/drivers/")) return "file reading";
  if (u.includes("/src/hash/")) return "hashing";
  if (u.includes("/src/container/")) return "tar/cpio encoding";
  if (u.endsWith("/src/compress/rechunk.ts")) return "copies";
  if (u.includes("/src/compress/")) return "compression";
  if (u.endsWith("/src/spool/file.ts")) return "file writing";
  if (u.includes("/src/spool/")) return "copies";
  if (u.endsWith("/src/bytes/bytes.ts") && /^(concatBytes|collect)$/.test(f.functionName)) return "copies";
  if (u.endsWith("/src/bytes/bytes.ts")) return undefined;
  return "other";
}

/** The category a frame of Node itself decides, or undefined when it is transparent (rule 3 and 4). */
function nodeCategory(f: CallFrame): Category | undefined {
  const u = f.url;
  if (u === "node:fs" || u.startsWith("node:internal/fs/"))
    return /write/i.test(f.functionName) ? "file writing" : "file reading";
  if (u.startsWith("node:internal/crypto/")) return "hashing";
  if (u === "node:zlib") return "compression";
  if (u === "node:buffer" && /^(concat|copy|set)$/.test(f.functionName)) return "copies";
  if (u === "node:internal/process/task_queues" || u === "node:internal/process/promises")
    return "generator/promise";
  return undefined;
}

/** The category of one sampled stack, `stack[0]` being the sampled frame. */
function classify(stack: readonly CallFrame[]): Category {
  const leaf = stack[0];
  if (leaf !== undefined && leaf.url === "" && PSEUDO[leaf.functionName] !== undefined)
    return PSEUDO[leaf.functionName]!;
  for (const f of stack) {
    if (isProject(f.url)) break;
    if (STARTUP_URL.test(f.url)) return "start-up";
  }
  for (const f of stack) {
    if (f.url === "" && f.functionName === "runMicrotasks") return "generator/promise";
    const c = isProject(f.url) ? projectCategory(f) : nodeCategory(f);
    if (c !== undefined) return c;
  }
  return "other";
}

interface FrameTime {
  label: string;
  category: Category;
  ms: number;
}

/** Self time summed over one or more profiles. */
interface Summary {
  profiles: number;
  totalMs: number;
  byCategory: Map<Category, number>;
  byFrame: Map<string, FrameTime>;
}

function emptySummary(): Summary {
  return { profiles: 0, totalMs: 0, byCategory: new Map(CATEGORIES.map((c) => [c, 0])), byFrame: new Map() };
}

/** A readable frame label: function name and a url relative to the working directory. */
function frameLabel(f: CallFrame): string {
  const name = f.functionName === "" ? "(anonymous)" : f.functionName;
  if (f.url === "") return name;
  const where = f.url.startsWith("file://") ? relative(process.cwd(), fileURLToPath(f.url)) : f.url;
  return `${name} ${where}:${f.lineNumber + 1}`;
}

/**
 * Adds a profile's self time per category and per frame to `into`. A sample lasts until the next one
 * (the last one until endTime).
 */
function addProfile(into: Summary, profile: CpuProfile): void {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, ProfileNode>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n);
  const categoryOf = new Map<number, Category>();
  const times: number[] = [];
  let t = profile.startTime;
  for (const d of profile.timeDeltas) times.push((t += d));
  into.profiles += 1;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    if (node === undefined) return;
    const next = i + 1 < times.length ? times[i + 1]! : profile.endTime;
    const ms = Math.max(0, next - times[i]!) / 1000;
    let category = categoryOf.get(id);
    if (category === undefined) {
      const stack: CallFrame[] = [];
      for (let n: ProfileNode | undefined = node; n !== undefined; n = parent.get(n.id))
        stack.push(n.callFrame);
      category = classify(stack);
      categoryOf.set(id, category);
    }
    into.totalMs += ms;
    into.byCategory.set(category, into.byCategory.get(category)! + ms);
    const label = frameLabel(node.callFrame);
    const key = `${category}\u0000${label}`;
    const frame = into.byFrame.get(key) ?? { label, category, ms: 0 };
    frame.ms += ms;
    into.byFrame.set(key, frame);
  });
}

function pct(ms: number, total: number): string {
  return total > 0 ? `${((100 * ms) / total).toFixed(1)}%` : "-";
}

/** The split and the top frames; with several profiles, ms are the mean per profile. */
function report(title: string, s: Summary): string {
  const n = Math.max(1, s.profiles);
  const ms = (x: number) => (x / n).toFixed(0);
  const lines = [`${title}: ${ms(s.totalMs)} ms sampled on the main thread`, ""];
  lines.push("| category | ms | % |", "| --- | ---: | ---: |");
  for (const c of CATEGORIES) {
    const t = s.byCategory.get(c)!;
    lines.push(`| ${c} | ${ms(t)} | ${pct(t, s.totalMs)} |`);
  }
  const frames = [...s.byFrame.values()].sort((a, b) => b.ms - a.ms || (a.label < b.label ? -1 : 1));
  lines.push(
    "",
    "top 15 frames by self time:",
    "| ms | % | category | frame |",
    "| ---: | ---: | --- | --- |",
  );
  for (const f of frames.slice(0, 15))
    lines.push(`| ${ms(f.ms)} | ${pct(f.ms, s.totalMs)} | ${f.category} | ${f.label} |`);
  return lines.join("\n");
}

const files = process.argv.slice(2);
if (files.length === 0) {
  process.stderr.write("usage: node bench/profile.ts FILE.cpuprofile [...]\n");
  process.exit(2);
}
const all = emptySummary();
const out: string[] = [];
for (const file of files) {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const one = emptySummary();
  addProfile(one, profile);
  addProfile(all, profile);
  out.push(report(file, one));
}
if (files.length > 1) out.push(report(`mean of ${files.length} profiles`, all));
process.stdout.write(`${out.join("\n\n")}\n`);
