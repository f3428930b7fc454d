/**
 * README's examples run as written: the quick start's commands, the build API example and the
 * write-and-read example are taken out of README.md and run verbatim, in a scratch folder inside the
 * repository (so `@packyard/formats` resolves to the workspace package, as it would from an install).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { bytesSource, readPackage } from "@packyard/formats";
import { exampleProject } from "@packyard/testkit/example";
import { REPO } from "../run-cli.ts";

const README = readFileSync(join(REPO, "README.md"), "utf8");
const work = mkdtempSync(join(REPO, ".tmp-readme-"));
after(() => rmSync(work, { recursive: true, force: true }));

/** The first fenced block of `lang` after the heading `heading`. */
function block(heading: string, lang: string): string {
  const at = README.indexOf(`\n${heading}\n`);
  assert.ok(at >= 0, `README has the heading ${heading}`);
  const open = README.indexOf(`\n\`\`\`${lang}\n`, at);
  assert.ok(open >= 0, `a ${lang} block after ${heading}`);
  const start = open + lang.length + 5;
  return README.slice(start, README.indexOf("\n```", start));
}

const PATH = { PATH: `${join(REPO, "node_modules/.bin")}:${process.env.PATH ?? ""}` };

function run(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}) {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", env: { ...process.env, ...PATH, ...env } });
  assert.equal(r.status, 0, `${cmd} ${args.join(" ")}\n${r.stdout}\n${r.stderr}`);
  return r;
}

test("the quick start's commands run in fixtures/example", () => {
  const lines = block("## Quick start", "sh")
    .split("\n")
    .map((l) => l.replace(/\s+#.*$/, "").trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
  assert.equal(lines[0], "npm ci", "the set-up line (already done for this test run)");
  assert.equal(lines[1], "cd fixtures/example");
  const example = exampleProject(join(work, "example"));
  const commands = lines.slice(2);
  assert.ok(commands.length >= 2, commands.join("\n"));
  for (const line of commands) {
    const [cmd, ...args] = line.split(/\s+/);
    run(cmd!, args, example, { SOURCE_DATE_EPOCH: "1704067200" });
  }
  for (const f of ["hello-packyard_1.0.0-1_all.deb", "SHA256SUMS", "packyard-build.json"])
    assert.ok(existsSync(join(example, "dist", f)), f);
  // The quick start ends by publishing the .deb into a signed APT suite, the .rpm into a signed RPM-MD
  // repository for EL 9, the Arch package into a signed pacman repository named after the project and the
  // .apk into a signed Alpine index for 3.22, its key under the name the build gives the project's apks.
  for (const f of [
    "deb/dists/stable/InRelease",
    "keys/repository.asc",
    "deb/pool/main/h/hello-packyard/hello-packyard_1.0.0-1_all.deb",
    "rpm/el/9/x86_64/repodata/repomd.xml",
    "rpm/el/9/x86_64/repodata/repomd.xml.asc",
    "rpm/pool/h/hello-packyard/hello-packyard-1.0.0-1.noarch.rpm",
    "keys/RPM-GPG-KEY-hello-packyard",
    "archlinux/hello-packyard/os/x86_64/hello-packyard.db",
    "archlinux/hello-packyard/os/x86_64/hello-packyard.db.sig",
    "archlinux/hello-packyard/os/x86_64/hello-packyard-1.0.0-1-any.pkg.tar.zst.sig",
    "alpine/v3.22/main/x86_64/APKINDEX.tar.gz",
    "alpine/v3.22/main/x86_64/hello-packyard-1.0.0-r1.apk",
    // The macOS package and release archives as downloads, and the install page with its data.
    "downloads/hello-packyard/1.0.0/SHA256SUMS",
    "downloads/hello-packyard/1.0.0/SHA256SUMS.asc",
    "index.html",
    "install.sh",
    "install.json",
    "badge.svg",
  ])
    assert.ok(existsSync(join(example, "public", f)), f);
  const apkKeys = readdirSync(join(example, "public", "keys")).filter((f) =>
    /^example@packyard\.invalid-[0-9a-f]{8}\.rsa\.pub$/.test(f),
  );
  assert.equal(apkKeys.length, 1, readdirSync(join(example, "public", "keys")).join(", "));
});

test("the build API example runs verbatim on the example project", () => {
  const example = exampleProject(join(work, "api"));
  // The example is TypeScript with erasable syntax only: run it as a .ts module.
  writeFileSync(join(example, "example.ts"), block("### Build API", "ts"));
  const r = run(process.execPath, ["example.ts"], example, { SOURCE_DATE_EPOCH: "1704067200" });
  const lines = r.stdout.trim().split("\n");
  assert.ok(
    lines.some((l) => /^package hello-packyard_1\.0\.0-1_all\.deb [0-9a-f]{64} 1\.0\.0-1$/.test(l)),
    r.stdout,
  );
  assert.ok(
    lines.some((l) => l.startsWith("checksums SHA256SUMS ")),
    r.stdout,
  );
  assert.ok(existsSync(join(example, "dist", "packyard-build.json")));
});

test("the write-and-read example runs verbatim with a key from packyard keygen", async () => {
  const dir = join(work, "write");
  mkdirSync(join(dir, "build"), { recursive: true });
  writeFileSync(join(dir, "build/hello"), "#!/bin/sh\necho hello\n");
  run(
    process.execPath,
    [
      join(REPO, "packages/cli/bin/packyard.js"),
      "keygen",
      "--type",
      "openpgp",
      "--name",
      "key",
      "--email",
      "key@example.org",
      "--algorithm",
      "ecc",
    ],
    dir,
  );
  assert.ok(existsSync(join(dir, "key.secret.asc")), "keygen wrote key.secret.asc");
  writeFileSync(join(dir, "example.ts"), block("### Writing and reading one package", "ts"));
  run(process.execPath, ["example.ts"], dir, { SOURCE_DATE_EPOCH: "1704067200" });
  const info = await readPackage(
    bytesSource(new Uint8Array(readFileSync(join(dir, "hello.deb")))),
    "hello.deb",
  );
  assert.equal(info.name, "hello");
  assert.equal(info.versionString, "1.2.3~rc.1-1");
  assert.ok(info.signatures.some((s) => s.location === "_gpgorigin"));
});
