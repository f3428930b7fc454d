/**
 * The progress bar as a terminal sees it: `packyard build` runs under util-linux `script`, which gives it
 * a pseudo-terminal for stdout and stderr, on a project whose one 16 MiB file of random bytes does not
 * compress, so the build takes long enough for the bar to be redrawn.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { needTool, tryRun } from "@packyard/testkit/tools";
import { LAUNCHER } from "../run-cli.ts";

const work = mkdtempSync(join(tmpdir(), "packyard-tty-"));
after(() => rmSync(work, { recursive: true, force: true }));

/** `s` quoted for sh. */
const sh = (s: string): string => `'${s.replaceAll("'", "'\\''")}'`;

test("on a terminal: a bar per packager, redrawn in place with its percentage, finished at 100%", (t) => {
  if (!needTool(t, "script")) return;
  writeFileSync(join(work, "blob.bin"), randomBytes(16 * 1024 * 1024));
  writeFileSync(
    join(work, "packyard.yml"),
    "name: big\nversion: 1.0.0\narch: amd64\nmaintainer: T <t@example.org>\ncontents:\n  - src: ./blob.bin\n    dst: /opt/big/blob.bin\n",
  );
  const command = [process.execPath, LAUNCHER, "build", "-p", "deb,tar.gz", "-t", "out"].map(sh).join(" ");
  const r = tryRun("script", ["-qfec", command, "/dev/null"], {
    cwd: work,
    env: { ...process.env, TERM: "xterm", NO_COLOR: "1", SOURCE_DATE_EPOCH: "1700000000" },
  });
  assert.equal(r.status, 0, r.stdout);
  const out = r.stdout;
  for (const packager of ["deb", "tar.gz"]) {
    const frames = out
      .split("\r")
      .filter((f) => f.startsWith(`${packager} `))
      .map((f) => f.replace(/\x1b\[K[\s\S]*$/, ""));
    assert.ok(frames.length >= 2, `${packager}: ${frames.length} frames in ${JSON.stringify(out)}`);
    assert.match(
      frames[0]!,
      new RegExp(`^${packager.replace(".", "\\.")} +\\[-+\\] +0% {2}0/1 file {2}0 B/16\\.0 MiB -> 0 B`),
    );
    assert.match(frames.at(-1)!, /\[#+\] 100% {2}1 file {2}16\.0 MiB -> [\d.]+ MiB {2}[\d.]+ s$/);
    for (const f of frames) assert.match(f, /\[[#-]+\] +\d+%/, "every frame has a bar and a percentage");
  }
  // Each frame is drawn over the line (carriage return, erase to its end); a finished bar keeps its line.
  assert.ok(out.includes("\x1b[K"), "erase-to-end-of-line after each frame");
  assert.match(out, /100%[^\r\n]*\x1b\[K\r?\n/);
  assert.match(out, /built out\/big_1\.0\.0_amd64\.deb \(\d+ bytes\)/);
});
