/**
 * Signed builds are reproducible: the example package signed while written and signed afterwards (rpm header,
 * deb `_gpgorigin`, Arch `.sig`, apk `.SIGN`), in two separate Node processes with the same date, gives the
 * same bytes; rpmkeys -Kv, gpgv and openssl still accept every signature, and gpg --list-packets reads the
 * date the signatures carry: the one asked for, or the key's creation time when the date is older than the key.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { EXAMPLE_DATE } from "@packyard/testkit/example";
import { gpgvKeyring, gpgvVerify, KEYS_DIR } from "@packyard/testkit/keyrings";
import { verifyApkSignature, verifyDebOrigin } from "@packyard/testkit/signatures";
import { needTool, run } from "@packyard/testkit/tools";

const keys = KEYS_DIR;
const child = new URL("./sign-reproducible-build.ts", import.meta.url).pathname;
/** 2027-01-15, after the fixture keys were made (2026-11-22). */
const AFTER_KEYS = 1_800_000_000;

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), "packyard-sign-repro-"));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the build script in a fresh Node process; returns the folder it wrote. */
function buildOnce(name: string, date: number): string {
  const out = join(dir, name);
  mkdirSync(out);
  const r = spawnSync(process.execPath, ["--conditions=@packyard/source", child, out, String(date)], {
    encoding: "utf8",
  });
  assert.equal(r.status, 0, r.stderr);
  return out;
}

/** A scratch GNUPGHOME inside the test folder, so gpg never touches ~/.gnupg. */
function gnupgHome(): string {
  const home = join(dir, "gnupg-list");
  mkdirSync(home, { recursive: true, mode: 0o700 });
  return home;
}

/** The signature packets' creation times as gpg --list-packets reports them. */
function gpgCreated(signature: Uint8Array): number[] {
  const listing = run("gpg", ["--homedir", gnupgHome(), "--batch", "--list-packets"], { input: signature });
  return [...listing.matchAll(/^\s+version 4, created (\d+), md5len/gm)].map((m) => Number(m[1]));
}

/** Key creation time of the fixture public key, read by gpg. */
function keyCreated(file: string): number {
  const listing = run("gpg", ["--homedir", gnupgHome(), "--batch", "--list-packets", join(keys, file)]);
  const m = /^:public key packet:\n\s+version 4, algo \d+, created (\d+)/m.exec(listing);
  assert.ok(m, listing);
  return Number(m[1]);
}

let keyring = "";
/** A gpgv keyring with both fixture keys, made once. */
function fixtureKeyring(): string {
  if (keyring === "") {
    const armored = ["gpg-plain.asc", "gpg-locked.asc"].map((k) => readFileSync(join(keys, k), "utf8"));
    keyring = gpgvKeyring(dir, "fixture-keys", armored);
  }
  return keyring;
}

/** rpm's signature report, with both fixture keys imported into a scratch rpmdb. */
function rpmKv(file: string): string {
  const db = join(dir, "rpmdb");
  if (!existsSync(db)) {
    mkdirSync(db);
    for (const k of ["gpg-plain.asc", "gpg-locked.asc"])
      run("rpmkeys", ["--dbpath", db, "--import", join(keys, k)]);
  }
  return run("rpmkeys", ["--dbpath", db, "-Kv", file]);
}

/** The header-only OpenPGP signature of an rpm (tag 268 RSA / 267 EdDSA), as rpm prints it, in bytes. */
function rpmHeaderSignature(file: string, tag: "RSAHEADER" | "DSAHEADER"): Uint8Array {
  return Uint8Array.from(Buffer.from(run("rpm", ["-qp", "--qf", `%{${tag}}`, file]).trim(), "hex"));
}

/** The files of `a` and `b` are the same, byte for byte. */
function sameFolders(a: string, b: string): string[] {
  const names = readdirSync(a).sort();
  assert.deepEqual(readdirSync(b).sort(), names);
  for (const n of names) assert.ok(readFileSync(join(a, n)).equals(readFileSync(join(b, n))), `${n} differs`);
  return names;
}

