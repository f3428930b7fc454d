/**
 * One job attempt on a build agent, from a claim to a package file on disk: a fresh work folder, every
 * source streamed into it under its access name and checked against the sha256 the build recorded, the
 * user's build steps that apply to the job's packager (RUNNER's runSteps, only when the job has some; a
 * step with `packagers` runs only for jobs of those), then the package written by
 * @packyard/formats' build API, unsigned (the server signs when it publishes).
 *
 * Failures come back as values, never thrown: `retry` says whether another attempt may succeed
 * (infrastructure: a source that could not be fetched or did not match, a full disk) or not (the user's
 * step failed, the config or spec was refused by the formats library).
 */
import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { chmod, chown, lstat, mkdir, readdir, readlink, realpath, rm, stat } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import type { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { FORMATS, formatForPackager, isPackyardError, loadConfig } from "@packyard/formats";
import { build, buildSettingsOf, stepsFor, stepsTimeoutSeconds } from "@packyard/formats/build";
import { confinedConfigHost } from "./confined-host.ts";
import type { Packager } from "../builds/catalogue.ts";
import { jobArch } from "../builds/requests.ts";
import type { ClaimPayload } from "./client.ts";
import type { RunAs, Sandbox } from "./steps.ts";

/** An access name as the uploads API accepts it (one path segment, never `.` or `..`). */
const ACCESS_NAME = /^[A-Za-z0-9._-]{1,128}$/;

/** Where a job's log lines go: the steps' output, and `system` lines saying what the agent does. */
export type LogStream = "stdout" | "stderr" | "system";

/** One source of a claimed job, as the claim payload lists it. */
export type JobSource = ClaimPayload["sources"][number];

export interface ExecuteOptions {
  /** Folder that holds the work folders (`job-<id>-<attempt>`) and output folders of the jobs. */
  workRoot: string;
  /** Opens a source's bytes (the agent: GET its signed URL). */
  fetch(source: JobSource): Promise<ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>>;
  /** The unprivileged user steps run as (the work folder is chowned to it). */
  runAs?: RunAs;
  /** Isolation of the steps: bubblewrap when present (`auto`), always (`bwrap`), or none. */
  sandbox: Sandbox;
  /** The agent's environment: `build.env` names not among the project's secrets are taken from it. */
  env: NodeJS.ProcessEnv;
  onLog(stream: LogStream, text: string): void;
  /** Aborts the job (cancelled, or the lease is lost): the step's process group is killed. */
  signal?: AbortSignal;
}

export type ExecuteResult =
  | {
      ok: true;
      /** The package file (in the job's output folder, outside the work folder). */
      file: string;
      fileName: string;
      sha256: string;
      size: number;
      /** Removes the output folder; call it once the file is uploaded (or given up on). */
      dispose(): Promise<void>;
    }
  | { ok: false; code: string; message: string; retry: boolean };

/** A failure of the attempt with its job failure code (jobs.failure_code). */
class JobFailure extends Error {
  readonly code: string;
  readonly retry: boolean;
  constructor(code: string, message: string, retry: boolean) {
    super(message);
    this.code = code;
    this.retry = retry;
  }
}

function cancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw new JobFailure("CANCELLED", "the job was cancelled", false);
}

/**
 * Runs one claimed job. Returns the package written, or the failure with its code: SOURCE_MISMATCH
 * (retry), STEP_FAILED / STEP_TIMEOUT / OUTPUT_LIMIT (from the steps, not retried), BUILD_FAILED (the
 * formats library refused the config or spec, not retried), CANCELLED, AGENT_ERROR (anything else on this
 * machine: retried). The work folder is removed before it returns, whatever happened.
 */
