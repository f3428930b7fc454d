/**
 * A project's hosted repositories (`/projects/:project/repositories`, repos/settings.ts): URLs, families,
 * last publish and package counts.
 */
import type { FastifyInstance } from "fastify";
import { repositoryUrl } from "../../repos/settings.ts";
import { type PagesOptions, pageContext, projectNav, sendPage, when } from "../forms.ts";
import { html } from "../html.ts";
import { projectRoute } from "./projects.ts";

export function repositoryPages(app: FastifyInstance, o: PagesOptions): void {
  const { db, config } = o.deps;

  app.get<{ Params: { project: string } }>(
    "/projects/:project/repositories",
    projectRoute("viewer"),
    async (request, reply) => {
      const ctx = pageContext(request, reply, o.runtime);
      const access = request.project!;
      const { rows } = await db.query<{ name: string; private: boolean; settings: Record<string, unknown> }>(
        "SELECT name, private, settings FROM repositories WHERE project_id = $1 ORDER BY name",
        [access.id],
      );
      const { rows: counts } = await db.query<{ format: string; n: number }>(
        "SELECT format, count(*)::int AS n FROM artifacts WHERE project_id = $1 GROUP BY format ORDER BY format",
        [access.id],
      );
      return sendPage(reply, ctx, {
        title: `${access.slug}: repositories`,
        nav: projectNav(access, "Repositories"),
        body: html`<div>
          <h1>Repositories of ${access.slug}</h1>
          <p>Packages stored: ${counts.length === 0 ? "none" : counts.map((c) => `${c.n} ${c.format}`).join(", ")}.</p>
          ${
            rows.length === 0
              ? html`<p>No repository is published yet; the first build or publish makes one.</p>`
              : html`<table>
                  <caption>Hosted repositories</caption>
                  <thead><tr><th scope="col">Repository</th><th scope="col">URL</th><th scope="col">Families</th><th scope="col">Access</th><th scope="col">Last publish</th></tr></thead>
                  <tbody>
                    ${rows.map((r) => {
                      const last = r.settings.lastPublish as
                        | { at?: string; added?: number; unchanged?: number }
                        | undefined;
                      const families = ["apt", "rpm", "archlinux", "alpine"].filter(
                        (f) => r.settings[f] !== undefined,
                      );
                      const url = repositoryUrl(config, access.slug, r.name);
                      return html`<tr>
                        <td>${r.name}</td>
                        <td>${url === undefined ? "(set --public-url)" : html`<code>${url}</code>`}</td>
                        <td>${families.length === 0 ? "none configured" : families.join(", ")}</td>
                        <td>${r.private ? "private (read token)" : "public"}</td>
                        <td>${
                          last?.at === undefined
                            ? "never"
                            : html`${when(last.at)} (${(last.added ?? 0) + (last.unchanged ?? 0)} packages)`
                        }</td>
                      </tr>`;
                    })}
                  </tbody>
                </table>`
          }
        </div>`,
      });
    },
  );
}
