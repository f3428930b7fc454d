/**
 * Build requests (issue 20 item 2): `createBuild` checks a request against the package's stored packyard.yml,
 * its uploaded files and its earlier builds, then writes the build and its jobs, all in one transaction
 * under the package row's lock (so two requests for one package are checked one after the other).
 *
 * Rules, each with its code:
 * - the package exists (404 NOT_FOUND); its packyard.yml still loads (422 INVALID_CONFIG);
 * - at least one target: the request's, else the project repository's configured ones (400 INVALID_REQUEST);
 *   each a catalogue id (422 UNKNOWN_TARGET listing every unknown one); deprecated ones build with a
 *   TARGET_DEPRECATED warning;
 * - each target one the project's repository serves (422 REPO_REFUSED, `details.repoCode`
 *   TARGET_NOT_SERVED listing them), see {@link servesTarget}: a job's package is published where the
 *   repository's settings put its family, so a target elsewhere would build a package its users never get;
 * - the `build:` block parses (422 INVALID_CONFIG naming the field: the upload check leaves it unparsed);
 * - every access name packyard.yml references is uploaded (422 MISSING_SOURCE listing them): the first path
 *   segment of each relative `contents[].src` (a glob there references nothing; symlink targets are not
 *   files), of `scripts.*`, `changelog` and the format blocks' script files, for the packagers the build
 *   runs, minus the first segments of `build.outputs` (what build steps make) for packagers whose jobs
 *   run steps;
 * - per target, the version by that target's format's own comparison (dpkg, rpmvercmp, vercmp, apk): a
 *   version whose package the target already has (a succeeded job of its packager and architecture at that
 *   version, for it or a sibling target sharing the package) is 409 VERSION_EXISTS (force or not: a pool
 *   file whose bytes change under one name breaks apt with "Hash Sum mismatch"); an older one than the
 *   target's last succeeded build is 409 VERSION_NOT_NEWER unless `force`. A target without a succeeded
 *   build (a distribution of another packager added to a released version) is exempt.
 *
 * A job has steps (`has_steps`: only an agent runs it, and only it receives the project's secrets) when a
 * step of `build.steps` applies to its packager (`packagers` absent or naming it).
 *
 * `signature:` settings of a format block are ignored with a SIGNATURE_IGNORED warning: agents build
 * unsigned, the server signs when it publishes. The build records every uploaded file (`sources`) and
 * fixes SOURCE_DATE_EPOCH at the request time, so every attempt writes the same bytes.
 */
import { FORMATS, formatById, loadConfig, parseVersion, type Version } from "@packyard/formats";
import { type BuildSettings, parseBuildSettings, stepsFor } from "@packyard/formats/build";
import { formatArchlinuxVersion, toArchlinuxVersion } from "@packyard/formats/archlinux";
import { toApkVersion } from "@packyard/formats/apk";
import { debVersion } from "@packyard/formats/deb";
import { formatEvr, rpmEvr } from "@packyard/formats/rpm";
import { CATALOGUE } from "@packyard/repo";
import type { AppConfig, Clock } from "../app/deps.ts";
import { checkBuildRequest, checkTargets, countBuild, plansFor } from "../billing/entitlements.ts";
import type { Db, Queryable } from "../db/db.ts";
import { ServerError } from "../errors.ts";
import { findRepository, type RepositorySettings } from "../repos/settings.ts";
import { checkPackageConfig, NO_FILES } from "../uploads/package-config.ts";
import { checkPackageName, checkReleaseVersion } from "../uploads/names.ts";
import {
  type BuildWarning,
  CATALOGUE_IDS_BY_SUITE,
  findTarget,
  type Packager,
  resolveTargets,
  type TargetEntry,
} from "./catalogue.ts";
import { type BuildView, getBuild } from "./views.ts";

/** How a build was asked for. */
export type BuildTrigger = "api" | "webhook" | "web";

/** What {@link createBuild} is asked. */
export interface CreateBuildInput {
  projectId: number;
  packageName: string;
  version: string;
  /** Catalogue ids; absent: the project repository's configured targets. */
  targets?: readonly string[];
  /** Allows a version older than a target's last succeeded build (never the same version). */
  force?: boolean;
  /** Who asked (null: a webhook). */
  userId: number | null;
  trigger: BuildTrigger;
}