export async function executeJob(job: ClaimPayload, o: ExecuteOptions): Promise<ExecuteResult> {
  const name = `job-${job.id}-${job.attempt}`;
  const work = join(o.workRoot, name);
  const out = join(o.workRoot, `${name}.out`);
  let keepOut = false;
  try {
    await prepareWorkRoot(o.workRoot, o.runAs);
    // A folder left by an earlier run of this agent with the same attempt (a crash) is stale.
    await rm(work, { recursive: true, force: true });
    await rm(out, { recursive: true, force: true });
    await mkdir(work, { mode: 0o700 });
    await mkdir(out, { mode: 0o700 });
    if (o.runAs !== undefined) await chown(work, o.runAs.uid, o.runAs.gid);

    for (const source of job.sources) {
      cancelled(o.signal);
      await fetchSource(source, work, o);
    }

    if (job.hasSteps) {
      cancelled(o.signal);
      await runJobSteps(job, work, o);
      if (o.runAs !== undefined) await refuseEscapingLinks(work);
    }

    cancelled(o.signal);
    o.onLog("system", `building the ${job.format} package for ${job.arch}`);
    const built = await buildUnsigned({
      configText: job.config,
      baseDir: work,
      packager: job.format,
      version: job.version,
      arch: job.arch,
      date: job.sourceDateEpoch,
      outDir: out,
    });
    o.onLog("system", `built ${built.fileName} (${built.size} bytes, sha256 ${built.sha256})`);
    keepOut = true;
    return { ok: true, ...built, dispose: () => rm(out, { recursive: true, force: true }) };
  } catch (e) {
    if (e instanceof JobFailure) return { ok: false, code: e.code, message: e.message, retry: e.retry };
    if (o.signal?.aborted === true)
      return { ok: false, code: "CANCELLED", message: "the job was cancelled", retry: false };
    return {
      ok: false,
      code: "AGENT_ERROR",
      message: `the agent failed: ${(e as Error).message ?? String(e)}`,
      retry: true,
    };
  } finally {
    await rm(work, { recursive: true, force: true }).catch(() => undefined);
    if (!keepOut) await rm(out, { recursive: true, force: true }).catch(() => undefined);
  }
}

/**
 * Makes the work root (0700; 0711 when steps run as another user, who must reach its work folder inside
 * without listing the others) and checks it is this process's own: a folder another user made in /tmp
 * beforehand could be swapped under the agent.
 */
async function prepareWorkRoot(workRoot: string, runAs: RunAs | undefined): Promise<void> {
  await mkdir(workRoot, { recursive: true, mode: 0o700 });
  const st = await lstat(workRoot);
  const uid = process.getuid?.();
  if (!st.isDirectory() || (uid !== undefined && st.uid !== uid))
    throw new JobFailure(
      "AGENT_ERROR",
      `work folder ${workRoot}: expected a folder owned by uid ${uid}, found ${st.isDirectory() ? `one owned by uid ${st.uid}` : "something else"}`,
      true,
    );
  const mode = runAs !== undefined ? 0o711 : 0o700;
  if ((st.mode & 0o777) !== mode) await chmod(workRoot, mode);
}

/** Streams one source to `<work>/<accessName>`, hashing it; a different sha256 or size is SOURCE_MISMATCH. */
async function fetchSource(source: JobSource, work: string, o: ExecuteOptions): Promise<void> {
  if (!ACCESS_NAME.test(source.accessName) || source.accessName === "." || source.accessName === "..")
    throw new JobFailure(
      "AGENT_ERROR",
      `source access name ${JSON.stringify(source.accessName)} is not one path segment of A-Z a-z 0-9 . _ -`,
      false,
    );
  const path = join(work, source.accessName);
  o.onLog("system", `fetching source ${source.accessName} (${source.size} bytes)`);
  const hash = createHash("sha256");
  let size = 0;
  let body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;
  try {
    body = await o.fetch(source);
  } catch (e) {
    throw new JobFailure(
      "AGENT_ERROR",
      `fetching source ${source.accessName} failed: ${(e as Error).message ?? String(e)}`,
      true,
    );
  }
  async function* counted(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    for await (const c of chunks) {
      size += c.length;
      hash.update(c);
      yield c;
    }
  }
  try {
    await pipeline(
      counted(body as AsyncIterable<Uint8Array>),
      createWriteStream(path, { flags: "wx", mode: 0o644, signal: o.signal }) as Writable,
    );
  } catch (e) {
    cancelled(o.signal);
    throw new JobFailure(
      "AGENT_ERROR",
      `fetching source ${source.accessName} failed: ${(e as Error).message ?? String(e)}`,
      true,
    );
  }
  const sha256 = hash.digest("hex");
  if (sha256 !== source.sha256.toLowerCase() || size !== source.size)
    throw new JobFailure(
      "SOURCE_MISMATCH",
      `source ${source.accessName}: expected sha256 ${source.sha256} (${source.size} bytes), ` +
        `received sha256 ${sha256} (${size} bytes)`,
      true,
    );
  if (o.runAs !== undefined) await chown(path, o.runAs.uid, o.runAs.gid);
}

