/**
 * The projects list with its create form (`/`, `POST /projects`: projects/service.ts createProject, as
 * `POST /api/v1/projects`) and a project's front page, its packages (`/projects/:project`) with the form
 * that adds a package.
 */
import type { FastifyInstance } from "fastify";
import type { VNode } from "preact";
import { createProject, getProject, listProjects } from "../../projects/service.ts";
import {
  accountNav,
  canAct,
  csrfField,
  errorBlock,
  type FormError,
  field,
  formCsrf,
  formError,
  formOf,
  PAGE_RESPONSE,
  type PageContext,
  type PagesOptions,
  pageContext,
  projectNav,
  sendPage,
  when,
} from "../forms.ts";
import { html } from "../html.ts";

const PROJECT_PARAMS = {
  type: "object",
  required: ["project"],
  properties: { project: { type: "string", pattern: "^[a-z0-9][a-z0-9-]{1,62}$" } },
} as const;

/** Route options of a project page for `role`. */
export function projectRoute(role: "viewer" | "maintainer" | "owner", write = false) {
  return {
    config: { authz: { project: role, scope: write ? ("write" as const) : ("read" as const) } },
    schema: { params: PROJECT_PARAMS, response: PAGE_RESPONSE },
  };
}

/** The new package form (multipart: the name, a packyard.yml file or its text). */
export function newPackageForm(ctx: PageContext, project: string, error?: FormError): VNode {
  return html`<section aria-labelledby="new-package">
    <h2 id="new-package">Add or update a package</h2>
    ${errorBlock(error)}
    <form method="post" action=${`/projects/${project}/packages`} enctype="multipart/form-data" class="stacked">
      ${csrfField(ctx.csrf)}
      <label for="package-name">Package name</label>
      <input id="package-name" name="name" required pattern="[A-Za-z0-9][A-Za-z0-9+._\\-]{0,127}" />
      <label for="package-config-file">packyard.yml file</label>
      <input id="package-config-file" name="config_file" type="file" accept=".yml,.yaml,text/yaml" />
      <label for="package-config-text">or its text</label>
      <textarea id="package-config-text" name="config" rows="8"></textarea>
      <button type="submit">Save package</button>
    </form>
  </section>`;
}

export function projectPages(app: FastifyInstance, o: PagesOptions): void {
  const { deps } = o;
  const { db } = deps;

  async function projectsPage(ctx: PageContext, error?: FormError, slug = "", displayName = "") {
    const projects = await listProjects(db, ctx.principal);
    return {
      title: "Projects",
      nav: accountNav("Projects"),
      body: html`<div>
        <h1>Projects</h1>
        ${
          projects.length === 0
            ? html`<p>You have no projects yet.</p>`
            : html`<table>
                <caption>Your projects</caption>
                <thead><tr><th scope="col">Project</th><th scope="col">Name</th><th scope="col">Your role</th><th scope="col">Created</th></tr></thead>
                <tbody>
                  ${projects.map(
                    (p) => html`<tr>
                      <td><a href=${`/projects/${p.slug}`}>${p.slug}</a></td>
                      <td>${p.displayName}</td>
                      <td>${p.role}</td>
                      <td>${when(p.createdAt)}</td>
                    </tr>`,
                  )}
                </tbody>
              </table>`
        }
        <section aria-labelledby="create-project">
          <h2 id="create-project">Create a project</h2>
          ${errorBlock(error)}
          <form method="post" action="/projects" class="stacked">
            ${csrfField(ctx.csrf)}
            <label for="project-slug">Project name (lowercase letters, digits, dashes)</label>
            <input id="project-slug" name="slug" required pattern="[a-z0-9][a-z0-9\\-]{1,62}" value=${slug} />
            <label for="project-display-name">Display name</label>
            <input id="project-display-name" name="displayName" maxlength="200" value=${displayName} />
            <button type="submit">Create project</button>
          </form>
        </section>
        <section aria-labelledby="sessions">
          <h2 id="sessions">Sessions</h2>
          <form method="post" action="/sign-out-everywhere">
            ${csrfField(ctx.csrf)}
            <button type="submit">Sign out everywhere</button>
          </form>
        </section>
      </div>`,
    };
  }

  app.get(
    "/",
    { config: { authz: { signedIn: true, scope: "read" } }, schema: { response: PAGE_RESPONSE } },
    async (request, reply) => {
      const ctx = pageContext(request, reply, o.runtime);
      return sendPage(reply, ctx, await projectsPage(ctx));
    },
  );

  app.post(
    "/projects",
    {
      config: { authz: { signedIn: true, scope: "write" }, csrf: "form" },
      preHandler: formCsrf(o.runtime),
      schema: { response: PAGE_RESPONSE },
    },
    async (request, reply) => {
      const form = formOf(request);
      const slug = field(form, "slug");
      const displayName = field(form, "displayName");
      try {
        const made = await createProject(deps, request.principal!, {
          slug,
          ...(displayName === "" ? {} : { displayName }),
        });
        return reply.status(303).header("location", `/projects/${made.slug}`).send();
      } catch (e) {
        const error = formError(e);
        const ctx = pageContext(request, reply, o.runtime);
        return sendPage(reply, ctx, await projectsPage(ctx, error, slug, displayName), error.status);
      }
    },
  );

  app.get<{ Params: { project: string } }>(
    "/projects/:project",
    projectRoute("viewer"),
    async (request, reply) => {
      const ctx = pageContext(request, reply, o.runtime);
      const access = request.project!;
      const project = await getProject(db, access.id, access.role);
      const { rows } = await db.query<{ name: string; updated_at: Date; files: number; releases: number }>(
        `SELECT p.name, p.updated_at,
              (SELECT count(*) FROM package_files f WHERE f.package_id = p.id)::int AS files,
              (SELECT count(*) FROM releases r WHERE r.package_id = p.id)::int AS releases
         FROM packages p WHERE p.project_id = $1 ORDER BY p.name`,
        [access.id],
      );
      return sendPage(reply, ctx, {
        title: `${project.slug}: packages`,
        nav: projectNav(project, "Packages"),
        body: html`<div>
        <h1>${project.slug}</h1>
        ${project.displayName === "" ? null : html`<p class="display-name">${project.displayName}</p>`}
        <p>Your role: ${project.role}. <a href=${`/p/${project.slug}`}>Public install page</a></p>
        <h2>Packages</h2>
        ${
          rows.length === 0
            ? html`<p>No packages yet.</p>`
            : html`<table>
                <caption>Packages of ${project.slug}</caption>
                <thead><tr><th scope="col">Package</th><th scope="col">Files</th><th scope="col">Releases</th><th scope="col">Updated</th></tr></thead>
                <tbody>
                  ${rows.map(
                    (r) => html`<tr>
                      <td><a href=${`/projects/${project.slug}/packages/${encodeURIComponent(r.name)}`}>${r.name}</a></td>
                      <td>${r.files}</td>
                      <td>${r.releases}</td>
                      <td>${when(r.updated_at)}</td>
                    </tr>`,
                  )}
                </tbody>
              </table>`
        }
        ${canAct(access, "maintainer") ? newPackageForm(ctx, project.slug) : null}
      </div>`,
      });
    },
  );
}
