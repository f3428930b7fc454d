/**
 * The user's build steps (`build.steps` of packyard.yml) on a build agent: each step is `/bin/sh -c <run>`
 * in the job's work folder, in a process group of its own (so a background child is killed with it), with
 * a reduced environment, one time limit over all steps (SIGTERM to the group, SIGKILL after a grace
 * period), an output cap, the secrets' values masked in the output, an unprivileged user when the agent is
 * root, and bubblewrap when it is there.
 *
 * What each mode isolates:
 * - `none`: its own process group and session, the reduced environment, the unprivileged user (when the
 *   agent runs as root), the time limit and the output cap. The step sees the whole file system with that
 *   user's rights and the shared /tmp, and a process that starts a session of its own (setsid) leaves the
 *   group, so the group kill misses it.
 * - `bwrap`: the same, plus a read-only root (`--ro-bind / /`), the work folder the only writable place
 *   besides a private /tmp, a fresh /dev and /proc, and a PID namespace (`--unshare-pid`) whose processes
 *   all die with it (`--die-with-parent`), setsid or not. The network is shared, and files the user may
 *   read stay readable.
 * No `--new-session`: the group is spawned detached (setsid), so it has no controlling terminal to inject
 * input into (what --new-session guards against), and a new session inside would take the steps out of
 * the process group SIGTERM goes to: they would never see the SIGTERM, only die by SIGKILL through
 * --die-with-parent when bwrap does (tried: a `trap ... TERM` in the step runs without it, not with it).
 */
