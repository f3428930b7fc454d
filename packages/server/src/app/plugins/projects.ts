/**
 * Projects and their members. Anyone signed in (write scope, token not bound to a project) creates a project
 * and becomes its owner; viewers read it; owners manage members and delete it. A project always keeps an
 * owner: demoting, removing or the leaving of the last one is 409 LAST_OWNER. Membership changes and
 * deletions are audited.
 */
import type { FastifyInstance } from "fastify";
import { userBySlug } from "../../accounts/users.ts";
import type { Tx } from "../../db/db.ts";
import { isUniqueViolation } from "../../db/driver-error.ts";
import { ServerError } from "../../errors.ts";
import { newProjectKeys } from "../../keys/new-keys.ts";
import { insertKey } from "../../keys/project-keys.ts";
import type { PluginOptions } from "../app.ts";
import { actsAsAdmin, type Role } from "../authz.ts";
import { ERRORS, MEMBER, NO_CONTENT, PROJECT, ROLE, SLUG } from "../schemas.ts";

interface ProjectRow {
  id: number;
  slug: string;
  display_name: string;
  role: Role | null;
  created_at: Date;
}

const toProject = (r: ProjectRow, role: Role) => ({
  id: r.id,
  slug: r.slug,
  displayName: r.display_name,
  role,
  createdAt: r.created_at,
});

const PROJECT_PARAMS = { type: "object", required: ["project"], properties: { project: SLUG } } as const;

