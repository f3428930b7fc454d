/**
 * The build-step runner without a sandbox (`sandbox: 'none'`, /bin/sh only): steps in order in the work
 * folder, a failing step stops the rest, the environment is the allow-list plus declared names (never the
 * agent's token), secrets are masked also when split across chunks, the output cap and cancellation stop
 * the step's whole process group. The bubblewrap side and the time limit are in interop/agent-isolation.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import {
  chooseSandbox,
  createRedactor,
  resolveRunAs,
  type RunStepsOptions,
  runSteps,
  type Step,
  stepEnvironment,
} from "../src/agent/steps.ts";
import { isServerError } from "../src/errors.ts";

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function workDir(): string {
  const d = mkdtempSync(join(tmpdir(), "packyard-steps-"));
  dirs.push(d);
  return d;
}

interface Run {
  result: Awaited<ReturnType<typeof runSteps>>;
  stdout: string;
  stderr: string;
  ms: number;
}

async function run(steps: Step[], o: Partial<RunStepsOptions> = {}): Promise<Run> {
  const out = { stdout: "", stderr: "" };
  const work = o.workDir ?? workDir();
  const started = performance.now();
  const result = await runSteps({
    workDir: work,
    steps,
    timeoutMs: 20_000,
    graceMs: 1000,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: work },
    sandbox: "none",
    redact: [],
    onOutput: (stream, text) => {
      out[stream] += text;
    },
    ...o,
  });
  return { result, ...out, ms: performance.now() - started };
}

/** Live (not zombie) processes whose process group is `pgid`, read from /proc independently of the runner. */
function liveInGroup(pgid: number): string[] {
  const found: string[] = [];
  for (const pid of readdirSync("/proc").filter((n) => /^\d+$/.test(n))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(pgrp) === pgid && state !== "Z") found.push(`${pid} ${state}`);
    } catch {}
  }
  return found;
}

test("steps run in order in the work folder with its HOME; output arrives per stream", async () => {
  const work = workDir();
  const r = await run(
    [
      { name: "first", run: "pwd; echo one > order.txt; echo to-stderr >&2" },
      { run: 'echo two >> order.txt; echo "home=$HOME"' },
    ],
    { workDir: work },
  );
  assert.deepEqual(r.result, { ok: true });
  assert.equal(readFileSync(join(work, "order.txt"), "utf8"), "one\ntwo\n");
  assert.equal(r.stdout, `${work}\nhome=${work}\n`);
  assert.equal(r.stderr, "to-stderr\n");
});

test("a failing step is STEP_FAILED with its exit code, and later steps do not run", async () => {
  const work = workDir();
  const r = await run(
    [{ run: "true" }, { name: "compile", run: "echo before; exit 3" }, { run: "touch later-ran" }],
    { workDir: work },
  );
  assert.equal(r.result.ok, false);
  if (r.result.ok) return;
  assert.equal(r.result.code, "STEP_FAILED");
  assert.equal(r.result.step, 1);
  assert.equal(r.result.exitCode, 3);
  assert.match(r.result.message, /step 2 of 3 \(compile\) exited with code 3/);
  assert.equal(existsSync(join(work, "later-ran")), false);
  assert.equal(r.stdout, "before\n");
  const notADir = join(workDir(), "file");
  writeFileSync(notADir, "");
  const unstartable = await run([{ run: "true" }], { workDir: notADir });
  assert.ok(
    !unstartable.result.ok && unstartable.result.code === "STEP_FAILED",
    JSON.stringify(unstartable.result),
  );
  assert.match(unstartable.result.message, /could not start/);
  const killed = await run([{ run: "kill -USR1 $$" }]);
  assert.ok(!killed.result.ok && killed.result.code === "STEP_FAILED" && killed.result.signal === "SIGUSR1");
});

