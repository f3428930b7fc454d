/** `packyard remote …`'s work (commands/remote.ts describes the command). */
import { basename, resolve } from "node:path";
import type { CommandIo, Flags, RunCommand } from "../command.ts";
import { REMOTE_SUBCOMMANDS, type RemoteSubcommand } from "../commands/remote.ts";
import { listFlag, stringFlag } from "../flags.ts";
import { errorLabel } from "../paint.ts";
import { UsageError } from "../usage-error.ts";
import { type BuildView, buildText, jobLabel } from "./build-view.ts";
import { clientFor, type RemoteClient, seg } from "./client.ts";
import { remoteSettings } from "./config.ts";
import { followLogs, type LogEntry } from "./sse.ts";
import { uploadFile } from "./upload-file.ts";

/** The flags each subcommand takes (parseArgs accepts the union; the others are refused by name). */
const ALLOWED: Readonly<Record<RemoteSubcommand, readonly string[]>> = {
  build: ["project", "package", "version", "distro", "force", "no-wait", "json"],
  status: ["json"],
  targets: ["json"],
  publish: ["project", "package", "version", "json"],
};

/** Positionals after the subcommand. */
const POSITIONALS: Readonly<Record<RemoteSubcommand, { min: number; max: number; name: string }>> = {
  build: { min: 0, max: 0, name: "" },
  status: { min: 1, max: 1, name: "BUILD" },
  targets: { min: 0, max: 0, name: "" },
  publish: { min: 1, max: Number.POSITIVE_INFINITY, name: "FILE" },
};

/** How many of a failed job's last log lines `remote build` prints. */
export const FAILURE_LINES = 20;

function required(flags: Flags, name: string, sub: string): string {
  const v = stringFlag(flags, name);
  if (v === undefined || v === "")
    throw new UsageError(`missing --${name} (packyard remote ${sub} needs it)`, "remote");
  return v;
}

export const run: RunCommand = async (flags, positionals, io) => {
  const sub = positionals[0] as RemoteSubcommand;
  if (!REMOTE_SUBCOMMANDS.includes(sub))
    throw new UsageError(
      `unknown subcommand '${positionals[0]}' (expected one of: ${REMOTE_SUBCOMMANDS.join(", ")})`,
      "remote",
    );
  for (const [name, value] of Object.entries(flags)) {
    if (value === undefined || name === "help" || name === "debug") continue;
    if (!ALLOWED[sub].includes(name))
      throw new UsageError(`--${name} does not apply to packyard remote ${sub}`, "remote");
  }
  const rest = positionals.slice(1);
  const shape = POSITIONALS[sub];
  if (rest.length < shape.min)
    throw new UsageError(`missing ${shape.name} (packyard remote ${sub})`, "remote");
  if (rest.length > shape.max) throw new UsageError(`unexpected argument '${rest[shape.max]}'`, "remote");
  const settings = await remoteSettings(io.env);
  const client = clientFor(settings, sub !== "targets");
  const json = flags.json === true;
  switch (sub) {
    case "build":
      return remoteBuild(client, flags, io);
    case "status": {
      const id = buildId(rest[0]!);
      const view = await client.call<BuildView>("GET", `/api/v1/builds/${id}`);
      io.out(json ? `${JSON.stringify(view, null, 2)}\n` : buildText(view));
      return 0;
    }
    case "targets":
      return remoteTargets(client, json, io);
    case "publish":
      return remotePublish(client, flags, rest, io);
  }
};

function buildId(text: string): number {
  const m = /^#?(\d{1,15})$/.exec(text);
  if (m === null) throw new UsageError(`expected a build id (a number), found '${text}'`, "remote");
  return Number(m[1]);
}

/** One catalogue target as GET /api/v1/targets lists it. */
interface Target {
  id: string;
  name: string;
  family: string;
  format: string;
  packager: string;
  architectures: string[];
  deprecated: string | null;
  environment: string;
  labels: string[];
}

async function remoteTargets(client: RemoteClient, json: boolean, io: CommandIo): Promise<number> {
  const answer = await client.call<{ targets: Target[] }>("GET", "/api/v1/targets");
  if (json) {
    io.out(`${JSON.stringify(answer, null, 2)}\n`);
    return 0;
  }
  const rows = answer.targets.map((t) => [
    t.id,
    t.name,
    t.packager,
    t.architectures.join(","),
    t.deprecated !== null ? `deprecated: ${t.deprecated}` : "",
  ]);
  const widths = [0, 1, 2, 3].map((i) => Math.max(0, ...rows.map((r) => r[i]!.length)));
  for (const r of rows)
    io.out(
      `${r
        .map((cell, i) => (i < 4 ? cell.padEnd(widths[i]!) : cell))
        .join("  ")
        .trimEnd()}\n`,
    );
  return 0;
}

/** A log entry as `remote build` prints it: each line prefixed with its job, stderr and system lines marked. */
function entryLines(entry: LogEntry, label: string): string[] {
  const mark = entry.stream === "system" ? "** " : entry.stream === "stderr" ? "! " : "";
  const text = entry.text.endsWith("\n") ? entry.text.slice(0, -1) : entry.text;
  return text.split("\n").map((line) => `[${label}] ${mark}${line}`);
}

