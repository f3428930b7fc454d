// Runs the whole suite: build (the emitted JavaScript the CLI's launcher and installed packages run), type
// check, lint, then every node:test file (unit and interop). Tests import the TypeScript sources through
// the `@packyard/source` export condition; spawned CLIs run the build.
// `--unit` skips files under test/interop/ for a fast edit loop.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const unitOnly = process.argv.includes("--unit");
const root = new URL("..", import.meta.url).pathname;

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { stdio: "inherit", cwd: root });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

function collect(dir: string, out: string[]): void {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return;
  }
  for (const name of names) {
    const p = join(dir, name);
    if (name === "node_modules" || name === "fixtures") continue;
    if (statSync(p).isDirectory()) {
      if (unitOnly && name === "interop") continue;
      collect(p, out);
    } else if (name.endsWith(".test.ts")) out.push(p);
  }
}

const bin = join(root, "node_modules/.bin");
run(join(bin, "tsc"), ["-b", "packages/formats/tsconfig.build.json", "packages/cli/tsconfig.build.json"]);
run(join(bin, "tsc"), ["-p", "tsconfig.json", "--noEmit"]);
run(join(bin, "biome"), ["check", "."]);
const files: string[] = [];
for (const pkg of readdirSync(join(root, "packages"))) collect(join(root, "packages", pkg, "test"), files);
collect(join(root, "bench", "test"), files);
run(process.execPath, ["--conditions=@packyard/source", "--test", "--test-concurrency=2", "--test-timeout=600000", ...files]);
