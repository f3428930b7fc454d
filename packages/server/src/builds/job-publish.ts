/**
 * Publishing a finished job: the package its agent (or worker) uploaded is read once with the formats
 * readers and checked against what the job asked for (name, version, format, architecture: else
 * ARTIFACT_INVALID, not retried); it becomes an artifact of the build's release (release row made when
 * missing, the PackageInfo stored as uploads store theirs); the release is published through
 * repos/publish.ts under the repository's publish lock, signed with the project's keys; then the job is
 * `succeeded` with its artifact.
 *
 * Keyed by job id: a job not in `publishing` (already succeeded, failed, cancelled) is left alone, so a
 * second call does nothing; calls in one process for one job share one run; an artifact row already made
 * for the job's bytes (a publish cut by a crash) is reused. {@link resumePublishing} runs at start-up for
 * jobs a stopped server left in `publishing`.
 *
 * Targets: a package is published where the repository's settings put its family (one APT suite, the
 * rpm and Alpine roots of `rpm.targets` / `alpine.targets`, the one pacman repository), as every publish of
 * the repository does. A build request takes only targets the repository serves (requests.ts'
 * servesTarget), so each of the job's targets gets the package; the repository's other targets of the
 * family get it too (a job's bytes are the same for every target of its packager and architecture). When
 * the settings changed since the request and no longer serve one of the job's targets (a suite renamed, an
 * rpm target swapped), the job fails PUBLISH_FAILED naming them rather than publishing its package for
 * another distribution.
 */
import {
  bytesSource,
  FORMATS,
  formatIdForPackager,
  type PackageInfo,
  type PackageSpec,
  parseArch,
  parseVersion,
  readPackage,
  writePackage,
} from "@packyard/formats";
import { isRepoError } from "@packyard/repo";
import type { Tx } from "../db/db.ts";
import { isUniqueViolation } from "../db/driver-error.ts";
import { isServerError, ServerError } from "../errors.ts";
import { type PublishDeps, publishRepository } from "../repos/publish.ts";
import { findRepository } from "../repos/settings.ts";
import { blobKey, lockBlob, storageSource } from "../uploads/blob-store.ts";
import { insertArtifact } from "../uploads/artifacts.ts";
import { failPublish, finishPublish, jobsPublishing } from "./queue.ts";
import { loadStoredConfig, servesTarget } from "./requests.ts";

/** What publishing a job needs: the app's publish dependencies and, optionally, a logger. */
export interface JobPublishDeps extends PublishDeps {
  logger?: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
  /** Publish attempts when the repository's lock stays taken (LOCK_TIMEOUT); default 3. */
  lockAttempts?: number;
}

/** A job's upload and what it must be, as {@link checkJobArtifact} reads them. */
export interface JobToPublish {
  jobId: number;
  state: string;
  /** Packager name: deb, rpm, archlinux, apk. */
  format: string;
  arch: string;
  targets: string[];
  uploadSha256: string | null;
  uploadFileName: string | null;
  uploadSize: number | null;
  artifactId: number | null;
  buildId: number;
  version: string;
  config: string;
  requestedBy: number | null;
  packageId: number;
  packageName: string;
  projectId: number;
  projectSlug: string;
}

interface JobRow {
  id: number;
  state: string;
  format: string;
  arch: string;
  targets: string[];
  upload_sha256: string | null;
  upload_file_name: string | null;
  upload_size: number | null;
  artifact_id: number | null;
  build_id: number;
  version: string;
  config: string;
  requested_by: number | null;
  package_id: number;
  package_name: string;
  project_id: number;
  project_slug: string;
}

