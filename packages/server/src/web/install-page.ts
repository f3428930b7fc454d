/**
 * The public install page (issue 21, item 4), with no sign-in, and the site's static files:
 *
 * - `GET /p/<project>`: the page, rendered by the server inside {@link Layout} from the `install.json` the
 *   last publish wrote into the project's repository (@packyard/repo's install module made it: every
 *   command shown is a step's text from that document, never retyped here). One section per distro family
 *   present, one block per target with its copy button and the key fingerprints, the one-line installer,
 *   the latest version of each package and the direct downloads.
 * - `GET /p/<project>/install.sh|install.json|badge.svg|index.html`: those files as the publish wrote them,
 *   bytes unchanged (repos/serve.ts: content type, `max-age=60`, ETag). `index.html` (part 4's static
 *   page) gets a CSP header carrying the hashes of its own `<meta>` policy, since a `<meta>` policy cannot
 *   loosen the header policy the other pages get.
 * - An unknown project, a private repository (as the install API answers, so names do not leak) and a
 *   project that published nothing yet answer the same 404 page.
 * - `GET /static/app.js|style.css`: the browser module and the stylesheet, with a content-hash ETag (304 on
 *   `If-None-Match`) and `cache-control: public, max-age=300`.
 *
 * Registered by app.ts with the app's plugin options; helmet's page headers (security.ts) apply to the
 * routes of this plugin only.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import {
  collectBytes,
  type DownloadRelease,
  type InstallDocument,
  type InstallTarget,
  readObject,
} from "@packyard/repo";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { VNode } from "preact";
import type { PluginOptions } from "../app/app.ts";
import { repoPrefix, sendObject } from "../repos/serve.ts";
import { findRepository, repositoryStorage } from "../repos/settings.ts";
import { html, renderPage } from "./html.ts";
import { Layout } from "./layout.ts";
import { pageSecurity, sendHtml } from "./security.ts";

/** Where the static files are read from: the package's src/web/static (from src/web and from dist/web). */
const STATIC_DIR = new URL("../../src/web/static/", import.meta.url);

/** Cache-Control of the static files: short, as their URLs carry no hash. */
export const STATIC_CACHE = "public, max-age=300";

/** The static files served, by name. */
const STATIC_TYPES: Readonly<Record<string, string>> = {
  "app.js": "text/javascript; charset=utf-8",
  "style.css": "text/css; charset=utf-8",
};

/** A static file's bytes and its strong ETag (SHA-256 of the bytes). */
interface StaticFile {
  bytes: Buffer;
  etag: string;
  type: string;
}

function loadStatic(): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  for (const [name, type] of Object.entries(STATIC_TYPES)) {
    const bytes = readFileSync(new URL(name, STATIC_DIR));
    const etag = `"${createHash("sha256").update(bytes).digest("base64url").slice(0, 27)}"`;
    files.set(name, { bytes, etag, type });
  }
  return files;
}

/** The repository files served under `/p/<project>/`. */
export const INSTALL_PAGE_FILES = ["install.sh", "install.json", "badge.svg", "index.html"] as const;

/** The families' sections, in page order. */
export const FAMILY_BLOCKS = [
  { id: "debian", label: "Debian & Ubuntu" },
  { id: "fedora", label: "Fedora & RHEL" },
  { id: "opensuse", label: "openSUSE" },
  { id: "arch", label: "Arch Linux" },
  { id: "alpine", label: "Alpine Linux" },
] as const;

type BlockId = (typeof FAMILY_BLOCKS)[number]["id"];

/** The page section a target belongs in: by family, and for RPM by package manager (zypper: openSUSE). */
export function blockOf(target: InstallTarget): BlockId {
  switch (target.family) {
    case "deb":
      return "debian";
    case "rpm":
      return target.manager === "zypper" ? "opensuse" : "fedora";
    case "archlinux":
      return "arch";
    case "alpine":
      return "alpine";
  }
}

/**
 * The text of a target's block, what its copy button copies: the steps as a user with sudo types them,
 * one after another, verbatim from the install document.
 */
