/**
 * A package's page (`/projects/:project/packages/:pkg`): its packyard.yml, its source files by access name,
 * the upload form (multipart, streamed into the service functions the API's routes call: uploads/service.ts
 * savePackageConfig and uploadSourceFile, with the API's size limit and the plan's checks), the "request a build"
 * form, and its releases; the project's releases (`/projects/:project/releases`).
 */
import type { MultipartFile, MultipartValue } from "@fastify/multipart";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { listTargets } from "../../builds/catalogue.ts";
import { ServerError } from "../../errors.ts";
import { checkPackageName } from "../../uploads/names.ts";
import { savePackageConfig, uploadSourceFile } from "../../uploads/service.ts";
import {
  canAct,
  checkForm,
  csrfField,
  errorBlock,
  type FormError,
  formError,
  PAGE_RESPONSE,
  type PageContext,
  type PagesOptions,
  pageContext,
  projectNav,
  sendPage,
  when,
} from "../forms.ts";
import { html } from "../html.ts";
import { newPackageForm, projectRoute } from "./projects.ts";

/** Largest packyard.yml read from a form (as the API's). */
const CONFIG_LIMIT = 1024 * 1024;

const PKG_PARAMS = {
  type: "object",
  required: ["project", "pkg"],
  properties: { project: { type: "string" }, pkg: { type: "string", minLength: 1, maxLength: 128 } },
} as const;

/**
 * Reads a multipart form: its fields, then its one file part, handed to `onFile` once the CSRF field
 * (which the forms put first) has been checked, so no byte of a forged upload is stored.
 */
async function readUploadForm<T>(
  request: FastifyRequest,
  o: PagesOptions,
  onFile: (fields: Record<string, string>, file: MultipartFile) => Promise<T>,
): Promise<{ fields: Record<string, string>; result?: T }> {
  const fields: Record<string, string> = {};
  let result: T | undefined;
  let checked = false;
  for await (const part of request.parts()) {
    if (part.type === "field") {
      fields[part.fieldname] = String((part as MultipartValue).value);
      continue;
    }
    if (!checked) {
      checkForm(request, o.runtime, fields._csrf);
      checked = true;
    }
    if (part.filename === "") {
      // No file chosen: the browser sends an empty part.
      for await (const _ of part.file);
      continue;
    }
    result = await onFile(fields, part);
  }
  if (!checked) checkForm(request, o.runtime, fields._csrf);
  return result === undefined ? { fields } : { fields, result };
}

/**
 * A file part's bytes, failing with PAYLOAD_TOO_LARGE at the end when the multipart parser cut it at its
 * size limit (it ends a cut part quietly), so the upload fails before anything is stored.
 */
async function* untruncated(file: MultipartFile, limit: number): AsyncIterable<Uint8Array> {
  for await (const chunk of file.file) yield chunk;
  if (file.file.truncated)
    throw new ServerError("PAYLOAD_TOO_LARGE", `Expected an upload of at most ${limit} bytes, found more`, {
      limit,
    });
}

