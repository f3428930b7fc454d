// nfpm-equivalent acceptance configs (fixtures/config/*.yaml) load into the PackageSpec nfpm's documented
// semantics give. Expected values are written by hand; modes of files without file_info.mode are the
// on-disk mode minus nfpm's default umask 0o002, read from the checkout.
import assert from "node:assert/strict";
import { statSync } from "node:fs";
import { test } from "node:test";
import { type LoadedConfig, loadConfig } from "../../src/config/load.ts";
import type { PackageSpec } from "../../src/spec/types.ts";
import { FAKE_FORMATS } from "./fake-format.ts";
import { contentText, diskMode, FIXTURES, fixtureText, shape } from "./support.ts";

const ENV = { BUILD_ARCH: "amd64", SEMVER: "v1.0.0-0.1.b1+git.abcdefgh" };
const DATE = 1_700_000_000;

function load(name: string): LoadedConfig {
  return loadConfig({
    text: fixtureText(name),
    path: name,
    baseDir: FIXTURES,
    env: ENV,
    formats: FAKE_FORMATS,
  });
}
const size = (rel: string) => statSync(`${FIXTURES}/${rel}`).size;
const file = (rel: string, extra = "", mode = diskMode(rel)) =>
  `file ${mode.toString(8)} root:root${extra ? ` [${extra}]` : ""} size=${size(rel)}`;
const dir = (mode = 0o755) => `dir ${mode.toString(8)} root:root`;
const script = (kind: string) => `#!/bin/sh\necho ${kind} > /tmp/${kind}-proof\n`;
const DESCRIPTION = "Foo bar\n  Multiple lines\n";

function metadata(spec: PackageSpec) {
  const { entries: _e, scripts: _s, ...rest } = spec;
  return rest;
}

async function bodies(spec: PackageSpec): Promise<Record<string, string>> {
  return Object.fromEntries(Object.entries(spec.scripts).map(([k, v]) => [k, v?.body ?? ""]));
}

test("min: name, version, arch from ${BUILD_ARCH}, one file", async () => {
  const { spec } = await load("min.yaml").resolve("deb", { date: DATE });
  assert.deepEqual(metadata(spec), {
    name: "foo",
    version: { upstream: "1.2.3" },
    arch: "amd64",
    date: DATE,
    license: "MIT",
    maintainer: "Foo Bar",
    relations: {},
    changelog: [],
  });
  assert.deepEqual(shape(spec.entries), { "/usr/local/bin/fake": file("testdata/fake") });
  assert.equal(await contentText(spec.entries[0]), "#!/bin/sh\necho fake\n");
  assert.deepEqual(spec.scripts, {});
});

test("simple: release, multi-line description, config file", async () => {
  const { spec } = await load("simple.yaml").resolve("rpm", { date: DATE });
  assert.deepEqual(metadata(spec), {
    name: "foo",
    version: { upstream: "1.2.3", release: "simple" },
    arch: "amd64",
    date: DATE,
    maintainer: "Foo Bar",
    description: DESCRIPTION,
    vendor: "foobar",
    homepage: "https://foobar.org",
    license: "MIT",
    relations: {},
    changelog: [],
  });
  assert.deepEqual(shape(spec.entries), {
    "/etc/foo/whatever.conf": file("testdata/whatever.conf", "config"),
    "/usr/local/bin/fake": file("testdata/fake"),
  });
});

const COMPLEX_ENTRIES = {
  "/etc/foo/whatever.conf": file("testdata/whatever.conf", "config"),
  "/etc/something": file("testdata/something"),
  "/usr/bin/fake": file("testdata/fake"),
  "/usr/foo/bar/something": dir(),
  "/usr/sbin/fake": file("testdata/fake", "", 0o4755),
  "/usr/share/foo": dir(),
  "/usr/share/whatever/folder/file1": file("testdata/acceptance/folder/file1"),
  "/usr/share/whatever/folder/file2": file("testdata/acceptance/folder/file2"),
  "/usr/share/whatever/folder/folder2/file1": file("testdata/acceptance/folder/folder2/file1"),
  "/usr/share/whatever/folder/folder2/file2": file("testdata/acceptance/folder/folder2/file2"),
  "/var/log/whatever": dir(),
};
const COMMON_SCRIPTS = {
  preinstall: script("preinstall"),
  postinstall: script("postinstall"),
  preremove: script("preremove"),
  postremove: script("postremove"),
};

