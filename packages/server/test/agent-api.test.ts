// The agent HTTP API on both databases, through the real app with the agents plugin: registration and agent
// token auth, claims (project isolation, signed source URLs, secrets only for jobs with steps), heartbeats,
// logs, uploads and completions fenced by the attempt number, the artifact check and the publish that runs
// once. Builds and jobs are inserted with SQL (the build request API is another plugin's); packages are
// written with @packyard/formats' writePackage (testkit's testPackage). The app is built here rather than by
// app-harness.ts (whose harness takes no extra plugins), with the same master key, clock and key pool, and
// its own log and error-body check for secrets at the end.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { type TestContext, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { memoryStorage, type Storage } from "@packyard/repo";
import { testPackage } from "@packyard/testkit/debs";
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from "fastify";
import { checkJobArtifact, jobToPublish, publishJob, resumePublishing } from "../src/builds/job-publish.ts";
import { completeJob, reapExpired } from "../src/builds/queue.ts";
import { secretsForJob } from "../src/builds/secrets.ts";
import {
  buildApp,
  createUser,
  type Db,
  issueToken,
  migrate,
  serverLogger,
  verifyMasterKey,
} from "../src/index.ts";
import { blobKey } from "../src/uploads/blob-store.ts";
import { TEST_MASTER_KEY, TEST_SCRYPT, TestClock } from "./app-harness.ts";
import { eachDb, type FreshDb } from "./dbs.ts";
import { POOL_APK, POOL_OPENPGP, poolKeyGenerator } from "./key-pool.ts";

const PUBLIC_URL = "http://packyard.test";
const SECRET_VALUE = "s3cr3t-value-for-the-build-steps";

const secrets = new Set<string>([SECRET_VALUE]);
const logLines: string[] = [];
const errorBodies: string[] = [];
/** Every body an agent token received. */
const agentBodies: string[] = [];

const sha256 = (b: Uint8Array | string) => createHash("sha256").update(b).digest("hex");

const CONFIG = `name: hello
version: 1.0.0
arch: amd64
maintainer: Test <test@packyard.invalid>
description: test package
license: MIT
contents:
  - src: app.tar.gz
    dst: /usr/share/hello/app.tar.gz
`;
const CONFIG_WITH_STEPS = `${CONFIG}build:
  steps:
    - run: make
`;

interface Fixture {
  app: FastifyInstance;
  db: Db;
  clock: TestClock;
  storage: Storage;
  request(o: InjectOptions): Promise<LightMyRequestResponse>;
  /** Token of an administrator (admin scope). */
  admin: string;
  /** Owner (write, read) of projects alpha and beta. */
  owner: string;
  ownerId: number;
  /** A maintainer of alpha. */
  maintainer: string;
  projects: { alpha: { id: number; packageId: number }; beta: { id: number; packageId: number } };
}