/** The config's `build:` block as the steps need it (parsed leniently: the server checked it on upload). */
interface StepSettings {
  steps: { run: string; name?: string }[];
  timeoutMs: number;
  env: string[];
}

/** Runs the job's build steps in the work folder; a failing step ends the job (not retried). */
async function runJobSteps(job: ClaimPayload, work: string, o: ExecuteOptions): Promise<void> {
  let settings: StepSettings;
  try {
    settings = stepSettings(job.config, work, job.format);
  } catch (e) {
    throw new JobFailure("BUILD_FAILED", (e as Error).message, false);
  }
  if (settings.steps.length === 0) {
    o.onLog("system", `no build step applies to ${job.format} jobs (build.steps[].packagers)`);
    return;
  }
  // The step runner is loaded only for jobs with steps.
  const { runSteps, stepEnvironment } = await import("./steps.ts");
  const secrets = job.secrets ?? {};
  const env = stepEnvironment(o.env, settings.env, secrets, {
    HOME: work,
    SOURCE_DATE_EPOCH: String(job.sourceDateEpoch),
  });
  const result = await runSteps({
    workDir: work,
    steps: settings.steps,
    timeoutMs: settings.timeoutMs,
    env,
    ...(o.runAs !== undefined ? { runAs: o.runAs } : {}),
    sandbox: o.sandbox,
    redact: Object.values(secrets),
    onOutput: (stream, text) => o.onLog(stream, text),
    onStep: (i, step) =>
      o.onLog("system", `step ${i + 1} of ${settings.steps.length}: ${step.name ?? step.run.split("\n")[0]}`),
    ...(o.signal !== undefined ? { signal: o.signal } : {}),
  });
  if (!result.ok) {
    cancelled(o.signal);
    // Bubblewrap asked for but missing here: another agent may have it.
    if (result.code === "SANDBOX_UNAVAILABLE") throw new JobFailure("AGENT_ERROR", result.message, true);
    throw new JobFailure(result.code, result.message, false);
  }
}

/**
 * Reads `build.steps` (as written: the shell expands `$VAR`) that apply to `packager` (no `packagers`, or
 * `packagers` naming it), `build.timeout` and `build.env`.
 */
function stepSettings(configText: string, baseDir: string, packager: string): StepSettings {
  const config = loadConfig({
    text: configText,
    baseDir,
    env: {},
    formats: FORMATS,
    host: confinedConfigHost(baseDir),
  });
  const s = buildSettingsOf(config, baseDir);
  return {
    steps: stepsFor(s, packager),
    timeoutMs: stepsTimeoutSeconds(s) * 1000,
    env: s.env ?? [],
  };
}

/**
 * After the steps ran as another user: no symbolic link in the work folder may lead the build, which reads
 * the work folder with the agent's rights, to what that user could not read. Refused: a link to a folder
 * outside the work folder (a path through it reaches anything below), and a link to a file outside it that
 * is not world-readable (scripts and changelogs are read through links). Allowed: links inside the folder,
 * dangling ones, and links to world-readable files (packaged as links; the step could read them anyway).
 * Hard links to others' files are the kernel's to refuse (fs.protected_hardlinks).
 */
