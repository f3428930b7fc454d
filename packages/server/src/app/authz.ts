/**
 * Authorization. Every route declares a rule in its `config.authz`; {@link checkRouteRule} (an `onRoute`
 * hook) refuses to register a route without a valid one, and {@link authorize} (an `onRequest` hook, so it
 * runs before the body is read) enforces it:
 *
 * - `"public"`: anyone; credentials are not looked at.
 * - `"admin"`: a token of an admin user that has the `admin` scope.
 * - `{ signedIn: true, scope? }`: any valid token (with `scope`, when given).
 * - `"agent"`: a build agent's token (`pka_…`, table agents), not revoked; sets `request.agent`. User tokens
 *   are refused there, and agent tokens everywhere else (they are not API tokens).
 * - `{ project: role, scope }`: a token with `scope` whose user holds at least `role` in the route's
 *   `:project`. A project the caller has no role in answers 404 NOT_FOUND, as a missing one does, so project
 *   names do not leak; so does a token bound to another project. An admin (admin user + `admin` scope) acts
 *   as an owner of every project.
 *
 * Credentials are `Authorization: Bearer pky_…`, or the web interface's session cookie (web/sessions.ts),
 * which stands for its user with every scope the user may hold and no project binding. A request with both
 * is taken by its token (the cookie is not looked at). Unknown, revoked, expired and repository read tokens
 * are 401 UNAUTHENTICATED; an expired, revoked or unknown session is 401 SESSION_EXPIRED (pages redirect to
 * /sign-in). A state-changing request made with the cookie must pass the CSRF checks (web/csrf.ts: origin
 * and a token bound to the session) on every route, the API's included: 403 CSRF_INVALID.
 * `last_used_at` is written at most once a minute per token.
 */
import type { FastifyRequest, RouteOptions } from "fastify";
import { type Scope, SCOPES, TOKEN_PATTERN, tokenHash } from "../accounts/token-string.ts";
import type { Db } from "../db/db.ts";
import { ServerError } from "../errors.ts";
import {
  changesState,
  checkOrigin,
  checkToken,
  headerToken,
  type WebRuntime,
  webRuntimeOf,
} from "../web/csrf.ts";
import { findSession, sessionCookieOf } from "../web/sessions.ts";
import type { Clock } from "./deps.ts";

/** A project role, weakest first. */
export type Role = "viewer" | "maintainer" | "owner";

/** Every role, weakest first. */
export const ROLES: readonly Role[] = ["viewer", "maintainer", "owner"];

/** A route's authorization rule. */
export type AuthzRule =
  | "public"
  | "admin"
  | "agent"
  | { signedIn: true; scope?: Scope }
  | { project: Role; scope: Scope };

/** Who is calling, once a token was checked. */
export interface Principal {
  userId: number;
  userSlug: string;
  isAdmin: boolean;
  tokenId: number;
  scopes: readonly Scope[];
  /** The project the token is bound to, when it is. */
  tokenProjectId: number | null;
  /** The sign-in session's id when the caller came with the session cookie (tokenId is then 0). */
  sessionId?: number;
}

/** The route's project, for `{ project }` rules. */
export interface ProjectAccess {
  id: number;
  slug: string;
  /** The caller's role; `owner` for an admin without a membership. */
  role: Role;
}

/** The build agent calling, for `"agent"` rules. */
export interface AgentPrincipal {
  id: number;
  name: string;
  /** The project it builds for; null for a shared agent. */
  projectId: number | null;
  labels: readonly string[];
}

/** Agent tokens: `pka_` and 32 random bytes in base64url. */
export const AGENT_TOKEN_PATTERN = /^pka_[A-Za-z0-9_-]{43}$/;

declare module "fastify" {
  interface FastifyContextConfig {
    authz?: AuthzRule;
    /**
     * `"form"`: a page's form route, whose handler checks the CSRF token of the parsed body (`_csrf`) itself;
     * the authorization hook runs before the body is read, so it checks only the origin and a header token.
     */
    csrf?: "form";
  }
  interface FastifyRequest {
    principal?: Principal;
    project?: ProjectAccess;
    agent?: AgentPrincipal;
  }
}

