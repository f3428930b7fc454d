/**
 * `build`'s -p and -t as a command line: a packager name that does not exist and a file target for
 * several packagers are usage errors (exit 2) before anything is read; a file target puts the checksums
 * file and packyard-build.json beside the package it names.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { EXAMPLE_DIR } from "@packyard/testkit/example";
import { PACKAGERS } from "../src/formats.ts";
import { fakeFormat } from "./fake-format.ts";
import { runMain, spawnCli } from "./run-cli.ts";
import { tempDirs } from "./temp-dirs.ts";

const tmp = tempDirs("packyard-build-args-");

const ENV = { SOURCE_DATE_EPOCH: "1700000000" };

test("an unknown -p value is a usage error (exit 2) listing every packager, and nothing is written", async () => {
  const out = tmp();
  for (const p of ["debian", "deb,rmp", "tar.bz2"]) {
    const r = await runMain(["build", "-p", p, "-t", out], EXAMPLE_DIR, [fakeFormat], ENV);
    assert.equal(r.status, 2, `${p}: ${r.stderr}`);
    assert.match(r.stderr, /^error: -p: unknown packager '(debian|rmp|tar\.bz2)'/, r.stderr);
    assert.ok(r.stderr.includes(`expected one of: ${PACKAGERS.join(", ")}`), r.stderr);
    assert.match(r.stderr, /See 'packyard build --help'/);
  }
  assert.deepEqual(readdirSync(out), []);
  // The real launcher agrees.
  const spawned = spawnCli(["build", "-p", "debian", "-t", out], EXAMPLE_DIR, ENV);
  assert.equal(spawned.status, 2, spawned.stderr);
  assert.match(spawned.stderr, /unknown packager 'debian'/);
});

test("-t naming a package file with several packagers is a usage error (exit 2); with one it is the file", async () => {
  const out = tmp();
  const file = join(out, "some/dir/x.deb");
  const many = await runMain(["build", "-p", "deb,rpm", "-t", file], EXAMPLE_DIR, [fakeFormat], ENV);
  assert.equal(many.status, 2, many.stderr);
  assert.match(
    many.stderr,
    /-t .*x\.deb names one package file, but 2 packagers were asked for \(deb, rpm\)/,
  );
  assert.ok(!existsSync(join(out, "some")), "nothing written, no folder named x.deb");
  // -p repeated with the same name is one packager.
  const twice = await runMain(
    ["build", "-p", "deb", "-p", "deb", "-t", file],
    EXAMPLE_DIR,
    [fakeFormat],
    ENV,
  );
  assert.equal(twice.status, 0, twice.stderr);
});

test("-t some/dir/x.deb: SHA256SUMS and packyard-build.json are written beside x.deb", async () => {
  const out = tmp();
  const r = await runMain(
    ["build", "-t", join(out, "some/dir/x.deb"), "--json"],
    EXAMPLE_DIR,
    [fakeFormat],
    ENV,
  );
  assert.equal(r.status, 0, r.stderr);
  checkBeside(out, JSON.parse(r.stdout) as { format: string; path: string }[]);
});

function checkBeside(out: string, manifest: { format: string; path: string }[]): void {
  const dir = join(out, "some/dir");
  assert.deepEqual(
    manifest.map((m) => [m.format, m.path]),
    [
      ["deb", join(dir, "x.deb")],
      ["checksums", join(dir, "SHA256SUMS")],
    ],
  );
  assert.deepEqual(readdirSync(dir).sort(), ["SHA256SUMS", "packyard-build.json", "x.deb"]);
  assert.match(readFileSync(join(dir, "SHA256SUMS"), "utf8"), /^[0-9a-f]{64} {2}x\.deb\n$/);
  const built = JSON.parse(readFileSync(join(dir, "packyard-build.json"), "utf8")) as {
    artifacts: { file: string }[];
  };
  assert.deepEqual(
    built.artifacts.map((a) => a.file),
    ["x.deb", "SHA256SUMS"],
  );
}

test("--workers takes auto or 1-16; another value is a usage error (exit 2) before anything is written", async () => {
  const out = tmp();
  for (const bad of ["0", "17", "many"]) {
    const r = await runMain(["build", "--workers", bad, "-t", out], EXAMPLE_DIR, [fakeFormat], ENV);
    assert.equal(r.status, 2, `${bad}: ${r.stderr}`);
    assert.match(r.stderr, /^error: --workers: expected auto or an integer from 1 to 16/, r.stderr);
  }
  assert.deepEqual(readdirSync(out), []);
  for (const good of ["1", "auto"]) {
    const r = await runMain(
      ["build", "-p", "deb", "--workers", good, "-t", out],
      EXAMPLE_DIR,
      [fakeFormat],
      ENV,
    );
    assert.equal(r.status, 0, `${good}: ${r.stderr}`);
  }
});

test("the launcher runs build with a small young generation (--max-semi-space-size=1), unless told not to", () => {
  const out = tmp();
  const r = spawnCli(["build", "--debug", "-p", "deb", "-t", out], EXAMPLE_DIR, ENV);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /^node options: .*--max-semi-space-size=1/m, r.stderr);
  const plain = spawnCli(["build", "--debug", "-p", "deb", "-t", out], EXAMPLE_DIR, {
    ...ENV,
    PACKYARD_NO_REEXEC: "1",
  });
  assert.equal(plain.status, 0, plain.stderr);
  assert.doesNotMatch(plain.stderr, /max-semi-space-size/, plain.stderr);
});
