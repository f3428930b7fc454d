// Sessions, CSRF and the signed-in pages through app.inject, on PGlite and PostgreSQL: cookie flags, the
// CSRF checks on the API's routes and the pages' forms, Bearer calls untouched, idle and absolute expiry
// (the test clock moves), sign out everywhere, a token shown once, no key material or token hash in any
// page, and user input escaped on every page.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { type TestContext, test } from "node:test";
import { fileURLToPath } from "node:url";
import type { LightMyRequestResponse } from "fastify";
import { loadPlansFile } from "../src/billing/plans.ts";
import { putWebhook } from "../src/builds/github.ts";
import {
  bearer,
  errorOf,
  type Harness,
  harness,
  secret,
  secretsNeverLeak,
  TEST_MASTER_KEY,
} from "./app-harness.ts";
import { eachDb, type FreshDb } from "./dbs.ts";

const PASSWORD = secret("correct horse battery staple");
const HOUR = 3600_000;

/** A browser's state against the app: its cookies and the last page's CSRF token. */
class Browser {
  cookies = new Map<string, string>();
  csrf = "";
  readonly h: Harness;
  constructor(h: Harness) {
    this.h = h;
  }
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }
  take(r: LightMyRequestResponse): void {
    for (const c of r.cookies as { name: string; value: string; expires?: Date }[]) {
      if (c.value === "" || (c.expires !== undefined && c.expires.getTime() <= Date.now()))
        this.cookies.delete(c.name);
      else this.cookies.set(c.name, c.value);
    }
    const m = /name="_csrf" value="([^"]+)"/.exec(r.body);
    if (m !== null) this.csrf = m[1]!;
  }
  async get(url: string): Promise<LightMyRequestResponse> {
    const r = await this.h.request({ method: "GET", url, headers: { cookie: this.header() } });
    this.take(r);
    return r;
  }
  async post(url: string, form: Record<string, string | string[]>, headers: Record<string, string> = {}) {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(form)) for (const x of [v].flat()) body.append(k, x);
    const r = await this.h.request({
      method: "POST",
      url,
      headers: { cookie: this.header(), "content-type": "application/x-www-form-urlencoded", ...headers },
      payload: body.toString(),
    });
    this.take(r);
    return r;
  }
  async signIn(email: string, password: string = PASSWORD): Promise<LightMyRequestResponse> {
    await this.get("/sign-in");
    return this.post("/sign-in", { _csrf: this.csrf, email, password });
  }
}

async function setUp(t: TestContext, fresh: (t: TestContext) => Promise<FreshDb | undefined>, config = {}) {
  const h = await harness(t, fresh, config);
  if (h === undefined) return undefined;
  const userId = await h.user("ada", { password: PASSWORD });
  return { h, userId };
}

const PAYLOADS = [
  "<script>alert(1)</script>",
  '"><img src=x onerror=alert(1)>',
  "</script><script>alert(2)</script>",
];