import { type ChildProcessByStdio, execFile, spawn } from "node:child_process";
import { constants, accessSync, readdirSync, readFileSync, realpathSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { delimiter, join } from "node:path";
import type { Readable } from "node:stream";
import { ServerError } from "../errors.ts";

/** How steps are isolated: bubblewrap when present and usable (`auto`), always (`bwrap`), or never. */
export type Sandbox = "auto" | "bwrap" | "none";

/** A user and group to run the steps as (the agent must be root to switch). */
export interface RunAs {
  uid: number;
  gid: number;
}

/** One build step as packyard.yml writes it. */
export interface Step {
  run: string;
  name?: string;
}

/** Why the steps did not all succeed (stored as the job's failure code). */
export type StepFailureCode =
  | "STEP_FAILED"
  | "STEP_TIMEOUT"
  | "OUTPUT_LIMIT"
  | "CANCELLED"
  | "SANDBOX_UNAVAILABLE";

export type StepsResult =
  | { ok: true }
  | {
      ok: false;
      code: StepFailureCode;
      message: string;
      /** Index in `steps` (0-based) of the step that failed or was stopped. */
      step: number;
      /** The step's exit status, when it exited by itself with one. */
      exitCode?: number;
      /** The signal that ended the step's shell, when one did. */
      signal?: string;
    };

export interface RunStepsOptions {
  /** The job's work folder: every step's working directory and, under bwrap, the one writable folder. */
  workDir: string;
  steps: readonly Step[];
  /** Time limit over all steps together, in milliseconds. */
  timeoutMs: number;
  /** Time between SIGTERM and SIGKILL to the step's process group; default 5000. */
  graceMs?: number;
  /** The steps' whole environment (see {@link stepEnvironment}); nothing of the agent's is added. */
  env: Record<string, string>;
  /** Bytes of stdout + stderr over all steps before the step is killed (OUTPUT_LIMIT); default 16 MiB. */
  outputCapBytes?: number;
  /** Runs the steps as this user when the agent is root (the work folder must be writable by it). */
  runAs?: RunAs;
  sandbox: Sandbox;
  /** Values replaced by `***` in the output (the project's secrets). */
  redact: readonly string[];
  /** Output of the steps as it comes, redacted, decoded as UTF-8. */
  onOutput(stream: "stdout" | "stderr", text: string): void;
  /** Called before each step starts (e.g. to log its name). */
  onStep?(index: number, step: Step): void;
  /** Aborting kills the running step's group (SIGTERM, SIGKILL after graceMs) and ends with CANCELLED. */
  signal?: AbortSignal;
  /** The bubblewrap program; default `bwrap` looked up on the agent's PATH. */
  bwrapPath?: string;
}

export const DEFAULT_GRACE_MS = 5000;
export const DEFAULT_OUTPUT_CAP_BYTES = 16 * 1024 * 1024;

/** Variables a step gets from the agent's environment without being declared (when set there). */
const PASSED_THROUGH = ["PATH", "LANG", "LC_ALL", "TZ"] as const;
const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/** Never taken from the agent's environment, declared or not: the agent's own token and settings. */
const AGENT_PREFIX = "PACKYARD_";

/**
 * The environment of the build steps: PATH, LANG, LC_ALL and TZ from `base` (PATH defaults to the usual
 * system folders), TMPDIR=/tmp, then each `declared` name from `secrets` or else from `base` (never a
 * PACKYARD_* variable of `base`), then `extra` (HOME = the work folder, SOURCE_DATE_EPOCH...). Nothing else
 * of `base` gets through: not TERM, not the agent's token.
 * @example stepEnvironment(process.env, ["API_KEY"], { API_KEY: "s3cret" }, { HOME: work, SOURCE_DATE_EPOCH: "1700000000" })
 */
export function stepEnvironment(
  base: NodeJS.ProcessEnv,
  declared: readonly string[],
  secrets: Readonly<Record<string, string>>,
  extra: Readonly<Record<string, string>>,
): Record<string, string> {
  const env: Record<string, string> = { PATH: DEFAULT_PATH };
  for (const name of PASSED_THROUGH) {
    const v = base[name];
    if (v !== undefined && v !== "") env[name] = v;
  }
  env.TMPDIR = "/tmp";
  for (const name of declared) {
    if (Object.hasOwn(secrets, name)) env[name] = secrets[name]!;
    else if (!name.startsWith(AGENT_PREFIX) && base[name] !== undefined) env[name] = base[name]!;
  }
  for (const [name, value] of Object.entries(extra)) env[name] = value;
  return env;
}

/** Masks values in a stream of text: `push` returns what is safe to show, `flush` the rest at the end. */
export interface Redactor {
  push(text: string): string;
  flush(): string;
}

const MASK = "***";

/**
 * A streaming redactor: every occurrence of a value becomes `***`, also when the value is split across
 * two pushes (a tail that begins a value, at most length-1 characters, is held back until the next push or `flush`). Empty values
 * are ignored; where values overlap, the one starting first (then the longest) wins.
 * @example const r = createRedactor(["s3cret"]); r.push("key=s3") + r.push("cret\n") + r.flush() // "key=***\n"
 */
export function createRedactor(values: readonly string[]): Redactor {
  const needles = [...new Set(values.filter((v) => v !== ""))].sort((a, b) => b.length - a.length);
  if (needles.length === 0) return { push: (text) => text, flush: () => "" };
  const hold = needles[0]!.length - 1;
  let pending = "";
  // The earliest complete occurrence at or after `from` (longest on a tie), or undefined.
  const next = (s: string, from: number): { at: number; length: number } | undefined => {
    let best: { at: number; length: number } | undefined;
    for (const n of needles) {
      const at = s.indexOf(n, from);
      if (at >= 0 && (best === undefined || at < best.at)) best = { at, length: n.length };
    }
    return best;
  };
  // Where the text may still become a value when more comes: the earliest tail that begins a value.
  const heldFrom = (s: string): number => {
    for (let p = Math.max(0, s.length - hold); p < s.length; p++) {
      const tail = s.slice(p);
      if (needles.some((n) => n.length > tail.length && n.startsWith(tail))) return p;
    }
    return s.length;
  };
  const mask = (s: string, safeEnd: number): { out: string; rest: string } => {
    let out = "";
    let i = 0;
    for (;;) {
      const m = next(s, i);
      // A match starting at or past safeEnd may be part of a longer value still to come: hold it.
      if (m === undefined || m.at >= safeEnd) break;
      out += `${s.slice(i, m.at)}${MASK}`;
      i = m.at + m.length;
    }
    const cut = Math.max(i, safeEnd);
    return { out: out + s.slice(i, cut), rest: s.slice(cut) };
  };
  return {
    push(text) {
      const s = pending + text;
      const { out, rest } = mask(s, heldFrom(s));
      pending = rest;
      return out;
    },
    flush() {
      const { out } = mask(pending, pending.length);
      pending = "";
      return out;
    },
  };
}

/**
 * The uid and gid of a user (`nobody`), a numeric uid (its passwd entry's gid, else the same number), or
 * `uid:gid`; from `getent passwd` (NSS) or else /etc/passwd. Throws ServerError INVALID_REQUEST for an
 * unknown user.
 */
export async function resolveRunAs(name: string): Promise<RunAs> {
  const pair = /^(\d+):(\d+)$/.exec(name);
  if (pair) return { uid: Number(pair[1]), gid: Number(pair[2]) };
  const entry = (await getentPasswd(name)) ?? (await passwdFile(name));
  if (entry) return entry;
  if (/^\d+$/.test(name)) return { uid: Number(name), gid: Number(name) };
  throw new ServerError("INVALID_REQUEST", `--run-as ${name}: expected a user of this machine, found none`, {
    field: "--run-as",
    found: name,
  });
}

function passwdEntry(line: string, name: string): RunAs | undefined {
  const f = line.split(":");
  if (f.length < 4 || (f[0] !== name && f[2] !== name)) return undefined;
  const uid = Number(f[2]);
  const gid = Number(f[3]);
  return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : undefined;
}

function getentPasswd(name: string): Promise<RunAs | undefined> {
  return new Promise((resolve) => {
    execFile("getent", ["passwd", name], { timeout: 10_000 }, (err, stdout) => {
      resolve(err ? undefined : passwdEntry(stdout.trim().split("\n")[0] ?? "", name));
    });
  });
}

async function passwdFile(name: string): Promise<RunAs | undefined> {
  const text = await readFile("/etc/passwd", "utf8").catch(() => "");
  for (const line of text.split("\n")) {
    const e = passwdEntry(line, name);
    if (e) return e;
  }
  return undefined;
}

/** `name` found on the agent's PATH as an executable, or undefined. */
function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir === "") continue;
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {}
  }
  return undefined;
}

