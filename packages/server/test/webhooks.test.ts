// The GitHub webhook (issue 20 item 8) against a fake GitHub API on 127.0.0.1: its settings routes, the
// signature check over the raw body (every bad form → 401 and nothing written), deduplication by delivery
// id, ping, ignored events, a published release whose asset becomes the package's file and one build, and
// tag pushes with and without a push access name. Runs on PGlite and PostgreSQL.
import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, type TestContext, test } from "node:test";
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from "fastify";
import { signBody } from "../src/builds/github.ts";
import { blobKey, buildApp, serverLogger } from "../src/index.ts";
import {
  bearer,
  errorOf,
  type Harness,
  harness,
  secret,
  secretsNeverLeak,
  TEST_MASTER_KEY,
  TEST_SCRYPT,
} from "./app-harness.ts";
import { eachDb, type FreshDb } from "./dbs.ts";

// --- the fake GitHub API -----------------------------------------------------------------------------

const ASSET = Buffer.from("#!/bin/sh\necho hello 1.2.0\n");
const SUMS = Buffer.from("sums\n");
const TARBALL = Buffer.from("tarball of v1.3.0 (not really gzip)\n");
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

let github: Server;
let githubUrl = "";
/** Requests the fake saw: method, path and Accept header. */
const seen: { path: string; accept: string | undefined }[] = [];

/** Asset and tarball bytes by the fake's storage path (API paths redirect there, as GitHub does). */
const STORED: Record<string, Buffer> = {
  "/storage/asset-7": ASSET,
  "/storage/asset-8": SUMS,
  "/storage/tarball-v1.3.0": TARBALL,
};

function route(req: IncomingMessage): { status: number; headers?: Record<string, string>; body?: Buffer } {
  const path = req.url ?? "";
  const asset = /^\/repos\/acme\/hello\/releases\/assets\/(\d+)$/.exec(path);
  if (asset !== null) {
    // The API answers JSON metadata unless asked for the bytes.
    if (req.headers.accept !== "application/octet-stream")
      return { status: 200, headers: { "content-type": "application/json" }, body: Buffer.from("{}") };
    return { status: 302, headers: { location: `${githubUrl}/storage/asset-${asset[1]}` } };
  }
  const tarball = /^\/repos\/acme\/hello\/tarball\/([^/]+)$/.exec(path);
  if (tarball !== null) return { status: 302, headers: { location: `/storage/tarball-${tarball[1]}` } };
  const bytes = STORED[path];
  if (bytes !== undefined)
    return { status: 200, headers: { "content-type": "application/octet-stream" }, body: bytes };
  return { status: 404, body: Buffer.from('{"message":"Not Found"}') };
}

