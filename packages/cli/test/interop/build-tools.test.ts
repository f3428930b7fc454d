/**
 * `packyard build` where other tools take part: git gives the build date when SOURCE_DATE_EPOCH is not
 * set, gpg checks a signature made from the config's key, dpkg-deb reads a package the launcher built.
 */
import assert from "node:assert/strict";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { needTool, run } from "@packyard/testkit/tools";
import { EXAMPLE_DIR } from "@packyard/testkit/example";
import { keygen } from "../../src/formats.ts";
import { fakeFormat } from "../fake-format.ts";
import { isOneParagraph, REPO, runMain, spawnCli } from "../run-cli.ts";
import { tempDirs } from "../temp-dirs.ts";

const tmp = tempDirs("packyard-build-");

const EXAMPLE = join(EXAMPLE_DIR, "packyard.yml");
const formats = [fakeFormat];

test("without SOURCE_DATE_EPOCH the date is the last git commit of the config's folder", async (t) => {
  if (!needTool(t, "git")) return;
  const out = tmp();
  const r = await runMain(["build", "-f", EXAMPLE, "-p", "deb", "-t", out, "--debug"], EXAMPLE_DIR, formats);
  assert.equal(r.status, 0, r.stderr);
  const commit = run("git", ["log", "-1", "--format=%ct", "--", "."], {
    cwd: join(REPO, "fixtures/example"),
  }).trim();
  if (commit === "") {
    assert.match(r.stderr, /from clock/);
  } else {
    assert.match(r.stderr, new RegExp(`build date ${commit} .* from git`));
  }
});

test("signing from the config: the key is unlocked from PACKYARD_DEB_PASSPHRASE and the .sig verifies with gpg", async (t) => {
  if (!needTool(t, "gpg")) return;
  const cwd = tmp();
  const key = await keygen({
    type: "openpgp",
    name: "signer",
    email: "s@example.org",
    passphrase: "hunter2",
    algorithm: "ecc",
  });
  for (const f of key.files) writeFileSync(join(cwd, f.name), f.contents, { mode: f.mode });
  const config = readFileSync(EXAMPLE, "utf8").replace(/\.\//g, `${join(REPO, "fixtures/example")}/`);
  writeFileSync(
    join(cwd, "packyard.yml"),
    `${config.replace("changelog: changelog.yml", `changelog: ${join(REPO, "fixtures/example/changelog.yml")}`)}\ndeb:\n  signature:\n    key_file: signer.secret.asc\n`,
  );
  const locked = await runMain(["build", "-p", "deb", "-t", "out"], cwd, formats, {
    SOURCE_DATE_EPOCH: "1700000000",
  });
  assert.equal(locked.status, 1, "no passphrase: the key stays locked");
  assert.ok(isOneParagraph(locked.stderr), locked.stderr);

  const r = await runMain(["build", "-p", "deb", "-t", "out", "--json"], cwd, formats, {
    SOURCE_DATE_EPOCH: "1700000000",
    PACKYARD_DEB_PASSPHRASE: "hunter2",
  });
  assert.equal(r.status, 0, r.stderr);
  const manifest = JSON.parse(r.stdout) as { path: string; sha256: string }[];
  assert.deepEqual(
    manifest.map((m) => m.path.slice(join(cwd, "out").length)),
    ["/hello-packyard_1.0.0_all.fake", "/hello-packyard_1.0.0_all.fake.sig", "/SHA256SUMS"],
  );
  const home = tmp();
  run("gpg", ["--homedir", home, "--batch", "--import", join(cwd, "signer.asc")]);
  run("gpg", ["--homedir", home, "--batch", "--verify", manifest[1]!.path, manifest[0]!.path]);
});

test("spawned: build with the real deb format", (t) => {
  const out = tmp();
  const r = spawnCli(["build", "-p", "deb", "-t", out, "--json"], join(REPO, "fixtures/example"), {
    SOURCE_DATE_EPOCH: "1700000000",
  });
  assert.equal(r.status, 0, r.stderr);
  const [a] = JSON.parse(r.stdout) as { path: string; size: number }[];
  assert.equal(statSync(a!.path).size, a!.size);
  if (needTool(t, "dpkg-deb")) {
    assert.match(run("dpkg-deb", ["--field", a!.path, "Package"]), /hello-packyard/);
  }
});