/** The job with its build, package and project; undefined when there is no such job. */
export async function jobToPublish(db: PublishDeps["db"], jobId: number): Promise<JobToPublish | undefined> {
  const { rows } = await db.query<JobRow>(
    `SELECT j.id, j.state, j.format, j.arch, j.targets, j.upload_sha256, j.upload_file_name, bl.size AS upload_size,
            j.artifact_id, j.build_id, b.version, b.config, b.requested_by, b.package_id, p.name AS package_name,
            b.project_id, pr.slug AS project_slug
       FROM jobs j
       JOIN builds b ON b.id = j.build_id
       JOIN packages p ON p.id = b.package_id
       JOIN projects pr ON pr.id = b.project_id
       LEFT JOIN blobs bl ON bl.sha256 = j.upload_sha256
      WHERE j.id = $1`,
    [jobId],
  );
  const r = rows[0];
  if (r === undefined) return undefined;
  return {
    jobId: r.id,
    state: r.state,
    format: r.format,
    arch: r.arch,
    targets: r.targets,
    uploadSha256: r.upload_sha256,
    uploadFileName: r.upload_file_name,
    uploadSize: r.upload_size === null ? null : Number(r.upload_size),
    artifactId: r.artifact_id,
    buildId: r.build_id,
    version: r.version,
    config: r.config,
    requestedBy: r.requested_by,
    packageId: r.package_id,
    packageName: r.package_name,
    projectId: r.project_id,
    projectSlug: r.project_slug,
  };
}

/** Names the package may have: the config's `name`, and `overrides.<packager>.name` when set. */
function expectedNames(
  config: string,
  packager: string,
): { names: string[]; versionSchema: "semver" | "none" } {
  const raw = loadStoredConfig(config);
  const names: string[] = [];
  if (typeof raw.name === "string") names.push(raw.name);
  const override = (raw.overrides as Record<string, { name?: unknown }> | undefined)?.[packager]?.name;
  if (typeof override === "string") names.push(override);
  return { names, versionSchema: raw.version_schema === "none" ? "none" : "semver" };
}

const ONE_FILE = new TextEncoder().encode("x\n");

/**
 * The version string `format` writes for the build's version with the release and epoch the package
 * carries (formats add those): written by the format's own writer into a one-file package and read back,
 * so the comparison is the format's own spelling (`1.2.3~rc.1-1`, `1.2.3_rc1-r1`, `1.2.3rc.1-1`).
 */
async function writtenVersion(
  format: string,
  info: PackageInfo,
  version: string,
  schema: "semver" | "none",
): Promise<string> {
  const v = { ...parseVersion(version, { schema }) } as PackageSpec["version"];
  if (info.version.release !== undefined) v.release = info.version.release;
  if (info.version.epoch !== undefined) v.epoch = info.version.epoch;
  const own = { owner: { name: "root", id: 0 }, group: { name: "root", id: 0 } };
  const spec = {
    name: info.name,
    version: v,
    arch: info.arch ?? "all",
    date: 0,
    maintainer: "packyard <packyard@invalid>",
    summary: "version check",
    description: "version check",
    license: "MIT",
    relations: {},
    scripts: {},
    changelog: [],
    entries: [{ type: "file", path: "/x", mode: 0o644, ...own, content: bytesSource(ONE_FILE) }],
  } as unknown as PackageSpec;
  const parts: Uint8Array[] = [];
  for await (const c of writePackage(format as PackageInfo["format"], spec)) parts.push(c);
  const bytes = new Uint8Array(Buffer.concat(parts));
  const suffix = { deb: ".deb", rpm: ".rpm", archlinux: ".pkg.tar.zst", apk: ".apk" }[format] ?? "";
  return (await readPackage(bytesSource(bytes), `check${suffix}`)).versionString;
}

function invalid(message: string, details: Record<string, unknown> = {}, cause?: unknown): ServerError {
  return new ServerError("ARTIFACT_INVALID", message, details, cause === undefined ? {} : { cause });
}

/**
 * Reads the job's uploaded package once and checks it: readable, the format of the job's packager, the
 * config's package name, the build's version as the format writes it, the job's architecture. Throws 422
 * ARTIFACT_INVALID saying what differs; returns the PackageInfo.
 */
