/**
 * What `packyard publish` writes and says for the repository's users (in-process CLI, real formats and
 * engine, a folder repository, no external tools): the example project built for every family, macOS
 * and release archives, published with --base-url, gets index.html, install.sh, install.json, badge.svg,
 * the downloads with their SHA256SUMS (checked here with node:crypto) and its signature (checked with the
 * public key), and the Homebrew cask; the instructions go to stdout (none with --json or -q); without a
 * public URL they name the file: location and say one is needed; `repo instructions` prints them again,
 * for one target or as install.json; the URL is remembered by later publishes.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { cpSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { pathToFileURL } from "node:url";
import { verifyDetached } from "../src/formats.ts";
import type { InstallDocument, PublishResult } from "../src/repo.ts";
import { builtExample, cli, DEB, KEY, PUBLIC_KEY, RSA_KEY } from "./publish/support.ts";
import { tempDirs } from "./temp-dirs.ts";

const tmp = tempDirs("packyard-publish-install-");

const BASE = "https://packages.example.org/hello";
const NAME = "hello-packyard";
const MACOS = "hello-packyard-1.0.0.pkg";
const TARBALL = "hello-packyard_1.0.0_linux_all.tar.gz";
const ZIP = "hello-packyard_1.0.0_linux_all.zip";
/** What one publish of every family takes besides --to: keys and the RPM-MD and Alpine targets. */
const FLAGS = ["--key", KEY, "--apk-key", RSA_KEY, "--rpm-target", "el-9", "--apk-target", "alpine-3.22"];
/** The install files every operation rewrites at the repository root. */
const INSTALL_FILES = ["index.html", "install.sh", "install.json", "badge.svg"];

/** The example built for every family, macOS and two release archives; copied per test (cheap). */
const built = await builtExample(tmp(), "deb,rpm,archlinux,apk,macos,tar.gz,zip");

function project(): string {
  const dir = tmp();
  cpSync(built, dir, { recursive: true });
  return dir;
}

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
const readJson = <T>(file: string) => JSON.parse(readFileSync(file, "utf8")) as T;