/** One source file a build uses: an uploaded file by access name. */
export interface BuildSource {
  accessName: string;
  sha256: string;
  size: number;
}

/** A job a build request makes: one per (packager, arch, environment). */
export interface PlannedJob {
  format: Packager;
  arch: string;
  environment: string;
  targets: string[];
  labels: string[];
}

/** A packyard.yml as plain data (the loader's `raw`: as written, no `$VAR` expansion). */
type RawConfig = Record<string, unknown>;

/** Checks and loads a stored packyard.yml: 422 INVALID_CONFIG as on upload, else its plain data. */
export function loadStoredConfig(text: string): RawConfig {
  checkPackageConfig(text);
  return loadConfig({ text, path: "packyard.yml", baseDir: "/", env: {}, formats: FORMATS, host: NO_FILES })
    .raw;
}

const isMap = (x: unknown): x is Record<string, unknown> =>
  typeof x === "object" && x !== null && !Array.isArray(x);

/** The `overrides.<packager>` layer of a packager (by its id, which is also its block key here). */
function overrideOf(raw: RawConfig, packager: Packager): Record<string, unknown> | undefined {
  const o = raw.overrides;
  return isMap(o) && isMap(o[packager]) ? o[packager] : undefined;
}

/**
 * The architecture a packager's job writes: the top-level `arch` as written, else the format block's
 * `arch` (as the loader reads it), else `amd64`.
 */
export function jobArch(raw: RawConfig, packager: Packager): string {
  if (typeof raw.arch === "string" && raw.arch !== "") return raw.arch;
  const block = overrideOf(raw, packager)?.[packager] ?? raw[packager];
  const top = raw[packager];
  for (const b of [block, top]) if (isMap(b) && typeof b.arch === "string" && b.arch !== "") return b.arch;
  return "amd64";
}

const GLOB = /[*?[\]{}]/;

/**
 * The access name a relative path references: its first segment (`./bin/hello` → `bin`); undefined for an
 * absolute path, `..`, or a first segment holding a glob character (it names no one file).
 */
export function referencedName(path: string, globbing = true): string | undefined {
  let p = path.trim();
  while (p.startsWith("./")) p = p.slice(2);
  if (p === "" || p.startsWith("/")) return undefined;
  const first = p.split("/")[0]!;
  if (first === "." || first === ".." || first === "") return undefined;
  if (globbing && GLOB.test(first)) return undefined;
  return first;
}

/** Content types whose `src` is not a file in the work folder (a link target; nothing). */
const NO_SOURCE_TYPES = new Set(["symlink", "dir", "ghost"]);

/**
 * The access names packyard.yml references for the packagers of a build, sorted. The first segments of
 * `build.outputs` (what the build steps make) are taken out for packagers whose jobs run steps
 * (`runsSteps`, default: every packager): a job without steps (no step applies to its packager) has only
 * the uploaded files.
 */
export function referencedNames(
  raw: RawConfig,
  packagers: readonly Packager[],
  runsSteps: (packager: Packager) => boolean = () => true,
): string[] {
  const globbing = raw.disable_globbing !== true;
  const outputs = new Set<string>();
  const build = raw.build;
  if (isMap(build) && Array.isArray(build.outputs))
    for (const o of build.outputs) {
      const n = typeof o === "string" ? referencedName(o, false) : undefined;
      if (n !== undefined) outputs.add(n);
    }
  const names = new Set<string>();
  for (const packager of packagers) {
    const made = runsSteps(packager) ? outputs : new Set<string>();
    const add = (p: unknown) => {
      if (typeof p !== "string") return;
      const n = referencedName(p, globbing);
      if (n !== undefined && !made.has(n)) names.add(n);
    };
    // Scripts of an override replace the top level's of the same kind, as the loader merges them.
    const addScripts = (top: unknown, over: unknown) => {
      const merged = { ...(isMap(top) ? top : {}), ...(isMap(over) ? over : {}) };
      for (const v of Object.values(merged)) add(v);
    };
    const ov = overrideOf(raw, packager);
    // The loader takes the override's contents whole when it has some, else the top level's.
    const contents =
      Array.isArray(ov?.contents) && ov.contents.length > 0 ? ov.contents : (raw.contents ?? []);
    if (Array.isArray(contents))
      for (const item of contents) {
        if (!isMap(item)) continue;
        if (typeof item.packager === "string" && item.packager !== "" && item.packager !== packager) continue;
        if (typeof item.type === "string" && NO_SOURCE_TYPES.has(item.type)) continue;
        // `expand: true` paths take variables the server does not have: unknown until the agent builds.
        if (item.expand === true && typeof item.src === "string" && item.src.includes("$")) continue;
        add(item.src);
      }
    addScripts(raw.scripts, ov?.scripts);
    // Script files of the format's own block (deb debconf templates, rpm %pretrans, apk/Arch upgrade hooks).
    const block = raw[packager];
    const overBlock = ov?.[packager];
    addScripts(isMap(block) ? block.scripts : undefined, isMap(overBlock) ? overBlock.scripts : undefined);
    add(raw.changelog);
  }
  return [...names].sort();
}