async function remoteBuild(client: RemoteClient, flags: Flags, io: CommandIo): Promise<number> {
  const project = required(flags, "project", "build");
  const pkg = required(flags, "package", "build");
  const version = required(flags, "version", "build");
  const targets = listFlag(flags, "distro");
  const json = flags.json === true;
  const created = await client.call<BuildView>(
    "POST",
    `/api/v1/projects/${seg(project)}/packages/${seg(pkg)}/builds`,
    {
      json: {
        version,
        ...(targets.length > 0 ? { targets } : {}),
        ...(flags.force === true ? { force: true } : {}),
      },
    },
  );
  for (const w of created.warnings) io.err(`warning: ${w.code}: ${w.message}\n`);
  if (flags["no-wait"] === true) {
    io.out(json ? `${JSON.stringify(created, null, 2)}\n` : `${created.id}\n`);
    return 0;
  }
  io.err(
    `build ${created.id}: ${created.project}/${created.package} ${created.version}, ${created.jobs.length} job${created.jobs.length === 1 ? "" : "s"}: ${created.jobs.map(jobLabel).join("; ")}\n`,
  );
  // Log lines go to stdout, or to stderr when stdout carries the JSON.
  const print = json ? io.err : io.out;
  const labels = new Map(created.jobs.map((j) => [j.id, `${j.format} ${j.arch}`]));
  const lastLines = new Map<number, string[]>();
  await followLogs(client, created.id, {
    onEntry(entry) {
      const lines = entryLines(entry, labels.get(entry.jobId) ?? `job ${entry.jobId}`);
      print(`${lines.join("\n")}\n`);
      const kept = lastLines.get(entry.jobId) ?? [];
      kept.push(...lines);
      lastLines.set(entry.jobId, kept.slice(-FAILURE_LINES));
    },
    onReconnect(last, reason) {
      io.err(`log stream interrupted (${reason}); resuming after entry ${last ?? 0}\n`);
    },
  });
  const view = await client.call<BuildView>("GET", `/api/v1/builds/${created.id}`);
  if (json) io.out(`${JSON.stringify(view, null, 2)}\n`);
  if (view.state === "succeeded") {
    io.err(`build ${view.id} succeeded\n`);
    for (const job of view.jobs)
      if (job.artifact !== null) io.err(`  ${jobLabel(job)}: ${job.artifact.fileName}\n`);
    return 0;
  }
  io.err(`${errorLabel(io.color)} build ${view.id} ${view.state}\n`);
  for (const job of view.jobs) {
    if (job.state === "succeeded") continue;
    const why = job.failure !== null ? `${job.failure.code}: ${job.failure.message}` : job.state;
    io.err(`  ${job.targets.join(", ")} (${job.format} ${job.arch}, job ${job.id}): ${why}\n`);
    const lines = lastLines.get(job.id) ?? [];
    if (lines.length > 0) io.err(`    last log lines:\n${lines.map((l) => `      ${l}\n`).join("")}`);
  }
  return 1;
}

interface Artifact {
  fileName: string;
  name: string;
  version: string;
  arch: string;
  sha256: string;
  size: number;
}

async function remotePublish(
  client: RemoteClient,
  flags: Flags,
  files: readonly string[],
  io: CommandIo,
): Promise<number> {
  const project = required(flags, "project", "publish");
  const { fileSource, formatSemver, readPackage } = await import("../formats.ts");
  const releases = new Map<string, { package: string; version: string }>();
  const uploaded: (Artifact & { package: string; release: string })[] = [];
  for (const file of files) {
    const path = resolve(io.cwd, file);
    const fileName = basename(path);
    // The package and release default to the file's own name and upstream version, read from it.
    const info = await readPackage(await fileSource(path), fileName);
    const pkg = stringFlag(flags, "package") ?? info.name;
    const version = stringFlag(flags, "version") ?? formatSemver(info.version);
    const a = await uploadFile<Artifact>(
      client,
      `/api/v1/projects/${seg(project)}/packages/${seg(pkg)}/releases/${seg(version)}/artifacts/${seg(fileName)}`,
      path,
      io,
      fileName,
    );
    io.err(`uploaded ${fileName} to ${pkg} ${version}\n`);
    uploaded.push({ ...a, package: pkg, release: version });
    releases.set(`${pkg}\0${version}`, { package: pkg, version });
  }
  const result = await client.call<{
    added: { name: string; version: string; arch: string; root?: string }[];
    unchanged: unknown[];
    removed: unknown[];
    roots: string[];
    warnings: { code?: string; message: string }[];
  }>("POST", `/api/v1/projects/${seg(project)}/repository/publish`, {
    json: { add: [...releases.values()] },
  });
  for (const w of result.warnings)
    io.err(`warning: ${w.code !== undefined ? `${w.code}: ` : ""}${w.message}\n`);
  if (flags.json === true) {
    io.out(`${JSON.stringify({ uploaded, publish: result }, null, 2)}\n`);
    return 0;
  }
  io.out(
    `published ${project}: ${result.added.length} added, ${result.unchanged.length} unchanged, ${result.removed.length} removed${result.roots.length > 0 ? ` (${result.roots.join(", ")})` : ""}\n`,
  );
  for (const a of result.added)
    io.out(`  + ${a.name} ${a.version} ${a.arch}${a.root !== undefined ? ` ${a.root}` : ""}\n`);
  return 0;
}