/** Probes of bubblewrap, per program and user: can it make the namespaces the steps run in? */
const probes = new Map<string, Promise<string | undefined>>();

/**
 * Whether bubblewrap at `bwrap` can run a step as `runAs` (or as the agent) here: undefined when it can,
 * else why not. Probed once per program and user (user namespaces may be refused to unprivileged users).
 */
export function probeBubblewrap(bwrap: string, runAs?: RunAs): Promise<string | undefined> {
  const ids = switchUser(runAs);
  const key = `${bwrap}\0${ids?.uid ?? ""}:${ids?.gid ?? ""}`;
  let probe = probes.get(key);
  if (probe === undefined) {
    probe = new Promise((resolve) => {
      const args = [...sandboxArgs("/"), "--", "/bin/sh", "-c", "exit 0"];
      execFile(bwrap, args, { timeout: 10_000, ...(ids ?? {}), cwd: "/" }, (err, _stdout, stderr) => {
        resolve(err ? `${bwrap} does not run here: ${(stderr || err.message).trim()}` : undefined);
      });
    });
    probes.set(key, probe);
  }
  return probe;
}

function sandboxArgs(workDir: string): string[] {
  const bind = workDir === "/" ? [] : ["--bind", workDir, workDir];
  // Order matters: the private /tmp is mounted before the work folder, which may lie under /tmp.
  return [
    ...["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"],
    ...bind,
    ...["--unshare-pid", "--die-with-parent", "--chdir", workDir],
  ];
}

/** The ids to spawn with: runAs when the agent is root and it is another user, else none. */
function switchUser(runAs: RunAs | undefined): RunAs | undefined {
  if (runAs === undefined || process.getuid?.() !== 0) return undefined;
  if (runAs.uid === 0 && runAs.gid === 0) return undefined;
  return runAs;
}

/** The command that runs one step: the shell, inside bubblewrap or not. */
interface Launcher {
  command(run: string): { file: string; args: string[] };
}

/** The isolation steps get with these settings: `bwrap` (its path), `none`, or why bwrap cannot be used. */
export type SandboxChoice =
  | { mode: "bwrap"; bwrap: string }
  | { mode: "none"; reason?: string }
  | { mode: "unavailable"; reason: string };

/**
 * Which isolation the steps get: `none` as asked, bubblewrap when found on PATH (or at `bwrapPath`) and
 * able to run as the steps' user here, else `none` for `auto` (with the reason) and `unavailable` for
 * `bwrap`. For the agent to say at start-up what its steps run in.
 */
