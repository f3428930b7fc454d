/**
 * Real tools judge the downloads a publish writes to a folder: `sha256sum -c SHA256SUMS` in the version
 * folder, `gpg --verify SHA256SUMS.asc SHA256SUMS` with only the repository's public key imported into a
 * scratch GNUPGHOME, and the Homebrew cask under `ruby`: `ruby -c` accepts its syntax, and evaluated under
 * a stub of the cask DSL (each stanza records its arguments) hostile values — `#{system(...)}`, quotes,
 * backslashes, `$(...)`, backticks, `<`, `&` — come back byte-identical while nothing they spell runs.
 * A control file written with a double-quoted interpolation proves the stub would see an execution.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { bytesSource, loadOpenPGPSigner, type OpenPGPSigner } from "@packyard/formats";
import { readMacos, writeMacosBytes } from "@packyard/formats/macos";
import { readTarball, tarballFormat } from "@packyard/formats/tarball";
import { gpgHome, KEYS_DIR, scratch, validSig } from "@packyard/testkit/keyrings";
import { needTool, run, tryRun } from "@packyard/testkit/tools";
import { homebrewCask } from "../../src/install/cask.ts";
import { applyDownloadWrites, planDownloads } from "../../src/publish/downloads.ts";
import type { PublishInput } from "../../src/publish/options.ts";
import { folderStorage } from "../../src/storage/fs.ts";
import { collectBytes } from "../../src/storage/read.ts";
import { downloadSpec } from "../publish/downloads-support.ts";

/** A .pkg from the formats writer (its identifier is what the cask must uninstall) and a tar.gz. */
async function inputs(name: string, version: string): Promise<PublishInput[]> {
  const pkg = await writeMacosBytes(downloadSpec(name, version), { identifier: `com.example.${name}` });
  const tgz = await collectBytes(tarballFormat.write(downloadSpec(name, version), { format: "tar.gz" }));
  return [
    {
      info: await readMacos(bytesSource(pkg)),
      source: bytesSource(pkg),
      name: `dist/${name}-${version}.pkg`,
    },
    {
      info: await readTarball(bytesSource(tgz)),
      source: bytesSource(tgz),
      name: `dist/${name}_${version}_darwin_all.tar.gz`,
    },
  ];
}

async function rsaSigner(): Promise<OpenPGPSigner> {
  return loadOpenPGPSigner(readFileSync(`${KEYS_DIR}gpg-plain.secret.asc`, "utf8"));
}

/** A stub of the cask DSL: `cask` evaluates its block on a recorder; the recorded stanzas are printed as JSON. */
const STUB = `
require "json"
class CaskRecorder
  attr_reader :stanzas
  def initialize(token)
    @stanzas = { "token" => token }
  end
  %w[version sha256 url name desc homepage pkg].each do |stanza|
    define_method(stanza) { |value| @stanzas[stanza] = value }
  end
  def uninstall(pkgutil:)
    @stanzas["uninstall"] = pkgutil
  end
end
$recorded = nil
def cask(token, &block)
  recorder = CaskRecorder.new(token)
  recorder.instance_eval(&block)
  $recorded = recorder.stanzas
end
load ARGV.fetch(0)
STDOUT.write(JSON.generate($recorded))
`;

