/**
 * Plans, entitlements, usage and the billing webhook (issue 21, items 5–7): `GET /api/v1/usage` and
 * `POST /hooks/billing`. Registered by app.ts with the app's plugin options.
 */
import type { FastifyPluginAsync } from "fastify";
import type { PluginOptions } from "../app/app.ts";

/** The billing routes (filled in by issue 21's billing work). */
export const billingPlugin: FastifyPluginAsync<PluginOptions> = async () => {};
