/**
 * Builds: the project's list (`/projects/:project/builds`, text state badges), a build's page
 * (`/builds/:id`: per-target jobs, the live log in a `role="log"` region that static/app.js feeds from the
 * API's SSE route, and a plain refresh link), and the "request a build" form's action (builds/requests.ts
 * createBuild, as `POST /api/v1/projects/:project/packages/:pkg/builds`).
 */
import type { FastifyInstance } from "fastify";
import { MAX_LOG_PAGE } from "../../app/plugins/build-logs.ts";
import { readLogs } from "../../builds/logs.ts";
import { createBuild } from "../../builds/requests.ts";
import { buildAccess, getBuild, listBuilds } from "../../builds/views.ts";
import {
  field,
  fields,
  formCsrf,
  formError,
  formOf,
  PAGE_RESPONSE,
  type PagesOptions,
  pageContext,
  projectNav,
  sendPage,
  stateBadge,
  when,
} from "../forms.ts";
import { html } from "../html.ts";
import type { PackagePage } from "./packages.ts";
import { projectRoute } from "./projects.ts";

/** States after which a build changes no more. */
const FINISHED = new Set(["succeeded", "failed", "cancelled"]);

export function buildPages(app: FastifyInstance, o: PagesOptions, packagePage: PackagePage): void {
  const { db } = o.deps;

  app.get<{ Params: { project: string } }>(
    "/projects/:project/builds",
    projectRoute("viewer"),
    async (request, reply) => {
      const ctx = pageContext(request, reply, o.runtime);
      const access = request.project!;
      const builds = await listBuilds(db, access.id, { limit: 100 });
      return sendPage(reply, ctx, {
        title: `${access.slug}: builds`,
        nav: projectNav(access, "Builds"),
        body: html`<div>
        <h1>Builds of ${access.slug}</h1>
        ${
          builds.length === 0
            ? html`<p>No builds yet. Request one on a package's page.</p>`
            : html`<table>
                <caption>Newest builds first</caption>
                <thead><tr><th scope="col">Build</th><th scope="col">Package</th><th scope="col">Version</th><th scope="col">State</th><th scope="col">Targets</th><th scope="col">Requested</th></tr></thead>
                <tbody>
                  ${builds.map(
                    (b) => html`<tr>
                      <td><a href=${`/builds/${b.id}`}>#${b.id}</a></td>
                      <td>${b.package}</td>
                      <td>${b.version}</td>
                      <td>${stateBadge(b.state)}</td>
                      <td>${b.targets.join(", ")}</td>
                      <td>${when(b.createdAt)}</td>
                    </tr>`,
                  )}
                </tbody>
              </table>`
        }
      </div>`,
      });
    },
  );

  app.get<{ Params: { id: number } }>(
    "/builds/:id",
    {
      config: { authz: { signedIn: true, scope: "read" } },
      schema: {
        params: { type: "object", required: ["id"], properties: { id: { type: "integer", minimum: 1 } } },
        response: PAGE_RESPONSE,
      },
    },
    async (request, reply) => {
      const access = await buildAccess(db, request.principal!, request.params.id, "viewer");
      const ctx = pageContext(request, reply, o.runtime);
      const build = await getBuild(db, request.params.id);
      // The stored log so far (readLogs, as GET /api/v1/builds/:id/logs reads it); the stream resumes after it.
      const page = await readLogs(db, build.id, 0, MAX_LOG_PAGE);
      const finished = FINISHED.has(build.state);
      return sendPage(reply, ctx, {
        title: `Build #${build.id}`,
        nav: projectNav(access, "Builds"),
        body: html`<div>
          <h1>Build #${build.id}: ${build.package} ${build.version}</h1>
          <p>State: ${stateBadge(build.state, true)} · requested ${when(build.createdAt)} · finished ${when(build.finishedAt)}</p>
          <p><a href=${`/builds/${build.id}`}>Refresh this page</a></p>
          <h2>Jobs</h2>
          <table>
            <caption>One job per packager and architecture</caption>
            <thead><tr><th scope="col">Format</th><th scope="col">Architecture</th><th scope="col">Targets</th><th scope="col">State</th><th scope="col">Package</th><th scope="col">Failure</th></tr></thead>
            <tbody>
              ${build.jobs.map(
                (j) => html`<tr>
                  <td>${j.format}</td><td>${j.arch}</td><td>${j.targets.join(", ")}</td><td>${stateBadge(j.state)}</td>
                  <td>${j.artifact?.fileName ?? "—"}</td>
                  <td>${j.failure === null ? "—" : `${j.failure.code}: ${j.failure.message}`}</td>
                </tr>`,
              )}
            </tbody>
          </table>
          ${
            build.warnings.length === 0
              ? null
              : html`<h2>Warnings</h2><ul>${build.warnings.map((w) => html`<li>${w.code}: ${w.message}</li>`)}</ul>`
          }
          <h2 id="log-heading">Log</h2>
          <pre
            class="build-log"
            role="log"
            aria-labelledby="log-heading"
            tabindex="0"
            data-log-stream=${finished ? undefined : `/api/v1/builds/${build.id}/logs/stream?after=${page.entries.at(-1)?.seq ?? 0}`}
          >${page.entries.map((e) => (e.text.endsWith("\n") ? e.text : `${e.text}\n`)).join("")}</pre>
        </div>`,
      });
    },
  );

  app.post<{ Params: { project: string; pkg: string } }>(
    "/projects/:project/packages/:pkg/builds",
    {
      config: { authz: { project: "maintainer", scope: "publish" }, csrf: "form" },
      preHandler: formCsrf(o.runtime),
      schema: {
        params: {
          type: "object",
          required: ["project", "pkg"],
          properties: { project: { type: "string" }, pkg: { type: "string", minLength: 1, maxLength: 128 } },
        },
        response: PAGE_RESPONSE,
      },
    },
    async (request, reply) => {
      const form = formOf(request);
      const targets = fields(form, "targets");
      try {
        // The app's deps, config included: the plans file's limits apply (billing/entitlements.ts plansFor).
        const build = await createBuild(o.deps, {
          projectId: request.project!.id,
          packageName: request.params.pkg,
          version: field(form, "version"),
          ...(targets.length === 0 ? {} : { targets }),
          force: false,
          userId: request.principal!.userId,
          trigger: "web",
        });
        return reply.status(303).header("location", `/builds/${build.id}`).send();
      } catch (e) {
        const error = formError(e);
        return packagePage(request, reply, request.params.pkg, { build: error }, error.status);
      }
    },
  );
}
