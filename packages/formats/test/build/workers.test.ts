/**
 * The worker count of a build (`build.workers` in packyard.yml, `workers` of the build API, `--workers` on
 * the command line): parsed with clear errors, in effect while the build compresses (threads start only
 * when it is above 1), put back afterwards, and never a change to the bytes written.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { build } from "../../src/build/build.ts";
import { parseBuildSettings, parseWorkers } from "../../src/build/settings.ts";
import { compressionWorkers, setCompressionWorkers } from "../../src/compress/compress.ts";
import { defaultFrameThreads } from "../../src/compress/frame-pool.ts";
import { closeCompressionWorkers, startedCompressionWorkers } from "../../src/compress/worker-pool.ts";
import { SpecError } from "../../src/errors.ts";

const DATE = 1704067200;
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "packyard-workers-"));
  dirs.push(d);
  return d;
}

test("parseWorkers takes auto or 1-16 (numbers or digit strings); anything else names the field", () => {
  assert.equal(parseWorkers("auto", "build.workers"), "auto");
  assert.equal(parseWorkers(1, "build.workers"), 1);
  assert.equal(parseWorkers("16", "--workers"), 16);
  for (const bad of [0, 17, 1.5, -1, "two", "", "0x2", null, true]) {
    assert.throws(
      () => parseWorkers(bad, "--workers"),
      (e: unknown) =>
        e instanceof SpecError &&
        e.code === "INVALID_FIELD" &&
        e.data.field === "--workers" &&
        /expected auto or an integer from 1 to 16/.test(e.message),
      String(bad),
    );
  }
});

test("the build: block reads workers; unknown keys are named", () => {
  const ctx = { field: "build", baseDir: "/p" };
  assert.deepEqual(parseBuildSettings(undefined, ctx), {});
  assert.deepEqual(parseBuildSettings({ workers: "auto" }, ctx), { workers: "auto" });
  assert.deepEqual(parseBuildSettings({ workers: 3 }, ctx), { workers: 3 });
  assert.throws(
    () => parseBuildSettings({ worker: 2 }, ctx),
    (e: unknown) => e instanceof SpecError && e.code === "UNKNOWN_KEY" && e.data.field === "build.worker",
  );
  assert.throws(
    () => parseBuildSettings({ workers: 99 }, ctx),
    (e: unknown) => e instanceof SpecError && e.code === "INVALID_FIELD" && e.data.field === "build.workers",
  );
  assert.throws(
    () => parseBuildSettings([1], ctx),
    (e: unknown) => e instanceof SpecError && e.data.field === "build",
  );
});

/**
 * A project with a 6 MiB file (half random, half text): big enough to go through worker threads, as one
 * stream (tar.gz) and as 1 MiB frames (the deb's data.tar.gz).
 */
const BIG = Buffer.concat([
  randomBytes(3 << 20),
  Buffer.from("packyard compresses this line again and again\n".repeat(70_000)),
]);

function project(workersLine: string): { dir: string; config: string } {
  const dir = tempDir();
  mkdirSync(join(dir, "files"));
  writeFileSync(join(dir, "files/big"), BIG);
  const config = join(dir, "packyard.yml");
  writeFileSync(
    config,
    `name: workers-demo\nversion: 1.0.0\narch: amd64\n${workersLine}contents:\n  - src: files/big\n    dst: /opt/demo/big\ndeb:\n  compression: gzip:6/1MiB\n`,
  );
  return { dir, config };
}

async function buildTar(config: string, dir: string, workers?: number | "auto"): Promise<string> {
  const out = join(dir, `out-${workers ?? "config"}-${Math.random().toString(36).slice(2)}`);
  await build(
    { configPath: config, baseDir: dir },
    {
      formats: ["tar.gz", "deb"],
      target: out,
      date: DATE,
      env: {},
      ...(workers !== undefined ? { workers } : {}),
    },
  );
  return out;
}

function sha256(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

test("workers 1, 2 and 8 (and build.workers) write the same bytes; threads start only above 1; the setting is put back", async () => {
  const before = setCompressionWorkers(5);
  try {
    const { dir, config } = project("");
    const started0 = startedCompressionWorkers();
    const one = await buildTar(config, dir, 1);
    assert.equal(startedCompressionWorkers(), started0, "workers 1 compresses on the calling thread");
    assert.equal(compressionWorkers(), 5, "the process-wide setting is put back after the build");
    const two = await buildTar(config, dir, 2);
    assert.ok(startedCompressionWorkers() > started0, "workers 2 compresses on worker threads");
    const eight = await buildTar(config, dir, 8);
    const fromConfig = project("build:\n  workers: 1\n");
    const started1 = startedCompressionWorkers();
    const configured = await buildTar(fromConfig.config, fromConfig.dir);
    assert.equal(startedCompressionWorkers(), started1, "build.workers: 1 starts no thread");
    assert.equal(compressionWorkers(), 5);
    const names = readdirSync(one).filter((n) => n.endsWith(".deb") || n.endsWith(".tar.gz"));
    assert.equal(names.length, 2, names.join(", "));
    for (const name of names) {
      const want = sha256(join(one, name));
      assert.equal(sha256(join(configured, name)), want, `${name}: build.workers 1`);
      assert.equal(sha256(join(two, name)), want, `${name}: workers 2`);
      assert.equal(sha256(join(eight, name)), want, `${name}: workers 8`);
    }
  } finally {
    setCompressionWorkers(before);
  }
});

test("--workers auto overrides build.workers; two builds at once keep their own count and leave the process's alone", async () => {
  const before = setCompressionWorkers(3);
  try {
    const fromConfig = project("build:\n  workers: 1\n");
    await closeCompressionWorkers(); // an empty pool: a thread used now is a thread started now
    const started0 = startedCompressionWorkers();
    const auto = await buildTar(fromConfig.config, fromConfig.dir, "auto");
    if (defaultFrameThreads() > 1)
      assert.ok(startedCompressionWorkers() > started0, "auto uses threads on a machine with several cores");
    const [one, eight] = await Promise.all([
      buildTar(fromConfig.config, fromConfig.dir, 1),
      buildTar(fromConfig.config, fromConfig.dir, 8),
    ]);
    assert.equal(compressionWorkers(), 3, "the process-wide setting is untouched");
    for (const name of readdirSync(auto).filter((n) => n.endsWith(".deb") || n.endsWith(".tar.gz"))) {
      assert.equal(sha256(join(one, name)), sha256(join(auto, name)), name);
      assert.equal(sha256(join(eight, name)), sha256(join(auto, name)), name);
    }
  } finally {
    setCompressionWorkers(before);
  }
});