export function blockText(target: InstallTarget): string {
  return target.steps.map((step) => step.sudo).join("\n");
}

/** A fingerprint in groups of four hex digits. */
export function groupFingerprint(fingerprint: string): string {
  return (fingerprint.toUpperCase().match(/.{1,4}/g) ?? []).join(" ");
}

/** The id of a target's block element (`block-debian-12`). */
export function blockId(target: InstallTarget): string {
  return `block-${target.id}`;
}

const ABSOLUTE_LINK = /^https?:\/\//i;

/** A link when `url` is http(s), else the URL as text (a storage location users cannot open). */
function link(url: string, label: string): VNode {
  return ABSOLUTE_LINK.test(url)
    ? html`<a href=${url}>${label}</a>`
    : html`<span>${label} (<code>${url}</code>)</span>`;
}

function copyBlock(id: string, text: string, what: string): VNode {
  return html`<div class="command">
    <pre><code id=${id}>${text}</code></pre>
    <button type="button" data-copy-target=${id} data-copy-label=${what} aria-label=${`Copy ${what}`} hidden>Copy</button>
  </div>`;
}

function keyFacts(doc: InstallDocument, target: InstallTarget): VNode | null {
  if (target.family === "alpine") {
    const keys = [...(doc.keys.apk === undefined ? [] : [doc.keys.apk]), ...(doc.keys.apkRotation ?? [])];
    if (keys.length === 0) return null;
    return html`<ul class="keys">
      ${keys.map(
        (k) =>
          html`<li>Key <code>${`/etc/apk/keys/${k.name}`}</code>, SHA-256 <span class="fingerprint">${k.sha256}</span></li>`,
      )}
    </ul>`;
  }
  const fingerprints = doc.keys.openpgp?.fingerprints ?? [];
  if (fingerprints.length === 0) return null;
  const rotating = fingerprints.length > 1;
  return html`<ul class="keys">
    ${fingerprints.map(
      (f, i) =>
        html`<li>${rotating ? (i === 0 ? "Current key (being retired)" : "New key") : "Key"} fingerprint: <span class="fingerprint">${groupFingerprint(f)}</span></li>`,
    )}
  </ul>`;
}

