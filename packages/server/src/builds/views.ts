/**
 * Builds as the API shows them (`BuildView`), read from builds, jobs and the published artifacts, and who
 * may see or act on one: a build belongs to its project, so `buildAccess` answers as project routes do
 * (404 NOT_FOUND for a project the caller cannot see, 403 FORBIDDEN for a weaker role).
 */
import type { Principal, ProjectAccess, Role } from "../app/authz.ts";
import { projectAccess, ROLES } from "../app/authz.ts";
import type { Db, Queryable } from "../db/db.ts";
import { ServerError } from "../errors.ts";

/** Build and job states. */
export type BuildState = "pending" | "running" | "publishing" | "succeeded" | "failed" | "cancelled";

/** One job of a build. */
export interface JobView {
  id: number;
  /** The packager: deb, rpm, archlinux, apk. */
  format: string;
  arch: string;
  environment: string;
  targets: string[];
  state: BuildState;
  attempt: number;
  hasSteps: boolean;
  failure: { code: string; message: string } | null;
  /** The published package. */
  artifact: { fileName: string; sha256: string } | null;
  startedAt: string | null;
  finishedAt: string | null;
}

/** A build as the API answers it (dates ISO 8601). */
export interface BuildView {
  id: number;
  /** The project's slug. */
  project: string;
  /** The package's name. */
  package: string;
  version: string;
  state: BuildState;
  targets: string[];
  force: boolean;
  trigger: "api" | "webhook" | "web";
  warnings: { code: string; message: string }[];
  sourceDateEpoch: number;
  sources: { accessName: string; sha256: string; size: number }[];
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  jobs: JobView[];
}

interface BuildRow {
  id: number;
  project: string;
  package: string;
  version: string;
  state: BuildState;
  targets: string[];
  force: boolean;
  trigger: BuildView["trigger"];
  warnings: BuildView["warnings"];
  source_date_epoch: number;
  sources: BuildView["sources"];
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

interface JobRow {
  id: number;
  build_id: number;
  format: string;
  arch: string;
  environment: string;
  targets: string[];
  state: BuildState;
  attempt: number;
  has_steps: boolean;
  failure_code: string | null;
  failure_message: string | null;
  artifact_file_name: string | null;
  artifact_sha256: string | null;
  started_at: Date | null;
  finished_at: Date | null;
}

const BUILD_SELECT = `SELECT b.id, p.slug AS project, pk.name AS package, b.version, b.state, b.targets, b.force,
       b.trigger, b.warnings, b.source_date_epoch, b.sources, b.created_at, b.started_at, b.finished_at
  FROM builds b JOIN projects p ON p.id = b.project_id JOIN packages pk ON pk.id = b.package_id`;

const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());

function jobView(r: JobRow): JobView {
  return {
    id: r.id,
    format: r.format,
    arch: r.arch,
    environment: r.environment,
    targets: r.targets,
    state: r.state,
    attempt: r.attempt,
    hasSteps: r.has_steps,
    failure: r.failure_code === null ? null : { code: r.failure_code, message: r.failure_message ?? "" },
    artifact:
      r.artifact_file_name === null || r.artifact_sha256 === null
        ? null
        : { fileName: r.artifact_file_name, sha256: r.artifact_sha256 },
    startedAt: iso(r.started_at),
    finishedAt: iso(r.finished_at),
  };
}

function buildView(r: BuildRow, jobs: JobView[]): BuildView {
  return {
    id: r.id,
    project: r.project,
    package: r.package,
    version: r.version,
    state: r.state,
    targets: r.targets,
    force: r.force,
    trigger: r.trigger,
    warnings: r.warnings,
    sourceDateEpoch: Number(r.source_date_epoch),
    sources: r.sources,
    createdAt: r.created_at.toISOString(),
    startedAt: iso(r.started_at),
    finishedAt: iso(r.finished_at),
    jobs,
  };
}

/** The views of these build rows, with their jobs (one query for all). */
async function withJobs(q: Queryable, rows: readonly BuildRow[]): Promise<BuildView[]> {
  if (rows.length === 0) return [];
  const { rows: jobs } = await q.query<JobRow>(
    `SELECT j.id, j.build_id, j.format, j.arch, j.environment, j.targets, j.state, j.attempt, j.has_steps,
            j.failure_code, j.failure_message, a.file_name AS artifact_file_name,
            a.blob_sha256 AS artifact_sha256, j.started_at, j.finished_at
       FROM jobs j LEFT JOIN artifacts a ON a.id = j.artifact_id
      WHERE j.build_id = ANY($1::bigint[])
      ORDER BY j.id`,
    [rows.map((r) => r.id)],
  );
  const byBuild = new Map<number, JobView[]>();
  for (const j of jobs) {
    const list = byBuild.get(j.build_id) ?? [];
    list.push(jobView(j));
    byBuild.set(j.build_id, list);
  }
  return rows.map((r) => buildView(r, byBuild.get(r.id) ?? []));
}

/** The build's view; 404 NOT_FOUND when there is no such build. */
export async function getBuild(q: Queryable, id: number): Promise<BuildView> {
  const { rows } = await q.query<BuildRow>(`${BUILD_SELECT} WHERE b.id = $1`, [id]);
  if (rows[0] === undefined)
    throw new ServerError("NOT_FOUND", `Expected a build ${id}, found none`, { field: "build" });
  return (await withJobs(q, rows))[0]!;
}

/** Largest `limit` of {@link listBuilds}. */
export const MAX_LIST_LIMIT = 100;

/**
 * A project's builds, newest first (optionally one package's); at most `limit` (1–100, default 20). An
 * unknown package name lists nothing.
 */
export async function listBuilds(
  q: Queryable,
  projectId: number,
  options: { package?: string; limit?: number } = {},
): Promise<BuildView[]> {
  const limit = Math.min(Math.max(Math.trunc(options.limit ?? 20), 1), MAX_LIST_LIMIT);
  const { rows } = await q.query<BuildRow>(
    `${BUILD_SELECT} WHERE b.project_id = $1 AND ($2::text IS NULL OR pk.name = $2)
      ORDER BY b.created_at DESC, b.id DESC LIMIT $3`,
    [projectId, options.package ?? null, limit],
  );
  return withJobs(q, rows);
}

/**
 * The caller's access to a build's project, checked as a `{ project: minRole }` rule checks it: 404
 * NOT_FOUND when the build does not exist or its project is hidden from the caller (no role; a token bound
 * to another project), 403 FORBIDDEN for a role weaker than `minRole`. An administrator acts as owner.
 */
export async function buildAccess(
  db: Db,
  principal: Principal,
  buildId: number,
  minRole: Role,
): Promise<ProjectAccess> {
  const notFound = () =>
    new ServerError("NOT_FOUND", `Expected a build ${buildId} that you can see, found none`, {
      field: "build",
    });
  const { rows } = await db.query<{ slug: string }>(
    "SELECT p.slug FROM builds b JOIN projects p ON p.id = b.project_id WHERE b.id = $1",
    [buildId],
  );
  if (rows[0] === undefined) throw notFound();
  const access = await projectAccess(db, principal, rows[0].slug);
  if (access === undefined) throw notFound();
  if (ROLES.indexOf(access.role) < ROLES.indexOf(minRole))
    throw new ServerError(
      "FORBIDDEN",
      `Expected the ${minRole} role in project ${access.slug}, found ${access.role}`,
      { role: minRole, found: access.role },
    );
  return access;
}
