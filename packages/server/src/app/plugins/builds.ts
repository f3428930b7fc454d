/**
 * Build routes (issue 20): the target catalogue, build requests, listing, one build, cancelling.
 *
 * - `GET /api/v1/targets` (public): every catalogue target with its build-side fields, for CI matrices.
 * - `POST /api/v1/projects/:project/packages/:pkg/builds` (maintainer + publish) → 201 the build.
 * - `GET /api/v1/projects/:project/builds?package=&limit=` (viewer + read) → newest first.
 * - `GET /api/v1/builds/:id` (viewer + read) and `POST /api/v1/builds/:id/cancel` (maintainer + publish):
 *   the build's project is found from the build, then checked as project routes check theirs (404 for a
 *   project the caller cannot see, 403 for a weaker role).
 *
 * URLs carry their `/api/v1` prefix here: the plugin is registered without one.
 */
import type { FastifyInstance } from "fastify";
import { listTargets } from "../../builds/catalogue.ts";
import { cancelBuild } from "../../builds/queue.ts";
import { createBuild } from "../../builds/requests.ts";
import { buildAccess, getBuild, listBuilds, MAX_LIST_LIMIT } from "../../builds/views.ts";
import type { PluginOptions } from "../app.ts";
import { ERRORS, SLUG } from "../schemas.ts";

const DATE = { type: "string", format: "date-time" } as const;
const NULLABLE_DATE = { type: ["string", "null"], format: "date-time" } as const;
const STATE = {
  type: "string",
  enum: ["pending", "running", "publishing", "succeeded", "failed", "cancelled"],
} as const;
const STRINGS = { type: "array", items: { type: "string" } } as const;
const WARNING = {
  type: "object",
  required: ["code", "message"],
  properties: { code: { type: "string" }, message: { type: "string" } },
} as const;

/** A catalogue target with its build-side fields. */
export const TARGET_SCHEMA = {
  type: "object",
  required: [
    "id",
    "name",
    "family",
    "format",
    "packager",
    "architectures",
    "layout",
    "deprecated",
    "environment",
    "labels",
  ],
  properties: {
    id: { type: "string" },
    name: { type: "string" },
    family: { type: "string", enum: ["deb", "rpm", "archlinux", "alpine"] },
    format: { type: "string" },
    packager: { type: "string", enum: ["deb", "rpm", "archlinux", "apk"] },
    architectures: STRINGS,
    layout: { type: "object", additionalProperties: { type: "string" } },
    deprecated: { type: ["string", "null"] },
    environment: { type: "string" },
    labels: STRINGS,
  },
} as const;

const JOB_SCHEMA = {
  type: "object",
  required: [
    "id",
    "format",
    "arch",
    "environment",
    "targets",
    "state",
    "attempt",
    "hasSteps",
    "failure",
    "artifact",
    "startedAt",
    "finishedAt",
  ],
  properties: {
    id: { type: "integer" },
    format: { type: "string" },
    arch: { type: "string" },
    environment: { type: "string" },
    targets: STRINGS,
    state: STATE,
    attempt: { type: "integer" },
    hasSteps: { type: "boolean" },
    failure: {
      type: ["object", "null"],
      required: ["code", "message"],
      properties: { code: { type: "string" }, message: { type: "string" } },
    },
    artifact: {
      type: ["object", "null"],
      required: ["fileName", "sha256"],
      properties: { fileName: { type: "string" }, sha256: { type: "string" } },
    },
    startedAt: NULLABLE_DATE,
    finishedAt: NULLABLE_DATE,
  },
} as const;

/** A build as the API answers it (BuildView). */
export const BUILD_SCHEMA = {
  type: "object",
  required: [
    "id",
    "project",
    "package",
    "version",
    "state",
    "targets",
    "force",
    "trigger",
    "warnings",
    "sourceDateEpoch",
    "sources",
    "createdAt",
    "startedAt",
    "finishedAt",
    "jobs",
  ],
  properties: {
    id: { type: "integer" },
    project: { type: "string" },
    package: { type: "string" },
    version: { type: "string" },
    state: STATE,
    targets: STRINGS,
    force: { type: "boolean" },
    trigger: { type: "string", enum: ["api", "webhook", "web"] },
    warnings: { type: "array", items: WARNING },
    sourceDateEpoch: { type: "integer" },
    sources: {
      type: "array",
      items: {
        type: "object",
        required: ["accessName", "sha256", "size"],
        properties: { accessName: { type: "string" }, sha256: { type: "string" }, size: { type: "integer" } },
      },
    },
    createdAt: DATE,
    startedAt: NULLABLE_DATE,
    finishedAt: NULLABLE_DATE,
    jobs: { type: "array", items: JOB_SCHEMA },
  },
} as const;