/**
 * The `build:` block of a stored packyard.yml, parsed (steps as written): 422 INVALID_CONFIG naming the
 * field when it does not parse (`details.loaderCode`, `details.field`), as an upload's check reports.
 */
export function storedBuildSettings(raw: RawConfig): BuildSettings {
  try {
    return parseBuildSettings(raw.build, { field: "build", baseDir: "/" });
  } catch (e) {
    const spec = e as { name?: unknown; code?: unknown; message: string; data?: { field?: string } };
    if (!(e instanceof Error) || spec.name !== "SpecError" || typeof spec.code !== "string") throw e;
    const details: Record<string, unknown> = { loaderCode: spec.code, field: spec.data?.field ?? null };
    throw new ServerError("INVALID_CONFIG", `packyard.yml: ${spec.message}`, details, { cause: e });
  }
}

/**
 * Whether a job of `packager` runs build steps: some step of `build.steps` applies to it (no `packagers`,
 * or `packagers` naming it). Only an agent runs such a job.
 */
export function hasSteps(settings: BuildSettings, packager: Packager): boolean {
  return stepsFor(settings, packager).length > 0;
}

/** SIGNATURE_IGNORED warnings: format blocks (or their overrides) of the build that name signing keys. */
export function signatureWarnings(raw: RawConfig, packagers: readonly Packager[]): BuildWarning[] {
  const fields: string[] = [];
  for (const packager of packagers) {
    const ov = overrideOf(raw, packager);
    for (const [field, block] of [
      [packager, raw[packager]],
      [`overrides.${packager}.${packager}`, ov?.[packager]],
    ] as const)
      if (isMap(block) && block.signature !== undefined && block.signature !== null)
        fields.push(`${field}.signature`);
  }
  if (fields.length === 0) return [];
  return [
    {
      code: "SIGNATURE_IGNORED",
      message: `${fields.join(", ")}: ignored; build agents write unsigned packages and the server signs them with the project's keys when it publishes`,
    },
  ];
}

/** Groups targets into jobs per (packager, arch, environment), in the targets' order. */
export function planJobs(raw: RawConfig, targets: readonly TargetEntry[]): PlannedJob[] {
  const jobs = new Map<string, PlannedJob>();
  for (const t of targets) {
    const arch = jobArch(raw, t.packager);
    const key = `${t.packager}\u0000${arch}\u0000${t.environment}`;
    let job = jobs.get(key);
    if (job === undefined) {
      job = { format: t.packager, arch, environment: t.environment, targets: [], labels: [] };
      jobs.set(key, job);
    }
    job.targets.push(t.id);
    for (const l of t.labels) if (!job.labels.includes(l)) job.labels.push(l);
  }
  for (const job of jobs.values()) job.labels.sort();
  return [...jobs.values()];
}

/**
 * The targets a repository's settings serve, in family order: the APT suite's catalogue targets (those
 * whose suite it is; `deb-any` for a suite no release has), `rpm.targets`, `arch` when pacman is set up,
 * `alpine.targets`.
 */
