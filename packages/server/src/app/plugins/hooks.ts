/**
 * The GitHub webhook (issue 20 item 8): its settings under `/api/v1/projects/:project/webhook` (owners set,
 * rotate and delete; maintainers read; the secret is shown once, when made or rotated) and the delivery
 * endpoint `POST /hooks/github/:project` (public: the signature is the credential). Deliveries are read as
 * raw bytes (at most 1 MiB) so the signature is checked over exactly what GitHub signed, before parsing.
 *
 * Registered without a prefix (its URLs carry their own): `buildApp(deps, { plugins: [githubHooksPlugin] })`.
 */
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from "fastify";
import {
  DEFAULT_DOWNLOAD_TIMEOUT_MS,
  DEFAULT_GITHUB_API_URL,
  type Delivery,
  type DeliveryOutcome,
  deleteWebhook,
  getWebhook,
  handleDelivery,
  putWebhook,
  rotateWebhookSecret,
  verifySignature,
  type WebhookView,
  webhookTarget,
} from "../../builds/github.ts";
import { createBuild } from "../../builds/requests.ts";
import { ServerError } from "../../errors.ts";
import { DEFAULT_UPLOAD_LIMIT } from "../../uploads/blob-store.ts";
import type { PluginOptions } from "../app.ts";
import { ERRORS, NO_CONTENT, SLUG } from "../schemas.ts";

/** Largest delivery body read (GitHub caps payloads at 25 MB, but release and push payloads are small). */
export const DELIVERY_BODY_LIMIT = 1024 * 1024;

/** Options of {@link hooksPlugin}; each overrides the server's setting (tests point at a fake GitHub). */
export interface HooksPluginOptions {
  /** GitHub API base URL (default: AppConfig.githubApiUrl, else https://api.github.com). */
  githubApiUrl?: string;
  /** Time limit of one download (default 120 s). */
  downloadTimeoutMs?: number;
}

const DATE = { type: "string", format: "date-time" } as const;
const PROJECT_PARAMS = { type: "object", required: ["project"], properties: { project: SLUG } } as const;
const ASSET_MAPPING = {
  type: "object",
  required: ["pattern", "accessName"],
  additionalProperties: false,
  properties: {
    pattern: { type: "string", minLength: 1, maxLength: 200 },
    accessName: { type: "string", minLength: 1, maxLength: 128 },
  },
} as const;

const WEBHOOK = {
  type: "object",
  required: ["url", "package", "assets", "pushAccessName", "createdAt", "updatedAt"],
  properties: {
    url: { type: "string" },
    package: { type: "string" },
    assets: { type: "array", items: ASSET_MAPPING },
    pushAccessName: { type: ["string", "null"] },
    createdAt: DATE,
    updatedAt: DATE,
    /** Only when it was just made or rotated. */
    secret: { type: "string" },
  },
} as const;

const DELIVERY_RESULT = {
  type: "object",
  required: ["event", "delivery"],
  properties: {
    event: { type: "string" },
    delivery: { type: "string" },
    duplicate: { type: "boolean" },
    ignored: { type: "string" },
    reason: { type: "string" },
    build: {
      type: "object",
      required: ["id", "version", "state", "targets"],
      properties: {
        id: { type: "integer" },
        version: { type: "string" },
        state: { type: "string" },
        targets: { type: "array", items: { type: "string" } },
      },
    },
    files: {
      type: "array",
      items: {
        type: "object",
        required: ["accessName", "sha256", "size", "from"],
        properties: {
          accessName: { type: "string" },
          sha256: { type: "string" },
          size: { type: "integer" },
          from: { type: "string" },
        },
      },
    },
  },
} as const;

