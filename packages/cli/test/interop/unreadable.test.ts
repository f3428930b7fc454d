/**
 * A package file without read permission is IOError READ_FAILED naming it. Root reads any file whatever
 * its mode, so as root the spawned CLI runs as `nobody` through setpriv (util-linux); otherwise directly.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { needTool } from "@packyard/testkit/tools";
import { isOneParagraph, LAUNCHER, REPO } from "../run-cli.ts";

const dir = mkdtempSync(join(tmpdir(), "packyard-unreadable-"));
after(() => rmSync(dir, { recursive: true, force: true }));

test("a file without read permission is READ_FAILED naming it", (t) => {
  const asRoot = process.getuid?.() === 0;
  if (asRoot && !needTool(t, "setpriv")) return;
  chmodSync(dir, 0o755);
  const file = join(dir, "locked.deb");
  writeFileSync(file, readFileSync(join(REPO, "fixtures/deb/foo-gzip.deb")));
  chmodSync(file, 0o000);
  const cli = [process.execPath, LAUNCHER, "inspect", "locked.deb"];
  const cmd = asRoot ? ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", ...cli] : cli;
  const r = spawnSync(cmd[0]!, cmd.slice(1), {
    cwd: dir,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
  });
  assert.equal(r.status, 1, `${r.stdout}\n${r.stderr}`);
  assert.ok(isOneParagraph(r.stderr), r.stderr);
  assert.match(r.stderr, /locked\.deb/);
  assert.match(r.stderr, /permission denied/i);
  assert.match(r.stderr, /READ_FAILED/);
});
