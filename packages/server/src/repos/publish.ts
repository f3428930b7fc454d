/**
 * Publishing a project's repository: the releases' uploaded packages (their PackageInfo stored at upload,
 * so nothing is read again) go through @packyard/repo's `publish` into the repository's storage view,
 * signed with the project's keys (the retiring key too during a rotation's overlap), under the server's
 * publish lock, with the install files rebuilt for the repository's URL. The database is only read before
 * the lock is taken and written after the publish: no transaction is open across storage I/O.
 */
import { checkProjectWrite } from "../billing/entitlements.ts";
import type {
  Family,
  PackageSelector,
  PublishInput,
  PublishLock,
  PublishOptions,
  PublishResult,
  RootState,
} from "@packyard/repo";
import { publish, refreshRepository } from "@packyard/repo";
import type { AppConfig, Clock } from "../app/deps.ts";
import type { Metrics } from "../app/metrics.ts";
import type { Db } from "../db/db.ts";
import { ServerError } from "../errors.ts";
import type { MasterKey } from "../keys/master-key.ts";
import { projectSigners } from "../keys/project-keys.ts";
import { artifactsForPublish } from "../uploads/artifacts.ts";
import { withPublishLock } from "./lock.ts";
import {
  ensureRepository,
  findRepository,
  type LastPublish,
  type RepositoryRecord,
  type RepositorySettings,
  recordPublish,
  repositoryStates,
  repositoryStorage,
  repositoryUrl,
} from "./settings.ts";

/** What a publish request asks for. */
export interface PublishRequest {
  /** Releases whose uploaded packages are added. */
  add?: readonly { package: string; version: string }[];
  /** Held packages to remove. */
  remove?: readonly PackageSelector[];
  /** Retention for this publish (default: the repository's `keep`). */
  keep?: number;
}

/** What publishing needs from the app. */
export interface PublishDeps {
  db: Db;
  storage: import("@packyard/repo").Storage;
  masterKey: MasterKey;
  clock: Clock;
  config: AppConfig;
  metrics?: Metrics;
}

/** What a publish answers. */
export interface RepositoryPublishResult extends Omit<PublishResult, "warnings" | "written" | "deleted"> {
  warnings: NonNullable<PublishResult["warnings"]>;
  repository: RepositoryRecord;
}

/** The family each package format is published to (macOS packages and archives go to downloads/). */
function familyOf(input: PublishInput): Family | undefined {
  switch (input.info.format) {
    case "deb":
      return "deb";
    case "rpm":
      return "rpm";
    case "archlinux":
      return "archlinux";
    case "apk":
      return "alpine";
    default:
      return undefined;
  }
}

/**
 * The family settings of one publish: those of families it adds packages to or the repository already
 * serves (a removal without a family then reaches them all), from the repository's settings.
 */
export function publishSettings(
  settings: RepositorySettings,
  families: ReadonlySet<Family>,
  project: string,
  url: string | undefined,
): Pick<PublishOptions, "apt" | "rpm" | "archlinux" | "alpine"> {
  const out: Pick<PublishOptions, "apt" | "rpm" | "archlinux" | "alpine"> = {};
  const arches = (a: string[] | undefined) => (a === undefined ? {} : { architectures: a });
  if (families.has("deb")) {
    const a = settings.apt;
    out.apt = {
      suite: a?.suite ?? "stable",
      ...(a?.codename !== undefined ? { codename: a.codename } : {}),
      ...(a?.origin !== undefined ? { origin: a.origin } : {}),
      ...(a?.label !== undefined ? { label: a.label } : {}),
      ...(a?.components !== undefined ? { components: a.components, component: a.components[0]! } : {}),
      ...arches(a?.architectures),
    };
  }
  if (families.has("rpm")) {
    out.rpm = {
      ...(settings.rpm?.targets !== undefined ? { targets: settings.rpm.targets } : {}),
      ...arches(settings.rpm?.architectures),
      ...(url !== undefined ? { baseUrl: url } : {}),
      name: project,
    };
  }
  if (families.has("archlinux")) {
    out.archlinux = {
      repo: settings.archlinux?.repo ?? project,
      ...arches(settings.archlinux?.architectures),
    };
  }
  if (families.has("alpine")) {
    out.alpine = {
      ...(settings.alpine?.targets !== undefined ? { targets: settings.alpine.targets } : {}),
      ...(settings.alpine?.repo !== undefined ? { repo: settings.alpine.repo } : {}),
      ...arches(settings.alpine?.architectures),
    };
  }
  return out;
}

/**
 * Publishes to project `project`'s repository: adds the packages of the releases named, removes the
 * selected ones, applies retention, signs with the project's keys, rebuilds the install files, and records
 * the publish (row and audit). Errors are ServerErrors or @packyard/repo's RepoErrors (mapped to statuses
 * in app/http-errors.ts).
 *
 * @example await publishRepository(deps, { id: 1, slug: "hello" }, { add: [{ package: "hello", version: "1.0.0" }] }, userId);
 */
export async function publishRepository(
  deps: PublishDeps,
  project: { id: number; slug: string },
  request: PublishRequest,
  actorUserId: number | null,
): Promise<RepositoryPublishResult> {
  // Billing (billing/entitlements.ts): a lapsed subscription publishes nothing new (what is hosted stays).
  await checkProjectWrite(deps.db, deps.config.plans, project.id, "publish");
  const started = performance.now();
  let outcome: "ok" | "failed" = "failed";
  try {
    const result = await run(deps, project, request, actorUserId);
    outcome = "ok";
    return result;
  } finally {
    deps.metrics?.published(outcome, (performance.now() - started) / 1000);
  }
}

