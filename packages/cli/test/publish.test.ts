/**
 * `packyard publish` through the CLI (in-process, real formats, real engine, a folder repository):
 * `packyard build -p deb && packyard publish` makes a signed suite; publishing again changes nothing;
 * `--json` prints the result; the `publish:` block gives the settings and flags override it; release
 * archives alone go to downloads/; and the user errors (no key, not a package, nothing to publish, a usage
 * mistake) are one paragraph with the right exit code. (publish-install.test.ts: the install files and
 * the instructions.)
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { folderStorage, storageLock } from "@packyard/repo";
import { keygenCommand } from "../src/commands/keygen.ts";
import { KEYGEN_HINT } from "../src/publish-keys.ts";
import type { PublishResult } from "../src/repo.ts";
import { builtExample, cli, DEB, KEY, RSA_KEY } from "./publish/support.ts";
import { isOneParagraph } from "./run-cli.ts";
import { tempDirs } from "./temp-dirs.ts";

const tmp = tempDirs("packyard-publish-");

test("build -p deb, then publish --to a folder: a signed suite, the key beside it; again: nothing changes", async () => {
  const cwd = await builtExample(tmp());
  const repo = join(tmp(), "repo");
  const first = await cli(["publish", "--to", repo, "--key", KEY, "--json"], cwd);
  assert.equal(first.status, 0, first.stderr);
  const result = JSON.parse(first.stdout) as PublishResult;
  assert.deepEqual(
    result.added.map((p) => [p.name, p.version, p.arch]),
    [["hello-packyard", "1.0.0-1", "all"]],
  );
  assert.deepEqual(result.roots, ["deb/stable"]);
  assert.ok(result.changedKeys.includes("deb/dists/stable/InRelease"), result.changedKeys.join(" "));
  assert.match(
    readFileSync(join(repo, "deb/dists/stable/InRelease"), "utf8"),
    /^-----BEGIN PGP SIGNED MESSAGE-----/,
  );
  assert.ok(existsSync(join(repo, "deb/pool/main/h/hello-packyard", DEB)));
  assert.ok(existsSync(join(repo, "keys/repository.asc")));
  assert.ok(existsSync(join(repo, "keys/repository.gpg")));
  assert.equal(first.stderr, "", "--json: no summary line, and a pipe gets no progress");

  const again = await cli(["publish", "--to", repo, "--key", KEY], cwd);
  assert.equal(again.status, 0, again.stderr);
  assert.equal(
    again.stderr,
    `published to ${repo}: 0 added, 1 unchanged, 0 removed; 0 files changed (nothing to change)\n`,
  );
  // stdout holds the instructions for users (publish-install.test.ts checks them): here, with no public
  // URL, for the storage location.
  assert.match(
    again.stdout,
    /^\nNote: file:\/\/.* is where the repository is stored, not a URL its users can reach\.\nGive the public URL/,
  );
});

test("the publish: block gives target, key and suite; flags override them; relative paths are the working folder's", async () => {
  const cwd = await builtExample(
    tmp(),
    "deb",
    `publish:\n  to: public/repo\n  key: ${KEY}\n  suite: testing\n  key_name: example\n  origin: Example\n`,
  );
  const fromConfig = await cli(["publish"], cwd);
  assert.equal(fromConfig.status, 0, fromConfig.stderr);
  assert.match(
    fromConfig.stderr,
    /^published to public\/repo \(deb\/testing\): 1 added, 0 unchanged, 0 removed; \d+ files changed\n$/,
  );
  assert.match(
    readFileSync(join(cwd, "public/repo/deb/dists/testing/Release"), "utf8"),
    /^Origin: Example$/m,
  );
  assert.ok(existsSync(join(cwd, "public/repo/keys/example.asc")));

  const overridden = await cli(["publish", "--suite", "beta", "--to", "other"], cwd);
  assert.equal(overridden.status, 0, overridden.stderr);
  assert.ok(existsSync(join(cwd, "other/deb/dists/beta/InRelease")));
  assert.ok(!existsSync(join(cwd, "other/deb/dists/testing")), "--suite overrides publish.suite");
  assert.match(
    readFileSync(join(cwd, "other/deb/dists/beta/Release"), "utf8"),
    /^Origin: Example$/m,
    "the rest stays",
  );
  // -f names the config; a bad publish: block fails by field.
  writeFileSync(join(cwd, "bad.yml"), "name: a\nversion: 1.0.0\narch: all\npublish:\n  keep: none\n");
  const bad = await cli(["publish", "-f", "bad.yml"], cwd);
  assert.equal(bad.status, 1);
  assert.ok(isOneParagraph(bad.stderr), bad.stderr);
  assert.match(bad.stderr, /publish\.keep: expected a whole number of versions/);
});

test("without a key: MISSING_KEY, exit 1, naming the keygen command that makes one", async () => {
  const cwd = await builtExample(tmp());
  const r = await cli(["publish", "--to", join(cwd, "repo")], cwd);
  assert.equal(r.status, 1);
  assert.ok(isOneParagraph(r.stderr), r.stderr);
  assert.match(r.stderr, /no key was given: pass --key FILE .* or set publish\.key in packyard\.yml/);
  assert.ok(r.stderr.includes(`make a key with: ${KEYGEN_HINT}`), r.stderr);
  assert.match(r.stderr, /\[RepoError MISSING_KEY\]\n$/);
  assert.ok(!existsSync(join(cwd, "repo")), "nothing written");
  // The hint is a command keygen takes: every flag it uses is one of keygen's.
  const hintFlags = [...KEYGEN_HINT.matchAll(/--([a-z-]+)/g)].map((m) => m[1]!);
  assert.deepEqual(hintFlags, ["type", "name", "email"]);
  for (const f of hintFlags) assert.ok(f in keygenCommand.options, f);
  assert.match(KEYGEN_HINT, /--name repo .*writes repo\.secret\.asc/);
});

test("user errors: not a package, an rpm, an RSA key, a bad duration (usage, exit 2), no --to (usage)", async () => {
  const cwd = await builtExample(tmp());
  const repo = join(cwd, "repo");
  const cases: [string[], number, RegExp][] = [
    [
      ["--key", KEY, "packyard.yml"],
      1,
      /^error: packyard\.yml: not a package .* \[RepoError NOT_A_PACKAGE\]\n$/,
    ],
    [["--key", RSA_KEY], 1, /expected an OpenPGP secret key .* found an RSA key .*\[RepoError BAD_KEY\]\n$/],
    [
      ["--key", KEY, "--valid-for", "7"],
      2,
      /^error: --valid-for: expected a duration .* found '7'\nSee 'packyard publish --help'\.\n$/,
    ],
    [["--key", KEY, "--keep", "0"], 2, /^error: --keep: expected a whole number, 1 or more, found '0'\n/],
    [["--key", KEY, "--frobnicate"], 2, /^error: Unknown option '--frobnicate'/],
  ];
  for (const [args, status, pattern] of cases) {
    const r = await cli(["publish", "--to", repo, ...args], cwd);
    assert.equal(r.status, status, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, pattern, args.join(" "));
  }
  const noTarget = await cli(["publish", "--key", KEY], cwd);
  assert.equal(noTarget.status, 2);
  assert.match(
    noTarget.stderr,
    /^error: missing --to \(a folder or s3:\/\/bucket\/prefix; or publish\.to in packyard\.yml\)\n/,
  );
  assert.ok(!existsSync(repo), "nothing written");
});

test("a build of release archives only: they go to downloads/ (no repository index), signed with --key", async () => {
  const cwd = await builtExample(tmp(), "tar.gz");
  const tarball = "hello-packyard_1.0.0_linux_all.tar.gz";
  const noKey = await cli(["publish", "--to", join(cwd, "repo")], cwd);
  assert.equal(noKey.status, 1);
  assert.ok(isOneParagraph(noKey.stderr), noKey.stderr);
  assert.match(
    noKey.stderr,
    /^error: packyard publish signs the repository, but no key was given: .*\[RepoError MISSING_KEY\]\n$/,
  );
  assert.ok(!existsSync(join(cwd, "repo")), "nothing written");

  const r = await cli(["publish", "--to", join(cwd, "repo"), "--key", KEY, "--json"], cwd);
  assert.equal(r.status, 0, r.stderr);
  const result = JSON.parse(r.stdout) as PublishResult;
  assert.deepEqual(result.downloads?.added, [{ name: "hello-packyard", version: "1.0.0", file: tarball }]);
  assert.deepEqual(result.roots, [], "no repository root");
  assert.deepEqual(
    readFileSync(join(cwd, "repo/downloads/hello-packyard/1.0.0", tarball)),
    readFileSync(join(cwd, "dist", tarball)),
  );
  assert.ok(existsSync(join(cwd, "repo/downloads/hello-packyard/1.0.0/SHA256SUMS.asc")));
  assert.ok(!existsSync(join(cwd, "repo/deb")), "no APT suite made");
});

test("files holding no package: UNSUPPORTED_PACKAGE, nothing to publish", async () => {
  const cwd = await builtExample(tmp());
  const r = await cli(["publish", "--to", join(cwd, "repo"), "--key", KEY, "dist/SHA256SUMS"], cwd);
  assert.equal(r.status, 1);
  const [note, error] = r.stderr.split(/\n(?=error:)/);
  assert.equal(note, "dist/SHA256SUMS: 0 of the given files listed, and their checksums match");
  assert.match(
    error!,
    /^error: nothing to publish: the files hold no package \(packyard publish writes APT, RPM-MD, pacman and Alpine repositories, and downloads of macOS packages and release archives\) \(expected deb, rpm, archlinux, apk, macos, tarball\) \[RepoError UNSUPPORTED_PACKAGE\]\n$/,
  );
  assert.ok(!existsSync(join(cwd, "repo")), "nothing written");
});

test("the lock: another publisher's lock held past --lock-timeout is LOCK_TIMEOUT; --no-lock takes none", async () => {
  const cwd = await builtExample(tmp());
  const repo = join(cwd, "repo");
  const other = storageLock(folderStorage(repo), { owner: "another publisher", leaseMs: 600_000 });
  await other.acquire({ timeoutMs: 1000 });
  try {
    const waited = await cli(["publish", "--to", repo, "--key", KEY, "--lock-timeout", "1s"], cwd);
    assert.equal(waited.status, 1);
    assert.ok(isOneParagraph(waited.stderr), waited.stderr);
    assert.match(waited.stderr, /\[RepoError LOCK_TIMEOUT\]\n$/);
    assert.ok(!existsSync(join(repo, "deb")), "nothing published");
    const unlocked = await cli(["publish", "--to", repo, "--key", KEY, "--no-lock"], cwd);
    assert.equal(unlocked.status, 0, unlocked.stderr);
    assert.ok(existsSync(join(repo, "deb/dists/stable/InRelease")));
  } finally {
    await other.release();
  }
});