eachDb((_kind, fresh) => {
  test("sign-in sets an HttpOnly, SameSite=Lax, Path=/ session cookie; Secure behind an https public URL", async (t) => {
    const s = await setUp(t, fresh);
    if (s === undefined) return;
    const b = new Browser(s.h);
    const wrong = await b.signIn("ada@example.org", "not the password at all");
    assert.equal(wrong.statusCode, 401);
    assert.equal(b.cookies.has("packyard_session"), false);
    const r = await b.signIn("ada@example.org");
    assert.equal(r.statusCode, 303, r.body);
    assert.equal(r.headers.location, "/");
    const raw = [r.headers["set-cookie"]].flat().find((c) => String(c).startsWith("packyard_session="));
    assert.ok(raw !== undefined, "a session cookie");
    assert.match(String(raw), /; HttpOnly/);
    assert.match(String(raw), /; SameSite=Lax/);
    assert.match(String(raw), /; Path=\/(;|$)/);
    assert.doesNotMatch(String(raw), /; Secure/);
    // 32 random bytes, stored as their SHA-256 only.
    const value = b.cookies.get("packyard_session")!;
    assert.match(value, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(Buffer.from(value, "base64url").length, 32);
    const { rows } = await s.h.db.query<{ id_sha256: Uint8Array }>("SELECT id_sha256 FROM sessions");
    assert.equal(rows.length, 1);
    assert.deepEqual(Buffer.from(rows[0]!.id_sha256), createHash("sha256").update(value).digest());
    const home = await b.get("/");
    assert.equal(home.statusCode, 200);
    assert.match(home.body, /Signed in as <strong>ada<\/strong>/);

    const secure = await setUp(t, fresh, { publicUrl: "https://packages.example.org" });
    if (secure === undefined) return;
    const sb = new Browser(secure.h);
    const sr = await sb.signIn("ada@example.org");
    assert.equal(sr.statusCode, 303);
    const sraw = [sr.headers["set-cookie"]].flat().find((c) => String(c).startsWith("packyard_session="));
    assert.match(String(sraw), /; Secure/);
  });

  test("a cookie POST without the CSRF token or from a foreign Origin is 403 CSRF_INVALID; Bearer calls are unaffected", async (t) => {
    const s = await setUp(t, fresh);
    if (s === undefined) return;
    const b = new Browser(s.h);
    await b.signIn("ada@example.org");
    await b.get("/");
    const api = (headers: Record<string, string>, slug: string) =>
      s.h.request({
        method: "POST",
        url: "/api/v1/projects",
        headers: { cookie: b.header(), "content-type": "application/json", ...headers },
        payload: { slug },
      });
    // Pages keep their referrer on the site only, so browsers send the real Origin on form posts.
    assert.equal((await b.get("/")).headers["referrer-policy"], "same-origin");
    const none = await api({}, "no-token");
    assert.equal(none.statusCode, 403);
    assert.equal(errorOf(none).code, "CSRF_INVALID");
    const forged = await api({ "x-csrf-token": "1-2-3" }, "forged");
    assert.equal(errorOf(forged).code, "CSRF_INVALID");
    const foreign = await api({ "x-csrf-token": b.csrf, origin: "https://evil.example" }, "foreign");
    assert.equal(foreign.statusCode, 403);
    assert.equal(errorOf(foreign).code, "CSRF_INVALID");
    const crossSite = await api({ "x-csrf-token": b.csrf, "sec-fetch-site": "cross-site" }, "cross");
    assert.equal(errorOf(crossSite).code, "CSRF_INVALID");
    // A malformed CSRF cookie (`%` alone) is a refusal, not a 500.
    const malformed = await s.h.request({
      method: "POST",
      url: "/api/v1/projects",
      headers: {
        cookie: `${b.header().replace(/packyard_csrf=[^;]*/, "packyard_csrf=%")}`,
        "content-type": "application/json",
        "x-csrf-token": b.csrf,
      },
      payload: { slug: "malformed" },
    });
    assert.equal(malformed.statusCode, 403, malformed.body);
    assert.equal(errorOf(malformed).code, "CSRF_INVALID");
    // Origin "null" (a sandboxed frame) is foreign unless the browser says same-origin (Chromium's form posts
    // under Referrer-Policy: no-referrer sent exactly that; the pages now send same-origin).
    const nullOrigin = await api({ "x-csrf-token": b.csrf, origin: "null" }, "null-origin");
    assert.equal(errorOf(nullOrigin).code, "CSRF_INVALID");
    const nullCross = await api(
      { "x-csrf-token": b.csrf, origin: "null", "sec-fetch-site": "cross-site" },
      "x",
    );
    assert.equal(errorOf(nullCross).code, "CSRF_INVALID");
    const nullSame = await api(
      { "x-csrf-token": b.csrf, origin: "null", "sec-fetch-site": "same-origin" },
      "null-same-origin",
    );
    assert.equal(nullSame.statusCode, 201, nullSame.body);
    const ok = await api(
      { "x-csrf-token": b.csrf, origin: "http://localhost:80", "sec-fetch-site": "same-origin" },
      "with-token",
    );
    assert.equal(ok.statusCode, 201, ok.body);
    // The form routes: without the field, 403 and nothing made.
    const form = await b.post("/projects", { slug: "form-no-token" });
    assert.equal(form.statusCode, 403);
    assert.match(form.body, /CSRF_INVALID/);
    const formOk = await b.post("/projects", { _csrf: b.csrf, slug: "form-made" });
    assert.equal(formOk.statusCode, 303, formOk.body);
    // A token made for another session does not pass.
    const other = new Browser(s.h);
    await other.signIn("ada@example.org");
    await other.get("/");
    const swapped = await b.post("/projects", { _csrf: other.csrf, slug: "swapped" });
    assert.equal(swapped.statusCode, 403);
    // Sign-in itself needs the pre-session token.
    const bare = new Browser(s.h);
    const noToken = await bare.post("/sign-in", { email: "ada@example.org", password: PASSWORD });
    assert.equal(noToken.statusCode, 403);
    assert.equal(bare.cookies.has("packyard_session"), false);
    // Bearer: no cookie, no token, no Origin check.
    const token = await s.h.token(s.userId, ["read", "write"]);
    const viaToken = await s.h.request({
      method: "POST",
      url: "/api/v1/projects",
      headers: { ...bearer(token.token), origin: "https://elsewhere.example" },
      payload: { slug: "by-token" },
    });
    assert.equal(viaToken.statusCode, 201, viaToken.body);
    // With both, the token wins and the cookie (and its CSRF rule) is not looked at.
    const both = await s.h.request({
      method: "POST",
      url: "/api/v1/projects",
      headers: { ...bearer(token.token), cookie: b.header() },
      payload: { slug: "both" },
    });
    assert.equal(both.statusCode, 201, both.body);
    const { rows } = await s.h.db.query<{ slug: string }>("SELECT slug FROM projects ORDER BY slug");
    assert.deepEqual(
      rows.map((r) => r.slug),
      ["both", "by-token", "form-made", "null-same-origin", "with-token"],
    );
    // Reads with the cookie need no token.
    const list = await s.h.request({
      method: "GET",
      url: "/api/v1/projects",
      headers: { cookie: b.header() },
    });
    assert.equal(list.statusCode, 200);
  });

  test("idle expiry slides with use; absolute expiry ends the session anyway; pages redirect, the API answers 401 SESSION_EXPIRED", async (t) => {
    const s = await setUp(t, fresh);
    if (s === undefined) return;
    const b = new Browser(s.h);
    await b.signIn("ada@example.org");
    const cookie = b.header();
    s.h.clock.advance(11 * HOUR);
    assert.equal((await b.get("/")).statusCode, 200, "used within 12 h");
    s.h.clock.advance(11 * HOUR);
    assert.equal((await b.get("/")).statusCode, 200, "the idle expiry slid forward");
    s.h.clock.advance(12 * HOUR + 1);
    const apiIdle = await s.h.request({ method: "GET", url: "/api/v1/projects", headers: { cookie } });
    assert.equal(apiIdle.statusCode, 401);
    assert.equal(errorOf(apiIdle).code, "SESSION_EXPIRED");
    const page = await s.h.request({ method: "GET", url: "/", headers: { cookie } });
    assert.equal(page.statusCode, 303);
    assert.equal(page.headers.location, "/sign-in");

    // Absolute: used every 11 h, the session still ends 14 days after sign-in.
    const a = new Browser(s.h);
    await a.signIn("ada@example.org");
    const start = s.h.clock.time;
    while (s.h.clock.time + 11 * HOUR < start + 14 * 24 * HOUR) {
      s.h.clock.advance(11 * HOUR);
      assert.equal((await a.get("/")).statusCode, 200);
    }
    s.h.clock.time = start + 14 * 24 * HOUR;
    const late = await s.h.request({
      method: "GET",
      url: "/api/v1/projects",
      headers: { cookie: a.header() },
    });
    assert.equal(errorOf(late).code, "SESSION_EXPIRED");
  });

  test("sign out ends one session; sign out everywhere ends all of the user's", async (t) => {
    const s = await setUp(t, fresh);
    if (s === undefined) return;
    const one = new Browser(s.h);
    const two = new Browser(s.h);
    const three = new Browser(s.h);
    for (const b of [one, two, three]) {
      await b.signIn("ada@example.org");
      await b.get("/");
    }
    const c1 = one.header();
    const out = await one.post("/sign-out", { _csrf: one.csrf });
    assert.equal(out.statusCode, 303);
    assert.equal(
      errorOf(await s.h.request({ method: "GET", url: "/api/v1/projects", headers: { cookie: c1 } })).code,
      "SESSION_EXPIRED",
    );
    assert.equal((await two.get("/")).statusCode, 200, "another session lives on");
    const c2 = two.header();
    const c3 = three.header();
    const all = await two.post("/sign-out-everywhere", { _csrf: two.csrf });
    assert.equal(all.statusCode, 303);
    for (const c of [c2, c3]) {
      const r = await s.h.request({ method: "GET", url: "/api/v1/projects", headers: { cookie: c } });
      assert.equal(errorOf(r).code, "SESSION_EXPIRED");
    }
    // The next sign-in takes the user's ended sessions away: only the new one is left.
    const count = async () =>
      Number(
        (
          await s.h.db.query<{ n: number }>("SELECT count(*) AS n FROM sessions WHERE user_id = $1", [
            s.userId,
          ])
        ).rows[0]!.n,
      );
    assert.equal(await count(), 3, "ended sessions are kept until the next sign-in");
    const four = new Browser(s.h);
    await four.signIn("ada@example.org");
    assert.equal(await count(), 1);
    assert.equal((await four.get("/")).statusCode, 200);
  });

  test("a token is shown in the answer to its creation and absent after reload; no page holds key material or token hashes", async (t) => {
    const s = await setUp(t, fresh);
    if (s === undefined) return;
    const b = new Browser(s.h);
    await b.signIn("ada@example.org");
    await b.get("/settings/tokens");
    // The API's grant rules (accounts/tokens.ts grantToken) refuse on the page too, naming the field.
    const noScope = await b.post("/settings/tokens", { _csrf: b.csrf, name: "none" });
    assert.equal(noScope.statusCode, 400, noScope.body);
    assert.match(noScope.body, /role="alert"[\s\S]*INVALID_REQUEST[\s\S]*scopes/);
    const admin = await b.post("/settings/tokens", {
      _csrf: b.csrf,
      name: "root",
      scopes: ["read", "admin"],
    });
    assert.equal(admin.statusCode, 403, admin.body);
    assert.match(admin.body, /FORBIDDEN[\s\S]*admin scope only on an administrator/);
    const long = await b.post("/settings/tokens", { _csrf: b.csrf, name: "x".repeat(101), scopes: "read" });
    assert.equal(long.statusCode, 400, long.body);
    assert.equal((await s.h.db.query("SELECT id FROM api_tokens")).rows.length, 0, "nothing was issued");
    const made = await b.post("/settings/tokens", { _csrf: b.csrf, name: "ci", scopes: ["read", "write"] });
    assert.equal(made.statusCode, 201, made.body);
    const token = secret(/pky_[A-Za-z0-9_-]{43}/.exec(made.body)?.[0] ?? "");
    assert.notEqual(token, "", "the new token is on the page");
    const again = await b.get("/settings/tokens");
    assert.equal(again.statusCode, 200);
    assert.equal(again.body.includes(token), false, "the token is not shown again");
    assert.match(again.body, />ci</);
    // It works, and the page can revoke it.
    assert.equal(
      (await s.h.request({ method: "GET", url: "/api/v1/projects", headers: bearer(token) })).statusCode,
      200,
    );
    const id = /\/settings\/tokens\/(\d+)\/revoke/.exec(again.body)?.[1];
    assert.ok(id !== undefined);
    assert.equal((await b.post(`/settings/tokens/${id}/revoke`, { _csrf: b.csrf })).statusCode, 303);
    assert.equal(
      (await s.h.request({ method: "GET", url: "/api/v1/projects", headers: bearer(token) })).statusCode,
      401,
    );

    // Every page of a project with keys, a package, a file, a build and a webhook: no secret material.
    await b.get("/");
    assert.equal((await b.post("/projects", { _csrf: b.csrf, slug: "keys-here" })).statusCode, 303);
    const pages = await everyPage(s.h, b, "keys-here");
    const { rows: hashes } = await s.h.db.query<{ token_sha256: Uint8Array }>(
      "SELECT token_sha256 FROM api_tokens",
    );
    const { rows: sessionHashes } = await s.h.db.query<{ id_sha256: Uint8Array }>(
      "SELECT id_sha256 FROM sessions",
    );
    const forbidden = [
      "BEGIN PGP PRIVATE",
      "BEGIN RSA PRIVATE",
      "BEGIN PRIVATE",
      "BEGIN ENCRYPTED PRIVATE",
      ...[...hashes.map((r) => r.token_sha256), ...sessionHashes.map((r) => r.id_sha256)].flatMap((h) => [
        Buffer.from(h).toString("hex"),
        Buffer.from(h).toString("base64"),
        Buffer.from(h).toString("base64url"),
      ]),
    ];
    assert.ok(pages.length >= 9, `pages visited: ${pages.length}`);
    for (const [url, body] of pages)
      for (const f of forbidden) assert.equal(body.includes(f), false, `${url} holds ${f.slice(0, 20)}…`);
    const keys = pages.find(([u]) => u.endsWith("/keys"))![1];
    assert.match(keys, /([0-9A-F]{4} ){9}[0-9A-F]{4}/, "a full fingerprint in groups of four");
  });

  test("the plan page shows what GET /api/v1/usage answers: plan, status, period, used and allowed; unlimited for null limits", async (t) => {
    const plans = await loadPlansFile(fileURLToPath(new URL("./fixtures/plans/quota.json", import.meta.url)));
    const s = await setUp(t, fresh, { plans });
    if (s === undefined) return;
    const b = new Browser(s.h);
    await b.signIn("ada@example.org");
    await b.get("/");
    assert.equal((await b.post("/projects", { _csrf: b.csrf, slug: "counted" })).statusCode, 303);
    // A build request counts in the period (the plan allows 2).
    await b.get("/projects/counted");
    const boundary = "----packyard-plan";
    const pkg = await s.h.request({
      method: "POST",
      url: "/projects/counted/packages",
      headers: { cookie: b.header(), "content-type": `multipart/form-data; boundary=${boundary}` },
      payload: `--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${b.csrf}\r\n--${boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\nhello\r\n--${boundary}\r\nContent-Disposition: form-data; name="config"\r\n\r\nname: hello\nversion: 1.0.0\narch: amd64\ndescription: hi\n\r\n--${boundary}--\r\n`,
    });
    assert.equal(pkg.statusCode, 303, pkg.body);
    await b.get("/projects/counted/packages/hello");
    const build = await b.post("/projects/counted/packages/hello/builds", {
      _csrf: b.csrf,
      version: "1.0.0",
      targets: "debian-12",
    });
    assert.equal(build.statusCode, 303, build.body);

    const api = await s.h.request({ method: "GET", url: "/api/v1/usage", headers: { cookie: b.header() } });
    assert.equal(api.statusCode, 200, api.body);
    const usage = api.json() as {
      plan: { id: string; name: string };
      status: string;
      used: Record<string, number>;
      period: { start: string; end: string };
    };
    assert.deepEqual(usage.used, { projects: 1, builds_per_month: 1, storage_bytes: 0 });
    const page = await b.get("/settings/plan");
    assert.equal(page.statusCode, 200);
    const row = (label: string) => {
      const m = new RegExp(`<th scope="row">${label}</th><td>([^<]*)</td><td>([^<]*)</td>`).exec(
        page.body.replace(/>\s+</g, "><"),
      );
      assert.ok(m !== null, `a row for ${label}`);
      return [m[1], m[2]];
    };
    // Independent of the page's code: the fixture's limits and the rows made above.
    assert.deepEqual(row("Projects"), ["1", "1"]);
    assert.deepEqual(row("Builds this period"), ["1", "2"]);
    assert.deepEqual(row("Storage"), ["0 bytes", "1048576 bytes (1.0 MiB)"]);
    assert.equal(row("Targets in one build request")[1], "2");
    assert.match(page.body, /<strong>Free<\/strong> \(free\)/);
    assert.match(page.body, />active</);
    assert.ok(page.body.includes(`datetime="${usage.period.start}"`), "the period's start");
    assert.ok(page.body.includes(`datetime="${usage.period.end}"`), "the period's end");

    // Without a plans file: the unlimited plan, every limit "unlimited".
    const free = await setUp(t, fresh);
    if (free === undefined) return;
    const fb = new Browser(free.h);
    await fb.signIn("ada@example.org");
    const open = await fb.get("/settings/plan");
    assert.equal(open.statusCode, 200);
    const cells = [
      ...open.body
        .replace(/>\s+</g, "><")
        .matchAll(/<th scope="row">[^<]*<\/th><td>[^<]*<\/td><td>([^<]*)<\/td>/g),
    ];
    assert.deepEqual(
      cells.map((m) => m[1]),
      ["unlimited", "unlimited", "unlimited", "unlimited"],
    );
    assert.match(open.body, /<strong>Unlimited<\/strong> \(unlimited\)/);
  });

  test("the settings page shows the GitHub webhook to maintainers and owners only, as the API does", async (t) => {
    const s = await setUp(t, fresh);
    if (s === undefined) return;
    const owner = new Browser(s.h);
    await owner.signIn("ada@example.org");
    await owner.get("/");
    assert.equal((await owner.post("/projects", { _csrf: owner.csrf, slug: "hooked" })).statusCode, 303);
    const { rows } = await s.h.db.query<{ id: number }>("SELECT id FROM projects WHERE slug = 'hooked'");
    const projectId = rows[0]!.id;
    await s.h.db.query(
      "INSERT INTO packages (project_id, name, config, created_at, updated_at) VALUES ($1, 'hello', $2, $3, $3)",
      [projectId, "name: hello\nversion: 1.0.0\narch: amd64\n", s.h.clock.now()],
    );
    const made = await putWebhook(
      { db: s.h.db, masterKey: TEST_MASTER_KEY, clock: s.h.clock },
      projectId,
      { package: "hello", assets: [], pushAccessName: null },
      null,
    );
    secret(made.secret!);
    for (const [slug, role] of [
      ["vera", "viewer"],
      ["max", "maintainer"],
    ] as const) {
      const id = await s.h.user(slug, { password: PASSWORD });
      await s.h.db.query(
        "INSERT INTO memberships (project_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)",
        [projectId, id, role, s.h.clock.now()],
      );
    }
    const seen = async (email: string) => {
      const b = new Browser(s.h);
      await b.signIn(email);
      const page = await b.get("/projects/hooked/settings");
      assert.equal(page.statusCode, 200, page.body);
      return /GitHub webhook/.test(page.body) && /Builds package hello/.test(page.body);
    };
    assert.equal(await seen("ada@example.org"), true, "the owner sees the webhook");
    assert.equal(await seen("max@example.org"), true, "a maintainer sees the webhook");
    assert.equal(await seen("vera@example.org"), false, "a viewer does not");
  });

  test("project, package and release fields holding markup are escaped on every page", async (t) => {
    const s = await setUp(t, fresh);
    if (s === undefined) return;
    const b = new Browser(s.h);
    await b.signIn("ada@example.org");
    await b.get("/");
    const name = PAYLOADS.join(" ");
    const made = await b.post("/projects", { _csrf: b.csrf, slug: "escapes", displayName: name });
    assert.equal(made.statusCode, 303, made.body);
    const pages = await everyPage(s.h, b, "escapes", {
      description: PAYLOADS.join(" "),
      release: '1<script>"><b>x',
    });
    let seen = 0;
    for (const [url, body] of pages) {
      for (const p of PAYLOADS) assert.equal(body.includes(p), false, `${url} holds ${p} unescaped`);
      assert.equal(/<img|<b>x|<script>alert/.test(body), false, `${url} holds an injected element`);
      // Only the site's own script element (static/app.js) and data islands are in a page.
      for (const m of body.matchAll(/<script\b[^>]*>/g))
        assert.match(m[0], /src="\/static\/app\.js"|type="application\/json"/, `${url}: ${m[0]}`);
      if (/&lt;script(&gt;|>)alert\(1\)&lt;\/script/.test(body)) seen++;
    }
    assert.ok(seen >= 2, `the escaped text is shown (on ${seen} pages)`);
    const releases = pages.find(([u]) => u.endsWith("/releases"))![1];
    assert.match(releases, /1&lt;script(&gt;|>)("|&quot;)(&gt;|>)&lt;b(&gt;|>)x/);
  });
});

/**
 * Makes a package (config with `description`), a source file, a release, a build and a webhook in
 * `project`, then GETs every dashboard page; returns [url, body] pairs (all 200).
 */
async function everyPage(
  h: Harness,
  b: Browser,
  project: string,
  o: { description?: string; release?: string } = {},
): Promise<[string, string][]> {
  const { rows } = await h.db.query<{ id: number }>("SELECT id FROM projects WHERE slug = $1", [project]);
  const projectId = rows[0]!.id;
  const config = `name: hello\nversion: 1.0.0\narch: amd64\ndescription: ${JSON.stringify(o.description ?? "A greeting")}\n`;
  await b.get(`/projects/${project}`);
  const boundary = "----packyard-test";
  const multipart = (parts: { name: string; value: string; filename?: string }[]) =>
    parts
      .map(
        (p) =>
          `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"${p.filename === undefined ? "" : `; filename="${p.filename}"`}\r\n${p.filename === undefined ? "" : "Content-Type: application/octet-stream\r\n"}\r\n${p.value}\r\n`,
      )
      .join("") + `--${boundary}--\r\n`;
  const post = (url: string, body: string) =>
    h.request({
      method: "POST",
      url,
      headers: { cookie: b.header(), "content-type": `multipart/form-data; boundary=${boundary}` },
      payload: body,
    });
  const pkg = await post(
    `/projects/${project}/packages`,
    multipart([
      { name: "_csrf", value: b.csrf },
      { name: "name", value: "hello" },
      { name: "config_file", value: config, filename: "packyard.yml" },
    ]),
  );
  assert.equal(pkg.statusCode, 303, pkg.body);
  await b.get(`/projects/${project}/packages/hello`);
  const file = await post(
    `/projects/${project}/packages/hello/files`,
    multipart([
      { name: "_csrf", value: b.csrf },
      { name: "accessName", value: "" },
      { name: "file", value: "source bytes\n", filename: "hello.tar.gz" },
    ]),
  );
  assert.equal(file.statusCode, 303, file.body);
  const { rows: pk } = await h.db.query<{ id: number }>("SELECT id FROM packages WHERE project_id = $1", [
    projectId,
  ]);
  const now = h.clock.now();
  await h.db.query(
    "INSERT INTO releases (package_id, project_id, version, created_at) VALUES ($1, $2, $3, $4)",
    [pk[0]!.id, projectId, o.release ?? "1.0.0", now],
  );
  const build = await b.post(`/projects/${project}/packages/hello/builds`, {
    _csrf: b.csrf,
    version: "1.0.0",
    targets: "debian-12",
  });
  assert.equal(build.statusCode, 303, build.body);
  const buildUrl = build.headers.location as string;
  const urls = [
    "/",
    `/projects/${project}`,
    `/projects/${project}/packages/hello`,
    `/projects/${project}/releases`,
    `/projects/${project}/builds`,
    buildUrl,
    `/projects/${project}/keys`,
    `/projects/${project}/repositories`,
    `/projects/${project}/settings`,
    "/settings/tokens",
    "/settings/plan",
  ];
  const out: [string, string][] = [];
  for (const url of urls) {
    const r = await b.get(url);
    assert.equal(r.statusCode, 200, `${url}: ${r.body.slice(0, 300)}`);
    assert.match(String(r.headers["content-type"]), /^text\/html/);
    out.push([url, r.body]);
  }
  return out;
}

secretsNeverLeak();
