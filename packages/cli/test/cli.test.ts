import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { FORMATS } from "../src/formats.ts";
import { type CliResult, isOneParagraph, REPO, runMain, spawnCli } from "./run-cli.ts";
import { tempDirs } from "./temp-dirs.ts";

const tmp = tempDirs("packyard-cli-");

/** main() in-process with the real formats: what the launcher runs, without a Node start per call. */
function cli(args: string[], cwd: string, env: Record<string, string> = {}): Promise<CliResult> {
  // A build date given, so that no build here asks git for one.
  return runMain(args, cwd, FORMATS, { SOURCE_DATE_EPOCH: "1700000000", ...env });
}

test("the real launcher: --help exits 0, a usage error 2, a config error 1 with one paragraph", () => {
  const cwd = tmp();
  const help = spawnCli(["--help"], cwd);
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /Usage: packyard <command>/);
  const usage = spawnCli(["frobnicate"], cwd);
  assert.equal(usage.status, 2, usage.stderr);
  assert.match(usage.stderr, /unknown command 'frobnicate'/);
  const missing = spawnCli(["build", "-f", "nope.yml", "-p", "deb"], cwd, { SOURCE_DATE_EPOCH: "1" });
  assert.equal(missing.status, 1, missing.stderr);
  assert.ok(isOneParagraph(missing.stderr), missing.stderr);
  assert.match(missing.stderr, /nope\.yml/);
});

test("--help exits 0 everywhere, --version prints the package version", async () => {
  const cwd = tmp();
  const top = await cli(["--help"], cwd);
  assert.equal(top.status, 0);
  assert.match(top.stdout, /Usage: packyard <command>/);
  for (const cmd of ["build", "inspect", "keygen", "sign", "init"]) {
    const r = await cli([cmd, "--help"], cwd);
    assert.equal(r.status, 0, cmd);
    assert.match(r.stdout, new RegExp(`Usage: packyard ${cmd}`), cmd);
    assert.equal((await cli([cmd, "-h"], cwd)).stdout, r.stdout);
  }
  const pkg = JSON.parse(readFileSync(join(REPO, "packages/cli/package.json"), "utf8")) as {
    version: string;
  };
  assert.equal((await cli(["--version"], cwd)).stdout.trim(), `packyard ${pkg.version}`);
});

test("usage errors exit 2 with a pointer to --help", async () => {
  const cwd = tmp();
  const cases: [string[], RegExp][] = [
    [[], /Usage: packyard/],
    [["frobnicate"], /unknown command 'frobnicate'/],
    [["build", "--frobnicate"], /Unknown option '--frobnicate'[\s\S]*packyard build --help/],
    [["build", "-f"], /argument missing|requires an argument|-f/],
    [["inspect"], /missing FILE/],
    [["inspect", "a", "b"], /unexpected argument 'b'/],
    [["keygen", "--type", "dsa", "--name", "n", "--email", "e"], /--type: expected openpgp or rsa/],
    [["sign", "x.deb"], /missing --key/],
  ];
  for (const [args, pattern] of cases) {
    const r = await cli(args, cwd);
    assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, pattern, args.join(" "));
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
  }
});

test("config errors exit 1 with one paragraph naming the problem, and a stack only with --debug", async () => {
  const cwd = tmp();
  writeFileSync(join(cwd, "packyard.yml"), "name: x\nversion: [1.0\n");
  const syntax = await cli(["build", "-p", "deb"], cwd);
  assert.equal(syntax.status, 1, syntax.stderr);
  assert.ok(isOneParagraph(syntax.stderr), syntax.stderr);
  assert.match(syntax.stderr, /packyard\.yml/);
  assert.match(syntax.stderr, /CONFIG_SYNTAX/);

  writeFileSync(join(cwd, "unknown.yml"), "name: x\nversion: 1.0.0\narch: all\nfrobnicate: yes\n");
  const unknown = await cli(["build", "-f", "unknown.yml", "-p", "deb"], cwd);
  assert.equal(unknown.status, 1, unknown.stderr);
  assert.ok(isOneParagraph(unknown.stderr), unknown.stderr);
  assert.match(unknown.stderr, /frobnicate/);

  const missing = await cli(["build", "-f", "nope.yml", "-p", "deb"], cwd);
  assert.equal(missing.status, 1);
  assert.ok(isOneParagraph(missing.stderr), missing.stderr);
  assert.match(missing.stderr, /nope\.yml/);

  const debug = await cli(["build", "-f", "unknown.yml", "-p", "deb", "--debug"], cwd);
  assert.equal(debug.status, 1);
  assert.match(debug.stderr, /\n\s+at /, "--debug shows the stack");
});

test("an invalid SOURCE_DATE_EPOCH is a user error naming the variable", async () => {
  const cwd = tmp();
  writeFileSync(join(cwd, "packyard.yml"), "name: x\nversion: 1.0.0\narch: all\n");
  const r = await cli(["build", "-p", "deb"], cwd, { SOURCE_DATE_EPOCH: "yesterday" });
  assert.equal(r.status, 1);
  assert.ok(isOneParagraph(r.stderr), r.stderr);
  assert.match(r.stderr, /SOURCE_DATE_EPOCH: expected whole seconds/);
});

test("init writes a packyard.yml the loader accepts and refuses to overwrite it", async () => {
  const cwd = tmp();
  const r = await cli(["init"], cwd);
  assert.equal(r.status, 0, r.stderr);
  const text = readFileSync(join(cwd, "packyard.yml"), "utf8");
  assert.match(text, /^name: /m);
  const again = await cli(["init"], cwd);
  assert.equal(again.status, 1);
  assert.ok(isOneParagraph(again.stderr), again.stderr);
  assert.match(again.stderr, /already exists/);
  assert.equal(readFileSync(join(cwd, "packyard.yml"), "utf8"), text);
});
