/**
 * Start-up loads what the command uses (issue 18 item 5). The launcher runs in a child with
 * module-recorder.ts preloaded, which lists every module the process loaded; the tests assert on that
 * list, not on time. `--version`, `--help` and usage errors load nothing outside packages/cli (no
 * @packyard/formats, openpgp.js, YAML parser or @packyard/repo); `build -p deb` loads the deb format and
 * the config loader but not @packyard/repo or the AWS SDK, nor the other formats' code (their `config.ts`
 * blocks only, which the config loader checks), openpgp.js or node-forge unless a key is used; the library's
 * build API (`@packyard/formats/build`) does the same. The help texts' copies of library names
 * (library-names.ts) are checked against the library here too.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { FORMAT_ENTRIES, FORMATS } from "@packyard/formats";
import { exampleProject } from "@packyard/testkit/example";
import { BUILD_MANIFEST_NAME, PACKAGERS } from "../src/formats.ts";
import { DEFAULT_MANIFEST, MANIFEST_FILE_NAME, PACKAGER_NAMES } from "../src/library-names.ts";
import { KEY } from "./publish/support.ts";
import { LAUNCHER, REPO } from "./run-cli.ts";
import { tempDirs } from "./temp-dirs.ts";

const tmp = tempDirs("packyard-lazy-");
const RECORDER = fileURLToPath(new URL("./module-recorder.ts", import.meta.url));
const CLI_PACKAGE = fileURLToPath(new URL("../", import.meta.url));

/** Runs the launcher with the recorder; returns its result and the file paths of the modules it loaded. */
function loadedBy(
  args: string[],
  cwd: string,
): { status: number; stdout: string; stderr: string; files: string[] } {
  return recorded([LAUNCHER, ...args], cwd);
}

/** Runs this Node with the recorder and `args`; returns its result and the files of the modules it loaded. */
function recorded(
  args: string[],
  cwd: string,
): { status: number; stdout: string; stderr: string; files: string[] } {
  const list = join(tmp(), "modules.json");
  const r = spawnSync(process.execPath, ["--import", RECORDER, ...args], {
    cwd,
    env: { ...process.env, NO_COLOR: "1", SOURCE_DATE_EPOCH: "1700000000", PACKYARD_TEST_MODULES: list },
    encoding: "utf8",
  });
  const urls = JSON.parse(readFileSync(list, "utf8")) as string[];
  const files = urls.filter((u) => u.startsWith("file:")).map((u) => fileURLToPath(u));
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, files };
}

/** The loaded files matching `pattern`, for assertion messages. */
const matching = (files: readonly string[], pattern: RegExp): string[] =>
  files.filter((f) => pattern.test(f));

const FORMATS_CODE = /[/\\]packages[/\\]formats[/\\]/;
const REPO_CODE = /[/\\]packages[/\\]repo[/\\]|[/\\]node_modules[/\\]@(aws-sdk|smithy)[/\\]/;
const AWS_SDK = /[/\\]node_modules[/\\]@(aws-sdk|smithy)[/\\]/;
const YAML = /[/\\]node_modules[/\\]yaml[/\\]/;
const OPENPGP = /[/\\]node_modules[/\\]openpgp[/\\]/;
const FORGE = /[/\\]node_modules[/\\]node-forge[/\\]/;
const DEB_WRITER = /[/\\]formats[/\\](dist|src)[/\\]deb[/\\]writer\.(js|ts)$/;
/**
 * Code of the formats other than deb, except what the config loader checks their blocks with: each
 * `config.ts` and what it imports of its folder (options, the archive plan and names, macOS identifiers).
 */
const OTHER_FORMATS_CODE =
  /[/\\]formats[/\\](dist|src)[/\\](rpm|archlinux|apk|macos|tarball)[/\\](?!(config|options|plan|name|identifier)\.(js|ts)$)/;