before(async () => {
  github = createServer((req, res) => {
    seen.push({ path: req.url ?? "", accept: req.headers.accept });
    const r = route(req);
    res.writeHead(r.status, r.headers);
    res.end(r.body);
  });
  await new Promise<void>((resolve) => github.listen(0, "127.0.0.1", resolve));
  githubUrl = `http://127.0.0.1:${(github.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => github.close(() => resolve())));

// --- set-up --------------------------------------------------------------------------------------------

/** A packyard.yml whose only source is the access name the release asset fills. */
const CONFIG = `name: hello
version: 1.0.0
arch: all
maintainer: Hello <hello@example.org>
description: hello
contents:
  - src: hello-bin
    dst: /usr/bin/hello
`;

interface Setup {
  h: Harness;
  app: FastifyInstance;
  /** Log lines of the webhook app. */
  lines: string[];
  projectId: number;
  owner: string;
  maintainer: string;
}

/**
 * Project `acme` (owner, maintainer), package `hello`, a repository serving el-9 (the build's default
 * target), and an app with the webhook plugin over the harness's database and storage.
 */
async function setup(
  t: TestContext,
  fresh: (t: TestContext) => Promise<FreshDb | undefined>,
): Promise<Setup | undefined> {
  const h = await harness(t, fresh);
  if (h === undefined) return undefined;
  const now = h.clock.now();
  const { rows } = await h.db.query<{ id: number }>(
    "INSERT INTO projects (slug, created_at) VALUES ('acme', $1) RETURNING id",
    [now],
  );
  const projectId = rows[0]!.id;
  const ids = { owner: await h.user("owner"), maintainer: await h.user("maintainer") };
  for (const [id, role] of [
    [ids.owner, "owner"],
    [ids.maintainer, "maintainer"],
  ] as const)
    await h.db.query(
      "INSERT INTO memberships (project_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)",
      [projectId, id, role, now],
    );
  await h.db.query(
    "INSERT INTO packages (project_id, name, config, created_at, updated_at) VALUES ($1, 'hello', $2, $3, $3)",
    [projectId, CONFIG, now],
  );
  await h.db.query(
    `INSERT INTO repositories (project_id, name, settings, created_at, updated_at)
     VALUES ($1, 'main', '{"rpm": {"targets": ["el-9"]}}'::jsonb, $2, $2)`,
    [projectId, now],
  );
  const lines: string[] = [];
  const app = await buildApp(
    {
      db: h.db,
      storage: h.storage,
      masterKey: TEST_MASTER_KEY,
      clock: h.clock,
      logger: serverLogger({ level: "debug", destination: { write: (l: string) => void lines.push(l) } }),
      config: { scrypt: TEST_SCRYPT },
    },
    { builds: { hooks: { githubApiUrl: githubUrl, downloadTimeoutMs: 10_000 } } },
  );
  t.after(() => app.close());
  // The harness's own app logs one request, so the file's secrets check has its log to search.
  const owner = (await h.token(ids.owner, ["read", "write"])).token;
  const maintainer = (await h.token(ids.maintainer, ["read", "write"])).token;
  assert.equal(
    (await h.request({ method: "GET", url: "/api/v1/projects/acme", headers: bearer(owner) })).statusCode,
    200,
  );
  return { h, app, lines, projectId, owner, maintainer };
}

/** Sets the webhook (owner) and returns its secret. */
async function setWebhook(s: Setup, body: object): Promise<string> {
  const r = await s.app.inject({
    method: "PUT",
    url: "/api/v1/projects/acme/webhook",
    headers: bearer(s.owner),
    payload: body,
  });
  assert.equal(r.statusCode, 200, `${r.body} ${s.lines.filter((l) => l.includes('"level":50')).join("\n")}`);
  const made = r.json() as { secret?: string };
  assert.match(made.secret ?? "", /^[0-9a-f]{64}$/);
  return secret(made.secret!);
}

const RELEASE_WEBHOOK = {
  package: "hello",
  assets: [{ pattern: "hello-*-linux-amd64", accessName: "hello-bin" }],
};

const releasePayload = (tag = "v1.2.0", action = "published") => ({
  action,
  release: {
    tag_name: tag,
    assets: [
      { id: 7, name: "hello-1.2.0-linux-amd64", size: ASSET.length, digest: `sha256:${sha256(ASSET)}` },
      { id: 8, name: "hello-1.2.0.sha256sums", size: SUMS.length },
    ],
  },
  repository: { full_name: "acme/hello" },
});

let deliveries = 0;

/** A delivery as GitHub sends it; `sign` says how the signature header is made. */
function delivery(
  event: string,
  payload: object | Buffer,
  key: string,
  o: { id?: string; headers?: Record<string, string>; project?: string } = {},
): InjectOptions {
  const body = Buffer.isBuffer(payload) ? payload : Buffer.from(JSON.stringify(payload));
  return {
    method: "POST",
    url: `/hooks/github/${o.project ?? "acme"}`,
    headers: {
      "content-type": "application/json",
      "x-github-event": event,
      "x-github-delivery": o.id ?? `d-${++deliveries}`,
      "x-hub-signature-256": signBody(key, body),
      "user-agent": "GitHub-Hookshot/test",
      ...o.headers,
    },
    payload: body,
  };
}

async function count(s: Setup, table: "builds" | "webhook_deliveries" | "package_files"): Promise<number> {
  const { rows } = await s.h.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
  return rows[0]!.n;
}

/** The stored bytes of the package's file `accessName`. */
async function fileBytes(s: Setup, accessName: string): Promise<Buffer | undefined> {
  const { rows } = await s.h.db.query<{ blob_sha256: string }>(
    `SELECT f.blob_sha256 FROM package_files f JOIN packages p ON p.id = f.package_id
      WHERE p.name = 'hello' AND f.access_name = $1`,
    [accessName],
  );
  if (rows[0] === undefined) return undefined;
  const body = await s.h.storage.get(blobKey(rows[0].blob_sha256));
  assert.ok(body !== undefined, "the blob object exists");
  const chunks: Uint8Array[] = [];
  for await (const c of body) chunks.push(c);
  return Buffer.concat(chunks);
}

/** Every webhook secret made in this file, and the app's log lines: none may hold one. */
function noSecretInLog(s: Setup, secrets: readonly string[]): void {
  assert.ok(s.lines.length > 0, "the webhook app logged");
  for (const k of secrets)
    assert.equal(
      s.lines.find((l) => l.includes(k)),
      undefined,
      "a webhook secret in the log",
    );
}

eachDb((_kind, fresh) => {
  test("webhook settings: the owner sets it, the secret is shown once, sealed at rest, rotated and deleted", async (t) => {
    const s = await setup(t, fresh);
    if (s === undefined) return;
    const url = "/api/v1/projects/acme/webhook";
    // A maintainer may read but not set it; nothing to read yet.
    let r = await s.app.inject({
      method: "PUT",
      url,
      headers: bearer(s.maintainer),
      payload: RELEASE_WEBHOOK,
    });
    assert.equal(r.statusCode, 403, r.body);
    r = await s.app.inject({ method: "GET", url, headers: bearer(s.maintainer) });
    assert.equal(r.statusCode, 404, r.body);
    // Refused settings: unknown package, an access name twice, a pattern with a slash, a bad access name.
    for (const [body, status, code] of [
      [{ package: "nope" }, 404, "NOT_FOUND"],
      [
        {
          package: "hello",
          assets: [
            { pattern: "a*", accessName: "x" },
            { pattern: "b*", accessName: "x" },
          ],
        },
        400,
        "INVALID_REQUEST",
      ],
      [{ package: "hello", assets: [{ pattern: "dir/a*", accessName: "x" }] }, 400, "INVALID_REQUEST"],
      [{ package: "hello", pushAccessName: "../up" }, 400, "INVALID_NAME"],
    ] as const) {
      r = await s.app.inject({ method: "PUT", url, headers: bearer(s.owner), payload: body });
      assert.equal(r.statusCode, status, r.body);
      assert.equal(errorOf(r).code, code);
    }

    const first = await setWebhook(s, RELEASE_WEBHOOK);
    const { rows } = await s.h.db.query<{ secret_sealed: Uint8Array }>(
      "SELECT secret_sealed FROM project_webhooks",
    );
    assert.equal(rows.length, 1);
    assert.ok(
      !Buffer.from(rows[0]!.secret_sealed).includes(Buffer.from(first)),
      "the secret is not stored in clear",
    );
    assert.ok(!Buffer.from(rows[0]!.secret_sealed).includes(Buffer.from(first, "hex")));
    // Setting it again keeps the secret and does not show it.
    r = await s.app.inject({
      method: "PUT",
      url,
      headers: bearer(s.owner),
      payload: { ...RELEASE_WEBHOOK, pushAccessName: "source.tar.gz" },
    });
    assert.equal(r.statusCode, 200, r.body);
    const again = r.json() as Record<string, unknown>;
    assert.equal(again.secret, undefined);
    assert.equal(again.url, "/hooks/github/acme");
    assert.equal(again.pushAccessName, "source.tar.gz");
    r = await s.app.inject({ method: "GET", url, headers: bearer(s.maintainer) });
    assert.equal(r.statusCode, 200, r.body);
    const shown = r.json() as Record<string, unknown>;
    assert.equal(shown.secret, undefined);
    assert.deepEqual(shown.assets, RELEASE_WEBHOOK.assets);
    assert.equal(shown.package, "hello");
    assert.ok(!r.body.includes(first));
    assert.equal((await s.app.inject(delivery("ping", { zen: "hi" }, first))).statusCode, 200);

    // Rotation: a new secret, shown once; the old one no longer signs.
    r = await s.app.inject({ method: "POST", url: `${url}/secret`, headers: bearer(s.owner) });
    assert.equal(r.statusCode, 200, r.body);
    const second = secret((r.json() as { secret: string }).secret);
    assert.match(second, /^[0-9a-f]{64}$/);
    assert.notEqual(second, first);
    r = await s.app.inject(delivery("ping", { zen: "hi" }, first));
    assert.equal(r.statusCode, 401, r.body);
    assert.equal(errorOf(r).code, "BAD_SIGNATURE");
    assert.equal((await s.app.inject(delivery("ping", { zen: "hi" }, second))).statusCode, 200);
    r = await s.app.inject({ method: "POST", url: `${url}/secret`, headers: bearer(s.maintainer) });
    assert.equal(r.statusCode, 403, r.body);

    // Deleted: deliveries are 404, as for an unknown project.
    r = await s.app.inject({ method: "DELETE", url, headers: bearer(s.owner) });
    assert.equal(r.statusCode, 204, r.body);
    r = await s.app.inject(delivery("ping", { zen: "hi" }, second));
    assert.equal(r.statusCode, 404, r.body);
    r = await s.app.inject(delivery("ping", { zen: "hi" }, second, { project: "nobody" }));
    assert.equal(r.statusCode, 404, r.body);
    r = await s.app.inject({ method: "DELETE", url, headers: bearer(s.owner) });
    assert.equal(r.statusCode, 404, r.body);
    const { rows: audit } = await s.h.db.query<{ action: string }>(
      "SELECT action FROM audit_events WHERE action LIKE 'webhook.%' ORDER BY id",
    );
    assert.deepEqual(
      audit.map((a) => a.action),
      ["webhook.set", "webhook.set", "webhook.secret", "webhook.delete"],
    );
    noSecretInLog(s, [first, second]);
  });

  test("a bad or missing signature is 401 BAD_SIGNATURE and writes nothing", async (t) => {
    const s = await setup(t, fresh);
    if (s === undefined) return;
    const key = await setWebhook(s, RELEASE_WEBHOOK);
    const seenBefore = seen.length;
    const body = Buffer.from(JSON.stringify(releasePayload()));
    const good = signBody(key, body);
    const changed = Buffer.from(body);
    changed[changed.indexOf("1.2.0")] = "2".charCodeAt(0); // v2.2.0: one byte differs
    const sha1 = `sha1=${createHmac("sha1", key).update(body).digest("hex")}`;
    const cases: [string, InjectOptions][] = [
      ["no signature header", delivery("release", body, key, { headers: { "x-hub-signature-256": "" } })],
      ["another secret", delivery("release", body, "0".repeat(64))],
      ["the body changed by one byte", { ...delivery("release", body, key), payload: changed }],
      [
        "a signature two hex digits short",
        delivery("release", body, key, { headers: { "x-hub-signature-256": good.slice(0, -2) } }),
      ],
      [
        "a signature one byte long",
        delivery("release", body, key, { headers: { "x-hub-signature-256": `${good}00` } }),
      ],
      [
        "no sha256= prefix",
        delivery("release", body, key, { headers: { "x-hub-signature-256": good.slice(7) } }),
      ],
      [
        "not hex",
        delivery("release", body, key, { headers: { "x-hub-signature-256": `sha256=${"z".repeat(64)}` } }),
      ],
      [
        "only the SHA-1 X-Hub-Signature",
        delivery("release", body, key, { headers: { "x-hub-signature": sha1 } }),
      ],
    ];
    for (const [what, options] of cases) {
      const headers = { ...(options.headers as Record<string, string>) };
      if (headers["x-hub-signature-256"] === "" || what.startsWith("only"))
        delete headers["x-hub-signature-256"];
      const r: LightMyRequestResponse = await s.app.inject({ ...options, headers });
      assert.equal(r.statusCode, 401, `${what}: ${r.body}`);
      const e = errorOf(r);
      assert.equal(e.code, "BAD_SIGNATURE", what);
      if (what.startsWith("only")) assert.match(e.message, /SHA-1/);
    }
    assert.equal(await count(s, "builds"), 0);
    assert.equal(await count(s, "webhook_deliveries"), 0);
    assert.equal(await count(s, "package_files"), 0);
    assert.equal(seen.length, seenBefore, "nothing downloaded");
    // A body over 1 MiB is refused before it is read whole.
    const big = Buffer.alloc(1024 * 1024 + 1, 0x20);
    const r = await s.app.inject(delivery("release", big, key));
    assert.equal(r.statusCode, 413, r.body);
    // The valid signature over the same body passes (so the cases above failed for their signature).
    const ok = await s.app.inject(delivery("release", body, key));
    assert.equal(ok.statusCode, 201, ok.body);
    noSecretInLog(s, [key]);
  });

  test("a published release builds once from its asset; redelivery, ping and other events build nothing", async (t) => {
    const s = await setup(t, fresh);
    if (s === undefined) return;
    const key = await setWebhook(s, RELEASE_WEBHOOK);
    const before = seen.length;
    let r = await s.app.inject(delivery("release", releasePayload(), key, { id: "release-1" }));
    assert.equal(r.statusCode, 201, r.body);
    const made = r.json() as {
      event: string;
      delivery: string;
      build: { id: number; version: string; state: string; targets: string[] };
      files: { accessName: string; sha256: string; size: number; from: string }[];
    };
    assert.equal(made.event, "release");
    assert.equal(made.delivery, "release-1");
    assert.equal(made.build.version, "1.2.0");
    assert.equal(made.build.state, "pending");
    assert.deepEqual(made.build.targets, ["el-9"]);
    assert.deepEqual(made.files, [
      { accessName: "hello-bin", sha256: sha256(ASSET), size: ASSET.length, from: "hello-1.2.0-linux-amd64" },
    ]);
    // The server asked the API for the asset's bytes and followed its redirect; the sums file is not mapped.
    assert.deepEqual(seen.slice(before), [
      { path: "/repos/acme/hello/releases/assets/7", accept: "application/octet-stream" },
      { path: "/storage/asset-7", accept: "application/octet-stream" },
    ]);
    assert.deepEqual(await fileBytes(s, "hello-bin"), ASSET);
    const { rows: builds } = await s.h.db.query<{
      id: number;
      version: string;
      trigger: string;
      requested_by: number | null;
      sources: { accessName: string; sha256: string }[];
    }>("SELECT id, version, trigger, requested_by, sources FROM builds");
    assert.equal(builds.length, 1);
    assert.equal(builds[0]!.id, made.build.id);
    assert.equal(builds[0]!.trigger, "webhook");
    assert.equal(builds[0]!.requested_by, null);
    assert.deepEqual(
      builds[0]!.sources.map((x) => [x.accessName, x.sha256]),
      [["hello-bin", sha256(ASSET)]],
    );
    const { rows: d } = await s.h.db.query<{ build_id: number; event: string }>(
      "SELECT build_id, event FROM webhook_deliveries WHERE delivery_id = 'release-1'",
    );
    assert.deepEqual(d, [{ build_id: made.build.id, event: "release" }]);

    // The same delivery again: 200 duplicate, no second build, nothing downloaded.
    const seenBefore = seen.length;
    r = await s.app.inject(delivery("release", releasePayload(), key, { id: "release-1" }));
    assert.equal(r.statusCode, 200, r.body);
    assert.equal((r.json() as { duplicate?: boolean }).duplicate, true);
    assert.equal(await count(s, "builds"), 1);
    assert.equal(seen.length, seenBefore);

    // ping → 200; another event and a release that is not published → 202 ignored; nothing built.
    r = await s.app.inject(delivery("ping", { zen: "Keep it logically awesome." }, key));
    assert.equal(r.statusCode, 200, r.body);
    r = await s.app.inject(delivery("issues", { action: "opened" }, key));
    assert.equal(r.statusCode, 202, r.body);
    assert.equal((r.json() as { ignored: string }).ignored, "issues");
    r = await s.app.inject(delivery("release", releasePayload("v1.4.0", "created"), key));
    assert.equal(r.statusCode, 202, r.body);
    // A form-encoded delivery (GitHub's other content type) is read too: a push to a branch, ignored.
    const form = Buffer.from(
      new URLSearchParams({
        payload: JSON.stringify({ ref: "refs/heads/main", repository: { full_name: "acme/hello" } }),
      }).toString(),
    );
    r = await s.app.inject(
      delivery("push", form, key, { headers: { "content-type": "application/x-www-form-urlencoded" } }),
    );
    assert.equal(r.statusCode, 202, r.body);
    assert.match((r.json() as { reason: string }).reason, /refs\/heads\/main/);
    assert.equal(await count(s, "builds"), 1);

    // A release without the asset a pattern needs: 422 MISSING_SOURCE, no build, and the delivery is not
    // kept (a redelivery after the asset is attached is tried again).
    const bare = releasePayload("v1.5.0");
    bare.release.assets = bare.release.assets.slice(1);
    r = await s.app.inject(delivery("release", bare, key, { id: "release-bare" }));
    assert.equal(r.statusCode, 422, r.body);
    assert.deepEqual(errorOf(r).details.missing, ["hello-bin"]);
    assert.equal(await count(s, "builds"), 1);
    const { rows: kept } = await s.h.db.query(
      "SELECT 1 FROM webhook_deliveries WHERE delivery_id = 'release-bare'",
    );
    assert.equal(kept.length, 0);

    // Bytes other than the asset's digest: 422 CHECKSUM_MISMATCH; GitHub failing: 503 UNAVAILABLE. Neither
    // builds nor changes the stored file.
    const forged = releasePayload("v1.6.0");
    forged.release.assets[0]!.digest = `sha256:${sha256(SUMS)}`;
    r = await s.app.inject(delivery("release", forged, key));
    assert.equal(r.statusCode, 422, r.body);
    assert.equal(errorOf(r).code, "CHECKSUM_MISMATCH");
    const gone = releasePayload("v1.7.0");
    gone.release.assets[0]!.id = 9;
    r = await s.app.inject(delivery("release", gone, key));
    assert.equal(r.statusCode, 503, r.body);
    assert.equal(errorOf(r).code, "UNAVAILABLE");
    assert.match(errorOf(r).message, /HTTP 404/);
    assert.equal(await count(s, "builds"), 1);
    assert.deepEqual(await fileBytes(s, "hello-bin"), ASSET);
    noSecretInLog(s, [key]);
  });

  test("a tag push builds from the tag's tarball only when a push access name is set", async (t) => {
    const s = await setup(t, fresh);
    if (s === undefined) return;
    const key = await setWebhook(s, RELEASE_WEBHOOK);
    const push = { ref: "refs/tags/v1.3.0", deleted: false, repository: { full_name: "acme/hello" } };
    let r = await s.app.inject(delivery("push", push, key));
    assert.equal(r.statusCode, 202, r.body);
    assert.match((r.json() as { reason: string }).reason, /not enabled/);
    assert.equal(await count(s, "builds"), 0);

    // With a push access name (and hello-bin from a release before, which the config references).
    r = await s.app.inject(delivery("release", releasePayload(), key));
    assert.equal(r.statusCode, 201, r.body);
    r = await s.app.inject({
      method: "PUT",
      url: "/api/v1/projects/acme/webhook",
      headers: bearer(s.owner),
      payload: { ...RELEASE_WEBHOOK, pushAccessName: "source.tar.gz" },
    });
    assert.equal(r.statusCode, 200, r.body);
    const before = seen.length;
    r = await s.app.inject(delivery("push", push, key));
    assert.equal(r.statusCode, 201, r.body);
    const made = r.json() as { build: { version: string }; files: { accessName: string; sha256: string }[] };
    assert.equal(made.build.version, "1.3.0");
    assert.deepEqual(
      made.files.map((f) => [f.accessName, f.sha256]),
      [["source.tar.gz", sha256(TARBALL)]],
    );
    assert.deepEqual(
      seen.slice(before).map((x) => x.path),
      ["/repos/acme/hello/tarball/v1.3.0", "/storage/tarball-v1.3.0"],
    );
    assert.deepEqual(await fileBytes(s, "source.tar.gz"), TARBALL);
    assert.equal(await count(s, "builds"), 2);
    // A tag deletion builds nothing.
    r = await s.app.inject(delivery("push", { ...push, ref: "refs/tags/v1.4.0", deleted: true }, key));
    assert.equal(r.statusCode, 202, r.body);
    assert.equal(await count(s, "builds"), 2);
    noSecretInLog(s, [key]);
  });
});

secretsNeverLeak();