for (const [label, date] of [
  ["a date after the key's creation", AFTER_KEYS],
  ["a date before the key's creation (raised to it)", EXAMPLE_DATE],
] as const) {
  test(`${label}: two processes write the same signed packages, and real verifiers accept them`, async (t) => {
    if (!needTool(t, "gpg", "gpgv", "rpm", "rpmkeys", "ar", "openssl", "python3", "tar")) return;
    const one = buildOnce(`one-${date}`, date);
    const two = buildOnce(`two-${date}`, date);
    const names = sameFolders(one, two);
    assert.deepEqual(names, [
      "apk-apk.built",
      "apk-apk.resigned",
      "archlinux-eddsa.unsigned",
      "archlinux-eddsa.unsigned.sig",
      "archlinux-rsa.unsigned",
      "archlinux-rsa.unsigned.sig",
      "deb-eddsa.built",
      "deb-eddsa.resigned",
      "deb-rsa.built",
      "deb-rsa.resigned",
      "rpm-eddsa.built",
      "rpm-eddsa.resigned",
      "rpm-rsa.built",
      "rpm-rsa.resigned",
    ]);
    const created = { rsa: keyCreated("gpg-plain.asc"), eddsa: keyCreated("gpg-locked.asc") };
    const dated = (key: "rsa" | "eddsa") => Math.max(date, created[key]);
    if (date === EXAMPLE_DATE) assert.ok(created.rsa > date && created.eddsa > date, "the keys are newer");

    for (const key of ["rsa", "eddsa"] as const) {
      // rpm: rpmkeys -Kv accepts the header signature; rpm prints the packet, gpg reads its date.
      const algo = key === "rsa" ? "RSA" : "EdDSA";
      for (const kind of ["built", "resigned"]) {
        const file = join(one, `rpm-${key}.${kind}`);
        const report = rpmKv(file);
        assert.match(
          report,
          new RegExp(`Header V4 ${algo}/SHA256 Signature, key ID [0-9a-f]{8}: OK`),
          report,
        );
        assert.doesNotMatch(report, /NOKEY|BAD|NOTTRUSTED/, report);
        const sig = rpmHeaderSignature(file, key === "rsa" ? "RSAHEADER" : "DSAHEADER");
        assert.deepEqual(gpgCreated(sig), [dated(key)], `${file}: signature date`);
      }

      // Arch: gpgv verifies the .sig over the package.
      const pkg = join(one, `archlinux-${key}.unsigned`);
      gpgvVerify(fixtureKeyring(), `${pkg}.sig`, pkg);
      assert.deepEqual(gpgCreated(readFileSync(`${pkg}.sig`)), [dated(key)], `${pkg}.sig: signature date`);

      // deb: gpgv verifies _gpgorigin over debian-binary + control + data (debsig-verify's rule).
      for (const kind of ["built", "resigned"]) {
        const deb = join(one, `deb-${key}.${kind}`);
        const origin = verifyDebOrigin(fixtureKeyring(), deb, mkdtempSync(join(dir, "deb-")));
        assert.deepEqual(gpgCreated(readFileSync(origin)), [dated(key)], deb);
      }
    }

    // apk: openssl verifies .SIGN.RSA256 (PKCS#1 v1.5, deterministic) over the control gzip member.
    for (const kind of ["built", "resigned"]) {
      const apk = join(one, `apk-apk.${kind}`);
      const { keyName, members } = verifyApkSignature(
        apk,
        join(keys, "openssl-pkcs1.rsa.pub"),
        mkdtempSync(join(dir, "apk-")),
      );
      assert.equal(keyName, "test.rsa.pub");
      // The signature file's tar mtime is the signing date.
      const listing = run("tar", ["-tvzf", members[0]!], { env: { ...process.env, TZ: "UTC" } });
      assert.match(listing, new RegExp(`${isoMinute(date)} \\.SIGN\\.RSA256\\.test\\.rsa\\.pub`), listing);
    }
  });
}

/** `YYYY-MM-DD HH:MM` in UTC, as GNU tar -tv prints an mtime with TZ=UTC. */
function isoMinute(seconds: number): string {
  return new Date(seconds * 1000).toISOString().slice(0, 16).replace("T", " ");
}
