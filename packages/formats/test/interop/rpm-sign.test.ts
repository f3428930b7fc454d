/**
 * Signatures judged by rpm 4.18 (`rpm -Kv` lines, exact) and dnf (gpgcheck with localpkg_gpgcheck):
 * packyard signs its own packages at build time and existing packages (ours and rpmbuild's) in place.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { bytesSource, collect } from "../../src/bytes/bytes.ts";
import { readRpm, signRpm, writeRpm } from "../../src/rpm/index.ts";
import { loadOpenPGPSigner } from "../../src/sign/openpgp.ts";
import type { OpenPGPSigner } from "../../src/sign/signer.ts";
import { exampleSpec } from "@packyard/testkit/example";
import { stubSpec } from "../rpm/stub.ts";
import { rpmRoot } from "./rpm-tools.ts";
import { needRoot, needTool, run, tryRun } from "@packyard/testkit/tools";

const keys = new URL("../../../../fixtures/keys/", import.meta.url).pathname;
let dir: string;
let rsa: OpenPGPSigner;
let eddsa: OpenPGPSigner;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), "packyard-rpm-sign-"));
  rsa = await loadOpenPGPSigner(readFileSync(join(keys, "gpg-plain.secret.asc"), "utf8"));
  eddsa = await loadOpenPGPSigner(readFileSync(join(keys, "gpg-locked.secret.asc"), "utf8"), {
    passphrase: "packyard-test",
  });
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** A scratch rpmdb, optionally with public keys imported. */
function db(name: string, ...pub: string[]): string {
  const p = join(dir, name);
  run("rpm", ["--dbpath", p, "--initdb"]);
  for (const k of pub) run("rpm", ["--dbpath", p, "--import", join(keys, k)]);
  return p;
}

function kv(dbpath: string, file: string): string[] {
  return tryRun("rpm", ["--dbpath", dbpath, "-Kv", file]).stdout.split("\n").slice(1).filter(Boolean);
}

const shortId = (s: OpenPGPSigner) => s.keyId.slice(8).toLowerCase();

async function signedExample(signer: OpenPGPSigner, name: string): Promise<string> {
  const path = join(dir, name);
  writeFileSync(path, await collect(writeRpm(exampleSpec(), {}, { signer })));
  return path;
}

function flip(file: string, at: number, name: string): string {
  const b = new Uint8Array(readFileSync(file));
  b[at] = b[at]! ^ 0x01;
  const out = join(dir, name);
  writeFileSync(out, b);
  return out;
}

test("RSA header signature: OK with the key, NOKEY without, BAD after a header byte flip", async (t) => {
  if (!needTool(t, "rpm")) return;
  const pkg = await signedExample(rsa, "rsa.rpm");
  const id = shortId(rsa);
  const withKey = db("rsa-db", "gpg-plain.asc");
  assert.deepEqual(kv(withKey, pkg), [
    `    Header V4 RSA/SHA256 Signature, key ID ${id}: OK`,
    "    Header SHA256 digest: OK",
    "    Header SHA1 digest: OK",
    "    Payload SHA256 digest: OK",
    "    MD5 digest: OK",
  ]);
  assert.equal(kv(db("empty-db"), pkg)[0], `    Header V4 RSA/SHA256 Signature, key ID ${id}: NOKEY`);
  const info = await readRpm(bytesSource(readFileSync(pkg)));
  // A byte inside the main header's description text.
  const at =
    info.raw.format === "rpm"
      ? info.raw.headerStart + readFileSync(pkg).subarray(info.raw.headerStart).indexOf("Friendly")
      : -1;
  const bad = flip(pkg, at, "rsa-bad-header.rpm");
  assert.equal(kv(withKey, bad)[0], `    Header V4 RSA/SHA256 Signature, key ID ${id}: BAD`);
  assert.deepEqual(
    info.signatures.map((s) => [s.location, s.keyId, s.hash]),
    [["rpm:RSAHEADER", rsa.keyId, "sha256"]],
  );
  const verified = await readRpm(bytesSource(readFileSync(pkg)), {
    publicKeys: [readFileSync(join(keys, "gpg-plain.asc"), "utf8")],
  });
  assert.equal(verified.signatures[0]!.verified, true);
});

test("a flipped payload byte gives a BAD payload digest and rpm refuses to install", async (t) => {
  if (!needTool(t, "rpm")) return;
  const pkg = await signedExample(rsa, "rsa2.rpm");
  const bytes = readFileSync(pkg);
  const bad = flip(pkg, bytes.length - 30, "rsa-bad-payload.rpm");
  const lines = kv(db("rsa-db2", "gpg-plain.asc"), bad);
  assert.equal(lines[0], `    Header V4 RSA/SHA256 Signature, key ID ${shortId(rsa)}: OK`);
  assert.match(
    lines.find((l) => l.startsWith("    Payload SHA256 digest:"))!,
    /^ {4}Payload SHA256 digest: BAD \(Expected [0-9a-f]{64} != [0-9a-f]{64}\)$/,
  );
  const root = rpmRoot(join(dir, "refuse-root"));
  const r = tryRun("rpm", ["--root", root, "-i", "--nodeps", "--noscripts", bad]);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /Payload SHA256 digest: BAD|does not verify/);
});