test("--version, --help, help and usage errors load only the CLI's own modules", () => {
  const cwd = tmp();
  const cases: { args: string[]; status: number; out: RegExp }[] = [
    { args: ["--version"], status: 0, out: /^packyard \d+\.\d+\.\d+/ },
    { args: ["--help"], status: 0, out: /^packyard: build, sign/ },
    { args: [], status: 2, out: /^$/ },
    { args: ["build", "--help"], status: 0, out: /^Usage: packyard build/ },
    { args: ["help", "publish"], status: 0, out: /^Usage: packyard publish/ },
    { args: ["repo", "-h"], status: 0, out: /^Usage: packyard repo/ },
    { args: ["frobnicate"], status: 2, out: /^$/ },
    { args: ["build", "--no-such-flag"], status: 2, out: /^$/ },
  ];
  for (const c of cases) {
    const r = loadedBy(c.args, cwd);
    const what = `packyard ${c.args.join(" ")}`;
    assert.equal(r.status, c.status, `${what}: ${r.stderr}`);
    assert.match(r.stdout, c.out, what);
    // The recorder saw the CLI itself: an empty list would pass every check below.
    assert.ok(
      r.files.some((f) => f.endsWith(join("cli", "dist", "main.js"))),
      `${what}: main.js recorded`,
    );
    const outside = r.files.filter((f) => !f.startsWith(CLI_PACKAGE) || /[/\\]node_modules[/\\]/.test(f));
    assert.deepEqual(outside, [], `${what} loads nothing outside packages/cli`);
  }
});

/** A project with one file and an unsigned deb. */
function debProject(): string {
  const cwd = tmp();
  mkdirSync(join(cwd, "bin"));
  writeFileSync(join(cwd, "bin", "hello"), "#!/bin/sh\necho hello\n");
  writeFileSync(
    join(cwd, "packyard.yml"),
    [
      "name: hello",
      "version: 1.0.0",
      "arch: all",
      "maintainer: Dev <dev@example.org>",
      "description: hello",
      "contents:",
      "  - src: bin/hello",
      "    dst: /usr/bin/hello",
      "",
    ].join("\n"),
  );
  return cwd;
}

test("build -p deb loads the deb format and the config loader, not @packyard/repo or the AWS SDK", () => {
  const cwd = debProject();
  const r = loadedBy(["build", "-p", "deb", "-q"], cwd);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(readFileSync(join(cwd, "dist", "hello_1.0.0_all.deb")).length > 0);
  // What it needs is loaded (and so recorded): the deb format and the YAML parser.
  assert.notDeepEqual(matching(r.files, /[/\\]formats[/\\](dist|src)[/\\]deb[/\\]/), []);
  assert.notDeepEqual(matching(r.files, YAML), []);
  assert.deepEqual(matching(r.files, REPO_CODE), [], "no repository code");
  assert.deepEqual(
    matching(r.files, /[/\\]cli[/\\](dist|src)[/\\]run[/\\](?!build\.)/),
    [],
    "no other command's work",
  );
});

test("publish of a deb to a folder loads the engine and openpgp.js, not the AWS SDK or node-forge", () => {
  const project = debProject();
  const built = loadedBy(["build", "-p", "deb", "-q"], project);
  assert.equal(built.status, 0, built.stderr);
  const cwd = tmp();
  const deb = join(project, "dist", "hello_1.0.0_all.deb");
  const r = loadedBy(["publish", "--to", "repo", "--key", KEY, "-q", deb], cwd);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(readFileSync(join(cwd, "repo", "deb", "dists", "stable", "InRelease")).length > 0);
  // What it needs is loaded (and so recorded): the engine and the signer.
  assert.notDeepEqual(matching(r.files, /[/\\]repo[/\\](dist|src)[/\\]publish[/\\]publish\.(js|ts)$/), []);
  assert.notDeepEqual(matching(r.files, OPENPGP), []);
  // The S3 driver's module is part of the engine's entry point; the SDK behind it loads on first use.
  assert.deepEqual(matching(r.files, AWS_SDK), [], "no AWS SDK for a folder");
  assert.deepEqual(matching(r.files, FORGE), [], "no node-forge for an OpenPGP key");
});

test("the library names help texts repeat are the library's", () => {
  assert.deepEqual([...PACKAGER_NAMES], [...PACKAGERS]);
  assert.equal(MANIFEST_FILE_NAME, BUILD_MANIFEST_NAME);
  assert.equal(DEFAULT_MANIFEST, join("dist", BUILD_MANIFEST_NAME));
});

