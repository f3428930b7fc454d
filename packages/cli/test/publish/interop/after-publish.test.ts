/**
 * `--after-publish CMD` runs CMD with the shell (sh, hence interop/) after a successful publish: the
 * changed keys on stdin and in PACKYARD_CHANGED_KEYS, the target in PACKYARD_REPOSITORY, its output on
 * stderr so `--json` stays parseable; a failing hook exits 1 and the publish stays done. Also
 * `publish.after_publish` in packyard.yml, and `repo rm` running it too.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { needTool } from "@packyard/testkit/tools";
import type { PublishResult } from "../../../src/repo.ts";
import { tempDirs } from "../../temp-dirs.ts";
import { builtExample, cli, KEY } from "../support.ts";

const tmp = tempDirs("packyard-after-publish-");

/** A hook that keeps what it was given in files of the working folder and says hello on stdout. */
const RECORDER =
  'cat > hook-stdin.txt; printf %s "$PACKYARD_CHANGED_KEYS" > hook-env.txt; printf %s "$PACKYARD_REPOSITORY" > hook-repo.txt; echo hook ran';

test("the hook gets the changed keys on stdin and in the environment, and the repository", async (t) => {
  if (!needTool(t, "sh")) return;
  const cwd = await builtExample(tmp());
  const r = await cli(["publish", "--to", "repo", "--key", KEY, "--json", "--after-publish", RECORDER], cwd);
  assert.equal(r.status, 0, r.stderr);
  const result = JSON.parse(r.stdout) as PublishResult;
  assert.ok(result.changedKeys.length > 0);
  assert.equal(readFileSync(join(cwd, "hook-stdin.txt"), "utf8"), `${result.changedKeys.join("\n")}\n`);
  assert.equal(readFileSync(join(cwd, "hook-env.txt"), "utf8"), result.changedKeys.join("\n"));
  assert.equal(readFileSync(join(cwd, "hook-repo.txt"), "utf8"), "repo");
  assert.equal(r.stderr, "hook ran\n", "the hook's stdout goes to stderr; stdout is the JSON alone");
});

test("a failing hook: exit 1 with a message; the publish itself is done", async (t) => {
  if (!needTool(t, "sh")) return;
  const cwd = await builtExample(tmp());
  const r = await cli(
    ["publish", "--to", "repo", "--key", KEY, "--after-publish", "echo purge failed >&2; exit 3"],
    cwd,
  );
  assert.equal(r.status, 1);
  assert.match(
    r.stderr,
    /^published to repo \(deb\/stable\): 1 added.*\npurge failed\nerror: after-publish command `echo purge failed >&2; exit 3` exited with status 3; the publish itself is done \(\d+ changed files\)\n$/,
  );
  assert.ok(existsSync(join(cwd, "repo/deb/dists/stable/InRelease")));
});

test("publish.after_publish in packyard.yml; repo rm runs it too", async (t) => {
  if (!needTool(t, "sh")) return;
  const cwd = await builtExample(
    tmp(),
    "deb",
    `publish:\n  to: repo\n  key: ${KEY}\n  after_publish: '${RECORDER}'\n`,
  );
  const r = await cli(["publish", "-q"], cwd);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, "hook ran\n");
  assert.match(readFileSync(join(cwd, "hook-stdin.txt"), "utf8"), /^deb\/dists\/stable\/InRelease$/m);
  const rm = await cli(["repo", "rm", "hello-packyard", "--json"], cwd);
  assert.equal(rm.status, 0, rm.stderr);
  const result = JSON.parse(rm.stdout) as PublishResult;
  assert.equal(result.removed.length, 1);
  assert.equal(readFileSync(join(cwd, "hook-stdin.txt"), "utf8"), `${result.changedKeys.join("\n")}\n`);
});
