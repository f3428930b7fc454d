import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { needTool } from "@packyard/testkit/tools";
import { parseElapsed, parseTimeV } from "../../time-v.ts";

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

test("parses real /usr/bin/time -v output: wall time, CPU time, peak RSS, exit status", (t) => {
  if (!needTool(t, "/usr/bin/time")) return;
  // Touch 64 MiB and stay busy until both 300 ms of wall time and 300 ms of CPU time have passed, so every
  // number has a known floor however loaded the machine is (a loaded machine only raises them).
  const script =
    "const b = Buffer.alloc(64 * 1024 * 1024, 1); const t = Date.now(); const c = process.cpuUsage(); const cpu = () => { const u = process.cpuUsage(c); return u.user + u.system; }; while (Date.now() - t < 300 || cpu() < 300000); if (b[5] !== 1) process.exit(9);";
  const before = process.hrtime.bigint();
  const r = parseTimeV(timeV([process.execPath, "-e", script]));
  const outerSeconds = Number(process.hrtime.bigint() - before) / 1e9;
  assert.equal(r.exitStatus, 0);
  assert.ok(r.wallSeconds >= 0.3, `wall ${r.wallSeconds}`);
  // Not a budget: time's own figure must fit inside the span this test saw around the same run (it would
  // not if, say, seconds were read as minutes). time -v prints hundredths, hence the rounding slack.
  assert.ok(r.wallSeconds <= outerSeconds + 0.01, `wall ${r.wallSeconds} > ${outerSeconds} s around the run`);
  assert.ok(r.maxRssKiB >= 64 * 1024, `rss ${r.maxRssKiB}`);
  assert.ok(r.userSeconds + r.systemSeconds >= 0.29, `cpu ${r.userSeconds} + ${r.systemSeconds}`);

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
