/**
 * The install instructions of a project's hosted repository, as the server returns them to users:
 * `GET /api/v1/projects/:project/repository/install[?target=ID][&format=text|sh]`.
 *
 * They are read from the repository's published `install.json` (written by every publish through
 * @packyard/repo) and rendered by @packyard/repo's `installText`; nothing is retyped here. `format=sh`
 * (needs `target`) is the target's steps as one POSIX sh script run as root — the commands `install.sh` and
 * the install page show — so `curl …&format=sh | sh` adds the repository and installs the package.
 *
 * Public, as the repository's install page is: a private repository's instructions answer 404 here (its
 * members read them from the repository with a read token), so private project names do not leak.
 */
import { collectBytes, type InstallDocument, installText, isRepoError } from "@packyard/repo";
import type { FastifyInstance } from "fastify";
import { ServerError } from "../../errors.ts";
import { findRepository, repositoryStorage } from "../../repos/settings.ts";
import type { PluginOptions } from "../app.ts";
import { ERRORS, SLUG } from "../schemas.ts";

const TEXT = {
  description: "Install instructions as text, or a POSIX sh script of one target's steps",
  content: { "text/plain": { schema: { type: "string" } } },
} as const;

/** The published install document of a project's repository, or undefined when it has none. */
async function publishedDocument(
  options: PluginOptions,
  project: string,
): Promise<InstallDocument | undefined> {
  const { db, storage } = options.deps;
  const { rows } = await db.query<{ id: number }>("SELECT id FROM projects WHERE slug = $1", [project]);
  const projectId = rows[0]?.id;
  if (projectId === undefined) return undefined;
  const repository = await findRepository(db, projectId);
  if (repository === undefined || repository.private) return undefined;
  const view = repositoryStorage(storage, project, repository.name);
  const body = await view.get("install.json");
  if (body === undefined) return undefined;
  return JSON.parse(new TextDecoder().decode(await collectBytes(body))) as InstallDocument;
}

/** The steps of one target as a script: `set -e`, then each step's command under its title. */
function stepsScript(doc: InstallDocument, target: string): string {
  const t = doc.targets.find((x) => x.id === target);
  if (t === undefined)
    throw new ServerError(
      "NOT_FOUND",
      `Expected a target this repository serves (${doc.targets.map((x) => x.id).join(", ") || "none"}), found ${target}`,
      { field: "target", found: target, expected: doc.targets.map((x) => x.id) },
    );
  const lines = [`#!/bin/sh`, `# ${t.name}: run as root`, "set -e"];
  for (const step of t.steps) lines.push("", `# ${step.title}`, step.command);
  return `${lines.join("\n")}\n`;
}

export async function installPlugin(app: FastifyInstance, options: PluginOptions): Promise<void> {
  app.get<{ Params: { project: string }; Querystring: { target?: string; format?: "text" | "sh" } }>(
    "/projects/:project/repository/install",
    {
      config: { authz: "public" },
      schema: {
        summary: "Install instructions of the project's repository (public repositories)",
        params: { type: "object", required: ["project"], properties: { project: SLUG } },
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            target: { type: "string", pattern: "^[a-z0-9][a-z0-9.-]{0,63}$" },
            format: { type: "string", enum: ["text", "sh"] },
          },
        },
        response: { 200: TEXT, ...ERRORS },
      },
    },
    async (request, reply) => {
      const { project } = request.params;
      const { target, format = "text" } = request.query;
      const doc = await publishedDocument(options, project);
      if (doc === undefined)
        throw new ServerError(
          "NOT_FOUND",
          `Expected a published public repository of project ${project}, found none`,
          { field: "project" },
        );
      let text: string;
      if (format === "sh") {
        if (target === undefined)
          throw new ServerError("INVALID_REQUEST", "Expected ?target=<id> with format=sh, found none", {
            field: "target",
          });
        text = stepsScript(doc, target);
      } else {
        try {
          text = installText(doc, target === undefined ? {} : { target });
        } catch (e) {
          if (isRepoError(e) && e.code === "UNKNOWN_TARGET")
            throw new ServerError("NOT_FOUND", e.message, { field: "target", found: target });
          throw e;
        }
      }
      return reply
        .header("content-type", "text/plain; charset=utf-8")
        .header("cache-control", "max-age=60")
        .send(text);
    },
  );
}