export function repositoryTargets(settings: RepositorySettings): string[] {
  const ids: string[] = [];
  if (settings.apt !== undefined) {
    const fits = CATALOGUE_IDS_BY_SUITE.get(settings.apt.suite);
    ids.push(...(fits ?? ["deb-any"]));
  }
  ids.push(...(settings.rpm?.targets ?? []));
  if (settings.archlinux !== undefined) ids.push("arch");
  ids.push(...(settings.alpine?.targets ?? []));
  return ids;
}

/** The APT suite `deb-any` names (`stable`): every Debian and Ubuntu release reads it. */
const ANY_DEB_SUITE = (() => {
  const t = findTarget("deb-any");
  return t?.family === "deb" ? t.layout.suite : "stable";
})();

/**
 * Whether the repository with these settings serves catalogue target `id`, i.e. whether publishing a job's
 * package puts it where that target's users read it (as the repository's install document offers it):
 * - deb: one APT suite, `apt.suite` (a publish without apt settings uses `stable`). The `deb-any` suite
 *   (`stable`) serves every Debian-like target; a release's own suite (`bookworm`) serves that release;
 *   a suite the catalogue does not name serves `deb-any` (one package for every release) only.
 * - rpm and alpine: the targets listed in `rpm.targets` / `alpine.targets` (a publish goes to exactly those
 *   roots; without them it has no root to go to).
 * - archlinux (`arch`): always; one pacman repository, `archlinux.repo` or the project's name.
 */
export function servesTarget(settings: RepositorySettings, id: string): boolean {
  const target = findTarget(id);
  if (target === undefined) return false;
  switch (target.family) {
    case "deb": {
      const suite = settings.apt?.suite ?? ANY_DEB_SUITE;
      if (suite === ANY_DEB_SUITE || target.layout.suite === suite) return true;
      return target.layout.suite === ANY_DEB_SUITE && !CATALOGUE_IDS_BY_SUITE.has(suite);
    }
    case "rpm":
      return settings.rpm?.targets.includes(id) === true;
    case "alpine":
      return settings.alpine?.targets.includes(id) === true;
    case "archlinux":
      return true;
  }
}

/** Every catalogue id the repository with these settings serves ({@link servesTarget}), in catalogue order. */
export function servedTargets(settings: RepositorySettings): string[] {
  return CATALOGUE.map((t) => t.id).filter((id) => servesTarget(settings, id));
}

/** Refuses targets the repository does not serve: 422 REPO_REFUSED with `details.repoCode` TARGET_NOT_SERVED. */
function checkServed(settings: RepositorySettings, targets: readonly TargetEntry[]): void {
  const notServed = targets.filter((t) => !servesTarget(settings, t.id)).map((t) => t.id);
  if (notServed.length === 0) return;
  const why = notServed.map((id) => {
    const t = findTarget(id)!;
    switch (t.family) {
      case "deb":
        return `${id} (the APT suite is ${settings.apt?.suite ?? ANY_DEB_SUITE}; ${id} reads ${t.layout.suite}${t.layout.suite === ANY_DEB_SUITE ? "" : ` or ${ANY_DEB_SUITE}`})`;
      case "rpm":
        return `${id} (not in rpm.targets: ${settings.rpm?.targets.join(", ") || "none"})`;
      case "alpine":
        return `${id} (not in alpine.targets: ${settings.alpine?.targets.join(", ") || "none"})`;
      default:
        return id;
    }
  });
  const served = servedTargets(settings);
  throw new ServerError(
    "REPO_REFUSED",
    `Expected targets the project's repository serves (${served.join(", ") || "none"}), found ${why.join(", ")}; a job's package is published where the repository's settings put its family, so add the targets to the repository's settings (PUT …/repository) first`,
    { repoCode: "TARGET_NOT_SERVED", field: "targets", notServed, served },
  );
}

/** A version as a packager writes it (semver parts mapped as the writers map them), for comparison. */
function packagedVersion(packager: Packager, version: string, schema: "semver" | "none"): string {
  const v: Version = parseVersion(version, { schema });
  switch (packager) {
    case "deb":
      return debVersion(v);
    case "rpm":
      return formatEvr(rpmEvr(v));
    case "archlinux":
      return formatArchlinuxVersion(toArchlinuxVersion(v));
    case "apk":
      return toApkVersion(v);
  }
}

/**
 * Orders two build versions as `packager`'s package manager orders the versions written from them
 * (negative: `a` older). A version the packager cannot write is compared as given.
 */
