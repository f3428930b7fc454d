/**
 * The checksums file `build` writes over its artifacts, driven by the `checksum:` block (with the fake
 * format, so these run without any real format or tool).
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { needTool, run } from "../../formats/test/support/tools.ts";
import { keygen } from "../src/formats.ts";
import { fakeFormat } from "./fake-format.ts";
import { isOneParagraph, REPO, runMain } from "./run-cli.ts";

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A copy of the example project with `extra` appended to its packyard.yml (or `extra` applied to it). */
function project(extra: string | ((config: string) => string)): string {
  const d = mkdtempSync(join(tmpdir(), "packyard-sums-"));
  dirs.push(d);
  cpSync(join(REPO, "fixtures/example"), d, { recursive: true });
  const config = join(d, "packyard.yml");
  const text = readFileSync(config, "utf8");
  writeFileSync(config, typeof extra === "string" ? `${text}\n${extra}` : extra(text));
  return d;
}

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

/** A project whose checksums file is signed by an EdDSA key created at `created` (seconds). */
async function signedProject(created: number): Promise<{ cwd: string; publicKey: string }> {
  const cwd = project("checksum:\n  signature:\n    key_file: sums.secret.asc\n");
  const key = await keygen({
    type: "openpgp",
    name: "sums",
    email: "sums@example.org",
    algorithm: "ecc",
    date: new Date(created * 1000),
  });
  for (const f of key.files) writeFileSync(join(cwd, f.name), f.contents, { mode: f.mode });
  return { cwd, publicKey: join(cwd, "sums.asc") };
}

/** `gpg --list-packets` in a scratch GNUPGHOME (never the user's ~/.gnupg). */
function listPackets(file: string): string {
  const home = mkdtempSync(join(tmpdir(), "packyard-sums-gpg-"));
  dirs.push(home);
  return run("gpg", ["--homedir", home, "--batch", "--list-packets", file]);
}

function gpgv(publicKey: string, dir: string): void {
  const home = mkdtempSync(join(tmpdir(), "packyard-sums-gpg-"));
  dirs.push(home);
  run("gpg", ["--homedir", home, "--batch", "--quiet", "--import", publicKey]);
  run("sh", ["-c", `gpg --homedir '${home}' --batch --export > '${home}/ring.gpg'`]);
  run("gpgv", ["--keyring", join(home, "ring.gpg"), join(dir, "SHA256SUMS.asc"), join(dir, "SHA256SUMS")]);
}

test("checksum.signature: dated SOURCE_DATE_EPOCH when the key is older, so two builds sign alike", async (t) => {
  if (!needTool(t, "gpg", "gpgv")) return;
  const { cwd, publicKey } = await signedProject(1_600_000_000);
  const asc: string[] = [];
  for (const target of ["one", "two"]) {
    const r = await runMain(["build", "-p", "deb", "-t", target], cwd, [fakeFormat], ENV);
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /warning/);
    gpgv(publicKey, join(cwd, target));
    asc.push(readFileSync(join(cwd, target, "SHA256SUMS.asc"), "utf8"));
  }
  assert.equal(asc[0], asc[1]);
  const packets = listPackets(join(cwd, "one", "SHA256SUMS.asc"));
  assert.match(packets, /created 1700000000\b/, "the signature carries SOURCE_DATE_EPOCH");
});

test("checksum.signature: a key newer than SOURCE_DATE_EPOCH dates the signature at its creation, so builds still sign alike", async (t) => {
  if (!needTool(t, "gpg", "gpgv")) return;
  const created = 1_700_000_100;
  const { cwd, publicKey } = await signedProject(created);
  const asc: string[] = [];
  for (const target of ["one", "two"]) {
    const r = await runMain(["build", "-p", "deb", "-t", target], cwd, [fakeFormat], ENV);
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /warning/);
    gpgv(publicKey, join(cwd, target));
    asc.push(readFileSync(join(cwd, target, "SHA256SUMS.asc"), "utf8"));
  }
  assert.equal(asc[0], asc[1]);
  const packets = listPackets(join(cwd, "one", "SHA256SUMS.asc"));
  assert.match(packets, new RegExp(`created ${created}\\b`), "the signature carries the key's creation time");
});