async function refuseEscapingLinks(work: string): Promise<void> {
  const root = await realpath(work);
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isSymbolicLink()) {
        const target = await realpath(path).catch(() => undefined);
        if (target === undefined || target === root || target.startsWith(root + sep)) continue;
        const st = await stat(target);
        const why = st.isDirectory()
          ? "a folder outside the work folder"
          : (st.mode & 0o004) === 0
            ? "a file outside the work folder that the build steps' user may not read"
            : undefined;
        if (why === undefined) continue;
        const to = await readlink(path).catch(() => target);
        throw new JobFailure(
          "BUILD_FAILED",
          `${relative(root, path)} is a symbolic link to ${to}, ${why}: the package may hold only what the build steps could read`,
          false,
        );
      } else if (entry.isDirectory()) await walk(path);
    }
  };
  await walk(root);
}

export interface UnsignedBuild {
  /** packyard.yml as stored. */
  configText: string;
  /** Folder its relative paths resolve against (the work folder). */
  baseDir: string;
  /** The job's packager: deb, rpm, archlinux or apk. */
  packager: string;
  /** The build's version: written instead of the config's `version:` (one stored config, many versions). */
  version: string;
  /** The job's architecture: the config's top-level `arch` as written (default amd64). */
  arch: string;
  /** SOURCE_DATE_EPOCH of the build. */
  date: number;
  /** Folder the package is written into. */
  outDir: string;
}

/**
 * Writes one package from a stored packyard.yml, unsigned: `signature:` settings of the format blocks are
 * dropped before the build (the server signs when it publishes; the agent has no keys), no checksums file
 * or manifest is written, and `$VAR`s expand to nothing (an empty environment). Throws JobFailure
 * BUILD_FAILED when the formats library refuses the config or spec, or when the config's architecture is
 * not the job's.
 */
export async function buildUnsigned(
  b: UnsignedBuild,
): Promise<{ file: string; fileName: string; sha256: string; size: number }> {
  try {
    // The config is user input: it reads only inside the work folder (confined-host.ts).
    const config = loadConfig({
      text: b.configText,
      baseDir: b.baseDir,
      env: {},
      formats: FORMATS,
      host: confinedConfigHost(b.baseDir),
      version: b.version,
    });
    const format = formatForPackager(b.packager, FORMATS);
    // The architecture as the build request chose the job's (one rule: requests.ts's jobArch).
    const written = jobArch(config.raw, format.id as Packager);
    if (written !== b.arch)
      throw new JobFailure(
        "BUILD_FAILED",
        `packyard.yml: arch is ${JSON.stringify(written)}, the job builds ${JSON.stringify(b.arch)}`,
        false,
      );
    const resolved = await config.resolve(format.id, { date: b.date });
    const options = unsigned(resolved.options);
    if (format.config.signing?.(options) !== undefined)
      throw new JobFailure(
        "AGENT_ERROR",
        `the ${format.id} options still name signing material after the signature settings were dropped`,
        false,
      );
    const result = await build(
      {
        spec: resolved.spec,
        options: { [format.id]: options },
        checksum: { disable: true },
        baseDir: b.baseDir,
      },
      {
        formats: [b.packager],
        target: b.outDir,
        date: b.date,
        env: {},
        writeManifest: false,
        registry: FORMATS,
      },
    );
    const artifact = result.manifest.artifacts.find((a) => a.kind === "package");
    if (artifact === undefined) throw new JobFailure("AGENT_ERROR", "the build wrote no package", true);
    const file = join(result.dir, artifact.file);
    const size = (await stat(file)).size;
    return { file, fileName: artifact.file, sha256: artifact.sha256, size };
  } catch (e) {
    if (e instanceof JobFailure) throw e;
    if (isPackyardError(e)) throw new JobFailure("BUILD_FAILED", e.message, false);
    throw e;
  }
}

/** A format's options without its signing settings (`signature:`; macOS's `signing:`). */
function unsigned(options: unknown): unknown {
  if (options === null || typeof options !== "object") return options;
  const { signature: _s, signing: _g, ...rest } = options as Record<string, unknown>;
  return rest;
}