test("the environment is the allow-list plus declared names: no undeclared parent variable, never PACKYARD_*", async () => {
  const base: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    LANG: "C.UTF-8",
    TERM: "xterm",
    HOME: "/root",
    UNDECLARED_PARENT: "parent-only",
    FROM_AGENT: "agent-value",
    SHARED: "agent-loses",
    PACKYARD_TOKEN: "pka_agenttoken",
    PACKYARD_AGENT_TOKEN: "pka_other",
  };
  const work = workDir();
  const env = stepEnvironment(
    base,
    ["FROM_AGENT", "SHARED", "API_KEY", "PACKYARD_TOKEN", "NOT_SET_ANYWHERE"],
    { SHARED: "secret-wins", API_KEY: "k3y" },
    { HOME: work, SOURCE_DATE_EPOCH: "1700000000" },
  );
  const r = await run([{ run: "env" }], { workDir: work, env });
  assert.deepEqual(r.result, { ok: true });
  const seen = Object.fromEntries(
    r.stdout
      .trim()
      .split("\n")
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );
  // The shell adds PWD (and some shells SHLVL, OLDPWD, _) itself; everything else comes from us.
  for (const k of ["PWD", "SHLVL", "OLDPWD", "_"]) delete seen[k];
  assert.deepEqual(seen, {
    PATH: base.PATH,
    LANG: "C.UTF-8",
    TMPDIR: "/tmp",
    FROM_AGENT: "agent-value",
    SHARED: "secret-wins",
    API_KEY: "k3y",
    HOME: work,
    SOURCE_DATE_EPOCH: "1700000000",
  });
  assert.doesNotMatch(r.stdout, /pka_|UNDECLARED_PARENT|TERM=/);
  assert.equal(
    stepEnvironment({}, [], {}, {}).PATH,
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  );
});

test("the redactor masks values split at every point, across two and three chunks", () => {
  const secrets = ["s3cret-value", "tok"];
  const text = "a s3cret-value b tok c s3cret-valu d s3cret-values-tok";
  // The expected text, made by plain replacement (the values do not overlap in it).
  const want = text.replaceAll("s3cret-value", "***").replaceAll("tok", "***");
  assert.equal(want, "a *** b *** c s3cret-valu d ***s-***");
  for (let i = 0; i <= text.length; i++) {
    for (let j = i; j <= text.length; j++) {
      const r = createRedactor(secrets);
      const got = r.push(text.slice(0, i)) + r.push(text.slice(i, j)) + r.push(text.slice(j)) + r.flush();
      assert.equal(got, want, `split at ${i}, ${j}`);
    }
  }
  const one = createRedactor(["abc"]);
  assert.equal(one.push("xab"), "x", "a possible start of a value is held back");
  assert.equal(one.push("d\n"), "abd\n", "and let go once it cannot be one");
  assert.equal(one.push("line\n"), "line\n", "text that cannot begin a value is not held");
  assert.equal(one.push("a"), "");
  assert.equal(one.flush(), "a");
  const overlapping = createRedactor(["aXb", "Xbc"]);
  assert.equal(overlapping.push("1aXbc2") + overlapping.flush(), "1***c2", "the value starting first wins");
  assert.equal(createRedactor([""]).push("nothing to mask"), "nothing to mask");
});

test("a secret a step prints in two writes is masked in its output", async () => {
  const r = await run(
    [{ run: "printf 'key=s3cr'; sleep 0.2; printf 'et-value done\\n'; echo s3cret-value >&2" }],
    {
      redact: ["s3cret-value"],
    },
  );
  assert.deepEqual(r.result, { ok: true });
  assert.equal(r.stdout, "key=*** done\n");
  assert.equal(r.stderr, "***\n");
});

test("output past the cap stops the step: OUTPUT_LIMIT, no more than the cap passed on", async () => {
  const r = await run([{ run: "echo pgid=$$; yes packyard-output-line" }, { run: "touch never" }], {
    outputCapBytes: 64 * 1024,
  });
  assert.equal(r.result.ok, false);
  if (r.result.ok) return;
  assert.equal(r.result.code, "OUTPUT_LIMIT");
  assert.equal(r.result.step, 0);
  assert.equal(Buffer.byteLength(r.stdout), 64 * 1024);
  const pgid = Number(/^pgid=(\d+)/.exec(r.stdout)?.[1]);
  assert.deepEqual(liveInGroup(pgid), []);
});

