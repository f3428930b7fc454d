/**
 * The progress renderer on its own, driven by BuildProgress events and a fake clock: plain lines every
 * interval when stderr is not a terminal, a bar redrawn in place when it is.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { BuildArtifact } from "@packyard/formats";
import { humanBytes } from "../src/human-bytes.ts";
import { Progress, type ProgressClock } from "../src/progress.ts";

const MiB = 1024 * 1024;

/** A clock the test moves by hand; `advance` runs the ticks that fall due, in order. */
function fakeClock(): ProgressClock & { advance(ms: number): void; ticking(): boolean } {
  let now = 0;
  let timer: { ms: number; next: number; fn: () => void } | undefined;
  return {
    now: () => now,
    every(ms, fn) {
      timer = { ms, next: now + ms, fn };
      return () => {
        timer = undefined;
      };
    },
    advance(ms) {
      const end = now + ms;
      while (timer !== undefined && timer.next <= end) {
        now = timer.next;
        timer.next += timer.ms;
        timer.fn();
      }
      now = end;
    },
    ticking: () => timer !== undefined,
  };
}

function artifact(size: number): BuildArtifact {
  return { file: "x.deb", packager: "deb", kind: "package", size, sha256: "0".repeat(64) };
}

function render(tty: boolean, intervalMs = 5000) {
  let text = "";
  const clock = fakeClock();
  const progress = new Progress({ write: (s) => (text += s), tty, columns: 100, intervalMs, clock });
  return {
    progress,
    clock,
    take(): string {
      const t = text;
      text = "";
      return t;
    },
  };
}

test("humanBytes: bytes below 1 KiB, then one decimal in the largest binary unit", () => {
  assert.equal(humanBytes(0), "0 B");
  assert.equal(humanBytes(1023), "1023 B");
  assert.equal(humanBytes(1024), "1.0 KiB");
  assert.equal(humanBytes(12595), "12.3 KiB");
  assert.equal(humanBytes(120 * MiB), "120.0 MiB");
  assert.equal(humanBytes(MiB - 10), "1.0 MiB", "never 1024.0 KiB");
  assert.equal(humanBytes(3 * 1024 * MiB), "3.0 GiB");
});

test("not a terminal: a line at the start, then one every interval while writing, none after done", () => {
  const r = render(false);
  r.progress.event({ kind: "start", packager: "deb", path: "dist/x.deb", files: 3, bytes: 300 * MiB });
  assert.equal(r.take(), "deb: writing dist/x.deb (3 files, 300.0 MiB)\n", "a line at once");
  r.progress.event({
    kind: "read",
    packager: "deb",
    path: "dist/x.deb",
    files: 2,
    bytes: 150 * MiB,
    pass: 1,
    passBytes: 150 * MiB,
  });
  r.progress.event({ kind: "write", packager: "deb", path: "dist/x.deb", written: 120 * MiB });
  r.clock.advance(4000);
  assert.equal(r.take(), "", "nothing before the interval");
  r.clock.advance(1000);
  // 120 MiB in 5 s
  assert.equal(r.take(), "deb: 120.0 MiB written, 24.0 MiB/s (2/3 files, 50% read)\n");
  r.clock.advance(5000);
  assert.match(r.take(), /^deb: 120\.0 MiB written, 12\.0 MiB\/s/);
  r.progress.event({ kind: "done", packager: "deb", path: "dist/x.deb", artifact: artifact(200 * MiB) });
  r.clock.advance(20000);
  assert.equal(r.take(), "", "no lines once the packager is done");
  r.progress.event({ kind: "checksums", path: "dist/SHA256SUMS" });
  r.progress.finish();
  assert.equal(r.take(), "checksums: writing dist/SHA256SUMS\n");
  assert.equal(r.clock.ticking(), false, "finish stops the clock");
});

