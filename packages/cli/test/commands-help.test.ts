/**
 * The command line describes itself: `packyard help COMMAND` is `COMMAND --help`; every flag a command
 * accepts is in its usage line and its options list; `keygen --type rsa` says under which name apk will
 * trust the key.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { apkKeyName, FORMATS } from "../src/formats.ts";
import { COMMANDS } from "../src/main.ts";
import { REPO, runMain, spawnCli } from "./run-cli.ts";
import { tempDirs } from "./temp-dirs.ts";

const tmp = tempDirs("packyard-keygen-");

test("packyard help COMMAND prints what COMMAND --help prints; help alone is the top help", async () => {
  for (const c of COMMANDS) {
    const viaHelp = await runMain(["help", c.name], REPO, FORMATS);
    const viaFlag = await runMain([c.name, "--help"], REPO, FORMATS);
    assert.equal(viaHelp.status, 0, viaHelp.stderr);
    assert.equal(viaHelp.stdout, viaFlag.stdout, c.name);
    assert.match(viaHelp.stdout, new RegExp(`^Usage: packyard ${c.name}`));
  }
  const top = await runMain(["help"], REPO, FORMATS);
  assert.equal(top.stdout, (await runMain(["--help"], REPO, FORMATS)).stdout);
  const unknown = await runMain(["help", "frobnicate"], REPO, FORMATS);
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /unknown command 'frobnicate'/);
  // The real launcher too.
  const spawned = spawnCli(["help", "build"], REPO);
  assert.equal(spawned.status, 0, spawned.stderr);
  assert.equal(spawned.stdout, (await runMain(["build", "--help"], REPO, FORMATS)).stdout);
});

test("every flag a command declares is in its usage line and in its options list", () => {
  for (const c of COMMANDS) {
    const [usage] = c.help.split("\n");
    assert.ok(usage!.startsWith(`Usage: packyard ${c.name}`), usage);
    const options = c.help.slice(c.help.indexOf("\nOptions:\n"));
    assert.notEqual(c.help.indexOf("\nOptions:\n"), -1, `${c.name}: an Options section`);
    for (const [name, def] of Object.entries(c.options)) {
      const long = `--${name}`;
      const short = def.short !== undefined ? `-${def.short}` : undefined;
      const inUsage = new RegExp(`\\[?(${long}|${short ?? long})[\\s\\]=|]`).test(`${usage} `);
      assert.ok(inUsage, `${c.name}: ${long} is missing from the usage line: ${usage}`);
      const listed = new RegExp(`^ {2}${short !== undefined ? `${short}, ` : " {4}"}${long}\\b`, "m").test(
        options,
      );
      assert.ok(listed, `${c.name}: ${short ?? ""} ${long} is missing from the options list`);
    }
  }
});

test("keygen --type rsa prints the apk key name: the /etc/apk/keys file name packages are signed under", async () => {
  const cwd = tmp();
  const r = await runMain(
    ["keygen", "--type", "rsa", "--name", "release", "--email", "dev@example.org"],
    cwd,
    FORMATS,
  );
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^[0-9a-f]{64}\n$/, "stdout stays the fingerprint alone");
  const name = apkKeyName("dev@example.org", readFileSync(join(cwd, "release.rsa.pub"), "utf8"));
  assert.match(name, /^dev@example\.org-[0-9a-f]{8}\.rsa\.pub$/);
  assert.ok(r.stderr.includes(`apk key name: ${name}\n`), r.stderr);
  assert.ok(r.stderr.includes(`cp release.rsa.pub /etc/apk/keys/${name}`), r.stderr);
  // OpenPGP keys have no apk name.
  const pgp = await runMain(
    ["keygen", "--type", "openpgp", "--algorithm", "ecc", "--name", "pgp", "--email", "dev@example.org"],
    cwd,
    FORMATS,
  );
  assert.equal(pgp.status, 0, pgp.stderr);
  assert.doesNotMatch(pgp.stderr, /apk key name/);
});
