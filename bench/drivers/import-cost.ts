/**
 * Where CLI start-up goes, module by module: `node bench/drivers/import-cost.ts [--runs N] SPECIFIER...`
 * imports the specifiers one after another in a fresh Node process (from the repository root, so
 * `yaml`, `openpgp` and `@packyard/formats/deb` resolve as the CLI's own imports do) and times each
 * import: what it adds to what the earlier ones already loaded (resolving, reading, compiling and
 * evaluating the modules it brings in). N processes (default 9); prints the median of each step and of
 * their sum, and a bare `node -e 0` for Node's own start-up. Order matters: list the specifiers in the
 * order the CLI loads them, shared dependencies first.
 *
 * Example (before the lazy CLI: what `packyard --version` loaded):
 *   node bench/drivers/import-cost.ts yaml openpgp node-forge @packyard/formats @packyard/repo \
 *     ./packages/cli/dist/main.js
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { median } from "../results.ts";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));

/** The child: imports each specifier in turn and prints one JSON array of milliseconds. */
const CHILD = `
const out = [];
for (const s of JSON.parse(process.argv[1])) {
  const t = performance.now();
  await import(s);
  out.push(performance.now() - t);
}
console.log(JSON.stringify(out));
`;

function wallMs(args: string[]): number {
  const t = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: repoRoot, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`node ${args.join(" ")} failed: ${r.stderr}`);
  return performance.now() - t;
}

const { values, positionals } = parseArgs({
  options: { runs: { type: "string", default: "9" } },
  allowPositionals: true,
});
const runs = Number(values.runs);
if (positionals.length === 0 || !Number.isInteger(runs) || runs < 1) {
  process.stderr.write("usage: node bench/drivers/import-cost.ts [--runs N] SPECIFIER...\n");
  process.exit(2);
}
// A relative path is the repository's file; a bare name resolves from the repository root.
const specs = positionals.map((s) => (s.startsWith(".") ? new URL(s, `file://${repoRoot}`).href : s));
const steps: number[][] = positionals.map(() => []);
const bare: number[] = [];
const whole: number[] = [];
for (let run = 0; run < runs; run++) {
  bare.push(wallMs(["-e", "0"]));
  const t = performance.now();
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", CHILD, JSON.stringify(specs)], {
    cwd: repoRoot,
    encoding: "utf8",
  });
  whole.push(performance.now() - t);
  if (r.status !== 0) throw new Error(`importing failed: ${r.stderr}`);
  for (const [i, ms] of (JSON.parse(r.stdout) as number[]).entries()) steps[i]!.push(ms);
}
const ms = (n: number): string => n.toFixed(0).padStart(6);
process.stdout.write(`${ms(median(bare))} ms  node -e 0 (wall, Node's own start-up and exit)\n`);
for (const [i, s] of steps.entries()) process.stdout.write(`${ms(median(s))} ms  + ${positionals[i]}\n`);
const sums = steps[0]!.map((_, run) => steps.reduce((n, s) => n + s[run]!, 0));
process.stdout.write(`${ms(median(sums))} ms  all imports\n`);
process.stdout.write(`${ms(median(whole))} ms  the whole process (wall)\n`);
