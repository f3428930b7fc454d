/**
 * A project's hosted repository: its row (`repositories`: name, private flag, settings as JSON) and its
 * storage view `repos/<project>/<name>/` in the server's Storage. One repository per project for now, named
 * {@link DEFAULT_REPOSITORY}; the row is made by the first PUT of its settings or the first publish.
 *
 * The settings are what each publish passes to @packyard/repo: APT suite identity and lists, RPM-MD and
 * Alpine catalogue targets, the pacman repository, architectures, and retention (`keep`). The repository
 * state in storage stays authoritative: a suite's Origin, Label and Codename, once published, are the
 * state's, and a change of them is refused (409 REPO_IDENTITY_LOCKED, repos.md §8.8: every user's
 * `apt update` would fail until `--allow-releaseinfo-change`).
 *
 * The `settings` column also keeps `lastPublish` (time and counts of the newest publish) beside the user's
 * settings: a fact about the repository, not a setting, never taken from a PUT.
 */
import { catalogueTarget, prefixStorage, type RootState, readRepository, type Storage } from "@packyard/repo";
import type { Queryable } from "../db/db.ts";
import { ServerError } from "../errors.ts";

/** The name of a project's one repository. */
export const DEFAULT_REPOSITORY = "main";

/** The folder of hosted repositories in the server's Storage. */
export const REPOSITORIES_PREFIX = "repos/";

/** APT settings of the repository's suite. */
export interface AptRepositorySettings {
  /** The suite (`stable`). */
  suite: string;
  /** Codename (default: the suite). Locked once published. */
  codename?: string;
  /** Components listed in Release; packages are added to the first (default `main`). */
  components?: string[];
  /** dpkg architectures (default: those of the packages published). */
  architectures?: string[];
  /** Origin and Label. Locked once published. */
  origin?: string;
  label?: string;
}

/** RPM-MD settings. */
export interface RpmRepositorySettings {
  /** Catalogue targets (`el-9`, `fedora-41`, `opensuse-15.6`). */
  targets: string[];
  /** Base architectures of new roots (default: those of the packages). */
  architectures?: string[];
}

/** pacman settings. */
export interface ArchlinuxRepositorySettings {
  /** The database name (`[section]` in pacman.conf); default: the project's name. */
  repo?: string;
  architectures?: string[];
}

/** Alpine settings. */
export interface AlpineRepositorySettings {
  /** Catalogue targets (`alpine-3.22`, `alpine-edge`). */
  targets: string[];
  /** The repository folder (default `main`). */
  repo?: string;
  architectures?: string[];
}

/** What a repository's owner sets. */
export interface RepositorySettings {
  apt?: AptRepositorySettings;
  rpm?: RpmRepositorySettings;
  archlinux?: ArchlinuxRepositorySettings;
  alpine?: AlpineRepositorySettings;
  /** Keep only the newest N versions per package (absent: keep all). */
  keep?: number;
}

/** Time and counts of the newest publish. */
export interface LastPublish {
  at: string;
  added: number;
  removed: number;
  unchanged: number;
  roots: string[];
  /** Fingerprints of the keys that signed the repository then (OpenPGP, then apk), to notice a rotation. */
  keys?: string[];
}

/** A repository row as the server reads it. */
export interface RepositoryRecord {
  id: number;
  projectId: number;
  name: string;
  private: boolean;
  settings: RepositorySettings;
  lastPublish: LastPublish | null;
  createdAt: Date;
  updatedAt: Date;
}

