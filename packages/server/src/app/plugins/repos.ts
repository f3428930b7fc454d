/**
 * A project's hosted repository: its settings (viewers read them; owners write them) and publishing
 * (maintainers, `publish` scope). One repository per project, `main`, made by the first PUT or publish.
 *
 * - `GET /projects/:project/repository`: the settings, the URL users fetch from, the newest publish.
 * - `PUT /projects/:project/repository`: replaces the settings; a change of Origin, Label or Codename of a
 *   published APT suite is 409 REPO_IDENTITY_LOCKED. Audited (`repository.settings`).
 * - `POST /projects/:project/repository/publish { add?, remove?, keep? }`: adds releases' uploaded
 *   packages, removes selected ones, applies retention; answers what changed and the warnings. Audited
 *   (`repository.publish`), timed in the publish-duration metric.
 */
import type { FastifyInstance } from "fastify";
import {
  checkIdentity,
  checkTargets,
  DEFAULT_REPOSITORY,
  findRepository,
  type RepositoryRecord,
  type RepositorySettings,
  repositoryStates,
  repositoryStorage,
  repositoryUrl,
  saveRepositorySettings,
} from "../../repos/settings.ts";
import { type PublishRequest, publishRepository } from "../../repos/publish.ts";
import { PUBLISH_BODY, PUBLISH_RESULT, REPOSITORY, SETTINGS_BODY } from "../../repos/schemas.ts";
import type { PluginOptions } from "../app.ts";
import { ERRORS, SLUG } from "../schemas.ts";

const PROJECT_PARAMS = { type: "object", required: ["project"], properties: { project: SLUG } } as const;

interface SettingsBody extends RepositorySettings {
  private?: boolean;
}

export async function reposPlugin(app: FastifyInstance, options: PluginOptions): Promise<void> {
  const { db, clock, storage, config, masterKey } = options.deps;

  const show = (project: string, r: RepositoryRecord | undefined) => ({
    name: r?.name ?? DEFAULT_REPOSITORY,
    private: r?.private ?? false,
    settings: r?.settings ?? {},
    url: repositoryUrl(config, project, r?.name ?? DEFAULT_REPOSITORY) ?? null,
    createdAt: r?.createdAt ?? null,
    updatedAt: r?.updatedAt ?? null,
    lastPublish: r?.lastPublish ?? null,
  });

  app.get<{ Params: { project: string } }>(
    "/projects/:project/repository",
    {
      config: { authz: { project: "viewer", scope: "read" } },
      schema: { params: PROJECT_PARAMS, response: { 200: REPOSITORY, ...ERRORS } },
    },
    async (request) => {
      const p = request.project!;
      return show(p.slug, await findRepository(db, p.id));
    },
  );

  app.put<{ Params: { project: string }; Body: SettingsBody }>(
    "/projects/:project/repository",
    {
      config: { authz: { project: "owner", scope: "write" } },
      schema: { params: PROJECT_PARAMS, body: SETTINGS_BODY, response: { 200: REPOSITORY, ...ERRORS } },
    },
    async (request) => {
      const p = request.project!;
      const { private: isPrivate = false, ...settings } = request.body;
      checkTargets(settings);
      // The published state is read outside any transaction (storage I/O); the identity it holds only
      // changes by a publish, which itself refuses an identity change the settings would bring.
      checkIdentity(await repositoryStates(repositoryStorage(storage, p.slug, DEFAULT_REPOSITORY)), settings);
      const saved = await db.transaction(async (tx) => {
        const r = await saveRepositorySettings(tx, p.id, { private: isPrivate, settings }, clock.now());
        await tx.query(
          "INSERT INTO audit_events (at, actor_user_id, project_id, action, details) VALUES ($1, $2, $3, $4, $5::jsonb)",
          [
            clock.now(),
            request.principal!.userId,
            p.id,
            "repository.settings",
            JSON.stringify({ repository: r.name, private: r.private, settings }),
          ],
        );
        return r;
      });
      return show(p.slug, saved);
    },
  );

  app.post<{ Params: { project: string }; Body: PublishRequest }>(
    "/projects/:project/repository/publish",
    {
      config: { authz: { project: "maintainer", scope: "publish" } },
      schema: { params: PROJECT_PARAMS, body: PUBLISH_BODY, response: { 200: PUBLISH_RESULT, ...ERRORS } },
    },
    async (request) => {
      const p = request.project!;
      const { repository: _repository, ...result } = await publishRepository(
        { db, storage, masterKey, clock, config, metrics: options.metrics },
        { id: p.id, slug: p.slug },
        request.body ?? {},
        request.principal!.userId,
      );
      return result;
    },
  );
}
