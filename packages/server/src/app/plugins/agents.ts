/**
 * Build agents and the agent protocol (issue 20 item 5), and project build secrets. Routes carry their own
 * `/api/v1` prefix (the plugin is registered without one).
 *
 * - Registration: `POST /agents` (admin: a shared agent), `POST /projects/:project/agents` (owner: an agent
 *   of that project) → 201 with the token, shown once; `GET` lists them (no tokens); `DELETE …/:id`
 *   revokes (its token is refused at once).
 * - Agent API (rule "agent": Bearer `pka_…`), under `/agent`: `claim` (204 + Retry-After 2–5 s when idle),
 *   `jobs/:id/heartbeat`, `jobs/:id/logs`, `jobs/:id/artifact` (streamed, sha256-checked), `jobs/:id/complete`.
 *   An agent touches only jobs it claimed: another agent's job is 404; a call for an attempt that is no
 *   longer the job's running one (the lease expired and the job was taken back) is 409 STALE_ATTEMPT.
 * - Sources: `GET /agent/sources/:job/:accessName?expires=&signature=` (public: the signature is the
 *   credential, signed-url.ts).
 * - Secrets: `PUT|DELETE /projects/:project/secrets/:name`, `GET /projects/:project/secrets` (names only).
 *
 * A completed job is published in the background (job-publish.ts); the app waits for those publishes
 * when it closes.
 */
import type { PackageInfo } from "@packyard/formats";
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import type { AgentPrincipal } from "../authz.ts";
import { type AgentInfo, listAgents, registerAgent, revokeAgent } from "../../builds/agents.ts";
import { checkJobArtifact, type JobPublishDeps, jobToPublish, publishJob } from "../../builds/job-publish.ts";
import { appendLogs, redactText } from "../../builds/logs.ts";
import {
  claimJob,
  completeJob,
  DEFAULT_LEASE_MS,
  failJob,
  HEARTBEAT_EVERY_MS,
  heartbeat,
  type QueueOptions,
  requireAttempt,
} from "../../builds/queue.ts";
import {
  checkSecretName,
  deleteSecret,
  listSecrets,
  secretsForJob,
  setSecret,
} from "../../builds/secrets.ts";
import { signSourceUrl, verifySourceUrl } from "../../builds/signed-url.ts";
import { isServerError, ServerError } from "../../errors.ts";
import { DEFAULT_UPLOAD_LIMIT, discard } from "../../uploads/blob-store.ts";
import { storeJobUpload } from "../../uploads/job-upload.ts";
import { checkAccessName, checkArtifactFileName } from "../../uploads/names.ts";
import type { PluginOptions } from "../app.ts";
import { ERRORS, NO_CONTENT, SLUG } from "../schemas.ts";
import { acceptRawBodies, receiveUpload, sendBlob } from "./uploads.ts";

/** Options of {@link createAgentsPlugin}; tests shorten leases. */
export interface AgentApiOptions {
  /** Lease and backoff of claims and heartbeats (queue.ts). */
  queue?: QueueOptions;
  /** Publish attempts when the repository's lock stays taken (default 3). */
  lockAttempts?: number;
}

const DATE = { type: "string", format: "date-time" } as const;
const NULLABLE_DATE = { type: ["string", "null"], format: "date-time" } as const;
const ID = { type: "integer", minimum: 1, maximum: 9_007_199_254_740_991 } as const;
const ATTEMPT = { type: "integer", minimum: 1, maximum: 2_147_483_647 } as const;

const AGENT = {
  type: "object",
  required: ["id", "name", "projectId", "labels", "createdAt", "lastSeenAt", "revokedAt"],
  properties: {
    id: { type: "integer" },
    name: { type: "string" },
    projectId: { type: ["integer", "null"] },
    labels: { type: "array", items: { type: "string" } },
    createdAt: DATE,
    lastSeenAt: NULLABLE_DATE,
    revokedAt: NULLABLE_DATE,
  },
} as const;

