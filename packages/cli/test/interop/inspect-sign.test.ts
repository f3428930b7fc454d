/**
 * `packyard inspect` on every format's artifact (ours, and one made by the real tool where a fixture exists),
 * and `packyard sign` on unsigned packages, the result judged by gpgv, rpmkeys and openssl.
 */
import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { before, test } from "node:test";
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
import { FORMATS } from "../../src/formats.ts";
import { isOneParagraph, REPO, runMain } from "../run-cli.ts";
import type { BuiltArtifact as Artifact } from "../../src/build.ts";

interface Info {
  format: string;
  name: string;
  versionString: string;
  files: { path: string; type: string; mode: number; target?: string }[];
  signatures: { kind: string; location: string; verified?: boolean }[];
  artifact: { size: number; digests: { sha256: string } };
}

let cwd = "";
let keys: ExampleKeys;
let manifest: Artifact[] = [];

before(() => {
  cwd = exampleCopy();
  keys = keygenInto(cwd);
  const build = buildJson(cwd, ["-p", LINUX_PACKAGERS]);
  assert.equal(build.result.status, 0, build.result.stderr);
  manifest = build.manifest;
});

/** `packyard ARGS` in-process (main() with the registry), which saves a Node start per call. */
function cli(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return runMain(args, cwd, FORMATS);
}

async function inspectJson(path: string, ...extra: string[]): Promise<Info> {
  const r = await cli(["inspect", path, "--json", ...extra]);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Info;
}

/** Our format id for each packager. */
const FORMAT_OF: Record<string, string> = {
  deb: "deb",
  rpm: "rpm",
  archlinux: "archlinux",
  apk: "apk",
  "tar.gz": "tarball",
  zip: "tarball",
};

test("inspect and inspect --json read every artifact of the build", async () => {
  const packages = manifest.filter((m) => m.format !== "checksums");
  assert.equal(packages.length, 6);
  for (const m of packages) {
    const text = await cli(["inspect", m.path]);
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`^Format: +${FORMAT_OF[m.format]}$`, "m"), m.path);
    assert.match(text.stdout, new RegExp(`^SHA-256: +${m.sha256}$`, "m"), m.path);
    assert.match(text.stdout, /^ {2}-rwxr-xr-x root\/root +390 \/?usr\/bin\/hello$/m, m.path);
    assert.match(
      text.stdout,
      /^ {2}lrwxrwxrwx root\/root +\d+ \/?usr\/bin\/hello-packyard -> hello$/m,
      m.path,
    );

    const info = await inspectJson(m.path);
    assert.equal(info.format, FORMAT_OF[m.format]);
    assert.equal(info.artifact.digests.sha256, m.sha256);
    const hello = info.files.find((f) => f.path.replace(/^\//, "") === "usr/bin/hello");
    assert.ok(hello, `${m.path}: usr/bin/hello listed`);
    assert.equal(hello.mode & 0o7777, 0o755);
    assert.deepEqual(info.signatures, [], `${m.path} is unsigned`);
    if (FORMAT_OF[m.format] !== "tarball") {
      assert.equal(info.name, "hello-packyard");
    }
  }
});