export async function chooseSandbox(o: {
  sandbox: Sandbox;
  runAs?: RunAs;
  bwrapPath?: string;
}): Promise<SandboxChoice> {
  if (o.sandbox === "none") return { mode: "none" };
  const bwrap = o.bwrapPath ?? onPath("bwrap");
  const problem =
    bwrap === undefined ? "bwrap (bubblewrap) is not on PATH" : await probeBubblewrap(bwrap, o.runAs);
  if (bwrap !== undefined && problem === undefined) return { mode: "bwrap", bwrap };
  const reason = problem ?? "bwrap (bubblewrap) is not on PATH";
  return o.sandbox === "bwrap" ? { mode: "unavailable", reason } : { mode: "none", reason };
}

async function launcher(o: RunStepsOptions, workDir: string): Promise<Launcher | string> {
  const choice = await chooseSandbox(o);
  if (choice.mode === "unavailable") return `sandbox bwrap asked for, but ${choice.reason}`;
  if (choice.mode === "none") return { command: (run) => ({ file: "/bin/sh", args: ["-c", run] }) };
  const prefix = sandboxArgs(workDir);
  return { command: (run) => ({ file: choice.bwrap, args: [...prefix, "--", "/bin/sh", "-c", run] }) };
}

/**
 * Runs the steps in order until one fails. Every step's process group is gone when this returns, the
 * steps' background children included (a step's leftovers are killed when its shell exits). Failures are
 * results, not throws.
 */
export async function runSteps(o: RunStepsOptions): Promise<StepsResult> {
  const deadline = Date.now() + o.timeoutMs;
  const graceMs = o.graceMs ?? DEFAULT_GRACE_MS;
  const workDir = realpathSync(o.workDir);
  const launch = await launcher(o, workDir);
  if (typeof launch === "string") return { ok: false, code: "SANDBOX_UNAVAILABLE", message: launch, step: 0 };
  const budget = { left: o.outputCapBytes ?? DEFAULT_OUTPUT_CAP_BYTES };
  for (const [index, step] of o.steps.entries()) {
    const what = `build step ${index + 1} of ${o.steps.length}${step.name ? ` (${step.name})` : ""}`;
    if (o.signal?.aborted)
      return { ok: false, code: "CANCELLED", message: `${what}: cancelled`, step: index };
    const remaining = deadline - Date.now();
    if (remaining <= 0)
      return { ok: false, code: "STEP_TIMEOUT", message: `${what}: ${timeLimit(o.timeoutMs)}`, step: index };
    o.onStep?.(index, step);
    const end = await runOne(o, workDir, launch.command(step.run), remaining, graceMs, budget);
    switch (end.kind) {
      case "exit":
        if (end.code === 0) continue;
        return {
          ok: false,
          code: "STEP_FAILED",
          message:
            end.code !== null
              ? `${what} exited with code ${end.code}`
              : `${what} was ended by ${end.signal ?? "a signal"}`,
          step: index,
          ...(end.code !== null ? { exitCode: end.code } : {}),
          ...(end.signal !== null ? { signal: end.signal } : {}),
        };
      case "spawn":
        return {
          ok: false,
          code: "STEP_FAILED",
          message: `${what} could not start: ${end.message}`,
          step: index,
        };
      case "timeout":
        return {
          ok: false,
          code: "STEP_TIMEOUT",
          message: `${what}: ${timeLimit(o.timeoutMs)}`,
          step: index,
        };
      case "output":
        return {
          ok: false,
          code: "OUTPUT_LIMIT",
          message: `${what}: the output passed the cap of ${o.outputCapBytes ?? DEFAULT_OUTPUT_CAP_BYTES} bytes; the step was stopped`,
          step: index,
        };
      case "cancelled":
        return { ok: false, code: "CANCELLED", message: `${what}: cancelled`, step: index };
    }
  }
  return { ok: true };
}