function targetBlock(doc: InstallDocument, target: InstallTarget): VNode {
  const id = blockId(target);
  return html`<section class="target" aria-labelledby=${`${id}-name`}>
    <h3 id=${`${id}-name`}>${target.name}</h3>
    ${target.deprecated === undefined ? null : html`<p class="note"><strong>Past its vendor's support:</strong> ${target.deprecated}</p>`}
    <p class="muted">Architectures: ${target.architectures.join(", ")} · installs <code>${target.package}</code></p>
    ${keyFacts(doc, target)}
    <ol class="steps">
      ${target.steps.map((step) => html`<li>${step.title}</li>`)}
    </ol>
    ${copyBlock(id, blockText(target), `the ${target.name} commands`)}
  </section>`;
}

function downloadsSection(releases: readonly DownloadRelease[]): VNode | null {
  if (releases.length === 0) return null;
  const macos = releases.some((r) => r.files.some((f) => f.kind === "macos"));
  return html`<section class="family" aria-labelledby="family-downloads">
    <h2 id="family-downloads">${macos ? "macOS and archive downloads" : "Downloads"}</h2>
    ${releases.map(
      (release) => html`<section aria-label=${`${release.name} ${release.version}`}>
        <h3>${release.name} ${release.version}</h3>
        <table>
          <thead><tr><th scope="col">File</th><th scope="col">Kind</th><th scope="col">Size (bytes)</th><th scope="col">SHA-256</th></tr></thead>
          <tbody>
            ${release.files.map(
              (file) =>
                html`<tr><td>${link(file.url, file.name)}</td><td>${file.kind}</td><td>${String(file.size)}</td><td><code class="fingerprint">${file.sha256}</code></td></tr>`,
            )}
          </tbody>
        </table>
        <p>${link(release.checksums, "SHA256SUMS")}${release.checksumsSignature === undefined ? null : html` · ${link(release.checksumsSignature, "SHA256SUMS.asc")}`}${release.cask === undefined ? null : html` · ${link(release.cask, "Homebrew cask")}`}</p>
      </section>`,
    )}
  </section>`;
}

/** What the page shows besides the install document. */
export interface InstallPageInfo {
  slug: string;
  /** The project's display name (user input; may be empty). */
  displayName: string;
}

/**
 * The install page of a project whose repository published `doc`.
 *
 * @example renderPage(InstallPage({ slug: "demo", displayName: "Demo" }, doc))
 */
export function InstallPage(info: InstallPageInfo, doc: InstallDocument): VNode {
  const title = info.displayName === "" ? info.slug : info.displayName;
  const base = `/p/${info.slug}`;
  const blocks = FAMILY_BLOCKS.map((family) => ({
    ...family,
    targets: doc.targets.filter((t) => blockOf(t) === family.id),
  })).filter((family) => family.targets.length > 0);
  return html`<${Layout} title=${`Install ${title}`}>
    <h1>Install ${title}</h1>
    ${doc.description === undefined || doc.description === "" ? null : html`<p class="lead">${doc.description}</p>`}
    <p><img src=${`${base}/badge.svg`} alt=${`Latest version of ${title}`} /></p>
    ${doc.public ? null : html`<p class="note">${doc.baseUrl} is where this repository is stored, not a public URL: the commands below work on this machine only.</p>`}
    <section aria-labelledby="quick">
      <h2 id="quick">One command, any supported distribution</h2>
      <p>Detects the distribution, asks before changing anything, adds the repository and its key, installs the package.</p>
      ${copyBlock("install-script", doc.script.command, "the one-line installer")}
      <p class="muted">
        Files: <a href=${`${base}/install.sh`}>install.sh</a> · <a href=${`${base}/install.json`}>install.json</a> · <a href=${`${base}/badge.svg`}>badge.svg</a>
      </p>
    </section>
    ${
      doc.latest.length === 0
        ? null
        : html`<section aria-labelledby="latest">
            <h2 id="latest">Latest versions</h2>
            <table>
              <thead><tr><th scope="col">Package</th><th scope="col">Version</th><th scope="col">Format</th><th scope="col">Summary</th></tr></thead>
              <tbody>
                ${doc.latest.map(
                  (p) =>
                    html`<tr><td><code>${p.name}</code></td><td>${p.version}</td><td>${p.family}</td><td>${p.summary ?? ""}</td></tr>`,
                )}
              </tbody>
            </table>
          </section>`
    }
    ${blocks.map(
      (family) => html`<section class="family" aria-labelledby=${`family-${family.id}`}>
        <h2 id=${`family-${family.id}`}>${family.label}</h2>
        ${family.targets.map((target) => targetBlock(doc, target))}
      </section>`,
    )}
    ${downloadsSection(doc.downloads)}
  <//>`;
}

/** The 404 page of an unknown (or private, or unpublished) project. */
export function InstallNotFound(slug: string): VNode {
  return html`<${Layout} title="Not found">
    <h1>No install page here</h1>
    <p>There is no public project named <code>${slug}</code> with a published repository.</p>
    <p><a href="/">Go to the home page</a></p>
  <//>`;
}

/** The `<meta>` Content-Security-Policy of an HTML document, or undefined. */
export function metaPolicy(document: string): string | undefined {
  const m = /<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]*)"\s*\/?>/i.exec(document);
  if (m === null) return undefined;
  return m[1]!
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}

const HTML_BODY = {
  description: "An HTML page",
  content: { "text/html": { schema: { type: "string" } } },
} as const;
const FILE_BODY = {
  description: "The file's bytes as the publish wrote them",
  content: { "application/octet-stream": { schema: { type: "string", format: "binary" } } },
} as const;
const PROJECT_PARAM = {
  type: "object",
  required: ["project"],
  // Any text: a name that is no project's gets the 404 page, not a JSON validation error.
  properties: { project: { type: "string", maxLength: 256 } },
} as const;

