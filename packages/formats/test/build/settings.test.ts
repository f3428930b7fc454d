/**
 * The `build:` block's agent-side keys (steps, timeout, env, outputs): parsed with errors naming the field,
 * steps kept as written (the shell expands `$VAR`, not the loader), and `packyard build` (the build API)
 * accepting a config that has them without running a step.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { build } from "../../src/build/build.ts";
import {
  buildSettingsOf,
  DEFAULT_STEPS_TIMEOUT_SECONDS,
  parseBuildSettings,
  STEP_PACKAGERS,
  stepsFor,
  stepsTimeoutSeconds,
} from "../../src/build/settings.ts";
import { loadConfig } from "../../src/config/load.ts";
import { SpecError } from "../../src/errors.ts";
import { FORMATS } from "../../src/registry.ts";

const ctx = { field: "build", baseDir: "/p" };
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function fails(raw: unknown, field: string, message?: RegExp, code = "INVALID_FIELD"): void {
  assert.throws(
    () => parseBuildSettings(raw, ctx),
    (e: unknown) =>
      e instanceof SpecError &&
      e.code === code &&
      e.data.field === field &&
      e.message.startsWith(`${field}: `) &&
      (message === undefined || message.test(e.message)),
    `${JSON.stringify(raw)} → ${field}`,
  );
}

test("steps, timeout, env and outputs parse to their typed values; absent keys stay absent", () => {
  assert.deepEqual(parseBuildSettings({}, ctx), {});
  assert.deepEqual(
    parseBuildSettings(
      {
        steps: [{ run: "make\nmake check\n", name: "compile" }, { run: "echo $HOME" }],
        timeout: "1h30m",
        env: ["API_KEY", "_X1"],
        outputs: ["./dist//app/", "out", "a/b.tar.gz"],
        workers: 2,
      },
      ctx,
    ),
    {
      workers: 2,
      steps: [{ run: "make\nmake check\n", name: "compile" }, { run: "echo $HOME" }],
      timeout: 5400,
      env: ["API_KEY", "_X1"],
      outputs: ["dist/app", "out", "a/b.tar.gz"],
    },
  );
  assert.equal(stepsTimeoutSeconds({}), DEFAULT_STEPS_TIMEOUT_SECONDS);
  assert.equal(DEFAULT_STEPS_TIMEOUT_SECONDS, 1800);
  assert.equal(stepsTimeoutSeconds(parseBuildSettings({ timeout: "6h" }, ctx)), 21_600);
  assert.equal(parseBuildSettings({ timeout: "1s" }, ctx).timeout, 1);
});

test("bad values name their field", () => {
  fails({ steps: "make" }, "build.steps", /expected a list/);
  fails({ steps: ["make"] }, "build.steps[0]", /expected a mapping with run/);
  fails({ steps: [{ name: "x" }] }, "build.steps[0].run", /found none/);
  fails({ steps: [{ run: "ok" }, { run: "  " }] }, "build.steps[1].run", /non-empty/);
  fails({ steps: [{ run: 5 }] }, "build.steps[0].run");
  fails({ steps: [{ run: "ok", name: "" }] }, "build.steps[0].name");
  fails({ steps: [{ run: "ok", shell: "bash" }] }, "build.steps[0].shell", /unknown key/, "UNKNOWN_KEY");
  fails({ timeout: "6h1s" }, "build.timeout", /from 1s to 6h/);
  fails({ timeout: "1d" }, "build.timeout", /from 1s to 6h/);
  fails({ timeout: 0 }, "build.timeout", /from 1s to 6h/);
  fails({ timeout: 300 }, "build.timeout", /duration such as/);
  fails({ timeout: "30m1h" }, "build.timeout", /duration such as/);
  fails({ timeout: "soon" }, "build.timeout", /duration such as/);
  fails({ env: "API_KEY" }, "build.env", /expected a list/);
  fails({ env: ["API_KEY", "api_key"] }, "build.env[1]", /capital letters/);
  fails({ env: ["1X"] }, "build.env[0]", /capital letters/);
  fails({ env: ["A-B"] }, "build.env[0]");
  fails({ env: ["A", "A"] }, "build.env[1]", /twice/);
  fails({ env: ["PACKYARD_TOKEN"] }, "build.env[0]", /PACKYARD_/);
  fails({ outputs: ["/abs"] }, "build.outputs[0]", /relative/);
  fails({ outputs: ["ok", "a/../../x"] }, "build.outputs[1]", /no \.\. segment/);
  fails({ outputs: [".."] }, "build.outputs[0]", /no \.\. segment/);
  fails({ outputs: ["./"] }, "build.outputs[0]", /the folder itself/);
  fails({ outputs: ["a\\b"] }, "build.outputs[0]", /POSIX/);
  fails({ outputs: [""] }, "build.outputs[0]", /non-empty/);
  fails({ output: ["x"] }, "build.output", /did you mean|unknown key/, "UNKNOWN_KEY");
  fails({ steps: [{ run: "ok", packagers: "deb" }] }, "build.steps[0].packagers", /expected a list/);
  fails({ steps: [{ run: "ok", packagers: [] }] }, "build.steps[0].packagers", /at least one of/);
  fails(
    { steps: [{ run: "ok" }, { run: "ok", packagers: ["rpm", "msi"] }] },
    "build.steps[1].packagers[1]",
    /expected one of deb, rpm, archlinux, apk/,
  );
  fails({ steps: [{ run: "ok", packagers: ["tar.gz"] }] }, "build.steps[0].packagers[0]", /one of/);
  fails({ steps: [{ run: "ok", packagers: ["Deb"] }] }, "build.steps[0].packagers[0]", /one of/);
  fails({ steps: [{ run: "ok", packagers: [7] }] }, "build.steps[0].packagers[0]", /one of/);
  fails({ steps: [{ run: "ok", packagers: ["apk", "apk"] }] }, "build.steps[0].packagers[1]", /twice/);
});

test("steps[].packagers limits a step to jobs of those packagers; absent: every job", () => {
  assert.deepEqual(STEP_PACKAGERS, ["deb", "rpm", "archlinux", "apk"]);
  const settings = parseBuildSettings(
    {
      steps: [
        { run: "common" },
        { run: "rpm and apk", packagers: ["rpm", "apk"] },
        { run: "deb only", name: "d", packagers: ["deb"] },
      ],
    },
    ctx,
  );
  assert.deepEqual(settings.steps?.[1], { run: "rpm and apk", packagers: ["rpm", "apk"] });
  const runs = (p: string) => stepsFor(settings, p).map((s) => s.run);
  assert.deepEqual(runs("deb"), ["common", "deb only"]);
  assert.deepEqual(runs("rpm"), ["common", "rpm and apk"]);
  assert.deepEqual(runs("apk"), ["common", "rpm and apk"]);
  assert.deepEqual(runs("archlinux"), ["common"]);
  assert.deepEqual(stepsFor({}, "deb"), []);
  assert.deepEqual(
    stepsFor(parseBuildSettings({ steps: [{ run: "x", packagers: ["rpm"] }] }, ctx), "deb"),
    [],
  );
});

const CONFIG = `name: steps-demo
version: 1.0.0
arch: amd64
build:
  steps:
    - name: make
      run: echo "$GREETING" > out/hello.txt && exit 3
  timeout: 2m
  env: [GREETING]
  outputs: [out]
contents:
  - src: files/app
    dst: /opt/demo/app
`;

test("through the loader, steps keep $VAR as written while other keys are read expanded", () => {
  const config = loadConfig({
    text: CONFIG.replace("timeout: 2m", "timeout: ${LIMIT}"),
    baseDir: "/p",
    env: { GREETING: "expanded-at-load", LIMIT: "5m" },
    formats: FORMATS,
  });
  const settings = buildSettingsOf(config, "/p");
  assert.deepEqual(settings.steps, [{ name: "make", run: 'echo "$GREETING" > out/hello.txt && exit 3' }]);
  assert.equal(settings.timeout, 300, "timeout is expanded like other scalar fields");
  assert.deepEqual(settings.env, ["GREETING"]);
  assert.deepEqual(settings.outputs, ["out"]);
  // Without the unexpanded block the loader's expansion shows: the reason buildSettingsOf exists.
  const expanded = parseBuildSettings(config.block("build"), ctx);
  assert.equal(expanded.steps?.[0]?.run, 'echo "expanded-at-load" > out/hello.txt && exit 3');
});

test("packyard build accepts a config with build steps and never runs them", async () => {
  const dir = mkdtempSync(join(tmpdir(), "packyard-steps-"));
  dirs.push(dir);
  mkdirSync(join(dir, "files"));
  writeFileSync(join(dir, "files/app"), "app\n");
  mkdirSync(join(dir, "out"));
  writeFileSync(join(dir, "packyard.yml"), CONFIG);
  const target = join(dir, "dist");
  await build(
    { configPath: join(dir, "packyard.yml"), baseDir: dir },
    { formats: ["deb"], target, date: 1704067200, env: { GREETING: "hi" } },
  );
  assert.ok(
    readdirSync(target).some((n) => n.endsWith(".deb")),
    readdirSync(target).join(", "),
  );
  assert.deepEqual(readdirSync(join(dir, "out")), [], "the step (which writes out/hello.txt) did not run");
});

test("packyard build reads steps unexpanded: a step that is only an unset $VAR is not an empty step", async () => {
  const dir = mkdtempSync(join(tmpdir(), "packyard-steps-"));
  dirs.push(dir);
  mkdirSync(join(dir, "files"));
  writeFileSync(join(dir, "files/app"), "app\n");
  writeFileSync(
    join(dir, "packyard.yml"),
    CONFIG.replace(`run: echo "$GREETING" > out/hello.txt && exit 3`, "run: $BUILD_SCRIPT"),
  );
  const target = join(dir, "dist");
  await build(
    { configPath: join(dir, "packyard.yml"), baseDir: dir },
    { formats: ["deb"], target, date: 1704067200, env: {} },
  );
  assert.ok(readdirSync(target).some((n) => n.endsWith(".deb")));
});