test("EdDSA signature lands in tag 267 and verifies", async (t) => {
  if (!needTool(t, "rpm")) return;
  const pkg = await signedExample(eddsa, "eddsa.rpm");
  assert.equal(
    kv(db("eddsa-db", "gpg-locked.asc"), pkg)[0],
    `    Header V4 EdDSA/SHA256 Signature, key ID ${shortId(eddsa)}: OK`,
  );
  const info = await readRpm(bytesSource(readFileSync(pkg)));
  assert.equal(info.signatures[0]!.location, "rpm:DSAHEADER");
});

test("signing in place: rpmbuild's package and a re-sign keep the file size; the payload is untouched", async (t) => {
  if (!needTool(t, "rpm")) return;
  const original = new Uint8Array(
    readFileSync(new URL("../../../../fixtures/rpm/rpmbuild-gzip.rpm", import.meta.url)),
  );
  const signed = await collect(signRpm(bytesSource(original), rsa));
  assert.equal(signed.length, original.length);
  const info = await readRpm(bytesSource(original));
  const start = info.raw.format === "rpm" ? info.raw.headerStart : 0;
  assert.deepEqual(signed.subarray(start), original.subarray(start));
  const once = join(dir, "rpmbuild-signed.rpm");
  writeFileSync(once, signed);
  const both = db("resign-db", "gpg-plain.asc", "gpg-locked.asc");
  assert.equal(kv(both, once)[0], `    Header V4 RSA/SHA256 Signature, key ID ${shortId(rsa)}: OK`);
  const twice = await collect(signRpm(bytesSource(signed), eddsa));
  assert.equal(twice.length, original.length);
  const resigned = join(dir, "rpmbuild-resigned.rpm");
  writeFileSync(resigned, twice);
  const lines = kv(both, resigned);
  assert.equal(lines[0], `    Header V4 EdDSA/SHA256 Signature, key ID ${shortId(eddsa)}: OK`);
  assert.equal(lines.filter((l) => l.includes("Signature")).length, 1, "the old signature is replaced");
});

test("legacy header+payload signature (tag 1002) verifies too", async (t) => {
  if (!needTool(t, "rpm")) return;
  const path = join(dir, "legacy.rpm");
  writeFileSync(path, await collect(writeRpm(exampleSpec(), { legacySignature: true }, { signer: rsa })));
  const lines = kv(db("legacy-db", "gpg-plain.asc"), path);
  assert.ok(lines.includes(`    V4 RSA/SHA256 Signature, key ID ${shortId(rsa)}: OK`), lines.join("\n"));
  assert.ok(lines.includes(`    Header V4 RSA/SHA256 Signature, key ID ${shortId(rsa)}: OK`));
});

test("dnf install with gpgcheck and localpkg_gpgcheck: succeeds with the key imported, fails without", async (t) => {
  if (!needTool(t, "rpm", "dnf", "busybox") || !needRoot(t, "dnf --installroot")) return;
  const pkg = await signedExample(rsa, "dnf.rpm");
  const stub = join(dir, "stub.rpm");
  writeFileSync(stub, await collect(writeRpm(stubSpec(), {})));
  const dnf = (root: string) =>
    tryRun("dnf", [
      "--installroot",
      root,
      "--disablerepo=*",
      "--setopt=reposdir=/nonexistent",
      "--releasever=1",
      "--setopt=gpgcheck=1",
      "--setopt=localpkg_gpgcheck=1",
      "-y",
      "install",
      pkg,
    ]);
  const prepared = (name: string) => rpmRoot(join(dir, name), stub);
  const without = prepared("dnf-nokey");
  const r1 = dnf(without);
  assert.notEqual(r1.status, 0, r1.stdout);
  assert.notEqual(tryRun("rpm", ["--root", without, "-q", "hello-packyard"]).status, 0);
  const withKey = prepared("dnf-key");
  run("rpm", ["--root", withKey, "--import", join(keys, "gpg-plain.asc")]);
  const r2 = dnf(withKey);
  assert.equal(r2.status, 0, r2.stdout + r2.stderr);
  assert.equal(
    run("rpm", ["--root", withKey, "-q", "hello-packyard"]).trim(),
    "hello-packyard-1.0.0-1.noarch",
  );
});