export async function installPagePlugin(app: FastifyInstance, options: PluginOptions): Promise<void> {
  const { db, storage } = options.deps;
  await pageSecurity(app);
  const statics = loadStatic();
  const filesLimit = { max: options.rateLimit.filesMax, timeWindow: options.rateLimit.windowMs };

  for (const [name, file] of statics) {
    app.get(
      `/static/${name}`,
      {
        config: { authz: "public", rateLimit: filesLimit },
        schema: {
          response: {
            200: {
              description: name,
              content: { [file.type.split(";")[0]!]: { schema: { type: "string" } } },
            },
            304: { description: "Not modified", type: "null" },
          },
        },
      },
      async (request, reply) => {
        reply.header("etag", file.etag).header("cache-control", STATIC_CACHE);
        const inm = request.headers["if-none-match"];
        if (inm?.split(",").some((t) => t.trim().replace(/^W\//, "") === file.etag) === true)
          return reply.status(304).send();
        return reply.header("content-type", file.type).send(file.bytes);
      },
    );
  }

  /** The project's public repository (slug, display name, repository name), or undefined. */
  const publicRepository = async (
    slug: string,
  ): Promise<{ slug: string; displayName: string; repository: string } | undefined> => {
    const { rows } = await db.query<{ id: number; slug: string; display_name: string }>(
      "SELECT id, slug, display_name FROM projects WHERE slug = $1",
      [slug],
    );
    const project = rows[0];
    if (project === undefined) return undefined;
    const repository = await findRepository(db, project.id);
    if (repository === undefined || repository.private) return undefined;
    return { slug: project.slug, displayName: project.display_name, repository: repository.name };
  };

  const notFoundPage = (reply: FastifyReply, slug: string) =>
    sendHtml(reply, renderPage(InstallNotFound(slug)), 404);

  app.get<{ Params: { project: string } }>(
    "/p/:project",
    {
      config: { authz: "public" },
      schema: {
        summary: "A project's public install page (HTML)",
        params: PROJECT_PARAM,
        response: { 200: HTML_BODY, 404: HTML_BODY },
      },
    },
    async (request, reply) => {
      const found = await publicRepository(request.params.project);
      if (found === undefined) return notFoundPage(reply, request.params.project);
      const view = repositoryStorage(storage, found.slug, found.repository);
      const body = await view.get("install.json");
      if (body === undefined) return notFoundPage(reply, request.params.project);
      const doc = JSON.parse(new TextDecoder().decode(await collectBytes(body))) as InstallDocument;
      reply.header("cache-control", "max-age=60");
      return sendHtml(reply, renderPage(InstallPage(found, doc)));
    },
  );

  for (const name of INSTALL_PAGE_FILES) {
    app.get<{ Params: { project: string } }>(
      `/p/:project/${name}`,
      {
        config: { authz: "public", rateLimit: filesLimit },
        schema: {
          summary: `The ${name} of a project's public repository`,
          params: PROJECT_PARAM,
          response: { 200: FILE_BODY, 304: { description: "Not modified", type: "null" }, 404: HTML_BODY },
        },
      },
      async (request: FastifyRequest<{ Params: { project: string } }>, reply) => {
        const found = await publicRepository(request.params.project);
        if (found === undefined) return notFoundPage(reply, request.params.project);
        const prefix = repoPrefix(found.slug, found.repository);
        if (name === "index.html") {
          const page = await readObject(storage, `${prefix}${name}`);
          if (page === undefined) return notFoundPage(reply, request.params.project);
          const policy = metaPolicy(new TextDecoder().decode(page));
          // The page's own policy (its inline style and script by hash), never framed.
          if (policy !== undefined)
            reply.header("content-security-policy", `${policy}; frame-ancestors 'none'`);
        }
        const sent = await sendObject(storage, prefix, name, request, reply);
        return sent;
      },
    );
  }
}
