/**
 * Isolation of build steps with and without bubblewrap (the agent's step runner, agent/steps.ts): the time
 * limit kills a step's background children too (nothing carrying the step's marker is left), under bwrap
 * a step writes only in its work folder and a private /tmp, and as root the step runs as `nobody`.
 * Processes are found independently of the runner: by a marker variable in /proc/<pid>/environ, which
 * every descendant inherits.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, type TestContext, test } from "node:test";
import { needRoot, needTool } from "@packyard/testkit/tools";
import {
  chooseSandbox,
  resolveRunAs,
  type RunStepsOptions,
  runSteps,
  type Sandbox,
} from "../../src/agent/steps.ts";

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A parent folder (traversable by everyone, as an agent's work root must be) with `work` and `sibling` in it. */
function folders(): { parent: string; work: string; sibling: string } {
  const parent = mkdtempSync(join(tmpdir(), "packyard-isolation-"));
  dirs.push(parent);
  chmodSync(parent, 0o755);
  const work = join(parent, "work");
  const sibling = join(parent, "sibling");
  mkdirSync(work);
  mkdirSync(sibling, { mode: 0o777 });
  chmodSync(sibling, 0o777);
  return { parent, work, sibling };
}

/** Live processes (not zombies) whose environment holds PACKYARD_TEST_MARKER=marker. */
function marked(marker: string): number[] {
  const needle = `PACKYARD_TEST_MARKER=${marker}\0`;
  const found: number[] = [];
  for (const pid of readdirSync("/proc").filter((n) => /^\d+$/.test(n))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
      if (stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")) continue;
      if (readFileSync(`/proc/${pid}/environ`, "latin1").includes(needle)) found.push(Number(pid));
    } catch {}
  }
  return found;
}

async function steps(
  sandbox: Sandbox,
  run: string,
  o: Partial<RunStepsOptions> & { workDir: string },
): Promise<{ result: Awaited<ReturnType<typeof runSteps>>; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const result = await runSteps({
    steps: [{ run }],
    timeoutMs: 30_000,
    graceMs: 1000,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: o.workDir },
    sandbox,
    redact: [],
    onOutput: (stream, text) => {
      if (stream === "stdout") stdout += text;
      else stderr += text;
    },
    ...o,
  });
  return { result, stdout, stderr };
}

function sandboxes(t: TestContext): Sandbox[] {
  return needTool(t, "bwrap") ? ["none", "bwrap"] : ["none"];
}

test("a step that forks `sleep 600` into the background, limit 2 s: STEP_TIMEOUT within limit + grace, nothing of it left", async (t) => {
  for (const sandbox of sandboxes(t)) {
    const { work } = folders();
    const marker = randomUUID();
    let during: number[] = [];
    const started = performance.now();
    const { result } = await steps(sandbox, "sleep 600 & echo started; sleep 600", {
      workDir: work,
      timeoutMs: 2000,
      graceMs: 1000,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", PACKYARD_TEST_MARKER: marker },
      onOutput: (_stream, text) => {
        if (text.includes("started")) setTimeout(() => (during = marked(marker)), 200);
      },
    });
    const ms = performance.now() - started;
    assert.ok(!result.ok && result.code === "STEP_TIMEOUT", `${sandbox}: ${JSON.stringify(result)}`);
    assert.match(result.message, /time limit of 2s/);
    // The shell and both sleeps (and bwrap's own processes) carried the marker while the step ran.
    assert.ok(during.length >= 3, `${sandbox}: processes seen while the step ran: ${during.join(", ")}`);
    assert.deepEqual(marked(marker), [], `${sandbox}: no process of the step is left`);
    assert.ok(ms >= 1900, `${sandbox}: the limit was waited for (${ms} ms)`);
    // limit 2 s + grace 1 s, and some room for a loaded machine.
    assert.ok(ms < 2000 + 1000 + 1500, `${sandbox}: stopped within limit + grace (${ms} ms)`);
  }
});

test("under bwrap a step writes only in its work folder (a sibling folder and the root are read-only, /tmp is private) and sees no process of the agent", async (t) => {
  if (!needTool(t, "bwrap")) return;
  assert.equal(
    (await chooseSandbox({ sandbox: "auto" })).mode,
    "bwrap",
    "auto picks bubblewrap when it runs",
  );
  const script = [
    'echo in-work > "$WORK/made-in-work" && echo work-ok',
    '(echo x > "$SIBLING/escaped") 2>/dev/null && echo sibling-written || echo sibling-refused',
    '(echo x > "/var/tmp/packyard-$ID") 2>/dev/null && echo root-written || echo root-refused',
    'echo private > "/tmp/packyard-$ID" && echo tmp-ok',
    // The agent's processes (here: this test's, whose command line names this file) and their command
    // lines, where a token could be, are out of sight in the PID namespace. The bracket keeps the pattern
    // from matching the step's own command line.
    "for f in /proc/[0-9]*/cmdline; do tr '\\0' ' ' < \"$f\"; echo; done 2>/dev/null | grep -q 'agent-isolation[.]test' && echo agent-visible || echo agent-hidden",
  ].join("\n");
  for (const sandbox of ["bwrap", "none"] as const) {
    const { work, sibling } = folders();
    const id = randomUUID();
    const { result, stdout } = await steps(sandbox, script, {
      workDir: work,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", WORK: work, SIBLING: sibling, ID: id },
    });
    try {
      assert.deepEqual(result, { ok: true }, sandbox);
      assert.equal(readFileSync(join(work, "made-in-work"), "utf8"), "in-work\n");
      if (sandbox === "bwrap") {
        assert.equal(stdout, "work-ok\nsibling-refused\nroot-refused\ntmp-ok\nagent-hidden\n");
        assert.equal(existsSync(join(sibling, "escaped")), false);
        assert.equal(existsSync(`/var/tmp/packyard-${id}`), false);
        assert.equal(existsSync(`/tmp/packyard-${id}`), false, "the step's /tmp is not the host's");
      } else {
        // Without the sandbox the same step reaches all three: what bwrap adds.
        assert.equal(stdout, "work-ok\nsibling-written\nroot-written\ntmp-ok\nagent-visible\n");
        assert.equal(existsSync(join(sibling, "escaped")), true);
      }
    } finally {
      rmSync(`/var/tmp/packyard-${id}`, { force: true });
      rmSync(`/tmp/packyard-${id}`, { force: true });
    }
  }
});

test("as root with runAs nobody the step's `id -u` is nobody's uid (work folder chowned to it)", async (t) => {
  if (!needRoot(t, "switching the step's user")) return;
  const nobody = await resolveRunAs("nobody");
  // Independent of resolveRunAs: the passwd database as getent reads it.
  const entry = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((l) => l.startsWith("nobody:"))
    ?.split(":");
  assert.deepEqual(nobody, { uid: Number(entry?.[2]), gid: Number(entry?.[3]) });
  for (const sandbox of sandboxes(t)) {
    const { work } = folders();
    chownSync(work, nobody.uid, nobody.gid);
    const { result, stdout, stderr } = await steps(sandbox, "id -u; id -g; touch made-by-step", {
      workDir: work,
      runAs: nobody,
    });
    assert.deepEqual(result, { ok: true }, `${sandbox}: ${stderr}`);
    assert.equal(stdout, `${nobody.uid}\n${nobody.gid}\n`, sandbox);
    assert.equal(readdirSync(work).includes("made-by-step"), true);
  }
});
