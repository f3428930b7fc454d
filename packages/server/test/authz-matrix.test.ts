// The authorization matrix, generated from the app's route table: every route × every kind of caller gets
// the status its rule implies. A route the samples below do not cover fails the test, so a new route must
// come with a sample (and so with a row in the matrix). Runs on PGlite and PostgreSQL.
//
// Every call carries a Bearer token (or none), never a session cookie: for the web pages (PAGES below) the
// matrix checks the authorization rule each page declares, the same rule a session's principal meets. What a
// cookie changes (the session's lookup and expiry, the CSRF origin and token checks on every state-changing
// cookie request, sign-out revoking sessions) is test/web-sessions.test.ts's. The pages' form handlers check
// the CSRF token of every form post, Bearer or not, so the form samples carry what a browser holds before
// signing in: the CSRF cookie and a token from GET /sign-in, bound to no session (still no session cookie).
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import type { LightMyRequestResponse } from "fastify";
import { INSTALL_SCHEMA, type InstallDocument, installFiles } from "@packyard/repo";
import { testDeb } from "@packyard/testkit/debs";
import type { AuthzRule, Scope } from "../src/index.ts";
import { checkKey, insertKey, issueReadToken, routeTable, ROLES, ruleText, SCOPES } from "../src/index.ts";
import { bearer, type Harness, harness, secret, secretsNeverLeak, TEST_MASTER_KEY } from "./app-harness.ts";
import { POOL_APK, POOL_OPENPGP } from "./key-pool.ts";
import { eachDb } from "./dbs.ts";
import { registerAgent } from "../src/builds/agents.ts";
import { putWebhook, signBody } from "../src/builds/github.ts";
import { setSecret } from "../src/builds/secrets.ts";
import { signSourceUrl } from "../src/builds/signed-url.ts";

const PRINCIPALS = [
  "anonymous",
  "viewer",
  "maintainer",
  "owner",
  "another project's owner",
  "admin",
  "token lacking the scope",
  "revoked token",
  "expired token",
] as const;
type PrincipalName = (typeof PRINCIPALS)[number];

/**
 * Routes whose rule is `{ signedIn, scope }` but that check the caller's role in the build's project
 * (buildAccess / projectAccess): they answer as project routes of that role do.
 */
const BUILD_ROLES: Record<string, (typeof ROLES)[number]> = {
  "GET /api/v1/builds/:id": "viewer",
  "POST /api/v1/builds/:id/cancel": "maintainer",
  "GET /api/v1/builds/:id/logs": "viewer",
  "GET /api/v1/builds/:id/logs/stream": "viewer",
  "GET /builds/:id": "viewer",
};

function expectedFor(key: string, rule: AuthzRule, who: PrincipalName): "2xx" | 401 | 403 | 404 {
  // The billing webhook is public (its Stripe signature is the credential) but off without a configured
  // secret, as in this app: 404 NOT_FOUND to everyone. Its signed deliveries are test/billing.test.ts's.
  if (key === "POST /hooks/billing") return 404;
  const role = BUILD_ROLES[key];
  if (role !== undefined && typeof rule === "object" && "signedIn" in rule)
    return expected({ project: role, scope: rule.scope! }, who);
  return expected(rule, who);
}

/** What the rule implies for the caller: a 2xx, or the error status. */
function expected(rule: AuthzRule, who: PrincipalName): "2xx" | 401 | 403 | 404 {
  if (rule === "public") return "2xx";
  // Agent routes take agent tokens only: every user token (and none) is 401; agents/queue tests cover agents.
  if (rule === "agent") return 401;
  if (who === "anonymous" || who === "revoked token" || who === "expired token") return 401;
  if (rule === "admin") return who === "admin" ? "2xx" : 403;
  if ("signedIn" in rule) return who === "token lacking the scope" && rule.scope !== undefined ? 403 : "2xx";
  if (who === "another project's owner") return 404;
  if (who === "token lacking the scope") return 403;
  if (who === "admin") return "2xx";
  return ROLES.indexOf(who as (typeof ROLES)[number]) >= ROLES.indexOf(rule.project) ? "2xx" : 403;
}

/**
 * The web pages (HTML: web/plugin.ts, web/pages/*), whose cells read the rule's answer as a browser gets it:
 *
 * - 401 (no token, a revoked or an expired one): a 303 redirect to /sign-in, setting no session cookie;
 * - 403 and 404: that status with an HTML error page naming FORBIDDEN or NOT_FOUND (so a refused CSRF check,
 *   403 CSRF_INVALID, does not pass for the rule's 403);
 * - admitted: an HTML page with a 2xx status, or for a form post its success redirect (303, Post/Redirect/Get)
 *   to `redirect`; sign-out's clears the session cookie too, which tells it from a refused caller's redirect.
 */
interface Page {
  redirect?: (c: Cell) => string | RegExp;
  clearsSession?: boolean;
}

const toPackage = (c: Cell) => `/projects/${c.project}/packages/hello`;
const toSettings = (c: Cell) => `/projects/${c.project}/settings`;