const NEW_AGENT = {
  type: "object",
  required: ["id", "name", "projectId", "labels", "token"],
  properties: {
    id: { type: "integer" },
    name: { type: "string" },
    projectId: { type: ["integer", "null"] },
    labels: { type: "array", items: { type: "string" } },
    token: { type: "string" },
  },
} as const;

const AGENT_BODY = {
  type: "object",
  required: ["name"],
  additionalProperties: false,
  properties: {
    name: { type: "string", minLength: 1, maxLength: 64 },
    labels: { type: "array", items: { type: "string", maxLength: 64 }, maxItems: 32, uniqueItems: true },
  },
} as const;

const CLAIM_PAYLOAD = {
  type: "object",
  required: [
    "id",
    "attempt",
    "buildId",
    "project",
    "package",
    "version",
    "format",
    "arch",
    "environment",
    "targets",
    "config",
    "sourceDateEpoch",
    "hasSteps",
    "sources",
    "secrets",
    "leaseMs",
    "heartbeatMs",
  ],
  properties: {
    id: { type: "integer" },
    attempt: { type: "integer" },
    buildId: { type: "integer" },
    project: { type: "string" },
    package: { type: "string" },
    version: { type: "string" },
    format: { type: "string" },
    arch: { type: "string" },
    environment: { type: "string" },
    targets: { type: "array", items: { type: "string" } },
    config: { type: "string" },
    sourceDateEpoch: { type: "integer" },
    hasSteps: { type: "boolean" },
    sources: {
      type: "array",
      items: {
        type: "object",
        required: ["accessName", "sha256", "size", "url"],
        properties: {
          accessName: { type: "string" },
          sha256: { type: "string" },
          size: { type: "integer" },
          url: { type: "string" },
        },
      },
    },
    secrets: { type: "object", additionalProperties: { type: "string" } },
    leaseMs: { type: "integer" },
    heartbeatMs: { type: "integer" },
  },
} as const;

/** Failure codes an agent may report (the server's own — LEASE_LOST, ARTIFACT_INVALID, PUBLISH_FAILED — not). */
const AGENT_FAILURE_CODES = [
  "STEP_FAILED",
  "STEP_TIMEOUT",
  "OUTPUT_LIMIT",
  "AGENT_ERROR",
  "UPLOAD_FAILED",
  "BUILD_FAILED",
  "SOURCE_MISMATCH",
  "CANCELLED",
] as const;

/** Chunk numbers agents use; higher ones are the server's `system` lines (logs.ts). */
const MAX_AGENT_CHUNK = 999_999_999;

const JOB_PARAMS = { type: "object", required: ["id"], properties: { id: ID } } as const;
const PROJECT_PARAMS = { type: "object", required: ["project"], properties: { project: SLUG } } as const;

const toAgent = (a: AgentInfo) => ({ ...a });

/** Seconds an idle agent waits before claiming again: 2 to 5, jittered so agents spread out. */
function retryAfterSeconds(): number {
  return 2 + Math.floor(Math.random() * 4);
}

/** The base URL signed source URLs start with: the configured public URL, else the request's own. */
function publicBase(request: FastifyRequest, publicUrl: string | undefined): string {
  return publicUrl ?? `${request.protocol}://${request.host}`;
}

/**
 * Makes the agents plugin with `options` (tests pass short leases); {@link agentsPlugin} is it with the
 * defaults.
 */