test("publish --base-url: install files, downloads with signed SHA256SUMS and the cask; the instructions on stdout", async () => {
  const cwd = project();
  const r = await cli(["publish", "--to", "repo", ...FLAGS, "--base-url", BASE], cwd);
  assert.equal(r.status, 0, r.stderr);
  const repo = join(cwd, "repo");
  for (const f of INSTALL_FILES) assert.ok(existsSync(join(repo, f)), f);

  // Downloads: the built files, byte for byte, and a sha256sum-format SHA256SUMS over them.
  const version = join(repo, "downloads", NAME, "1.0.0");
  const expectedSums = [MACOS, TARBALL, ZIP]
    .map((f) => {
      const built = new Uint8Array(readFileSync(join(cwd, "dist", f)));
      assert.deepEqual(new Uint8Array(readFileSync(join(version, f))), built, f);
      return `${sha256(built)}  ${f}\n`;
    })
    .sort()
    .join("");
  const sums = readFileSync(join(version, "SHA256SUMS"));
  assert.equal(sums.toString("utf8").split("\n").sort().join("\n").trim(), expectedSums.trim());
  const verified = await verifyDetached(
    new Uint8Array(sums),
    readFileSync(join(version, "SHA256SUMS.asc"), "utf8"),
    readFileSync(PUBLIC_KEY, "utf8"),
    { date: null },
  );
  assert.ok(verified.valid, verified.reason);
  const cask = readFileSync(join(repo, "downloads", NAME, `${NAME}.rb`), "utf8");
  assert.match(cask, new RegExp(`^\\s*url '${BASE}/downloads/${NAME}/1\\.0\\.0/${MACOS}'$`, "m"));
  assert.match(
    cask,
    new RegExp(`^\\s*sha256 '${sha256(new Uint8Array(readFileSync(join(cwd, "dist", MACOS))))}'$`, "m"),
  );

  // install.json: the public URL, every family's targets, the downloads; its key and download URLs name
  // files the repository holds.
  const doc = readJson<InstallDocument>(join(repo, "install.json"));
  assert.equal(doc.baseUrl, BASE);
  assert.equal(doc.public, true);
  const ids = doc.targets.map((t) => t.id);
  for (const id of ["debian-12", "el-9", "arch", "alpine-3.22"]) assert.ok(ids.includes(id), ids.join(" "));
  const held = (url: string) => {
    assert.ok(url.startsWith(`${BASE}/`), url);
    return existsSync(join(repo, decodeURIComponent(url.slice(BASE.length + 1))));
  };
  const urls = [
    doc.keys.openpgp!.asc,
    doc.keys.openpgp!.gpg,
    doc.keys.apk!.url,
    doc.script.url,
    doc.page,
    ...doc.downloads.flatMap((d) => [
      d.checksums,
      ...(d.checksumsSignature !== undefined ? [d.checksumsSignature] : []),
      ...(d.cask !== undefined ? [d.cask] : []),
      ...d.files.map((f) => f.url),
    ]),
  ];
  for (const url of urls) assert.ok(held(url), `${url}: not in the repository`);
  assert.deepEqual(doc.downloads[0]!.files.map((f) => f.name).sort(), [MACOS, TARBALL, ZIP].sort());
  assert.match(readFileSync(join(repo, "badge.svg"), "utf8"), /1\.0\.0/);
  assert.ok(readFileSync(join(repo, "index.html"), "utf8").includes(`${BASE}/install.sh`));
  assert.ok(readFileSync(join(repo, "install.sh"), "utf8").startsWith("#!/bin/sh"));

  // stdout: the page, the one-liner, and each family's steps as install.json has them.
  assert.ok(r.stdout.includes(`Install page: ${BASE}/index.html\n`), r.stdout);
  assert.ok(r.stdout.includes(`  curl -fsSL ${BASE}/install.sh | sh\n`), r.stdout);
  assert.ok(r.stdout.includes(`sudo apt-get install -y ${NAME}\n`), r.stdout);
  const debian = doc.targets.find((t) => t.id === "debian-12")!;
  for (const step of debian.steps) assert.ok(r.stdout.includes(step.sudo), step.sudo);
  for (const id of ["el-9", "arch", "alpine-3.22"]) assert.ok(r.stdout.includes(`[${id}]`), id);
  assert.ok(!r.stdout.includes("file://"), "a public URL: no storage location");
  // The summary and the progress stay on stderr.
  assert.match(r.stderr, /^published to repo \(/);
});

test("without --base-url: the instructions name the file: location and say a public URL is needed", async () => {
  const cwd = project();
  const repo = join(cwd, "repo");
  const r = await cli(["publish", "--to", "repo", ...FLAGS], cwd);
  assert.equal(r.status, 0, r.stderr);
  const location = pathToFileURL(repo).href;
  assert.match(
    r.stdout,
    /is where the repository is stored, not a URL its users can reach\.\nGive the public URL it is served from \(--base-url, or publish\.base_url\)/,
  );
  assert.equal(r.stdout.split("is where the repository is stored").length, 2, "the note once");
  assert.ok(r.stdout.includes(`${location}/keys/repository.asc`), r.stdout);
  assert.ok(r.stdout.includes(`URIs: ${location}/deb\n`), r.stdout);
  assert.ok(!r.stdout.includes("Install page:"), "no page URL users could open");
  const doc = readJson<InstallDocument>(join(repo, "install.json"));
  assert.equal(doc.public, false);
  assert.equal(doc.baseUrl, location);
  for (const f of INSTALL_FILES) assert.ok(existsSync(join(repo, f)), f);
  assert.ok(existsSync(join(repo, "downloads", NAME, "1.0.0", "SHA256SUMS.asc")));
});

test("--json and -q print no instructions; --json's result lists the downloads", async () => {
  const cwd = project();
  const json = await cli(["publish", "--to", "repo", ...FLAGS, "--base-url", BASE, "--json"], cwd);
  assert.equal(json.status, 0, json.stderr);
  const result = JSON.parse(json.stdout) as PublishResult;
  assert.deepEqual(
    result.downloads?.added.map((d) => [d.name, d.version, d.file]).sort(),
    [MACOS, TARBALL, ZIP].map((f) => [NAME, "1.0.0", f]).sort(),
  );
  for (const f of INSTALL_FILES) assert.ok(result.changedKeys.includes(f), f);
  assert.ok(!json.stdout.includes("Install page"));

  const quiet = await cli(["publish", "--to", "other", ...FLAGS, "--base-url", BASE, "-q"], cwd);
  assert.equal(quiet.status, 0, quiet.stderr);
  assert.equal(quiet.stdout, "");
  assert.equal(quiet.stderr, "");
  assert.ok(existsSync(join(cwd, "other", "install.json")), "-q still writes the install files");
});

test("repo instructions: one target with --distro, UNKNOWN_TARGET listing the served ids, install.json with --json", async () => {
  const cwd = project();
  const published = await cli(["publish", "--to", "repo", ...FLAGS, "--base-url", BASE, "-q"], cwd);
  assert.equal(published.status, 0, published.stderr);
  const doc = readJson<InstallDocument>(join(cwd, "repo", "install.json"));

  const one = await cli(["repo", "instructions", "--to", "repo", "--distro", "debian-12"], cwd);
  assert.equal(one.status, 0, one.stderr);
  assert.ok(one.stdout.includes("[debian-12]"), one.stdout);
  for (const step of doc.targets.find((t) => t.id === "debian-12")!.steps)
    assert.ok(one.stdout.includes(step.sudo), step.sudo);
  const others = doc.targets.map((t) => t.id).filter((id) => id !== "debian-12");
  for (const id of others) assert.ok(!one.stdout.includes(`[${id}]`), `${id} printed too`);

  const nope = await cli(["repo", "instructions", "--to", "repo", "--distro", "nope"], cwd);
  assert.equal(nope.status, 1);
  assert.equal(nope.stdout, "");
  assert.ok(
    nope.stderr.startsWith(
      `error: no instructions for "nope": the repository serves ${doc.targets.map((t) => t.id).join(", ")}`,
    ),
    nope.stderr,
  );
  assert.match(nope.stderr, /\[RepoError UNKNOWN_TARGET\]\n$/);

  const json = await cli(["repo", "instructions", "--to", "repo", "--json"], cwd);
  assert.equal(json.status, 0, json.stderr);
  assert.deepEqual(JSON.parse(json.stdout), doc);
});

test("a later publish without --base-url keeps the remembered URL: install.json unchanged, the public instructions", async () => {
  const cwd = project();
  const first = await cli(["publish", "--to", "repo", ...FLAGS, "--base-url", BASE, "-q"], cwd);
  assert.equal(first.status, 0, first.stderr);
  const installJson = readFileSync(join(cwd, "repo", "install.json"));
  // Only the deb this time: the other families and the downloads stay where they are.
  const again = await cli(["publish", "--to", "repo", "--key", KEY, `dist/${DEB}`], cwd);
  assert.equal(again.status, 0, again.stderr);
  assert.deepEqual(readFileSync(join(cwd, "repo", "install.json")), installJson);
  assert.ok(again.stdout.includes(`Install page: ${BASE}/index.html\n`), again.stdout);
  assert.ok(!again.stdout.includes("file://"), again.stdout);
});