const PAGES: Record<string, Page> = {
  "GET /sign-in": {},
  "POST /sign-in": { redirect: () => "/" },
  "POST /sign-out": { redirect: () => "/sign-in", clearsSession: true },
  "POST /sign-out-everywhere": { redirect: () => "/sign-in", clearsSession: true },
  "GET /": {},
  "POST /projects": { redirect: (c) => `/projects/new-${c.n}` },
  "GET /projects/:project": {},
  "GET /projects/:project/packages/:pkg": {},
  "POST /projects/:project/packages": { redirect: toPackage },
  "POST /projects/:project/packages/:pkg/files": { redirect: toPackage },
  "GET /projects/:project/releases": {},
  "GET /projects/:project/builds": {},
  "GET /builds/:id": {},
  "POST /projects/:project/packages/:pkg/builds": { redirect: () => /^\/builds\/\d+$/ },
  "GET /projects/:project/keys": {},
  "GET /projects/:project/repositories": {},
  "GET /projects/:project/settings": {},
  "POST /projects/:project/settings/members": { redirect: toSettings },
  "POST /projects/:project/settings/members/remove": { redirect: toSettings },
  // Answers with the settings page showing the new secret once (200), not a redirect.
  "POST /projects/:project/settings/webhook-secret": {},
  "GET /settings/tokens": {},
  // Answers with the tokens page showing the new token once (201), not a redirect.
  "POST /settings/tokens": {},
  "POST /settings/tokens/:id/revoke": { redirect: () => "/settings/tokens" },
  "GET /settings/plan": {},
};

const SESSION_COOKIE = "packyard_session";

/** Whether a page's answer is what `want` means for a browser (see {@link PAGES}). */
function pageAnswers(
  page: Page,
  want: "2xx" | 401 | 403 | 404,
  r: LightMyRequestResponse,
  c: Cell,
  head: boolean,
): boolean {
  const location = String(r.headers.location ?? "");
  const cookies = r.cookies as { name: string; value: string }[];
  const html = String(r.headers["content-type"] ?? "").startsWith("text/html");
  if (want === 401)
    return r.statusCode === 303 && location === "/sign-in" && !cookies.some((k) => k.name === SESSION_COOKIE);
  if (want === 403 || want === 404)
    return (
      r.statusCode === want &&
      html &&
      (head || r.body.includes(`${want === 403 ? "FORBIDDEN" : "NOT_FOUND"}:`))
    );
  if (r.statusCode >= 200 && r.statusCode < 300) return html;
  if (page.redirect === undefined || r.statusCode !== 303) return false;
  const to = page.redirect(c);
  const redirected = typeof to === "string" ? location === to : to.test(location);
  return (
    redirected &&
    (page.clearsSession !== true || cookies.some((k) => k.name === SESSION_COOKIE && k.value === ""))
  );
}

/** The CSRF cookie and token a browser holds before signing in (from GET /sign-in; set up before the matrix). */
let csrf = { cookie: "", token: "" };

/** A page's urlencoded form post with the CSRF field and cookie. */
function form(url: string, fields: Record<string, string | string[]>): CellRequest {
  const body = new URLSearchParams({ _csrf: csrf.token });
  for (const [k, v] of Object.entries(fields)) for (const x of [v].flat()) body.append(k, x);
  return {
    url,
    payload: body.toString(),
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: csrf.cookie },
  };
}

/** A page's multipart form post (the upload forms): the CSRF field first, then `fields`, then the file. */
function multipartForm(
  url: string,
  fields: Record<string, string>,
  file?: { field: string; filename: string; bytes: Buffer },
): CellRequest {
  const boundary = "packyard-matrix-boundary";
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries({ _csrf: csrf.token, ...fields }))
    parts.push(
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`),
    );
  if (file !== undefined)
    parts.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${file.field}"; filename="${file.filename}"\r\n` +
          "Content-Type: application/octet-stream\r\n\r\n",
      ),
      file.bytes,
      Buffer.from("\r\n"),
    );
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return {
    url,
    payload: Buffer.concat(parts),
    headers: { "content-type": `multipart/form-data; boundary=${boundary}`, cookie: csrf.cookie },
  };
}

/** What a route's request carries in one cell. */
interface Cell {
  project: string;
  n: number;
  /** The calling user's id (undefined: anonymous). */
  userId: number | undefined;
  /** A token of the caller's user that the request may revoke. */
  spareTokenId: number;
  ownerPassword: string;
  /** The id of the cell project's owner. */
  ownerId: number;
}

/** A request of a cell; `setup` makes what the route needs to answer 2xx (a package, a release, a file). */
interface CellRequest {
  url: string;
  payload?: object | string | Buffer;
  headers?: Record<string, string>;
}

type Sample = (c: Cell & { projectId: number; h: Harness }) => CellRequest | Promise<CellRequest>;
type SetupCell = Cell & { projectId: number; h: Harness };

const CONFIG = readFileSync(new URL("../../../fixtures/example/packyard.yml", import.meta.url), "utf8");
const OCTETS = { "content-type": "application/octet-stream" };
let debBytes: Uint8Array | undefined;
/** The id of a public key of project `elsewhere` (set up before the matrix runs). */
let publicKeyId = "";

/** Package `hello` of the cell's project. */
async function withPackage(c: SetupCell): Promise<number> {
  const now = c.h.clock.now();
  const { rows } = await c.h.db.query<{ id: number }>(
    `INSERT INTO packages (project_id, name, config, created_at, updated_at) VALUES ($1, 'hello', $2, $3, $3)
     RETURNING id`,
    [c.projectId, CONFIG, now],
  );
  return rows[0]!.id;
}

