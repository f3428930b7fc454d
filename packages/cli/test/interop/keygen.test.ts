/**
 * `packyard keygen` judged by the tools that will use its keys: gpg reads the OpenPGP pair and agrees on
 * the fingerprint, openssl reads the apk RSA pair.
 */
import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { needTool, run } from "@packyard/testkit/tools";
import { FORMATS } from "../../src/formats.ts";
import { type CliResult, runMain } from "../run-cli.ts";
import { tempDirs } from "../temp-dirs.ts";

const tmp = tempDirs("packyard-keygen-");

function cli(args: string[], cwd: string): Promise<CliResult> {
  return runMain(args, cwd, FORMATS);
}

test("keygen --type openpgp writes the pair with 0600 on the secret, and gpg agrees on the fingerprint", async (t) => {
  if (!needTool(t, "gpg")) return;
  const cwd = tmp();
  const r = await cli(
    ["keygen", "--type", "openpgp", "--name", "Test Key", "--email", "test@example.org", "-o", "keys"],
    cwd,
  );
  assert.equal(r.status, 0, r.stderr);
  const fpr = r.stdout.trim();
  assert.match(fpr, /^[0-9A-F]{40}$/);
  assert.equal(statSync(join(cwd, "keys/Test Key.secret.asc")).mode & 0o777, 0o600);
  assert.equal(statSync(join(cwd, "keys/Test Key.asc")).mode & 0o777, 0o644);
  const home = tmp();
  const shown = run("gpg", [
    "--homedir",
    home,
    "--with-colons",
    "--show-keys",
    join(cwd, "keys/Test Key.asc"),
  ]);
  const gpgFpr = shown
    .split("\n")
    .find((l) => l.startsWith("fpr:"))
    ?.split(":")[9];
  assert.equal(gpgFpr, fpr);
  assert.match(shown, /Test Key <test@example\.org>/);
  const secret = run("gpg", [
    "--homedir",
    home,
    "--with-colons",
    "--show-keys",
    join(cwd, "keys/Test Key.secret.asc"),
  ]);
  assert.match(secret, /^sec:/m);

  const again = await cli(
    ["keygen", "--type", "openpgp", "--name", "Test Key", "--email", "x@example.org", "-o", "keys"],
    cwd,
  );
  assert.equal(again.status, 1);
  assert.match(again.stderr, /already exists/);
  assert.equal(
    run("gpg", ["--homedir", home, "--with-colons", "--show-keys", join(cwd, "keys/Test Key.asc")]),
    shown,
    "the existing key is untouched",
  );
});

test("keygen --type rsa writes NAME.rsa (0600) and NAME.rsa.pub that openssl reads", async (t) => {
  if (!needTool(t, "openssl")) return;
  const cwd = tmp();
  const r = await cli(["keygen", "--type", "rsa", "--name", "apk", "--email", "test@example.org"], cwd);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout.trim(), /^[0-9a-f]{64}$/);
  assert.equal(statSync(join(cwd, "apk.rsa")).mode & 0o777, 0o600);
  assert.equal(statSync(join(cwd, "apk.rsa.pub")).mode & 0o777, 0o644);
  const pub = run("openssl", ["rsa", "-pubin", "-in", join(cwd, "apk.rsa.pub"), "-noout", "-text"]);
  assert.match(pub, /Public-Key: \(4096 bit\)/);
  // The private key's public half is the published one.
  const fromPrivate = run("openssl", ["rsa", "-in", join(cwd, "apk.rsa"), "-pubout"]);
  assert.equal(fromPrivate.trim(), readFileSync(join(cwd, "apk.rsa.pub"), "utf8").trim());
});
