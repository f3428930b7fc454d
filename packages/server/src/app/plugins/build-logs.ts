/**
 * A build's log over HTTP (any signed-in caller with the `read` scope who can see the build's project; a
 * hidden or missing build is 404 NOT_FOUND, as project routes answer):
 *
 * - `GET /api/v1/builds/:id/logs?after=&limit=` → `{ entries: [{ seq, jobId, attempt, stream, at, text }],
 *   state }`: entries with a sequence number above `after`, in order; page on with `after` = the last seq
 *   until fewer than `limit` come back.
 * - `GET /api/v1/builds/:id/logs/stream` → Server-Sent Events: `retry:` first, then per entry `id: <seq>`,
 *   `event: log`, `data: <the entry as JSON>`; `Last-Event-ID` (or `?after=`) resumes strictly after that
 *   sequence number, so a reconnect sees no gap and no duplicate; `: keepalive` comments every 15 s; once
 *   the build is finished and every entry was sent, `event: end` with `{ "state": … }`, and the stream
 *   closes. New entries arrive through the log hub (notify.ts: LISTEN/NOTIFY, polling as a fallback).
 *
 * The plugin carries its own `/api/v1` prefix; {@link buildLogsPlugin} takes options so tests shorten the
 * intervals.
 */
import { PassThrough } from "node:stream";
import type { FastifyInstance, FastifyPluginAsync } from "fastify";
import type { Db } from "../../db/db.ts";
import { ServerError } from "../../errors.ts";
import { isTerminalBuild, type LogEntry, readLogs } from "../../builds/logs.ts";
import { type LogHub, logHub } from "../../builds/notify.ts";
import type { PluginOptions } from "../app.ts";
import { type Principal, projectAccess } from "../authz.ts";
import { ERRORS } from "../schemas.ts";

export interface BuildLogsOptions {
  /** Interval of `: keepalive` comments on a stream, ms (default 15,000). */
  keepaliveMs?: number;
  /** Polling interval of the log hub the plugin makes, ms (default 1,000). */
  pollMs?: number;
  /** The `retry:` hint sent to clients, ms (default 2,000). */
  retryMs?: number;
  /** Entries read per query while streaming (default 500). */
  pageSize?: number;
  /** A hub to use instead of one of the plugin's own (tests watch its subscriptions); not closed by the plugin. */
  hub?: LogHub;
}

/** Longest wait at shutdown for open streams' responses to end. */
const CLOSE_WAIT_MS = 2_000;

/** Most entries one `GET …/logs` returns. */
export const MAX_LOG_PAGE = 5000;

const BUILD_ID_PARAMS = {
  type: "object",
  required: ["id"],
  properties: { id: { type: "integer", minimum: 1, maximum: Number.MAX_SAFE_INTEGER } },
} as const;

const SEQ = { type: "integer", minimum: 0, maximum: Number.MAX_SAFE_INTEGER } as const;

/** A log entry as the API shows it (the stream's `data:` has the same fields). */
export const LOG_ENTRY_SCHEMA = {
  type: "object",
  required: ["seq", "jobId", "attempt", "stream", "at", "text"],
  properties: {
    seq: { type: "integer" },
    jobId: { type: "integer" },
    attempt: { type: "integer" },
    stream: { type: "string", enum: ["stdout", "stderr", "system"] },
    at: { type: "string", format: "date-time" },
    text: { type: "string" },
  },
} as const;

const STATE = {
  type: "string",
  enum: ["pending", "running", "publishing", "succeeded", "failed", "cancelled"],
} as const;

const LOG_PAGE_SCHEMA = {
  type: "object",
  required: ["entries", "state"],
  properties: { entries: { type: "array", items: LOG_ENTRY_SCHEMA }, state: STATE },
} as const;

const EVENT_STREAM = {
  description:
    "Server-Sent Events: `event: log` per entry (`id:` its seq, `data:` the entry as JSON), `: keepalive` comments, and `event: end` with `{ state }` when the build is finished",
  content: { "text/event-stream": { schema: { type: "string" } } },
} as const;

/** 404 unless the build exists and the caller can see its project. */
async function visibleBuild(db: Db, principal: Principal, buildId: number): Promise<void> {
  const { rows } = await db.query<{ slug: string }>(
    "SELECT p.slug FROM builds b JOIN projects p ON p.id = b.project_id WHERE b.id = $1",
    [buildId],
  );
  const access = rows[0] === undefined ? undefined : await projectAccess(db, principal, rows[0].slug);
  if (access === undefined)
    throw new ServerError("NOT_FOUND", `Expected a build ${buildId} that you can see, found none`, {
      field: "build",
    });
}

/** The sequence number a stream resumes after: Last-Event-ID, else `?after=`, else 0. */
function resumeAfter(header: string | string[] | undefined, after: number | undefined): number {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || value.trim() === "") return after ?? 0;
  if (!/^\d{1,15}$/.test(value.trim()))
    throw new ServerError(
      "INVALID_REQUEST",
      `Expected the Last-Event-ID header to be a log sequence number, found ${JSON.stringify(value.slice(0, 40))}`,
      { field: "Last-Event-ID" },
    );
  return Number(value.trim());
}

const entryJson = (e: LogEntry) => ({
  seq: e.seq,
  jobId: e.jobId,
  attempt: e.attempt,
  stream: e.stream,
  at: e.at.toISOString(),
  text: e.text,
});

