/**
 * `packyard serve --reindex`: the repository states in storage are authoritative, the `repositories` rows an
 * index of them. This rebuilds the rows from the states: a repository found in storage gets its row (made
 * when missing), its settings take the published facts — the APT suite's identity and lists, the RPM-MD and
 * Alpine targets, the pacman repository and architectures, as the states hold them — and `lastPublish` the
 * newest state date and the roots. Settings the states do not hold (`keep`, the private flag) are kept.
 * Storage is read before any transaction; each repository's row is written in one statement.
 */
import type { RootState, Storage } from "@packyard/repo";
import type { Db } from "../db/db.ts";
import {
  ensureRepository,
  type LastPublish,
  type RepositorySettings,
  REPOSITORIES_PREFIX,
  recordPublish,
  repositoryStates,
  repositoryStorage,
  saveRepositorySettings,
} from "./settings.ts";

/** What {@link reindexRepositories} found and did. */
export interface ReindexResult {
  /** Repositories whose rows were rebuilt: `<project>/<name>`, with their roots and held packages. */
  repositories: { project: string; name: string; roots: string[]; packages: number }[];
  /** Repository folders in storage whose project is not in the database (left alone). */
  orphans: string[];
}

/** Every key under `prefix` (all pages). */
async function keysUnder(storage: Storage, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for (let cursor: string | undefined; ; ) {
    const page = await storage.list(prefix, cursor === undefined ? {} : { cursor });
    keys.push(...page.objects.map((o) => o.key));
    if (page.cursor === undefined) return keys;
    cursor = page.cursor;
  }
}

const sorted = (values: Iterable<string>) => [...new Set(values)].sort();

/** The settings the states hold, over `current` (the states win where they speak). */
export function settingsFromStates(
  current: RepositorySettings,
  states: readonly RootState[],
): RepositorySettings {
  const next: RepositorySettings = { ...current };
  const deb = states.filter((s) => s.family === "deb" && s.apt !== undefined);
  // The configured suite when it is published, else the first published one.
  const suite = deb.find((s) => s.apt!.suite === current.apt?.suite) ?? deb[0];
  if (suite !== undefined) {
    const a = suite.apt!;
    next.apt = {
      suite: a.suite,
      codename: a.codename,
      components: a.components,
      architectures: a.architectures,
      ...(a.origin !== undefined ? { origin: a.origin } : {}),
      ...(a.label !== undefined ? { label: a.label } : {}),
    };
  }
  const rpm = states.filter((s) => s.rpm !== undefined).map((s) => s.rpm!);
  if (rpm.length > 0)
    next.rpm = { targets: sorted(rpm.map((r) => r.target)), architectures: sorted(rpm.map((r) => r.arch)) };
  const pacman = states.filter((s) => s.archlinux !== undefined).map((s) => s.archlinux!);
  if (pacman.length > 0)
    next.archlinux = { repo: pacman[0]!.repo, architectures: sorted(pacman.map((p) => p.arch)) };
  const alpine = states.filter((s) => s.alpine !== undefined).map((s) => s.alpine!);
  if (alpine.length > 0)
    next.alpine = {
      targets: sorted(alpine.map((a) => a.target)),
      repo: alpine[0]!.repo,
      architectures: sorted(alpine.map((a) => a.arch)),
    };
  return next;
}

/**
 * Rebuilds the `repositories` rows from the repository states under `repos/<project>/<name>/` in `storage`.
 *
 * @example const { repositories, orphans } = await reindexRepositories(db, storage, new Date());
 */
export async function reindexRepositories(
  db: Db,
  storage: Storage,
  now: Date = new Date(),
): Promise<ReindexResult> {
  const found = new Set<string>();
  for (const key of await keysUnder(storage, REPOSITORIES_PREFIX)) {
    const m = /^repos\/([^/]+)\/([^/]+)\/\.packyard\/roots\//.exec(key);
    if (m !== null) found.add(`${m[1]}/${m[2]}`);
  }
  const { rows } = await db.query<{ id: number; slug: string }>("SELECT id, slug FROM projects");
  const projects = new Map(rows.map((r) => [r.slug, r.id]));
  const result: ReindexResult = { repositories: [], orphans: [] };
  for (const entry of [...found].sort()) {
    const [project, name] = entry.split("/") as [string, string];
    const projectId = projects.get(project);
    if (projectId === undefined) {
      result.orphans.push(entry);
      continue;
    }
    const states = await repositoryStates(repositoryStorage(storage, project, name));
    if (states.length === 0) continue;
    const row = await ensureRepository(db, projectId, now, name);
    await saveRepositorySettings(
      db,
      projectId,
      { private: row.private, settings: settingsFromStates(row.settings, states) },
      now,
      name,
    );
    const newest = states
      .map((s) => s.date)
      .sort()
      .at(-1)!;
    const last: LastPublish = {
      at: new Date(newest).toISOString(),
      added: row.lastPublish?.added ?? 0,
      removed: row.lastPublish?.removed ?? 0,
      unchanged: row.lastPublish?.unchanged ?? 0,
      roots: states.map((s) => s.root),
    };
    await recordPublish(db, row.id, last);
    result.repositories.push({
      project,
      name,
      roots: last.roots,
      packages: states.reduce((n, s) => n + s.packages.length, 0),
    });
  }
  return result;
}
