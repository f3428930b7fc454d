/**
 * Bench harness: `npm run bench -- <scenario> [--payload KIND] [--reps N] [--seed N]`.
 *
 * Stages the scenario's seeded payloads (once, under bench/out/), then runs the packyard command and the
 * native command(s) under `/usr/bin/time -v` in interleaved repetitions (packyard first on even
 * repetitions, native first on odd ones, so neither side always gets the warm cache), and reports medians
 * of wall time and of peak RSS, the packyard/native time ratio, output sizes, tool versions and the
 * machine. The scenario's section of bench/RESULTS.md is rewritten.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { lstat, mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { availableParallelism, cpus, loadavg, release, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { DEFAULT_SEED, PAYLOAD_KINDS, payloadBytes, stagePayload } from "./payload.ts";
import { median, replaceSection } from "./results.ts";
import type { BenchCommand, CustomScenario, PayloadKind, Scenario, ScenarioContext } from "./scenario.ts";
import { parseTimeV, type TimeReport } from "./time-v.ts";

const repoRoot = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const benchDir = join(repoRoot, "bench");
const outDir = join(benchDir, "out");
const TIME = "/usr/bin/time";

/** One timed side of one repetition. */
interface Sample {
  wallSeconds: number;
  maxRssKiB: number;
  outputBytes: number;
}

/** Median results of one payload. */
export interface PayloadResult {
  payload: PayloadKind;
  payloadBytes: number;
  reps: number;
  /** 1-minute load average when this payload's repetitions started (other work on the machine). */
  loadAtStart: number;
  packyard: Sample;
  native: Sample;
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

async function runSide(
  commands: BenchCommand[],
  ctx: ScenarioContext,
  keep: ReadonlySet<string>,
): Promise<Sample> {
  await resetWorkDir(ctx.workDir, keep);
  let wallSeconds = 0;
  let maxRssKiB = 0;
  for (const c of commands) {
    const t = timed(c, ctx);
    wallSeconds += t.wallSeconds;
    maxRssKiB = Math.max(maxRssKiB, t.maxRssKiB);
  }
  let outputBytes = 0;
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

/** The Markdown section for one scenario run. */
export function renderSection(
  scenario: Pick<Scenario, "name" | "description">,
  results: PayloadResult[],
  meta: { date: string; machine: string; versions: string[]; commit: string; commands: string[] },
): string {
  const rows = results.map((r) => {
    // /usr/bin/time reports 10 ms steps: a native run under that has no meaningful ratio.
    const ratio =
      r.native.wallSeconds > 0
        ? (r.packyard.wallSeconds / r.native.wallSeconds).toFixed(2)
        : `> ${(r.packyard.wallSeconds / 0.01).toFixed(0)} (native < 10 ms)`;
    return `| ${r.payload} | ${mb(r.payloadBytes)} | ${r.reps} | ${r.loadAtStart.toFixed(2)} | ${r.packyard.wallSeconds.toFixed(3)} | ${r.native.wallSeconds.toFixed(3)} | ${ratio} | ${mib(r.packyard.maxRssKiB)} | ${mib(r.native.maxRssKiB)} | ${mb(r.packyard.outputBytes)} | ${mb(r.native.outputBytes)} |`;
  });
  return [
    `## ${scenario.name}`,
    "",
    scenario.description,
    "",
    "| payload | MB in | reps | load at start | packyard s | native s | ratio | packyard peak RSS MiB | native peak RSS MiB | packyard MB out | native MB out |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...rows,
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

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    options: {
      payload: { type: "string" },
      reps: { type: "string", default: "5" },
      seed: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    allowPositionals: true,
  });
  if (values.help === true || positionals.length !== 1) {
    process.stdout.write(
      `Usage: npm run bench -- <scenario> [--payload ${PAYLOAD_KINDS.join("|")}] [--reps N] [--seed N]\n`,
    );
    process.exit(values.help === true ? 0 : 2);
  }
  const scenario = await loadScenario(positionals[0]!);
  const reps = Number(values.reps);
  if (!Number.isInteger(reps) || reps < 1)
    fail(`--reps: expected a positive whole number, found ${values.reps}`);
  const seed = values.seed === undefined ? DEFAULT_SEED : Number(values.seed);
  if (!Number.isSafeInteger(seed)) fail(`--seed: expected a whole number, found ${values.seed}`);
  let payloads = "run" in scenario ? [] : scenario.payloads;
  if (values.payload !== undefined) {
    const p = values.payload as PayloadKind;
    if (!PAYLOAD_KINDS.includes(p))
      fail(`--payload: expected one of ${PAYLOAD_KINDS.join(", ")}, found ${p}`);
    payloads = [p];
  }
  if (!existsSync(TIME))
    fail(`${TIME} is missing (Debian package 'time'): it measures wall time and peak RSS`);
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
    return;
  }

  const results: PayloadResult[] = [];
  const commands: string[] = [];
  for (const payload of payloads) {
    process.stderr.write(`bench ${scenario.name}: staging ${payload} payload...\n`);
    const payloadDir = await stagePayload(payload, outDir, seed);
    const workDir = join(outDir, "work", `${scenario.name}-${payload}`);
    await rm(workDir, { recursive: true, force: true });
    await mkdir(workDir, { recursive: true });
    const ctx: ScenarioContext = { payloadDir, payload, workDir, repoRoot };
    await scenario.prepare?.(ctx);
    const keep = new Set(await readdir(workDir));
    const loadAtStart = loadavg()[0] ?? 0;
    process.stderr.write(`  load average at start: ${loadAtStart.toFixed(2)}\n`);
    if (commands.length === 0) {
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
      commands.push(show(scenario.packyard(ctx)), ...scenario.native(ctx).map(show));
    }
    const samples = { packyard: [] as Sample[], native: [] as Sample[] };
    for (let rep = 0; rep < reps; rep++) {
      const order = rep % 2 === 0 ? (["packyard", "native"] as const) : (["native", "packyard"] as const);
      for (const side of order) {
        const commands = side === "packyard" ? [scenario.packyard(ctx)] : scenario.native(ctx);
        const s = await runSide(commands, ctx, keep);
        samples[side].push(s);
        process.stderr.write(
          `  ${payload} rep ${rep + 1}/${reps} ${side}: ${s.wallSeconds.toFixed(2)} s, ${mib(s.maxRssKiB)} MiB peak\n`,
        );
      }
    }
    await resetWorkDir(workDir, keep);
    results.push({
      payload,
      payloadBytes: payloadBytes(payload, seed),
      reps,
      loadAtStart,
      packyard: medianSample(samples.packyard),
      native: medianSample(samples.native),
    });
  }
  const machine = `${availableParallelism()} cores (${cpus()[0]?.model.trim() ?? "unknown CPU"}), ${Math.round(totalmem() / 1024 ** 3)} GiB RAM, Linux ${release()}, Node ${process.version}`;
  const versions = [`node: ${process.version}`, ...scenario.versions().map(versionLine)];
  const section = renderSection(scenario, results, {
    date: new Date().toISOString().slice(0, 10),
    machine,
    versions,
    commit: gitCommit(),
    commands,
  });
  await writeSection(scenario.name, section);
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
