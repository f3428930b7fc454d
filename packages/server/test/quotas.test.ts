// Quotas (issue 21, "How it is checked" → Quotas) on PGlite and PostgreSQL, with the plans file
// fixtures/plans/quota.json (1 project, 2 builds a month, 1 MiB, 2 targets): each limit refuses with 402
// PLAN_LIMIT_REACHED naming it and leaves rows and storage as they were; a limit of 3 with 10 parallel
// project creations lets exactly 3 through; a canceled subscription refuses writes (403
// SUBSCRIPTION_INACTIVE) and keeps reads; without a plans file nothing is refused.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import type { Storage } from "@packyard/repo";
import type { LightMyRequestResponse } from "fastify";
import type { AppConfig } from "../src/app/deps.ts";
import { loadPlansFile } from "../src/billing/plans.ts";
import { createBuild } from "../src/builds/requests.ts";
import type { Db } from "../src/index.ts";
import { bearer, errorOf, type Harness, harness, secret, secretsNeverLeak } from "./app-harness.ts";
import { eachDb } from "./dbs.ts";

const FIXTURES = fileURLToPath(new URL("./fixtures/plans/", import.meta.url));
const MiB = 1024 * 1024;
const PASSWORD = secret("correct horse battery staple");

// A package without source files: a build needs nothing uploaded.
const CONFIG = `name: hello
version: 1.0.0
arch: amd64
maintainer: Test <test@example.org>
description: a test package
`;

async function listAll(storage: Storage, prefix = ""): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await storage.list(prefix, cursor === undefined ? {} : { cursor });
    keys.push(...page.objects.map((o) => o.key));
    cursor = page.cursor;
  } while (cursor !== undefined);
  return keys.sort();
}

/** Row counts of every table a refused write could have touched, and the storage listing. */
async function snapshot(db: Db, storage: Storage): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const table of [
    "projects",
    "memberships",
    "signing_keys",
    "packages",
    "package_files",
    "blobs",
    "releases",
    "artifacts",
    "builds",
    "jobs",
    "billing_usage",
  ]) {
    const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
    out[table] = rows[0]!.n;
  }
  out.storage = await listAll(storage);
  return out;
}

function assertLimit(r: { statusCode: number; body: string }, limit: string, allowed: number, used: number) {
  assert.equal(r.statusCode, 402, r.body);
  const e = errorOf(r as Parameters<typeof errorOf>[0]);
  assert.equal(e.code, "PLAN_LIMIT_REACHED");
  assert.equal(e.details.limit, limit);
  assert.equal(e.details.allowed, allowed);
  assert.equal(e.details.used, used);
  assert.equal(e.details.plan, "free");
  assert.match(e.message, new RegExp(`limits\\.${limit}`));
}