test("a terminal: the bar is drawn at the start, redrawn in place, finished at 100% on its own line", () => {
  const r = render(true);
  r.progress.event({ kind: "start", packager: "rpm", path: "dist/x.rpm", files: 4, bytes: 100 * MiB });
  const first = r.take();
  assert.ok(first.startsWith("\r") && first.endsWith("\x1b[K"), JSON.stringify(first));
  assert.match(first, /^\rrpm +\[-{10,}\] +0% {2}0\/4 files {2}0 B\/100\.0 MiB -> 0 B/);
  r.progress.event({
    kind: "read",
    packager: "rpm",
    path: "dist/x.rpm",
    files: 2,
    bytes: 50 * MiB,
    pass: 1,
    passBytes: 50 * MiB,
  });
  r.progress.event({ kind: "write", packager: "rpm", path: "dist/x.rpm", written: 40 * MiB });
  assert.equal(r.take(), "", "events alone do not draw: the clock does");
  r.clock.advance(2000);
  const frames = r
    .take()
    .split("\r")
    .filter((f) => f !== "");
  assert.ok(frames.length >= 10, `redrawn every 100 ms: ${frames.length} frames`);
  const last = frames.at(-1)!;
  assert.match(
    last,
    /^rpm +\[#+-+\] +50% {2}2\/4 files {2}50\.0\/100\.0 MiB -> 40\.0 MiB {2}20\.0 MiB\/s\x1b\[K$/,
  );
  assert.ok(!last.includes("\n"));

  // A warning clears the bar, prints on its own line, and the bar comes back below it.
  r.progress.log("warning: something [CODE]\n");
  assert.match(r.take(), /^\r\x1b\[Kwarning: something \[CODE\]\n\rrpm +\[/);

  r.progress.event({
    kind: "read",
    packager: "rpm",
    path: "dist/x.rpm",
    files: 4,
    bytes: 100 * MiB,
    pass: 1,
    passBytes: 100 * MiB,
  });
  r.clock.advance(100);
  assert.match(r.take(), / 99% /, "all read is not yet done");
  r.progress.event({ kind: "done", packager: "rpm", path: "dist/x.rpm", artifact: artifact(90 * MiB) });
  const done = r.take();
  assert.match(done, /^\rrpm +\[#+\] 100% {2}4 files {2}100\.0 MiB -> 90\.0 MiB {2}2\.1 s\x1b\[K\n$/);
  r.progress.finish();
  assert.equal(r.take(), "", "a finished bar needs no newline");
});

test("a terminal: a second reading of the files (Arch, apk) restarts the bar, labelled 2nd pass", () => {
  const r = render(true);
  r.progress.event({
    kind: "start",
    packager: "archlinux",
    path: "x.pkg.tar.zst",
    files: 1,
    bytes: 10 * MiB,
  });
  r.progress.event({
    kind: "read",
    packager: "archlinux",
    path: "x",
    files: 1,
    bytes: 10 * MiB,
    pass: 2,
    passBytes: 3 * MiB,
  });
  r.take();
  r.clock.advance(100);
  assert.match(r.take(), /\[#{9}-{21}\] +30% {2}2nd pass {2}10\.0\/10\.0 MiB/);
});

test("a build that fails mid-bar: finish ends the bar's line so the error starts on its own", () => {
  const r = render(true);
  r.progress.event({ kind: "start", packager: "deb", path: "x.deb", files: 1, bytes: MiB });
  r.progress.finish();
  assert.ok(r.take().endsWith("\x1b[K\n"));
  r.clock.advance(1000);
  assert.equal(r.take(), "", "no redraws after finish");
});

test("a narrow terminal: the line never reaches the last column", () => {
  let text = "";
  const clock = fakeClock();
  const progress = new Progress({ write: (s) => (text += s), tty: true, columns: 50, clock });
  progress.event({ kind: "start", packager: "archlinux", path: "x", files: 12345, bytes: 999 * MiB });
  const line = text.slice(1, text.indexOf("\x1b[K"));
  assert.ok(line.length <= 49, `${line.length}: ${line}`);
  assert.match(line, /^archlinux \[-{10}\]/);
});
