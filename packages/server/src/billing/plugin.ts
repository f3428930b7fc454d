/**
 * Plans, entitlements, usage and the billing webhook (issue 21, items 5–7): `GET /api/v1/usage` and
 * `POST /hooks/billing`. Registered by app.ts with the app's plugin options.
 *
 * - `GET /api/v1/usage` (signed in, scope read): the caller's own billing account (billing/usage.ts); a
 *   token bound to a project is 403 FORBIDDEN (the account is wider than its project), as for creating a
 *   project.
 * - `POST /hooks/billing` (public: the signature is the credential): a Stripe webhook delivery
 *   (billing/stripe.ts, behind {@link BillingProvider}), read as raw bytes (1 MiB at most) so the
 *   signature is checked over exactly what was signed, before parsing, against every secret of
 *   `config.billingWebhookSecrets` (PACKYARD_BILLING_WEBHOOK_SECRET, comma-separated while rotating). Without
 *   a secret the route answers 404 NOT_FOUND. The event is applied by billing/subscriptions.ts; the answer
 *   is 200 with its outcome (`applied`, `stale`, `ignored`, or `duplicate` with `duplicate: true`).
 */
import type { FastifyPluginAsync } from "fastify";
import type { PluginOptions } from "../app/app.ts";
import { ERRORS } from "../app/schemas.ts";
import { ServerError } from "../errors.ts";
import { LIMIT_NAMES } from "./plans.ts";
import { type BillingProvider, stripeProvider } from "./stripe.ts";
import { applyBillingEvent } from "./subscriptions.ts";
import { usageOf } from "./usage.ts";

/** Largest webhook body read (Stripe events are a few KiB). */
export const BILLING_BODY_LIMIT = 1024 * 1024;

const DATE = { type: "string", format: "date-time" } as const;
const LIMIT = { type: ["integer", "null"] } as const;
const COUNT = { type: "integer" } as const;

const USAGE = {
  type: "object",
  required: ["plan", "status", "limits", "used", "period"],
  properties: {
    plan: {
      type: "object",
      required: ["id", "name"],
      properties: { id: { type: "string" }, name: { type: "string" } },
    },
    status: { type: "string", enum: ["active", "past_due", "canceled"] },
    limits: {
      type: "object",
      required: [...LIMIT_NAMES],
      properties: Object.fromEntries(LIMIT_NAMES.map((n) => [n, LIMIT])),
    },
    used: {
      type: "object",
      required: ["projects", "builds_per_month", "storage_bytes"],
      properties: { projects: COUNT, builds_per_month: COUNT, storage_bytes: COUNT },
    },
    period: { type: "object", required: ["start", "end"], properties: { start: DATE, end: DATE } },
  },
} as const;

const EVENT_RESULT = {
  type: "object",
  required: ["event", "type", "outcome"],
  properties: {
    event: { type: "string" },
    type: { type: "string" },
    outcome: { type: "string", enum: ["applied", "stale", "ignored", "duplicate"] },
    duplicate: { type: "boolean" },
    reason: { type: "string" },
    account: { type: "string" },
    plan: { type: "string" },
    status: { type: "string" },
  },
} as const;

/** The billing routes; `provider` reads the webhook's format (default Stripe's). */
export function createBillingPlugin(
  provider: BillingProvider = stripeProvider,
): FastifyPluginAsync<PluginOptions> {
  return async (app, options) => {
    const { deps } = options;
    const { db, clock, config } = deps;

    app.get(
      "/api/v1/usage",
      {
        config: { authz: { signedIn: true, scope: "read" } },
        schema: { response: { 200: USAGE, ...ERRORS } },
      },
      async (request) => {
        const caller = request.principal!;
        // Account-wide, like creating a project: a token bound to one project may not read it.
        if (caller.tokenProjectId !== null)
          throw new ServerError(
            "FORBIDDEN",
            "Expected a token not bound to a project, found one bound to a project: usage is the whole account's",
          );
        return usageOf(db, config.plans, caller.userId);
      },
    );

    // Deliveries: the body stays raw bytes (every Content-Type, 1 MiB at most) for the signature check.
    await app.register(async (raw) => {
      raw.removeAllContentTypeParsers();
      raw.addContentTypeParser("*", { parseAs: "buffer", bodyLimit: BILLING_BODY_LIMIT }, (_r, body, done) =>
        done(null, body),
      );
      raw.post<{ Body: Buffer | undefined }>(
        "/hooks/billing",
        {
          config: { authz: "public" },
          bodyLimit: BILLING_BODY_LIMIT,
          schema: { response: { 200: EVENT_RESULT, ...ERRORS } },
        },
        async (request) => {
          const secrets = (config.billingWebhookSecrets ?? []).filter((s) => s !== "");
          if (secrets.length === 0)
            throw new ServerError(
              "NOT_FOUND",
              "Expected a billing webhook secret on this server (PACKYARD_BILLING_WEBHOOK_SECRET), found none: the billing webhook is off",
            );
          const body = request.body ?? Buffer.alloc(0);
          provider.verify(request.headers, body, secrets, clock.now());
          const event = provider.parse(body);
          const result = await applyBillingEvent({ db, clock }, config.plans, provider.name, event);
          request.log.info(
            { provider: provider.name, event: event.id, type: event.type, outcome: result.outcome },
            "billing event",
          );
          return {
            event: event.id,
            type: event.type,
            ...result,
            ...(result.outcome === "duplicate" ? { duplicate: true } : {}),
          };
        },
      );
    });
  };
}

/** The billing routes with Stripe's webhook format. */
export const billingPlugin: FastifyPluginAsync<PluginOptions> = createBillingPlugin();