/** One SSE event; `data` is JSON, so it holds no newline. */
const event = (name: string, data: unknown, id?: number): string =>
  `${id === undefined ? "" : `id: ${id}\n`}event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;

/**
 * Makes the plugin.
 *
 * @example await buildApp(deps, { plugins: [buildLogsPlugin()] });
 */
export function buildLogsPlugin(o: BuildLogsOptions = {}): FastifyPluginAsync<PluginOptions> {
  const keepaliveMs = o.keepaliveMs ?? 15_000;
  const retryMs = o.retryMs ?? 2_000;
  const pageSize = o.pageSize ?? 500;

  return async (app: FastifyInstance, options: PluginOptions): Promise<void> => {
    const { db } = options.deps;
    const hub =
      o.hub ??
      logHub(db, {
        ...(o.pollMs === undefined ? {} : { pollMs: o.pollMs }),
        onError: (e) => app.log.warn({ err: e }, "build log hub"),
      });
    /**
     * Streams open now, each with its stop and a promise of its response's end: ended before the server
     * closes (an open stream would hold the close forever, and one ending after it would keep its socket
     * until the keep-alive timeout).
     */
    const open = new Map<() => void, Promise<void>>();
    const stopAll = async (): Promise<void> => {
      const ending = [...open];
      for (const [stop] of ending) stop();
      // Bounded: a client that stopped reading must not hold the shutdown.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all(ending.map(([, done]) => done)),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, CLOSE_WAIT_MS);
        }),
      ]);
      clearTimeout(timer);
    };
    app.addHook("preClose", stopAll);
    app.addHook("onClose", async () => {
      await stopAll();
      if (o.hub === undefined) await hub.close();
    });

    app.get<{ Params: { id: number }; Querystring: { after: number; limit: number } }>(
      "/api/v1/builds/:id/logs",
      {
        config: { authz: { signedIn: true, scope: "read" } },
        schema: {
          summary: "A page of a build's log",
          params: BUILD_ID_PARAMS,
          querystring: {
            type: "object",
            additionalProperties: false,
            properties: {
              after: { ...SEQ, default: 0 },
              limit: { type: "integer", minimum: 1, maximum: MAX_LOG_PAGE, default: 1000 },
            },
          },
          response: { 200: LOG_PAGE_SCHEMA, ...ERRORS },
        },
      },
      async (request) => {
        await visibleBuild(db, request.principal!, request.params.id);
        const page = await readLogs(db, request.params.id, request.query.after, request.query.limit);
        return { entries: page.entries.map(entryJson), state: page.state };
      },
    );

    app.get<{ Params: { id: number }; Querystring: { after?: number } }>(
      "/api/v1/builds/:id/logs/stream",
      {
        config: { authz: { signedIn: true, scope: "read" } },
        schema: {
          summary: "A build's log as Server-Sent Events",
          description:
            "Resumes strictly after the Last-Event-ID header (or `after`); ends with `event: end` once the build is finished and every entry was sent.",
          params: BUILD_ID_PARAMS,
          querystring: { type: "object", additionalProperties: false, properties: { after: SEQ } },
          response: { 200: EVENT_STREAM, ...ERRORS },
        },
      },
      async (request, reply) => {
        const buildId = request.params.id;
        await visibleBuild(db, request.principal!, buildId);
        let after = resumeAfter(request.headers["last-event-id"], request.query.after);

        const out = new PassThrough();
        let closed = false;
        let wake: (() => void) | undefined;
        let dirty = true;
        const stop = (): void => {
          if (closed) return;
          closed = true;
          wake?.();
        };
        // Settles when the response is over: sent in full or the connection gone.
        const finished = new Promise<void>((resolve) => {
          reply.raw.once("close", () => resolve());
          reply.raw.once("finish", () => resolve());
        });
        open.set(stop, finished);
        void finished.then(() => open.delete(stop));
        const unsubscribe = hub.subscribe(buildId, () => {
          dirty = true;
          wake?.();
        });
        reply.raw.on("close", stop);
        out.on("close", stop);

        /** Writes; resolves when the client took it (or the stream closed). */
        const write = (text: string): Promise<void> | undefined => {
          if (closed) return undefined;
          if (out.write(text)) return undefined;
          return new Promise<void>((resolve) => {
            const done = (): void => {
              out.off("drain", done);
              out.off("close", done);
              resolve();
            };
            out.on("drain", done);
            out.on("close", done);
          });
        };
        const keepalive = setInterval(() => void write(": keepalive\n\n"), keepaliveMs);
        keepalive.unref();

        const pump = async (): Promise<void> => {
          try {
            await write(`retry: ${retryMs}\n\n`);
            while (!closed) {
              if (!dirty) await new Promise<void>((resolve) => (wake = resolve));
              wake = undefined;
              if (closed) break;
              dirty = false;
              const page = await readLogs(db, buildId, after, pageSize);
              if (page.entries.length > 0) {
                let text = "";
                for (const e of page.entries) text += event("log", entryJson(e), e.seq);
                after = page.entries[page.entries.length - 1]!.seq;
                await write(text);
              }
              if (page.more) {
                dirty = true;
                continue;
              }
              if (isTerminalBuild(page.state)) {
                await write(event("end", { state: page.state }));
                break;
              }
            }
          } catch (e) {
            // The build was deleted meanwhile, or the database failed: the stream ends; clients resume.
            request.log.warn({ err: e, buildId }, "build log stream stopped");
          } finally {
            clearInterval(keepalive);
            unsubscribe();
            closed = true;
            out.end();
          }
        };

        reply
          .header("content-type", "text/event-stream; charset=utf-8")
          .header("cache-control", "no-cache, no-transform")
          // A stream is one long response: its connection is not reused afterwards.
          .header("connection", "close")
          .header("x-accel-buffering", "no");
        void pump();
        return reply.send(out);
      },
    );
  };
}