export async function checkJobArtifact(deps: PublishDeps, job: JobToPublish): Promise<PackageInfo> {
  if (job.uploadSha256 === null || job.uploadFileName === null || job.uploadSize === null)
    throw invalid(`Expected job ${job.jobId} to have an uploaded package, found none`);
  const where = `${job.uploadFileName} of job ${job.jobId}`;
  let info: PackageInfo;
  try {
    info = await readPackage(
      storageSource(deps.storage, blobKey(job.uploadSha256), job.uploadSize),
      job.uploadFileName,
    );
  } catch (e) {
    if (isServerError(e)) throw e;
    throw invalid(
      `Expected ${where} to be a package the formats readers read, found: ${(e as Error).message}`,
      { fileName: job.uploadFileName },
      e,
    );
  }
  const format = formatIdForPackager(
    job.format,
    FORMATS.map((f) => f.id),
  );
  if (info.format !== format)
    throw invalid(`Expected ${where} to be a ${format} package, found a ${info.format} package`, {
      field: "format",
      expected: format,
      found: info.format,
    });
  const { names, versionSchema } = expectedNames(job.config, job.format);
  if (!names.includes(info.name))
    throw invalid(`Expected ${where} to be package ${names.join(" or ")}, found ${info.name}`, {
      field: "name",
      expected: names[0] ?? null,
      found: info.name,
    });
  const arch = parseArch(job.arch);
  if (info.arch !== arch)
    throw invalid(
      `Expected ${where} to be built for ${job.arch}, found ${info.archString}${info.arch === undefined ? " (unknown)" : ` (${info.arch})`}`,
      { field: "arch", expected: job.arch, found: info.archString },
    );
  const expected = await writtenVersion(info.format, info, job.version, versionSchema);
  if (info.versionString !== expected)
    throw invalid(
      `Expected ${where} to have version ${expected} (build version ${job.version} as ${info.format} writes it), found ${info.versionString}`,
      { field: "version", expected, found: info.versionString },
    );
  return info;
}

/**
 * The artifact row of the job's package in the build's release, made when missing (and the release with
 * it); an artifact of the same format, name, version and architecture with the same bytes is reused. Other
 * bytes under that identity are PUBLISH_FAILED (VERSION_EXISTS in the message).
 */
async function ensureArtifact(deps: PublishDeps, job: JobToPublish, info: PackageInfo): Promise<number> {
  const sha256 = job.uploadSha256!;
  const held = async (tx: Tx | PublishDeps["db"]) => {
    const { rows } = await tx.query<{ id: number; blob_sha256: string; release: string }>(
      `SELECT a.id, a.blob_sha256, r.version AS release FROM artifacts a JOIN releases r ON r.id = a.release_id
        WHERE a.project_id = $1 AND a.format = $2 AND a.name = $3 AND a.version = $4 AND a.arch = $5`,
      [job.projectId, info.format, info.name, info.versionString, info.archString],
    );
    const row = rows[0];
    if (row === undefined) return undefined;
    if (row.blob_sha256 !== sha256)
      throw new ServerError(
        "VERSION_EXISTS",
        `Expected ${info.format} ${info.name} ${info.versionString} ${info.archString} to be new or the same bytes, found other bytes held (sha256 ${row.blob_sha256}, release ${row.release})`,
        { sha256: row.blob_sha256, release: row.release },
      );
    return row.id;
  };
  const existing = await held(deps.db);
  if (existing !== undefined) return existing;
  try {
    return await deps.db.transaction(async (tx) => {
      // The upload's blob row is referenced by the job already; the lock keeps the collector's rules.
      await lockBlob(tx, sha256);
      return insertArtifact(tx, {
        packageId: job.packageId,
        projectId: job.projectId,
        release: job.version,
        info,
        fileName: job.uploadFileName!,
        sha256,
        uploadedBy: job.requestedBy,
        at: deps.clock.now(),
      });
    });
  } catch (e) {
    if (isUniqueViolation(e, "artifacts_package_key")) {
      const again = await held(deps.db);
      if (again !== undefined) return again;
    }
    throw e;
  }
}