/** Package `hello` with a source file `src.tar.gz`. */
async function withFile(c: SetupCell): Promise<void> {
  const packageId = await withPackage(c);
  const bytes = Buffer.from(`source ${c.n}`);
  const sha = createHash("sha256").update(bytes).digest("hex");
  await c.h.storage.put(`blobs/sha256/${sha}`, bytes);
  const now = c.h.clock.now();
  await c.h.db.query("INSERT INTO blobs (sha256, size, created_at) VALUES ($1, $2, $3)", [
    sha,
    bytes.length,
    now,
  ]);
  await c.h.db.query(
    `INSERT INTO package_files (package_id, access_name, blob_sha256, created_at, updated_at)
     VALUES ($1, 'src.tar.gz', $2, $3, $3)`,
    [packageId, sha, now],
  );
}

/** Package `hello` with release 1.0.0. */
async function withRelease(c: SetupCell): Promise<void> {
  const packageId = await withPackage(c);
  await c.h.db.query(
    "INSERT INTO releases (package_id, project_id, version, created_at) VALUES ($1, $2, '1.0.0', $3)",
    [packageId, c.projectId, c.h.clock.now()],
  );
}

/** The cell project's signing keys (projects made by SQL here have none). */
async function withKeys(c: SetupCell): Promise<void> {
  for (const [purpose, pool] of [
    ["openpgp", POOL_OPENPGP],
    ["apk", POOL_APK],
  ] as const) {
    const key = await checkKey({ purpose, key: pool[1]!, project: c.project, now: c.h.clock.now() });
    await insertKey(c.h.db, TEST_MASTER_KEY, c.projectId, key, c.h.clock.now());
  }
}

const files = (c: Cell) => `/api/v1/projects/${c.project}/packages/hello/files`;
const releases = (c: Cell) => `/api/v1/projects/${c.project}/packages/hello/releases`;
const readTokens = (c: Cell) => `/api/v1/projects/${c.project}/repository/read-tokens`;

/** A packyard.yml that references no file, so a build of it needs no upload. */
const BUILDABLE = "name: hello\nversion: 1.0.0\narch: amd64\n";

/** Package `hello` (BUILDABLE) and a build of it in `state` with one deb job; returns the build id. */
async function withBuild(c: SetupCell, state = "pending"): Promise<number> {
  const now = c.h.clock.now();
  const { rows: p } = await c.h.db.query<{ id: number }>(
    `INSERT INTO packages (project_id, name, config, created_at, updated_at) VALUES ($1, 'hello', $2, $3, $3)
     RETURNING id`,
    [c.projectId, BUILDABLE, now],
  );
  const { rows } = await c.h.db.query<{ id: number }>(
    `INSERT INTO builds (project_id, package_id, version, state, targets, config, source_date_epoch, created_at)
     VALUES ($1, $2, '1.0.0', $3, ARRAY['debian-12'], $4, 0, $5) RETURNING id`,
    [c.projectId, p[0]!.id, state, BUILDABLE, now],
  );
  const jobState = state === "succeeded" ? "succeeded" : "pending";
  await c.h.db.query(
    `INSERT INTO jobs (build_id, project_id, format, arch, targets, state, created_at)
     VALUES ($1, $2, 'deb', 'amd64', ARRAY['debian-12'], $3, $4)`,
    [rows[0]!.id, c.projectId, jobState, now],
  );
  return rows[0]!.id;
}

/** Package `hello` with a GitHub webhook; returns the webhook's secret. */
async function withWebhook(c: SetupCell): Promise<string> {
  await withPackage(c);
  const made = await putWebhook(
    { db: c.h.db, masterKey: TEST_MASTER_KEY, clock: c.h.clock },
    c.projectId,
    { package: "hello", assets: [], pushAccessName: null },
    null,
  );
  return secret(made.secret!);
}

const ELSEWHERE = "https://packages.example.org/r/elsewhere/main";

/** Project `elsewhere`'s install document: one Debian 12 target with one step (what the install API reads). */
const INSTALL_DOC: InstallDocument = {
  schema: INSTALL_SCHEMA,
  name: "elsewhere",
  baseUrl: ELSEWHERE,
  public: true,
  updated: "2026-12-01T00:00:00.000Z",
  keys: {},
  latest: [{ family: "deb", name: "hello", version: "1.0.0-1" }],
  targets: [
    {
      id: "debian-12",
      name: "Debian 12",
      family: "deb",
      manager: "apt",
      architectures: ["amd64"],
      packages: ["hello"],
      package: "hello",
      osRelease: { ids: ["debian"], versionId: { exact: "12" } },
      root: "deb/dists/stable",
      steps: [{ title: "t", command: "true", sudo: "true" }],
    },
  ],
  downloads: [],
  script: { url: `${ELSEWHERE}/install.sh`, command: `curl -fsSL ${ELSEWHERE}/install.sh | sh` },
  page: `${ELSEWHERE}/index.html`,
  json: `${ELSEWHERE}/install.json`,
  badge: `${ELSEWHERE}/badge.svg`,
};

