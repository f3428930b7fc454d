// Build logs (issue 20, live logs): storage (batches, idempotent resends, the per-job cap and its marker,
// redaction), the log hub (LISTEN/NOTIFY on both databases, polling without it), the HTTP routes (a real SSE
// client over 127.0.0.1 reading 20,000 lines while they are written, a forced reconnect with Last-Event-ID,
// keepalive comments, the end event, no subscription left behind) and retention. Builds and jobs are
// inserted directly. Runs on PGlite and PostgreSQL.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import { test, type TestContext } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { memoryStorage } from "@packyard/repo";
import { needPostgres } from "@packyard/testkit/postgres";
import type { FastifyInstance, FastifyPluginAsync } from "fastify";
import { buildLogsPlugin, type BuildLogsOptions } from "../src/app/plugins/build-logs.ts";
import type { PluginOptions } from "../src/app/app.ts";
import {
  appendLogs,
  capText,
  type LogEntry,
  pruneBuilds,
  readLogs,
  redactText,
  SYSTEM_CHUNK_BASE,
  systemLog,
  TRUNCATION_CHUNK,
} from "../src/builds/logs.ts";
import { type LogHub, logHub } from "../src/builds/notify.ts";
import {
  buildApp,
  createUser,
  type Db,
  issueToken,
  migrate,
  openPostgres,
  serverLogger,
  verifyMasterKey,
} from "../src/index.ts";
import { TEST_MASTER_KEY, TEST_SCRYPT } from "./app-harness.ts";
import { eachDb, type FreshDb } from "./dbs.ts";

type Fresh = (t: TestContext) => Promise<FreshDb | undefined>;

const NOW = new Date("2026-12-06T12:00:00Z");
const DAY = 24 * 60 * 60 * 1000;

/** Tokens used in this file, and what the apps logged and answered with errors: checked by the last test. */
const secrets = new Set<string>();
const logLines: string[] = [];
const errorBodies: string[] = [];

/** A migrated schema with project `alpha` (package `hello`) and `beta`, for row-level tests. */
async function setup(
  t: TestContext,
  fresh: Fresh,
): Promise<{ f: FreshDb; db: Db; projectId: number; packageId: number } | undefined> {
  const f = await fresh(t);
  if (f === undefined) return undefined;
  await migrate(f.db);
  const { rows: p } = await f.db.query<{ id: number }>(
    "INSERT INTO projects (slug, created_at) VALUES ('alpha', $1), ('beta', $1) RETURNING id",
    [NOW],
  );
  const { rows: pkg } = await f.db.query<{ id: number }>(
    "INSERT INTO packages (project_id, name, config, created_at, updated_at) VALUES ($1, 'hello', 'name: hello', $2, $2) RETURNING id",
    [p[0]!.id, NOW],
  );
  return { f, db: f.db, projectId: p[0]!.id, packageId: pkg[0]!.id };
}

/** A build of the package with one job (running, attempt 1); returns both ids. */
async function newBuild(
  db: Db,
  projectId: number,
  packageId: number,
  o: { state?: string; createdAt?: Date; version?: string } = {},
): Promise<{ buildId: number; jobId: number }> {
  const { rows } = await db.query<{ id: number }>(
    `INSERT INTO builds (project_id, package_id, version, state, targets, config, source_date_epoch, created_at)
     VALUES ($1, $2, $3, $4, '{debian-12}', 'name: hello', 1700000000, $5) RETURNING id`,
    [projectId, packageId, o.version ?? "1.0.0", o.state ?? "running", o.createdAt ?? NOW],
  );
  const buildId = rows[0]!.id;
  const { rows: jobs } = await db.query<{ id: number }>(
    `INSERT INTO jobs (build_id, project_id, format, arch, targets, state, attempt, created_at)
     VALUES ($1, $2, 'deb', 'amd64', '{debian-12}', 'running', 1, $3) RETURNING id`,
    [buildId, projectId, NOW],
  );
  return { buildId, jobId: jobs[0]!.id };
}

