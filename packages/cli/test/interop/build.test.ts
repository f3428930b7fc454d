/**
 * `packyard build` end to end on the example project with the default (unsigned) packyard.yml, through the
 * real launcher, with each artifact judged by its own tool: dpkg-deb, rpm, bsdtar, unzip, sha256sum.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { before, test } from "node:test";
import { needTool, run, tryRun } from "@packyard/testkit/tools";
import { buildJson, exampleCopy, LINUX_PACKAGERS } from "./support.ts";
import { FORMATS } from "../../src/formats.ts";
import { type CliResult, isOneParagraph, runMain, spawnCli } from "../run-cli.ts";
import type { BuiltArtifact as Artifact } from "../../src/build.ts";

const ENV = { SOURCE_DATE_EPOCH: "1700000000" };
let cwd = "";
let build: CliResult;
let manifest: Artifact[] = [];

before(() => {
  cwd = exampleCopy();
  ({ result: build, manifest } = buildJson(cwd, ["-p", LINUX_PACKAGERS]));
});

function artifact(format: string): string {
  const a = manifest.find((m) => m.format === format);
  assert.ok(a, `${format} in the manifest`);
  return a.path;
}

test("one run writes every packager, then SHA256SUMS; the manifest matches the files", () => {
  assert.equal(build.status, 0, build.stderr);
  assert.deepEqual(
    manifest.map((m) => [m.format, basename(m.path)]),
    [
      ["deb", "hello-packyard_1.0.0-1_all.deb"],
      ["rpm", "hello-packyard-1.0.0-1.noarch.rpm"],
      ["archlinux", "hello-packyard-1.0.0-1-any.pkg.tar.zst"],
      ["apk", "hello-packyard-1.0.0-r1.apk"],
      ["tar.gz", "hello-packyard_1.0.0_linux_all.tar.gz"],
      ["zip", "hello-packyard_1.0.0_linux_all.zip"],
      ["checksums", "SHA256SUMS"],
    ],
  );
  for (const m of manifest) {
    const bytes = readFileSync(m.path);
    assert.equal(m.size, bytes.length, m.path);
    assert.equal(m.sha256, createHash("sha256").update(bytes).digest("hex"), m.path);
    assert.equal(m.path, join(cwd, "dist", basename(m.path)));
  }
  assert.doesNotMatch(build.stderr, /warning/, "an unsigned build has nothing to warn about");
});

test("sha256sum -c accepts SHA256SUMS", (t) => {
  if (!needTool(t, "sha256sum")) return;
  const out = run("sha256sum", ["-c", "SHA256SUMS"], { cwd: join(cwd, "dist") });
  assert.equal(out.trim().split("\n").length, 6);
  assert.doesNotMatch(out, /FAILED/);
});

test("dpkg-deb reads the deb: control fields and the file list; no signature member", (t) => {
  if (!needTool(t, "dpkg-deb", "ar")) return;
  const deb = artifact("deb");
  const info = run("dpkg-deb", ["-I", deb]);
  assert.match(info, /^ Package: hello-packyard$/m);
  assert.match(info, /^ Version: 1\.0\.0-1$/m);
  assert.match(info, /^ Architecture: all$/m);
  assert.match(run("dpkg-deb", ["-c", deb]), /^-rwxr-xr-x root\/root +\d+ \S+ \S+ \.\/usr\/bin\/hello$/m);
  assert.deepEqual(run("ar", ["t", deb]).trim().split("\n"), [
    "debian-binary",
    "control.tar.gz",
    "data.tar.gz",
  ]);
});

test("rpm -qip reads the rpm: name, version, release, unsigned", (t) => {
  if (!needTool(t, "rpm")) return;
  const info = run("rpm", ["-qip", artifact("rpm")]);
  assert.match(info, /^Name +: hello-packyard$/m);
  assert.match(info, /^Version +: 1\.0\.0$/m);
  assert.match(info, /^Release +: 1$/m);
  assert.match(info, /^Signature +: \(none\)$/m);
  assert.match(run("rpm", ["-qlp", artifact("rpm")]), /^\/usr\/bin\/hello$/m);
});

test("bsdtar lists the Arch package, the apk and the tar.gz with modes and symlinks", (t) => {
  if (!needTool(t, "bsdtar")) return;
  const arch = run("bsdtar", ["-tvf", artifact("archlinux")]);
  assert.match(arch, /^-rw-r--r-- +0 root +root +\d+ .* \.PKGINFO$/m);
  assert.match(arch, /^-rwxr-xr-x +0 root +root +390 .* usr\/bin\/hello$/m);
  const apk = run("bsdtar", ["-tvf", artifact("apk")]);
  assert.match(apk, /^-rw-r--r-- .* \.PKGINFO$/m);
  assert.match(apk, /^-rwxr-xr-x .* usr\/bin\/hello$/m);
  const tgz = run("bsdtar", ["-tvf", artifact("tar.gz")]);
  assert.match(tgz, /^-rwxr-xr-x +0 root +root +390 .* usr\/bin\/hello$/m);
  assert.match(tgz, /^lrwxrwxrwx .* usr\/bin\/hello-packyard -> hello$/m);
  assert.match(tgz, /^drwxr-xr-x .* var\/lib\/hello-packyard\/$/m);
});

test("unzip -Z shows Unix modes and the symlink; unzip -t passes", (t) => {
  if (!needTool(t, "unzip")) return;
  const zip = artifact("zip");
  const listing = run("unzip", ["-Z", zip]);
  assert.match(listing, /^-rwxr-xr-x +6\.3 unx +390 .* usr\/bin\/hello$/m);
  assert.match(listing, /^lrwxrwxrwx +6\.3 unx +5 .* usr\/bin\/hello-packyard$/m);
  assert.match(run("unzip", ["-t", zip]), /No errors detected/);
});

test("a version a format cannot represent: exit 1, one paragraph, nothing written", (t) => {
  if (!needTool(t, "sed")) return;
  const dir = exampleCopy();
  run("sed", ["-i", "s/^version: 1.0.0$/version: 1.0.0-nightly/", join(dir, "packyard.yml")]);
  // deb and rpm can say "nightly" (1.0.0~nightly); apk cannot, and the check runs before any writing.
  const r = spawnCli(["build", "-p", "deb,rpm,apk"], dir, ENV);
  assert.equal(r.status, 1, r.stderr);
  assert.ok(isOneParagraph(r.stderr), r.stderr);
  assert.match(r.stderr, /version\.prerelease: .*"nightly".* \[SpecError VERSION_UNREPRESENTABLE\]\n$/);
  assert.equal(tryRun("ls", [join(dir, "dist")]).status === 0, false, "no dist/ folder");
  const ok = spawnCli(["build", "-p", "deb,rpm,archlinux", "--json"], dir, ENV);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /hello-packyard_1\.0\.0~nightly-1_all\.deb/);
});

test("macos: the example's /usr/local override builds a product archive bsdtar lists", async (t) => {
  if (!needTool(t, "bsdtar")) return;
  const r = spawnCli(["build", "-p", "macos", "-t", "mac", "--json"], cwd, ENV);
  assert.equal(r.status, 0, r.stderr);
  const [pkg] = JSON.parse(r.stdout) as Artifact[];
  assert.equal(basename(pkg!.path), "hello-packyard-1.0.0.pkg");
  // Installer packages have no remove scripts: the build says so instead of dropping them silently.
  assert.match(r.stderr, /warning: scripts\.preremove: .*\[MACOS_SCRIPT_IGNORED\]/);
  const listing = run("bsdtar", ["-tf", pkg!.path]);
  for (const name of [
    "Distribution",
    "hello-packyard.pkg/Bom",
    "hello-packyard.pkg/PackageInfo",
    "hello-packyard.pkg/Payload",
  ])
    assert.match(listing, new RegExp(`^${name.replaceAll(".", "\\.")}$`, "m"));
  const info = await runMain(["inspect", pkg!.path], cwd, FORMATS);
  assert.equal(info.status, 0, info.stderr);
  assert.match(info.stdout, /^ {2}-rwxr-xr-x root\/wheel +390 \/usr\/local\/bin\/hello$/m);
});
