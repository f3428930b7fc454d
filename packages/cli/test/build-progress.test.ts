/**
 * Progress of a real build: the build API's `read` events (what the writers read of the contents, each
 * file once, a second reading counted apart) for every packager, with the bytes unchanged by counting;
 * and `packyard build` spawned with stderr not a terminal (periodic plain lines) and with --quiet.
 * The terminal bar, drawn through a pseudo-terminal, is in interop/progress-tty.test.ts.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { type BuildProgress, build, type PackageSpec, ROOT } from "@packyard/formats";
import { chunkedSource } from "@packyard/testkit/chunked";
import { spawnCli } from "./run-cli.ts";

const work = mkdtempSync(join(tmpdir(), "packyard-progress-"));
after(() => rmSync(work, { recursive: true, force: true }));

const MiB = 1024 * 1024;
const ENV = { SOURCE_DATE_EPOCH: "1700000000" };

function spec(): PackageSpec {
  const file = (path: string, bytes: Uint8Array) => ({
    type: "file" as const,
    path,
    mode: 0o644,
    owner: ROOT,
    group: ROOT,
    content: chunkedSource(bytes, 65536), // as a file hands it out
  });
  return {
    name: "progress-test",
    version: { upstream: "1.0.0", release: "1" },
    arch: "amd64",
    date: 1700000000,
    maintainer: "Test <test@example.org>",
    summary: "progress",
    description: "progress",
    relations: {},
    scripts: {},
    changelog: [],
    entries: [
      { type: "dir", path: "/usr/local", mode: 0o755, owner: ROOT, group: ROOT },
      { type: "dir", path: "/usr/local/share", mode: 0o755, owner: ROOT, group: ROOT },
      file("/usr/local/share/random.bin", randomBytes(3 * MiB)),
      file("/usr/local/share/zeros.bin", new Uint8Array(2 * MiB)),
      file("/usr/local/share/small.txt", new TextEncoder().encode("hello\n")),
    ],
  };
}

const PACKAGERS = ["deb", "rpm", "archlinux", "apk", "macos", "tar.gz", "zip"] as const;

test("read events: files and bytes each counted once, up to the totals; a second reading is pass 2; bytes unchanged", async () => {
  const s = spec();
  const totalBytes = 5 * MiB + 6;
  for (const packager of PACKAGERS) {
    const events: BuildProgress[] = [];
    const withProgress = await build(
      { spec: s },
      {
        formats: [packager],
        target: join(work, `${packager}-p`),
        date: 1700000000,
        onProgress: (e) => events.push(e),
      },
    );
    const without = await build(
      { spec: s },
      { formats: [packager], target: join(work, `${packager}-q`), date: 1700000000 },
    );
    assert.equal(
      withProgress.manifest.artifacts[0]!.sha256,
      without.manifest.artifacts[0]!.sha256,
      `${packager}: same bytes`,
    );

    const start = events.find((e) => e.kind === "start");
    assert.deepEqual(start && [start.files, start.bytes], [3, totalBytes], packager);
    const reads = events.filter((e) => e.kind === "read");
    assert.ok(reads.length >= 3, `${packager}: ${reads.length} read events`);
    let previous = { files: 0, bytes: 0, pass: 0 };
    for (const r of reads) {
      assert.ok(
        r.files >= previous.files && r.bytes >= previous.bytes && r.pass >= previous.pass,
        `${packager}: never back`,
      );
      assert.ok(
        r.files <= 3 && r.bytes <= totalBytes && r.passBytes <= totalBytes,
        `${packager}: within the totals`,
      );
      previous = r;
    }
    assert.equal(previous.files, 3, `${packager}: every file opened`);
    // Events come every 1 MiB: the last one is within 1 MiB of everything read.
    assert.ok(previous.bytes > totalBytes - MiB, `${packager}: ${previous.bytes} of ${totalBytes} bytes`);
    // Arch and apk hash each file before writing it; zip stores the random file after failing to deflate it.
    const twice = packager === "archlinux" || packager === "apk" || packager === "zip";
    assert.equal(previous.pass, twice ? 2 : 1, `${packager}: readings`);
    const kinds = events.map((e) => e.kind);
    assert.ok(
      kinds.indexOf("start") < kinds.indexOf("read") && kinds.lastIndexOf("read") < kinds.indexOf("done"),
      packager,
    );
  }
});

/** A project with one 16 MiB file of random bytes (it does not compress: every format takes a while). */
let project = "";
before(() => {
  project = join(work, "project");
  mkdirSync(project);
  writeFileSync(join(project, "blob.bin"), randomBytes(16 * MiB));
  // No maintainer: the deb writer warns, which --quiet must still print.
  writeFileSync(
    join(project, "packyard.yml"),
    "name: big\nversion: 1.0.0\narch: amd64\ncontents:\n  - src: ./blob.bin\n    dst: /opt/big/blob.bin\n",
  );
});

test("stderr not a terminal: a line when a packager starts and periodic lines while it writes, no escapes", () => {
  const r = spawnCli(["build", "-p", "deb", "-t", "out-plain"], project, {
    ...ENV,
    PACKYARD_PROGRESS_INTERVAL: "0.05",
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /^deb: writing out-plain\/big_1\.0\.0_amd64\.deb \(1 file, 16\.0 MiB\)$/m);
  const periodic = r.stderr.split("\n").filter((l) => /^deb: [\d.]+ (B|KiB|MiB) written/.test(l));
  assert.ok(periodic.length >= 1, `periodic lines:\n${r.stderr}`);
  assert.match(
    periodic[0]!,
    /^deb: [\d.]+ (B|KiB|MiB) written(, [\d.]+ (B|KiB|MiB)\/s)? \(\d\/1 file, \d+% read\)$/,
  );
  assert.match(r.stderr, /^built out-plain\/big_1\.0\.0_amd64\.deb \(\d+ bytes\)$/m);
  assert.ok(!r.stderr.includes("\x1b") && !r.stderr.includes("\r"), "no terminal control sequences");
});

test("--quiet / -q: no progress and no built lines; warnings (and --json on stdout) still print", () => {
  for (const flag of ["--quiet", "-q"]) {
    const r = spawnCli(["build", "-p", "deb", "-t", `out-${flag}`, flag], project, {
      ...ENV,
      PACKYARD_PROGRESS_INTERVAL: "0.05",
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /^warning: maintainer: not set.*\[DEB_NO_MAINTAINER\]\n$/, flag);
  }
  const json = spawnCli(["build", "-p", "deb", "-t", "out-json", "-q", "--json"], project, ENV);
  assert.equal(json.status, 0, json.stderr);
  const [a] = JSON.parse(json.stdout) as { path: string; sha256: string }[];
  assert.equal(createHash("sha256").update(readFileSync(a!.path)).digest("hex"), a!.sha256);
  assert.doesNotMatch(json.stderr, /^(deb: |built |manifest )/m);
  // Errors still print under --quiet.
  const failed = spawnCli(["build", "-p", "deb", "-q", "-f", "missing.yml"], project, ENV);
  assert.equal(failed.status, 1);
  assert.match(failed.stderr, /^error: .*missing\.yml/);
});

test("PACKYARD_PROGRESS_INTERVAL that is not a number of seconds is an error naming it", () => {
  const r = spawnCli(["build", "-p", "deb", "-t", "out-bad"], project, {
    ...ENV,
    PACKYARD_PROGRESS_INTERVAL: "soon",
  });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /PACKYARD_PROGRESS_INTERVAL: expected seconds/);
});
