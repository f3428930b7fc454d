import assert from "node:assert/strict";
import { test } from "node:test";
import {
  type LoadPolicy,
  evaluateGate,
  percentOfCeiling,
  renderGates,
  repetitionVerdict,
  type SideMedians,
  sizeCheck,
  waitForLoad,
} from "../gates.ts";
import type { GateSpec } from "../scenario.ts";

const side = (wallSeconds: number, maxRssKiB = 100 * 1024, outputBytes = 1000): SideMedians => ({
  wallSeconds,
  maxRssKiB,
  outputBytes,
});
const speed = (atLeast: number, against = "native"): GateSpec => ({
  kind: "speed",
  case: "c",
  payload: "electron5k",
  against,
  atLeast,
  gate: "g",
});

test("a speed gate holds by its ratio: against / packyard ≥ atLeast", () => {
  const sides = new Map([
    ["packyard", side(2)],
    ["native", side(5)],
  ]);
  const r = evaluateGate(speed(2), sides);
  assert.equal(r.measured, 2.5);
  assert.equal(r.status, "holds by ratio");
  assert.equal(evaluateGate(speed(3), sides).status, "fails");
  // exactly at the bound holds
  assert.equal(evaluateGate(speed(2.5), sides).status, "holds by ratio");
});

test("a slower-than-native gate (0.8×) holds when packyard takes at most native / 0.8", () => {
  const at = (p: number) =>
    evaluateGate(
      speed(0.8),
      new Map([
        ["packyard", side(p)],
        ["native", side(4)],
      ]),
    ).status;
  assert.equal(at(5), "holds by ratio"); // 4 / 5 = 0.8
  assert.equal(at(5.1), "fails");
});

test("a speed gate that misses its ratio holds by the ceiling at ≥ 90 % of the ceiling's speed", () => {
  const sides = new Map([
    ["packyard", side(10)],
    ["native", side(12)],
  ]);
  const at90 = evaluateGate(speed(2), sides, 9);
  assert.equal(at90.percentOfCeiling, 90);
  assert.equal(at90.status, "holds by ceiling");
  const at89 = evaluateGate(speed(2), sides, 8.9);
  assert.ok(Math.abs(at89.percentOfCeiling! - 89) < 1e-9);
  assert.equal(at89.status, "fails");
  // the ratio wins when both hold
  assert.equal(evaluateGate(speed(1), sides, 9.5).status, "holds by ratio");
});

test("a gate whose side did not run says so instead of passing or failing", () => {
  const r = evaluateGate(
    speed(1.6, "w1"),
    new Map([
      ["packyard", side(1)],
      ["w1", undefined],
    ]),
  );
  assert.equal(r.status, "not run");
  assert.match(r.notes.join(), /w1 did not run/);
});

test("peak RSS gates compare MiB with the bound and ignore the ceiling", () => {
  const g: GateSpec = { kind: "rss", case: "r", payload: "small50k", maxMiB: 150, gate: "≤ 150 MiB" };
  assert.equal(evaluateGate(g, new Map([["packyard", side(1, 150 * 1024)]])).status, "holds by ratio");
  const over = evaluateGate(g, new Map([["packyard", side(1, 150 * 1024 + 1)]]), 0.001);
  assert.equal(over.status, "fails");
  assert.equal(over.ceilingSeconds, undefined);
});

test("size check: within 1 % either way, flagged outside", () => {
  assert.deepEqual(sizeCheck(101, 100).within, true);
  assert.deepEqual(sizeCheck(99, 100).within, true);
  assert.equal(sizeCheck(102, 100).within, false);
  assert.ok(Math.abs(sizeCheck(102, 100).diff - 0.02) < 1e-12);
  assert.equal(sizeCheck(5, 0).within, false);
});

test("percent of ceiling is ceiling time over packyard time", () => {
  assert.equal(percentOfCeiling(3, 4), 75);
  assert.ok(Number.isNaN(percentOfCeiling(3, 0)));
});

test("the Gates table has the issue's columns and marks failures", () => {
  const md = renderGates([
    {
      case: "a | b",
      gate: "≥ 2×",
      measured: 2.345,
      unit: "x",
      ceilingSeconds: 1,
      percentOfCeiling: 42.4,
      status: "holds by ratio",
      notes: [],
    },
    { case: "r", gate: "≤ 150 MiB", measured: 151.26, unit: "MiB", status: "fails", notes: ["size +2.00 %"] },
  ]);
  const lines = md.split("\n");
  assert.equal(lines[0], "| case | gate | measured | ceiling s | % of ceiling | status |");
  assert.equal(lines[2], "| a \\| b | ≥ 2× | 2.35× | 1.000 | 42 % | holds by ratio |");
  assert.equal(lines[3], "| r | ≤ 150 MiB | 151.3 MiB | — | — | **fails** (size +2.00 %) |");
});

/** A fake clock: sleeping advances time, the load follows a script indexed by elapsed seconds. */
function fakeDeps(loadAt: (seconds: number) => number) {
  let ms = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    deps: {
      now: () => ms,
      load: () => loadAt(ms / 1000),
      sleep: async (d: number) => {
        sleeps.push(d);
        ms += d;
      },
    },
  };
}
const policy: LoadPolicy = { maxLoad: 1.5, waitCapSeconds: 60, pollSeconds: 5, maxAttempts: 2 };

test("waiting for the load: none when it is low, until it drops, and never past the cap", async () => {
  const low = fakeDeps(() => 0.5);
  assert.deepEqual(await waitForLoad(policy, low.deps), { load: 0.5, waitedSeconds: 0 });
  assert.equal(low.sleeps.length, 0);

  const drops = fakeDeps((s) => (s < 12 ? 3 : 1.2));
  assert.deepEqual(await waitForLoad(policy, drops.deps), { load: 1.2, waitedSeconds: 15 });

  const stuck = fakeDeps(() => 4);
  const r = await waitForLoad({ ...policy, pollSeconds: 7 }, stuck.deps);
  assert.equal(r.waitedSeconds, 60, "stops at the cap exactly");
  assert.equal(r.load, 4);
  assert.equal(stuck.sleeps.at(-1), 4000, "the last sleep is cut to the cap");
});

test("a repetition that started above the limit is repeated, and the last attempt kept flagged", () => {
  assert.equal(repetitionVerdict(1.5, 1, policy), "keep");
  assert.equal(repetitionVerdict(1.51, 1, policy), "repeat");
  assert.equal(repetitionVerdict(1.51, 2, policy), "keep-high");
  assert.equal(repetitionVerdict(0.2, 2, policy), "keep");
});
