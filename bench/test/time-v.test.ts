import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { needTool } from "../../packages/formats/test/support/tools.ts";
import { parseElapsed, parseTimeV } from "../time-v.ts";

function timeV(args: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), "timev-"));
  try {
    const file = join(dir, "report");
    spawnSync("/usr/bin/time", ["-v", "-o", file, ...args], { stdio: "ignore" });
    return readFileSync(file, "utf8");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("parses real /usr/bin/time -v output: wall time, peak RSS, exit status", (t) => {
  if (!needTool(t, "/usr/bin/time")) return;
  // Touch 64 MiB and stay busy for 300 ms, so both numbers have a known floor.
  const script =
    "const b = Buffer.alloc(64 * 1024 * 1024, 1); const t = Date.now(); while (Date.now() - t < 300); if (b[5] !== 1) process.exit(9);";
  const r = parseTimeV(timeV([process.execPath, "-e", script]));
  assert.equal(r.exitStatus, 0);
  assert.ok(r.wallSeconds >= 0.3 && r.wallSeconds < 30, `wall ${r.wallSeconds}`);
  assert.ok(r.maxRssKiB >= 64 * 1024, `rss ${r.maxRssKiB}`);
  assert.ok(r.userSeconds + r.systemSeconds > 0.1);

  const small = parseTimeV(timeV(["true"]));
  assert.ok(small.maxRssKiB < r.maxRssKiB);
  assert.equal(parseTimeV(timeV(["sh", "-c", "exit 3"])).exitStatus, 3);
});

test("elapsed times in both of time's spellings", () => {
  assert.equal(parseElapsed("0:01.50"), 1.5);
  assert.equal(parseElapsed("1:02:03"), 3723);
  assert.equal(parseElapsed("12:00.25"), 720.25);
  assert.throws(() => parseElapsed("soon"), /expected elapsed time/);
});

test("a report without the expected lines is an error, not zeros", () => {
  assert.throws(() => parseTimeV('Command being timed: "true"\n'), /Elapsed \(wall clock\) time/);
});
