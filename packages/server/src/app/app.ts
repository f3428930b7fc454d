/**
 * `buildApp(deps)`: the packyard server as a fastify 5 app, not listening (tests call `inject`, `packyard
 * serve` calls `listen`). One plugin per area: accounts, projects, uploads, keys, repos, builds, ops. Every route declares a schema and an
 * authorization rule (authz.ts); a route without one stops the build.
 */
import { createHash, randomUUID } from "node:crypto";
import rateLimit from "@fastify/rate-limit";
import swagger from "@fastify/swagger";
import Fastify, {
  type FastifyBaseLogger,
  LogController,
  type FastifyInstance,
  type FastifyPluginAsync,
  type FastifyRequest,
} from "fastify";
import { ServerError } from "../errors.ts";
import { type AuthzRule, authorize, checkRouteRule } from "./authz.ts";
import type { AppDeps, RateLimitConfig } from "./deps.ts";
import { installErrorHandlers, sendError } from "./http-errors.ts";
import { notFound } from "../repos/serve.ts";
import { REDACT } from "./logger.ts";
import { Metrics } from "./metrics.ts";
import { billingPlugin } from "../billing/plugin.ts";
import { installPagePlugin } from "../web/install-page.ts";
import { type WebOptions, webPlugin } from "../web/plugin.ts";
import { accountsPlugin } from "./plugins/accounts.ts";
import { type AgentApiOptions, createAgentsPlugin } from "./plugins/agents.ts";
import { type BuildLogsOptions, buildLogsPlugin } from "./plugins/build-logs.ts";
import { buildsPlugin } from "./plugins/builds.ts";
import { type HooksPluginOptions, hooksPlugin } from "./plugins/hooks.ts";
import { opsPlugin } from "./plugins/ops.ts";
import { FILES_MOUNT, filesPlugin } from "./plugins/files.ts";
import { installPlugin } from "./plugins/install.ts";
import { keysPlugin } from "./plugins/keys.ts";
import { projectsPlugin } from "./plugins/projects.ts";
import { readTokensPlugin } from "./plugins/read-tokens.ts";
import { reposPlugin } from "./plugins/repos.ts";
import { uploadsPlugin } from "./plugins/uploads.ts";

/** Largest JSON body the API reads (uploads stream past this limit on their own routes). */
export const JSON_BODY_LIMIT = 1024 * 1024;

/** Default rate limits. */
export const DEFAULT_RATE_LIMIT: RateLimitConfig = {
  max: 300,
  strictMax: 10,
  filesMax: 6000,
  windowMs: 60_000,
};

/** Query parameter names that carry credentials in other APIs; packyard refuses them. */
const TOKEN_PARAMS = /(^|&)(token|access_token|api_key|apikey|private_token)=/i;

/** What a plugin is given. */
export interface PluginOptions {
  deps: AppDeps;
  rateLimit: RateLimitConfig;
  metrics: Metrics;
}

/** The rate-limit key: the token's hash when there is one (never the token itself), else the address. */
function rateKey(request: FastifyRequest): string {
  const m = /^Bearer +(\S+)$/i.exec(request.headers.authorization ?? "");
  if (m?.[1] !== undefined) return `t:${createHash("sha256").update(m[1]).digest("base64url")}`;
  return `ip:${request.ip}`;
}

/** One registered route and its rule. */
export interface RouteEntry {
  method: string;
  url: string;
  authz: AuthzRule;
}

const tables = new WeakMap<FastifyInstance, RouteEntry[]>();

/** Every route `app` registered (HEAD routes fastify adds for GET included), in registration order. */
export function routeTable(app: FastifyInstance): readonly RouteEntry[] {
  return tables.get(app) ?? [];
}

/** Settings of the builds area's plugins (tests shorten leases, keepalives and polls). */
export interface BuildsOptions {
  /** The agent API: queue options (lease, backoff), publish lock attempts. */
  agents?: AgentApiOptions;
  /** Build logs: SSE keepalive, poll interval, page size. */
  logs?: BuildLogsOptions;
  /** The GitHub webhook: API base URL (else config.githubApiUrl), download time limit. */
  hooks?: HooksPluginOptions;
}

/** Options of {@link buildApp} beside its dependencies. */
export interface BuildOptions {
  /** Settings of the builds plugins (registered always). */
  builds?: BuildsOptions;
  /** Settings of the web interface (pages, sessions, the public install page). */
  web?: WebOptions;
  /** More plugins (later areas: builds, web), registered under the same rules after the built-in ones. */
  plugins?: readonly FastifyPluginAsync<PluginOptions>[];
}

/**
 * Builds the app. Routes are registered when the returned promise resolves (`app.ready()` has run), so a
 * route without an authz rule rejects here.
 *
 * @example const app = await buildApp({ db, storage, masterKey, clock: systemClock, logger, config: {} });
 */
