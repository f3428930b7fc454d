import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { cliBuild, packyardConfig } from "../cli-build.ts";
import {
  ceilingFrame,
  ceilingSpec,
  type PayloadResult,
  renderGateSummary,
  renderSection,
  rotation,
  scenarioSides,
} from "../run.ts";
import { scenario as arch, MAKEPKG_OUTPUT } from "../scenarios/archlinux.ts";
import { scenario as deb } from "../scenarios/deb.ts";
import { scenario as debZstd } from "../scenarios/deb-zstd.ts";
import { scenario as rpm } from "../scenarios/rpm.ts";
import { scenario as rpmZstd } from "../scenarios/rpm-zstd.ts";

test("sides rotate by one each repetition; repetition 0 keeps the listed order", () => {
  assert.deepEqual(rotation(["p", "n", "c"], 0), ["p", "n", "c"]);
  assert.deepEqual(rotation(["p", "n", "c"], 1), ["n", "c", "p"]);
  assert.deepEqual(rotation(["p", "n", "c"], 5), ["c", "p", "n"]);
  assert.deepEqual(rotation([], 3), []);
});

const meta = { date: "2026-12-06", machine: "m", versions: ["v"], commit: "abc", commands: ["c"] };

test("a section lists every side, the ceiling, the Gates table and the load notes", () => {
  const r: PayloadResult = {
    payload: "electron5k",
    payloadBytes: 200e6,
    reps: 5,
    loads: [0.5, 1.4],
    repeated: 1,
    keptHigh: 0,
    waitedSeconds: 30,
    sides: [
      {
        id: "packyard",
        label: "packyard build",
        median: { wallSeconds: 2, maxRssKiB: 102400, outputBytes: 1_000_000 },
      },
      {
        id: "native",
        label: "tar | gzip",
        median: { wallSeconds: 5, maxRssKiB: 2048, outputBytes: 1_020_000 },
      },
      { id: "w1", label: "packyard --workers 1", skip: "no --workers" },
    ],
    ceiling: {
      spec: { algo: "gzip", level: 6, split: true },
      seconds: 1.5,
      threads: 2,
      frameBytes: 8 * 1048576,
      inputBytes: 2e6,
      outputBytes: 1e6,
    },
    stream: {
      algo: "gzip",
      compressedBytes: 1e6,
      frames: 3,
      firstFrameBytes: 8 * 1048576,
      uncompressedBytes: 2e6,
    },
    gates: [
      {
        case: ".deb gzip-6, electron5k",
        gate: "≥ 2×",
        measured: 2.5,
        unit: "x",
        ceilingSeconds: 1.5,
        percentOfCeiling: 75,
        status: "holds by ratio",
        notes: [],
      },
    ],
  };
  const md = renderSection({ name: "deb", description: "d" }, [r], meta);
  assert.match(md, /^## deb\n\nd\n/);
  assert.match(
    md,
    /\| electron5k \| packyard build \| 2\.000 \| — \| 100\.0 \| 1\.0 \| — \| 200\.0 MB in, 5 reps, load 0\.50–1\.40 \|/,
  );
  // ratio packyard / side, size of packyard against the side (-1.96 %: outside 1 %), pipe escaped
  assert.match(
    md,
    /\| electron5k \| tar \\\| gzip \| 5\.000 \| 0\.40 \| 2\.0 \| 1\.0 \| -1\.96 % \*\*outside 1 %\*\* \|/,
  );
  assert.match(md, /\| electron5k \| packyard --workers 1 \| not run: no --workers \|/);
  assert.match(
    md,
    /ceiling: node:zlib gzip-6 alone on packyard's 2\.0 MB stream, 2 worker threads, 8 MiB frames \| 1\.500 \| 1\.33 \|/,
  );
  assert.match(md, /\| \.deb gzip-6, electron5k \| ≥ 2× \| 2\.50× \| 1\.500 \| 75 % \| holds by ratio \|/);
  assert.match(md, /packyard wrote 3 gzip members \(first: 8\.4 MB uncompressed\)/);
  assert.match(md, /waited 30 s for the load to drop to 1\.5; 1 repetition\(s\) repeated/);
});

test("packyard.yml maps each top-level folder as a tree at the same path, leaving DEBIAN/ out", () => {
  const dir = mkdtempSync(join(tmpdir(), "bench-yml-"));
  try {
    for (const d of ["usr/bin", "opt/app", "DEBIAN"]) mkdirSync(join(dir, d), { recursive: true });
    writeFileSync(join(dir, "DEBIAN/control"), "x");
    const yml = packyardConfig(dir, "deb", ["deb:", "  compression: gzip:6"]);
    assert.match(
      yml,
      new RegExp(
        `- src: "${dir}/opt"\\n    dst: /opt\\n    type: tree\\n  - src: "${dir}/usr"\\n    dst: /usr\\n`,
      ),
    );
    assert.doesNotMatch(yml, /DEBIAN/);
    assert.match(yml, /\ndeb:\n {2}compression: gzip:6\n$/);
    // macOS refuses /usr (SIP): the tree goes under /usr/local
    assert.match(packyardConfig(dir, "macos", []), /src: "[^"]+\/usr"\n {4}dst: \/usr\/local\n/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the writer scenarios declare the issue's gate rows", () => {
  const rows = (s: typeof deb) =>
    (s.gates ?? []).map((g) =>
      g.kind === "speed" ? `${g.payload} ${g.against} ${g.atLeast}` : `${g.payload} rss ${g.maxMiB}`,
    );
  assert.deepEqual(rows(deb), [
    "electron5k native 2",
    "small50k native 2",
    "small50k rss 150",
    "large2g rss 150",
  ]);
  assert.deepEqual(rows(debZstd), ["electron5k native 0.8"]);
  assert.equal(debZstd.ceiling?.split, false);
  for (const s of [rpm, rpmZstd])
    assert.deepEqual(rows(s).slice(0, 2), ["electron5k native 4", "small50k native 4"]);
  assert.deepEqual(rows(arch).slice(0, 4), [
    "electron5k native 10",
    "small50k native 10",
    "electron5k pipe 0.6",
    "small50k pipe 0.6",
  ]);
});

test("the writers summary lists every scenario's gates and counts them by status", () => {
  const g = (status: "holds by ratio" | "fails" | "not run") => ({
    case: "c",
    gate: "g",
    unit: "x" as const,
    measured: 1,
    status,
    notes: [],
  });
  const md = renderGateSummary(
    [
      { scenario: "deb", gates: [g("holds by ratio"), g("fails")] },
      { scenario: "tar", gates: [g("not run")] },
    ],
    { date: "2026-12-06", commit: "abc", reps: 5 },
  );
  assert.match(md, /^## gates\n/);
  assert.match(md, /1 hold by ratio, 0 by the ceiling, 1 fail, 1 not run\./);
  assert.match(md, /\| c \(deb\) \| g \| 1\.00× \| — \| — \| \*\*fails\*\* \|/);
  assert.match(md, /\| c \(tar\) \| g \| 1\.00× \| — \| — \| not run \|/);
});

test("a one-core ceiling follows packyard when it framed a format (apk's members are not framing)", () => {
  const one = { algo: "gzip" as const, level: 6, split: false, why: "w" };
  const s = (frames: number) => ({
    algo: "gzip" as const,
    compressedBytes: 1,
    frames,
    firstFrameBytes: 4 << 20,
    uncompressedBytes: 0,
  });
  assert.deepEqual(ceilingSpec({ ceiling: one, packageKind: "macos" }, s(1)), one);
  assert.equal(ceilingSpec({ ceiling: one, packageKind: "macos" }, s(3)).split, true);
  assert.deepEqual(ceilingSpec({ ceiling: one, packageKind: "apk" }, s(3)), one);
  assert.equal(ceilingFrame(s(3)), 4 << 20);
  assert.equal(ceilingFrame(s(1)), 8 << 20);
  // An apk's first member is its control tar: a split ceiling of an apk takes the default frames.
  assert.equal(ceilingFrame(s(3), "apk"), 8 << 20);
  assert.equal(ceilingFrame(s(3), "deb"), 4 << 20);
});

test("a scenario's sides: packyard and native with their package files, then the extra sides", () => {
  const ctx = { payloadDir: "/p", payload: "electron5k" as const, workDir: "/w/x", repoRoot: "/r" };
  const sides = scenarioSides(arch, ctx);
  assert.deepEqual(
    sides.map((s) => [s.id, s.output]),
    [
      ["packyard", "packyard.pkg.tar.zst"],
      ["native", MAKEPKG_OUTPUT],
      ["pipe", "pipe.tar.zst"],
    ],
  );
  const py = sides[0]!.commands[0]!;
  assert.deepEqual(py.args.slice(1), [
    "build",
    "-q",
    "-f",
    "/w/x.packyard.yml",
    "-p",
    "archlinux",
    "-t",
    "/w/x/packyard.pkg.tar.zst",
  ]);
  assert.equal(py.args[0], "/r/packages/cli/bin/packyard.js");
  assert.deepEqual(cliBuild(ctx, "deb", { workers: 8, tag: "w8" }).args.slice(-3), [
    "/w/x/w8.deb",
    "--workers",
    "8",
  ]);
  // makepkg runs as nobody, writing into the work folder
  const mk = sides[1]!.commands[0]!;
  assert.deepEqual(mk.args.slice(0, 4), ["-u", "nobody", "--", "env"]);
  assert.ok(mk.args.includes("PKGDEST=/w/x"));
});