async function readText(file: MultipartFile, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of file.file) {
    size += chunk.length;
    if (size > limit)
      throw new ServerError(
        "PAYLOAD_TOO_LARGE",
        `Expected a packyard.yml of at most ${limit} bytes, found more`,
        {
          limit,
        },
      );
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

interface PackageRow {
  id: number;
  name: string;
  config: string;
  updated_at: Date;
}

/** Renders a package's page, with a form's error and its status (the build form re-renders through it). */
export type PackagePage = (
  request: FastifyRequest,
  reply: FastifyReply,
  name: string,
  errors?: { upload?: FormError; build?: FormError },
  status?: number,
) => Promise<FastifyReply>;

/** Registers the package pages; returns the package page renderer. */
export function packagePages(app: FastifyInstance, o: PagesOptions): PackagePage {
  const { deps } = o;
  const { db } = deps;

  async function findPackage(projectId: number, name: string): Promise<PackageRow> {
    checkPackageName(name);
    const { rows } = await db.query<PackageRow>(
      "SELECT id, name, config, updated_at FROM packages WHERE project_id = $1 AND name = $2",
      [projectId, name],
    );
    if (rows[0] === undefined)
      throw new ServerError("NOT_FOUND", `Expected a package named ${name} in this project, found none`, {
        field: "package",
      });
    return rows[0];
  }

  async function packagePage(
    request: FastifyRequest,
    reply: FastifyReply,
    name: string,
    errors: { upload?: FormError; build?: FormError } = {},
    status = 200,
  ) {
    const ctx: PageContext = pageContext(request, reply, o.runtime);
    const access = request.project!;
    const pkg = await findPackage(access.id, name);
    const { rows: files } = await db.query<{
      access_name: string;
      blob_sha256: string;
      size: number;
      updated_at: Date;
    }>(
      `SELECT f.access_name, f.blob_sha256, b.size, f.updated_at FROM package_files f
         JOIN blobs b ON b.sha256 = f.blob_sha256 WHERE f.package_id = $1 ORDER BY f.access_name`,
      [pkg.id],
    );
    const { rows: releases } = await db.query<{ version: string; created_at: Date; artifacts: number }>(
      `SELECT r.version, r.created_at, (SELECT count(*) FROM artifacts a WHERE a.release_id = r.id)::int AS artifacts
         FROM releases r WHERE r.package_id = $1 ORDER BY r.created_at DESC, r.version`,
      [pkg.id],
    );
    const base = `/projects/${access.slug}/packages/${encodeURIComponent(pkg.name)}`;
    const api = `/api/v1/projects/${access.slug}/packages/${encodeURIComponent(pkg.name)}`;
    const maintainer = canAct(access, "maintainer");
    return sendPage(
      reply,
      ctx,
      {
        title: `${access.slug}/${pkg.name}`,
        nav: projectNav(access, "Packages"),
        body: html`<div>
          <h1>Package ${pkg.name}</h1>
          <section aria-labelledby="config">
            <h2 id="config">packyard.yml</h2>
            <p>Updated ${when(pkg.updated_at)}</p>
            <pre class="config" tabindex="0" aria-label="packyard.yml of ${pkg.name}">${pkg.config}</pre>
          </section>
          <section aria-labelledby="files">
            <h2 id="files">Source files</h2>
            ${
              files.length === 0
                ? html`<p>No files uploaded.</p>`
                : html`<table>
                    <caption>Files by access name</caption>
                    <thead><tr><th scope="col">Access name</th><th scope="col">Size (bytes)</th><th scope="col">SHA-256</th><th scope="col">Updated</th></tr></thead>
                    <tbody>
                      ${files.map(
                        (f) => html`<tr>
                          <td><a href=${`${api}/files/${encodeURIComponent(f.access_name)}`}>${f.access_name}</a></td>
                          <td>${Number(f.size)}</td>
                          <td><code>${f.blob_sha256}</code></td>
                          <td>${when(f.updated_at)}</td>
                        </tr>`,
                      )}
                    </tbody>
                  </table>`
            }
            ${
              maintainer
                ? html`<h3>Upload a source file</h3>
                  ${errorBlock(errors.upload)}
                  <form method="post" action=${`${base}/files`} enctype="multipart/form-data" class="stacked">
                    ${csrfField(ctx.csrf)}
                    <label for="access-name">Access name (default: the file's name)</label>
                    <input id="access-name" name="accessName" pattern="[A-Za-z0-9._\\-]{1,128}" />
                    <label for="source-file">File</label>
                    <input id="source-file" name="file" type="file" required />
                    <button type="submit">Upload file</button>
                  </form>`
                : null
            }
          </section>
          ${
            maintainer && access.role !== "viewer"
              ? html`<section aria-labelledby="request-build">
                  <h2 id="request-build">Request a build</h2>
                  ${errorBlock(errors.build)}
                  <form method="post" action=${`${base}/builds`} class="stacked">
                    ${csrfField(ctx.csrf)}
                    <label for="build-version">Version</label>
                    <input id="build-version" name="version" required maxlength="128" />
                    <fieldset>
                      <legend>Targets (none chosen: the repository's configured targets)</legend>
                      ${listTargets().map(
                        (t) => html`<div class="check">
                          <input type="checkbox" id=${`target-${t.id}`} name="targets" value=${t.id} />
                          <label for=${`target-${t.id}`}>${t.id}</label>
                        </div>`,
                      )}
                    </fieldset>
                    <button type="submit">Request build</button>
                  </form>
                </section>`
              : null
          }
          <section aria-labelledby="releases">
            <h2 id="releases">Releases</h2>
            ${
              releases.length === 0
                ? html`<p>No releases yet.</p>`
                : html`<ul>
                    ${releases.map(
                      (r) => html`<li>${r.version} (${r.artifacts} packages, ${when(r.created_at)})</li>`,
                    )}
                  </ul>`
            }
          </section>
        </div>`,
      },
      status,
    );
  }

  app.get<{ Params: { project: string; pkg: string } }>(
    "/projects/:project/packages/:pkg",
    { ...projectRoute("viewer"), schema: { params: PKG_PARAMS, response: PAGE_RESPONSE } },
    async (request, reply) => packagePage(request, reply, request.params.pkg),
  );

  // Adds or replaces a package's packyard.yml: the file part or the text field, checked by the config loader
  // as `PUT /api/v1/projects/:project/packages/:pkg` checks it.
  app.post<{ Params: { project: string } }>(
    "/projects/:project/packages",
    {
      ...projectRoute("maintainer", true),
      config: { authz: { project: "maintainer", scope: "write" }, csrf: "form" },
    },
    async (request, reply) => {
      const access = request.project!;
      let name = "";
      try {
        const { fields, result } = await readUploadForm(request, o, (_f, file) =>
          readText(file, CONFIG_LIMIT),
        );
        name = checkPackageName(fields.name ?? "");
        const text = result ?? fields.config ?? "";
        if (text.trim() === "")
          throw new ServerError(
            "INVALID_REQUEST",
            "Expected a packyard.yml file or its text, found neither",
            {
              field: "config",
            },
          );
        // The API's service function: the loader's check, the subscription, insert or replace.
        await savePackageConfig(deps, access.id, name, text);
        return reply
          .status(303)
          .header("location", `/projects/${access.slug}/packages/${encodeURIComponent(name)}`)
          .send();
      } catch (e) {
        if ((e as ServerError).code === "CSRF_INVALID") throw e;
        const error = formError(e);
        const ctx = pageContext(request, reply, o.runtime);
        return sendPage(
          reply,
          ctx,
          {
            title: `${access.slug}: add a package`,
            nav: projectNav(access, "Packages"),
            body: newPackageForm(ctx, access.slug, error),
          },
          error.status,
        );
      }
    },
  );

  app.post<{ Params: { project: string; pkg: string } }>(
    "/projects/:project/packages/:pkg/files",
    {
      config: { authz: { project: "maintainer", scope: "write" }, csrf: "form" },
      schema: { params: PKG_PARAMS, response: PAGE_RESPONSE },
    },
    async (request, reply) => {
      const access = request.project!;
      try {
        const pkg = await findPackage(access.id, request.params.pkg);
        // The API's service function: names, the upload limit, the plan's storage (before, while streaming
        // and at commit), the temporary object removed whatever happens.
        const { result } = await readUploadForm(request, o, async (fields, file) =>
          uploadSourceFile(deps, {
            projectId: access.id,
            packageName: pkg.name,
            accessName: fields.accessName?.trim() || file.filename,
            body: untruncated(file, o.uploadLimitBytes),
            limitBytes: o.uploadLimitBytes,
            uploadedBy: request.principal!.userId,
            onCollectError: (err) =>
              request.log.warn({ err }, "collecting the replaced blob failed; the next collection retries"),
          }),
        );
        if (result === undefined)
          throw new ServerError("INVALID_REQUEST", "Expected a file to upload, found none", {
            field: "file",
          });
        return reply
          .status(303)
          .header("location", `/projects/${access.slug}/packages/${encodeURIComponent(pkg.name)}`)
          .send();
      } catch (e) {
        if ((e as ServerError).code === "CSRF_INVALID" || (e as ServerError).code === "NOT_FOUND") throw e;
        const error = formError(e);
        return packagePage(request, reply, request.params.pkg, { upload: error }, error.status);
      }
    },
  );

  app.get<{ Params: { project: string } }>(
    "/projects/:project/releases",
    projectRoute("viewer"),
    async (request, reply) => {
      const ctx = pageContext(request, reply, o.runtime);
      const access = request.project!;
      const { rows } = await db.query<{
        package: string;
        version: string;
        created_at: Date;
        file_name: string | null;
        format: string | null;
        arch: string | null;
        summary: string | null;
      }>(
        `SELECT p.name AS package, r.version, r.created_at, a.file_name, a.format, a.arch, a.info->>'summary' AS summary
         FROM releases r JOIN packages p ON p.id = r.package_id LEFT JOIN artifacts a ON a.release_id = r.id
        WHERE r.project_id = $1 ORDER BY r.created_at DESC, p.name, r.version, a.file_name`,
        [access.id],
      );
      return sendPage(reply, ctx, {
        title: `${access.slug}: releases`,
        nav: projectNav(access, "Releases"),
        body: html`<div>
        <h1>Releases of ${access.slug}</h1>
        ${
          rows.length === 0
            ? html`<p>No releases yet.</p>`
            : html`<table>
                <caption>Releases and their packages</caption>
                <thead><tr><th scope="col">Package</th><th scope="col">Version</th><th scope="col">File</th><th scope="col">Format</th><th scope="col">Architecture</th><th scope="col">Summary</th><th scope="col">Created</th></tr></thead>
                <tbody>
                  ${rows.map(
                    (r) => html`<tr>
                      <td>${r.package}</td><td>${r.version}</td><td>${r.file_name ?? "—"}</td><td>${r.format ?? "—"}</td>
                      <td>${r.arch ?? "—"}</td><td>${r.summary ?? ""}</td><td>${when(r.created_at)}</td>
                    </tr>`,
                  )}
                </tbody>
              </table>`
        }
      </div>`,
      });
    },
  );
  return packagePage;
}
