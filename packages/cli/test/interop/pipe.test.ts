/**
 * `packyard inspect FILE | head -1` as a shell runs it: the reader goes away early (EPIPE on stdout),
 * which is what the user asked for. The CLI ends quietly with status 0 (bash's pipefail would report
 * anything else). test/inspect-files.test.ts makes the same check without a shell.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { needTool, tryRun } from "@packyard/testkit/tools";
import { LAUNCHER, REPO } from "../run-cli.ts";

const sh = (s: string): string => `'${s.replaceAll("'", "'\\''")}'`;

test("inspect piped into head -1 or into a reader that exits at once: status 0, nothing on stderr", (t) => {
  if (!needTool(t, "bash", "head")) return;
  const cli = [process.execPath, LAUNCHER].map(sh).join(" ");
  const deb = sh(join(REPO, "fixtures/deb/foo-none.deb"));
  for (const pipeline of [
    `${cli} inspect ${deb} | head -1`,
    `${cli} inspect ${deb} --json | head -1`,
    `${cli} inspect ${deb} | true`,
    `${cli} inspect ${deb} --json | true`,
  ]) {
    const r = tryRun("bash", ["-c", `set -o pipefail; ${pipeline}`], {
      env: { ...process.env, NO_COLOR: "1" },
    });
    assert.equal(r.status, 0, `${pipeline}: ${r.stderr}`);
    assert.equal(r.stderr, "", pipeline);
    if (pipeline.endsWith("head -1")) assert.match(r.stdout, /^(Format: +deb|\{)\n$/, pipeline);
  }
});
