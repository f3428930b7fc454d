/**
 * `packyard build -f packyard.signed.yml` on a scratch copy of the example project, with keys made by
 * `packyard keygen`: each signature judged by a real verifier (gpgv for deb `_gpgorigin`, the Arch `.sig`
 * and SHA256SUMS.asc; pacman installing the Arch package under SigLevel = Required; rpmkeys -Kv against a
 * scratch rpmdb; openssl for the apk RSA signature).
 */
import assert from "node:assert/strict";
import { copyFileSync, readFileSync, rmSync } from "node:fs";
import { basename, join } from "node:path";
import { before, test } from "node:test";
import { makeKeyring, makeRoot } from "@packyard/testkit/pacman-root";
import { gpgvVerify } from "@packyard/testkit/keyrings";
import { verifyApkSignature, verifyDebOrigin } from "@packyard/testkit/signatures";
import { needTool, run } from "@packyard/testkit/tools";
import {
  buildJson,
  type ExampleKeys,
  exampleCopy,
  LINUX_PACKAGERS,
  keygenInto,
  rpmCheckSig,
  SIGNER,
  signerKeyring,
  tmp,
} from "./support.ts";
import { type CliResult, REPO, spawnCli } from "../run-cli.ts";
import type { BuiltArtifact as Artifact } from "../../src/build.ts";

let cwd = "";
let keys: ExampleKeys;
let build: CliResult;
let manifest: Artifact[] = [];

before(() => {
  cwd = exampleCopy();
  keys = keygenInto(cwd);
  // buildJson dates the build before the keys just made: the OpenPGP signer raises the date to the key's
  // creation time (verifiers refuse signatures older than their key), so this also covers that path.
  ({ result: build, manifest } = buildJson(cwd, ["-f", "packyard.signed.yml", "-p", LINUX_PACKAGERS]));
});

function artifact(name: string): string {
  const a = manifest.find((m) => basename(m.path) === name);
  assert.ok(a, `${name} in the manifest: ${manifest.map((m) => basename(m.path)).join(", ")}`);
  return a.path;
}

test("packyard.signed.yml is packyard.yml plus signing blocks", () => {
  const plain = readFileSync(join(REPO, "fixtures/example/packyard.yml"), "utf8");
  const signed = readFileSync(join(REPO, "fixtures/example/packyard.signed.yml"), "utf8");
  const body = (s: string) => s.slice(s.indexOf("\nname:"));
  const [common, signing] = body(signed).split("\n# --- signing ---\n");
  assert.equal(`${common}`, body(plain));
  assert.match(signing ?? "", /^checksum:$/m);
});

test("the signed build lists packages, the Arch .sig, SHA256SUMS and its .asc; no warnings", () => {
  assert.equal(build.status, 0, build.stderr);
  assert.deepEqual(
    manifest.map((m) => [m.format, basename(m.path)]),
    [
      ["deb", "hello-packyard_1.0.0-1_all.deb"],
      ["rpm", "hello-packyard-1.0.0-1.noarch.rpm"],
      ["archlinux", "hello-packyard-1.0.0-1-any.pkg.tar.zst"],
      ["archlinux", "hello-packyard-1.0.0-1-any.pkg.tar.zst.sig"],
      ["apk", "hello-packyard-1.0.0-r1.apk"],
      ["tar.gz", "hello-packyard_1.0.0_linux_all.tar.gz"],
      ["zip", "hello-packyard_1.0.0_linux_all.zip"],
      ["checksums", "SHA256SUMS"],
      ["checksums", "SHA256SUMS.asc"],
    ],
  );
  // SOURCE_DATE_EPOCH predates the keys: the signatures take the key's creation time, silently.
  assert.doesNotMatch(build.stderr, /warning/);
});

test("deb: gpgv verifies _gpgorigin over the three members", (t) => {
  if (!needTool(t, "gpg", "gpgv", "ar")) return;
  verifyDebOrigin(
    signerKeyring(keys),
    artifact("hello-packyard_1.0.0-1_all.deb"),
    tmp("packyard-deb-"),
    SIGNER,
  );
});

test("rpm: rpmkeys -Kv checks the header signature with the key imported into a scratch rpmdb", (t) => {
  if (!needTool(t, "rpm", "rpmkeys")) return;
  const rpm = artifact("hello-packyard-1.0.0-1.noarch.rpm");
  const report = rpmCheckSig(rpm, keys.openpgpPublic);
  assert.match(report, /Header V4 EdDSA\/SHA256 Signature, key ID [0-9a-f]{8}: OK/);
  assert.doesNotMatch(report, /NOKEY|BAD|NOTTRUSTED/);
  assert.match(run("rpm", ["-qip", rpm]), /^Signature +: EdDSA\/SHA256, .*Key ID [0-9a-f]{16}$/m);
});

test("archlinux: gpgv verifies the detached .sig over the package", (t) => {
  if (!needTool(t, "gpg", "gpgv")) return;
  const pkg = artifact("hello-packyard-1.0.0-1-any.pkg.tar.zst");
  gpgvVerify(signerKeyring(keys), `${pkg}.sig`, pkg, SIGNER);
});

