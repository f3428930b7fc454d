/**
 * Bench harness: `npm run bench [-- <scenario>|writers] [--payload KIND[,KIND]] [--reps N] [--seed N]
 * [--max-load L] [--load-wait S]` (`writers`, the default: every writer scenario in turn, then a "gates"
 * section with all their gate rows).
 *
 * Stages the scenario's seeded payloads (once, under bench/out/), then runs the packyard command, the
 * native command(s) and any extra sides under `/usr/bin/time -v` in interleaved repetitions (the order
 * rotates every repetition, so no side always gets the warm cache), and reports medians of wall time
 * and of peak RSS, the time ratios, output sizes, tool versions and the machine.
 *
 * Before each repetition the harness waits for the 1-minute load average to drop to `--max-load`
 * (default 1.5, capped at `--load-wait` seconds, default 60); a repetition that still starts above it
 * is run again (bench/gates.ts `repetitionVerdict`), and RESULTS.md records the waits and repeats.
 *
 * For writer scenarios with gates, the first packyard repetition is followed by an untimed check: the
 * compressed stream of packyard's package is located, its gzip members / zstd frames counted, and its
 * uncompressed bytes extracted; each repetition then also times the compressor ceiling on those bytes
 * (bench/ceiling-run.ts), and the Gates table is judged from the medians (bench/gates.ts). The
 * scenario's section of bench/RESULTS.md is rewritten.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, existsSync, readFileSync } from "node:fs";
import { lstat, mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { availableParallelism, cpus, loadavg, release, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import type { CeilingResult } from "./ceiling-run.ts";
import {
  DEFAULT_LOAD_POLICY,
  evaluateGate,
  type GateResult,
  type LoadPolicy,
  renderGates,
  repetitionVerdict,
  type SideMedians,
  sizeCheck,
  waitForLoad,
} from "./gates.ts";
import { inspectStream, locateStream, type StreamInfo } from "./package-stream.ts";
import { DEFAULT_SEED, PAYLOAD_KINDS, payloadBytes, stagePayload } from "./payload.ts";
import { median, replaceSection } from "./results.ts";
import type {
  BenchCommand,
  BenchSide,
  CeilingSpec,
  CustomScenario,
  PackageKind,
  PayloadKind,
  Scenario,
  ScenarioContext,
} from "./scenario.ts";
import { parseTimeV, type TimeReport } from "./time-v.ts";

const repoRoot = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const benchDir = join(repoRoot, "bench");
const outDir = join(benchDir, "out");
const TIME = "/usr/bin/time";
/** Frame size of a split ceiling when packyard's own output is one frame (so it shows no size to copy). */
export const DEFAULT_CEILING_FRAME = 8 * 1024 * 1024;

/** One timed side of one repetition. */
export interface Sample {
  wallSeconds: number;
  maxRssKiB: number;
  outputBytes: number;
}

/** Median results of one side on one payload. */
export interface SideResult {
  id: string;
  label: string;
  /** Absent when the side was skipped. */
  median?: Sample;
  skip?: string;
}

/** What the ceiling measured on one payload. */
export interface CeilingSummary {
  spec: CeilingSpec;
  /** Median of the repetitions. */
  seconds: number;
  threads: number;
  frameBytes: number;
  inputBytes: number;
  outputBytes: number;
}

/** Median results of one payload. */
export interface PayloadResult {
  payload: PayloadKind;
  payloadBytes: number;
  reps: number;
  /** 1-minute load average at the start of each kept repetition. */
  loads: number[];
  /** Repetitions run again because they started above the load limit. */
  repeated: number;
  /** Kept repetitions that started above the limit (the last attempt). */
  keptHigh: number;
  /** Seconds spent waiting for the load to drop. */
  waitedSeconds: number;
  sides: SideResult[];
  ceiling?: CeilingSummary;
  /** What packyard's package holds (the untimed check). */
  stream?: StreamInfo;
  packageKind?: PackageKind;
  /** Sides that must write identical bytes: whether they did. */
  identical?: { sides: string[]; same: boolean; hashes: Record<string, string[]> };
  gates: GateResult[];
}

function fail(message: string): never {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(1);
}