/** What `POST …/builds` takes. */
export const BUILD_REQUEST_SCHEMA = {
  type: "object",
  required: ["version"],
  additionalProperties: false,
  properties: {
    version: { type: "string", minLength: 1, maxLength: 128 },
    targets: {
      type: "array",
      minItems: 1,
      maxItems: 100,
      uniqueItems: true,
      items: { type: "string", minLength: 1, maxLength: 64 },
    },
    force: { type: "boolean" },
  },
} as const;

const BUILD_ID_PARAMS = {
  type: "object",
  required: ["id"],
  properties: { id: { type: "integer", minimum: 1, maximum: Number.MAX_SAFE_INTEGER } },
} as const;

export async function buildsPlugin(app: FastifyInstance, options: PluginOptions): Promise<void> {
  const { db } = options.deps;

  app.get(
    "/api/v1/targets",
    {
      config: { authz: "public" },
      schema: {
        response: {
          200: {
            type: "object",
            required: ["targets"],
            properties: { targets: { type: "array", items: TARGET_SCHEMA } },
          },
          ...ERRORS,
        },
      },
    },
    async () => ({ targets: listTargets() }),
  );

  app.post<{
    Params: { project: string; pkg: string };
    Body: { version: string; targets?: string[]; force?: boolean };
  }>(
    "/api/v1/projects/:project/packages/:pkg/builds",
    {
      config: { authz: { project: "maintainer", scope: "publish" } },
      schema: {
        params: {
          type: "object",
          required: ["project", "pkg"],
          properties: { project: SLUG, pkg: { type: "string" } },
        },
        body: BUILD_REQUEST_SCHEMA,
        response: { 201: BUILD_SCHEMA, ...ERRORS },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const build = await createBuild(options.deps, {
        projectId: request.project!.id,
        packageName: request.params.pkg,
        version: body.version,
        ...(body.targets === undefined ? {} : { targets: body.targets }),
        force: body.force === true,
        userId: request.principal!.userId,
        trigger: "api",
      });
      return reply.status(201).send(build);
    },
  );

  app.get<{ Params: { project: string }; Querystring: { package?: string; limit?: number } }>(
    "/api/v1/projects/:project/builds",
    {
      config: { authz: { project: "viewer", scope: "read" } },
      schema: {
        params: { type: "object", required: ["project"], properties: { project: SLUG } },
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            package: { type: "string", minLength: 1, maxLength: 128 },
            limit: { type: "integer", minimum: 1, maximum: MAX_LIST_LIMIT, default: 20 },
          },
        },
        response: {
          200: {
            type: "object",
            required: ["builds"],
            properties: { builds: { type: "array", items: BUILD_SCHEMA } },
          },
          ...ERRORS,
        },
      },
    },
    async (request) => {
      const q = request.query;
      const builds = await listBuilds(db, request.project!.id, {
        ...(q.package === undefined ? {} : { package: q.package }),
        ...(q.limit === undefined ? {} : { limit: q.limit }),
      });
      return { builds };
    },
  );

  app.get<{ Params: { id: number } }>(
    "/api/v1/builds/:id",
    {
      config: { authz: { signedIn: true, scope: "read" } },
      schema: { params: BUILD_ID_PARAMS, response: { 200: BUILD_SCHEMA, ...ERRORS } },
    },
    async (request) => {
      await buildAccess(db, request.principal!, request.params.id, "viewer");
      return getBuild(db, request.params.id);
    },
  );

  app.post<{ Params: { id: number } }>(
    "/api/v1/builds/:id/cancel",
    {
      config: { authz: { signedIn: true, scope: "publish" } },
      schema: { params: BUILD_ID_PARAMS, response: { 200: BUILD_SCHEMA, ...ERRORS } },
    },
    async (request) => {
      await buildAccess(db, request.principal!, request.params.id, "maintainer");
      await cancelBuild(db, request.params.id);
      return getBuild(db, request.params.id);
    },
  );
}