const SAMPLES: Record<string, Sample> = {
  // Builds (issue 20).
  "GET /api/v1/targets": () => ({ url: "/api/v1/targets" }),
  "POST /api/v1/projects/:project/packages/:pkg/builds": async (c) => {
    await c.h.db.query(
      "INSERT INTO packages (project_id, name, config, created_at, updated_at) VALUES ($1, 'hello', $2, $3, $3)",
      [c.projectId, BUILDABLE, c.h.clock.now()],
    );
    return {
      url: `/api/v1/projects/${c.project}/packages/hello/builds`,
      payload: { version: "1.0.0", targets: ["debian-12"] },
    };
  },
  "GET /api/v1/projects/:project/builds": (c) => ({ url: `/api/v1/projects/${c.project}/builds` }),
  "GET /api/v1/builds/:id": async (c) => ({ url: `/api/v1/builds/${await withBuild(c)}` }),
  "POST /api/v1/builds/:id/cancel": async (c) => ({ url: `/api/v1/builds/${await withBuild(c)}/cancel` }),
  "GET /api/v1/builds/:id/logs": async (c) => ({
    url: `/api/v1/builds/${await withBuild(c, "succeeded")}/logs`,
  }),
  // A finished build, so the stream ends (event: end) under inject.
  "GET /api/v1/builds/:id/logs/stream": async (c) => ({
    url: `/api/v1/builds/${await withBuild(c, "succeeded")}/logs/stream`,
  }),
  "POST /api/v1/agents": (c) => ({ url: "/api/v1/agents", payload: { name: `shared-${c.n}` } }),
  "GET /api/v1/agents": () => ({ url: "/api/v1/agents" }),
  "DELETE /api/v1/agents/:id": async (c) => {
    const made = await registerAgent(
      c.h.db,
      { name: `shared-${c.n}`, createdBy: c.ownerId },
      c.h.clock.now(),
    );
    secret(made.token);
    return { url: `/api/v1/agents/${made.agent.id}` };
  },
  "POST /api/v1/projects/:project/agents": (c) => ({
    url: `/api/v1/projects/${c.project}/agents`,
    payload: { name: "builder", labels: ["x"] },
  }),
  "GET /api/v1/projects/:project/agents": (c) => ({ url: `/api/v1/projects/${c.project}/agents` }),
  "DELETE /api/v1/projects/:project/agents/:id": async (c) => {
    const made = await registerAgent(
      c.h.db,
      { name: "builder", projectId: c.projectId, createdBy: c.ownerId },
      c.h.clock.now(),
    );
    secret(made.token);
    return { url: `/api/v1/projects/${c.project}/agents/${made.agent.id}` };
  },
  "PUT /api/v1/projects/:project/secrets/:name": (c) => ({
    url: `/api/v1/projects/${c.project}/secrets/API_KEY`,
    payload: { value: secret(`build-secret-value-${c.n}`) },
  }),
  "GET /api/v1/projects/:project/secrets": (c) => ({ url: `/api/v1/projects/${c.project}/secrets` }),
  "DELETE /api/v1/projects/:project/secrets/:name": async (c) => {
    await setSecret(
      c.h.db,
      TEST_MASTER_KEY,
      c.projectId,
      "API_KEY",
      secret(`build-secret-value-${c.n}`),
      c.h.clock.now(),
    );
    return { url: `/api/v1/projects/${c.project}/secrets/API_KEY` };
  },
  // Agent routes answer 401 to every user principal; any URL and body shows it.
  "POST /api/v1/agent/claim": () => ({ url: "/api/v1/agent/claim", payload: {} }),
  "POST /api/v1/agent/jobs/:id/heartbeat": () => ({
    url: "/api/v1/agent/jobs/1/heartbeat",
    payload: { attempt: 1 },
  }),
  "POST /api/v1/agent/jobs/:id/logs": () => ({
    url: "/api/v1/agent/jobs/1/logs",
    payload: { attempt: 1, chunks: [{ chunk: 0, stream: "stdout", text: "x" }] },
  }),
  "PUT /api/v1/agent/jobs/:id/artifact": () => ({
    url: "/api/v1/agent/jobs/1/artifact?attempt=1&fileName=hello_1.0.0-1_amd64.deb",
    payload: Buffer.from("x"),
    headers: { ...OCTETS, "x-checksum-sha256": createHash("sha256").update("x").digest("hex") },
  }),
  "POST /api/v1/agent/jobs/:id/complete": () => ({
    url: "/api/v1/agent/jobs/1/complete",
    payload: { attempt: 1, outcome: "succeeded" },
  }),
  // Public, the signature is the credential: a valid signed URL answers 2xx to everyone.
  "GET /api/v1/agent/sources/:job/:accessName": async (c) => {
    await withFile(c);
    const { rows } = await c.h.db.query<{ package_id: number; blob_sha256: string; size: number }>(
      `SELECT f.package_id, f.blob_sha256, b.size FROM package_files f JOIN packages p ON p.id = f.package_id
         JOIN blobs b ON b.sha256 = f.blob_sha256 WHERE p.project_id = $1`,
      [c.projectId],
    );
    const file = rows[0]!;
    const now = c.h.clock.now();
    const { rows: builds } = await c.h.db.query<{ id: number }>(
      `INSERT INTO builds (project_id, package_id, version, state, targets, config, sources, source_date_epoch, created_at)
       VALUES ($1, $2, '1.0.0', 'pending', '{debian-12}', $3, $4::jsonb, 0, $5) RETURNING id`,
      [
        c.projectId,
        file.package_id,
        CONFIG,
        JSON.stringify([{ accessName: "src.tar.gz", sha256: file.blob_sha256, size: Number(file.size) }]),
        now,
      ],
    );
    const { rows: jobs } = await c.h.db.query<{ id: number }>(
      `INSERT INTO jobs (build_id, project_id, format, arch, targets, state, created_at)
       VALUES ($1, $2, 'deb', 'amd64', '{debian-12}', 'pending', $3) RETURNING id`,
      [builds[0]!.id, c.projectId, now],
    );
    const url = new URL(
      signSourceUrl(
        TEST_MASTER_KEY,
        "http://localhost",
        { jobId: jobs[0]!.id, accessName: "src.tar.gz", sha256: file.blob_sha256 },
        now,
      ),
    );
    return { url: url.pathname + url.search };
  },
  "PUT /api/v1/projects/:project/webhook": async (c) => {
    await withPackage(c);
    return {
      url: `/api/v1/projects/${c.project}/webhook`,
      payload: { package: "hello", assets: [{ pattern: "hello-*.tar.gz", accessName: "src.tar.gz" }] },
    };
  },
  "GET /api/v1/projects/:project/webhook": async (c) => {
    await withWebhook(c);
    return { url: `/api/v1/projects/${c.project}/webhook` };
  },
  "DELETE /api/v1/projects/:project/webhook": async (c) => {
    await withWebhook(c);
    return { url: `/api/v1/projects/${c.project}/webhook` };
  },
  "POST /api/v1/projects/:project/webhook/secret": async (c) => {
    await withWebhook(c);
    return { url: `/api/v1/projects/${c.project}/webhook/secret` };
  },
  "POST /hooks/github/:project": async (c) => {
    const key = await withWebhook(c);
    const body = Buffer.from(JSON.stringify({ zen: "x" }));
    return {
      url: `/hooks/github/${c.project}`,
      payload: body,
      headers: {
        "content-type": "application/json",
        "x-github-event": "ping",
        "x-github-delivery": `ping-${c.n}`,
        "x-hub-signature-256": signBody(key, body),
      },
    };
  },
  "POST /api/v1/signup": (c) => ({
    url: "/api/v1/signup",
    payload: { email: `s${c.n}@example.org`, slug: `s-${c.n}`, password: secret(`signup-password-${c.n}`) },
  }),
  "POST /api/v1/users": (c) => ({
    url: "/api/v1/users",
    payload: { email: `u${c.n}@example.org`, slug: `u-${c.n}` },
  }),
  "GET /api/v1/users": () => ({ url: "/api/v1/users" }),
  "GET /api/v1/user": () => ({ url: "/api/v1/user" }),
  "POST /api/v1/auth/token": (c) => ({
    url: "/api/v1/auth/token",
    payload: { email: "owner@example.org", password: c.ownerPassword, name: "signed in", scopes: ["read"] },
  }),
  "GET /api/v1/tokens": () => ({ url: "/api/v1/tokens" }),
  "POST /api/v1/tokens": () => ({ url: "/api/v1/tokens", payload: { name: "more", scopes: ["read"] } }),
  "DELETE /api/v1/tokens/:id": (c) => ({ url: `/api/v1/tokens/${c.spareTokenId}` }),
  "POST /api/v1/projects": (c) => ({ url: "/api/v1/projects", payload: { slug: `new-${c.n}` } }),
  "GET /api/v1/projects": () => ({ url: "/api/v1/projects" }),
  "GET /api/v1/projects/:project": (c) => ({ url: `/api/v1/projects/${c.project}` }),
  "DELETE /api/v1/projects/:project": (c) => ({ url: `/api/v1/projects/${c.project}` }),
  "GET /api/v1/projects/:project/members": (c) => ({ url: `/api/v1/projects/${c.project}/members` }),
  "PUT /api/v1/projects/:project/members/:user": (c) => ({
    url: `/api/v1/projects/${c.project}/members/newcomer`,
    payload: { role: "maintainer" },
  }),
  "DELETE /api/v1/projects/:project/members/:user": (c) => ({
    url: `/api/v1/projects/${c.project}/members/viewer`,
  }),
  "DELETE /api/v1/projects/:project/membership": (c) => ({ url: `/api/v1/projects/${c.project}/membership` }),
  "GET /api/v1/projects/:project/packages": (c) => ({ url: `/api/v1/projects/${c.project}/packages` }),
  "PUT /api/v1/projects/:project/packages/:pkg": (c) => ({
    url: `/api/v1/projects/${c.project}/packages/hello`,
    payload: CONFIG,
    headers: { "content-type": "text/yaml" },
  }),
  "GET /api/v1/projects/:project/packages/:pkg": async (c) => {
    await withPackage(c);
    return { url: `/api/v1/projects/${c.project}/packages/hello` };
  },
  "DELETE /api/v1/projects/:project/packages/:pkg": async (c) => {
    await withPackage(c);
    return { url: `/api/v1/projects/${c.project}/packages/hello` };
  },
  "GET /api/v1/projects/:project/packages/:pkg/files": async (c) => {
    await withPackage(c);
    return { url: files(c) };
  },
  "GET /api/v1/projects/:project/packages/:pkg/files/*": async (c) => {
    await withFile(c);
    return { url: `${files(c)}/src.tar.gz` };
  },
  "DELETE /api/v1/projects/:project/packages/:pkg/files/*": async (c) => {
    await withFile(c);
    return { url: `${files(c)}/src.tar.gz` };
  },
  "PUT /api/v1/projects/:project/packages/:pkg/files/*": async (c) => {
    await withPackage(c);
    return { url: `${files(c)}/src.tar.gz`, payload: Buffer.from(`upload ${c.n}`), headers: OCTETS };
  },
  "GET /api/v1/projects/:project/packages/:pkg/releases": async (c) => {
    await withPackage(c);
    return { url: releases(c) };
  },
  "POST /api/v1/projects/:project/packages/:pkg/releases": async (c) => {
    await withPackage(c);
    return { url: releases(c), payload: { version: "1.0.0" } };
  },
  "GET /api/v1/projects/:project/packages/:pkg/releases/:version": async (c) => {
    await withRelease(c);
    return { url: `${releases(c)}/1.0.0` };
  },
  "DELETE /api/v1/projects/:project/packages/:pkg/releases/:version": async (c) => {
    await withRelease(c);
    return { url: `${releases(c)}/1.0.0` };
  },
  "PUT /api/v1/projects/:project/packages/:pkg/releases/:version/artifacts/*": async (c) => {
    await withPackage(c);
    debBytes ??= (await testDeb({ name: "hello", version: "1.0.0-1" })).bytes;
    return {
      url: `${releases(c)}/1.0.0-1/artifacts/hello_1.0.0-1_amd64.deb`,
      payload: Buffer.from(debBytes),
      headers: OCTETS,
    };
  },
  "GET /api/v1/projects/:project/keys": (c) => ({ url: `/api/v1/projects/${c.project}/keys` }),
  "POST /api/v1/projects/:project/keys": (c) => ({
    url: `/api/v1/projects/${c.project}/keys`,
    payload: { purpose: "apk", key: POOL_APK[c.n % POOL_APK.length]! },
  }),
  "POST /api/v1/projects/:project/keys/rotate": (c) => ({
    url: `/api/v1/projects/${c.project}/keys/rotate`,
    payload: { purpose: "apk" },
  }),
  "GET /api/v1/projects/:project/keys/backup": (c) => ({ url: `/api/v1/projects/${c.project}/keys/backup` }),
  "GET /api/v1/projects/:project/keys/:file": () => ({
    url: `/api/v1/projects/elsewhere/keys/${publicKeyId}.asc`,
  }),
  "GET /api/v1/projects/:project/repository/read-tokens": (c) => ({ url: readTokens(c) }),
  "POST /api/v1/projects/:project/repository/read-tokens": (c) => ({
    url: readTokens(c),
    payload: { name: "mirror" },
  }),
  "DELETE /api/v1/projects/:project/repository/read-tokens/:id": async (c) => {
    const made = await issueReadToken(
      c.h.db,
      { projectId: c.projectId, userId: c.ownerId, name: "spare" },
      c.h.clock.now(),
    );
    secret(made.token);
    return { url: `${readTokens(c)}/${made.info.id}` };
  },
  "GET /api/v1/projects/:project/repository": (c) => ({ url: `/api/v1/projects/${c.project}/repository` }),
  "PUT /api/v1/projects/:project/repository": (c) => ({
    url: `/api/v1/projects/${c.project}/repository`,
    payload: { apt: { suite: "stable", components: ["main"] }, keep: 3 },
  }),
  "POST /api/v1/projects/:project/repository/publish": async (c) => {
    await withKeys(c);
    return { url: `/api/v1/projects/${c.project}/repository/publish`, payload: {} };
  },
  "GET /api/v1/projects/:project/repository/install": () => ({
    url: "/api/v1/projects/elsewhere/repository/install?target=debian-12&format=sh",
  }),
  "GET /r/*": () => ({ url: "/r/elsewhere/main/deb/dists/stable/InRelease" }),
  "GET /api/openapi.json": () => ({ url: "/api/openapi.json" }),
  "GET /healthz": () => ({ url: "/healthz" }),
  "GET /metrics": () => ({ url: "/metrics" }),
  // Billing (issue 21): the caller's usage; the webhook answers 404 here (no secret; see expectedFor).
  "GET /api/v1/usage": () => ({ url: "/api/v1/usage" }),
  "POST /hooks/billing": (c) => ({
    url: "/hooks/billing",
    payload: JSON.stringify({
      id: `evt_${c.n}`,
      type: "customer.subscription.updated",
      data: { object: {} },
    }),
    headers: { "content-type": "application/json", "stripe-signature": `t=${c.n},v1=${"0".repeat(64)}` },
  }),
  // Web pages (issue 21; PAGES says how their cells answer).
  "GET /sign-in": () => ({ url: "/sign-in" }),
  "POST /sign-in": (c) => form("/sign-in", { email: "owner@example.org", password: c.ownerPassword }),
  "POST /sign-out": () => form("/sign-out", {}),
  "POST /sign-out-everywhere": () => form("/sign-out-everywhere", {}),
  "GET /": () => ({ url: "/" }),
  "POST /projects": (c) => form("/projects", { slug: `new-${c.n}` }),
  "GET /projects/:project": (c) => ({ url: `/projects/${c.project}` }),
  "GET /projects/:project/packages/:pkg": async (c) => {
    await withPackage(c);
    return { url: toPackage(c) };
  },
  "POST /projects/:project/packages": (c) =>
    multipartForm(`/projects/${c.project}/packages`, { name: "hello", config: CONFIG }),
  "POST /projects/:project/packages/:pkg/files": async (c) => {
    await withPackage(c);
    return multipartForm(
      `${toPackage(c)}/files`,
      { accessName: "src.tar.gz" },
      { field: "file", filename: "src.tar.gz", bytes: Buffer.from(`form upload ${c.n}`) },
    );
  },
  "GET /projects/:project/releases": async (c) => {
    await withRelease(c);
    return { url: `/projects/${c.project}/releases` };
  },
  "GET /projects/:project/builds": async (c) => {
    await withBuild(c);
    return { url: `/projects/${c.project}/builds` };
  },
  "GET /builds/:id": async (c) => ({ url: `/builds/${await withBuild(c, "succeeded")}` }),
  "POST /projects/:project/packages/:pkg/builds": async (c) => {
    await c.h.db.query(
      "INSERT INTO packages (project_id, name, config, created_at, updated_at) VALUES ($1, 'hello', $2, $3, $3)",
      [c.projectId, BUILDABLE, c.h.clock.now()],
    );
    return form(`${toPackage(c)}/builds`, { version: "1.0.0", targets: ["debian-12"] });
  },
  "GET /projects/:project/keys": async (c) => {
    await withKeys(c);
    return { url: `/projects/${c.project}/keys` };
  },
  "GET /projects/:project/repositories": (c) => ({ url: `/projects/${c.project}/repositories` }),
  "GET /projects/:project/settings": async (c) => {
    await withWebhook(c);
    return { url: toSettings(c) };
  },
  "POST /projects/:project/settings/members": (c) =>
    form(`${toSettings(c)}/members`, { user: "newcomer", role: "maintainer" }),
  "POST /projects/:project/settings/members/remove": (c) =>
    form(`${toSettings(c)}/members/remove`, { user: "viewer" }),
  "POST /projects/:project/settings/webhook-secret": async (c) => {
    await withWebhook(c);
    return form(`${toSettings(c)}/webhook-secret`, {});
  },
  "GET /settings/tokens": () => ({ url: "/settings/tokens" }),
  "POST /settings/tokens": () => form("/settings/tokens", { name: "more", scopes: "read" }),
  "POST /settings/tokens/:id/revoke": (c) => form(`/settings/tokens/${c.spareTokenId}/revoke`, {}),
  "GET /settings/plan": () => ({ url: "/settings/plan" }),
  // The public install page and the static files: project `elsewhere` published its install files.
  "GET /p/:project": () => ({ url: "/p/elsewhere" }),
  "GET /p/:project/install.sh": () => ({ url: "/p/elsewhere/install.sh" }),
  "GET /p/:project/install.json": () => ({ url: "/p/elsewhere/install.json" }),
  "GET /p/:project/badge.svg": () => ({ url: "/p/elsewhere/badge.svg" }),
  "GET /p/:project/index.html": () => ({ url: "/p/elsewhere/index.html" }),
  "GET /static/app.js": () => ({ url: "/static/app.js" }),
  "GET /static/style.css": () => ({ url: "/static/style.css" }),
};

