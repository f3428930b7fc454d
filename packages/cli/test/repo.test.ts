/**
 * `packyard repo ls|rm|prune|refresh|copy` through the CLI (in-process, real engine, a folder
 * repository made by `packyard publish`): the listing as JSON and text, promotion between suites without
 * reading the package again, removal (and the pool file deleted once no suite names it and its grace is
 * over), re-signing, and the usage errors of the subcommands.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { ListedRoot } from "../src/commands/repo.ts";
import type { PublishResult } from "../src/repo.ts";
import { builtExample, cli, DEB, KEY } from "./publish/support.ts";
import { tempDirs } from "./temp-dirs.ts";

const tmp = tempDirs("packyard-repo-");

const POOL_KEY = `deb/pool/main/h/hello-packyard/${DEB}`;

/** A repository with the example published to `stable`; returns the project folder and the repository. */
async function published(): Promise<{ cwd: string; repo: string }> {
  const cwd = await builtExample(tmp());
  const repo = join(cwd, "repo");
  const r = await cli(["publish", "--to", repo, "--key", KEY], cwd);
  assert.equal(r.status, 0, r.stderr);
  return { cwd, repo };
}

async function ls(cwd: string, repo: string): Promise<ListedRoot[]> {
  const r = await cli(["repo", "ls", "--to", repo, "--json"], cwd);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as ListedRoot[];
}

test("repo ls: suites, components, architectures and packages with versions, as JSON and as text", async () => {
  const { cwd, repo } = await published();
  const roots = await ls(cwd, repo);
  assert.equal(roots.length, 1);
  const [root] = roots;
  assert.equal(root!.root, "deb/stable");
  assert.equal(root!.suite, "stable");
  assert.deepEqual(root!.components, ["main"]);
  assert.deepEqual(root!.architectures, ["amd64"], "an all-only suite lists amd64");
  assert.deepEqual(
    root!.packages.map((p) => [p.component, p.name, p.version, p.arch, p.key]),
    [["main", "hello-packyard", "1.0.0-1", "all", POOL_KEY]],
  );
  assert.equal(root!.packages[0]!.sha256.length, 64);

  const text = await cli(["repo", "ls", "--to", repo], cwd);
  assert.equal(text.status, 0, text.stderr);
  const lines = text.stdout.split("\n");
  assert.match(
    lines[0]!,
    /^deb\/stable: suite stable, components main, architectures amd64, 1 package, updated \S+$/,
  );
  assert.equal(lines[1], "  main  hello-packyard  1.0.0-1  all");

  const empty = await cli(["repo", "ls", "--to", join(cwd, "nothing-here")], cwd);
  assert.equal(empty.status, 0, empty.stderr);
  assert.equal(empty.stdout, "");
  assert.match(empty.stderr, /nothing-here: no suites published here\n$/);
  const other = await cli(["repo", "ls", "--to", repo, "--suite", "testing", "--json"], cwd);
  assert.deepEqual(JSON.parse(other.stdout), []);
});

test("repo copy promotes without reading; repo rm removes; with --grace 0 the pool file goes once no suite names it", async () => {
  const { cwd, repo } = await published();
  const copy = await cli(
    [
      "repo",
      "copy",
      "--to",
      repo,
      "--from-suite",
      "stable",
      "--suite",
      "testing",
      "hello-packyard",
      "--key",
      KEY,
      "--json",
    ],
    cwd,
  );
  assert.equal(copy.status, 0, copy.stderr);
  const copied = JSON.parse(copy.stdout) as PublishResult;
  assert.deepEqual(
    copied.added.map((p) => p.name),
    ["hello-packyard"],
  );
  assert.ok(!copied.written.includes(POOL_KEY), "the pool file is shared, not written again");
  assert.ok(existsSync(join(repo, "deb/dists/testing/InRelease")));
  assert.deepEqual(
    (await ls(cwd, repo)).map((r) => [r.suite, r.packages.map((p) => p.name)]),
    [
      ["stable", ["hello-packyard"]],
      ["testing", ["hello-packyard"]],
    ],
  );

  const rm = await cli(
    [
      "repo",
      "rm",
      "--to",
      repo,
      "--suite",
      "stable",
      "hello-packyard=1.0.0-1/all",
      "--key",
      KEY,
      "--grace",
      "0",
    ],
    cwd,
  );
  assert.equal(rm.status, 0, rm.stderr);
  assert.match(
    rm.stderr,
    /^removed from .*repo \(deb\/stable\): 0 added, 0 unchanged, 1 removed; \d+ files changed(, \d+ old files? deleted)?\n$/,
  );
  assert.deepEqual(
    (await ls(cwd, repo)).map((r) => [r.suite, r.packages.length]),
    [
      ["stable", 0],
      ["testing", 1],
    ],
  );
  assert.ok(existsSync(join(repo, POOL_KEY)), "testing still names the pool file");

  const last = await cli(
    [
      "repo",
      "rm",
      "--to",
      repo,
      "--suite",
      "testing",
      "hello-packyard",
      "--key",
      KEY,
      "--grace",
      "0",
      "--json",
    ],
    cwd,
  );
  assert.equal(last.status, 0, last.stderr);
  const removed = JSON.parse(last.stdout) as PublishResult;
  assert.deepEqual(
    removed.removed.map((p) => [p.name, p.version, p.arch]),
    [["hello-packyard", "1.0.0-1", "all"]],
  );
  const prune = await cli(["repo", "prune", "--to", repo, "--grace", "0", "--json"], cwd);
  assert.equal(prune.status, 0, prune.stderr);
  const deleted = [...removed.deleted, ...(JSON.parse(prune.stdout) as { deleted: string[] }).deleted];
  assert.ok(deleted.includes(POOL_KEY), deleted.join(" "));
  assert.ok(!existsSync(join(repo, POOL_KEY)));
});