eachDb((_kind, fresh) => {
  test("quota plan: projects, storage_bytes (with and without Content-Length), targets, builds_per_month", async (t) => {
    const plans = await loadPlansFile(`${FIXTURES}quota.json`);
    const h = await harness(t, fresh, { plans, rateLimit: { max: 100_000 } });
    if (h === undefined) return;
    const alice = await h.user("alice");
    const { token } = await h.token(alice, ["read", "write", "publish"]);
    const call = (method: "GET" | "POST" | "PUT", url: string, payload?: unknown, headers = {}) =>
      h.request({
        method,
        url,
        headers: { ...bearer(token), ...headers },
        ...(payload === undefined ? {} : { payload: payload as string }),
      });

    // projects: 1 allowed.
    let r = await call("POST", "/api/v1/projects", { slug: "one" });
    assert.equal(r.statusCode, 201, r.body);
    let before = await snapshot(h.db, h.storage);
    r = await call("POST", "/api/v1/projects", { slug: "two" });
    assertLimit(r, "projects", 1, 1);
    assert.deepEqual(await snapshot(h.db, h.storage), before);

    r = await call("PUT", "/api/v1/projects/one/packages/hello", CONFIG, { "content-type": "text/yaml" });
    assert.equal(r.statusCode, 201, r.body);

    // storage_bytes: 2 MiB with Content-Length is refused before the body is read...
    before = await snapshot(h.db, h.storage);
    const big = randomBytes(2 * MiB);
    const file = "/api/v1/projects/one/packages/hello/files/big.tar.gz";
    r = await call("PUT", file, big, { "content-type": "application/octet-stream" });
    assertLimit(r, "storage_bytes", MiB, 0);
    assert.equal(errorOf(r).details.requested, 2 * MiB);
    assert.deepEqual(await snapshot(h.db, h.storage), before);
    // ... and without one the stream is cut once over, its temporary object deleted.
    // (A stream body goes without Content-Length; the refusal names the bytes read when the stream was cut,
    // the first 1.5 MiB chunk, where a Content-Length refusal names the whole 2 MiB.)
    const cut = 1.5 * MiB;
    r = await call("PUT", file, Readable.from([big.subarray(0, cut), big.subarray(cut)]), {
      "content-type": "application/octet-stream",
    });
    assertLimit(r, "storage_bytes", MiB, 0);
    assert.equal(errorOf(r).details.requested, cut);
    assert.deepEqual(await snapshot(h.db, h.storage), before);
    assert.deepEqual(await listAll(h.storage, "uploads/tmp/"), []);

    // Two uploads of 600 KiB at once: each fits on its own (the early check passes both), together they do
    // not; the check under the account's lock lets exactly one commit.
    const parts = [randomBytes(600 * 1024), randomBytes(600 * 1024)];
    const results = await Promise.all(
      parts.map((bytes, i) =>
        call("PUT", `/api/v1/projects/one/packages/hello/files/part${i}`, bytes, {
          "content-type": "application/octet-stream",
        }),
      ),
    );
    const statuses = results.map((x) => x.statusCode).sort();
    assert.deepEqual(statuses, [201, 402], results.map((x) => x.body).join("\n"));
    const refused = results.find((x) => x.statusCode === 402)!;
    assert.equal(errorOf(refused).details.limit, "storage_bytes");
    const { rows: files } = await h.db.query("SELECT access_name FROM package_files");
    assert.equal(files.length, 1);
    assert.deepEqual(await listAll(h.storage, "uploads/tmp/"), []);
    // The refused one's blob object is not left behind: storage holds exactly the stored file's blob.
    const { rows: blobs } = await h.db.query<{ sha256: string }>("SELECT sha256 FROM blobs ORDER BY sha256");
    const stored = (await listAll(h.storage, "blobs/")).map((k) => k.slice("blobs/sha256/".length));
    assert.ok(stored.length >= 1);
    for (const s of stored)
      assert.ok(
        blobs.some((b) => b.sha256 === s),
        `object ${s} has no row`,
      );

    // targets: 2 allowed in one request.
    const builds = "/api/v1/projects/one/packages/hello/builds";
    before = await snapshot(h.db, h.storage);
    r = await call("POST", builds, { version: "1.0.0", targets: ["debian-12", "ubuntu-24.04", "arch"] });
    assertLimit(r, "targets", 2, 0);
    assert.equal(errorOf(r).details.requested, 3);
    assert.deepEqual(await snapshot(h.db, h.storage), before);

    // builds_per_month: 2 allowed; the third is refused.
    // A target named twice counts once: the limit is checked on the resolved, de-duplicated targets (the
    // API's schema refuses duplicates; the build form's and webhooks' lists reach createBuild as given).
    const { rows: project } = await h.db.query<{ id: number }>("SELECT id FROM projects WHERE slug = 'one'");
    const view = await createBuild(
      { db: h.db, clock: h.clock, config: { plans } as AppConfig },
      {
        projectId: Number(project[0]!.id),
        packageName: "hello",
        version: "1.0.0",
        targets: ["debian-12", "arch", "debian-12"],
        userId: alice,
        trigger: "web",
      },
    );
    assert.deepEqual(view.targets, ["debian-12", "arch"]);
    r = await call("POST", builds, { version: "1.0.1", targets: ["debian-12"] });
    assert.equal(r.statusCode, 201, r.body);
    before = await snapshot(h.db, h.storage);
    r = await call("POST", builds, { version: "1.0.2", targets: ["debian-12"] });
    assertLimit(r, "builds_per_month", 2, 2);
    assert.deepEqual(await snapshot(h.db, h.storage), before);

    // Usage says the same.
    r = await call("GET", "/api/v1/usage");
    assert.equal(r.statusCode, 200, r.body);
    const usage = r.json();
    assert.deepEqual(usage.plan, { id: "free", name: "Free" });
    assert.equal(usage.status, "active");
    assert.deepEqual(usage.limits, { projects: 1, builds_per_month: 2, storage_bytes: MiB, targets: 2 });
    assert.deepEqual(usage.used, { projects: 1, builds_per_month: 2, storage_bytes: 600 * 1024 });
    // The period is the calendar month (UTC) on the database clock.
    const { rows: clock } = await h.db.query<{ now: Date }>("SELECT now() AS now");
    const dbNow = clock[0]!.now;
    const monthStart = new Date(Date.UTC(dbNow.getUTCFullYear(), dbNow.getUTCMonth(), 1));
    const nextMonth = new Date(Date.UTC(dbNow.getUTCFullYear(), dbNow.getUTCMonth() + 1, 1));
    assert.equal(usage.period.start, monthStart.toISOString());
    assert.equal(usage.period.end, nextMonth.toISOString());

    // Usage is account-wide: a token bound to one project is refused, as project creation refuses it.
    const bound = await h.token(alice, ["read"], { projectId: Number(project[0]!.id) });
    r = await h.request({ method: "GET", url: "/api/v1/usage", headers: bearer(bound.token) });
    assert.equal(r.statusCode, 403, r.body);
    assert.equal(errorOf(r).code, "FORBIDDEN");

    // The period rolls over: the counted builds moved to last month, this month's count is 0 again.
    await h.db.query("UPDATE billing_usage SET period_start = period_start - interval '1 month'");
    r = await call("GET", "/api/v1/usage");
    assert.equal(r.json().used.builds_per_month, 0);
    r = await call("POST", builds, { version: "1.0.2", targets: ["debian-12"] });
    assert.equal(r.statusCode, 201, r.body);

    // Deleting the stored file frees its storage at once.
    r = await h.request({
      method: "DELETE",
      url: `/api/v1/projects/one/packages/hello/files/${(files[0] as { access_name: string }).access_name}`,
      headers: bearer(token),
    });
    assert.equal(r.statusCode, 204, r.body);
    r = await call("GET", "/api/v1/usage");
    assert.equal(r.json().used.storage_bytes, 0);
  });

  test("storage_bytes: replacing a file under its access name frees what it held (early check and stream cut)", async (t) => {
    const plans = await loadPlansFile(`${FIXTURES}quota.json`);
    const h = await harness(t, fresh, { plans, rateLimit: { max: 100_000 } });
    if (h === undefined) return;
    const erin = await h.user("erin");
    const { token } = await h.token(erin, ["read", "write"]);
    const put = (name: string, body: Buffer | Readable) =>
      h.request({
        method: "PUT",
        url: `/api/v1/projects/one/packages/hello/files/${name}`,
        headers: { ...bearer(token), "content-type": "application/octet-stream" },
        payload: body,
      });
    const stored = async () => {
      const r = await h.request({ method: "GET", url: "/api/v1/usage", headers: bearer(token) });
      return r.json().used.storage_bytes as number;
    };
    let r = await h.request({
      method: "POST",
      url: "/api/v1/projects",
      headers: bearer(token),
      payload: { slug: "one" },
    });
    assert.equal(r.statusCode, 201, r.body);
    r = await h.request({
      method: "PUT",
      url: "/api/v1/projects/one/packages/hello",
      headers: { ...bearer(token), "content-type": "text/yaml" },
      payload: CONFIG,
    });
    assert.equal(r.statusCode, 201, r.body);
    const size = Math.floor(0.8 * MiB);
    const a = randomBytes(size);
    assert.equal((await put("a.tar.gz", a)).statusCode, 201);
    // The same bytes again, with Content-Length (0.8 + 0.8 > 1 MiB unless the held blob counts as freed).
    r = await put("a.tar.gz", a);
    assert.equal(r.statusCode, 200, r.body);
    // Other bytes of the same size, with Content-Length, then streamed without one (cut at 0.2 MiB before).
    r = await put("a.tar.gz", randomBytes(size));
    assert.equal(r.statusCode, 200, r.body);
    const last = randomBytes(size);
    r = await put("a.tar.gz", Readable.from([last.subarray(0, size / 2), last.subarray(size / 2)]));
    assert.equal(r.statusCode, 200, r.body);
    assert.equal(await stored(), size);
    // A replacement that grows past the limit is still refused, before and while streaming.
    const before = await snapshot(h.db, h.storage);
    r = await put("a.tar.gz", randomBytes(Math.floor(1.1 * MiB)));
    assertLimit(r, "storage_bytes", MiB, size);
    assert.equal(errorOf(r).details.freed, size);
    const grown = randomBytes(Math.floor(1.1 * MiB));
    r = await put("a.tar.gz", Readable.from([grown.subarray(0, MiB / 2), grown.subarray(MiB / 2)]));
    assertLimit(r, "storage_bytes", MiB, size);
    // Another access name adds; nothing is freed.
    r = await put("b.tar.gz", randomBytes(Math.floor(0.3 * MiB)));
    assertLimit(r, "storage_bytes", MiB, size);
    assert.deepEqual(await snapshot(h.db, h.storage), before);
    // The held blob is freed only when no other row references it: with b.tar.gz holding the same bytes,
    // replacing a.tar.gz frees nothing.
    // (Written by SQL: the early check cannot know an upload's bytes before reading them, so it counts
    // new bytes under a new name in full.)
    await h.db.query(
      `INSERT INTO package_files (package_id, access_name, blob_sha256, uploaded_by, created_at, updated_at)
       SELECT package_id, 'b.tar.gz', blob_sha256, uploaded_by, created_at, updated_at FROM package_files
        WHERE access_name = 'a.tar.gz'`,
    );
    assert.equal(await stored(), size);
    r = await put("a.tar.gz", randomBytes(size));
    assertLimit(r, "storage_bytes", MiB, size);
    assert.equal(errorOf(r).details.freed, undefined);
  });

  test("a limit of 3 projects: 10 parallel creations, exactly 3 succeed", async (t) => {
    const plans = await loadPlansFile(`${FIXTURES}race.json`);
    const h = await harness(t, fresh, { plans, rateLimit: { max: 100_000 } });
    if (h === undefined) return;
    const bob = await h.user("bob");
    const { token } = await h.token(bob, ["read", "write"]);
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        h.request({
          method: "POST",
          url: "/api/v1/projects",
          headers: bearer(token),
          payload: { slug: `race-${i}` },
        }),
      ),
    );
    const ok = results.filter((r) => r.statusCode === 201);
    const refused = results.filter((r) => r.statusCode === 402);
    assert.equal(ok.length, 3, results.map((r) => r.body).join("\n"));
    assert.equal(refused.length, 7);
    for (const r of refused) assert.equal(errorOf(r).details.limit, "projects");
    const { rows } = await h.db.query<{ n: number }>("SELECT count(*)::int AS n FROM projects");
    assert.equal(rows[0]!.n, 3);
    const { rows: keys } = await h.db.query<{ n: number }>(
      "SELECT count(DISTINCT project_id)::int AS n FROM signing_keys",
    );
    assert.equal(keys[0]!.n, 3);
  });

  test("a canceled subscription: writes 403 SUBSCRIPTION_INACTIVE, reads keep working", async (t) => {
    const plans = await loadPlansFile(`${FIXTURES}race.json`);
    const h = await harness(t, fresh, { plans, rateLimit: { max: 100_000 } });
    if (h === undefined) return;
    await inactiveChecks(h);
  });

  test("the package page's forms meet the plan: a 2 MiB file is 402, a canceled subscription 403, nothing stored", async (t) => {
    const plans = await loadPlansFile(`${FIXTURES}quota.json`);
    const h = await harness(t, fresh, { plans, rateLimit: { max: 100_000 } });
    if (h === undefined) return;
    const ada = await h.user("ada", { password: PASSWORD });
    const { token } = await h.token(ada, ["read", "write"]);
    let r = await h.request({
      method: "POST",
      url: "/api/v1/projects",
      headers: bearer(token),
      payload: { slug: "paged" },
    });
    assert.equal(r.statusCode, 201, r.body);
    r = await h.request({
      method: "PUT",
      url: "/api/v1/projects/paged/packages/hello",
      headers: { ...bearer(token), "content-type": "text/yaml" },
      payload: CONFIG,
    });
    assert.equal(r.statusCode, 201, r.body);
    const page = "/projects/paged/packages/hello";
    const b = await signedIn(h, "ada@example.org");
    const fileForm = async (name: string, bytes: Buffer) => {
      await b.get(page);
      return b.multipart(`${page}/files`, [
        { name: "_csrf", value: b.csrf },
        { name: "file", value: bytes, filename: name },
      ]);
    };
    const configForm = async (text: string) => {
      await b.get(page);
      return b.multipart("/projects/paged/packages", [
        { name: "_csrf", value: b.csrf },
        { name: "name", value: "hello" },
        { name: "config", value: text },
      ]);
    };
    // The forms work (a control: what is refused below is the plan's doing).
    r = await fileForm("small.tar.gz", randomBytes(1024));
    assert.equal(r.statusCode, 303, r.body);

    let before = await snapshot(h.db, h.storage);
    r = await fileForm("big.tar.gz", randomBytes(2 * MiB));
    assert.equal(r.statusCode, 402, r.body);
    assert.match(String(r.headers["content-type"]), /^text\/html/);
    assert.match(r.body, /Error PLAN_LIMIT_REACHED:/);
    assert.match(r.body, /limits\.storage_bytes/);
    assert.deepEqual(await snapshot(h.db, h.storage), before);
    assert.deepEqual(await listAll(h.storage, "uploads/tmp/"), []);

    await h.db.query("UPDATE subscriptions SET status = 'canceled' WHERE user_id = $1", [ada]);
    before = await snapshot(h.db, h.storage);
    const config = async () =>
      (await h.db.query<{ config: string }>("SELECT config FROM packages WHERE name = 'hello'")).rows;
    const configBefore = await config();
    r = await configForm(CONFIG.replace("1.0.0", "2.0.0"));
    assert.equal(r.statusCode, 403, r.body);
    assert.match(r.body, /Error SUBSCRIPTION_INACTIVE:/);
    r = await fileForm("small.tar.gz", Buffer.from("other bytes"));
    assert.equal(r.statusCode, 403, r.body);
    assert.match(r.body, /Error SUBSCRIPTION_INACTIVE:/);
    assert.match(r.body, /canceled/);
    assert.deepEqual(await snapshot(h.db, h.storage), before);
    assert.deepEqual(await config(), configBefore);
  });

  test("without a plans file nothing is refused and usage is unlimited", async (t) => {
    const h = await harness(t, fresh, { rateLimit: { max: 100_000 } });
    if (h === undefined) return;
    const carol = await h.user("carol");
    const { token } = await h.token(carol, ["read", "write"]);
    for (const slug of ["c-one", "c-two", "c-three"]) {
      const r = await h.request({
        method: "POST",
        url: "/api/v1/projects",
        headers: bearer(token),
        payload: { slug },
      });
      assert.equal(r.statusCode, 201, r.body);
    }
    // Even a canceled row (a webhook without plans) refuses nothing.
    await h.db.query(
      "INSERT INTO subscriptions (user_id, status, created_at, updated_at) VALUES ($1, 'canceled', now(), now())",
      [carol],
    );
    const r = await h.request({
      method: "POST",
      url: "/api/v1/projects",
      headers: bearer(token),
      payload: { slug: "c-four" },
    });
    assert.equal(r.statusCode, 201, r.body);
    const usage = await h.request({ method: "GET", url: "/api/v1/usage", headers: bearer(token) });
    assert.equal(usage.statusCode, 200, usage.body);
    assert.deepEqual(usage.json().plan, { id: "unlimited", name: "Unlimited" });
    assert.deepEqual(usage.json().limits, {
      projects: null,
      builds_per_month: null,
      storage_bytes: null,
      targets: null,
    });
    assert.equal(usage.json().used.projects, 4);
    // A project row without a billing user (written by SQL, or its user deleted) counts for its first owner.
    await h.db.query(
      `WITH p AS (INSERT INTO projects (slug, created_at) VALUES ('c-five', now()) RETURNING id)
       INSERT INTO memberships (project_id, user_id, role, created_at) SELECT id, $1, 'owner', now() FROM p`,
      [carol],
    );
    const more = await h.request({ method: "GET", url: "/api/v1/usage", headers: bearer(token) });
    assert.equal(more.json().used.projects, 5);
  });
});