/** Every entry of a build's log, paged. */
async function allLogs(db: Db, buildId: number): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  for (;;) {
    const page = await readLogs(db, buildId, out.at(-1)?.seq ?? 0, 3000);
    out.push(...page.entries);
    if (!page.more) return out;
  }
}

/** The plugin under a prefix of its own, so the test app never clashes with app.ts registering it too. */
function mounted(o: BuildLogsOptions): FastifyPluginAsync<PluginOptions> {
  const plugin = buildLogsPlugin(o);
  return async (app, options) => {
    app.addHook("onSend", async (_request, reply, payload) => {
      if (reply.statusCode >= 400 && typeof payload === "string") errorBodies.push(payload);
      return payload;
    });
    await app.register(plugin, { ...options, prefix: "/t" });
  };
}

interface LogsApp {
  app: FastifyInstance;
  base: string;
  db: Db;
  projectId: number;
  packageId: number;
  /** A token of a viewer of `alpha` (read scope). */
  viewer: string;
  /** A token of a member of `beta` only. */
  outsider: string;
  /** A token of an `alpha` owner without the read scope. */
  noRead: string;
}

/** The app with the logs plugin (short intervals), listening on 127.0.0.1. */
async function logsApp(t: TestContext, fresh: Fresh, o: BuildLogsOptions = {}): Promise<LogsApp | undefined> {
  const s = await setup(t, fresh);
  if (s === undefined) return undefined;
  const { db, projectId } = s;
  await verifyMasterKey(db, TEST_MASTER_KEY, NOW);
  const logger = serverLogger({
    level: "debug",
    destination: { write: (l: string) => void logLines.push(l) },
  });
  const app = await buildApp(
    {
      db,
      storage: memoryStorage(),
      masterKey: TEST_MASTER_KEY,
      clock: { now: () => new Date() },
      logger,
      config: { scrypt: TEST_SCRYPT },
    },
    { plugins: [mounted({ keepaliveMs: 15_000, pollMs: 100, retryMs: 50, ...o })] },
  );
  t.after(() => app.close());
  await app.listen({ host: "127.0.0.1", port: 0 });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/t`;
  const user = async (slug: string) =>
    (await createUser(db, { email: `${slug}@example.org`, slug, isAdmin: false }, NOW, TEST_SCRYPT)).id;
  const token = async (userId: number, scopes: ("read" | "write")[]) => {
    const made = await issueToken(db, { userId, name: "t", scopes, projectId: null, expiresAt: null }, NOW);
    secrets.add(made.token);
    return made.token;
  };
  const viewer = await user("viewer");
  const outsider = await user("outsider");
  const owner = await user("owner");
  const { rows: beta } = await db.query<{ id: number }>("SELECT id FROM projects WHERE slug = 'beta'");
  for (const [p, u, role] of [
    [projectId, viewer, "viewer"],
    [beta[0]!.id, outsider, "owner"],
    [projectId, owner, "owner"],
  ] as const)
    await db.query(
      "INSERT INTO memberships (project_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)",
      [p, u, role, NOW],
    );
  return {
    app,
    base,
    db,
    projectId,
    packageId: s.packageId,
    viewer: await token(viewer, ["read"]),
    outsider: await token(outsider, ["read"]),
    noRead: await token(owner, ["write"]),
  };
}

interface SseEvent {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
}

/**
 * An SSE connection read with node's fetch: `next()` gives events (and comments) in order, undefined at the
 * end of the stream; `close()` drops the connection.
 */
async function sse(
  url: string,
  headers: Record<string, string>,
): Promise<{
  status: number;
  contentType: string | null;
  next(): Promise<SseEvent | undefined>;
  close(): void;
}> {
  const controller = new AbortController();
  const res = await fetch(url, { headers, signal: controller.signal });
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  const queue: SseEvent[] = [];
  let ended = false;
  return {
    status: res.status,
    contentType: res.headers.get("content-type"),
    async next() {
      for (;;) {
        if (queue.length > 0) return queue.shift();
        if (ended) return undefined;
        const { value, done } = await reader.read();
        if (done) {
          ended = true;
          continue;
        }
        const blocks = (buffer + value).split("\n\n");
        buffer = blocks.pop()!;
        for (const block of blocks) {
          const ev: SseEvent = {};
          for (const line of block.split("\n")) {
            if (line.startsWith(":")) ev.comment = line.slice(1).trim();
            else {
              const colon = line.indexOf(":");
              const field = line.slice(0, colon);
              const v = line.slice(colon + 1).replace(/^ /, "");
              if (field === "id" || field === "event" || field === "data") ev[field] = v;
            }
          }
          queue.push(ev);
        }
      }
    },
    close() {
      controller.abort();
      reader.cancel().catch(() => {});
    },
  };
}

const auth = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

/** Waits until `check` holds (polling every 10 ms), failing after `ms`. */
async function until(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

eachDb((kind, fresh) => {
  test("10,000 lines on stdout and stderr reach an SSE client in order, across a forced reconnect; it saw what readLogs stores", async (t) => {
    const a = await logsApp(t, fresh);
    if (a === undefined) return;
    const { buildId, jobId } = await newBuild(a.db, a.projectId, a.packageId);
    const LINES = 10_000;
    const BATCH = 500; // lines per stream per call: 1,000 chunks a transaction

    const url = `${a.base}/api/v1/builds/${buildId}/logs/stream`;
    const seen: { seq: number; stream: string; text: string; attempt: number; jobId: number; at: string }[] =
      [];
    let conn = await sse(url, auth(a.viewer));
    assert.equal(conn.status, 200);
    assert.match(conn.contentType ?? "", /^text\/event-stream/);
    // The retry hint comes first: a block with no id, event, data or comment.
    assert.deepEqual(await conn.next(), {});
    let reconnected = false;
    let ended: SseEvent | undefined;
    const reading = (async () => {
      for (;;) {
        const ev = await conn.next();
        if (ev === undefined) {
          // The server closes only after `end`; anything else is a failure.
          assert.ok(ended !== undefined, "the stream closed before the end event");
          return;
        }
        if (ev.event === "end") {
          ended = ev;
          continue;
        }
        if (ev.event !== "log") continue;
        const data = JSON.parse(ev.data!) as (typeof seen)[number];
        assert.equal(String(data.seq), ev.id);
        seen.push(data);
        if (!reconnected && seen.length === 7_777) {
          // A dropped connection mid-way: resume after the last id seen.
          reconnected = true;
          conn.close();
          conn = await sse(url, { ...auth(a.viewer), "last-event-id": ev.id! });
          assert.equal(conn.status, 200);
        }
      }
    })();

    for (let from = 0; from < LINES; from += BATCH) {
      const chunks = [];
      for (let i = from; i < from + BATCH; i++) {
        chunks.push({ chunk: i, stream: "stdout" as const, text: `out ${i}\n` });
        chunks.push({ chunk: i, stream: "stderr" as const, text: `err ${i}\n` });
      }
      const r = await appendLogs(a.db, { buildId, jobId, attempt: 1, chunks });
      assert.equal(r.stored, 2 * BATCH);
      // An agent resending a batch it got no answer for stores nothing twice.
      if (from === 10 * BATCH) {
        const again = await appendLogs(a.db, { buildId, jobId, attempt: 1, chunks });
        assert.equal(again.stored, 0);
        assert.equal(again.lastSeq, r.lastSeq);
      }
      // The client reads while lines are written: after the first batch and half-way (past the reconnect)
      // it has everything so far before more comes.
      if (from === 0 || from === LINES / 2 - BATCH)
        await until(() => seen.length === r.lastSeq, 10_000, `the client to see ${r.lastSeq} entries`);
      // Batches arrive as requests do, each in a turn of the event loop of its own.
      await new Promise((resolve) => setImmediate(resolve));
    }
    // The state change and its system line in one transaction, as the queue writes them: a stream that sees
    // the build finished has the line too.
    await a.db.transaction(async (tx) => {
      await tx.query("UPDATE builds SET state = 'succeeded' WHERE id = $1", [buildId]);
      await systemLog(tx, buildId, jobId, 1, "build succeeded");
    });
    await reading;
    conn.close();

    assert.ok(reconnected, "the client reconnected mid-way");
    assert.deepEqual(JSON.parse(ended!.data!), { state: "succeeded" });
    assert.equal(seen.length, 2 * LINES + 1);
    // Sequence numbers 1..n, each once: no gap, no duplicate across the reconnect.
    assert.deepEqual(
      seen.map((e) => e.seq),
      seen.map((_, i) => i + 1),
    );
    const out = seen.filter((e) => e.stream === "stdout").map((e) => e.text);
    const err = seen.filter((e) => e.stream === "stderr").map((e) => e.text);
    assert.deepEqual(
      out,
      Array.from({ length: LINES }, (_, i) => `out ${i}\n`),
    );
    assert.deepEqual(
      err,
      Array.from({ length: LINES }, (_, i) => `err ${i}\n`),
    );
    assert.deepEqual(seen.at(-1), {
      ...seen.at(-1)!,
      stream: "system",
      text: "build succeeded",
      jobId,
      attempt: 1,
    });
    const stored = await allLogs(a.db, buildId);
    assert.deepEqual(
      seen,
      stored.map((e) => ({ ...e, at: e.at.toISOString() })),
    );
    // The JSON route pages the same entries.
    const page = await fetch(`${a.base}/api/v1/builds/${buildId}/logs?after=100&limit=3`, {
      headers: auth(a.viewer),
    });
    assert.equal(page.status, 200);
    const body = (await page.json()) as { entries: typeof seen; state: string };
    assert.equal(body.state, "succeeded");
    assert.deepEqual(body.entries, seen.slice(100, 103));
  });

  test("storage: the cap stores what fits and one marker, redaction, idempotent resends, system lines, odd text", async (t) => {
    const s = await setup(t, fresh);
    if (s === undefined) return;
    const { db } = s;
    const { buildId, jobId } = await newBuild(db, s.projectId, s.packageId);
    const other = await newBuild(db, s.projectId, s.packageId, { version: "2.0.0" });
    const SECRET = "s3cr3t-value";
    const cap = 100;
    // 40 + 22 (redacted) bytes fit; the third chunk (41) only in part (38), the fourth not at all.
    const forty = (c: string) => `${c.repeat(38)}\n`.padEnd(40, c);
    const r1 = await appendLogs(
      db,
      {
        buildId,
        jobId,
        attempt: 1,
        chunks: [
          { chunk: 0, stream: "stdout", text: forty("a") },
          { chunk: 1, stream: "stdout", text: `key=${SECRET} and ${SECRET}x`.padEnd(40, ".") },
        ],
      },
      { capBytes: cap, redact: [SECRET, ""] },
    );
    assert.deepEqual(r1, { stored: 2, truncated: false, lastSeq: 2 });
    const r2 = await appendLogs(
      db,
      {
        buildId,
        jobId,
        attempt: 1,
        chunks: [
          { chunk: 1, stream: "stdout", text: "a resend, even with other text, is skipped" },
          { chunk: 2, stream: "stderr", text: `é${"c".repeat(39)}` }, // é is 2 bytes: 41 bytes in all
          { chunk: 3, stream: "stdout", text: "dropped" },
        ],
      },
      { capBytes: cap, redact: [SECRET] },
    );
    assert.deepEqual(r2, { stored: 2, truncated: true, lastSeq: 4 });
    // Past the cap: nothing more, and no second marker (also not for a later attempt of the job).
    const r3 = await appendLogs(
      db,
      { buildId, jobId, attempt: 2, chunks: [{ chunk: 0, stream: "stdout", text: "late" }] },
      { capBytes: cap },
    );
    assert.deepEqual(r3, { stored: 0, truncated: false, lastSeq: 4 });
    // System lines are not capped and number themselves from SYSTEM_CHUNK_BASE.
    assert.equal(await systemLog(db, buildId, jobId, 2, "attempt 2 lost its lease"), 5);
    assert.equal(await systemLog(db, buildId, jobId, 2, "retrying"), 6);
    const entries = await allLogs(db, buildId);
    assert.deepEqual(
      entries.map((e) => [e.seq, e.stream, e.attempt, e.text]),
      [
        [1, "stdout", 1, forty("a")],
        [2, "stdout", 1, `key=*** and ***x`.padEnd(40 - 2 * SECRET.length + 6, ".")],
        [3, "stderr", 1, `é${"c".repeat(cap - 40 - 22 - 2)}`],
        [4, "system", 1, `log truncated at ${capText(cap)}`],
        [5, "system", 2, "attempt 2 lost its lease"],
        [6, "system", 2, "retrying"],
      ],
    );
    const { rows: chunks } = await db.query<{ seq: number; chunk: number }>(
      "SELECT seq, chunk FROM job_logs WHERE build_id = $1 AND stream = 'system' ORDER BY seq",
      [buildId],
    );
    assert.deepEqual(
      chunks.map((c) => c.chunk),
      [TRUNCATION_CHUNK, SYSTEM_CHUNK_BASE, SYSTEM_CHUNK_BASE + 1],
    );
    assert.equal(capText(16 * 1024 * 1024), "16 MiB");
    assert.ok(entries.every((e) => !e.text.includes(SECRET)));
    // The default cap leaves ordinary logs alone; text PostgreSQL arrays and JSON could trip on stays as sent
    // (NUL, which PostgreSQL text cannot hold, becomes U+FFFD); the other build's numbering is its own.
    const odd = [
      "NULL",
      '"quoted", {braces}',
      "back\\slash\\",
      "tab\tand\r\nnewline",
      "ünï©ødé 🎉",
      "",
      "nul\u0000byte",
    ];
    const r4 = await appendLogs(db, {
      buildId: other.buildId,
      jobId: other.jobId,
      attempt: 1,
      chunks: odd.map((text, chunk) => ({ chunk, stream: "stdout" as const, text })),
    });
    assert.deepEqual(r4, { stored: odd.length, truncated: false, lastSeq: odd.length });
    assert.deepEqual(
      (await allLogs(db, other.buildId)).map((e) => e.text),
      odd.map((x) => x.replace("\u0000", "\uFFFD")),
    );
    // Repeats inside one batch count once.
    const r5 = await appendLogs(db, {
      buildId: other.buildId,
      jobId: other.jobId,
      attempt: 1,
      chunks: [
        { chunk: 50, stream: "stdout", text: "x" },
        { chunk: 50, stream: "stdout", text: "x" },
      ],
    });
    assert.equal(r5.stored, 1);
    // A job of another build, an unknown build, a bad chunk number: refused.
    await assert.rejects(
      appendLogs(db, { buildId, jobId: other.jobId, attempt: 1, chunks: [] }),
      (e: { code?: string }) => e.code === "NOT_FOUND",
    );
    await assert.rejects(readLogs(db, 999_999), (e: { code?: string }) => e.code === "NOT_FOUND");
    await assert.rejects(
      appendLogs(db, { buildId, jobId, attempt: 1, chunks: [{ chunk: -1, stream: "stdout", text: "" }] }),
      (e: { code?: string }) => e.code === "INVALID_REQUEST",
    );
    // log_bytes counts stored text: 40 + 22 + 38 (up to the cap) + system lines.
    const { rows: job } = await db.query<{ log_bytes: number }>("SELECT log_bytes FROM jobs WHERE id = $1", [
      jobId,
    ]);
    assert.equal(Number(job[0]!.log_bytes), cap + "attempt 2 lost its lease".length + "retrying".length);
    // Inside a caller's transaction (as the queue writes its state changes).
    await db.transaction(async (tx) => {
      await systemLog(tx, buildId, jobId, 2, "in the queue's transaction");
    });
    assert.equal((await allLogs(db, buildId)).at(-1)?.text, "in the queue's transaction");
    assert.equal(redactText("aXbXXc", ["X", "XX"]), "a***b***c");
  });

  test("the hub hears NOTIFY (LISTEN on this database) and, without it, polls", async (t) => {
    const s = await setup(t, fresh);
    if (s === undefined) return;
    const { db, f } = s;
    const { buildId, jobId } = await newBuild(db, s.projectId, s.packageId);
    const other = await newBuild(db, s.projectId, s.packageId, { version: "2.0.0" });

    // The port itself: a NOTIFY from another Db (PostgreSQL: another pool) reaches a listener.
    assert.equal(typeof db.listen, "function");
    const heard: string[] = [];
    const stop = await db.listen!("build_logs_test", (p) => heard.push(p));
    const second = await f.open();
    await second.query("SELECT pg_notify('build_logs_test', 'hello')");
    await until(() => heard.includes("hello"), 5000, "a NOTIFY from another connection");
    await stop();
    await stop(); // idempotent
    await second.query("SELECT pg_notify('build_logs_test', 'after')");
    await sleep(100);
    assert.deepEqual(heard, ["hello"]);
    assert.throws(() => db.listen!("Bad-Channel", () => {}), { code: "DB_ERROR" });

    // The hub: LISTEN only (polling every minute) still wakes at once; a wake for another build does not.
    const listening = logHub(db, { pollMs: 60_000 });
    t.after(() => listening.close());
    let wakes = 0;
    const unsubscribe = listening.subscribe(buildId, () => wakes++);
    assert.equal(await listening.ready(), true);
    const before = wakes;
    await appendLogs(second, {
      buildId,
      jobId,
      attempt: 1,
      chunks: [{ chunk: 0, stream: "stdout", text: "x" }],
    });
    await until(() => wakes > before, 5000, "a wake by NOTIFY");
    const afterOwn = wakes;
    await appendLogs(second, {
      buildId: other.buildId,
      jobId: other.jobId,
      attempt: 1,
      chunks: [{ chunk: 0, stream: "stdout", text: "y" }],
    });
    await sleep(200);
    assert.equal(wakes, afterOwn, "a NOTIFY for another build woke this subscriber");
    unsubscribe();
    assert.equal(listening.subscriptions(), 0);

    // Polling only: a change of log_seq or state wakes; nothing changing does not.
    const polled = logHub(db, { pollMs: 30, listen: false });
    t.after(() => polled.close());
    assert.equal(await polled.ready(), false);
    let polledWakes = 0;
    polled.subscribe(buildId, () => polledWakes++);
    await until(() => polledWakes >= 1, 5000, "the first poll"); // its first poll wakes once
    await sleep(150);
    const quiet = polledWakes;
    assert.equal(quiet, 1, "polls without a change woke the subscriber");
    await appendLogs(second, {
      buildId,
      jobId,
      attempt: 1,
      chunks: [{ chunk: 1, stream: "stdout", text: "z" }],
    });
    await until(() => polledWakes > quiet, 5000, "a wake by polling");
    const afterAppend = polledWakes;
    await db.query("UPDATE builds SET state = 'failed' WHERE id = $1", [buildId]);
    await until(() => polledWakes > afterAppend, 5000, "a wake by a state change");
    await polled.close();
    assert.equal(polled.subscriptions(), 0);

    if (kind === "postgres") {
      // A lost LISTEN connection comes back, says so (onGap), and hears NOTIFY again.
      const url = await needPostgres(t);
      const name = `packyard-logs-${randomUUID().slice(0, 8)}`;
      const own = await openPostgres({
        connectionString: url!,
        schema: f.schema,
        applicationName: name,
        max: 2,
      });
      t.after(() => own.close());
      const got: string[] = [];
      let gaps = 0;
      await own.listen!(
        "build_logs_test",
        (p) => got.push(p),
        () => gaps++,
      );
      const { rows: killed } = await db.query<{ ok: boolean }>(
        "SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = $1",
        [`${name}-listen`],
      );
      assert.deepEqual(
        killed.map((k) => k.ok),
        [true],
      );
      await until(() => gaps === 1, 10_000, "the LISTEN connection to come back");
      await db.query("SELECT pg_notify('build_logs_test', 'back')");
      await until(() => got.includes("back"), 5000, "a NOTIFY after the reconnect");
    }
  });

  test("stream: keepalive comments, Last-Event-ID, the end event, access, and no subscription left behind", async (t) => {
    const hub = { current: undefined as LogHub | undefined };
    const s = await (async () => {
      const f = await fresh(t);
      if (f === undefined) return undefined;
      hub.current = logHub(f.db, { pollMs: 50 });
      t.after(() => hub.current!.close());
      return logsApp(t, async () => f, { keepaliveMs: 40, hub: hub.current });
    })();
    if (s === undefined) return;
    const { buildId, jobId } = await newBuild(s.db, s.projectId, s.packageId, { state: "pending" });
    await appendLogs(s.db, {
      buildId,
      jobId,
      attempt: 1,
      chunks: [0, 1, 2].map((chunk) => ({ chunk, stream: "stdout" as const, text: `line ${chunk}` })),
    });
    const url = `${s.base}/api/v1/builds/${buildId}/logs/stream`;

    // Resume strictly after 1: entries 2 and 3, then keepalive comments while nothing happens.
    const c = await sse(url, { ...auth(s.viewer), "last-event-id": "1" });
    assert.equal(c.status, 200);
    const events: SseEvent[] = [];
    while (events.filter((e) => e.comment === "keepalive").length < 2) events.push((await c.next())!);
    const retry = events[0]!;
    assert.deepEqual(retry, {}); // "retry: 50" is a block without id, event, data or comment
    assert.deepEqual(
      events.filter((e) => e.event === "log").map((e) => [e.id, (JSON.parse(e.data!) as LogEntry).text]),
      [
        ["2", "line 1"],
        ["3", "line 2"],
      ],
    );
    assert.equal(hub.current!.subscriptions(), 1);
    // The build finishes with no new line: polling sees the state, the stream sends end and closes.
    await s.db.query("UPDATE builds SET state = 'cancelled' WHERE id = $1", [buildId]);
    let ev: SseEvent | undefined;
    const rest: SseEvent[] = [];
    while ((ev = await c.next()) !== undefined) rest.push(ev);
    assert.deepEqual(
      rest.filter((e) => e.comment === undefined),
      [{ event: "end", data: '{"state":"cancelled"}' }],
    );
    await until(() => hub.current!.subscriptions() === 0, 2000, "the ended stream to unsubscribe");

    // A finished build's stream: the rest of the log, end, close — also via ?after=.
    const done = await sse(`${url}?after=2`, auth(s.viewer));
    const all: SseEvent[] = [];
    while ((ev = await done.next()) !== undefined) all.push(ev);
    assert.deepEqual(
      all.filter((e) => e.event !== undefined).map((e) => [e.event, e.id]),
      [
        ["log", "3"],
        ["end", undefined],
      ],
    );

    // A client that goes away: its subscription goes too.
    const running = await newBuild(s.db, s.projectId, s.packageId, { version: "3.0.0" });
    const gone = await sse(`${s.base}/api/v1/builds/${running.buildId}/logs/stream`, auth(s.viewer));
    await gone.next();
    assert.equal(hub.current!.subscriptions(), 1);
    gone.close();
    await until(() => hub.current!.subscriptions() === 0, 2000, "the dropped stream to unsubscribe");

    // Access: another project's member and a missing build are 404, a token without read 403, no token 401,
    // a Last-Event-ID that is no sequence number 400.
    for (const [path, headers, status] of [
      [url, auth(s.outsider), 404],
      [`${s.base}/api/v1/builds/${buildId}/logs`, auth(s.outsider), 404],
      [`${s.base}/api/v1/builds/999999/logs/stream`, auth(s.viewer), 404],
      [url, auth(s.noRead), 403],
      [url, {}, 401],
      [url, { ...auth(s.viewer), "last-event-id": "x1" }, 400],
      [`${s.base}/api/v1/builds/${buildId}/logs?limit=0`, auth(s.viewer), 400],
    ] as const) {
      const r = await fetch(path, { headers });
      const text = await r.text();
      assert.equal(r.status, status, `${path}: ${text}`);
      assert.equal(typeof (JSON.parse(text) as { error: { code: string } }).error.code, "string");
    }

    // Closing the app ends open streams (a stream would otherwise hold the close).
    const held = await sse(`${s.base}/api/v1/builds/${running.buildId}/logs/stream`, auth(s.viewer));
    await held.next();
    await s.app.close();
    while ((await held.next()) !== undefined) {}
  });

  test("pruneBuilds deletes finished builds past the retention, keeping each package's last succeeded and last failed", async (t) => {
    const s = await setup(t, fresh);
    if (s === undefined) return;
    const { db } = s;
    const { rows: pkg2 } = await db.query<{ id: number }>(
      "INSERT INTO packages (project_id, name, config, created_at, updated_at) VALUES ($1, 'other', 'name: other', $2, $2) RETURNING id",
      [s.projectId, NOW],
    );
    const old = (days: number) => new Date(NOW.getTime() - days * DAY);
    const make = async (packageId: number, state: string, days: number, version: string) => {
      const b = await newBuild(db, s.projectId, packageId, { state, createdAt: old(days), version });
      await appendLogs(db, { ...b, attempt: 1, chunks: [{ chunk: 0, stream: "stdout", text: version }] });
      return b.buildId;
    };
    const hello = s.packageId;
    const ids = {
      helloOkOld: await make(hello, "succeeded", 60, "1"),
      helloOkLast: await make(hello, "succeeded", 50, "2"), // kept: hello's last succeeded
      helloFailOld: await make(hello, "failed", 45, "3"),
      helloFailLast: await make(hello, "failed", 40, "4"), // kept: last failed
      helloCancelled: await make(hello, "cancelled", 40, "5"),
      helloRunningOld: await make(hello, "running", 40, "6"), // kept: not finished
      helloRecent: await make(hello, "succeeded", 10, "7"), // kept: recent (and now the last succeeded)
      otherOk: await make(pkg2[0]!.id, "succeeded", 90, "1"), // kept: other's last succeeded
      otherOkOlder: await make(pkg2[0]!.id, "succeeded", 95, "0"),
    };
    // helloOkLast is no longer hello's last succeeded (helloRecent is): past 30 days it goes.
    const deleted = await pruneBuilds(db, { now: NOW });
    const { rows } = await db.query<{ id: number }>("SELECT id FROM builds ORDER BY id");
    const left = new Set(rows.map((r) => Number(r.id)));
    const kept = Object.entries(ids)
      .filter(([, id]) => left.has(id))
      .map(([k]) => k);
    assert.deepEqual(kept, ["helloFailLast", "helloRunningOld", "helloRecent", "otherOk"]);
    assert.equal(deleted, 5);
    // Their jobs and logs went with them.
    const { rows: logs } = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM job_logs WHERE build_id <> ALL($1::bigint[])",
      [[...left]],
    );
    assert.equal(logs[0]!.n, 0);
    // A shorter retention takes the recent one only when it is not the last succeeded: nothing more goes.
    assert.equal(await pruneBuilds(db, { now: NOW, olderThanMs: DAY }), 0);
    // The database clock is the default "now": these builds are from 2026-12-06 minus days.
    assert.equal(await pruneBuilds(db), 0);
    await assert.rejects(
      pruneBuilds(db, { olderThanMs: -1 }),
      (e: { code?: string }) => e.code === "INVALID_REQUEST",
    );
  });
});

test("no token used in this file appears in the debug log or an error body", () => {
  assert.ok(logLines.length > 0, "expected the apps to have logged (at debug level)");
  assert.ok(secrets.size > 0);
  for (const s of secrets) {
    assert.equal(
      logLines.find((l) => l.includes(s)),
      undefined,
      "a token appeared in the log",
    );
    assert.equal(
      errorBodies.find((b) => b.includes(s)),
      undefined,
      "a token appeared in an error body",
    );
  }
});