test("a format-free start-up still loads the formats once a command needs them: inspect reads a deb", () => {
  const cwd = debProject();
  assert.equal(loadedBy(["build", "-p", "deb", "-q"], cwd).status, 0);
  const r = loadedBy(["inspect", join("dist", "hello_1.0.0_all.deb")], cwd);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^Format: +deb$/m);
  assert.notDeepEqual(matching(r.files, FORMATS_CODE), []);
});

/** The deb of the example project, unsigned or (`signed`) signed with an OpenPGP key file (debsigs origin). */
function exampleDeb(signed: boolean): string {
  const key = join(REPO, "fixtures", "keys", "gpg-plain.secret.asc");
  return exampleProject(tmp(), signed ? `deb:\n  signature:\n    key_file: ${key}\n` : undefined);
}

/** Asserts a deb build's modules: the deb writer and YAML parser loaded; openpgp.js only when `signed`. */
function assertDebBuildLoads(files: readonly string[], signed: boolean, what: string): void {
  assert.notDeepEqual(matching(files, DEB_WRITER), [], `${what}: the deb writer is loaded (and recorded)`);
  assert.notDeepEqual(matching(files, YAML), [], `${what}: the YAML parser is loaded`);
  // Their config blocks are loaded: the pattern's exception is what a build does load of the other formats.
  assert.notDeepEqual(
    matching(files, /[/\\](rpm|archlinux|apk|macos|tarball)[/\\]config\.(js|ts)$/),
    [],
    `${what}: the other formats' config blocks are loaded`,
  );
  assert.deepEqual(matching(files, OTHER_FORMATS_CODE), [], `${what}: no other format's writer or reader`);
  assert.deepEqual(matching(files, FORGE), [], `${what}: no node-forge (no X.509 key)`);
  if (signed) assert.notDeepEqual(matching(files, OPENPGP), [], `${what}: openpgp.js signs`);
  else assert.deepEqual(matching(files, OPENPGP), [], `${what}: no openpgp.js`);
}

for (const signed of [false, true]) {
  const kind = signed ? "a signed" : "an unsigned";
  test(`the build API builds ${kind} deb of the example loading only deb's code${signed ? " and openpgp.js" : ""}`, () => {
    const cwd = exampleDeb(signed);
    // The library's build entry itself, as library users import it (@packyard/formats/build).
    const entry = fileURLToPath(new URL("../../formats/src/build/index.ts", import.meta.url));
    const script = join(cwd, "build.mjs");
    writeFileSync(
      script,
      [
        `import { build } from ${JSON.stringify(pathToFileURL(entry).href)};`,
        `const r = await build({ configPath: "packyard.yml" }, { formats: ["deb"], target: "dist", date: 1700000000 });`,
        "console.log(JSON.stringify(r.manifest.artifacts.map((a) => [a.file, a.info?.signatures?.length ?? 0])));",
        "",
      ].join("\n"),
    );
    const r = recorded([script], cwd);
    assert.equal(r.status, 0, r.stderr);
    const artifacts = JSON.parse(r.stdout) as [string, number][];
    assert.deepEqual(artifacts[0], ["hello-packyard_1.0.0-1_all.deb", signed ? 1 : 0]);
    assertDebBuildLoads(r.files, signed, `build API, ${kind} deb`);
  });

  test(`packyard build -p deb of ${kind} example loads only deb's code${signed ? " and openpgp.js" : ""}`, () => {
    const cwd = exampleDeb(signed);
    const r = loadedBy(["build", "-p", "deb", "-q"], cwd);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(readFileSync(join(cwd, "dist", "hello-packyard_1.0.0-1_all.deb")).length > 0);
    assertDebBuildLoads(r.files, signed, `packyard build, ${kind} deb`);
  });
}

test("the build API's lazy registry lists FORMATS' formats, in order, with the same config blocks", async () => {
  assert.deepEqual(
    FORMAT_ENTRIES.map((e) => e.id),
    FORMATS.map((f) => f.id),
  );
  for (const [i, e] of FORMAT_ENTRIES.entries()) {
    assert.equal(e.config, FORMATS[i]?.config, `${e.id}: the same config block`);
    assert.equal(await e.load(), FORMATS[i], `${e.id}: loads the registered format`);
  }
});