test("archlinux: inspect --json shows the .sig beside the package as raw.signature in base64, and verifies it", () => {
  const pkg = artifact("hello-packyard-1.0.0-1-any.pkg.tar.zst");
  const r = spawnCli(["inspect", pkg, "--json", "--key", keys.openpgpPublic], cwd);
  assert.equal(r.status, 0, r.stderr);
  const info = JSON.parse(r.stdout) as {
    raw: { signature?: { base64: string } };
    signatures: { verified?: boolean }[];
  };
  assert.equal(info.raw.signature?.base64, readFileSync(`${pkg}.sig`).toString("base64"));
  assert.ok(info.signatures.some((s) => s.verified === true));
});

test("archlinux: pacman installs the CLI-signed package under SigLevel = Required and refuses it without its .sig", (t) => {
  if (!needTool(t, "gpg", "pacman", "pacman-key", "busybox")) return;
  const pkg = artifact("hello-packyard-1.0.0-1-any.pkg.tar.zst");
  // The keyring trusts the key `packyard keygen` made (fingerprint as gpg reads it from the public key).
  const fpr = /^fpr:+([0-9A-F]{40}):/m.exec(
    run("gpg", [
      "--homedir",
      tmp("packyard-gpg-"),
      "--batch",
      "--with-colons",
      "--show-keys",
      keys.openpgpPublic,
    ]),
  )?.[1];
  assert.ok(fpr, "gpg reads the fingerprint of the generated key");
  const gpgdir = makeKeyring(tmp("packyard-pacman-keyring-"), readFileSync(keys.openpgpPublic, "utf8"), fpr);
  const r = makeRoot(gpgdir, "any");
  try {
    // An unsigned copy is refused: the scratch root really requires signatures.
    const bare = join(tmp("packyard-unsigned-"), basename(pkg));
    copyFileSync(pkg, bare);
    const refused = r.pacman(["-Udd", bare]);
    assert.notEqual(refused.status, 0, refused.stdout);
    assert.match(refused.stderr, /missing required signature/);

    // The CLI's package with its FILE.sig beside it installs (-dd: the scratch root has no sh package).
    const install = r.pacman(["-Udd", pkg]);
    assert.equal(install.status, 0, install.stderr + install.stdout);
    const qi = r.pacman(["-Qi", "hello-packyard"]).stdout;
    assert.match(qi, /^Validated By\s*: Signature$/m);
    assert.match(qi, /^Version\s*: 1\.0\.0-1$/m);
    assert.equal(
      readFileSync(join(r.root, "usr/bin/hello"), "utf8"),
      readFileSync(join(cwd, "bin/hello"), "utf8"),
    );
    const qkk = r.pacman(["-Qkk", "hello-packyard"]);
    assert.equal(qkk.status, 0, qkk.stderr + qkk.stdout);
  } finally {
    rmSync(r.root, { recursive: true, force: true });
  }
});

test("apk: openssl verifies the RSA signature over the control segment; packyard's reader agrees", (t) => {
  if (!needTool(t, "python3", "tar", "openssl")) return;
  const apk = artifact("hello-packyard-1.0.0-r1.apk");
  const { keyName } = verifyApkSignature(apk, keys.rsaPublic, tmp("packyard-apk-"));
  assert.match(keyName, /^example@packyard\.invalid-[0-9a-f]{8}\.rsa\.pub$/);
  const r = spawnCli(["inspect", apk, "--json", "--key", keys.rsaPublic], cwd);
  assert.equal(r.status, 0, r.stderr);
  const info = JSON.parse(r.stdout) as { signatures: { kind: string; verified?: boolean }[] };
  assert.deepEqual(
    info.signatures.map((s) => [s.kind, s.verified]),
    [["rsa", true]],
  );
});

test("checksums: gpgv verifies SHA256SUMS.asc, sha256sum -c checks every artifact and the .sig", (t) => {
  if (!needTool(t, "gpg", "gpgv", "sha256sum")) return;
  const sums = artifact("SHA256SUMS");
  gpgvVerify(signerKeyring(keys), artifact("SHA256SUMS.asc"), sums, SIGNER);
  assert.match(readFileSync(`${sums}.asc`, "utf8"), /^-----BEGIN PGP SIGNATURE-----\n/);
  const out = run("sha256sum", ["-c", "SHA256SUMS"], { cwd: join(cwd, "dist") });
  assert.equal(out.trim().split("\n").length, 7, out);
  assert.match(out, /^hello-packyard-1\.0\.0-1-any\.pkg\.tar\.zst\.sig: OK$/m);
});

test("dated signatures are reproducible: the same signed build twice gives the same packages, .sig, SHA256SUMS and .asc", () => {
  const again = (target: string) => {
    const { result, manifest } = buildJson(cwd, [
      "-f",
      "packyard.signed.yml",
      "-p",
      "deb,rpm,archlinux,apk,zip",
      "-t",
      target,
    ]);
    assert.equal(result.status, 0, result.stderr);
    return manifest.map((m) => [basename(m.path), m.sha256]);
  };
  const a = again("one");
  assert.equal(a.length, 8);
  assert.deepEqual(again("two"), a);
});