test("sha256sum -c and gpg --verify accept a version folder's SHA256SUMS and SHA256SUMS.asc", async (t) => {
  if (!needTool(t, "sha256sum", "gpg")) return;
  const s = scratch("packyard-downloads-");
  t.after(() => s.dispose());
  const storage = folderStorage(join(s.dir, "repo"));
  const signer = await rsaSigner();
  const opts = {
    signers: [signer],
    baseUrl: "https://example.org/repo",
    clock: () => new Date("2025-01-01T00:00:00Z"),
  };
  const [pkg, tgz] = await inputs("hello", "1.2.0");
  // two publishes: the archive joins the version later, so SHA256SUMS and its signature are rewritten
  for (const batch of [[pkg!], [tgz!]])
    await applyDownloadWrites(storage, (await planDownloads(storage, batch, opts)).writes);
  const folder = join(s.dir, "repo", "downloads", "hello", "1.2.0");
  const checked = run("sha256sum", ["-c", "--strict", "SHA256SUMS"], { cwd: folder });
  assert.equal(checked, "hello-1.2.0.pkg: OK\nhello_1.2.0_darwin_all.tar.gz: OK\n");
  const gpg = gpgHome(s, [signer.publicKeyArmored()]);
  const r = gpg(["--status-fd", "1", "--verify", join(folder, "SHA256SUMS.asc"), join(folder, "SHA256SUMS")]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(validSig(r.stdout)?.primary, signer.primaryFingerprint);
  // the judges can fail: a changed file and a changed SHA256SUMS are refused
  const tampered = scratch("packyard-downloads-tampered-");
  t.after(() => tampered.dispose());
  const bytes = readFileSync(join(folder, "hello-1.2.0.pkg"));
  bytes[bytes.length - 1]! ^= 1;
  tampered.file("hello-1.2.0.pkg", bytes);
  tampered.file("hello_1.2.0_darwin_all.tar.gz", readFileSync(join(folder, "hello_1.2.0_darwin_all.tar.gz")));
  const sums = tampered.file("SHA256SUMS", readFileSync(join(folder, "SHA256SUMS")));
  assert.notEqual(tryRun("sha256sum", ["-c", "--strict", "SHA256SUMS"], { cwd: tampered.dir }).status, 0);
  writeFileSync(sums, `${readFileSync(sums, "utf8")}\n`);
  assert.notEqual(gpg(["--verify", join(folder, "SHA256SUMS.asc"), sums]).status, 0);
});

test("ruby: the cask parses, and hostile values come back byte-identical with nothing executed", async (t) => {
  if (!needTool(t, "ruby")) return;
  const s = scratch("packyard-cask-");
  t.after(() => s.dispose());
  const marker = (n: string) => join(s.dir, `executed-${n}`);
  const hostile = (n: string) =>
    `a'b"c\\d\\'e #{system("touch ${marker(n)}")} $(touch ${marker(`${n}-sh`)}) \`touch ${marker(`${n}-bt`)}\` <x>&amp; é ✓ \\`;
  const stub = s.file("stub.rb", STUB);
  const evaluate = (file: string) => JSON.parse(run("ruby", [stub, file])) as Record<string, unknown>;
  const input = {
    token: "hello",
    name: hostile("name"),
    version: "1.0.0",
    sha256: "0".repeat(64),
    url: `https://example.org/${hostile("url")}`,
    homepage: hostile("homepage"),
    description: hostile("desc"),
    pkgFile: "hello-1.0.0.pkg",
    pkgIdentifiers: ["com.example.hello", hostile("id")],
  };
  const file = s.file("hello.rb", homebrewCask(input));
  assert.equal(run("ruby", ["-c", file]), "Syntax OK\n");
  assert.deepEqual(evaluate(file), {
    token: "hello",
    version: "1.0.0",
    sha256: input.sha256,
    url: input.url,
    name: input.name,
    desc: input.description,
    homepage: input.homepage,
    pkg: input.pkgFile,
    uninstall: input.pkgIdentifiers,
  });
  for (const n of ["name", "url", "homepage", "desc", "id"])
    for (const suffix of ["", "-sh", "-bt"])
      assert.equal(existsSync(marker(`${n}${suffix}`)), false, `${n}${suffix} ran`);
  // control: the same stub does see an interpolation that runs
  const control = s.file(
    "control.rb",
    `cask "hello" do\n  name "#{system("touch ${marker("control")}")}"\nend\n`,
  );
  evaluate(control);
  assert.equal(existsSync(marker("control")), true);
});

test("ruby: the cask a publish writes for a real .pkg names its version, digest, URL and pkgutil identifier", async (t) => {
  if (!needTool(t, "ruby", "sha256sum")) return;
  const s = scratch("packyard-cask-publish-");
  t.after(() => s.dispose());
  const storage = folderStorage(join(s.dir, "repo"));
  const [pkg] = await inputs("hello", "2.0.0");
  const description = `Says "hi" & <waves> for $(whoami) \`id\` #{1+1} it's \\`;
  const plan = await planDownloads(storage, [pkg!], {
    signers: [await rsaSigner()],
    baseUrl: "https://example.org/repo/",
    description,
    clock: () => new Date("2025-01-01T00:00:00Z"),
  });
  await applyDownloadWrites(storage, plan.writes);
  const caskFile = join(s.dir, "repo", "downloads", "hello", "hello.rb");
  assert.equal(run("ruby", ["-c", caskFile]), "Syntax OK\n");
  const stanzas = JSON.parse(run("ruby", [s.file("stub.rb", STUB), caskFile])) as Record<string, unknown>;
  const sha = run("sha256sum", [join(s.dir, "repo", "downloads", "hello", "2.0.0", "hello-2.0.0.pkg")]).split(
    " ",
  )[0];
  assert.deepEqual(stanzas, {
    token: "hello",
    version: "2.0.0",
    sha256: sha,
    url: "https://example.org/repo/downloads/hello/2.0.0/hello-2.0.0.pkg",
    name: pkg!.info.summary ?? "hello",
    desc: description,
    homepage: "https://example.org/repo/",
    pkg: "hello-2.0.0.pkg",
    uninstall: "com.example.hello",
  });
});