/** The webhook plugin; `options` override the server's GitHub API URL and download time limit. */
export function hooksPlugin(o: HooksPluginOptions = {}): FastifyPluginAsync<PluginOptions> {
  return async (app: FastifyInstance, options: PluginOptions) => {
    const { deps } = options;
    const { db, clock } = deps;
    const githubApiUrl = o.githubApiUrl ?? deps.config.githubApiUrl ?? DEFAULT_GITHUB_API_URL;
    const timeoutMs = o.downloadTimeoutMs ?? DEFAULT_DOWNLOAD_TIMEOUT_MS;
    const limitBytes = deps.config.uploadLimitBytes ?? DEFAULT_UPLOAD_LIMIT;

    const hookUrl = (project: string) =>
      `${(deps.config.publicUrl ?? "").replace(/\/+$/, "")}/hooks/github/${project}`;
    const shown = (project: string, view: WebhookView, secret?: string) => ({
      url: hookUrl(project),
      ...view,
      ...(secret === undefined ? {} : { secret }),
    });

    app.put<{
      Params: { project: string };
      Body: {
        package: string;
        assets?: { pattern: string; accessName: string }[];
        pushAccessName?: string | null;
      };
    }>(
      "/api/v1/projects/:project/webhook",
      {
        config: { authz: { project: "owner", scope: "write" } },
        schema: {
          params: PROJECT_PARAMS,
          body: {
            type: "object",
            required: ["package"],
            additionalProperties: false,
            properties: {
              package: { type: "string", minLength: 1, maxLength: 128 },
              assets: { type: "array", items: ASSET_MAPPING, maxItems: 32 },
              pushAccessName: { type: ["string", "null"], minLength: 1, maxLength: 128 },
            },
          },
          response: { 200: WEBHOOK, ...ERRORS },
        },
      },
      async (request) => {
        const p = request.project!;
        const { view, secret } = await putWebhook(
          deps,
          p.id,
          {
            package: request.body.package,
            assets: request.body.assets ?? [],
            pushAccessName: request.body.pushAccessName ?? null,
          },
          request.principal!.userId,
        );
        return shown(p.slug, view, secret);
      },
    );

    app.get<{ Params: { project: string } }>(
      "/api/v1/projects/:project/webhook",
      {
        config: { authz: { project: "maintainer", scope: "read" } },
        schema: { params: PROJECT_PARAMS, response: { 200: WEBHOOK, ...ERRORS } },
      },
      async (request) => shown(request.project!.slug, await getWebhook(db, request.project!.id)),
    );

    app.post<{ Params: { project: string } }>(
      "/api/v1/projects/:project/webhook/secret",
      {
        config: { authz: { project: "owner", scope: "write" } },
        schema: { params: PROJECT_PARAMS, response: { 200: WEBHOOK, ...ERRORS } },
      },
      async (request) => {
        const { view, secret } = await rotateWebhookSecret(
          deps,
          request.project!.id,
          request.principal!.userId,
        );
        return shown(request.project!.slug, view, secret);
      },
    );

    app.delete<{ Params: { project: string } }>(
      "/api/v1/projects/:project/webhook",
      {
        config: { authz: { project: "owner", scope: "write" } },
        schema: { params: PROJECT_PARAMS, response: NO_CONTENT },
      },
      async (request, reply) => {
        await deleteWebhook(deps, request.project!.id, request.principal!.userId);
        return reply.status(204).send();
      },
    );

    // Deliveries: the body stays raw bytes (every Content-Type, 1 MiB at most) for the signature check.
    await app.register(async (raw) => {
      raw.removeAllContentTypeParsers();
      raw.addContentTypeParser("*", { parseAs: "buffer", bodyLimit: DELIVERY_BODY_LIMIT }, (_r, body, done) =>
        done(null, body),
      );

      raw.post<{ Params: { project: string }; Body: Buffer | undefined }>(
        "/hooks/github/:project",
        {
          config: { authz: "public" },
          bodyLimit: DELIVERY_BODY_LIMIT,
          schema: {
            params: PROJECT_PARAMS,
            response: { 200: DELIVERY_RESULT, 201: DELIVERY_RESULT, 202: DELIVERY_RESULT, ...ERRORS },
          },
        },
        async (request, reply) => {
          const target = await webhookTarget(deps, request.params.project);
          if (target === undefined)
            throw new ServerError(
              "NOT_FOUND",
              `Expected a project named ${request.params.project} with a GitHub webhook, found none`,
              { field: "project" },
            );
          const body = request.body ?? Buffer.alloc(0);
          verifySignature(request.headers, body, target.secret);
          const delivery = readDelivery(request, body);
          const outcome = await handleDelivery(
            {
              db,
              storage: deps.storage,
              clock,
              githubApiUrl,
              limitBytes,
              timeoutMs,
              build: async (input) => {
                const view = await createBuild(deps, { ...input, userId: null, trigger: "webhook" });
                return { id: view.id, version: view.version, state: view.state, targets: view.targets };
              },
            },
            target,
            delivery,
          );
          request.log.info(
            { project: target.project, event: delivery.event, delivery: delivery.id, outcome: outcome.kind },
            "github delivery",
          );
          const head = { event: delivery.event, delivery: delivery.id };
          return reply.status(statusOf(outcome)).send(answer(head, outcome));
        },
      );
    });
  };
}

/** The plugin with the server's own settings. */
export const githubHooksPlugin: FastifyPluginAsync<PluginOptions> = hooksPlugin();

function statusOf(outcome: DeliveryOutcome): number {
  return outcome.kind === "built" ? 201 : outcome.kind === "ignored" ? 202 : 200;
}

function answer(head: { event: string; delivery: string }, outcome: DeliveryOutcome): object {
  switch (outcome.kind) {
    case "duplicate":
      return { ...head, duplicate: true };
    case "pong":
      return head;
    case "ignored":
      return { ...head, ignored: head.event, reason: outcome.reason };
    case "built":
      return { ...head, build: outcome.build, files: outcome.files };
  }
}

/** The event, delivery id and parsed payload of a signed delivery (JSON, or form-encoded `payload=`). */
function readDelivery(request: FastifyRequest, body: Buffer): Delivery {
  const header = (name: string) => {
    const v = request.headers[name];
    return typeof v === "string" ? v.trim() : undefined;
  };
  const event = header("x-github-event");
  if (event === undefined || !/^[a-z_]{1,64}$/.test(event))
    throw new ServerError(
      "INVALID_REQUEST",
      "Expected an X-GitHub-Event header naming the event (ping, release, push, …), found none or another form",
      { field: "X-GitHub-Event" },
    );
  const id = header("x-github-delivery");
  if (id === undefined || id.length === 0 || id.length > 200 || /\p{Cc}/u.test(id))
    throw new ServerError(
      "INVALID_REQUEST",
      "Expected an X-GitHub-Delivery header of 1 to 200 characters (the delivery's id), found none or another form",
      { field: "X-GitHub-Delivery" },
    );
  let text = body.toString("utf8");
  if (/^application\/x-www-form-urlencoded\b/i.test(header("content-type") ?? ""))
    text = new URLSearchParams(text).get("payload") ?? "";
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch (e) {
    throw new ServerError(
      "INVALID_REQUEST",
      `Expected the delivery's body to be a JSON payload, found: ${e instanceof Error ? e.message : String(e)}`,
      { field: "body" },
    );
  }
  if (payload === null || typeof payload !== "object" || Array.isArray(payload))
    throw new ServerError(
      "INVALID_REQUEST",
      "Expected the delivery's payload to be a JSON object, found another value",
      {
        field: "body",
      },
    );
  return { id, event, payload: payload as Record<string, unknown> };
}