export async function buildApp(deps: AppDeps, build: BuildOptions = {}): Promise<FastifyInstance> {
  const limits: RateLimitConfig = { ...DEFAULT_RATE_LIMIT, ...deps.config.rateLimit };
  const app = Fastify({
    loggerInstance: deps.logger.child({}, { redact: REDACT }) as FastifyBaseLogger,
    bodyLimit: JSON_BODY_LIMIT,
    // Path parameters up to the longest name the API accepts (128) and then some; fastify's default is 100.
    routerOptions: { maxParamLength: 256 },
    genReqId: () => randomUUID(),
    // Request lines are written by the onResponse hook below: path without query, no headers.
    logController: new LogController({ disableRequestLogging: true }),
    // Clients cannot choose the id their request is logged under.
    requestIdHeader: false,
    return503OnClosing: true,
    // Unknown body fields are refused (a typo is an error), not silently dropped as fastify's default does.
    ajv: { customOptions: { removeAdditional: false } },
    // Keep-alive connections are closed when idle at shutdown; requests in flight finish.
    forceCloseConnections: "idle",
    // A URL fastify cannot decode (`%zz`) never reaches a route: answer it as the route would have, a plain
    // 404 under /r/ (apt and dnf read only the status) and the API's error body elsewhere.
    frameworkErrors: (error, request, reply) => {
      reply.header("x-request-id", request.id);
      if (request.url.startsWith(FILES_MOUNT)) return void notFound(reply);
      void sendError(
        new ServerError("INVALID_REQUEST", `Expected a well-formed URL, found ${error.message}`),
        request,
        reply,
      );
    },
  });
  const metrics = new Metrics();

  const table: RouteEntry[] = [];
  tables.set(app, table);
  app.addHook("onRoute", (route) => {
    checkRouteRule(route);
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods)
      table.push({ method: String(method), url: route.url, authz: route.config!.authz! });
  });
  installErrorHandlers(app);

  app.addHook("onRequest", async (request, reply) => {
    reply.header("x-request-id", request.id);
    const q = request.url.indexOf("?");
    if (q >= 0) {
      const query = request.url.slice(q + 1);
      if (/pky_/.test(query) || TOKEN_PARAMS.test(query))
        throw new ServerError(
          "TOKEN_IN_QUERY",
          "Expected credentials in the Authorization header, found a token in the query string (proxies and logs keep URLs); revoke that token",
        );
    }
  });
  await app.register(rateLimit, {
    global: true,
    max: limits.max,
    timeWindow: limits.windowMs,
    keyGenerator: rateKey,
    errorResponseBuilder: (_request, context) =>
      new ServerError(
        "RATE_LIMITED",
        `Expected at most ${context.max} requests per ${Math.round(context.ttl / 1000) || 1} s from this token or address, found more; retry after ${context.after}`,
        { retryAfter: context.after },
      ),
  });
  app.addHook("onRequest", async (request) => authorize(deps.db, deps.clock, request));
  app.addHook("onResponse", async (request, reply) => {
    const route = request.routeOptions.url ?? "(none)";
    metrics.observe(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    request.log.info(
      {
        method: request.method,
        path: request.url.split("?")[0],
        route,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      "request",
    );
  });

  // OpenAPI 3 document of every route, served at /api/openapi.json (ops plugin); collected from the routes'
  // schemas as they register, so it cannot drift from them.
  await app.register(swagger, {
    openapi: {
      openapi: "3.0.3",
      info: {
        title: "packyard server API",
        version: "1",
        description:
          "Accounts, projects, uploads, signing keys and hosted package repositories. Errors are `{ error: { code, message, details } }`.",
      },
      components: {
        securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "An API token, pky_…" } },
      },
      security: [{ bearer: [] }],
    },
  });

  const options: PluginOptions = { deps, rateLimit: limits, metrics };
  await app.register(accountsPlugin, { ...options, prefix: "/api/v1" });
  await app.register(projectsPlugin, { ...options, prefix: "/api/v1" });
  await app.register(uploadsPlugin, { ...options, prefix: "/api/v1" });
  await app.register(keysPlugin, { ...options, prefix: "/api/v1" });
  await app.register(reposPlugin, { ...options, prefix: "/api/v1" });
  await app.register(readTokensPlugin, { ...options, prefix: "/api/v1" });
  await app.register(installPlugin, { ...options, prefix: "/api/v1" });
  // Repository files (apt, dnf, pacman and apk fetch them) under /r/<project>/<repository>/.
  await app.register(filesPlugin, { ...options, prefix: "/r" });
  // Builds (issue 20): targets and build requests, logs (JSON and SSE), agents and their API, the GitHub
  // webhook. These plugins carry their own /api/v1 (and /hooks) prefixes.
  await app.register(buildsPlugin, options);
  await app.register(buildLogsPlugin(build.builds?.logs), options);
  await app.register(createAgentsPlugin(build.builds?.agents), options);
  await app.register(hooksPlugin(build.builds?.hooks), options);
  await app.register(opsPlugin, options);
  // Issue 21: plans, usage and the billing webhook; the web pages, sessions and the public install page.
  await app.register(billingPlugin, options);
  await app.register(webPlugin(build.web), options);
  await app.register(installPagePlugin, options);
  for (const plugin of build.plugins ?? []) await app.register(plugin, options);
  await app.ready();
  return app;
}
