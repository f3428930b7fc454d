// Runs the whole suite: build (the emitted JavaScript the CLI's launcher and installed packages run), type
// check, lint, then every node:test file (unit and interop). Tests import the TypeScript sources through
// the `@packyard/source` export condition; spawned CLIs run the build.
//
// `--unit` is the fast edit loop: it runs no test that calls an external program. The rule that makes
// that checkable: a test file that runs anything but this Node (dpkg, rpm, gpg, script, npm, git, sh...)
// lives under a folder named `interop/`; @packyard/testkit/tools (needTool, run, tryRun) is how such a file
// calls its tools. `--unit` skips every `interop/` folder, and also skips, naming it, any other test file
// that uses needTool/needRoot or imports @packyard/testkit/tools: it is in the wrong folder.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

const unitOnly = process.argv.includes("--unit");
const root = new URL("..", import.meta.url).pathname;

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { stdio: "inherit", cwd: root });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

/** The test files under `dir`, and whether each is an interop test (under an `interop/` folder). */
function collect(dir: string, out: { path: string; interop: boolean }[], interop = false): void {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return;
  }
  for (const name of names) {
    const p = join(dir, name);
    if (name === "node_modules" || name === "fixtures") continue;
    if (statSync(p).isDirectory()) collect(p, out, interop || name === "interop");
    else if (name.endsWith(".test.ts")) out.push({ path: p, interop });
  }
}

/** A test file outside interop/ that still calls an external tool the way tests do. */
const CALLS_TOOLS = /\bneed(Tool|Root)\(|@packyard\/testkit\/tools["']/;

const bin = join(root, "node_modules/.bin");
run(join(bin, "tsc"), [
  "-b",
  "packages/formats/tsconfig.build.json",
  "packages/repo/tsconfig.build.json",
  "packages/cli/tsconfig.build.json",
]);
run(join(bin, "tsc"), ["-p", "tsconfig.json", "--noEmit"]);
run(join(bin, "biome"), ["check", "."]);
const found: { path: string; interop: boolean }[] = [];
for (const pkg of readdirSync(join(root, "packages"))) collect(join(root, "packages", pkg, "test"), found);
collect(join(root, "bench", "test"), found);
const misplaced = found.filter((f) => !f.interop && CALLS_TOOLS.test(readFileSync(f.path, "utf8")));
if (misplaced.length > 0) {
  process.stderr.write(
    `These tests call external tools but are not under an interop/ folder${unitOnly ? " (skipped by --unit)" : ""}:\n` +
      misplaced.map((f) => `  ${relative(root, f.path)}\n`).join(""),
  );
}
/**
 * The slowest files, longest first, from the list a run prints at its end (scripts/test-times.ts). They
 * start first: with two files at a time, a long file that starts last leaves one lane idle at the end of
 * the run (3 minutes of CI's 30 on 2026-12-06). Only the order changes; a file missing here runs later.
 */
const SLOW_FIRST = [
  "packages/repo/test/publish/four-families-crash.test.ts",
  "packages/repo/test/publish/rpm-crash.test.ts",
  "packages/repo/test/publish/crash.test.ts",
  "packages/formats/test/fuzz/sample.test.ts",
  "packages/cli/test/interop/builds-crash.test.ts",
  "packages/formats/test/memory/build-memory.test.ts",
  "packages/repo/test/interop/rpm-crash.test.ts",
  "packages/server/test/interop/web-flows.test.ts",
  "packages/server/test/authz-matrix.test.ts",
  "packages/formats/test/compress/workers.test.ts",
  "packages/formats/test/rpm/large-file.test.ts",
  "packages/server/test/builds-load.test.ts",
  "packages/cli/test/interop/builds-e2e.test.ts",
  "packages/server/test/interop/repos-clients.test.ts",
  "packages/cli/test/serve.test.ts",
  "packages/server/test/keys.test.ts",
];
const rank = (path: string): number => {
  const i = SLOW_FIRST.indexOf(relative(root, path));
  return i < 0 ? SLOW_FIRST.length : i;
};
const files = found
  .filter((f) => !unitOnly || (!f.interop && !misplaced.includes(f)))
  .map((f) => f.path)
  .sort((a, b) => rank(a) - rank(b));
run(process.execPath, [
  "--conditions=@packyard/source",
  "--test",
  "--test-concurrency=2",
  "--test-timeout=600000",
  "--test-reporter=spec",
  "--test-reporter-destination=stdout",
  // The slowest files, printed last: where the suite's time goes, in CI's log tail too.
  `--test-reporter=${join(root, "scripts/test-times.ts")}`,
  "--test-reporter-destination=stdout",
  ...files,
]);