test("inspect reads packages made by the real tools (fixtures) and archives made by bsdtar and Info-ZIP", async (t) => {
  const fixtures: [string, string, string][] = [
    ["fixtures/deb/foo-gzip.deb", "deb", "foo"],
    ["fixtures/rpm/rpmbuild-gzip.rpm", "rpm", "fixture"],
    ["fixtures/archlinux/hello-makepkg.pkg.tar.zst", "archlinux", "hello-makepkg"],
    ["fixtures/apk/gnu-hello-1.0_rc2-r3.apk", "apk", "gnu-hello"],
  ];
  let read = 0;
  for (const [rel, format, name] of fixtures) {
    const path = join(REPO, rel);
    if (!existsSync(path)) continue; // a fixture still being made by its format's owner
    const info = await inspectJson(path);
    assert.equal(info.format, format, rel);
    assert.equal(info.name, name, rel);
    assert.ok(info.files.length > 0, rel);
    read++;
  }
  assert.ok(read >= 2, "the committed rpm and Arch fixtures at least");
  if (!needTool(t, "bsdtar", "zip")) return;
  const dir = tmp();
  mkdirSync(join(dir, "root/bin"), { recursive: true });
  writeFileSync(join(dir, "root/bin/tool"), "#!/bin/sh\necho hi\n", { mode: 0o755 });
  run("bsdtar", ["-czf", join(dir, "tool_1.0_linux_amd64.tar.gz"), "-C", join(dir, "root"), "bin"]);
  run("sh", ["-c", `cd '${join(dir, "root")}' && zip -qry '${join(dir, "tool_1.0_linux_amd64.zip")}' bin`]);
  for (const f of ["tool_1.0_linux_amd64.tar.gz", "tool_1.0_linux_amd64.zip"]) {
    const info = await inspectJson(join(dir, f));
    assert.equal(info.format, "tarball", f);
    const tool = info.files.find((e) => e.path.replace(/^\//, "") === "bin/tool");
    assert.ok(tool, `${f}: bin/tool listed (${info.files.map((e) => e.path).join(", ")})`);
    assert.equal(tool.mode & 0o777, 0o755, f);
  }
});

/** A copy of the build's artifact for `packager` in a fresh folder (so signing never touches the others). */
function copyOf(packager: string): string {
  const a = manifest.find((m) => m.format === packager);
  assert.ok(a, packager);
  const path = join(tmp("packyard-sign-"), basename(a.path));
  copyFileSync(a.path, path);
  return path;
}

function sign(path: string, key: string, ...extra: string[]): Promise<{ status: number; stderr: string }> {
  return cli(["sign", path, "--key", key, ...extra]);
}

test("sign deb: an in-place _gpgorigin that gpgv verifies and inspect reports verified", async (t) => {
  if (!needTool(t, "gpg", "gpgv", "ar")) return;
  const deb = copyOf("deb");
  const r = await sign(deb, keys.openpgpSecret);
  assert.equal(r.status, 0, r.stderr);
  verifyDebOrigin(signerKeyring(keys), deb, tmp("packyard-deb-"), SIGNER);
  const info = await inspectJson(deb, "--key", keys.openpgpPublic);
  assert.deepEqual(
    info.signatures.map((s) => [s.kind, s.location, s.verified]),
    [["openpgp", "_gpgorigin", true]],
  );
});

test("sign rpm: ours and rpmbuild's, checked by rpmkeys -Kv", async (t) => {
  if (!needTool(t, "rpm", "rpmkeys")) return;
  const ours = copyOf("rpm");
  const theirs = join(tmp("packyard-sign-"), "rpmbuild-gzip.rpm");
  copyFileSync(join(REPO, "fixtures/rpm/rpmbuild-gzip.rpm"), theirs);
  for (const rpm of [ours, theirs]) {
    const r = await sign(rpm, keys.openpgpSecret);
    assert.equal(r.status, 0, r.stderr);
    const report = rpmCheckSig(rpm, keys.openpgpPublic);
    assert.match(report, /Header V4 EdDSA\/SHA256 Signature, key ID [0-9a-f]{8}: OK/, rpm);
    assert.doesNotMatch(report, /NOKEY|BAD/, rpm);
  }
});

test("sign archlinux: writes FILE.sig beside ours and makepkg's, checked by gpgv", async (t) => {
  if (!needTool(t, "gpg", "gpgv")) return;
  const ring = signerKeyring(keys);
  const theirs = join(tmp("packyard-sign-"), "hello-makepkg.pkg.tar.zst");
  copyFileSync(join(REPO, "fixtures/archlinux/hello-makepkg.pkg.tar.zst"), theirs);
  for (const pkg of [copyOf("archlinux"), theirs]) {
    const r = await sign(pkg, keys.openpgpSecret);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /wrote .*\.pkg\.tar\.zst\.sig/);
    gpgvVerify(ring, `${pkg}.sig`, pkg, SIGNER);
    // inspect picks the .sig up from beside the package.
    const info = await inspectJson(pkg, "--key", keys.openpgpPublic);
    assert.deepEqual(
      info.signatures.map((s) => s.verified),
      [true],
    );
  }
});

test("sign apk: --key-name names the .SIGN member; openssl verifies it", async (t) => {
  if (!needTool(t, "python3", "tar", "openssl")) return;
  const apk = copyOf("apk");
  const r = await sign(apk, keys.rsaPrivate, "--key-name", "release@example.org-1.rsa.pub");
  assert.equal(r.status, 0, r.stderr);
  assert.equal(
    verifyApkSignature(apk, keys.rsaPublic, tmp("packyard-apk-")).keyName,
    "release@example.org-1.rsa.pub",
  );
  const info = await inspectJson(apk, "--key", keys.rsaPublic);
  assert.deepEqual(
    info.signatures.map((s) => [s.kind, s.verified]),
    [["rsa", true]],
  );
});

test("sign with SOURCE_DATE_EPOCH is reproducible: two copies signed alike for rpm, deb, archlinux and apk", async (t) => {
  if (!needTool(t, "gpg")) return;
  // 1700000000 precedes the key made in before(): OpenPGP signatures take the key's creation time instead.
  const env = { SOURCE_DATE_EPOCH: "1700000000" };
  for (const packager of ["rpm", "deb", "archlinux", "apk"]) {
    const key = packager === "apk" ? keys.rsaPrivate : keys.openpgpSecret;
    const signed: Buffer[] = [];
    for (const _ of [1, 2]) {
      const path = copyOf(packager);
      const r = await runMain(["sign", path, "--key", key], cwd, FORMATS, env);
      assert.equal(r.status, 0, r.stderr);
      signed.push(readFileSync(packager === "archlinux" ? `${path}.sig` : path));
    }
    assert.ok(signed[0]!.equals(signed[1]!), `${packager}: the two signed copies differ`);
    if (packager === "archlinux") {
      const home = tmp("packyard-gnupg-");
      const packets = run("gpg", ["--homedir", home, "--batch", "--list-packets"], { input: signed[0]! });
      const created = /^\s+version 4, created (\d+), md5len/m.exec(packets)?.[1];
      assert.ok(Number(created) > 1_700_000_000, `dated the key's creation, not before it: ${packets}`);
    }
  }
});

test("sign refusals are one paragraph with exit 1: an archive, a key of the wrong kind, a locked key", async () => {
  const cases: [string, string, RegExp][] = [
    [
      copyOf("tar.gz"),
      keys.openpgpSecret,
      /tarball packages cannot be signed by packyard.*UNSUPPORTED_FEATURE/,
    ],
    [copyOf("deb"), keys.rsaPrivate, /KEY_UNSUPPORTED/],
    [copyOf("apk"), keys.openpgpSecret, /KEY_UNSUPPORTED/],
    [copyOf("rpm"), join(REPO, "fixtures/keys/gpg-locked.secret.asc"), /KEY_LOCKED/],
  ];
  for (const [file, key, message] of cases) {
    const r = await sign(file, key);
    assert.equal(r.status, 1, `${file}: ${r.stderr}`);
    assert.ok(isOneParagraph(r.stderr), r.stderr);
    assert.match(r.stderr, message);
  }
});

test("macos: sign with a PEM key + --certificate, build with a .p12 unlocked from PACKYARD_MACOS_PASSPHRASE", async (t) => {
  if (!needTool(t, "openssl")) return;
  const dir = tmp("packyard-macos-");
  const key = join(dir, "installer.key.pem");
  const cert = join(dir, "installer.cert.pem");
  run("openssl", [
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "2",
    "-subj",
    "/CN=Developer ID Installer: Packyard Test",
    "-keyout",
    key,
    "-out",
    cert,
  ]);
  run("openssl", [
    "pkcs12",
    "-export",
    "-inkey",
    key,
    "-in",
    cert,
    "-passout",
    "pass:hunter2",
    "-out",
    join(cwd, "installer.p12"),
  ]);
  const xarSignatures = async (pkg: string) =>
    (await inspectJson(pkg, "--key", cert)).signatures.map((s) => [s.kind, s.location]);

  const built = await cli(["build", "-p", "macos", "-t", join(dir, "unsigned"), "--json"]);
  assert.equal(built.status, 0, built.stderr);
  const pkg = (JSON.parse(built.stdout) as Artifact[])[0]!.path;
  assert.deepEqual((await inspectJson(pkg)).signatures, []);
  // With --key, an unsigned package fails verification, as gpgv does.
  const unsigned = await cli(["inspect", pkg, "--key", cert]);
  assert.equal(unsigned.status, 1, unsigned.stderr);
  assert.match(unsigned.stderr, /found none \(the package is unsigned\).*\[SignError VERIFY_FAILED\]/);
  const signed = await sign(pkg, key, "--certificate", cert);
  assert.equal(signed.status, 0, signed.stderr);
  const info = await inspectJson(pkg, "--key", cert);
  assert.deepEqual(
    info.signatures.map((s) => [s.kind, s.location]),
    [
      ["x509", "xar:signature:RSA"],
      ["x509", "xar:x-signature:CMS"],
    ],
  );
  assert.equal(
    info.signatures[0]!.verified,
    true,
    "the RSA signature over the TOC checks against the certificate",
  );
  // Without the certificate an RSA key cannot sign a macOS package: one paragraph, exit 1.
  const refused = await sign(pkg, key);
  assert.equal(refused.status, 1);
  assert.ok(isOneParagraph(refused.stderr), refused.stderr);

  // From the config: macos.signature.p12_file, its passphrase from PACKYARD_MACOS_PASSPHRASE.
  const config = join(cwd, "packyard.mac.yml");
  writeFileSync(
    config,
    `${readFileSync(join(cwd, "packyard.yml"), "utf8")}\nmacos:\n  signature:\n    p12_file: installer.p12\n`,
  );
  const args = ["build", "-f", config, "-p", "macos", "-t", join(dir, "signed"), "--json"];
  const locked = await runMain(args, cwd, FORMATS, { SOURCE_DATE_EPOCH: "1700000000" });
  assert.equal(locked.status, 1, "no passphrase, no signing");
  assert.ok(isOneParagraph(locked.stderr), locked.stderr);
  const r = await runMain(args, cwd, FORMATS, {
    SOURCE_DATE_EPOCH: "1700000000",
    PACKYARD_MACOS_PASSPHRASE: "hunter2",
  });
  assert.equal(r.status, 0, r.stderr);
  const fromConfig = (JSON.parse(r.stdout) as Artifact[])[0]!.path;
  assert.deepEqual(await xarSignatures(fromConfig), [
    ["x509", "xar:signature:RSA"],
    ["x509", "xar:x-signature:CMS"],
  ]);
});
