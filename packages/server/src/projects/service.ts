/**
 * Projects and their members, as service functions: the API's routes (app/plugins/projects.ts) and the
 * web pages call these, so each rule lives once. Anyone signed in (write scope, token not bound to a
 * project) creates a project and becomes its owner; owners manage members and delete it. A project always
 * keeps an owner: demoting, removing or the leaving of the last one is 409 LAST_OWNER. Creations,
 * membership changes and deletions are audited.
 */
import type { AppDeps } from "../app/deps.ts";
import { actsAsAdmin, type Principal, type Role } from "../app/authz.ts";
import { userBySlug } from "../accounts/users.ts";
import type { Db, Tx } from "../db/db.ts";
import { isUniqueViolation } from "../db/driver-error.ts";
import { ServerError } from "../errors.ts";
import { newProjectKeys } from "../keys/new-keys.ts";
import { insertKey } from "../keys/project-keys.ts";
import { checkProjectCreation } from "../billing/entitlements.ts";

/** A project as the API shows it, with the caller's role. */
export interface ProjectView {
  id: number;
  slug: string;
  displayName: string;
  role: Role;
  createdAt: Date;
}

/** A project member as the API shows it. */
export interface MemberView {
  user: string;
  role: Role;
  since: Date;
}

interface ProjectRow {
  id: number;
  slug: string;
  display_name: string;
  role: Role | null;
  created_at: Date;
}

const toProject = (r: ProjectRow, role: Role): ProjectView => ({
  id: r.id,
  slug: r.slug,
  displayName: r.display_name,
  role,
  createdAt: r.created_at,
});

/** Writes an audit row in `tx`. */
export async function audit(
  tx: Tx,
  at: Date,
  actor: number,
  projectId: number,
  action: string,
  details: object,
): Promise<void> {
  await tx.query(
    "INSERT INTO audit_events (at, actor_user_id, project_id, action, details) VALUES ($1, $2, $3, $4, $5::jsonb)",
    [at, actor, projectId, action, JSON.stringify(details)],
  );
}

/**
 * Creates project `slug` owned by `caller`, with its signing keys (made before the transaction: RSA-4096
 * takes seconds and PGlite runs one transaction at a time). A token bound to a project → FORBIDDEN; a
 * taken name → ALREADY_EXISTS (checked before any key is made, and again by the unique index).
 */
export async function createProject(
  deps: AppDeps,
  caller: Principal,
  input: { slug: string; displayName?: string },
): Promise<ProjectView> {
  const { db, clock } = deps;
  if (caller.tokenProjectId !== null)
    throw new ServerError(
      "FORBIDDEN",
      "Expected a token not bound to a project, found one bound to a project",
    );
  const now = clock.now();
  const slug = input.slug;
  const taken = () =>
    new ServerError("ALREADY_EXISTS", `Expected a free project name, found ${slug} taken`, { field: "slug" });
  const { rows: existing } = await db.query("SELECT 1 FROM projects WHERE slug = $1", [slug]);
  if (existing.length > 0) throw taken();
  // Billing (billing/entitlements.ts): the caller is the new project's billing account. An early refusal
  // before the keys are made; the check that counts is repeated below under the subscription's lock.
  await checkProjectCreation(db, deps.config.plans, caller.userId, now, false);
  const keys = await newProjectKeys(deps, slug, now);
  try {
    const row = await db.transaction(async (tx) => {
      // Billing: the check that counts, in this transaction with the account's subscription row locked.
      await checkProjectCreation(tx, deps.config.plans, caller.userId, now, true);
      const { rows } = await tx.query<ProjectRow>(
        `INSERT INTO projects (slug, display_name, created_at, billing_user_id) VALUES ($1, $2, $3, $4)
         RETURNING id, slug, display_name, NULL AS role, created_at`,
        [slug, input.displayName ?? "", now, caller.userId],
      );
      const project = rows[0]!;
      for (const key of keys) await insertKey(tx, deps.masterKey, project.id, key, now);
      await tx.query(
        "INSERT INTO memberships (project_id, user_id, role, created_at) VALUES ($1, $2, 'owner', $3)",
        [project.id, caller.userId, now],
      );
      await audit(tx, now, caller.userId, project.id, "project.create", {});
      return project;
    });
    return toProject(row, "owner");
  } catch (e) {
    if (isUniqueViolation(e, "projects_slug_key")) throw taken();
    throw e;
  }
}

