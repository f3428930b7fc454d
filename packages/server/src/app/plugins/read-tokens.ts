/**
 * Read tokens of a project's private repositories (repos/read-tokens.ts), under `/api/v1`:
 *
 * - `POST /projects/:project/repository/read-tokens` (owner, `write` scope): `{ name, expiresAt? }` →
 *   201 `{ token, info }`; the token string is shown this once.
 * - `GET /projects/:project/repository/read-tokens` (owner, `read` scope): the project's read tokens,
 *   revoked and expired ones included, newest first; never the token strings.
 * - `DELETE /projects/:project/repository/read-tokens/:id` (owner, `write` scope): revokes one; 204, 404
 *   for a token the project does not have.
 *
 * Owners only: a read token hands the repository to whoever holds it, like adding a member. Creation and
 * revocation are audited (`read_token.create`, `read_token.revoke`).
 */
import type { FastifyInstance } from "fastify";
import type { Tx } from "../../db/db.ts";
import { ServerError } from "../../errors.ts";
import { issueReadToken, listReadTokens, revokeReadToken } from "../../repos/read-tokens.ts";
import type { PluginOptions } from "../app.ts";
import { ERRORS, NO_CONTENT, SLUG } from "../schemas.ts";

const NULLABLE_DATE = { type: ["string", "null"], format: "date-time" } as const;

/** A read token as the API shows it. */
export const READ_TOKEN_INFO = {
  type: "object",
  required: ["id", "name", "createdBy", "expiresAt", "revokedAt", "lastUsedAt", "createdAt"],
  properties: {
    id: { type: "integer" },
    name: { type: "string" },
    createdBy: { type: ["string", "null"] },
    expiresAt: NULLABLE_DATE,
    revokedAt: NULLABLE_DATE,
    lastUsedAt: NULLABLE_DATE,
    createdAt: { type: "string", format: "date-time" },
  },
} as const;

/** A new read token: its info and, this once, the token string. */
export const NEW_READ_TOKEN = {
  type: "object",
  required: ["token", "info"],
  properties: { token: { type: "string" }, info: READ_TOKEN_INFO },
} as const;

const PROJECT_PARAMS = { type: "object", required: ["project"], properties: { project: SLUG } } as const;

export async function readTokensPlugin(app: FastifyInstance, options: PluginOptions): Promise<void> {
  const { db, clock } = options.deps;
  const strict = { max: options.rateLimit.strictMax, timeWindow: options.rateLimit.windowMs };

  async function audit(tx: Tx, actor: number, projectId: number, action: string, details: object) {
    await tx.query(
      "INSERT INTO audit_events (at, actor_user_id, project_id, action, details) VALUES ($1, $2, $3, $4, $5::jsonb)",
      [clock.now(), actor, projectId, action, JSON.stringify(details)],
    );
  }

  app.post<{ Params: { project: string }; Body: { name: string; expiresAt?: string } }>(
    "/projects/:project/repository/read-tokens",
    {
      config: { authz: { project: "owner", scope: "write" }, rateLimit: strict },
      schema: {
        params: PROJECT_PARAMS,
        body: {
          type: "object",
          required: ["name"],
          additionalProperties: false,
          properties: {
            name: { type: "string", minLength: 1, maxLength: 100 },
            expiresAt: { type: "string", format: "date-time" },
          },
        },
        response: { 201: NEW_READ_TOKEN, ...ERRORS },
      },
    },
    async (request, reply) => {
      const now = clock.now();
      const expiresAt = request.body.expiresAt === undefined ? null : new Date(request.body.expiresAt);
      if (expiresAt !== null && expiresAt.getTime() <= now.getTime())
        throw new ServerError(
          "INVALID_REQUEST",
          `Expected expiresAt in the future, found ${request.body.expiresAt} (now is ${now.toISOString()})`,
          { field: "expiresAt" },
        );
      const project = request.project!;
      const caller = request.principal!.userId;
      const made = await db.transaction(async (tx) => {
        const m = await issueReadToken(
          tx,
          { projectId: project.id, userId: caller, name: request.body.name, expiresAt },
          now,
        );
        await audit(tx, caller, project.id, "read_token.create", { tokenId: m.info.id, name: m.info.name });
        return m;
      });
      return reply.status(201).send(made);
    },
  );

  app.get<{ Params: { project: string } }>(
    "/projects/:project/repository/read-tokens",
    {
      config: { authz: { project: "owner", scope: "read" } },
      schema: {
        params: PROJECT_PARAMS,
        response: { 200: { type: "array", items: READ_TOKEN_INFO }, ...ERRORS },
      },
    },
    async (request) => listReadTokens(db, request.project!.id),
  );

  app.delete<{ Params: { project: string; id: number } }>(
    "/projects/:project/repository/read-tokens/:id",
    {
      config: { authz: { project: "owner", scope: "write" } },
      schema: {
        params: {
          type: "object",
          required: ["project", "id"],
          properties: { project: SLUG, id: { type: "integer", minimum: 1 } },
        },
        response: NO_CONTENT,
      },
    },
    async (request, reply) => {
      const project = request.project!;
      const caller = request.principal!.userId;
      const revoked = await db.transaction(async (tx) => {
        const done = await revokeReadToken(tx, project.id, request.params.id, clock.now());
        if (done) await audit(tx, caller, project.id, "read_token.revoke", { tokenId: request.params.id });
        return done;
      });
      if (!revoked)
        throw new ServerError(
          "NOT_FOUND",
          `Expected a read token of project ${project.slug} with id ${request.params.id}, found none`,
          { field: "id" },
        );
      return reply.status(204).send();
    },
  );
}