/** A signed-in browser against the app: its cookies, the last page's CSRF token, form posts. */
async function signedIn(h: Harness, email: string) {
  const cookies = new Map<string, string>();
  const b = {
    csrf: "",
    header: () => [...cookies].map(([k, v]) => `${k}=${v}`).join("; "),
    take(r: LightMyRequestResponse) {
      for (const c of r.cookies as { name: string; value: string }[])
        if (c.value === "") cookies.delete(c.name);
        else cookies.set(c.name, c.value);
      const m = /name="_csrf" value="([^"]+)"/.exec(r.body);
      if (m !== null) b.csrf = m[1]!;
      return r;
    },
    get: async (url: string) =>
      b.take(await h.request({ method: "GET", url, headers: { cookie: b.header() } })),
    /** A multipart/form-data POST of `parts` (a part with a filename is a file). */
    async multipart(url: string, parts: { name: string; value: string | Buffer; filename?: string }[]) {
      const boundary = `----packyard${randomBytes(8).toString("hex")}`;
      const body = Buffer.concat([
        ...parts.flatMap((p) => [
          Buffer.from(
            `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"` +
              (p.filename === undefined
                ? "\r\n\r\n"
                : `; filename="${p.filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`),
          ),
          Buffer.from(p.value),
          Buffer.from("\r\n"),
        ]),
        Buffer.from(`--${boundary}--\r\n`),
      ]);
      return b.take(
        await h.request({
          method: "POST",
          url,
          headers: { cookie: b.header(), "content-type": `multipart/form-data; boundary=${boundary}` },
          payload: body,
        }),
      );
    },
  };
  await b.get("/sign-in");
  const r = b.take(
    await h.request({
      method: "POST",
      url: "/sign-in",
      headers: { cookie: b.header(), "content-type": "application/x-www-form-urlencoded" },
      payload: new URLSearchParams({ _csrf: b.csrf, email, password: PASSWORD }).toString(),
    }),
  );
  assert.equal(r.statusCode, 303, r.body);
  return b;
}