async function setup(t: TestContext, fresh: (t: TestContext) => Promise<FreshDb | undefined>) {
  const f = await fresh(t);
  if (f === undefined) return undefined;
  await migrate(f.db);
  const clock = new TestClock();
  await verifyMasterKey(f.db, TEST_MASTER_KEY, clock.now());
  const storage = memoryStorage();
  const app = await buildApp(
    {
      db: f.db,
      storage,
      masterKey: TEST_MASTER_KEY,
      clock,
      logger: serverLogger({ level: "debug", destination: { write: (l: string) => void logLines.push(l) } }),
      config: { scrypt: TEST_SCRYPT, publicUrl: PUBLIC_URL },
      keyGenerator: poolKeyGenerator,
    },
    { builds: { agents: { queue: { backoffBaseMs: 0 } } } },
  );
  t.after(() => app.close());
  const request = async (o: InjectOptions) => {
    const r = await app.inject(o);
    if (r.statusCode >= 400) errorBodies.push(r.body);
    if (/Bearer pka_/.test(String((o.headers as Record<string, string> | undefined)?.authorization)))
      agentBodies.push(r.body);
    return r;
  };
  const user = async (slug: string, admin = false) =>
    (await createUser(f.db, { email: `${slug}@example.org`, slug, isAdmin: admin }, clock.now(), TEST_SCRYPT))
      .id;
  const token = async (userId: number, scopes: ("read" | "write" | "publish" | "admin")[]) => {
    const made = await issueToken(f.db, { userId, name: "t", scopes }, clock.now());
    secrets.add(made.token);
    return made.token;
  };
  const adminId = await user("root", true);
  const ownerId = await user("olive");
  const maintainerId = await user("mona");
  const admin = await token(adminId, ["admin", "read", "write"]);
  const owner = await token(ownerId, ["read", "write", "publish"]);
  const maintainer = await token(maintainerId, ["read", "write"]);
  const projects = {} as Fixture["projects"];
  for (const slug of ["alpha", "beta"] as const) {
    const r = await app.inject({
      method: "POST",
      url: "/api/v1/projects",
      headers: bearer(owner),
      payload: { slug },
    });
    assert.equal(r.statusCode, 201, r.body);
    const id = (r.json() as { id: number }).id;
    const { rows } = await f.db.query<{ id: number }>(
      `INSERT INTO packages (project_id, name, config, created_at, updated_at) VALUES ($1, 'hello', $2, $3, $3)
       RETURNING id`,
      [id, CONFIG, clock.now()],
    );
    projects[slug] = { id, packageId: rows[0]!.id };
  }
  await f.db.query(
    "INSERT INTO memberships (project_id, user_id, role, created_at) VALUES ($1, $2, 'maintainer', $3)",
    [projects.alpha.id, maintainerId, clock.now()],
  );
  return {
    app,
    db: f.db,
    clock,
    storage,
    request,
    admin,
    owner,
    ownerId,
    maintainer,
    projects,
  } satisfies Fixture;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** A source blob in storage and the blobs table. */
async function putSource(x: Fixture, bytes: Uint8Array): Promise<{ sha256: string; size: number }> {
  const sha = sha256(bytes);
  await x.storage.put(
    blobKey(sha),
    (async function* () {
      yield bytes;
    })(),
  );
  await x.db.query(
    "INSERT INTO blobs (sha256, size, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
    [sha, bytes.length, x.clock.now()],
  );
  return { sha256: sha, size: bytes.length };
}

/** A build with one pending job, inserted as the build request API would. */
async function insertJob(
  x: Fixture,
  project: "alpha" | "beta",
  o: {
    version?: string;
    format?: string;
    arch?: string;
    hasSteps?: boolean;
    sources?: { accessName: string; sha256: string; size: number }[];
  } = {},
): Promise<{ buildId: number; jobId: number }> {
  const p = x.projects[project];
  const { rows } = await x.db.query<{ id: number }>(
    `INSERT INTO builds (project_id, package_id, version, state, targets, config, sources, source_date_epoch,
                         requested_by, created_at)
     VALUES ($1, $2, $3, 'pending', $4, $5, $6::jsonb, 1700000000, $7, $8) RETURNING id`,
    [
      p.id,
      p.packageId,
      o.version ?? "1.0.0",
      ["debian-12"],
      o.hasSteps === true ? CONFIG_WITH_STEPS : CONFIG,
      JSON.stringify(o.sources ?? []),
      x.ownerId,
      x.clock.now(),
    ],
  );
  const buildId = rows[0]!.id;
  const { rows: jobs } = await x.db.query<{ id: number }>(
    `INSERT INTO jobs (build_id, project_id, format, arch, targets, has_steps, state, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7) RETURNING id`,
    [buildId, p.id, o.format ?? "deb", o.arch ?? "amd64", ["debian-12"], o.hasSteps === true, x.clock.now()],
  );
  return { buildId, jobId: jobs[0]!.id };
}

async function registerAgent(x: Fixture, project?: "alpha" | "beta", name = "builder") {
  const url = project === undefined ? "/api/v1/agents" : `/api/v1/projects/${project}/agents`;
  const r = await x.request({
    method: "POST",
    url,
    headers: bearer(project === undefined ? x.admin : x.owner),
    payload: { name, labels: [] },
  });
  assert.equal(r.statusCode, 201, r.body);
  const body = r.json() as { id: number; token: string; projectId: number | null };
  secrets.add(body.token);
  return body;
}

interface Claim {
  id: number;
  attempt: number;
  hasSteps: boolean;
  secrets: Record<string, string>;
  sources: { accessName: string; sha256: string; size: number; url: string }[];
  config: string;
  sourceDateEpoch: number;
  leaseMs: number;
  heartbeatMs: number;
}

async function claim(x: Fixture, token: string): Promise<Claim | undefined> {
  const r = await x.request({
    method: "POST",
    url: "/api/v1/agent/claim",
    headers: bearer(token),
    payload: {},
  });
  if (r.statusCode === 204) {
    const after = Number(r.headers["retry-after"]);
    assert.ok(after >= 2 && after <= 5, `Retry-After ${r.headers["retry-after"]}`);
    return undefined;
  }
  assert.equal(r.statusCode, 200, r.body);
  return (r.json() as { job: Claim }).job;
}

function codeOf(r: LightMyRequestResponse): string {
  return (r.json() as { error: { code: string } }).error.code;
}

/** A package of `format` written by @packyard/formats. */
async function pkg(format: "deb" | "rpm", o: { name?: string; version?: string; arch?: string } = {}) {
  return testPackage(format, {
    name: o.name ?? "hello",
    version: o.version ?? "1.0.0-1",
    arch: o.arch ?? "amd64",
  });
}

async function upload(
  x: Fixture,
  token: string,
  jobId: number,
  attempt: number,
  p: { name: string; bytes: Uint8Array },
  declared?: string,
) {
  return x.request({
    method: "PUT",
    url: `/api/v1/agent/jobs/${jobId}/artifact?attempt=${attempt}&fileName=${encodeURIComponent(p.name)}`,
    headers: {
      ...bearer(token),
      "content-type": "application/octet-stream",
      "x-checksum-sha256": declared ?? sha256(p.bytes),
    },
    payload: Buffer.from(p.bytes),
  });
}

async function complete(x: Fixture, token: string, jobId: number, attempt: number) {
  return x.request({
    method: "POST",
    url: `/api/v1/agent/jobs/${jobId}/complete`,
    headers: bearer(token),
    payload: { attempt, outcome: "succeeded" },
  });
}

async function jobState(db: Db, jobId: number) {
  const { rows } = await db.query<{ state: string; failure_code: string | null; artifact_id: number | null }>(
    "SELECT state, failure_code, artifact_id FROM jobs WHERE id = $1",
    [jobId],
  );
  return rows[0]!;
}

/** Waits (briefly, polling) for the background publish to move the job out of `publishing`. */
async function settled(db: Db, jobId: number) {
  for (let i = 0; i < 600; i++) {
    const s = await jobState(db, jobId);
    if (s.state !== "publishing") return s;
    await sleep(25);
  }
  throw new Error(`job ${jobId} still publishing`);
}

eachDb((_kind, fresh) => {
  test("registration: admin for shared agents, owners for their project's; token shown once, revocable; user tokens refused on the agent API", async (t) => {
    const x = await setup(t, fresh);
    if (x === undefined) return;
    const shared = await registerAgent(x);
    assert.match(shared.token, /^pka_[A-Za-z0-9_-]{43}$/);
    assert.equal(shared.projectId, null);
    // The stored hash is the token's SHA-256; the token itself is nowhere in the row.
    const { rows } = await x.db.query<{ token_sha256: Uint8Array }>(
      "SELECT token_sha256 FROM agents WHERE id = $1",
      [shared.id],
    );
    assert.equal(Buffer.from(rows[0]!.token_sha256).toString("hex"), sha256(shared.token));
    // Only an admin registers shared agents; an owner registers its project's; a maintainer cannot.
    let r = await x.request({
      method: "POST",
      url: "/api/v1/agents",
      headers: bearer(x.owner),
      payload: { name: "x" },
    });
    assert.equal(r.statusCode, 403);
    const mine = await registerAgent(x, "alpha");
    assert.equal(mine.projectId, x.projects.alpha.id);
    r = await x.request({
      method: "POST",
      url: "/api/v1/projects/alpha/agents",
      headers: bearer(x.maintainer),
      payload: { name: "m" },
    });
    assert.equal(r.statusCode, 403);
    r = await x.request({
      method: "POST",
      url: "/api/v1/agents",
      headers: bearer(x.admin),
      payload: { name: "builder" },
    });
    assert.equal(codeOf(r), "ALREADY_EXISTS");
    // Lists hold no token.
    r = await x.request({ method: "GET", url: "/api/v1/projects/alpha/agents", headers: bearer(x.owner) });
    assert.equal(r.statusCode, 200);
    assert.equal((r.json() as { agents: unknown[] }).agents.length, 1);
    assert.ok(!r.body.includes(mine.token) && !r.body.includes("pka_"));
    r = await x.request({ method: "GET", url: "/api/v1/agents", headers: bearer(x.admin) });
    assert.deepEqual(
      (r.json() as { agents: { id: number }[] }).agents.map((a) => a.id),
      [shared.id],
    );

    // Agent tokens work on the agent API only; user tokens are refused there.
    assert.equal(await claim(x, shared.token), undefined);
    for (const token of [x.owner, x.admin]) {
      r = await x.request({
        method: "POST",
        url: "/api/v1/agent/claim",
        headers: bearer(token),
        payload: {},
      });
      assert.equal(r.statusCode, 401, r.body);
    }
    r = await x.request({ method: "GET", url: "/api/v1/projects", headers: bearer(shared.token) });
    assert.equal(r.statusCode, 401);
    // Revoked: refused at once. Another project's owner route cannot revoke it (404).
    r = await x.request({
      method: "DELETE",
      url: `/api/v1/projects/beta/agents/${mine.id}`,
      headers: bearer(x.owner),
    });
    assert.equal(r.statusCode, 404);
    r = await x.request({
      method: "DELETE",
      url: `/api/v1/projects/alpha/agents/${mine.id}`,
      headers: bearer(x.owner),
    });
    assert.equal(r.statusCode, 204);
    r = await x.request({
      method: "POST",
      url: "/api/v1/agent/claim",
      headers: bearer(mine.token),
      payload: {},
    });
    assert.equal(r.statusCode, 401);
    r = await x.request({ method: "DELETE", url: `/api/v1/agents/${shared.id}`, headers: bearer(x.admin) });
    assert.equal(r.statusCode, 204);
    r = await x.request({
      method: "POST",
      url: "/api/v1/agent/claim",
      headers: bearer(shared.token),
      payload: {},
    });
    assert.equal(r.statusCode, 401);
    const audit = await x.db.query<{ action: string }>(
      "SELECT action FROM audit_events WHERE action LIKE 'agent.%' ORDER BY id",
    );
    assert.deepEqual(
      audit.rows.map((a) => a.action),
      ["agent.register", "agent.register", "agent.revoke", "agent.revoke"],
    );

    // Secrets: sealed at rest, names listed without values, maintainers set them.
    r = await x.request({
      method: "PUT",
      url: "/api/v1/projects/alpha/secrets/DEPLOY_KEY",
      headers: bearer(x.maintainer),
      payload: { value: SECRET_VALUE },
    });
    assert.equal(r.statusCode, 204, r.body);
    r = await x.request({
      method: "PUT",
      url: "/api/v1/projects/alpha/secrets/lower",
      headers: bearer(x.owner),
      payload: { value: "v" },
    });
    assert.equal(codeOf(r), "INVALID_NAME");
    r = await x.request({
      method: "GET",
      url: "/api/v1/projects/alpha/secrets",
      headers: bearer(x.maintainer),
    });
    assert.deepEqual(
      (r.json() as { secrets: { name: string }[] }).secrets.map((s) => s.name),
      ["DEPLOY_KEY"],
    );
    assert.ok(!r.body.includes(SECRET_VALUE));
    const stored = await x.db.query<{ value_sealed: Uint8Array }>("SELECT value_sealed FROM project_secrets");
    assert.equal(stored.rows.length, 1);
    assert.ok(!Buffer.from(stored.rows[0]!.value_sealed).includes(Buffer.from(SECRET_VALUE)));
    assert.deepEqual(await secretsForJob(x.db, TEST_MASTER_KEY, x.projects.alpha.id), {
      DEPLOY_KEY: SECRET_VALUE,
    });
    // Sealed for alpha: the row copied to beta does not open.
    await x.db.query(
      `INSERT INTO project_secrets (project_id, name, value_sealed, value_nonce, master_key_version, created_at, updated_at)
       SELECT $1, name, value_sealed, value_nonce, master_key_version, created_at, updated_at FROM project_secrets`,
      [x.projects.beta.id],
    );
    await assert.rejects(secretsForJob(x.db, TEST_MASTER_KEY, x.projects.beta.id), {
      code: "KEY_DECRYPT_FAILED",
    });
    r = await x.request({
      method: "DELETE",
      url: "/api/v1/projects/beta/secrets/DEPLOY_KEY",
      headers: bearer(x.owner),
    });
    assert.equal(r.statusCode, 204);
    r = await x.request({
      method: "DELETE",
      url: "/api/v1/projects/beta/secrets/DEPLOY_KEY",
      headers: bearer(x.owner),
    });
    assert.equal(r.statusCode, 404);
  });

  test("claims: project agents only get their project's jobs; signed source URLs; secrets only for jobs with steps", async (t) => {
    const x = await setup(t, fresh);
    if (x === undefined) return;
    const bytes = new TextEncoder().encode("the source tarball\n".repeat(100));
    const src = await putSource(x, bytes);
    const other = await putSource(x, new TextEncoder().encode("another file"));
    await x.request({
      method: "PUT",
      url: "/api/v1/projects/alpha/secrets/DEPLOY_KEY",
      headers: bearer(x.owner),
      payload: { value: SECRET_VALUE },
    });
    const plain = await insertJob(x, "alpha", {
      sources: [
        { accessName: "app.tar.gz", ...src },
        { accessName: "other.txt", ...other },
      ],
    });
    const betaAgent = await registerAgent(x, "beta");
    assert.equal(await claim(x, betaAgent.token), undefined, "beta's agent must not claim alpha's job");
    const alphaAgent = await registerAgent(x, "alpha");
    const job = await claim(x, alphaAgent.token);
    assert.ok(job !== undefined);
    assert.equal(job.id, plain.jobId);
    assert.equal(job.attempt, 1);
    assert.equal(job.hasSteps, false);
    assert.deepEqual(job.secrets, {});
    assert.equal(job.config, CONFIG);
    assert.equal(job.sourceDateEpoch, 1700000000);
    assert.ok(job.heartbeatMs < job.leaseMs);
    assert.deepEqual(
      job.sources.map((s) => [s.accessName, s.sha256, s.size]),
      [
        ["app.tar.gz", src.sha256, src.size],
        ["other.txt", other.sha256, other.size],
      ],
    );
    // The signed URL downloads the right bytes, with no credential but its signature.
    const url = new URL(job.sources[0]!.url);
    assert.equal(url.origin, PUBLIC_URL);
    const path = url.pathname + url.search;
    let r = await x.request({ method: "GET", url: path });
    assert.equal(r.statusCode, 200, r.body);
    assert.equal(r.headers["content-length"], String(bytes.length));
    assert.equal(sha256(r.rawPayload), src.sha256);
    // Altered: the signature, the access name (another file of the job), the job; and expired.
    const sig = url.searchParams.get("signature")!;
    const flipped = (sig[0] === "0" ? "1" : "0") + sig.slice(1);
    const altered = [
      path.replace(sig, flipped),
      path.replace("/app.tar.gz?", "/other.txt?"),
      path.replace(`/sources/${job.id}/`, `/sources/${job.id + 1}/`),
      path.replace(/expires=(\d+)/, (_m, e: string) => `expires=${Number(e) + 600}`),
      url.pathname,
    ];
    for (const bad of altered) {
      r = await x.request({ method: "GET", url: bad });
      assert.equal(r.statusCode, 403, `${bad}: ${r.body}`);
      assert.equal(codeOf(r), "URL_INVALID");
    }
    x.clock.advance(10 * 60_000 + 1000);
    r = await x.request({ method: "GET", url: path });
    assert.equal(r.statusCode, 403);
    assert.equal(codeOf(r), "URL_INVALID");

    // A job with build steps: its claim carries the project's secrets.
    const withSteps = await insertJob(x, "alpha", { version: "1.0.1", hasSteps: true });
    const shared = await registerAgent(x);
    const stepJob = await claim(x, shared.token);
    assert.ok(stepJob !== undefined);
    assert.equal(stepJob.id, withSteps.jobId);
    assert.equal(stepJob.hasSteps, true);
    assert.deepEqual(stepJob.secrets, { DEPLOY_KEY: SECRET_VALUE });
    assert.equal(await claim(x, shared.token), undefined);

    // A failure message that carries a secret (a step printed it) is stored and logged redacted.
    r = await x.request({
      method: "POST",
      url: `/api/v1/agent/jobs/${stepJob.id}/complete`,
      headers: bearer(shared.token),
      payload: {
        attempt: 1,
        outcome: "failed",
        failure: { code: "STEP_FAILED", message: `step 1 failed: curl -H ${SECRET_VALUE}`, retry: false },
      },
    });
    assert.equal(r.statusCode, 200, r.body);
    const stored = await x.db.query<{ failure_message: string }>(
      "SELECT failure_message FROM jobs WHERE id = $1",
      [stepJob.id],
    );
    assert.equal(stored.rows[0]!.failure_message, "step 1 failed: curl -H ***");
    const logged = await x.db.query<{ text: string }>("SELECT text FROM job_logs WHERE job_id = $1", [
      stepJob.id,
    ]);
    assert.ok(logged.rows.every((l) => !l.text.includes(SECRET_VALUE)));
    assert.ok(
      logged.rows.some((l) => l.text.includes("curl -H ***")),
      JSON.stringify(logged.rows),
    );
  });

  test("heartbeat, logs, upload and complete are fenced by attempt; a wrong package fails ARTIFACT_INVALID; the right one is published once", async (t) => {
    const x = await setup(t, fresh);
    if (x === undefined) return;
    await x.request({
      method: "PUT",
      url: "/api/v1/projects/alpha/secrets/DEPLOY_KEY",
      headers: bearer(x.owner),
      payload: { value: SECRET_VALUE },
    });
    const a1 = await registerAgent(x, undefined, "one");
    const a2 = await registerAgent(x, undefined, "two");
    const { jobId, buildId } = await insertJob(x, "alpha");
    const first = await claim(x, a1.token);
    assert.equal(first?.id, jobId);
    const hb = (token: string, attempt: number) =>
      x.request({
        method: "POST",
        url: `/api/v1/agent/jobs/${jobId}/heartbeat`,
        headers: bearer(token),
        payload: { attempt },
      });
    let r = await hb(a1.token, 1);
    assert.equal(r.statusCode, 200, r.body);
    assert.equal((r.json() as { cancel: boolean }).cancel, false);
    // Another agent: not its job.
    r = await hb(a2.token, 1);
    assert.equal(r.statusCode, 404);
    // Logs, redacted with the project's secret values; sent twice, stored once.
    const logs = {
      attempt: 1,
      chunks: [
        { chunk: 0, stream: "stdout", text: `token is ${SECRET_VALUE}\n` },
        { chunk: 1, stream: "stderr", text: "warning\n" },
      ],
    };
    for (let i = 0; i < 2; i++) {
      r = await x.request({
        method: "POST",
        url: `/api/v1/agent/jobs/${jobId}/logs`,
        headers: bearer(a1.token),
        payload: logs,
      });
      assert.equal(r.statusCode, 204, r.body);
    }
    const stored = await x.db.query<{ text: string }>(
      "SELECT text FROM job_logs WHERE job_id = $1 AND stream <> 'system' ORDER BY seq",
      [jobId],
    );
    assert.deepEqual(
      stored.rows.map((l) => l.text),
      ["token is ***\n", "warning\n"],
    );

    // The lease expires and the reaper takes the job back: attempt 1 is stale everywhere.
    await x.db.query("UPDATE jobs SET lease_expires_at = now() - interval '1 second' WHERE id = $1", [jobId]);
    assert.equal(await reapExpired(x.db, { backoffBaseMs: 0 }), 1);
    const good = await pkg("deb");
    r = await hb(a1.token, 1);
    assert.equal(codeOf(r), "STALE_ATTEMPT");
    r = await x.request({
      method: "POST",
      url: `/api/v1/agent/jobs/${jobId}/logs`,
      headers: bearer(a1.token),
      payload: logs,
    });
    assert.equal(codeOf(r), "STALE_ATTEMPT");
    const second = await claim(x, a2.token);
    assert.equal(second?.id, jobId);
    assert.equal(second?.attempt, 2);
    r = await upload(x, a1.token, jobId, 1, good);
    assert.equal(r.statusCode, 409, r.body);
    assert.equal(codeOf(r), "STALE_ATTEMPT");
    // Attempt 2 is a2's; a1 claiming it is stale too.
    r = await hb(a1.token, 2);
    assert.equal(codeOf(r), "STALE_ATTEMPT");
    r = await complete(x, a1.token, jobId, 1);
    assert.equal(codeOf(r), "STALE_ATTEMPT");

    // Completing without an upload: JOB_STATE. A body that is not what the header says: CHECKSUM_MISMATCH.
    r = await complete(x, a2.token, jobId, 2);
    assert.equal(codeOf(r), "JOB_STATE");
    r = await upload(x, a2.token, jobId, 2, good, "0".repeat(64));
    assert.equal(codeOf(r), "CHECKSUM_MISMATCH");
    r = await upload(x, a2.token, jobId, 2, good);
    assert.equal(r.statusCode, 201, r.body);
    assert.deepEqual(r.json(), { sha256: sha256(good.bytes), size: good.bytes.length });
    r = await complete(x, a2.token, jobId, 2);
    assert.equal(r.statusCode, 200, r.body);
    assert.equal((r.json() as { state: string }).state, "publishing");
    // Sent again (an answer lost): same job, no second publish.
    r = await complete(x, a2.token, jobId, 2);
    assert.equal(r.statusCode, 200, r.body);
    const done = await settled(x.db, jobId);
    assert.equal(done.state, "succeeded", JSON.stringify(done));
    r = await complete(x, a2.token, jobId, 2);
    assert.deepEqual(r.json(), { state: "succeeded" });
    assert.ok(await publishJob({ ...depsOf(x) }, jobId).then(() => true));
    const publishes = await x.db.query("SELECT 1 FROM audit_events WHERE action = 'repository.publish'");
    assert.equal(publishes.rowCount, 1, "published once");
    const artifacts = await x.db.query<{ id: number; blob_sha256: string }>(
      "SELECT id, blob_sha256 FROM artifacts",
    );
    assert.deepEqual(artifacts.rows, [{ id: done.artifact_id, blob_sha256: sha256(good.bytes) }]);
    const build = await x.db.query<{ state: string }>("SELECT state FROM builds WHERE id = $1", [buildId]);
    assert.equal(build.rows[0]!.state, "succeeded");
    // The repository lists the package once: one stanza in the one Packages index of the suite.
    const keys = (await x.storage.list("repos/alpha/main/")).objects.map((o) => o.key);
    const packagesKeys = keys.filter((k) => /\/binary-amd64\/Packages$/.test(k));
    assert.equal(packagesKeys.length, 1, keys.join("\n"));
    const index = new TextDecoder().decode(await bytesOf(x.storage, packagesKeys[0]!));
    assert.equal(index.match(/^Package: hello$/gm)?.length, 1, index);
    assert.match(index, /^Version: 1\.0\.0-1$/m);

    // A package that is not what the job asked for fails the job, not retried.
    for (const [wrong, why] of [
      [await pkg("deb", { name: "other" }), "name"],
      [await pkg("deb", { version: "1.0.1-1" }), "version"],
      [await pkg("deb", { arch: "arm64" }), "arch"],
      [await pkg("rpm"), "format"],
    ] as const) {
      const j = await insertJob(x, "alpha", { version: "1.0.0" });
      const c = await claim(x, a1.token);
      assert.equal(c?.id, j.jobId);
      r = await upload(x, a1.token, j.jobId, 1, wrong);
      assert.equal(r.statusCode, 201, r.body);
      r = await complete(x, a1.token, j.jobId, 1);
      assert.equal(r.statusCode, 422, r.body);
      assert.equal(codeOf(r), "ARTIFACT_INVALID");
      assert.equal((r.json() as { error: { details: { field: string } } }).error.details.field, why);
      const s = await jobState(x.db, j.jobId);
      assert.deepEqual([s.state, s.failure_code], ["failed", "ARTIFACT_INVALID"]);
    }
    // The check compares versions as each format writes them: a prerelease is `~rc.1` in a deb.
    const rc = await insertJob(x, "alpha", { version: "2.0.0-rc.1" });
    const rcClaim = await claim(x, a1.token);
    assert.equal(rcClaim?.id, rc.jobId);
    const rcPkg = await pkg("deb", { version: "2.0.0~rc.1-1" });
    assert.equal((await upload(x, a1.token, rc.jobId, 1, rcPkg)).statusCode, 201);
    const job = await jobToPublish(x.db, rc.jobId);
    const info = await checkJobArtifact(depsOf(x), job!);
    assert.equal(info.versionString, "2.0.0~rc.1-1");
    // A server stopped after the job went to publishing: start-up publishes it (once).
    assert.equal(await completeJob(x.db, rc.jobId, 1), "publishing");
    // A new Release must carry a later Date than the last one: the test clock moves on as time does.
    x.clock.advance(60_000);
    assert.equal(await resumePublishing(depsOf(x)), 1);
    assert.equal((await jobState(x.db, rc.jobId)).state, "succeeded");
    assert.equal(await resumePublishing(depsOf(x)), 0);
    const after = await x.db.query("SELECT 1 FROM audit_events WHERE action = 'repository.publish'");
    assert.equal(after.rowCount, 2);
  });

  test("no response to an agent token holds secret key material", () => {
    assert.ok(agentBodies.length > 10, `agent bodies seen: ${agentBodies.length}`);
    const keyLines = [...POOL_OPENPGP, ...POOL_APK].flatMap((k) =>
      k.split("\n").filter((l) => /^[A-Za-z0-9+/=]{60,}$/.test(l)),
    );
    assert.ok(keyLines.length > 100);
    for (const body of agentBodies) {
      assert.ok(!/PRIVATE KEY/.test(body), body.slice(0, 200));
      for (const line of keyLines) assert.ok(!body.includes(line), "a line of a project's secret key");
    }
  });

  test("no token or secret value appears in the debug log or an error body", () => {
    assert.ok(logLines.length > 0);
    for (const s of secrets) {
      assert.equal(
        logLines.find((l) => l.includes(s)),
        undefined,
      );
      assert.equal(
        errorBodies.find((b) => b.includes(s)),
        undefined,
      );
    }
  });
});

function depsOf(x: Fixture) {
  return {
    db: x.db,
    storage: x.storage,
    masterKey: TEST_MASTER_KEY,
    clock: x.clock,
    config: { publicUrl: PUBLIC_URL },
  };
}

async function bytesOf(storage: Storage, key: string): Promise<Uint8Array> {
  const body = await storage.get(key);
  assert.ok(body !== undefined, key);
  const parts: Uint8Array[] = [];
  for await (const c of body) parts.push(c);
  return new Uint8Array(Buffer.concat(parts));
}