export function createAgentsPlugin(options: AgentApiOptions = {}): FastifyPluginAsync<PluginOptions> {
  return async (app: FastifyInstance, plugin: PluginOptions): Promise<void> => {
    const { db, storage, clock, masterKey, config } = plugin.deps;
    const queue = options.queue ?? {};
    const leaseMs = queue.leaseMs ?? DEFAULT_LEASE_MS;
    const heartbeatMs = Math.max(1, Math.min(HEARTBEAT_EVERY_MS, Math.floor(leaseMs / 4)));
    const limit = config.uploadLimitBytes ?? DEFAULT_UPLOAD_LIMIT;
    const publishDeps: JobPublishDeps = {
      db,
      storage,
      masterKey,
      clock,
      config,
      metrics: plugin.metrics,
      logger: app.log,
      ...(options.lockAttempts !== undefined ? { lockAttempts: options.lockAttempts } : {}),
    };

    // Publishes started by completions; the app waits for them when it closes.
    const publishing = new Set<Promise<void>>();
    const publishInBackground = (jobId: number, checked?: PackageInfo): void => {
      const run = publishJob(publishDeps, jobId, checked)
        .catch((err) => app.log.error({ err, jobId }, "recording a job's publish outcome failed"))
        .finally(() => publishing.delete(run));
      publishing.add(run);
    };
    app.addHook("onClose", async () => {
      while (publishing.size > 0) await Promise.allSettled([...publishing]);
    });

    // --- registration --------------------------------------------------------------------------------

    /** Registers an agent of `projectId` (null: shared) for the caller; 201 with the token, shown once. */
    async function register(
      request: FastifyRequest<{ Body: { name: string; labels?: string[] } }>,
      reply: FastifyReply,
      projectId: number | null,
    ) {
      const { name, labels = [] } = request.body;
      const made = await registerAgent(
        db,
        { name, labels, projectId, createdBy: request.principal!.userId },
        clock.now(),
      );
      return reply.status(201).send({ ...made.agent, token: made.token });
    }

    /** Revokes agent `id` of `projectId` (null: shared); 404 when that scope has no such agent. */
    async function revoke(
      request: FastifyRequest,
      reply: FastifyReply,
      projectId: number | null,
      id: number,
    ) {
      if ((await revokeAgent(db, projectId, id, request.principal!.userId, clock.now())) === undefined)
        throw new ServerError(
          "NOT_FOUND",
          `Expected ${projectId === null ? "a shared agent" : `an agent of project ${request.project!.slug}`} with id ${id}, found none`,
          { field: "id" },
        );
      return reply.status(204).send();
    }

    const AGENT_LIST = {
      200: { type: "object", required: ["agents"], properties: { agents: { type: "array", items: AGENT } } },
      ...ERRORS,
    } as const;

    app.post<{ Body: { name: string; labels?: string[] } }>(
      "/api/v1/agents",
      {
        config: { authz: "admin" },
        schema: { body: AGENT_BODY, response: { 201: NEW_AGENT, ...ERRORS } },
      },
      (request, reply) => register(request, reply, null),
    );

    app.get(
      "/api/v1/agents",
      {
        config: { authz: "admin" },
        schema: {
          response: AGENT_LIST,
        },
      },
      async () => ({ agents: (await listAgents(db, null)).map(toAgent) }),
    );

    app.delete<{ Params: { id: number } }>(
      "/api/v1/agents/:id",
      { config: { authz: "admin" }, schema: { params: JOB_PARAMS, response: NO_CONTENT } },
      (request, reply) => revoke(request, reply, null, request.params.id),
    );

    app.post<{ Params: { project: string }; Body: { name: string; labels?: string[] } }>(
      "/api/v1/projects/:project/agents",
      {
        config: { authz: { project: "owner", scope: "write" } },
        schema: { params: PROJECT_PARAMS, body: AGENT_BODY, response: { 201: NEW_AGENT, ...ERRORS } },
      },
      (request, reply) => register(request, reply, request.project!.id),
    );

    app.get<{ Params: { project: string } }>(
      "/api/v1/projects/:project/agents",
      {
        config: { authz: { project: "maintainer", scope: "read" } },
        schema: {
          params: PROJECT_PARAMS,
          response: AGENT_LIST,
        },
      },
      async (request) => ({ agents: (await listAgents(db, request.project!.id)).map(toAgent) }),
    );

    app.delete<{ Params: { project: string; id: number } }>(
      "/api/v1/projects/:project/agents/:id",
      {
        config: { authz: { project: "owner", scope: "write" } },
        schema: {
          params: { type: "object", required: ["project", "id"], properties: { project: SLUG, id: ID } },
          response: NO_CONTENT,
        },
      },
      (request, reply) => revoke(request, reply, request.project!.id, request.params.id),
    );

    // --- secrets -------------------------------------------------------------------------------------

    /** The audit row of a change to secret `name` of the request's project. */
    async function auditSecret(request: FastifyRequest, action: string, name: string): Promise<void> {
      await db.query(
        "INSERT INTO audit_events (at, actor_user_id, project_id, action, details) VALUES ($1, $2, $3, $4, $5::jsonb)",
        [clock.now(), request.principal!.userId, request.project!.id, action, JSON.stringify({ name })],
      );
    }

    const SECRET_PARAMS = {
      type: "object",
      required: ["project", "name"],
      properties: { project: SLUG, name: { type: "string" } },
    } as const;

    app.put<{ Params: { project: string; name: string }; Body: { value: string } }>(
      "/api/v1/projects/:project/secrets/:name",
      {
        config: { authz: { project: "maintainer", scope: "write" } },
        schema: {
          params: SECRET_PARAMS,
          body: {
            type: "object",
            required: ["value"],
            additionalProperties: false,
            properties: { value: { type: "string", minLength: 1 } },
          },
          response: NO_CONTENT,
        },
      },
      async (request, reply) => {
        const name = checkSecretName(request.params.name);
        await setSecret(db, masterKey, request.project!.id, name, request.body.value, clock.now());
        await auditSecret(request, "secret.set", name);
        return reply.status(204).send();
      },
    );

    app.get<{ Params: { project: string } }>(
      "/api/v1/projects/:project/secrets",
      {
        config: { authz: { project: "maintainer", scope: "read" } },
        schema: {
          params: PROJECT_PARAMS,
          response: {
            200: {
              type: "object",
              required: ["secrets"],
              properties: {
                secrets: {
                  type: "array",
                  items: {
                    type: "object",
                    required: ["name", "updatedAt"],
                    properties: { name: { type: "string" }, updatedAt: DATE },
                  },
                },
              },
            },
            ...ERRORS,
          },
        },
      },
      async (request) => ({ secrets: await listSecrets(db, request.project!.id) }),
    );

    app.delete<{ Params: { project: string; name: string } }>(
      "/api/v1/projects/:project/secrets/:name",
      {
        config: { authz: { project: "maintainer", scope: "write" } },
        schema: { params: SECRET_PARAMS, response: NO_CONTENT },
      },
      async (request, reply) => {
        const name = checkSecretName(request.params.name);
        if (!(await deleteSecret(db, request.project!.id, name)))
          throw new ServerError("NOT_FOUND", `Expected a secret named ${name} in this project, found none`, {
            field: "name",
          });
        await auditSecret(request, "secret.delete", name);
        return reply.status(204).send();
      },
    );

    // --- the agent API -------------------------------------------------------------------------------

    /**
     * Refuses a call about a job this agent never claimed (404, as a missing job) or whose attempt `attempt`
     * was not this agent's (409 STALE_ATTEMPT: it held the job once, another attempt runs now). Whether the
     * attempt is still the running one is checked by the queue call that follows.
     */
    async function ownAttempt(agent: AgentPrincipal, jobId: number, attempt: number): Promise<void> {
      const owner = `agent:${agent.id}`;
      const { rows } = await db.query<{ attempt: number }>(
        "SELECT attempt FROM job_attempts WHERE job_id = $1 AND lease_owner = $2 ORDER BY attempt",
        [jobId, owner],
      );
      if (rows.length === 0)
        throw new ServerError(
          "NOT_FOUND",
          `Expected a build job with id ${jobId} claimed by this agent, found none`,
          {
            jobId,
          },
        );
      if (!rows.some((r) => r.attempt === attempt))
        throw new ServerError(
          "STALE_ATTEMPT",
          `Expected a call for an attempt of job ${jobId} this agent ran (${rows.map((r) => r.attempt).join(", ")}), found attempt ${attempt}`,
          { jobId, attempt },
        );
    }

    /** Every value of the project's secrets, for redaction. */
    async function redactions(projectId: number): Promise<string[]> {
      return Object.values(await secretsForJob(db, masterKey, projectId));
    }

    /** The secret values of the project job `jobId` belongs to (none for an unknown job). */
    async function jobRedactions(jobId: number): Promise<string[]> {
      const { rows } = await db.query<{ project_id: number }>("SELECT project_id FROM jobs WHERE id = $1", [
        jobId,
      ]);
      return rows[0] === undefined ? [] : redactions(rows[0].project_id);
    }

    app.post(
      "/api/v1/agent/claim",
      {
        config: { authz: "agent" },
        schema: {
          body: { type: ["object", "null"], additionalProperties: false, properties: {} },
          response: {
            200: { type: "object", required: ["job"], properties: { job: CLAIM_PAYLOAD } },
            204: { type: "null" },
            ...ERRORS,
          },
        },
      },
      async (request, reply) => {
        const agent = request.agent!;
        const claimed = await claimJob(
          db,
          {
            owner: `agent:${agent.id}`,
            agentId: agent.id,
            projectId: agent.projectId,
            labels: agent.labels,
            runsSteps: true,
          },
          queue,
        );
        if (claimed === undefined)
          return reply.status(204).header("retry-after", String(retryAfterSeconds())).send();
        const { rows } = await db.query<{
          version: string;
          config: string;
          sources: { accessName: string; sha256: string; size: number }[];
          source_date_epoch: number;
          package: string;
          project: string;
        }>(
          `SELECT b.version, b.config, b.sources, b.source_date_epoch, p.name AS package, pr.slug AS project
             FROM builds b JOIN packages p ON p.id = b.package_id JOIN projects pr ON pr.id = b.project_id
            WHERE b.id = $1`,
          [claimed.buildId],
        );
        const build = rows[0]!;
        const base = publicBase(request, config.publicUrl);
        const now = clock.now();
        const sources = build.sources.map((s) => ({
          accessName: s.accessName,
          sha256: s.sha256,
          size: Number(s.size),
          url: signSourceUrl(
            masterKey,
            base,
            { jobId: claimed.jobId, accessName: s.accessName, sha256: s.sha256 },
            now,
          ),
        }));
        const secrets = claimed.hasSteps ? await secretsForJob(db, masterKey, claimed.projectId) : {};
        return {
          job: {
            id: claimed.jobId,
            attempt: claimed.attempt,
            buildId: claimed.buildId,
            project: build.project,
            package: build.package,
            version: build.version,
            format: claimed.format,
            arch: claimed.arch,
            environment: claimed.environment,
            targets: claimed.targets,
            config: build.config,
            sourceDateEpoch: Number(build.source_date_epoch),
            hasSteps: claimed.hasSteps,
            sources,
            secrets,
            leaseMs,
            heartbeatMs,
          },
        };
      },
    );

    app.post<{ Params: { id: number }; Body: { attempt: number } }>(
      "/api/v1/agent/jobs/:id/heartbeat",
      {
        config: { authz: "agent" },
        schema: {
          params: JOB_PARAMS,
          body: {
            type: "object",
            required: ["attempt"],
            additionalProperties: false,
            properties: { attempt: ATTEMPT },
          },
          response: {
            200: {
              type: "object",
              required: ["cancel", "leaseExpiresAt"],
              properties: { cancel: { type: "boolean" }, leaseExpiresAt: DATE },
            },
            ...ERRORS,
          },
        },
      },
      async (request) => {
        await ownAttempt(request.agent!, request.params.id, request.body.attempt);
        return heartbeat(db, request.params.id, request.body.attempt, queue);
      },
    );

    app.post<{
      Params: { id: number };
      Body: { attempt: number; chunks: { chunk: number; stream: "stdout" | "stderr"; text: string }[] };
    }>(
      "/api/v1/agent/jobs/:id/logs",
      {
        config: { authz: "agent" },
        schema: {
          params: JOB_PARAMS,
          body: {
            type: "object",
            required: ["attempt", "chunks"],
            additionalProperties: false,
            properties: {
              attempt: ATTEMPT,
              chunks: {
                type: "array",
                maxItems: 10_000,
                items: {
                  type: "object",
                  required: ["chunk", "stream", "text"],
                  additionalProperties: false,
                  properties: {
                    chunk: { type: "integer", minimum: 0, maximum: MAX_AGENT_CHUNK },
                    stream: { type: "string", enum: ["stdout", "stderr"] },
                    text: { type: "string" },
                  },
                },
              },
            },
          },
          response: NO_CONTENT,
        },
      },
      async (request, reply) => {
        const jobId = request.params.id;
        const { attempt, chunks } = request.body;
        await ownAttempt(request.agent!, jobId, attempt);
        // The secrets are read first (outside the transaction: PGlite has one session); then the attempt is
        // checked and the lines stored in one transaction, so a stale attempt never adds lines.
        const redact = await jobRedactions(jobId);
        await db.transaction(async (tx) => {
          const job = await requireAttempt(tx, jobId, attempt);
          if (chunks.length > 0)
            await appendLogs(tx, { buildId: job.buildId, jobId, attempt, chunks }, { redact });
        });
        return reply.status(204).send();
      },
    );

    app.post<{
      Params: { id: number };
      Body: {
        attempt: number;
        outcome: "succeeded" | "failed";
        failure?: { code: string; message: string; retry: boolean };
      };
    }>(
      "/api/v1/agent/jobs/:id/complete",
      {
        config: { authz: "agent" },
        schema: {
          params: JOB_PARAMS,
          body: {
            type: "object",
            required: ["attempt", "outcome"],
            additionalProperties: false,
            properties: {
              attempt: ATTEMPT,
              outcome: { type: "string", enum: ["succeeded", "failed"] },
              failure: {
                type: "object",
                required: ["code", "message", "retry"],
                additionalProperties: false,
                properties: {
                  code: { type: "string", enum: [...AGENT_FAILURE_CODES] },
                  message: { type: "string", maxLength: 4096 },
                  retry: { type: "boolean" },
                },
              },
            },
          },
          response: {
            200: { type: "object", required: ["state"], properties: { state: { type: "string" } } },
            ...ERRORS,
          },
        },
      },
      async (request) => {
        const jobId = request.params.id;
        const { attempt, outcome, failure } = request.body;
        await ownAttempt(request.agent!, jobId, attempt);
        if (outcome === "failed") {
          if (failure === undefined)
            throw new ServerError(
              "INVALID_REQUEST",
              "Expected a failure { code, message, retry } with outcome failed, found none",
              {
                field: "failure",
              },
            );
          // The message is the agent's (a step's output may be in it): the project's secrets are redacted
          // here again before it is stored and logged.
          const message = redactText(failure.message, await jobRedactions(jobId));
          return { state: await failJob(db, jobId, attempt, { ...failure, message }, queue) };
        }
        const job = await jobToPublish(db, jobId);
        if (job === undefined)
          throw new ServerError("NOT_FOUND", `Expected a build job with id ${jobId}, found none`, { jobId });
        // A completion repeated after the answer was lost: the queue answers the state; nothing is read again.
        let checked: PackageInfo | undefined;
        if (job.state === "running" && job.uploadSha256 !== null) {
          try {
            checked = await checkJobArtifact(publishDeps, job);
          } catch (e) {
            if (!isServerError(e, "ARTIFACT_INVALID")) throw e;
            // Not retried: the same sources and config would build the same package.
            await failJob(
              db,
              jobId,
              attempt,
              { code: "ARTIFACT_INVALID", message: e.message, retry: false },
              queue,
            );
            throw e;
          }
        }
        const state = await completeJob(
          db,
          jobId,
          attempt,
          checked === undefined ? undefined : job.uploadSha256!,
        );
        if (state === "publishing") publishInBackground(jobId, checked);
        return { state };
      },
    );

    // The artifact upload reads the raw body (any Content-Type), not held to the JSON body limit.
    await app.register(async (raw) => {
      acceptRawBodies(raw);

      raw.put<{ Params: { id: number }; Querystring: { attempt: number; fileName: string } }>(
        "/api/v1/agent/jobs/:id/artifact",
        {
          config: { authz: "agent" },
          schema: {
            params: JOB_PARAMS,
            querystring: {
              type: "object",
              required: ["attempt", "fileName"],
              additionalProperties: false,
              properties: { attempt: ATTEMPT, fileName: { type: "string", minLength: 1, maxLength: 128 } },
            },
            response: {
              201: {
                type: "object",
                required: ["sha256", "size"],
                properties: { sha256: { type: "string" }, size: { type: "integer" } },
              },
              ...ERRORS,
            },
          },
        },
        async (request, reply) => {
          const jobId = request.params.id;
          const { attempt } = request.query;
          const fileName = checkArtifactFileName(request.query.fileName);
          try {
            await ownAttempt(request.agent!, jobId, attempt);
            // Refused before a byte is read when the attempt is not the running one.
            await db.transaction((tx) => requireAttempt(tx, jobId, attempt));
          } catch (e) {
            // The body is not read: the connection closes so the agent stops sending it.
            reply.header("connection", "close");
            throw e;
          }
          const staged = await receiveUpload(request, reply, storage, {
            limitBytes: limit,
            checksumRequired: true,
          });
          try {
            // The attempt may have gone stale meanwhile: checked again where the upload is recorded.
            await storeJobUpload({ db, storage, clock }, { jobId, attempt, fileName }, staged);
            return reply.status(201).send({ sha256: staged.sha256, size: staged.size });
          } finally {
            await discard(storage, staged.tmpKey);
          }
        },
      );
    });

    // --- signed source downloads ---------------------------------------------------------------------

    app.get<{
      Params: { job: number; accessName: string };
      Querystring: { expires?: string; signature?: string };
    }>(
      "/api/v1/agent/sources/:job/:accessName",
      {
        config: { authz: "public" },
        schema: {
          params: {
            type: "object",
            required: ["job", "accessName"],
            properties: { job: ID, accessName: { type: "string" } },
          },
          querystring: {
            type: "object",
            additionalProperties: false,
            properties: { expires: { type: "string" }, signature: { type: "string" } },
          },
          response: { 200: { type: "string", format: "binary" }, ...ERRORS },
        },
      },
      async (request, reply) => {
        const jobId = request.params.job;
        const accessName = checkAccessName(request.params.accessName);
        const { rows } = await db.query<{ sources: { accessName: string; sha256: string; size: number }[] }>(
          "SELECT b.sources FROM jobs j JOIN builds b ON b.id = j.build_id WHERE j.id = $1",
          [jobId],
        );
        const source = rows[0]?.sources.find((s) => s.accessName === accessName);
        // A job or file that does not exist answers as an altered URL does: nothing to learn from the status.
        verifySourceUrl(
          masterKey,
          { jobId, accessName, sha256: source?.sha256 ?? "0".repeat(64) },
          request.query,
          clock.now(),
        );
        if (source === undefined)
          throw new ServerError("URL_INVALID", "Expected a valid signed source URL, found one for no source");
        return sendBlob(reply, storage, {
          sha256: source.sha256,
          size: source.size,
          what: `source ${accessName}`,
          cacheControl: "private, no-store",
        });
      },
    );
  };
}

/** The agents plugin with the default queue settings. */
export const agentsPlugin: FastifyPluginAsync<PluginOptions> = createAgentsPlugin();