const LAST_USED_EVERY_MS = 60_000;

/** The rule's text for messages and the route table. */
export function ruleText(rule: AuthzRule): string {
  if (typeof rule === "string") return rule;
  if ("project" in rule) return `project ${rule.project} + ${rule.scope}`;
  return rule.scope === undefined ? "signed in" : `signed in + ${rule.scope}`;
}

function validRule(rule: unknown): rule is AuthzRule {
  if (rule === "public" || rule === "admin" || rule === "agent") return true;
  if (typeof rule !== "object" || rule === null) return false;
  const r = rule as Record<string, unknown>;
  if ("project" in r)
    return (
      ROLES.includes(r.project as Role) && SCOPES.includes(r.scope as Scope) && Object.keys(r).length === 2
    );
  return r.signedIn === true && (r.scope === undefined || SCOPES.includes(r.scope as Scope));
}

/**
 * The `onRoute` check: a route must carry a valid `config.authz` and a response schema, and a project rule
 * needs a `:project` parameter. Throws at registration, so a server with an unguarded route never starts.
 */
export function checkRouteRule(route: RouteOptions): void {
  const where = `${String(route.method)} ${route.url}`;
  const rule = (route.config as { authz?: unknown } | undefined)?.authz;
  if (!validRule(rule))
    throw new ServerError(
      "INTERNAL",
      `Expected route ${where} to declare config.authz ("public", "admin", "agent", { signedIn, scope } or { project: role, scope }), found ${JSON.stringify(rule)}`,
      { field: "config.authz", path: where },
    );
  if (route.schema?.response === undefined)
    throw new ServerError("INTERNAL", `Expected route ${where} to declare a response schema, found none`, {
      field: "schema.response",
      path: where,
    });
  if (typeof rule === "object" && "project" in rule && !route.url.includes("/:project"))
    throw new ServerError(
      "INTERNAL",
      `Expected route ${where} with a project rule to have a :project parameter, found none`,
      { field: "url", path: where },
    );
}

const unauthenticated = (message: string): ServerError => new ServerError("UNAUTHENTICATED", message);

/** The bearer token of a request, or undefined without an Authorization header. */
function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header === undefined) return undefined;
  const m = /^Bearer +(\S+)$/i.exec(header);
  if (m === null)
    throw unauthenticated("Expected the Authorization header to be `Bearer pky_…`, found another scheme");
  return m[1];
}

/** Checks an agent's token: `pka_…`, known, not revoked. `last_seen_at` is written at most once a minute. */
export async function authenticateAgent(
  db: Db,
  clock: Clock,
  request: FastifyRequest,
): Promise<AgentPrincipal> {
  const token = bearer(request);
  if (token === undefined)
    throw unauthenticated("Expected an Authorization: Bearer pka_… agent token, found none");
  if (!AGENT_TOKEN_PATTERN.test(token))
    throw unauthenticated("Expected an agent token (pka_ and 43 base64url characters), found another value");
  const { rows } = await db.query<{
    id: number;
    name: string;
    project_id: number | null;
    labels: string[];
    revoked_at: Date | null;
    last_seen_at: Date | null;
  }>("SELECT id, name, project_id, labels, revoked_at, last_seen_at FROM agents WHERE token_sha256 = $1", [
    tokenHash(token),
  ]);
  const row = rows[0];
  if (row === undefined)
    throw unauthenticated("Expected a registered agent's token, found one this server did not issue");
  if (row.revoked_at !== null)
    throw unauthenticated(`Expected a valid agent token, found agent ${row.name}'s revoked`);
  const now = clock.now();
  if (row.last_seen_at === null || now.getTime() - row.last_seen_at.getTime() >= LAST_USED_EVERY_MS)
    await db.query(
      "UPDATE agents SET last_seen_at = $2 WHERE id = $1 AND (last_seen_at IS NULL OR last_seen_at <= $3)",
      [row.id, now, new Date(now.getTime() - LAST_USED_EVERY_MS)],
    );
  return { id: row.id, name: row.name, projectId: row.project_id, labels: row.labels };
}