/** Writes refused with the status named, reads answered, after the subscription is set to canceled. */
async function inactiveChecks(h: Harness): Promise<void> {
  const dave = await h.user("dave");
  const { token } = await h.token(dave, ["read", "write", "publish"]);
  const call = (method: "GET" | "POST" | "PUT", url: string, payload?: unknown, headers = {}) =>
    h.request({
      method,
      url,
      headers: { ...bearer(token), ...headers },
      ...(payload === undefined ? {} : { payload: payload as string }),
    });
  let r = await call("POST", "/api/v1/projects", { slug: "lapsed" });
  assert.equal(r.statusCode, 201, r.body);
  r = await call("PUT", "/api/v1/projects/lapsed/packages/hello", CONFIG, { "content-type": "text/yaml" });
  assert.equal(r.statusCode, 201, r.body);
  await h.db.query(
    `INSERT INTO subscriptions (user_id, status, created_at, updated_at) VALUES ($1, 'canceled', now(), now())
     ON CONFLICT (user_id) DO UPDATE SET status = 'canceled'`,
    [dave],
  );
  const before = await snapshot(h.db, h.storage);
  const writes: [string, Promise<Awaited<ReturnType<typeof call>>>][] = [
    ["create a project", call("POST", "/api/v1/projects", { slug: "lapsed-two" })],
    [
      "upload packyard.yml",
      call("PUT", "/api/v1/projects/lapsed/packages/hello", CONFIG, { "content-type": "text/yaml" }),
    ],
    [
      "upload a file",
      call("PUT", "/api/v1/projects/lapsed/packages/hello/files/src.tar.gz", Buffer.from("x"), {
        "content-type": "application/octet-stream",
      }),
    ],
    [
      "upload a package",
      call(
        "PUT",
        "/api/v1/projects/lapsed/packages/hello/releases/1.0.0/artifacts/hello_1.0.0_amd64.deb",
        Buffer.from("x"),
        {
          "content-type": "application/octet-stream",
        },
      ),
    ],
    [
      "create a release",
      call("POST", "/api/v1/projects/lapsed/packages/hello/releases", { version: "1.0.0" }),
    ],
    [
      "request a build",
      call("POST", "/api/v1/projects/lapsed/packages/hello/builds", {
        version: "1.0.0",
        targets: ["debian-12"],
      }),
    ],
    ["publish", call("POST", "/api/v1/projects/lapsed/repository/publish", {})],
  ];
  for (const [what, pending] of writes) {
    const w = await pending;
    assert.equal(w.statusCode, 403, `${what}: ${w.body}`);
    const e = errorOf(w);
    assert.equal(e.code, "SUBSCRIPTION_INACTIVE", what);
    assert.equal(e.details.status, "canceled", what);
    assert.match(e.message, /canceled/, what);
  }
  assert.deepEqual(await snapshot(h.db, h.storage), before);
  for (const url of ["/api/v1/projects", "/api/v1/projects/lapsed/packages/hello", "/api/v1/usage"]) {
    const read = await call("GET", url);
    assert.equal(read.statusCode, 200, `${url}: ${read.body}`);
  }
  assert.equal((await call("GET", "/api/v1/usage")).json().status, "canceled");
}

secretsNeverLeak();
