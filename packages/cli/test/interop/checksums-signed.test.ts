/**
 * The checksums file signed from the `checksum.signature` block (fake format), judged by gpgv and
 * `gpg --list-packets`: dated SOURCE_DATE_EPOCH, or the key's creation when the key is newer.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { exampleProject } from "@packyard/testkit/example";
import { gpgvKeyring, gpgvVerify } from "@packyard/testkit/keyrings";
import { needTool, run } from "@packyard/testkit/tools";
import { keygen } from "../../src/formats.ts";
import { fakeFormat } from "../fake-format.ts";
import { runMain } from "../run-cli.ts";
import { tempDirs } from "../temp-dirs.ts";

const tmp = tempDirs("packyard-sums-");

const ENV = { SOURCE_DATE_EPOCH: "1700000000" };

/** A project whose checksums file is signed by an EdDSA key created at `created` (seconds). */
async function signedProject(created: number): Promise<{ cwd: string; publicKey: string }> {
  const cwd = exampleProject(tmp(), "checksum:\n  signature:\n    key_file: sums.secret.asc\n");
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
  const home = tmp("packyard-sums-gpg-");
  return run("gpg", ["--homedir", home, "--batch", "--list-packets", file]);
}

/** gpgv accepts `dir`/SHA256SUMS.asc over SHA256SUMS with the key at `publicKey`. */
function gpgv(publicKey: string, dir: string): void {
  const home = tmp("packyard-sums-gpg-");
  const ring = gpgvKeyring(home, "sums", readFileSync(publicKey, "utf8"));
  gpgvVerify(ring, join(dir, "SHA256SUMS.asc"), join(dir, "SHA256SUMS"), "sums <sums@example.org>");
}

/**
 * Builds the project signed by a key created at `created` twice (into one/ and two/): each build succeeds
 * without a warning and gpgv accepts its SHA256SUMS.asc, and the two signatures are the same bytes. Returns
 * what `gpg --list-packets` says of the first.
 */
async function signedTwice(created: number): Promise<string> {
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
  return listPackets(join(cwd, "one", "SHA256SUMS.asc"));
}

test("checksum.signature: dated SOURCE_DATE_EPOCH when the key is older, so two builds sign alike", async (t) => {
  if (!needTool(t, "gpg", "gpgv")) return;
  const packets = await signedTwice(1_600_000_000);
  assert.match(packets, /created 1700000000\b/, "the signature carries SOURCE_DATE_EPOCH");
});

test("checksum.signature: a key newer than SOURCE_DATE_EPOCH dates the signature at its creation, so builds still sign alike", async (t) => {
  if (!needTool(t, "gpg", "gpgv")) return;
  const created = 1_700_000_100;
  const packets = await signedTwice(created);
  assert.match(packets, new RegExp(`created ${created}\\b`), "the signature carries the key's creation time");
});