/** The projects `caller` sees (all of them for an administrator), by name. */
export async function listProjects(db: Db, caller: Principal): Promise<ProjectView[]> {
  const { rows } = await db.query<ProjectRow>(
    `SELECT p.id, p.slug, p.display_name, m.role, p.created_at
       FROM projects p LEFT JOIN memberships m ON m.project_id = p.id AND m.user_id = $1
      WHERE ($2 OR m.role IS NOT NULL) AND ($3::bigint IS NULL OR p.id = $3)
      ORDER BY p.slug`,
    [caller.userId, actsAsAdmin(caller), caller.tokenProjectId],
  );
  return rows.map((r) => toProject(r, r.role ?? "owner"));
}

/** Project `id` with the caller's `role`. */
export async function getProject(db: Db, id: number, role: Role): Promise<ProjectView> {
  const { rows } = await db.query<ProjectRow>(
    "SELECT id, slug, display_name, NULL AS role, created_at FROM projects WHERE id = $1",
    [id],
  );
  return toProject(rows[0]!, role);
}

/** Deletes project `project` (its rows go with it; blobs stay for collection). */
export async function deleteProject(
  deps: AppDeps,
  actor: number,
  project: { id: number; slug: string },
): Promise<void> {
  await deps.db.transaction(async (tx) => {
    await audit(tx, deps.clock.now(), actor, project.id, "project.delete", { slug: project.slug });
    await tx.query("DELETE FROM projects WHERE id = $1", [project.id]);
  });
}

/** The project's members, by user name. */
export async function listMembers(db: Db, projectId: number): Promise<MemberView[]> {
  const { rows } = await db.query<{ slug: string; role: Role; created_at: Date }>(
    `SELECT u.slug, m.role, m.created_at FROM memberships m JOIN users u ON u.id = m.user_id
      WHERE m.project_id = $1 ORDER BY u.slug`,
    [projectId],
  );
  return rows.map((r) => ({ user: r.slug, role: r.role, since: r.created_at }));
}

/**
 * Sets (or with `role` null removes) a membership, refusing to leave the project without an owner
 * (LAST_OWNER). False when removing a membership that does not exist.
 */
export async function changeMember(
  deps: AppDeps,
  projectId: number,
  userId: number,
  role: Role | null,
  actor: number,
): Promise<boolean> {
  const { db, clock } = deps;
  return db.transaction(async (tx) => {
    // Row locks on the project's memberships serialize concurrent changes (PGlite runs one transaction at a time).
    const { rows } = await tx.query<{ user_id: number; role: Role }>(
      "SELECT user_id, role FROM memberships WHERE project_id = $1 ORDER BY user_id FOR UPDATE",
      [projectId],
    );
    const current = rows.find((r) => Number(r.user_id) === userId);
    if (role === null && current === undefined) return false;
    const owners = rows.filter((r) => r.role === "owner").length;
    if (current?.role === "owner" && role !== "owner" && owners <= 1)
      throw new ServerError(
        "LAST_OWNER",
        "Expected the project to keep an owner, found this change would remove its last one; make another member owner first",
        { field: "role" },
      );
    if (role === null) {
      await tx.query("DELETE FROM memberships WHERE project_id = $1 AND user_id = $2", [projectId, userId]);
    } else {
      await tx.query(
        `INSERT INTO memberships (project_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (project_id, user_id) DO UPDATE SET role = EXCLUDED.role`,
        [projectId, userId, role, clock.now()],
      );
    }
    await audit(tx, clock.now(), actor, projectId, role === null ? "member.remove" : "member.set", {
      userId,
      role,
    });
    return true;
  });
}

/** Gives user `userSlug` `role` in the project (NOT_FOUND naming the user when there is none). */
export async function setMember(
  deps: AppDeps,
  projectId: number,
  userSlug: string,
  role: Role,
  actor: number,
): Promise<MemberView> {
  const user = await userBySlug(deps.db, userSlug);
  if (user === undefined)
    throw new ServerError("NOT_FOUND", `Expected a user named ${userSlug}, found none`, { field: "user" });
  await changeMember(deps, projectId, user.id, role, actor);
  const { rows } = await deps.db.query<{ created_at: Date }>(
    "SELECT created_at FROM memberships WHERE project_id = $1 AND user_id = $2",
    [projectId, user.id],
  );
  return { user: user.slug, role, since: rows[0]?.created_at ?? deps.clock.now() };
}

/** Removes member `userSlug` (NOT_FOUND when not a member). */
export async function removeMember(
  deps: AppDeps,
  projectId: number,
  userSlug: string,
  actor: number,
): Promise<void> {
  const user = await userBySlug(deps.db, userSlug);
  const removed = user !== undefined && (await changeMember(deps, projectId, user.id, null, actor));
  if (!removed)
    throw new ServerError("NOT_FOUND", `Expected a member named ${userSlug}, found none`, { field: "user" });
}