function timeLimit(ms: number): string {
  return `the build steps' time limit of ${ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`} (build.timeout) ran out; the step was stopped`;
}

type StepEnd =
  | { kind: "exit"; code: number | null; signal: string | null }
  | { kind: "spawn"; message: string }
  | { kind: "timeout" | "output" | "cancelled" };

/** Runs one step to its end and until its process group is gone. */
function runOne(
  o: RunStepsOptions,
  workDir: string,
  cmd: { file: string; args: string[] },
  remainingMs: number,
  graceMs: number,
  budget: { left: number },
): Promise<StepEnd> {
  return new Promise((resolve) => {
    const ids = switchUser(o.runAs);
    let child: ChildProcessByStdio<null, Readable, Readable>;
    try {
      child = spawn(cmd.file, cmd.args, {
        cwd: workDir,
        env: o.env,
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
        ...(ids ?? {}),
      });
    } catch (e) {
      // Some failures (ENOTDIR, EACCES on the folder) are thrown rather than emitted.
      resolve({ kind: "spawn", message: (e as Error).message });
      return;
    }
    let stopReason: "timeout" | "output" | "cancelled" | undefined;
    let exit: { code: number | null; signal: string | null } | undefined;
    let spawnError: Error | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    let killing = false;
    const pgid = child.pid;

    const signalGroup = (sig: NodeJS.Signals) => {
      if (pgid === undefined) return;
      try {
        process.kill(-pgid, sig);
      } catch {}
    };
    // SIGTERM to the whole group, SIGKILL to what is left after the grace period.
    const killGroup = () => {
      if (killing) return;
      killing = true;
      signalGroup("SIGTERM");
      killTimer = setTimeout(() => signalGroup("SIGKILL"), graceMs);
    };
    const stop = (reason: "timeout" | "output" | "cancelled") => {
      stopReason ??= reason;
      killGroup();
    };
    const limit = setTimeout(() => stop("timeout"), remainingMs);
    const onAbort = () => stop("cancelled");
    o.signal?.addEventListener("abort", onAbort, { once: true });
    if (o.signal?.aborted) stop("cancelled");

    const streams = (["stdout", "stderr"] as const).map((name) => {
      const decoder = new TextDecoder("utf-8");
      const redactor = createRedactor(o.redact);
      const source = child[name];
      const emit = (text: string) => {
        if (text !== "") o.onOutput(name, text);
      };
      source.on("data", (chunk: Buffer) => {
        if (stopReason === "output") return;
        let bytes: Uint8Array = chunk;
        if (bytes.length > budget.left) {
          bytes = bytes.subarray(0, budget.left);
          stop("output");
        }
        budget.left -= bytes.length;
        emit(redactor.push(decoder.decode(bytes, { stream: true })));
      });
      const closed = new Promise<void>((done) => source.once("close", done));
      return {
        closed,
        end() {
          emit(redactor.push(decoder.decode()));
          emit(redactor.flush());
          source.destroy();
        },
      };
    });

    let finishing = false;
    const finish = async () => {
      if (finishing) return;
      finishing = true;
      clearTimeout(limit);
      o.signal?.removeEventListener("abort", onAbort);
      // The shell is gone; background children it left are stopped the same way.
      if (groupAlive(pgid)) killGroup();
      while (groupAlive(pgid)) await sleep(20);
      clearTimeout(killTimer);
      // A process that left the group (setsid) may still hold the pipes: stop reading after the grace period.
      if (spawnError === undefined) {
        let wait: NodeJS.Timeout | undefined;
        await Promise.race([
          Promise.all(streams.map((s) => s.closed)),
          new Promise<void>((r) => {
            wait = setTimeout(r, graceMs);
          }),
        ]);
        clearTimeout(wait);
      }
      for (const s of streams) s.end();
      if (spawnError) resolve({ kind: "spawn", message: spawnError.message });
      else if (stopReason) resolve({ kind: stopReason });
      else resolve({ kind: "exit", code: exit?.code ?? null, signal: exit?.signal ?? null });
    };
    child.once("error", (e) => {
      spawnError = e;
      if (child.pid === undefined) void finish();
    });
    child.once("exit", (code, signal) => {
      exit = { code, signal };
      void finish();
    });
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Whether any live process (zombies do not count: an init that does not reap leaves them) is in the
 * process group. Reads /proc; where there is none, asks the kernel (signal 0 to the group).
 */
export function groupAlive(pgid: number | undefined): boolean {
  if (pgid === undefined) return false;
  try {
    process.kill(-pgid, 0);
  } catch {
    return false;
  }
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((n) => /^\d+$/.test(n));
  } catch {
    return true;
  }
  for (const pid of pids) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    } catch {
      continue;
    }
    // pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses, so read after the last ')'.
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(f[2]) === pgid && f[0] !== "Z" && f[0] !== "X") return true;
  }
  return false;
}