export function compareBuildVersions(
  packager: Packager,
  a: string,
  b: string,
  schema: "semver" | "none" = "semver",
): number {
  const format = formatById(packager);
  let pa = a;
  let pb = b;
  try {
    pa = packagedVersion(packager, a, schema);
    pb = packagedVersion(packager, b, schema);
  } catch {
    pa = a;
    pb = b;
  }
  return Math.sign(format.compareVersions(pa, pb));
}

interface PackageRow {
  id: number;
  config: string;
}

interface SucceededRow {
  build_id: number;
  version: string;
  format: string;
  arch: string;
  targets: string[];
}

/** Creates a build and its jobs (see the module comment for the rules); returns its view. */
export async function createBuild(
  deps: { db: Db; clock: Clock; config?: AppConfig },
  input: CreateBuildInput,
): Promise<BuildView> {
  const name = checkPackageName(input.packageName);
  const version = checkReleaseVersion(input.version);
  const now = deps.clock.now();
  // Billing (billing/entitlements.ts): the plans of the app's config.
  const plans = plansFor(deps);
  return deps.db.transaction(async (tx) => {
    // Billing: the account's subscription row locked first (before the package row), active, and one more
    // build within builds_per_month; the targets limit is checked once the targets are known.
    const entitlement = await checkBuildRequest(tx, plans, input.projectId, now);
    const { rows: packages } = await tx.query<PackageRow>(
      "SELECT id, config FROM packages WHERE project_id = $1 AND name = $2 FOR UPDATE",
      [input.projectId, name],
    );
    const pkg = packages[0];
    if (pkg === undefined)
      throw new ServerError("NOT_FOUND", `Expected a package named ${name} in this project, found none`, {
        field: "package",
      });
    const raw = loadStoredConfig(pkg.config);

    const settings = (await findRepository(tx, input.projectId))?.settings ?? {};
    let ids = input.targets;
    let from = "the request";
    if (ids === undefined) {
      ids = repositoryTargets(settings);
      from = "the project repository's settings";
    }
    if (ids.length === 0)
      throw new ServerError(
        "INVALID_REQUEST",
        `Expected at least one target, found none in ${from}; name catalogue ids (GET /api/v1/targets) in targets, or configure the repository's families`,
        { field: "targets" },
      );
    const { targets, warnings } = resolveTargets(ids);
    checkTargets(entitlement, targets.length); // billing: targets in one request, once each
    checkServed(settings, targets);
    const buildSettings = storedBuildSettings(raw);
    const packagers = [...new Set(targets.map((t) => t.packager))];

    const sources = await sourcesOf(tx, pkg.id);
    const uploaded = new Set(sources.map((s) => s.accessName));
    const missing = referencedNames(raw, packagers, (p) => hasSteps(buildSettings, p)).filter(
      (n) => !uploaded.has(n),
    );
    if (missing.length > 0)
      throw new ServerError(
        "MISSING_SOURCE",
        `Expected every file packyard.yml references to be uploaded, found ${missing.join(", ")} missing; upload them by access name (PUT …/packages/${name}/files/<name>) or list what build steps make under build.outputs`,
        { field: "sources", missing },
      );

    const arches = new Map(packagers.map((p) => [p, jobArch(raw, p)] as const));
    await checkVersions(tx, pkg.id, version, targets, arches, input.force === true, schemaOf(raw));

    const allWarnings = [...warnings, ...signatureWarnings(raw, packagers)];
    const { rows: builds } = await tx.query<{ id: number }>(
      `INSERT INTO builds (project_id, package_id, version, state, targets, force, config, sources,
                           source_date_epoch, warnings, trigger, requested_by, created_at)
       VALUES ($1, $2, $3, 'pending', $4, $5, $6, $7::jsonb, $8, $9::jsonb, $10, $11, $12)
       RETURNING id`,
      [
        input.projectId,
        pkg.id,
        version,
        targets.map((t) => t.id),
        input.force === true,
        pkg.config,
        JSON.stringify(sources),
        Math.floor(now.getTime() / 1000),
        JSON.stringify(allWarnings),
        input.trigger,
        input.userId,
        now,
      ],
    );
    const buildId = builds[0]!.id;
    await countBuild(tx, entitlement); // billing: the request counts in this period
    for (const job of planJobs(raw, targets))
      await tx.query(
        `INSERT INTO jobs (build_id, project_id, format, arch, environment, targets, has_steps, labels, state,
                           run_after, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', now(), $9)`,
        [
          buildId,
          input.projectId,
          job.format,
          job.arch,
          job.environment,
          job.targets,
          hasSteps(buildSettings, job.format),
          job.labels,
          now,
        ],
      );
    return getBuild(tx, buildId);
  });
}