const running = new Map<number, Promise<void>>();

/**
 * Publishes job `jobId` (state `publishing`): checks its package (or takes `checked`, the PackageInfo the
 * caller already read and checked), makes its artifact, publishes the release, marks the job succeeded.
 * A job in another state is left alone. Failures end the job: ARTIFACT_INVALID for a package that is not
 * what the job asked for, PUBLISH_FAILED otherwise (a publish lock that stays taken is tried again first).
 * Never rejects for those; rejects only when even recording the failure fails.
 */
export function publishJob(deps: JobPublishDeps, jobId: number, checked?: PackageInfo): Promise<void> {
  const current = running.get(jobId);
  if (current !== undefined) return current;
  const run = publishOnce(deps, jobId, checked).finally(() => running.delete(jobId));
  running.set(jobId, run);
  return run;
}

async function publishOnce(deps: JobPublishDeps, jobId: number, checked?: PackageInfo): Promise<void> {
  const job = await jobToPublish(deps.db, jobId);
  if (job === undefined || job.state !== "publishing") return;
  let info: PackageInfo;
  try {
    info = checked ?? (await checkJobArtifact(deps, job));
  } catch (e) {
    if (!isServerError(e, "ARTIFACT_INVALID")) return fail(deps, job, e);
    deps.logger?.warn({ jobId, err: e }, "a job's package is not what the job asked for");
    await failPublish(deps.db, jobId, "ARTIFACT_INVALID", e.message);
    return;
  }
  try {
    await checkStillServed(deps, job);
    const artifactId = await ensureArtifact(deps, job, info);
    const attempts = Math.max(1, deps.lockAttempts ?? 3);
    for (let i = 1; ; i++) {
      try {
        await publishRepository(
          deps,
          { id: job.projectId, slug: job.projectSlug },
          { add: [{ package: job.packageName, version: job.version }] },
          job.requestedBy,
        );
        break;
      } catch (e) {
        const lockTimeout = isRepoError(e) && e.code === "LOCK_TIMEOUT";
        if (!lockTimeout || i >= attempts) throw e;
        deps.logger?.warn({ jobId, attempt: i }, "the repository stayed locked; publishing the job again");
      }
    }
    await finishPublish(deps.db, jobId, { artifactId });
  } catch (e) {
    await fail(deps, job, e);
  }
}

/**
 * Throws (PUBLISH_FAILED follows) when the repository's settings no longer serve every target of the job:
 * its package would go to another distribution's root, or to none.
 */
async function checkStillServed(deps: PublishDeps, job: JobToPublish): Promise<void> {
  const settings = (await findRepository(deps.db, job.projectId))?.settings ?? {};
  const gone = job.targets.filter((t) => !servesTarget(settings, t));
  if (gone.length > 0)
    throw new ServerError(
      "REPO_REFUSED",
      `the repository's settings changed since the build was requested and no longer serve ${gone.join(", ")}; request a build for the targets it serves now`,
      { repoCode: "TARGET_NOT_SERVED", notServed: gone },
    );
}

async function fail(deps: JobPublishDeps, job: JobToPublish, e: unknown): Promise<void> {
  deps.logger?.error({ jobId: job.jobId, err: e }, "publishing a job failed");
  const code = (e as { code?: unknown }).code;
  const message = `Expected to publish ${job.packageName} ${job.version} (job ${job.jobId}) to the repository of ${job.projectSlug}, found ${typeof code === "string" ? `${code}: ` : ""}${(e as Error).message ?? String(e)}`;
  await failPublish(deps.db, job.jobId, "PUBLISH_FAILED", message);
}

/** Publishes every job a stopped server left in `publishing` (start-up), one after another. */
export async function resumePublishing(deps: JobPublishDeps): Promise<number> {
  const ids = await jobsPublishing(deps.db);
  for (const id of ids) await publishJob(deps, id);
  return ids.length;
}