test("complex: relations, glob keeping sub-folders, dirs, per-packager setuid file, scripts", async () => {
  const cfg = load("complex.yaml");
  const { spec } = await cfg.resolve("deb", { date: DATE });
  assert.deepEqual(metadata(spec), {
    name: "foo",
    version: { upstream: "1.2.3", prerelease: "beta" },
    arch: "amd64",
    date: DATE,
    maintainer: "Foo Bar",
    description: DESCRIPTION,
    vendor: "foobar",
    homepage: "https://foobar.org",
    license: "MIT",
    relations: {
      depends: [[{ name: "bash" }]],
      recommends: [[{ name: "fish" }]],
      suggests: [[{ name: "zsh" }]],
      replaces: [[{ name: "foo" }]],
      provides: [[{ name: "fake" }]],
    },
    changelog: [],
  });
  assert.deepEqual(shape(spec.entries), COMPLEX_ENTRIES);
  assert.equal(
    await contentText(spec.entries.find((e) => e.path === "/usr/share/whatever/folder/folder2/file2")),
    "folder2/file2\n",
  );
  assert.deepEqual(await bodies(spec), COMMON_SCRIPTS);

  const rpm = await cfg.resolve("rpm", { date: DATE });
  assert.deepEqual(shape(rpm.spec.entries), COMPLEX_ENTRIES);
  assert.deepEqual(await bodies(rpm.spec), {
    ...COMMON_SCRIPTS,
    pretrans: script("pretrans"),
    posttrans: script("posttrans"),
    verify: script("verify"),
  });
  for (const id of ["apk", "archlinux"]) {
    const r = await cfg.resolve(id, { date: DATE });
    assert.deepEqual(
      await bodies(r.spec),
      { ...COMMON_SCRIPTS, preupgrade: script("preupgrade"), postupgrade: script("postupgrade") },
      id,
    );
  }
});

test("overrides: per-packager depends and scripts replace the top-level ones", async () => {
  const cfg = load("overrides.yaml");
  assert.deepEqual(cfg.notes, ["overrides.ipk: packyard does not build ipk; ignored"]);
  const deb = (await cfg.resolve("deb", { date: DATE })).spec;
  assert.deepEqual(deb.relations, {
    depends: [[{ name: "bash", op: ">=", version: "4.4" }, { name: "fish" }]],
    suggests: [[{ name: "zsh" }]],
    replaces: [[{ name: "foo" }]],
    provides: [[{ name: "fake" }]],
  });
  assert.deepEqual(await bodies(deb), { postinstall: script("postinstall"), preremove: script("preremove") });
  const apk = (await cfg.resolve("apk", { date: DATE })).spec;
  assert.deepEqual(apk.relations.depends, [[{ name: "bash" }], [{ name: "fish" }]]);
  const arch = (await cfg.resolve("archlinux", { date: DATE })).spec;
  assert.deepEqual(arch.relations.depends, [[{ name: "bash" }]]);
  assert.deepEqual(await bodies(arch), {
    postinstall: script("postinstall"),
    preremove: script("preremove"),
  });
  assert.deepEqual(Object.keys(shape(arch.entries)), [
    "/etc/foo/whatever.conf",
    "/usr/bin/fake",
    "/usr/share/whatever/folder/file1",
    "/usr/share/whatever/folder/file2",
    "/usr/share/whatever/folder/folder2/file1",
    "/usr/share/whatever/folder/folder2/file2",
  ]);
  // nfpm's overrides.rpm.depends holds an rpm rich dependency: kept verbatim as one relation, for rpm only.
  const rpm = (await cfg.resolve("rpm", { date: DATE })).spec;
  assert.deepEqual(rpm.relations.depends, [[{ name: "(bash >= 4.4 or fish)" }]]);
});

test("symlink: the link's src is its in-package target", async () => {
  const { spec } = await load("symlink.yaml").resolve("deb", { date: DATE });
  assert.deepEqual(shape(spec.entries), {
    "/etc/foo/whatever.conf": file("testdata/whatever.conf"),
    "/path/to/symlink": "symlink 777 root:root -> /etc/foo/whatever.conf",
  });
});

test("env-var-version: ${SEMVER} is split into upstream, prerelease and metadata", async () => {
  const { spec } = await load("env-var-version.yaml").resolve("deb", { date: DATE });
  assert.deepEqual(spec.version, { upstream: "1.0.0", prerelease: "0.1.b1", metadata: "git.abcdefgh" });
  assert.deepEqual(Object.keys(shape(spec.entries)), [
    "/etc/foo/whatever.conf",
    "/usr/local/bin/fake",
    "/usr/share/foo",
    "/usr/share/whatever/folder/file1",
    "/usr/share/whatever/folder/file2",
    "/usr/share/whatever/folder/folder2/file1",
    "/usr/share/whatever/folder/folder2/file2",
    "/var/log/whatever",
  ]);
  assert.deepEqual(await bodies(spec), COMMON_SCRIPTS);
});

test("withchangelog: chglog entries, section, file_info modes, dst ending in / takes the file name", async () => {
  const { spec } = await load("withchangelog.yaml").resolve("deb", { date: DATE });
  assert.equal(spec.section, "misc");
  assert.deepEqual(spec.changelog, [
    {
      version: "1.1.0-1",
      date: Date.UTC(2009, 11, 8, 22) / 1000,
      author: "Jane Doe <jane@example.org>",
      changes: ["first change", "second change"],
    },
    {
      version: "1.0.0-1",
      date: Date.UTC(2009, 10, 10, 23) / 1000,
      author: "Jane Doe <jane@example.org>",
      changes: ["initial release"],
    },
  ]);
  assert.deepEqual(shape(spec.entries), {
    "/usr/bin/fake": file("testdata/fake", "", 0o755),
    "/usr/share/doc/foo/copyright": file("testdata/copyright", "", 0o644),
  });
});