test("repo refresh re-signs the top files (InRelease changes), and can set Valid-Until", async () => {
  const { cwd, repo } = await published();
  const before = readFileSync(join(repo, "deb/dists/stable/InRelease"), "utf8");
  const r = await cli(["repo", "refresh", "--to", repo, "--key", KEY, "--valid-for", "7d", "--json"], cwd);
  assert.equal(r.status, 0, r.stderr);
  const result = JSON.parse(r.stdout) as PublishResult;
  assert.ok(result.changedKeys.includes("deb/dists/stable/InRelease"), result.changedKeys.join(" "));
  const after = readFileSync(join(repo, "deb/dists/stable/InRelease"), "utf8");
  assert.notEqual(after, before);
  assert.match(after, /^Valid-Until: /m);
});

test("repo usage errors: unknown subcommand, flags of another subcommand, missing packages or --from-suite; no key", async () => {
  const { cwd, repo } = await published();
  const cases: [string[], number, RegExp][] = [
    [
      ["frob"],
      2,
      /^error: unknown subcommand 'frob' \(expected one of: ls, rm, prune, refresh, copy, instructions\)\nSee 'packyard repo --help'\.\n$/,
    ],
    [[], 2, /^error: missing subcommand/],
    [["ls", "--to", repo, "--keep", "1"], 2, /^error: Unknown option '--keep'/],
    [["ls", "--to", repo, "--key", KEY], 2, /^error: --key does not apply to packyard repo ls\n/],
    [
      ["prune", "--to", repo, "--after-publish", "true"],
      2,
      /^error: --after-publish does not apply to packyard repo prune\n/,
    ],
    [["rm", "--to", repo, "--key", KEY], 2, /^error: repo rm: missing NAME\[=VERSION\]\[\/ARCH\]\n/],
    [["rm", "--to", repo, "--key", KEY, "hello="], 2, /^error: 'hello=': expected a package as NAME/],
    [["ls", "--to", repo, "extra"], 2, /^error: repo ls: unexpected argument 'extra'\n/],
    [["copy", "--to", repo, "--key", KEY], 2, /^error: repo copy: missing --from-suite\n/],
    [
      ["copy", "--to", repo, "--key", KEY, "--from-suite", "stable"],
      2,
      /^error: repo copy: --from-suite and --suite are both 'stable'\n/,
    ],
    [["rm", "--to", repo, "hello"], 1, /\[RepoError MISSING_KEY\]\n$/],
    [["ls"], 2, /^error: missing --to/],
  ];
  for (const [args, status, pattern] of cases) {
    const r = await cli(["repo", ...args], cwd);
    assert.equal(r.status, status, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, pattern, args.join(" "));
  }
});

test("repo ls names RPM-MD targets; repo rm --rpm-target removes from that target's roots only", async () => {
  const cwd = await builtExample(tmp(), "deb,rpm");
  const repo = join(cwd, "repo");
  const published = await cli(["publish", "--to", repo, "--key", KEY, "--rpm-target", "el-9,fedora-43"], cwd);
  assert.equal(published.status, 0, published.stderr);
  const before = await ls(cwd, repo);
  assert.deepEqual(
    before.map((r) => [r.root, r.target, r.packages.map((p) => `${p.name} ${p.version} ${p.arch}`)]),
    [
      ["deb/stable", undefined, ["hello-packyard 1.0.0-1 all"]],
      ["rpm/el/9/x86_64", "el-9", ["hello-packyard 1.0.0-1 noarch"]],
      ["rpm/fedora/43/x86_64", "fedora-43", ["hello-packyard 1.0.0-1 noarch"]],
    ],
  );
  const text = await cli(["repo", "ls", "--to", repo], cwd);
  assert.match(text.stdout, /^rpm\/el\/9\/x86_64: target el-9, architectures x86_64, 1 package, /m);
  const rm = await cli(
    ["repo", "rm", "--to", repo, "--rpm-target", "el-9", "hello-packyard", "--key", KEY],
    cwd,
  );
  assert.equal(rm.status, 0, rm.stderr);
  assert.match(rm.stderr, /\(rpm\/el\/9\/x86_64\): 0 added, 0 unchanged, 1 removed;/);
  assert.deepEqual(
    (await ls(cwd, repo)).map((r) => [r.root, r.packages.length]),
    [
      ["deb/stable", 1],
      ["rpm/el/9/x86_64", 0],
      ["rpm/fedora/43/x86_64", 1],
    ],
  );
  const bad = await cli(
    ["repo", "rm", "--to", repo, "--rpm-target", "el-9", "--component", "main", "x", "--key", KEY],
    cwd,
  );
  assert.equal(bad.status, 2, bad.stderr);
  assert.match(bad.stderr, /--rpm-target takes none/);
});
