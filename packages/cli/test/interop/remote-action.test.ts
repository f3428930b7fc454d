/**
 * The GitHub Action (action.yml at the repository root) runs as a runner would run it: its inputs are
 * substituted into each composite step's environment (the only place the action uses them), each step's
 * script runs with `bash --noprofile --norc -eo pipefail` (GitHub's `shell: bash`), GITHUB_OUTPUT is
 * collected and the action's outputs read from it. `npx` on PATH is a stand-in that checks it was asked
 * for `--yes <cli input>` and runs this checkout's CLI from source, against a real server on 127.0.0.1
 * whose build job the test drives through the queue: a success sets build-id and status, a failing step
 * fails the step and still sets status.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, type TestContext, test } from "node:test";
import { pathToFileURL } from "node:url";
import { needTool } from "@packyard/testkit/tools";
import { parse } from "yaml";
import { REPO } from "../run-cli.ts";
import { driveJob, type RemoteServer, startRemoteServer } from "../remote-server.ts";

interface Step {
  name: string;
  id?: string;
  shell: string;
  env?: Record<string, string>;
  run: string;
  if?: string;
}
interface Action {
  inputs: Record<string, { description: string; required: boolean; default?: string }>;
  outputs: Record<string, { description: string; value: string }>;
  runs: { using: string; steps: Step[] };
}

const action = parse(readFileSync(join(REPO, "action.yml"), "utf8")) as Action;
const cliVersion = (
  JSON.parse(readFileSync(join(REPO, "packages/cli/package.json"), "utf8")) as { version: string }
).version;

const temp = mkdtempSync(join(tmpdir(), "packyard-action-"));
after(() => rmSync(temp, { recursive: true, force: true }));

let remote: RemoteServer;
before(async (t) => {
  remote = await startRemoteServer(t as unknown as TestContext);
});
after(() => remote?.close());

/** `${{ inputs.NAME }}` replaced by the input's value (or its default); any other expression is refused. */
function substitute(text: string, inputs: Record<string, string>): string {
  const out = text.replace(/\$\{\{\s*inputs\.([A-Za-z0-9_-]+)\s*\}\}/g, (_, name: string) => {
    assert.ok(name in action.inputs, `the action declares input ${name}`);
    return inputs[name] ?? action.inputs[name]!.default ?? "";
  });
  assert.doesNotMatch(out, /\$\{\{/, "only inputs expressions in step environments");
  return out;
}

/** A folder with the stand-in `npx`, which runs this checkout's CLI when asked for `--yes <cli>`. */
function fakeNpx(expectedCli: string): string {
  const bin = join(temp, "bin");
  mkdirSync(bin, { recursive: true });
  const entry = join(temp, "cli-entry.ts");
  writeFileSync(
    entry,
    `import { runCli } from ${JSON.stringify(pathToFileURL(join(REPO, "packages/cli/test/remote-server.ts")).href)};
process.exitCode = await runCli(process.argv.slice(2), process.env, { stdout: process.stdout, stderr: process.stderr }, process.cwd());
`,
  );
  writeFileSync(
    join(bin, "npx"),
    `#!/bin/sh
[ "$1" = "--yes" ] || { echo "npx stand-in: expected --yes first, found $1" >&2; exit 90; }
[ "$2" = ${JSON.stringify(expectedCli)} ] || { echo "npx stand-in: expected ${expectedCli}, found $2" >&2; exit 91; }
shift 2
exec ${JSON.stringify(process.execPath)} --conditions=@packyard/source ${JSON.stringify(entry)} "$@"
`,
  );
  chmodSync(join(bin, "npx"), 0o755);
  return bin;
}

interface ActionRun {
  /** Exit status of each step that ran (the runner stops at the first failure). */
  steps: { name: string; status: number; stdout: string; stderr: string }[];
  outputs: Record<string, string>;
}

/** Runs the action's steps in `workspace` with `inputs`, as a runner does. */
async function runAction(inputs: Record<string, string>, workspace: string): Promise<ActionRun> {
  const output = join(temp, `github-output-${Date.now()}`);
  writeFileSync(output, "");
  const bin = fakeNpx(inputs.cli ?? action.inputs.cli!.default!);
  const result: ActionRun = { steps: [], outputs: {} };
  for (const step of action.runs.steps) {
    assert.equal(step.shell, "bash");
    assert.equal(step.if, undefined, "steps run unconditionally");
    const script = join(temp, `step-${result.steps.length}.sh`);
    writeFileSync(script, substitute(step.run, inputs));
    const env: Record<string, string> = {
      PATH: `${bin}:${dirname(process.execPath)}:/usr/bin:/bin`,
      HOME: temp,
      GITHUB_OUTPUT: output,
      RUNNER_TEMP: temp,
      NO_COLOR: "1",
      XDG_CONFIG_HOME: join(temp, "config"),
    };
    for (const [k, v] of Object.entries(step.env ?? {})) env[k] = substitute(v, inputs);
    const child = spawn("bash", ["--noprofile", "--norc", "-eo", "pipefail", script], {
      cwd: workspace,
      env,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += String(d)));
    child.stderr.on("data", (d) => (stderr += String(d)));
    const status = await new Promise<number>((resolve) => child.on("close", (code) => resolve(code ?? -1)));
    result.steps.push({ name: step.name, status, stdout, stderr });
    if (status !== 0) break;
  }
  const set: Record<string, string> = {};
  for (const line of readFileSync(output, "utf8").split("\n")) {
    const at = line.indexOf("=");
    if (at > 0) set[line.slice(0, at)] = line.slice(at + 1);
  }
  for (const [name, o] of Object.entries(action.outputs)) {
    const m = /^\$\{\{\s*steps\.build\.outputs\.([A-Za-z0-9_-]+)\s*\}\}$/.exec(o.value);
    assert.ok(m !== null, `output ${name} comes from the build step: ${o.value}`);
    if (set[m[1]!] !== undefined) result.outputs[name] = set[m[1]!]!;
  }
  return result;
}

test("action.yml declares the inputs and outputs the issue names; cli defaults to this version of packyard", () => {
  assert.equal(action.runs.using, "composite");
  assert.deepEqual(Object.keys(action.inputs).sort(), [
    "cli",
    "files",
    "force",
    "package",
    "project",
    "server",
    "targets",
    "token",
    "version",
  ]);
  assert.equal(action.inputs.cli!.default, `packyard@${cliVersion}`);
  assert.deepEqual(Object.keys(action.outputs).sort(), ["build-id", "status"]);
  // Inputs reach scripts only through the environment: none is spliced into a script's text.
  for (const step of action.runs.steps) assert.doesNotMatch(step.run, /\$\{\{/, step.name);
});

test("the action's steps upload the files and build against a real server: outputs build-id and status; a failing build fails the step", async (t) => {
  if (!needTool(t, "bash")) return;
  const workspace = join(temp, "workspace");
  mkdirSync(join(workspace, "src"), { recursive: true });
  const source = new TextEncoder().encode("hello from the action\n");
  writeFileSync(join(workspace, "src", "hello world.txt"), source);
  const inputs = {
    server: remote.url,
    token: remote.token,
    project: "demo",
    package: "hello",
    version: "1.1.0",
    files: "# the sources\nhello.txt=src/hello world.txt\n\n",
    targets: "debian-12, ubuntu-24.04",
    force: "false",
  };
  const running = runAction(inputs, workspace);
  const { job, log, queue } = await driveJob(remote.db);
  await log("stdout", ["building hello"]);
  const { rows } = await remote.db.query<{ sha256: string; name: string }>(
    "SELECT f.blob_sha256 AS sha256, f.access_name AS name FROM package_files f JOIN packages p ON p.id = f.package_id WHERE p.name = 'hello'",
  );
  // The upload step ran before the build was requested: the file is there with our digest.
  assert.deepEqual(rows, [{ sha256: createHash("sha256").update(source).digest("hex"), name: "hello.txt" }]);
  // The step fails (not retried).
  await queue.failJob(remote.db, job.jobId, job.attempt, {
    code: "STEP_FAILED",
    message: "step 1 exited with status 1",
    retry: false,
  });
  const failed = await running;
  assert.deepEqual(
    failed.steps.map((s) => [s.name, s.status]),
    [
      ["Upload sources", 0],
      ["Build", 1],
    ],
    failed.steps.map((s) => s.stderr).join("\n"),
  );
  assert.match(failed.steps[1]!.stderr, /STEP_FAILED: step 1 exited with status 1/);
  assert.deepEqual(failed.outputs, { "build-id": String(job.buildId), status: "failed" });
  assert.deepEqual([...job.targets].sort(), ["debian-12", "ubuntu-24.04"]);

  // A build that succeeds: the job gets an upload and publishes (an artifact row stands in for the package).
  const again = runAction({ ...inputs, version: "1.2.0", files: "" }, workspace);
  const second = await driveJob(remote.db);
  const artifact = await remote.db.query<{ id: number }>(
    `WITH r AS (INSERT INTO releases (package_id, project_id, version, created_at)
                SELECT id, project_id, '1.2.0', now() FROM packages WHERE name = 'hello' RETURNING id, project_id)
     INSERT INTO artifacts (release_id, project_id, format, name, version, arch, file_name, blob_sha256, info, created_at)
     SELECT r.id, r.project_id, 'deb', 'hello', '1.2.0', 'all', 'hello_1.2.0_all.deb', $1, '{}'::jsonb, now() FROM r
     RETURNING id`,
    [rows[0]!.sha256],
  );
  await second.queue.recordUpload(remote.db, second.job.jobId, second.job.attempt, {
    sha256: rows[0]!.sha256,
    fileName: "hello_1.2.0_all.deb",
  });
  await second.queue.completeJob(remote.db, second.job.jobId, second.job.attempt);
  await second.queue.finishPublish(remote.db, second.job.jobId, { artifactId: artifact.rows[0]!.id });
  const ok = await again;
  assert.deepEqual(
    ok.steps.map((s) => s.status),
    [0, 0],
    ok.steps.map((s) => s.stderr).join("\n"),
  );
  assert.deepEqual(ok.outputs, { "build-id": String(second.job.buildId), status: "succeeded" });
});