export async function projectsPlugin(app: FastifyInstance, options: PluginOptions): Promise<void> {
  const { db, clock } = options.deps;

  async function audit(tx: Tx, actor: number, projectId: number, action: string, details: object) {
    await tx.query(
      "INSERT INTO audit_events (at, actor_user_id, project_id, action, details) VALUES ($1, $2, $3, $4, $5::jsonb)",
      [clock.now(), actor, projectId, action, JSON.stringify(details)],
    );
  }

  /** Sets (or with `role` null removes) a membership, refusing to leave the project without an owner. */
  async function changeMember(
    projectId: number,
    userId: number,
    role: Role | null,
    actor: number,
  ): Promise<boolean> {
    return db.transaction(async (tx) => {
      // Row locks on the project's memberships serialize concurrent changes (PGlite runs one transaction at a time).
      const { rows } = await tx.query<{ user_id: number; role: Role }>(
        "SELECT user_id, role FROM memberships WHERE project_id = $1 ORDER BY user_id FOR UPDATE",
        [projectId],
      );
      const current = rows.find((r) => r.user_id === userId);
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
      await audit(tx, actor, projectId, role === null ? "member.remove" : "member.set", { userId, role });
      return true;
    });
  }

  app.post<{ Body: { slug: string; displayName?: string } }>(
    "/projects",
    {
      config: { authz: { signedIn: true, scope: "write" } },
      schema: {
        body: {
          type: "object",
          required: ["slug"],
          additionalProperties: false,
          properties: { slug: SLUG, displayName: { type: "string", maxLength: 200 } },
        },
        response: { 201: PROJECT, ...ERRORS },
      },
    },
    async (request, reply) => {
      const caller = request.principal!;
      if (caller.tokenProjectId !== null)
        throw new ServerError(
          "FORBIDDEN",
          "Expected a token not bound to a project, found one bound to a project",
        );
      const now = clock.now();
      const slug = request.body.slug;
      const taken = () =>
        new ServerError("ALREADY_EXISTS", `Expected a free project name, found ${slug} taken`, {
          field: "slug",
        });
      // A taken name is refused before any key is made: generation costs seconds of CPU.
      const { rows: existing } = await db.query("SELECT 1 FROM projects WHERE slug = $1", [slug]);
      if (existing.length > 0) throw taken();
      // The project's signing keys are made before the transaction: RSA-4096 generation takes seconds and
      // PGlite runs one transaction at a time. They are sealed and stored inside it. Another creation of the
      // same name meanwhile makes the INSERT a unique violation, answered the same way.
      const keys = await newProjectKeys(options.deps, slug, now);
      try {
        const row = await db.transaction(async (tx) => {
          const { rows } = await tx.query<ProjectRow>(
            `INSERT INTO projects (slug, display_name, created_at) VALUES ($1, $2, $3)
             RETURNING id, slug, display_name, NULL AS role, created_at`,
            [slug, request.body.displayName ?? "", now],
          );
          const project = rows[0]!;
          for (const key of keys) await insertKey(tx, options.deps.masterKey, project.id, key, now);
          await tx.query(
            "INSERT INTO memberships (project_id, user_id, role, created_at) VALUES ($1, $2, 'owner', $3)",
            [project.id, caller.userId, now],
          );
          await audit(tx, caller.userId, project.id, "project.create", {});
          return project;
        });
        return reply.status(201).send(toProject(row, "owner"));
      } catch (e) {
        if (isUniqueViolation(e, "projects_slug_key")) throw taken();
        throw e;
      }
    },
  );

  app.get(
    "/projects",
    {
      config: { authz: { signedIn: true, scope: "read" } },
      schema: { response: { 200: { type: "array", items: PROJECT }, ...ERRORS } },
    },
    async (request) => {
      const caller = request.principal!;
      const all = actsAsAdmin(caller);
      const { rows } = await db.query<ProjectRow>(
        `SELECT p.id, p.slug, p.display_name, m.role, p.created_at
           FROM projects p LEFT JOIN memberships m ON m.project_id = p.id AND m.user_id = $1
          WHERE ($2 OR m.role IS NOT NULL) AND ($3::bigint IS NULL OR p.id = $3)
          ORDER BY p.slug`,
        [caller.userId, all, caller.tokenProjectId],
      );
      return rows.map((r) => toProject(r, r.role ?? "owner"));
    },
  );

  app.get<{ Params: { project: string } }>(
    "/projects/:project",
    {
      config: { authz: { project: "viewer", scope: "read" } },
      schema: { params: PROJECT_PARAMS, response: { 200: PROJECT, ...ERRORS } },
    },
    async (request) => {
      const p = request.project!;
      const { rows } = await db.query<ProjectRow>(
        "SELECT id, slug, display_name, NULL AS role, created_at FROM projects WHERE id = $1",
        [p.id],
      );
      return toProject(rows[0]!, p.role);
    },
  );

  app.delete<{ Params: { project: string } }>(
    "/projects/:project",
    {
      config: { authz: { project: "owner", scope: "write" } },
      schema: { params: PROJECT_PARAMS, response: NO_CONTENT },
    },
    async (request, reply) => {
      const p = request.project!;
      await db.transaction(async (tx) => {
        await audit(tx, request.principal!.userId, p.id, "project.delete", { slug: p.slug });
        await tx.query("DELETE FROM projects WHERE id = $1", [p.id]);
      });
      return reply.status(204).send();
    },
  );

  app.get<{ Params: { project: string } }>(
    "/projects/:project/members",
    {
      config: { authz: { project: "viewer", scope: "read" } },
      schema: { params: PROJECT_PARAMS, response: { 200: { type: "array", items: MEMBER }, ...ERRORS } },
    },
    async (request) => {
      const { rows } = await db.query<{ slug: string; role: Role; created_at: Date }>(
        `SELECT u.slug, m.role, m.created_at FROM memberships m JOIN users u ON u.id = m.user_id
          WHERE m.project_id = $1 ORDER BY u.slug`,
        [request.project!.id],
      );
      return rows.map((r) => ({ user: r.slug, role: r.role, since: r.created_at }));
    },
  );

  const MEMBER_PARAMS = {
    type: "object",
    required: ["project", "user"],
    properties: { project: SLUG, user: SLUG },
  } as const;

  app.put<{ Params: { project: string; user: string }; Body: { role: Role } }>(
    "/projects/:project/members/:user",
    {
      config: { authz: { project: "owner", scope: "write" } },
      schema: {
        params: MEMBER_PARAMS,
        body: { type: "object", required: ["role"], additionalProperties: false, properties: { role: ROLE } },
        response: { 200: MEMBER, ...ERRORS },
      },
    },
    async (request) => {
      const user = await userBySlug(db, request.params.user);
      if (user === undefined)
        throw new ServerError("NOT_FOUND", `Expected a user named ${request.params.user}, found none`, {
          field: "user",
        });
      await changeMember(request.project!.id, user.id, request.body.role, request.principal!.userId);
      const { rows } = await db.query<{ created_at: Date }>(
        "SELECT created_at FROM memberships WHERE project_id = $1 AND user_id = $2",
        [request.project!.id, user.id],
      );
      return { user: user.slug, role: request.body.role, since: rows[0]?.created_at ?? clock.now() };
    },
  );

  app.delete<{ Params: { project: string; user: string } }>(
    "/projects/:project/members/:user",
    {
      config: { authz: { project: "owner", scope: "write" } },
      schema: { params: MEMBER_PARAMS, response: NO_CONTENT },
    },
    async (request, reply) => {
      const user = await userBySlug(db, request.params.user);
      const removed =
        user !== undefined &&
        (await changeMember(request.project!.id, user.id, null, request.principal!.userId));
      if (!removed)
        throw new ServerError("NOT_FOUND", `Expected a member named ${request.params.user}, found none`, {
          field: "user",
        });
      return reply.status(204).send();
    },
  );

  app.delete<{ Params: { project: string } }>(
    "/projects/:project/membership",
    {
      config: { authz: { project: "viewer", scope: "write" } },
      schema: { params: PROJECT_PARAMS, response: NO_CONTENT },
    },
    async (request, reply) => {
      // Leaving a project one is not a member of (an administrator's view) changes nothing: still 204.
      const caller = request.principal!;
      await changeMember(request.project!.id, caller.userId, null, caller.userId);
      return reply.status(204).send();
    },
  );
}
