/**
 * Projects and their members: the routes over projects/service.ts, where the rules live (shared with the
 * web pages). Viewers read a project; owners manage members and delete it.
 */
import type { FastifyInstance } from "fastify";
import {
  createProject,
  deleteProject,
  getProject,
  listMembers,
  listProjects,
  changeMember,
  removeMember,
  setMember,
} from "../../projects/service.ts";
import type { PluginOptions } from "../app.ts";
import type { Role } from "../authz.ts";
import { ERRORS, MEMBER, NO_CONTENT, PROJECT, ROLE, SLUG } from "../schemas.ts";

const PROJECT_PARAMS = { type: "object", required: ["project"], properties: { project: SLUG } } as const;

export async function projectsPlugin(app: FastifyInstance, options: PluginOptions): Promise<void> {
  const { db } = options.deps;

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
    async (request, reply) =>
      reply.status(201).send(await createProject(options.deps, request.principal!, request.body)),
  );

  app.get(
    "/projects",
    {
      config: { authz: { signedIn: true, scope: "read" } },
      schema: { response: { 200: { type: "array", items: PROJECT }, ...ERRORS } },
    },
    async (request) => listProjects(db, request.principal!),
  );

  app.get<{ Params: { project: string } }>(
    "/projects/:project",
    {
      config: { authz: { project: "viewer", scope: "read" } },
      schema: { params: PROJECT_PARAMS, response: { 200: PROJECT, ...ERRORS } },
    },
    async (request) => getProject(db, request.project!.id, request.project!.role),
  );

  app.delete<{ Params: { project: string } }>(
    "/projects/:project",
    {
      config: { authz: { project: "owner", scope: "write" } },
      schema: { params: PROJECT_PARAMS, response: NO_CONTENT },
    },
    async (request, reply) => {
      await deleteProject(options.deps, request.principal!.userId, request.project!);
      return reply.status(204).send();
    },
  );

  app.get<{ Params: { project: string } }>(
    "/projects/:project/members",
    {
      config: { authz: { project: "viewer", scope: "read" } },
      schema: { params: PROJECT_PARAMS, response: { 200: { type: "array", items: MEMBER }, ...ERRORS } },
    },
    async (request) => listMembers(db, request.project!.id),
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
    async (request) =>
      setMember(
        options.deps,
        request.project!.id,
        request.params.user,
        request.body.role,
        request.principal!.userId,
      ),
  );

  app.delete<{ Params: { project: string; user: string } }>(
    "/projects/:project/members/:user",
    {
      config: { authz: { project: "owner", scope: "write" } },
      schema: { params: MEMBER_PARAMS, response: NO_CONTENT },
    },
    async (request, reply) => {
      await removeMember(options.deps, request.project!.id, request.params.user, request.principal!.userId);
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
      await changeMember(options.deps, request.project!.id, caller.userId, null, caller.userId);
      return reply.status(204).send();
    },
  );
}
