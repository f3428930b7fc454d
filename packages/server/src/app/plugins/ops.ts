/**
 * Operations: `/healthz` (the database answers a query and the storage a HEAD: 200, else 503 with what
 * failed), `/metrics` (Prometheus text; an admin token unless metricsPublic) and `/api/openapi.json` (the
 * OpenAPI 3 document @fastify/swagger collects from every route's schema; public).
 */
import type { FastifyInstance } from "fastify";
import type { PluginOptions } from "../app.ts";
import { ERRORS } from "../schemas.ts";

/** A key that never exists, so the probe reads nothing (keys with a leading dot are never published). */
const PROBE_KEY = ".packyard-health-probe";

const HEALTH = {
  type: "object",
  required: ["status", "database", "storage"],
  properties: {
    status: { type: "string", enum: ["ok", "unavailable"] },
    database: { type: "string" },
    storage: { type: "string" },
  },
} as const;

export async function opsPlugin(app: FastifyInstance, options: PluginOptions): Promise<void> {
  const { db, storage, config } = options.deps;

  app.get(
    "/healthz",
    {
      config: { authz: "public", rateLimit: false },
      schema: { response: { 200: HEALTH, 503: HEALTH, ...ERRORS } },
    },
    async (request, reply) => {
      const [database, store] = await Promise.all([
        db.query("SELECT 1").then(
          () => "ok",
          (e: unknown) => {
            request.log.warn({ err: e }, "health check: database failed");
            return "unavailable";
          },
        ),
        storage.head(PROBE_KEY).then(
          () => "ok",
          (e: unknown) => {
            request.log.warn({ err: e }, "health check: storage failed");
            return "unavailable";
          },
        ),
      ]);
      const ok = database === "ok" && store === "ok";
      return reply
        .status(ok ? 200 : 503)
        .send({ status: ok ? "ok" : "unavailable", database, storage: store });
    },
  );

  app.get(
    "/metrics",
    {
      config: { authz: config.metricsPublic === true ? "public" : "admin" },
      schema: { response: { 200: { type: "string" }, ...ERRORS } },
    },
    async (_request, reply) => {
      const text = await options.metrics.registry.metrics();
      return reply.type(options.metrics.registry.contentType).send(text);
    },
  );

  app.get(
    "/api/openapi.json",
    {
      config: { authz: "public" },
      schema: {
        response: { 200: { type: "object", additionalProperties: true }, ...ERRORS },
      },
    },
    async () => app.swagger(),
  );
}
