/**
 * Real-tool judges of the signatures a package carries inside it: a .deb's debsigs `_gpgorigin` checked by
 * gpgv, an .apk's `.SIGN.RSA256.<key name>` checked by openssl, its gzip members split by Python's zlib.
 * Each works in a folder the caller gives (and removes). Callers check the tools first with `needTool`
 * (ar, gpg, gpgv for deb; python3, tar, openssl for apk).
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gpgvVerify } from "./keyrings.ts";
import { run } from "./tools.ts";

/**
 * Checks a .deb's debsigs `_gpgorigin` with gpgv against `keyring` (and the signer's user ID when `uid` is
 * given): it must be the last member and sign debian-binary, control.tar.* and data.tar.* concatenated in
 * archive order (debsig-verify's rule). The members are extracted into `work`; returns the path of the
 * extracted `_gpgorigin`.
 */
export function verifyDebOrigin(keyring: string, deb: string, work: string, uid?: string): string {
  const members = run("ar", ["t", deb]).trim().split("\n");
  assert.equal(members.at(-1), "_gpgorigin", `members: ${members.join(", ")}`);
  const signed = members.slice(0, -1);
  assert.equal(signed.length, 3, `signed members: ${signed.join(", ")}`);
  run("ar", ["x", deb], { cwd: work });
  writeFileSync(join(work, "signed.bin"), Buffer.concat(signed.map((m) => readFileSync(join(work, m)))));
  const origin = join(work, "_gpgorigin");
  gpgvVerify(keyring, origin, join(work, "signed.bin"), uid);
  return origin;
}

/** Splits FILE at its gzip member boundaries (zlib's unused_data after each stream); member i goes to argv[2]/m<i>.gz. */
const SPLIT_GZIP = `
import sys, zlib
data = open(sys.argv[1], 'rb').read(); pos = 0; i = 0
while pos < len(data):
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    d.decompress(data[pos:]); d.flush()
    end = len(data) - len(d.unused_data)
    open(f"{sys.argv[2]}/m{i}.gz", "wb").write(data[pos:end]); print(f"{sys.argv[2]}/m{i}.gz")
    pos = end; i += 1
`;

/**
 * Splits a file of concatenated gzip members (an .apk) with Python's zlib into `work`/m0.gz, m1.gz, …;
 * returns their paths in order.
 */
export function gzipMembers(file: string, work: string): string[] {
  return run("python3", ["-c", SPLIT_GZIP, file, work]).trim().split("\n");
}

/**
 * Checks an .apk's RSA signature with openssl: the first gzip member holds `.SIGN.RSA256.<key name>`, a
 * PKCS#1 v1.5 SHA-256 signature over the second member (the control segment) as stored. The members and
 * the signature file land in `work`; returns the key name and the members' paths.
 */
export function verifyApkSignature(
  apk: string,
  rsaPublic: string,
  work: string,
): { keyName: string; members: string[] } {
  const members = gzipMembers(apk, work);
  const [sigMember, control] = members;
  assert.ok(sigMember !== undefined && control !== undefined, `gzip members: ${members.join(", ")}`);
  const names = run("tar", ["-tzf", sigMember]).trim().split("\n");
  const name = names.find((n) => n.startsWith(".SIGN.RSA256."));
  assert.ok(name, `signature member: ${names.join(", ")}`);
  run("tar", ["-xzf", sigMember, "-C", work, name]);
  const verdict = run("openssl", [
    "dgst",
    "-sha256",
    "-verify",
    rsaPublic,
    "-signature",
    join(work, name),
    control,
  ]);
  assert.match(verdict, /Verified OK/);
  return { keyName: name.slice(".SIGN.RSA256.".length), members };
}