/** Checks the request's token; undefined when there is none. */
export async function authenticate(
  db: Db,
  clock: Clock,
  request: FastifyRequest,
): Promise<Principal | undefined> {
  const token = bearer(request);
  if (token === undefined) return undefined;
  if (!TOKEN_PATTERN.test(token))
    throw unauthenticated(
      "Expected a packyard token (pky_ and 43 base64url characters), found another value",
    );
  const { rows } = await db.query<{
    id: number;
    user_id: number;
    kind: string;
    scopes: Scope[];
    project_id: number | null;
    expires_at: Date | null;
    revoked_at: Date | null;
    last_used_at: Date | null;
    slug: string;
    is_admin: boolean;
  }>(
    `SELECT t.id, t.user_id, t.kind, t.scopes, t.project_id, t.expires_at, t.revoked_at, t.last_used_at,
            u.slug, u.is_admin
       FROM api_tokens t JOIN users u ON u.id = t.user_id
      WHERE t.token_sha256 = $1`,
    [tokenHash(token)],
  );
  const row = rows[0];
  if (row === undefined) throw unauthenticated("Expected a known token, found one this server did not issue");
  if (row.kind !== "api")
    throw unauthenticated(
      "Expected an API token, found a repository read token (it only reads repositories)",
    );
  if (row.revoked_at !== null) throw unauthenticated(`Expected a valid token, found token ${row.id} revoked`);
  const now = clock.now();
  if (row.expires_at !== null && row.expires_at.getTime() <= now.getTime())
    throw unauthenticated(
      `Expected a valid token, found token ${row.id} expired at ${row.expires_at.toISOString()}`,
    );
  if (row.last_used_at === null || now.getTime() - row.last_used_at.getTime() >= LAST_USED_EVERY_MS) {
    // Conditional again in SQL, so concurrent requests write it once.
    await db.query(
      `UPDATE api_tokens SET last_used_at = $2
        WHERE id = $1 AND (last_used_at IS NULL OR last_used_at <= $3)`,
      [row.id, now, new Date(now.getTime() - LAST_USED_EVERY_MS)],
    );
  }
  return {
    userId: row.user_id,
    userSlug: row.slug,
    isAdmin: row.is_admin,
    tokenId: row.id,
    scopes: row.scopes,
    tokenProjectId: row.project_id,
  };
}

/** Whether the principal acts as an administrator (admin user and `admin` scope). */
export function actsAsAdmin(p: Principal): boolean {
  return p.isAdmin && p.scopes.includes("admin");
}

/** Whether the token carries `scope` (an administrator's admin scope carries every scope). */
export function hasScope(p: Principal, scope: Scope): boolean {
  return p.scopes.includes(scope) || actsAsAdmin(p);
}

function forbidden(message: string, details: Record<string, unknown>): ServerError {
  return new ServerError("FORBIDDEN", message, details);
}

/**
 * The principal of a session cookie: its user with every scope the user may hold (admin only for an
 * administrator), bound to no project. 401 SESSION_EXPIRED when the session is over or unknown.
 */
export async function sessionPrincipal(
  db: Db,
  clock: Clock,
  cookie: string,
  runtime: Pick<WebRuntime, "lifetimes">,
): Promise<Principal> {
  const found = await findSession(db, cookie, clock.now(), runtime.lifetimes);
  if (found.state !== "live")
    throw new ServerError(
      "SESSION_EXPIRED",
      `Expected a live sign-in session, found it ${found.state === "unknown" ? "unknown to this server" : found.state}; sign in again`,
      { reason: found.state },
    );
  const { rows } = await db.query<{ slug: string; is_admin: boolean }>(
    "SELECT slug, is_admin FROM users WHERE id = $1",
    [found.session.userId],
  );
  const user = rows[0];
  if (user === undefined)
    throw new ServerError("SESSION_EXPIRED", "Expected the session's user, found the account gone", {
      reason: "unknown",
    });
  return {
    userId: found.session.userId,
    userSlug: user.slug,
    isAdmin: user.is_admin,
    tokenId: 0,
    scopes: SCOPES.filter((s) => s !== "admin" || user.is_admin),
    tokenProjectId: null,
    sessionId: found.session.id,
  };
}