function hasCommand(name: string): boolean {
  return spawnSync("sh", ["-c", `command -v "$1" >/dev/null 2>&1`, "sh", name]).status === 0;
}

async function loadScenario(name: string): Promise<Scenario | CustomScenario> {
  const dir = join(benchDir, "scenarios");
  const file = join(dir, `${name}.ts`);
  if (!/^[\w.-]+$/.test(name) || !existsSync(file)) {
    const names = (await readdir(dir).catch(() => [] as string[]))
      .filter((f) => f.endsWith(".ts"))
      .map((f) => f.slice(0, -3));
    fail(
      `no scenario '${name}': expected one of ${names.join(", ") || "(none)"} (files in bench/scenarios/)`,
    );
  }
  const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  const candidates = [mod.default, mod.scenario, ...Object.values(mod)];
  const found = candidates.find(
    (v): v is Scenario | CustomScenario =>
      typeof v === "object" &&
      v !== null &&
      ((typeof (v as Scenario).packyard === "function" && typeof (v as Scenario).native === "function") ||
        typeof (v as CustomScenario).run === "function"),
  );
  if (found === undefined)
    fail(`bench/scenarios/${name}.ts exports no Scenario (default export or \`scenario\`)`);
  return found;
}

async function treeBytes(path: string): Promise<number> {
  const st = await lstat(path);
  if (!st.isDirectory()) return st.size;
  let total = 0;
  for (const name of await readdir(path)) total += await treeBytes(join(path, name));
  return total;
}

/** Removes everything in `dir` that was not there after `prepare`, returning nothing. */
async function resetWorkDir(dir: string, keep: ReadonlySet<string>): Promise<void> {
  for (const name of await readdir(dir))
    if (!keep.has(name)) await rm(join(dir, name), { recursive: true, force: true });
}

/** Runs one command under time -v; throws with the command's stderr when it fails. */
function timed(c: BenchCommand, ctx: ScenarioContext): TimeReport {
  const reportFile = join(outDir, "time-v.txt");
  const r = spawnSync(TIME, ["-v", "-o", reportFile, c.cmd, ...c.args], {
    cwd: c.cwd ?? ctx.workDir,
    env: { ...process.env, ...c.env },
    stdio: ["ignore", "ignore", "pipe"],
    maxBuffer: 64 * 1024 * 1024,
  });
  const stderr = r.stderr?.toString() ?? "";
  if (r.error !== undefined) throw new Error(`${c.label}: cannot run ${c.cmd}: ${r.error.message}`);
  const report = parseTimeV(readFileSync(reportFile, "utf8"));
  if (report.exitStatus !== 0 || r.status !== 0) {
    throw new Error(
      `${c.label} failed (exit ${report.exitStatus}): ${c.cmd} ${c.args.join(" ")}\n${stderr.slice(-4000)}`,
    );
  }
  return report;
}

/** Runs one side in a clean work folder; its output is left there for the check steps. */
async function runSide(side: BenchSide, ctx: ScenarioContext, keep: ReadonlySet<string>): Promise<Sample> {
  await resetWorkDir(ctx.workDir, keep);
  let wallSeconds = 0;
  let maxRssKiB = 0;
  for (const c of side.commands) {
    const t = timed(c, ctx);
    wallSeconds += t.wallSeconds;
    maxRssKiB = Math.max(maxRssKiB, t.maxRssKiB);
  }
  let outputBytes = 0;
  if (side.output !== undefined) {
    const file = join(ctx.workDir, side.output);
    if (!existsSync(file)) throw new Error(`${side.label}: expected its package at ${file}, found none`);
    outputBytes = (await lstat(file)).size;
  } else
    for (const name of await readdir(ctx.workDir))
      if (!keep.has(name)) outputBytes += await treeBytes(join(ctx.workDir, name));
  return { wallSeconds, maxRssKiB, outputBytes };
}

function medianSample(samples: Sample[]): Sample {
  return {
    wallSeconds: median(samples.map((s) => s.wallSeconds)),
    maxRssKiB: median(samples.map((s) => s.maxRssKiB)),
    outputBytes: median(samples.map((s) => s.outputBytes)),
  };
}

async function sha256File(file: string): Promise<string> {
  const h = createHash("sha256");
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  return h.digest("hex");
}