test("abort kills the running step's group: CANCELLED within the grace period, SIGKILL for a step ignoring SIGTERM", async () => {
  for (const [label, script] of [
    ["plain", "echo pgid=$$; sleep 30 & sleep 30"],
    ["ignores SIGTERM", "trap '' TERM; echo pgid=$$; sleep 30 & sleep 30"],
  ] as const) {
    const controller = new AbortController();
    let pgid = 0;
    const started = performance.now();
    let abortedAt = 0;
    const result = await runSteps({
      workDir: workDir(),
      steps: [{ run: script }],
      timeoutMs: 60_000,
      graceMs: 2500,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
      sandbox: "none",
      redact: [],
      onOutput: (_stream, text) => {
        const m = /pgid=(\d+)/.exec(text);
        if (m && pgid === 0) {
          pgid = Number(m[1]);
          setTimeout(() => {
            abortedAt = performance.now();
            controller.abort();
          }, 100);
        }
      },
      signal: controller.signal,
    });
    const afterAbort = performance.now() - abortedAt;
    assert.equal(result.ok, false, label);
    if (result.ok) return;
    assert.equal(result.code, "CANCELLED", label);
    assert.ok(pgid > 0 && abortedAt > started, label);
    assert.deepEqual(liveInGroup(pgid), [], `${label}: nothing of the group is left`);
    // SIGTERM ends the plain step at once; the one ignoring it lasts until SIGKILL, after the grace period.
    if (label === "plain") assert.ok(afterAbort < 2500, `${label}: ended before SIGKILL (${afterAbort} ms)`);
    else assert.ok(afterAbort >= 2450 && afterAbort < 6000, `${label}: ended by SIGKILL (${afterAbort} ms)`);
  }
  const already = new AbortController();
  already.abort();
  const work = workDir();
  const r = await run([{ run: "touch ran" }], { workDir: work, signal: already.signal });
  assert.ok(!r.result.ok && r.result.code === "CANCELLED" && r.result.step === 0);
  assert.equal(existsSync(join(work, "ran")), false);
});

test("a background child left by a step that succeeded is killed before the next step", async () => {
  const r = await run([{ run: "echo pgid=$$; sleep 600 & echo started" }, { run: "echo second" }]);
  assert.deepEqual(r.result, { ok: true });
  assert.match(r.stdout, /started\nsecond\n$/);
  const pgid = Number(/^pgid=(\d+)/.exec(r.stdout)?.[1]);
  assert.ok(pgid > 0);
  assert.deepEqual(liveInGroup(pgid), []);
  assert.ok(r.ms < 5000, `the SIGTERM ended the sleep at once (${r.ms} ms)`);
});

test("sandbox bwrap with no bubblewrap is SANDBOX_UNAVAILABLE before any step runs; resolveRunAs", async () => {
  const work = workDir();
  const r = await run([{ run: "touch ran" }], {
    workDir: work,
    sandbox: "bwrap",
    bwrapPath: "/nonexistent/bwrap",
  });
  assert.ok(!r.result.ok && r.result.code === "SANDBOX_UNAVAILABLE", JSON.stringify(r.result));
  assert.equal(existsSync(join(work, "ran")), false);
  const auto = await run([{ run: "touch ran" }], {
    workDir: work,
    sandbox: "auto",
    bwrapPath: "/nonexistent/bwrap",
  });
  assert.deepEqual(auto.result, { ok: true }, "auto falls back to no sandbox");
  assert.deepEqual(await chooseSandbox({ sandbox: "auto", bwrapPath: "/nonexistent/bwrap" }), {
    mode: "none",
    reason: "/nonexistent/bwrap does not run here: spawn /nonexistent/bwrap ENOENT",
  });
  assert.equal(
    (await chooseSandbox({ sandbox: "bwrap", bwrapPath: "/nonexistent/bwrap" })).mode,
    "unavailable",
  );
  assert.deepEqual(await chooseSandbox({ sandbox: "none", bwrapPath: "/nonexistent/bwrap" }), {
    mode: "none",
  });
  // root is uid 0 everywhere; /etc/passwd is the independent source for nobody.
  assert.deepEqual(await resolveRunAs("root"), { uid: 0, gid: 0 });
  assert.deepEqual(await resolveRunAs("1234:5678"), { uid: 1234, gid: 5678 });
  const nobody = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((l) => l.startsWith("nobody:"))
    ?.split(":");
  if (nobody)
    assert.deepEqual(await resolveRunAs("nobody"), { uid: Number(nobody[2]), gid: Number(nobody[3]) });
  await assert.rejects(resolveRunAs("no-such-user-packyard"), (e: unknown) =>
    isServerError(e, "INVALID_REQUEST"),
  );
});