function schemaOf(raw: RawConfig): "semver" | "none" {
  return raw.version_schema === "none" ? "none" : "semver";
}

/** Every file the package has uploaded, by access name. */
async function sourcesOf(q: Queryable, packageId: number): Promise<BuildSource[]> {
  const { rows } = await q.query<{ access_name: string; sha256: string; size: number }>(
    `SELECT f.access_name, f.blob_sha256 AS sha256, b.size
       FROM package_files f JOIN blobs b ON b.sha256 = f.blob_sha256
      WHERE f.package_id = $1 ORDER BY f.access_name
      -- A re-upload of one of these names waits for the build's commit, so the blob collection that follows
      -- it sees the build's reference to the old blob.
        FOR SHARE OF f`,
    [packageId],
  );
  return rows.map((r) => ({ accessName: r.access_name, sha256: r.sha256, size: Number(r.size) }));
}

/**
 * VERSION_EXISTS and VERSION_NOT_NEWER against the package's succeeded jobs. A version exists for a target
 * when a succeeded job wrote its packager's package at that version and architecture, whichever sibling
 * target asked for it: that one package serves every target of the packager (debian-12 and ubuntu-24.04
 * get the same .deb), and another build of it would hold other bytes under the same name. Older is per
 * target: against the last succeeded job that listed the target.
 */
async function checkVersions(
  q: Queryable,
  packageId: number,
  version: string,
  targets: readonly TargetEntry[],
  arches: ReadonlyMap<string, string>,
  force: boolean,
  schema: "semver" | "none",
): Promise<void> {
  // Newest first: the first row listing a target is its last succeeded build.
  const { rows } = await q.query<SucceededRow>(
    `SELECT b.id AS build_id, b.version, j.format, j.arch, j.targets
       FROM jobs j JOIN builds b ON b.id = j.build_id
      WHERE b.package_id = $1 AND j.state = 'succeeded'
      ORDER BY j.finished_at DESC NULLS LAST, b.created_at DESC, j.id DESC`,
    [packageId],
  );
  const exists: { target: string; build: number; version: string; builtFor: string[] }[] = [];
  const older: { target: string; build: number; version: string }[] = [];
  for (const t of targets) {
    const same = rows.find(
      (r) =>
        r.format === t.packager &&
        r.arch === arches.get(t.packager) &&
        compareBuildVersions(t.packager, version, r.version, schema) === 0,
    );
    if (same !== undefined) {
      exists.push({ target: t.id, build: same.build_id, version: same.version, builtFor: same.targets });
      continue;
    }
    const last = rows.find((r) => r.targets.includes(t.id));
    if (last !== undefined && compareBuildVersions(t.packager, version, last.version, schema) < 0)
      older.push({ target: t.id, build: last.build_id, version: last.version });
  }
  if (exists.length > 0)
    throw new ServerError(
      "VERSION_EXISTS",
      `Expected a version not built yet, found ${version} already built for ${exists
        .map(
          (e) =>
            `${e.target} (build ${e.build} wrote ${e.version}${e.builtFor.includes(e.target) ? "" : ` for ${e.builtFor.join(", ")}, the same package`})`,
        )
        .join(
          ", ",
        )}; a package whose bytes change under one name breaks apt ("Hash Sum mismatch"), so even force does not rebuild it — build a new version`,
      { field: "version", version, existing: exists },
    );
  if (older.length > 0 && !force)
    throw new ServerError(
      "VERSION_NOT_NEWER",
      `Expected a version newer than each target's last succeeded build, found ${version} not newer than ${older
        .map((e) => `${e.version} for ${e.target} (build ${e.build})`)
        .join(", ")}; force allows an older version`,
      { field: "version", version, newer: older },
    );
}