/** First non-empty output line of a version command. */
function versionLine(c: BenchCommand): string {
  const r = spawnSync(c.cmd, c.args, { encoding: "utf8", cwd: c.cwd ?? repoRoot });
  const line = `${r.stdout ?? ""}\n${r.stderr ?? ""}`.split("\n").find((l) => l.trim() !== "");
  return `${c.label}: ${line?.trim() ?? "(no output)"}`;
}

function gitCommit(): string {
  const r = spawnSync("git", ["rev-parse", "--short", "HEAD"], { cwd: repoRoot, encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : "unknown";
}

const mib = (kib: number): string => (kib / 1024).toFixed(1);
const mb = (bytes: number): string => (bytes / 1e6).toFixed(1);
/** A table cell: a `|` inside (a shell pipe in a label) would end the cell. */
const cell = (s: string): string => s.replaceAll("|", "\\|");
const pct = (x: number): string => `${x >= 0 ? "+" : ""}${(x * 100).toFixed(2)} %`;

/** The sides of a scenario on one payload: packyard, native, then the scenario's extra sides. */
export function scenarioSides(scenario: Scenario, ctx: ScenarioContext): BenchSide[] {
  const native = scenario.native(ctx);
  const sides: BenchSide[] = [
    { id: "packyard", label: scenario.packyard(ctx).label, commands: [scenario.packyard(ctx)] },
    { id: "native", label: native.map((c) => c.label).join(" + "), commands: native },
    ...(scenario.extraSides?.(ctx) ?? []),
  ];
  if (scenario.outputs?.packyard !== undefined) sides[0]!.output = scenario.outputs.packyard;
  if (scenario.outputs?.native !== undefined) sides[1]!.output = scenario.outputs.native;
  return sides;
}

/** The order of the sides in repetition `rep`: rotated by one each time (repetition 0: as listed). */
export function rotation<T>(items: readonly T[], rep: number): T[] {
  if (items.length === 0) return [];
  const k = rep % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

/** The Markdown section for one scenario run. */
export function renderSection(
  scenario: Pick<Scenario, "name" | "description">,
  results: PayloadResult[],
  meta: {
    date: string;
    machine: string;
    versions: string[];
    commit: string;
    commands: string[];
    notes?: string[];
    maxLoad?: number;
  },
): string {
  const maxLoad = meta.maxLoad ?? DEFAULT_LOAD_POLICY.maxLoad;
  const rows: string[] = [];
  for (const r of results) {
    const py = r.sides.find((s) => s.id === "packyard")?.median;
    const loads =
      r.loads.length === 0 ? "—" : `${Math.min(...r.loads).toFixed(2)}–${Math.max(...r.loads).toFixed(2)}`;
    for (const s of r.sides) {
      const m = s.median;
      if (m === undefined) {
        rows.push(`| ${r.payload} | ${cell(s.label)} | not run: ${s.skip ?? "skipped"} | | | | | |`);
        continue;
      }
      // /usr/bin/time reports 10 ms steps: a side under that has no meaningful ratio.
      let ratio = "—";
      if (s.id !== "packyard" && py !== undefined)
        ratio =
          m.wallSeconds > 0
            ? (py.wallSeconds / m.wallSeconds).toFixed(2)
            : `> ${(py.wallSeconds / 0.01).toFixed(0)} (< 10 ms)`;
      const size =
        s.id !== "packyard" && py !== undefined && m.outputBytes > 0 && py.outputBytes > 0
          ? (() => {
              const c = sizeCheck(py.outputBytes, m.outputBytes);
              return `${pct(c.diff)}${c.within ? "" : " **outside 1 %**"}`;
            })()
          : "—";
      rows.push(
        `| ${r.payload} | ${cell(s.label)} | ${m.wallSeconds.toFixed(3)} | ${ratio} | ${mib(m.maxRssKiB)} | ${mb(m.outputBytes)} | ${size} | ${s.id === "packyard" ? `${mb(r.payloadBytes)} MB in, ${r.reps} reps, load ${loads}` : ""} |`,
      );
    }
    if (r.ceiling !== undefined) {
      const c = r.ceiling;
      const how =
        c.frameBytes === 0
          ? `one stream, 1 thread${c.spec.why ? ` (${c.spec.why})` : ""}`
          : `${c.threads} worker threads, ${(c.frameBytes / 1048576).toFixed(c.frameBytes % 1048576 === 0 ? 0 : 2)} MiB frames${c.spec.why ? ` (${c.spec.why})` : ""}`;
      rows.push(
        `| ${r.payload} | ceiling: node:zlib ${c.spec.algo}-${c.spec.level} alone on packyard's ${mb(c.inputBytes)} MB stream, ${how} | ${c.seconds.toFixed(3)} | ${py === undefined ? "—" : (py.wallSeconds / c.seconds).toFixed(2)} | | ${mb(c.outputBytes)} | | |`,
      );
    }
  }
  const gates = results.flatMap((r) => r.gates);
  const notes: string[] = [];
  for (const r of results) {
    const parts: string[] = [];
    if (r.stream !== undefined) {
      const s = r.stream;
      parts.push(
        s.frames > 1
          ? `packyard wrote ${s.frames} ${s.algo === "gzip" ? "gzip members" : "zstd frames"} (first: ${mb(s.firstFrameBytes)} MB uncompressed${r.packageKind === "apk" ? "; an apk's control and data are members of their own" : ""}) in ${mb(s.compressedBytes)} MB`
          : `packyard wrote one ${s.algo === "gzip" ? "gzip member" : s.algo === "zstd" ? "zstd frame" : "stream"} (${mb(s.compressedBytes)} MB${s.uncompressedBytes || s.firstFrameBytes ? `, ${mb(s.uncompressedBytes || s.firstFrameBytes)} MB uncompressed` : ""})`,
      );
    }
    if (r.identical !== undefined)
      parts.push(
        r.identical.same
          ? `${r.identical.sides.join(", ")} wrote identical bytes (sha256 ${Object.values(r.identical.hashes)[0]?.[0]?.slice(0, 16) ?? "?"}…)`
          : `**${r.identical.sides.join(", ")} wrote different bytes**: ${Object.entries(r.identical.hashes)
              .map(([k, v]) => `${k} ${[...new Set(v)].map((h) => h.slice(0, 12)).join("/")}`)
              .join(", ")}`,
      );
    if (r.repeated > 0 || r.keptHigh > 0 || r.waitedSeconds >= 1)
      parts.push(
        `waited ${r.waitedSeconds.toFixed(0)} s for the load to drop to ${maxLoad}; ${r.repeated} repetition(s) repeated for starting above it${r.keptHigh > 0 ? `, ${r.keptHigh} kept after the last attempt (started above ${maxLoad})` : ""}`,
      );
    if (parts.length > 0) notes.push(`- ${r.payload}: ${parts.join("; ")}.`);
  }
  return [
    `## ${scenario.name}`,
    "",
    scenario.description,
    "",
    "| payload | side | median s | packyard / side | peak RSS MiB | MB out | packyard size vs side | run |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ...rows,
    ...(gates.length === 0
      ? []
      : [
          "",
          "Gates (issue 18; measured: how many times faster packyard is than the side named by the gate, or peak RSS;",
          "% of ceiling: 100 × ceiling s / packyard s; a gate holds by its ratio, or by reaching ≥ 90 % of the ceiling):",
          "",
          renderGates(gates),
        ]),
    ...(notes.length === 0 && (meta.notes ?? []).length === 0
      ? []
      : ["", "Notes:", ...(meta.notes ?? []), ...notes]),
    "",
    "Commands (PAYLOAD = the staged tree, OUT = the scratch folder):",
    ...meta.commands.map((c) => `- ${c}`),
    "",
    `Run ${meta.date} at commit ${meta.commit}. Machine: ${meta.machine}.`,
    "",
    "Versions:",
    ...meta.versions.map((v) => `- ${v}`),
  ].join("\n");
}

/**
 * The ceiling a payload is measured with: the scenario's, except that a one-core ceiling becomes a framed
 * one when packyard itself wrote several members/frames (an apk's are its control and data, not framing):
 * the ceiling is never held to less parallelism than packyard used.
 */
export function ceilingSpec(
  scenario: Pick<Scenario, "ceiling" | "packageKind">,
  stream: StreamInfo,
): CeilingSpec {
  const spec = scenario.ceiling!;
  if (spec.split || stream.frames < 2 || scenario.packageKind === "apk") return spec;
  return { algo: spec.algo, level: spec.level, split: true, why: `packyard wrote ${stream.frames} frames` };
}

/**
 * Frame size of a split ceiling: packyard's own (its first frame) when it framed, else the default. An
 * apk's members (control, data) are not framing: its first is the control tar, a few KiB.
 */
export function ceilingFrame(stream: StreamInfo, kind?: Scenario["packageKind"]): number {
  return kind !== "apk" && stream.frames > 1 && stream.firstFrameBytes > 0
    ? stream.firstFrameBytes
    : DEFAULT_CEILING_FRAME;
}

/** Times the ceiling once on `stream` (a child process; only its in-process compression time counts). */
function runCeiling(stream: string, spec: CeilingSpec, frameBytes: number, threads: number): CeilingResult {
  const r = spawnSync(
    process.execPath,
    [
      join(benchDir, "ceiling-run.ts"),
      stream,
      spec.algo,
      String(spec.level),
      String(spec.split ? frameBytes : 0),
      String(spec.split ? threads : 1),
    ],
    { encoding: "utf8", maxBuffer: 1 << 20 },
  );
  if (r.status !== 0) throw new Error(`ceiling failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as CeilingResult;
}

interface RunOptions {
  reps: number;
  policy: LoadPolicy;
  seed: number;
}

/** Runs every side of one payload, interleaved, with the check step, the ceiling and the gates. */
async function runPayload(
  scenario: Scenario,
  payload: PayloadKind,
  o: RunOptions,
): Promise<{
  result: PayloadResult;
  commands: string[];
}> {
  process.stderr.write(`bench ${scenario.name}: staging ${payload} payload...\n`);
  const payloadDir = await stagePayload(payload, outDir, o.seed);
  const workDir = join(outDir, "work", `${scenario.name}-${payload}`);
  await rm(workDir, { recursive: true, force: true });
  await mkdir(workDir, { recursive: true });
  const ctx: ScenarioContext = { payloadDir, payload, workDir, repoRoot };
  await scenario.prepare?.(ctx);
  const keep = new Set(await readdir(workDir));
  const sides = scenarioSides(scenario, ctx);
  const runnable = sides.filter((s) => s.skip === undefined);
  const gates = (scenario.gates ?? []).filter((g) => g.payload === payload);
  // The ceiling is measured on every payload but the 2 GB one (its stream would be read into memory;
  // it has no speed gate); the check step runs on every payload of a scenario that names its format.
  const wantCeiling = scenario.ceiling !== undefined && payload !== "large2g";
  const wantCheck = scenario.packageKind !== undefined;
  const streamFile = `${workDir}.stream`;
  const show = (c: BenchCommand): string =>
    `${c.label}: \`${[
      ...Object.entries(c.env ?? {}).map(([k, v]) => `${k}=${v}`),
      c.cmd === process.execPath ? "node" : c.cmd,
      ...c.args,
    ]
      .join(" ")
      .replaceAll(payloadDir, "PAYLOAD")
      .replaceAll(workDir, "OUT")
      .replaceAll(repoRoot, ".")}\``;
  const commands = sides.flatMap((s) => s.commands.map(show));

  const samples = new Map<string, Sample[]>(runnable.map((s) => [s.id, []]));
  const ceilings: CeilingResult[] = [];
  const hashes: Record<string, string[]> = {};
  const loads: number[] = [];
  let stream: StreamInfo | undefined;
  let repeated = 0;
  let keptHigh = 0;
  let waitedSeconds = 0;
  const deps = {
    load: () => loadavg()[0] ?? 0,
    sleep: (ms: number) => new Promise<void>((ok) => setTimeout(ok, ms)),
    now: () => performance.now(),
  };
  for (let rep = 0; rep < o.reps; rep++) {
    for (let attempt = 1; ; attempt++) {
      const w = await waitForLoad(o.policy, deps);
      waitedSeconds += w.waitedSeconds;
      process.stderr.write(
        `  ${payload} rep ${rep + 1}/${o.reps}${attempt > 1 ? ` (attempt ${attempt})` : ""}: load ${w.load.toFixed(2)}${w.waitedSeconds >= 1 ? ` after waiting ${w.waitedSeconds.toFixed(0)} s` : ""}\n`,
      );
      const got = new Map<string, Sample>();
      let ceiling: CeilingResult | undefined;
      const order: (BenchSide | "ceiling")[] = rotation(
        [...runnable, ...(wantCeiling ? ["ceiling" as const] : [])],
        rep,
      );
      for (const side of order) {
        if (side === "ceiling") {
          if (stream === undefined) continue; // the packyard side of this repetition runs later: extracts first
          ceiling = runCeiling(
            streamFile,
            ceilingSpec(scenario, stream),
            ceilingFrame(stream, scenario.packageKind),
            availableParallelism(),
          );
          process.stderr.write(`    ceiling: ${ceiling.seconds.toFixed(2)} s\n`);
          continue;
        }
        const s = await runSide(side, ctx, keep);
        got.set(side.id, s);
        process.stderr.write(
          `    ${side.id}: ${s.wallSeconds.toFixed(2)} s, ${mib(s.maxRssKiB)} MiB peak, ${mb(s.outputBytes)} MB out\n`,
        );
        if (side.output !== undefined && scenario.identical?.includes(side.id))
          (hashes[side.id] ??= []).push(await sha256File(join(workDir, side.output)));
        if (side.id === "packyard" && wantCheck && stream === undefined) {
          const range = await locateStream(
            scenario.packageKind!,
            join(workDir, side.output ?? ""),
            `${workDir}.scratch`,
          );
          stream = await inspectStream(range, wantCeiling ? streamFile : undefined);
          process.stderr.write(`    check: ${JSON.stringify(stream)}\n`);
          if (wantCeiling && ceiling === undefined && order.indexOf("ceiling") < order.indexOf(side)) {
            ceiling = runCeiling(
              streamFile,
              ceilingSpec(scenario, stream),
              ceilingFrame(stream, scenario.packageKind),
              availableParallelism(),
            );
            process.stderr.write(`    ceiling: ${ceiling.seconds.toFixed(2)} s\n`);
          }
        }
      }
      const verdict = repetitionVerdict(w.load, attempt, o.policy);
      if (verdict === "repeat") {
        repeated++;
        process.stderr.write(`    started above ${o.policy.maxLoad}: repeating this repetition\n`);
        continue;
      }
      if (verdict === "keep-high") keptHigh++;
      loads.push(w.load);
      for (const [id, s] of got) samples.get(id)!.push(s);
      if (ceiling !== undefined) ceilings.push(ceiling);
      break;
    }
  }
  await resetWorkDir(workDir, keep);
  await rm(streamFile, { force: true });
  await rm(`${workDir}.scratch`, { recursive: true, force: true });

  const medians = new Map<string, SideMedians | undefined>(
    sides.map((s) => [s.id, s.skip === undefined ? medianSample(samples.get(s.id)!) : undefined]),
  );
  const result: PayloadResult = {
    payload,
    payloadBytes: payloadBytes(payload, o.seed),
    reps: o.reps,
    loads,
    repeated,
    keptHigh,
    waitedSeconds,
    sides: sides.map((s) => {
      const m = medians.get(s.id);
      return m === undefined
        ? { id: s.id, label: s.label, skip: s.skip ?? "skipped" }
        : { id: s.id, label: s.label, median: m };
    }),
    gates: [],
  };
  if (stream !== undefined) result.stream = stream;
  if (scenario.packageKind !== undefined) result.packageKind = scenario.packageKind;
  if (ceilings.length > 0) {
    const c = ceilings[0]!;
    result.ceiling = {
      spec: ceilingSpec(scenario, stream!),
      seconds: median(ceilings.map((x) => x.seconds)),
      threads: c.threads,
      frameBytes: c.frameBytes,
      inputBytes: c.inputBytes,
      outputBytes: c.outputBytes,
    };
  }
  const ids = (scenario.identical ?? []).filter((id) => hashes[id] !== undefined);
  if (ids.length > 1) {
    const all = ids.flatMap((id) => hashes[id]!);
    result.identical = { sides: ids, same: new Set(all).size === 1, hashes };
  }
  result.gates = gates.map((g) => {
    const r = evaluateGate(g, medians, g.kind === "speed" ? result.ceiling?.seconds : undefined);
    const py = medians.get(g.side ?? "packyard");
    const other = g.kind === "speed" ? medians.get(g.against) : medians.get("native");
    if (py !== undefined && other !== undefined && py.outputBytes > 0 && other.outputBytes > 0) {
      const c = sizeCheck(py.outputBytes, other.outputBytes);
      if (!c.within)
        r.notes.push(`size ${pct(c.diff)} against ${g.kind === "speed" ? g.against : "native"}: outside 1 %`);
    }
    if (keptHigh > 0)
      r.notes.push(
        `${keptHigh} of ${o.reps} repetitions started above load ${o.policy.maxLoad} after every attempt`,
      );
    const mustMatch = scenario.identical ?? [];
    if (mustMatch.includes(g.side ?? "packyard")) {
      if (result.identical === undefined)
        r.notes.push(`bytes of ${mustMatch.join(", ")} not compared: sides did not run`);
      else if (!result.identical.same) {
        r.notes.push(`${result.identical.sides.join(", ")} wrote different bytes`);
        if (r.status !== "not run") r.status = "fails";
      }
    }
    return r;
  });
  return { result, commands };
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    options: {
      payload: { type: "string" },
      reps: { type: "string", default: "5" },
      seed: { type: "string" },
      "max-load": { type: "string" },
      "load-wait": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    allowPositionals: true,
  });
  if (values.help === true || positionals.length > 1) {
    process.stdout.write(
      `Usage: npm run bench [-- <scenario>|${WRITERS}] [--payload ${PAYLOAD_KINDS.join("|")}[,...]] [--reps N] [--seed N] [--max-load L] [--load-wait SECONDS]\n`,
    );
    process.exit(values.help === true ? 0 : 2);
  }
  // `npm run bench` alone: every writer gate (the issue's "Each gate is a median ratio from npm run bench").
  const name = positionals[0] ?? WRITERS;
  const reps = Number(values.reps);
  if (!Number.isInteger(reps) || reps < 1)
    fail(`--reps: expected a positive whole number, found ${values.reps}`);
  const seed = values.seed === undefined ? DEFAULT_SEED : Number(values.seed);
  if (!Number.isSafeInteger(seed)) fail(`--seed: expected a whole number, found ${values.seed}`);
  const policy: LoadPolicy = { ...DEFAULT_LOAD_POLICY };
  if (values["max-load"] !== undefined) {
    policy.maxLoad = Number(values["max-load"]);
    if (!(policy.maxLoad > 0)) fail(`--max-load: expected a positive number, found ${values["max-load"]}`);
  }
  if (values["load-wait"] !== undefined) {
    policy.waitCapSeconds = Number(values["load-wait"]);
    if (!(policy.waitCapSeconds >= 0))
      fail(`--load-wait: expected seconds (0 or more), found ${values["load-wait"]}`);
  }
  const payloads = values.payload?.split(",").map((p) => {
    if (!PAYLOAD_KINDS.includes(p as PayloadKind))
      fail(`--payload: expected one of ${PAYLOAD_KINDS.join(", ")}, found ${p}`);
    return p as PayloadKind;
  });
  if (!existsSync(TIME))
    fail(`${TIME} is missing (Debian package 'time'): it measures wall time and peak RSS`);
  const names = name === WRITERS ? WRITER_SCENARIOS : [name];
  const all: { scenario: string; gates: GateResult[] }[] = [];
  for (const n of names) {
    const scenario = await loadScenario(n);
    const missing = scenario.nativeTools.filter((t) => !hasCommand(t));
    if (missing.length > 0) fail(`scenario ${scenario.name} needs ${missing.join(", ")} on PATH`);
    if ("run" in scenario) {
      const section = await scenario.run({
        reps,
        repoRoot,
        outDir,
        log: (line) => process.stderr.write(`${line}\n`),
      });
      await writeSection(scenario.name, section);
      continue;
    }
    if (name !== WRITERS) {
      await runScenario(scenario, payloads ?? scenario.payloads, { reps, policy, seed });
      continue;
    }
    // One failing scenario (a side that exits non-zero) does not stop the others: its gates are "not run".
    try {
      const results = await runScenario(scenario, payloads ?? scenario.payloads, { reps, policy, seed });
      all.push({ scenario: scenario.name, gates: results.flatMap((r) => r.gates) });
    } catch (e) {
      const why = (e instanceof Error ? e.message : String(e)).split("\n")[0]!.slice(0, 300);
      process.stderr.write(`bench: ${scenario.name} failed: ${why}\n`);
      all.push({
        scenario: scenario.name,
        gates: (scenario.gates ?? [])
          .filter((g) => (payloads ?? scenario.payloads).includes(g.payload))
          .map((g) => ({
            case: g.case,
            gate: g.gate,
            unit: g.kind === "speed" ? ("x" as const) : ("MiB" as const),
            status: "not run" as const,
            notes: [`the scenario failed: ${why}`],
          })),
      });
    }
  }
  if (name === WRITERS)
    await writeSection(
      "gates",
      renderGateSummary(all, { date: new Date().toISOString().slice(0, 10), commit: gitCommit(), reps }),
    );
}

/** `npm run bench -- writers` runs these in turn, then writes the "gates" summary section. */
export const WRITERS = "writers";
export const WRITER_SCENARIOS = [
  "deb",
  "deb-zstd",
  "rpm",
  "rpm-zstd",
  "archlinux",
  "archlinux-framed",
  "deb-framed",
  "apk",
  "macos",
  "tar",
] as const;

/** Every writer gate of one `writers` run in one table, with a count per status. */
export function renderGateSummary(
  all: readonly { scenario: string; gates: readonly GateResult[] }[],
  meta: { date: string; commit: string; reps: number },
): string {
  const gates = all.flatMap((a) => a.gates.map((g) => ({ ...g, case: `${g.case} (${a.scenario})` })));
  const count = (st: string) => gates.filter((g) => g.status === st).length;
  return [
    "## gates",
    "",
    `Every writer gate of issue 18 from one \`npm run bench -- writers\` (${meta.reps} repetitions each; the scenario's own section has the sides, the ceiling and the notes). Run ${meta.date} at commit ${meta.commit}.`,
    "",
    `${count("holds by ratio")} hold by ratio, ${count("holds by ceiling")} by the ceiling, ${count("fails")} fail, ${count("not run")} not run.`,
    "",
    renderGates(gates),
  ].join("\n");
}

/** Runs one side-by-side scenario on `payloads` and writes its section; returns its results. */
async function runScenario(
  scenario: Scenario,
  payloads: readonly PayloadKind[],
  o: RunOptions,
): Promise<PayloadResult[]> {
  const results: PayloadResult[] = [];
  let commands: string[] = [];
  for (const payload of payloads) {
    const r = await runPayload(scenario, payload, o);
    results.push(r.result);
    if (commands.length === 0) commands = r.commands;
  }
  const machine = `${availableParallelism()} cores (${cpus()[0]?.model.trim() ?? "unknown CPU"}), ${Math.round(totalmem() / 1024 ** 3)} GiB RAM, Linux ${release()}, Node ${process.version}`;
  const versions = [`node: ${process.version}`, ...scenario.versions().map(versionLine)];
  const section = renderSection(scenario, results, {
    date: new Date().toISOString().slice(0, 10),
    machine,
    versions,
    commit: gitCommit(),
    commands,
    maxLoad: o.policy.maxLoad,
  });
  await writeSection(scenario.name, section);
  return results;
}

/** Prints a scenario's section and puts it into bench/RESULTS.md. */
async function writeSection(name: string, section: string): Promise<void> {
  process.stdout.write(`${section}\n`);
  const resultsPath = join(benchDir, "RESULTS.md");
  const doc = await readFile(resultsPath, "utf8").catch(() => "");
  await writeFile(resultsPath, replaceSection(doc, name, section));
  process.stderr.write(`bench: wrote the ${name} section of bench/RESULTS.md\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((e: unknown) => fail(e instanceof Error ? e.message : String(e)));
}