async function run(
  deps: PublishDeps,
  project: { id: number; slug: string },
  request: PublishRequest,
  actorUserId: number | null,
): Promise<RepositoryPublishResult> {
  const { db, clock } = deps;
  const repo = await ensureRepository(db, project.id, clock.now());
  const add: PublishInput[] = [];
  const seen = new Set<number>();
  for (const release of request.add ?? []) {
    const found = await artifactsForPublish(db, deps.storage, project.id, {
      package: release.package,
      version: release.version,
    });
    if (found.length === 0)
      throw new ServerError(
        "NOT_FOUND",
        `Expected release ${release.package} ${release.version} of project ${project.slug} to hold uploaded packages, found none`,
        { field: "add", found: `${release.package} ${release.version}` },
      );
    for (const a of found) {
      if (seen.has(a.id)) continue;
      seen.add(a.id);
      add.push({ info: a.info, source: a.source, name: a.name });
    }
  }
  const signers = await projectSigners(db, deps.masterKey, project.id, clock.now());
  const view = repositoryStorage(deps.storage, project.slug, repo.name);
  // A private repository is reached through the server only (the read token is checked there): its install
  // text never points at storage served directly.
  const url = repositoryUrl(
    repo.private
      ? { ...(deps.config.publicUrl !== undefined ? { publicUrl: deps.config.publicUrl } : {}) }
      : deps.config,
    project.slug,
    repo.name,
  );
  // Families the repository serves (read before the lock: a root made meanwhile by another publish only
  // misses this publish's family-less removals) and those this publish adds to.
  const states: RootState[] = await repositoryStates(view);
  const families = new Set<Family>(states.map((s) => s.family));
  for (const input of add) {
    const f = familyOf(input);
    if (f !== undefined) families.add(f);
  }
  const keep = request.keep ?? repo.settings.keep;
  const owner =
    deps.config.publicUrl !== undefined
      ? { kind: "server" as const, url: deps.config.publicUrl }
      : { kind: "server" as const };
  const signing = {
    signers: signers.openpgp,
    // Both keys during a rotation's overlap (APKINDEX carries a signature by each), the new one first.
    ...(signers.apk.length > 0 ? { apkSigners: signers.apk } : {}),
    keyName: project.slug,
    install: {
      ...(url !== undefined ? { baseUrl: url } : {}),
      name: project.slug,
      // A private repository's install steps carry the credential step, with a placeholder for the read
      // token (the basic-auth login is not checked; the project's name reads well there).
      ...(repo.private ? { private: { username: project.slug } } : {}),
    },
    clock: () => clock.now(),
    // Marks the repository as the server's: a CLI publish pointed at it is refused (REPO_OWNED_BY_SERVER).
    owner,
  };
  const keys = signers.keys.map((k) => k.fingerprint);
  const { result, last } = await withPublishLock(
    db,
    repo.id,
    async (lock, session) => {
      // publish and a re-signing refresh run in one hold of the lock: publish's release is deferred to the
      // end of this callback (withPublishLock releases then).
      const held: PublishLock = {
        acquire: (o) => lock.acquire(o),
        renew: () => lock.renew(),
        assertHeld: () => lock.assertHeld(),
        release: async () => {},
      };
      const result = await publish(view, {
        add,
        ...(request.remove !== undefined ? { remove: request.remove } : {}),
        ...(keep !== undefined ? { keep } : {}),
        ...publishSettings(repo.settings, families, project.slug, url),
        ...signing,
        lock: held,
      });
      // Read under the lock, where the previous publish recorded the keys it signed with. When they changed
      // (a rotation began or its overlap ended), roots this publish did not rewrite still carry the old
      // signatures: every root is signed again with the keys of now.
      const previous = (await findRepository(session, project.id, repo.name))?.lastPublish;
      const rotated =
        previous !== null && previous !== undefined && previous.keys?.join(" ") !== keys.join(" ");
      // Roots this publish rewrote are signed with the keys of now already; the others are signed again.
      const stale = rotated
        ? (await repositoryStates(view)).map((st) => st.root).filter((r) => !result.roots.includes(r))
        : [];
      if (stale.length > 0) {
        const refreshed = await refreshRepository(view, { ...signing, lock: held, except: result.roots });
        result.changedKeys.push(...refreshed.changedKeys);
        result.roots = [...new Set([...result.roots, ...refreshed.roots])];
      }
      const last: LastPublish = {
        at: clock.now().toISOString(),
        added: result.added.length,
        removed: result.removed.length,
        unchanged: result.unchanged.length,
        roots: result.roots,
        keys,
      };
      // Recorded before the lock is released, so the next holder sees these keys.
      await recordPublish(session, repo.id, last);
      return { result, last };
    },
    { description: `the repository ${project.slug}/${repo.name}` },
  );
  await db.transaction(async (tx) => {
    await tx.query(
      "INSERT INTO audit_events (at, actor_user_id, project_id, action, details) VALUES ($1, $2, $3, $4, $5::jsonb)",
      [
        clock.now(),
        actorUserId,
        project.id,
        "repository.publish",
        JSON.stringify({ repository: repo.name, ...last }),
      ],
    );
  });
  const { warnings, written: _written, deleted: _deleted, ...rest } = result;
  return { ...rest, warnings: warnings ?? [], repository: { ...repo, lastPublish: last } };
}