interface RepositoryRow {
  id: number;
  project_id: number;
  name: string;
  private: boolean;
  settings: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = "id, project_id, name, private, settings, created_at, updated_at";

function toRecord(r: RepositoryRow): RepositoryRecord {
  const { lastPublish, ...settings } = r.settings as RepositorySettings & { lastPublish?: LastPublish };
  return {
    id: r.id,
    projectId: r.project_id,
    name: r.name,
    private: r.private,
    settings,
    lastPublish: lastPublish ?? null,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** The storage prefix of a hosted repository: `repos/<project>/<name>/`. */
export function repositoryPrefix(project: string, name: string): string {
  return `${REPOSITORIES_PREFIX}${project}/${name}/`;
}

/** The repository's own Storage: a view of the server's under {@link repositoryPrefix}. */
export function repositoryStorage(storage: Storage, project: string, name: string): Storage {
  return prefixStorage(storage, repositoryPrefix(project, name));
}

/** The project's repository row, or undefined before its first PUT or publish. */
export async function findRepository(
  db: Queryable,
  projectId: number,
  name = DEFAULT_REPOSITORY,
): Promise<RepositoryRecord | undefined> {
  const { rows } = await db.query<RepositoryRow>(
    `SELECT ${COLUMNS} FROM repositories WHERE project_id = $1 AND name = $2`,
    [projectId, name],
  );
  return rows[0] === undefined ? undefined : toRecord(rows[0]);
}

/** The project's repository row, made with empty settings when missing (a first publish). */
export async function ensureRepository(
  db: Queryable,
  projectId: number,
  now: Date,
  name = DEFAULT_REPOSITORY,
): Promise<RepositoryRecord> {
  await db.query(
    `INSERT INTO repositories (project_id, name, created_at, updated_at) VALUES ($1, $2, $3, $3)
     ON CONFLICT (project_id, name) DO NOTHING`,
    [projectId, name, now],
  );
  const found = await findRepository(db, projectId, name);
  if (found === undefined)
    throw new ServerError("NOT_FOUND", `Expected project ${projectId} to exist, found it deleted meanwhile`, {
      table: "repositories",
    });
  return found;
}

/** Stores the settings (and the private flag), making the row when missing; keeps `lastPublish`. */
export async function saveRepositorySettings(
  db: Queryable,
  projectId: number,
  input: { private: boolean; settings: RepositorySettings },
  now: Date,
  name = DEFAULT_REPOSITORY,
): Promise<RepositoryRecord> {
  const { rows } = await db.query<RepositoryRow>(
    `INSERT INTO repositories (project_id, name, private, settings, created_at, updated_at)
     VALUES ($1, $2, $3, $4::jsonb, $5, $5)
     ON CONFLICT (project_id, name) DO UPDATE
       SET private = EXCLUDED.private,
           settings = EXCLUDED.settings
             || CASE WHEN repositories.settings ? 'lastPublish'
                     THEN jsonb_build_object('lastPublish', repositories.settings -> 'lastPublish')
                     ELSE '{}'::jsonb END,
           updated_at = EXCLUDED.updated_at
     RETURNING ${COLUMNS}`,
    [projectId, name, input.private, JSON.stringify(input.settings), now],
  );
  return toRecord(rows[0]!);
}

/** Records the newest publish's time and counts in the row. */
export async function recordPublish(db: Queryable, repositoryId: number, last: LastPublish): Promise<void> {
  await db.query(
    `UPDATE repositories SET settings = settings || jsonb_build_object('lastPublish', $2::jsonb) WHERE id = $1`,
    [repositoryId, JSON.stringify(last)],
  );
}

/**
 * Refuses settings that name unknown catalogue targets or targets of another family (400 INVALID_REQUEST,
 * with the catalogue's message and suggestion), before anything is stored.
 */
export function checkTargets(settings: RepositorySettings): void {
  for (const family of ["rpm", "alpine"] as const) {
    for (const id of settings[family]?.targets ?? []) {
      const target = catalogueTarget(id); // RepoError UNKNOWN_TARGET, mapped to 400
      if (target.family !== family)
        throw new ServerError(
          "INVALID_REQUEST",
          `Expected ${family}.targets to hold ${family} targets, found ${id} (a ${target.family} target)`,
          { field: `${family}.targets`, found: id },
        );
    }
  }
}

/**
 * Refuses a change of Origin, Label or Codename of an APT suite the repository has published (409
 * REPO_IDENTITY_LOCKED). Compared as the publish engine does: a field left out keeps the published value;
 * a field given must equal it (a suite published without an Origin gaining one is a change too).
 */
export function checkIdentity(states: readonly RootState[], settings: RepositorySettings): void {
  const apt = settings.apt;
  if (apt === undefined) return;
  const published = states.find((s) => s.family === "deb" && s.apt?.suite === apt.suite)?.apt;
  if (published === undefined) return;
  const changed: string[] = [];
  for (const field of ["origin", "label", "codename"] as const) {
    const wanted = apt[field];
    if (wanted !== undefined && wanted !== published[field])
      changed.push(`${field} ${JSON.stringify(published[field] ?? null)} → ${JSON.stringify(wanted)}`);
  }
  if (changed.length > 0)
    throw new ServerError(
      "REPO_IDENTITY_LOCKED",
      `Expected the published APT suite ${apt.suite} to keep its identity, found a change of ${changed.join(", ")}; every apt client would refuse the repository until run with --allow-releaseinfo-change (publish under a new suite instead)`,
      {
        field: "apt",
        expected: {
          origin: published.origin ?? null,
          label: published.label ?? null,
          codename: published.codename,
        },
      },
    );
}

/** The roots the repository's storage holds (empty before the first publish). */
export function repositoryStates(view: Storage): Promise<RootState[]> {
  return readRepository(view);
}

/**
 * Where users fetch the repository from: with `repoBaseUrl` (the server's Storage served directly, an S3
 * website or CDN, whose root is the Storage's root) `<repoBaseUrl>/repos/<project>/<name>`; else
 * `<publicUrl>/r/<project>/<name>`; undefined when the server knows neither.
 */
export function repositoryUrl(
  config: { repoBaseUrl?: string; publicUrl?: string },
  project: string,
  name: string,
): string | undefined {
  const trim = (u: string) => u.replace(/\/+$/, "");
  if (config.repoBaseUrl !== undefined)
    return `${trim(config.repoBaseUrl)}/${repositoryPrefix(project, name).slice(0, -1)}`;
  if (config.publicUrl !== undefined) return `${trim(config.publicUrl)}/r/${project}/${name}`;
  return undefined;
}
