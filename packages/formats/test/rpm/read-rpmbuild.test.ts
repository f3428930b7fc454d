import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { bytesSource } from "../../src/bytes/bytes.ts";
import { readRpm } from "../../src/rpm/index.ts";

const fixture = (name: string) =>
  bytesSource(new Uint8Array(readFileSync(new URL(`../../../../fixtures/rpm/${name}`, import.meta.url))));

// Expected values read off `rpm -qp --qf ... fixtures/rpm/rpmbuild-*.rpm` and fixtures/rpm/make.sh's spec file.
async function checkFixture(name: string): Promise<void> {
  const info = await readRpm(fixture(name));
  assert.equal(info.name, "fixture");
  assert.equal(info.versionString, "1:1.2~rc1-3");
  assert.deepEqual(info.version, { upstream: "1.2", prerelease: "rc1", release: "3", epoch: 1 });
  assert.equal(info.archString, "noarch");
  assert.equal(info.arch, "all");
  assert.equal(info.license, "MIT");
  assert.equal(info.homepage, "https://packyard.invalid/fixture");
  assert.equal(info.buildDate, 1704067200);
  assert.deepEqual(info.relations.depends, [
    [{ name: "coreutils" }, { name: "busybox" }],
    [{ name: "/bin/sh" }],
  ]);
  assert.deepEqual(info.relations.provides, [[{ name: "fixture-api", op: "=", version: "2" }]]);
  assert.deepEqual(info.relations.recommends, [[{ name: "less", op: ">=", version: "1" }]]);
  assert.deepEqual(
    info.files.map((f) => [f.path, f.type, f.mode.toString(8), f.target ?? "", f.flags ?? {}]),
    [
      ["/etc/fixture/fixture.conf", "file", "644", "", { config: true, noreplace: true }],
      ["/usr/bin/fixture", "file", "755", "", {}],
      ["/usr/bin/fixture-link", "symlink", "777", "fixture", {}],
      ["/usr/share/fixture/a", "file", "644", "", {}],
      ["/usr/share/fixture/b", "hardlink", "644", "/usr/share/fixture/a", {}],
      ["/var/lib/fixture", "dir", "755", "", {}],
    ],
  );
  // printf '#!/bin/sh\necho fixture\n' | sha256sum
  assert.equal(
    info.files[1]!.digests.sha256,
    "6ecf06f6dbbab6a920b5b208bc7c4069ca266b150d6c00533a00b5975a8417ca",
  );
  assert.deepEqual(info.scripts.preinstall, { interpreter: "/bin/sh", body: "echo pre $1" });
  assert.deepEqual(info.scripts.postinstall, { interpreter: "/bin/sh", body: "echo post $1" });
  assert.deepEqual(info.signatures, []);
}

test("reads rpmbuild's gzip payload package", () => checkFixture("rpmbuild-gzip.rpm"));
test("reads rpmbuild's zstd payload package", () => checkFixture("rpmbuild-zstd.rpm"));
// rpm's xzdio writes a SHA-256 check, which only lzma-native (an optional dependency) decodes.
test("reads rpmbuild's xz payload package", () => checkFixture("rpmbuild-xz.rpm"));
