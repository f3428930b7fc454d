/**
 * The checksums file `build` writes over its artifacts, driven by the `checksum:` block (with the fake
 * format, so these run without any real format or tool). Signed checksums, judged by gpgv, are in
 * interop/checksums-signed.test.ts.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { exampleProject } from "@packyard/testkit/example";
import { fakeFormat } from "./fake-format.ts";
import { isOneParagraph, runMain } from "./run-cli.ts";
import { tempDirs } from "./temp-dirs.ts";

const tmp = tempDirs("packyard-sums-");

/** A copy of the example project with `extra` appended to its packyard.yml (or `extra` applied to it). */
const project = (extra: string | ((config: string) => string)) => exampleProject(tmp(), extra);

const ENV = { SOURCE_DATE_EPOCH: "1700000000" };

test("checksum: sha512 and a templated name with $VAR expansion", async () => {
  const cwd = project('checksum:\n  algorithm: sha512\n  name_template: "{{name}}_{{version}}_$SUMS_KIND"\n');
  const r = await runMain(["build", "-p", "deb", "--json"], cwd, [fakeFormat], {
    ...ENV,
    SUMS_KIND: "SHA512SUMS",
  });
  assert.equal(r.status, 0, r.stderr);
  const manifest = JSON.parse(r.stdout) as { format: string; path: string; sha256: string }[];
  assert.deepEqual(
    manifest.map((m) => [m.format, m.path.slice(cwd.length)]),
    [
      ["deb", "/dist/hello-packyard_1.0.0_all.fake"],
      ["checksums", "/dist/hello-packyard_1.0.0_SHA512SUMS"],
    ],
  );
  const pkg = readFileSync(manifest[0]!.path);
  const sha512 = createHash("sha512").update(pkg).digest("hex");
  assert.equal(readFileSync(manifest[1]!.path, "utf8"), `${sha512}  hello-packyard_1.0.0_all.fake\n`);
});

test("checksum.disable: only the packages are written", async () => {
  const cwd = project("checksum:\n  disable: true\n");
  const r = await runMain(["build", "-p", "deb", "--json"], cwd, [fakeFormat], ENV);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(
    (JSON.parse(r.stdout) as { format: string }[]).map((m) => m.format),
    ["deb"],
  );
  assert.equal(existsSync(join(cwd, "dist/SHA256SUMS")), false);
});

test("checksum: errors name the field, exit 1, and nothing is built", async () => {
  // The example already has an `overrides:` block; the override cases add to it.
  const override = (yaml: string) => (config: string) =>
    config.replace("\noverrides:\n", `\noverrides:\n${yaml}`);
  const cases: [string | ((config: string) => string), RegExp][] = [
    ["checksum:\n  algorithm: md5\n", /checksum\.algorithm: expected sha256 or sha512.*INVALID_FIELD/],
    ["checksum:\n  split: true\n", /checksum\.split: .*UNSUPPORTED_KEY/],
    [
      "checksum:\n  signature:\n    key_file: nowhere.asc\n",
      /cannot read signing key .*nowhere\.asc.*KEY_READ/,
    ],
    // The checksums file covers the whole build, so it cannot vary per packager.
    [
      override("  deb:\n    checksum:\n      disable: true\n"),
      /overrides\.deb\.checksum: unknown key.*UNKNOWN_KEY/,
    ],
    [override("  checksum:\n    release: '2'\n"), /overrides\.checksum: unknown packager.*UNKNOWN_KEY/],
  ];
  for (const [extra, message] of cases) {
    const cwd = project(extra);
    const r = await runMain(["build", "-p", "deb"], cwd, [fakeFormat], ENV);
    assert.equal(r.status, 1, String(extra));
    assert.ok(isOneParagraph(r.stderr), r.stderr);
    assert.match(r.stderr, message);
    assert.equal(existsSync(join(cwd, "dist")), false, `${String(extra)}: nothing written`);
  }
});
