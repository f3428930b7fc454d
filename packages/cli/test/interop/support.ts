/**
 * Shared steps of the CLI interop tests: a scratch copy of the example project, keys made by
 * `packyard keygen`, and the real-tool judges of each signature kind.
 */
import assert from "node:assert/strict";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gpgvKeyring, gpgvVerify } from "@packyard/testkit/keyrings";
import { run } from "@packyard/testkit/tools";
import { REPO, spawnCli } from "../run-cli.ts";

const dirs: string[] = [];

/** A fresh temp folder, removed by {@link cleanup}. */
export function tmp(prefix = "packyard-interop-"): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

/** Removes every folder made by {@link tmp}. */
export function cleanup(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** A scratch copy of fixtures/example (so keys and dist/ land outside the repository). */
export function exampleCopy(): string {
  const d = tmp("packyard-example-");
  cpSync(join(REPO, "fixtures/example"), d, { recursive: true });
  return d;
}

/** Paths of the keys `packyard keygen` wrote into `<dir>/keys` as packyard.signed.yml expects them. */
export interface ExampleKeys {
  openpgpSecret: string;
  openpgpPublic: string;
  rsaPrivate: string;
  rsaPublic: string;
}

/** Runs `packyard keygen` twice (OpenPGP EdDSA, which keeps the test fast, and RSA) into `<dir>/keys`. */
export function keygenInto(dir: string): ExampleKeys {
  const common = ["--name", "signer", "--email", "signer@packyard.invalid", "-o", "keys"];
  for (const args of [
    ["--type", "openpgp", "--algorithm", "ecc"],
    ["--type", "rsa"],
  ]) {
    const r = spawnCli(["keygen", ...args, ...common], dir);
    assert.equal(r.status, 0, r.stderr);
  }
  return {
    openpgpSecret: join(dir, "keys/signer.secret.asc"),
    openpgpPublic: join(dir, "keys/signer.asc"),
    rsaPrivate: join(dir, "keys/signer.rsa"),
    rsaPublic: join(dir, "keys/signer.rsa.pub"),
  };
}

/** The user ID `keygenInto` gives the OpenPGP key, as gpgv names the signer. */
export const SIGNER = "signer <signer@packyard.invalid>";

/** A gpgv keyring holding the OpenPGP public key `keygenInto` wrote. */
export function signerKeyring(keys: ExampleKeys): string {
  return gpgvKeyring(tmp("packyard-gnupg-"), "signer", text(keys.openpgpPublic));
}

/**
 * Checks a .deb's debsigs `_gpgorigin` with gpgv: the signature covers debian-binary, control.tar.* and
 * data.tar.* concatenated, in archive order (debsig-verify's rule).
 */
export function verifyDebOrigin(ring: string, deb: string): void {
  const members = run("ar", ["t", deb]).trim().split("\n");
  assert.equal(members.at(-1), "_gpgorigin", `members: ${members.join(", ")}`);
  const work = tmp("packyard-deb-");
  run("sh", ["-c", `cd '${work}' && ar x '${deb}'`]);
  const signed = members.filter((m) => m !== "_gpgorigin").map((m) => `'${m}'`);
  assert.deepEqual(signed.length, 3);
  run("sh", ["-c", `cd '${work}' && cat ${signed.join(" ")} > signed.bin`]);
  gpgvVerify(ring, join(work, "_gpgorigin"), join(work, "signed.bin"), SIGNER);
}

/** Splits a file of concatenated gzip members (an .apk) with Python's zlib; returns the member files. */
export function gzipMembers(file: string): string[] {
  const out = tmp("packyard-apk-");
  const script = `
import sys, zlib
data = open(sys.argv[1], 'rb').read(); pos = 0; i = 0
while pos < len(data):
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    d.decompress(data[pos:]); d.flush()
    end = len(data) - len(d.unused_data)
    open(f"{sys.argv[2]}/m{i}.gz", "wb").write(data[pos:end]); print(f"{sys.argv[2]}/m{i}.gz")
    pos = end; i += 1
`;
  return run("python3", ["-c", script, file, out]).trim().split("\n");
}

/**
 * Checks an .apk's RSA signature with openssl: the first gzip member holds `.SIGN.RSA256.<key name>`, a
 * PKCS#1 v1.5 SHA-256 signature over the second member (the control segment) as stored.
 */
export function verifyApkSignature(apk: string, rsaPublic: string): string {
  const [sigMember, control] = gzipMembers(apk);
  assert.ok(sigMember !== undefined && control !== undefined);
  const names = run("tar", ["-tzf", sigMember]).trim().split("\n");
  const name = names.find((n) => n.startsWith(".SIGN.RSA256."));
  assert.ok(name, `signature member: ${names.join(", ")}`);
  const dir = tmp("packyard-apksig-");
  run("tar", ["-xzf", sigMember, "-C", dir]);
  const verdict = run("openssl", [
    "dgst",
    "-sha256",
    "-verify",
    rsaPublic,
    "-signature",
    join(dir, name),
    control,
  ]);
  assert.match(verdict, /Verified OK/);
  return name.slice(".SIGN.RSA256.".length);
}

/** rpm -Kv with the key imported into a scratch rpmdb; returns rpm's report. */
export function rpmCheckSig(rpmFile: string, publicKey: string): string {
  const db = tmp("packyard-rpmdb-");
  mkdirSync(db, { recursive: true });
  run("rpmkeys", ["--dbpath", db, "--import", publicKey]);
  const report = run("rpmkeys", ["--dbpath", db, "-Kv", rpmFile]);
  return report;
}

/** The text of a file. */
export function text(path: string): string {
  return readFileSync(path, "utf8");
}