const MEMBER_SCOPES: Scope[] = ["read", "write", "publish", "keys"];

eachDb((_kind, fresh) => {
  test("every route × every caller gets the status its rule implies", async (t) => {
    const h = await harness(t, fresh, { allowSignup: true, rateLimit: { max: 100_000, strictMax: 100_000 } });
    if (h === undefined) return;
    const ownerPassword = secret("owner-password-1");
    const users = {
      viewer: await h.user("viewer"),
      maintainer: await h.user("maintainer"),
      owner: await h.user("owner", { password: ownerPassword }),
      owner2: await h.user("owner-two"),
      other: await h.user("other"),
      admin: await h.user("admin", { admin: true }),
    };
    await h.user("newcomer");
    const otherProject = await h.db.query<{ id: number }>(
      "INSERT INTO projects (slug, created_at) VALUES ('elsewhere', $1) RETURNING id",
      [h.clock.now()],
    );
    await h.db.query(
      "INSERT INTO memberships (project_id, user_id, role, created_at) VALUES ($1, $2, 'owner', $3)",
      [otherProject.rows[0]!.id, users.other, h.clock.now()],
    );
    // Project `elsewhere` serves a public repository file and a public key.
    const elsewhere = otherProject.rows[0]!.id;
    const key = await checkKey({
      purpose: "openpgp",
      key: POOL_OPENPGP[0]!,
      project: "elsewhere",
      now: h.clock.now(),
    });
    await insertKey(h.db, TEST_MASTER_KEY, elsewhere, key, h.clock.now());
    publicKeyId = key.id;
    await h.db.query(
      "INSERT INTO repositories (project_id, name, created_at, updated_at) VALUES ($1, 'main', $2, $2)",
      [elsewhere, h.clock.now()],
    );
    await h.storage.put("repos/elsewhere/main/deb/dists/stable/InRelease", Buffer.from("signed text\n"));
    // Its install files as a publish writes them (@packyard/repo's installFiles): install.json (the install
    // API and /p/ read it), install.sh, badge.svg and index.html (served under /p/elsewhere/).
    for (const [name, bytes] of installFiles(INSTALL_DOC))
      await h.storage.put(`repos/elsewhere/main/${name}`, bytes);
    // What a browser holds before signing in: the CSRF cookie and a token bound to no session.
    const signInForm = await h.request({ method: "GET", url: "/sign-in" });
    const csrfCookie = (signInForm.cookies as { name: string; value: string }[]).find(
      (k) => k.name === "packyard_csrf",
    );
    const csrfToken = /name="_csrf" value="([^"]+)"/.exec(signInForm.body)?.[1];
    assert.ok(
      csrfCookie !== undefined && csrfToken !== undefined,
      "GET /sign-in gives a CSRF cookie and token",
    );
    csrf = { cookie: `packyard_csrf=${csrfCookie.value}`, token: csrfToken };
    const table = routeTable(h.app);
    const covered = new Set(Object.keys(SAMPLES));
    const missing = table
      .filter((r) => r.method !== "HEAD" && !covered.has(`${r.method} ${r.url}`))
      .map((r) => `${r.method} ${r.url}`);
    assert.deepEqual(missing, [], "routes without a sample in this matrix");
    assert.deepEqual(
      Object.keys(PAGES).filter((k) => !table.some((r) => `${r.method} ${r.url}` === k)),
      [],
      "pages listed in PAGES that the app does not have",
    );
    assert.ok(
      table.some((r) => r.method === "HEAD"),
      "GET routes answer HEAD too",
    );

    const failures: string[] = [];
    let n = 0;
    let rows = 0;
    for (const route of table) {
      const sample = SAMPLES[`${route.method === "HEAD" ? "GET" : route.method} ${route.url}`]!;
      for (const who of PRINCIPALS) {
        n++;
        // A project of this cell's own, so deletions and membership changes do not affect the next cell.
        const project = `p-${n}`;
        const { rows: p } = await h.db.query<{ id: number }>(
          "INSERT INTO projects (slug, created_at) VALUES ($1, $2) RETURNING id",
          [project, h.clock.now()],
        );
        for (const [user, role] of [
          [users.viewer, "viewer"],
          [users.maintainer, "maintainer"],
          [users.owner, "owner"],
          [users.owner2, "owner"],
        ] as const)
          await h.db.query(
            "INSERT INTO memberships (project_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)",
            [p[0]!.id, user, role, h.clock.now()],
          );
        const rule = route.authz;
        let token: string | undefined;
        let userId: number | undefined;
        switch (who) {
          case "anonymous":
            break;
          case "viewer":
          case "maintainer":
          case "owner":
            userId = users[who];
            token = (await h.token(userId, MEMBER_SCOPES)).token;
            break;
          case "another project's owner":
            userId = users.other;
            token = (await h.token(userId, MEMBER_SCOPES)).token;
            break;
          case "admin":
            userId = users.admin;
            token = (await h.token(userId, SCOPES)).token;
            break;
          case "token lacking the scope": {
            const needed: Scope | undefined =
              rule === "admin" ? "admin" : typeof rule === "object" ? rule.scope : undefined;
            userId = rule === "admin" ? users.admin : users.owner;
            const scopes =
              needed === undefined
                ? (["read"] as Scope[])
                : SCOPES.filter((s) => s !== needed && s !== "admin");
            token = (await h.token(userId, scopes)).token;
            break;
          }
          case "revoked token": {
            userId = users.owner;
            const made = await h.token(userId, MEMBER_SCOPES);
            await h.db.query("UPDATE api_tokens SET revoked_at = $2 WHERE id = $1", [made.id, h.clock.now()]);
            token = made.token;
            break;
          }
          case "expired token":
            userId = users.owner;
            token = (await h.token(userId, MEMBER_SCOPES, { expiresAt: new Date(h.clock.time + 1000) }))
              .token;
            break;
        }
        const spareTokenId = (await h.token(userId ?? users.owner, ["read"])).id;
        if (who === "expired token") h.clock.advance(2000);
        const cell = {
          project,
          projectId: p[0]!.id,
          h,
          n,
          userId,
          spareTokenId,
          ownerPassword,
          ownerId: users.owner,
        };
        const { url, payload, headers } = await sample(cell);
        const r = await h.request({
          method: route.method as "GET",
          url,
          headers: { ...headers, ...(token === undefined ? {} : bearer(token)) },
          ...(payload === undefined ? {} : { payload }),
        });
        const key = `${route.method === "HEAD" ? "GET" : route.method} ${route.url}`;
        const want = expectedFor(key, rule, who);
        const page = PAGES[key];
        const ok =
          page !== undefined
            ? pageAnswers(page, want, r, cell, route.method === "HEAD")
            : want === "2xx"
              ? r.statusCode >= 200 && r.statusCode < 300
              : r.statusCode === want;
        rows++;
        if (!ok)
          failures.push(
            `${route.method} ${route.url} [${ruleText(rule)}] as ${who}: expected ${want}${page === undefined ? "" : " (page)"}, found ${r.statusCode}${r.headers.location === undefined ? "" : ` to ${String(r.headers.location)}`} ${page === undefined ? r.body.slice(0, 160) : (/<strong>(?:Error )?([A-Z_]+):<\/strong>/.exec(r.body)?.[1] ?? "")}`,
          );
      }
    }
    assert.deepEqual(failures, []);
    assert.equal(rows, table.length * PRINCIPALS.length);
  });
});

secretsNeverLeak();