/** The `onRequest` enforcement of the route's rule; sets `request.principal` and `request.project`. */
export async function authorize(db: Db, clock: Clock, request: FastifyRequest): Promise<void> {
  const rule = request.routeOptions.config.authz;
  // Unmatched URLs (the 404 handler) have no rule and nothing to protect.
  if (rule === undefined) return;
  // The session cookie counts only without an Authorization header (a token wins), and only when the web
  // interface is registered over this database.
  const web = webRuntimeOf(db);
  const cookie =
    web !== undefined && request.headers.authorization === undefined ? sessionCookieOf(request) : undefined;
  if (cookie !== undefined && web !== undefined && changesState(request.method)) {
    checkOrigin(request, web);
    const token = headerToken(request);
    if (token !== undefined || request.routeOptions.config.csrf !== "form") checkToken(request, web, token);
  }
  if (rule === "public") return;
  if (rule === "agent") {
    request.agent = await authenticateAgent(db, clock, request);
    return;
  }
  let principal = await authenticate(db, clock, request);
  if (principal === undefined && cookie !== undefined && web !== undefined)
    principal = await sessionPrincipal(db, clock, cookie, web);
  if (principal === undefined)
    throw unauthenticated("Expected an Authorization: Bearer pky_… header, found none");
  request.principal = principal;
  if (rule === "admin") {
    if (!actsAsAdmin(principal))
      throw forbidden("Expected an administrator's token with the admin scope", { required: "admin" });
    return;
  }
  if ("signedIn" in rule) {
    if (rule.scope !== undefined && !hasScope(principal, rule.scope))
      throw forbidden(`Expected a token with the ${rule.scope} scope, found ${principal.scopes.join(", ")}`, {
        scope: rule.scope,
      });
    return;
  }
  const slug = (request.params as { project?: string }).project ?? "";
  const project = await projectAccess(db, principal, slug);
  if (project === undefined)
    throw new ServerError("NOT_FOUND", `Expected a project named ${slug} that you can see, found none`, {
      field: "project",
    });
  if (!hasScope(principal, rule.scope))
    throw forbidden(`Expected a token with the ${rule.scope} scope, found ${principal.scopes.join(", ")}`, {
      scope: rule.scope,
    });
  if (ROLES.indexOf(project.role) < ROLES.indexOf(rule.project))
    throw forbidden(`Expected the ${rule.project} role in project ${slug}, found ${project.role}`, {
      role: rule.project,
      found: project.role,
    });
  request.project = project;
}

/** The project named `slug` as the principal sees it, or undefined when it does not exist or is hidden. */
export async function projectAccess(
  db: Db,
  principal: Principal,
  slug: string,
): Promise<ProjectAccess | undefined> {
  const { rows } = await db.query<{ id: number; slug: string; role: Role | null }>(
    `SELECT p.id, p.slug, m.role
       FROM projects p LEFT JOIN memberships m ON m.project_id = p.id AND m.user_id = $2
      WHERE p.slug = $1`,
    [slug, principal.userId],
  );
  const row = rows[0];
  if (row === undefined) return undefined;
  if (principal.tokenProjectId !== null && principal.tokenProjectId !== row.id) return undefined;
  if (row.role !== null) return { id: row.id, slug: row.slug, role: row.role };
  return actsAsAdmin(principal) ? { id: row.id, slug: row.slug, role: "owner" } : undefined;
}
