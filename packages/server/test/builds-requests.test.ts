// Build requests (issue 20 item 2) and the build routes: every rule with its code, jobs grouped per
// (packager, arch, environment), sources and SOURCE_DATE_EPOCH recorded, the targets route, access to
// /builds/:id and cancelling. Pure helpers first (no database), then the routes on PGlite and PostgreSQL.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, type TestContext, test } from "node:test";
import { CATALOGUE, memoryStorage } from "@packyard/repo";
import type { LightMyRequestResponse } from "fastify";
import {
  compareBuildVersions,
  jobArch,
  planJobs,
  referencedName,
  referencedNames,
  repositoryTargets,
  servedTargets,
  servesTarget,
  signatureWarnings,
} from "../src/builds/requests.ts";
import { checkBuildFields, resolveTargets } from "../src/builds/catalogue.ts";
import { saveRepositorySettings } from "../src/repos/settings.ts";
import {
  buildApp,
  createUser,
  type Db,
  issueToken,
  migrate,
  type Scope,
  serverLogger,
  verifyMasterKey,
} from "../src/index.ts";
import {
  bearer,
  errorOf,
  keptLogs,
  secret,
  secretsNeverLeak,
  TEST_MASTER_KEY,
  TEST_SCRYPT,
  TestClock,
} from "./app-harness.ts";
import { eachDb, type FreshDb } from "./dbs.ts";
import { poolKeyGenerator } from "./key-pool.ts";

// A packyard.yml with every kind of reference: a file, a folder with a glob below it, a symlink (its src
// is a link target, not a file), a glob in the first segment (references nothing), a step output, a
// script, a changelog, and a deb signature block (ignored with a warning).
const CONFIG = `name: hello
arch: amd64
version: 1.0.0
maintainer: Test <test@example.org>
description: test package
changelog: changelog.yml
contents:
  - src: ./hello
    dst: /usr/bin/hello
  - src: docs/*.md
    dst: /usr/share/doc/hello/
  - src: hello
    dst: /usr/bin/hi
    type: symlink
  - src: "*.txt"
    dst: /usr/share/hello/
  - src: ./gen/out.bin
    dst: /usr/lib/hello/out.bin
scripts:
  postinstall: ./scripts/post.sh
build:
  steps:
    - run: make
  outputs:
    - gen/out.bin
deb:
  signature:
    key_file: keys/signer.asc
`;

/** What the config above references, worked out by hand from it. */
const REFERENCED = ["changelog.yml", "docs", "hello", "scripts"];

describe("pure helpers", () => {
  test("referencedName takes the first relative segment, not globs, absolute paths or ..", () => {
    assert.equal(referencedName("./bin/hello"), "bin");
    assert.equal(referencedName("hello"), "hello");
    assert.equal(referencedName("././a/b/c"), "a");
    assert.equal(referencedName("docs/*.md"), "docs");
    assert.equal(referencedName("*.txt"), undefined);
    assert.equal(referencedName("src-[ab]/x"), undefined);
    assert.equal(referencedName("src-[ab]/x", false), "src-[ab]");
    assert.equal(referencedName("/etc/passwd"), undefined);
    assert.equal(referencedName("../up"), undefined);
  });

  test("referencedNames: contents, scripts, changelog, block scripts, per packager, minus outputs", () => {
    const raw = {
      contents: [
        { src: "./hello", dst: "/usr/bin/hello" },
        { src: "only-rpm.conf", dst: "/etc/x", packager: "rpm" },
        { dst: "/var/lib/x", type: "dir" },
        { src: "linked", dst: "/usr/bin/h", type: "symlink" },
        { src: "/usr/share/abs", dst: "/usr/share/x" },
      ],
      scripts: { preinstall: "./hooks/pre.sh", postinstall: "made/post.sh" },
      deb: { scripts: { templates: "debian/templates" } },
      rpm: { scripts: { pretrans: "rpm/pretrans.sh" } },
      overrides: {
        apk: { contents: [{ src: "apk-only/bin", dst: "/usr/bin/x" }] },
        // Replaces the top level's preinstall for rpm only.
        rpm: { scripts: { preinstall: "rpm-pre.sh" } },
      },
      build: { outputs: ["made/post.sh"] },
    };
    assert.deepEqual(referencedNames(raw, ["deb"]), ["debian", "hello", "hooks"]);
    assert.deepEqual(referencedNames(raw, ["rpm"]), ["hello", "only-rpm.conf", "rpm", "rpm-pre.sh"]);
    // An override's contents replace the top level's for that packager.
    assert.deepEqual(referencedNames(raw, ["apk"]), ["apk-only", "hooks"]);
    assert.deepEqual(referencedNames(raw, ["deb", "rpm"]), [
      "debian",
      "hello",
      "hooks",
      "only-rpm.conf",
      "rpm",
      "rpm-pre.sh",
    ]);
    assert.deepEqual(
      referencedNames({ contents: [{ src: "*.bin", dst: "/x/" }], disable_globbing: true }, ["deb"]),
      ["*.bin"],
    );
    // Outputs are made only by jobs that run steps: a packager without steps needs them uploaded.
    const rpmSteps = (p: string) => p === "rpm";
    assert.deepEqual(referencedNames(raw, ["deb"], rpmSteps), ["debian", "hello", "hooks", "made"]);
    assert.deepEqual(referencedNames(raw, ["rpm"], rpmSteps), [
      "hello",
      "only-rpm.conf",
      "rpm",
      "rpm-pre.sh",
    ]);
    assert.deepEqual(
      referencedNames(
        { changelog: "made/changelog.yml", build: { outputs: ["made"] } },
        ["rpm", "apk"],
        rpmSteps,
      ),
      ["made"],
    );
    assert.deepEqual(
      referencedNames({ changelog: "made/changelog.yml", build: { outputs: ["made"] } }, ["rpm"], rpmSteps),
      [],
    );
  });

  test("jobs group per (packager, arch, environment); arch is packyard.yml's", () => {
    const { targets } = resolveTargets([
      "debian-12",
      "ubuntu-24.04",
      "fedora-43",
      "el-9",
      "arch",
      "alpine-3.22",
    ]);
    const jobs = planJobs({ arch: "arm64" }, targets);
    assert.deepEqual(
      jobs.map((j) => [j.format, j.arch, j.environment, j.targets]),
      [
        ["deb", "arm64", "native", ["debian-12", "ubuntu-24.04"]],
        ["rpm", "arm64", "native", ["fedora-43", "el-9"]],
        ["archlinux", "arm64", "native", ["arch"]],
        ["apk", "arm64", "native", ["alpine-3.22"]],
      ],
    );
    assert.equal(jobArch({}, "deb"), "amd64");
    assert.equal(jobArch({ deb: { arch: "i386" } }, "deb"), "i386");
    assert.equal(jobArch({ deb: { arch: "i386" } }, "rpm"), "amd64");
  });

  test("each format orders versions its own way, semver parts mapped as its writer maps them", () => {
    // A prerelease sorts before its release everywhere (dpkg would sort the raw `1.0.0-rc.1` after `1.0.0`).
    for (const p of ["deb", "rpm", "archlinux", "apk"] as const) {
      assert.equal(compareBuildVersions(p, "1.0.0-rc.1", "1.0.0"), -1, p);
      assert.equal(compareBuildVersions(p, "1.10.0", "1.9.0"), 1, p);
      assert.equal(compareBuildVersions(p, "v1.2.3", "1.2.3"), 0, p);
    }
    // Prerelease parts compare numerically too (dpkg: 2.0.0~beta.2 < 2.0.0~beta.10).
    assert.equal(compareBuildVersions("deb", "2.0.0-beta.2", "2.0.0-beta.10"), -1);
  });

  test("repository settings give default targets; signature blocks give one warning", () => {
    assert.deepEqual(
      repositoryTargets({
        apt: { suite: "bookworm" },
        rpm: { targets: ["el-9"] },
        archlinux: {},
        alpine: { targets: ["alpine-3.22"] },
      }),
      ["debian-12", "el-9", "arch", "alpine-3.22"],
    );
    assert.deepEqual(repositoryTargets({ apt: { suite: "my-own" } }), ["deb-any"]);
    assert.deepEqual(repositoryTargets({}), []);
    const w = signatureWarnings({ deb: { signature: { key_file: "k" } }, apk: { signature: {} } }, [
      "deb",
      "rpm",
    ]);
    assert.equal(w.length, 1);
    assert.equal(w[0]!.code, "SIGNATURE_IGNORED");
    assert.match(w[0]!.message, /deb\.signature/);
    assert.doesNotMatch(w[0]!.message, /apk/);
    assert.deepEqual(signatureWarnings({ deb: {} }, ["deb"]), []);
  });

  test("servesTarget: where a job's package is published is where the target's users read it", () => {
    const served = (settings: Parameters<typeof servesTarget>[0]) => {
      const ids = CATALOGUE.map((c) => c.id).filter((id) => servesTarget(settings, id));
      assert.deepEqual(servedTargets(settings), ids);
      return ids;
    };
    const debs = CATALOGUE.filter((c) => c.family === "deb").map((c) => c.id);
    // No settings: a publish makes the `stable` suite (every Debian-like reads it) and a pacman repository
    // named after the project; rpm and Alpine have no root to go to.
    assert.deepEqual(served({}), [...debs, "arch"]);
    assert.deepEqual(served({ apt: { suite: "stable" } }), [...debs, "arch"]);
    // A release's own suite serves that release only (debian-12 reads bookworm, per the catalogue).
    assert.deepEqual(served({ apt: { suite: "bookworm" } }), ["debian-12", "arch"]);
    // A suite the catalogue does not name: one package for every release, deb-any.
    assert.deepEqual(served({ apt: { suite: "my-own" } }), ["deb-any", "arch"]);
    assert.deepEqual(
      served({ apt: { suite: "noble" }, rpm: { targets: ["el-9", "fedora-43"] } }),
      ["ubuntu-24.04", "el-9", "fedora-43", "arch"].sort(
        (a, b) => CATALOGUE.findIndex((c) => c.id === a) - CATALOGUE.findIndex((c) => c.id === b),
      ),
    );
    assert.equal(servesTarget({ alpine: { targets: ["alpine-3.22"] } }, "alpine-3.22"), true);
    assert.equal(servesTarget({ alpine: { targets: ["alpine-3.22"] } }, "alpine-3.21"), false);
    assert.equal(servesTarget({ rpm: { targets: ["el-9"] } }, "fedora-42"), false);
    assert.equal(servesTarget({}, "nope"), false);
    // The default targets are always served.
    for (const settings of [
      {
        apt: { suite: "bookworm" },
        rpm: { targets: ["el-9"] },
        archlinux: {},
        alpine: { targets: ["alpine-3.22"] },
      },
      { apt: { suite: "my-own" } },
      { apt: { suite: "stable" } },
      { apt: { suite: "trixie" }, alpine: { targets: ["alpine-3.23", "alpine-edge"] } },
    ])
      for (const id of repositoryTargets(settings))
        assert.ok(servesTarget(settings, id), `${id} ${JSON.stringify(settings)}`);
  });

  test("the build-field table is checked against the catalogue", () => {
    assert.throws(
      () => checkBuildFields({ "debian-99": { environment: "native", labels: [] } }),
      /debian-99/,
    );
    assert.throws(
      () => checkBuildFields({ "debian-12": { environment: "Bad Env", labels: [] } }),
      /environment/,
    );
    checkBuildFields({ "debian-12": { environment: "container", labels: ["docker"] } });
  });
});

interface Setup {
  db: Db;
  clock: TestClock;
  request(
    method: "GET" | "POST",
    url: string,
    token?: string,
    payload?: object,
  ): Promise<LightMyRequestResponse>;
  tokens: Record<"owner" | "maintainer" | "viewer" | "stranger" | "readOnly", string>;
  projectId: number;
  packageId: number;
  /** Uploads a file by SQL (blob row and package_files row); returns its sha256 and size. */
  upload(accessName: string, content: string): Promise<{ sha256: string; size: number }>;
  errorBodies: string[];
}

/** Project `demo` (owner, maintainer, viewer), project `other` (stranger owns it), package `hello` of demo. */
async function setup(
  t: TestContext,
  fresh: (t: TestContext) => Promise<FreshDb | undefined>,
): Promise<Setup | undefined> {
  const f = await fresh(t);
  if (f === undefined) return undefined;
  const db = f.db;
  await migrate(db);
  const clock = new TestClock();
  await verifyMasterKey(db, TEST_MASTER_KEY, clock.now());
  // Log lines go where secretsNeverLeak() looks.
  const lines = keptLogs() as string[];
  const app = await buildApp(
    {
      db,
      storage: memoryStorage(),
      masterKey: TEST_MASTER_KEY,
      clock,
      logger: serverLogger({ level: "debug", destination: { write: (l: string) => void lines.push(l) } }),
      config: { scrypt: TEST_SCRYPT, rateLimit: { max: 100_000 } },
      keyGenerator: poolKeyGenerator,
    },
    {},
  );
  t.after(() => app.close());
  const now = clock.now();
  const project = async (slug: string) =>
    (
      await db.query<{ id: number }>("INSERT INTO projects (slug, created_at) VALUES ($1, $2) RETURNING id", [
        slug,
        now,
      ])
    ).rows[0]!.id;
  const projectId = await project("demo");
  const otherId = await project("other");
  const tokens = {} as Setup["tokens"];
  const people: [keyof Setup["tokens"], number, "owner" | "maintainer" | "viewer", readonly Scope[]][] = [
    ["owner", projectId, "owner", ["read", "write", "publish"]],
    ["maintainer", projectId, "maintainer", ["read", "write", "publish"]],
    ["viewer", projectId, "viewer", ["read", "write", "publish"]],
    ["stranger", otherId, "owner", ["read", "write", "publish"]],
    ["readOnly", projectId, "owner", ["read"]],
  ];
  for (const [name, pid, role, scopes] of people) {
    const user = await createUser(
      db,
      { email: `${name}@example.org`, slug: name.toLowerCase() },
      now,
      TEST_SCRYPT,
    );
    await db.query(
      "INSERT INTO memberships (project_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)",
      [pid, user.id, role, now],
    );
    const { token } = await issueToken(
      db,
      { userId: user.id, name: "t", scopes, projectId: null, expiresAt: null },
      now,
    );
    tokens[name] = secret(token);
  }
  const { rows } = await db.query<{ id: number }>(
    `INSERT INTO packages (project_id, name, config, created_at, updated_at) VALUES ($1, 'hello', $2, $3, $3)
     RETURNING id`,
    [projectId, CONFIG, now],
  );
  const packageId = rows[0]!.id;
  const errorBodies: string[] = [];
  return {
    db,
    clock,
    tokens,
    projectId,
    packageId,
    errorBodies,
    async request(method, url, token, payload) {
      const r = await app.inject({
        method,
        url,
        ...(token === undefined ? {} : { headers: bearer(token) }),
        ...(payload === undefined ? {} : { payload }),
      });
      if (r.statusCode >= 400) errorBodies.push(r.body);
      return r;
    },
    async upload(accessName, content) {
      const bytes = Buffer.from(content);
      const sha256 = createHash("sha256").update(bytes).digest("hex");
      await db.query(
        "INSERT INTO blobs (sha256, size, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        [sha256, bytes.length, now],
      );
      await db.query(
        `INSERT INTO package_files (package_id, access_name, blob_sha256, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $4)`,
        [packageId, accessName, sha256, now],
      );
      return { sha256, size: bytes.length };
    },
  };
}

const BUILDS = "/api/v1/projects/demo/packages/hello/builds";

/** Marks every job of a build succeeded, as the queue does once it published (finished in request order). */
async function succeed(s: Setup, buildId: number): Promise<void> {
  s.clock.advance(1000);
  await s.db.query("UPDATE jobs SET state = 'succeeded', finished_at = $2 WHERE build_id = $1", [
    buildId,
    s.clock.now(),
  ]);
  await s.db.query("UPDATE builds SET state = 'succeeded', finished_at = $2 WHERE id = $1", [
    buildId,
    s.clock.now(),
  ]);
}

/** Uploads every file CONFIG references. */
async function uploadAll(s: Setup): Promise<Record<string, { sha256: string; size: number }>> {
  const out: Record<string, { sha256: string; size: number }> = {};
  for (const name of REFERENCED) out[name] = await s.upload(name, `content of ${name}`);
  return out;
}

/**
 * build.steps[].packagers: a job has steps only when one applies to its packager; a bad build block is
 * INVALID_CONFIG. Run inside another test (one database set-up).
 */
async function packagersChecks(s: Setup): Promise<void> {
  // Every file CONFIG references is uploaded already.
  await saveRepositorySettings(
    s.db,
    s.projectId,
    { private: false, settings: { rpm: { targets: ["el-9"] }, alpine: { targets: ["alpine-3.22"] } } },
    s.clock.now(),
  );
  const setConfig = (config: string) =>
    s.db.query("UPDATE packages SET config = $2 WHERE id = $1", [s.packageId, config]);
  const steps = (lines: string) => CONFIG.replace("  steps:\n    - run: make\n", `  steps:\n${lines}`);
  const targets = ["debian-12", "el-9", "arch", "alpine-3.22"];
  const jobsOf = (body: { jobs: { format: string; hasSteps: boolean }[] }) =>
    Object.fromEntries(body.jobs.map((j) => [j.format, j.hasSteps]));

  await setConfig(
    steps("    - run: make rpm\n      packagers: [rpm]\n    - run: make apk\n      packagers: [apk, rpm]\n"),
  );
  // gen/out.bin is a step output, but the deb and Arch jobs run no step: it must be uploaded for them.
  let r = await s.request("POST", BUILDS, s.tokens.owner, { version: "1.0.0", targets });
  assert.equal(r.statusCode, 422, r.body);
  assert.equal(errorOf(r).code, "MISSING_SOURCE");
  assert.deepEqual(errorOf(r).details.missing, ["gen"]);
  r = await s.request("POST", BUILDS, s.tokens.owner, { version: "1.0.0", targets: ["el-9", "alpine-3.22"] });
  assert.equal(r.statusCode, 201, r.body);
  await s.upload("gen", "a tarball of gen/");
  r = await s.request("POST", BUILDS, s.tokens.owner, { version: "1.0.0", targets });
  assert.equal(r.statusCode, 201, r.body);
  assert.deepEqual(jobsOf(r.json()), { deb: false, rpm: true, archlinux: false, apk: true });
  const { rows } = await s.db.query<{ format: string; has_steps: boolean }>(
    "SELECT format, has_steps FROM jobs WHERE build_id = $1 ORDER BY id",
    [r.json().id],
  );
  assert.deepEqual(
    rows.map((j) => [j.format, j.has_steps]),
    [
      ["deb", false],
      ["rpm", true],
      ["archlinux", false],
      ["apk", true],
    ],
  );

  // A step without packagers runs for every job.
  await setConfig(steps("    - run: make deb\n      packagers: [deb]\n    - run: make all\n"));
  r = await s.request("POST", BUILDS, s.tokens.owner, { version: "1.0.1", targets });
  assert.equal(r.statusCode, 201, r.body);
  assert.deepEqual(jobsOf(r.json()), { deb: true, rpm: true, archlinux: true, apk: true });

  // An unknown packager (the upload check leaves the build block unparsed): refused, naming the field.
  await setConfig(steps("    - run: make\n      packagers: [deb, msi]\n"));
  r = await s.request("POST", BUILDS, s.tokens.owner, { version: "1.0.2", targets });
  assert.equal(r.statusCode, 422, r.body);
  const e = errorOf(r);
  assert.equal(e.code, "INVALID_CONFIG");
  assert.equal(e.details.field, "build.steps[0].packagers[1]");
  assert.equal(e.details.loaderCode, "INVALID_FIELD");
  assert.match(e.message, /expected one of deb, rpm, archlinux, apk/);
}

eachDb((_kind, fresh) => {
  test("request rules: MISSING_SOURCE, UNKNOWN_TARGET, no target, TARGET_NOT_SERVED; a build records jobs, sources, SOURCE_DATE_EPOCH; steps per packager", async (t) => {
    const s = await setup(t, fresh);
    if (s === undefined) return;
    const owner = s.tokens.owner;

    // Nothing uploaded: every referenced access name is listed (the step output and the glob are not).
    let r = await s.request("POST", BUILDS, owner, { version: "1.0.0", targets: ["debian-12"] });
    assert.equal(r.statusCode, 422, r.body);
    let e = errorOf(r);
    assert.equal(e.code, "MISSING_SOURCE");
    assert.deepEqual(e.details.missing, REFERENCED);
    const uploaded: Record<string, { sha256: string; size: number }> = {};
    uploaded.hello = await s.upload("hello", "binary");
    uploaded.docs = await s.upload("docs", "docs tarball");
    r = await s.request("POST", BUILDS, owner, { version: "1.0.0", targets: ["debian-12"] });
    assert.deepEqual(errorOf(r).details.missing, ["changelog.yml", "scripts"]);
    uploaded["changelog.yml"] = await s.upload("changelog.yml", "changelog");
    uploaded.scripts = await s.upload("scripts", "scripts");
    uploaded["unreferenced.txt"] = await s.upload("unreferenced.txt", "an extra file");

    // Unknown targets: all listed, with the catalogue's suggestion; nothing written.
    r = await s.request("POST", BUILDS, owner, {
      version: "1.0.0",
      targets: ["debian-12", "rocky-9", "nope"],
    });
    assert.equal(r.statusCode, 422, r.body);
    e = errorOf(r);
    assert.equal(e.code, "UNKNOWN_TARGET");
    assert.deepEqual(e.details.unknown, ["rocky-9", "nope"]);
    assert.deepEqual(e.details.suggestions, { "rocky-9": "el-9" });
    assert.ok((e.details.known as string[]).includes("debian-12"));

    // No targets and no repository settings: 400 INVALID_REQUEST; an empty list is refused by the schema.
    r = await s.request("POST", BUILDS, owner, { version: "1.0.0" });
    assert.equal(r.statusCode, 400, r.body);
    assert.match(errorOf(r).message, /at least one target/);
    r = await s.request("POST", BUILDS, owner, { version: "1.0.0", targets: [] });
    assert.equal(r.statusCode, 400, r.body);
    r = await s.request("POST", "/api/v1/projects/demo/packages/nope/builds", owner, {
      version: "1.0.0",
      targets: ["arch"],
    });
    assert.equal(r.statusCode, 404, r.body);
    const { rows: none } = await s.db.query("SELECT id FROM builds");
    assert.equal(none.length, 0);

    // Targets the repository does not serve: rpm ones need rpm.targets (deb and arch publish without
    // settings). All listed; nothing written.
    r = await s.request("POST", BUILDS, s.tokens.maintainer, {
      version: "1.0.0",
      targets: ["debian-12", "fedora-42", "ubuntu-24.04", "arch", "el-9"],
    });
    assert.equal(r.statusCode, 422, r.body);
    e = errorOf(r);
    assert.equal(e.code, "REPO_REFUSED");
    assert.equal(e.details.repoCode, "TARGET_NOT_SERVED");
    assert.deepEqual(e.details.notServed, ["fedora-42", "el-9"]);
    // Without settings a publish makes the `stable` suite (every Debian-like reads it) and a pacman
    // repository: those are served.
    assert.deepEqual(e.details.served, [
      ...CATALOGUE.filter((c) => c.family === "deb").map((c) => c.id),
      "arch",
    ]);
    assert.match(e.message, /fedora-42 \(not in rpm\.targets: none\)/);
    assert.equal((await s.db.query("SELECT id FROM builds")).rows.length, 0);
    await saveRepositorySettings(
      s.db,
      s.projectId,
      { private: false, settings: { rpm: { targets: ["el-9", "fedora-42"] } } },
      s.clock.now(),
    );

    // debian-12 and ubuntu-24.04 share one deb job; fedora-42 is deprecated (a warning), el-9 its own rpm
    // root but the same rpm job.
    const requestedAt = s.clock.now();
    r = await s.request("POST", BUILDS, s.tokens.maintainer, {
      version: "1.0.0",
      targets: ["debian-12", "fedora-42", "ubuntu-24.04", "arch", "el-9"],
    });
    assert.equal(r.statusCode, 201, r.body);
    const build = r.json();
    assert.equal(build.project, "demo");
    assert.equal(build.package, "hello");
    assert.equal(build.state, "pending");
    assert.equal(build.trigger, "api");
    assert.equal(build.force, false);
    assert.deepEqual(build.targets, ["debian-12", "fedora-42", "ubuntu-24.04", "arch", "el-9"]);
    assert.deepEqual(
      build.jobs.map(
        (j: { format: string; arch: string; targets: string[]; state: string; hasSteps: boolean }) => [
          j.format,
          j.arch,
          j.targets,
          j.state,
          j.hasSteps,
        ],
      ),
      [
        ["deb", "amd64", ["debian-12", "ubuntu-24.04"], "pending", true],
        ["rpm", "amd64", ["fedora-42", "el-9"], "pending", true],
        ["archlinux", "amd64", ["arch"], "pending", true],
      ],
    );
    assert.deepEqual(build.warnings.map((w: { code: string }) => w.code).sort(), [
      "SIGNATURE_IGNORED",
      "TARGET_DEPRECATED",
    ]);
    assert.match(
      build.warnings.find((w: { code: string }) => w.code === "TARGET_DEPRECATED").message,
      /fedora-42/,
    );
    // Every uploaded file, referenced or not, with its digest and size.
    const expectedSources = Object.keys(uploaded)
      .sort()
      .map((name) => ({ accessName: name, ...uploaded[name]! }));
    assert.deepEqual(build.sources, expectedSources);
    assert.equal(build.sourceDateEpoch, Math.floor(requestedAt.getTime() / 1000));
    assert.equal(build.createdAt, requestedAt.toISOString());

    // The rows: the stored config and epoch fixed on the build, jobs runnable now by the database clock.
    const { rows } = await s.db.query<{ config: string; source_date_epoch: number; requested_by: number }>(
      "SELECT config, source_date_epoch, requested_by FROM builds WHERE id = $1",
      [build.id],
    );
    assert.equal(rows[0]!.config, CONFIG);
    assert.equal(Number(rows[0]!.source_date_epoch), Math.floor(Date.parse("2026-12-06T12:00:00Z") / 1000));
    const { rows: jobs } = await s.db.query<{ runnable: boolean; labels: string[]; attempt: number }>(
      "SELECT run_after <= now() AS runnable, labels, attempt FROM jobs WHERE build_id = $1",
      [build.id],
    );
    assert.equal(jobs.length, 3);
    for (const j of jobs) assert.deepEqual([j.runnable, j.labels, j.attempt], [true, [], 0]);

    // The repository's settings supply targets when the request names none.
    await saveRepositorySettings(
      s.db,
      s.projectId,
      { private: false, settings: { apt: { suite: "trixie" }, alpine: { targets: ["alpine-3.23"] } } },
      s.clock.now(),
    );
    r = await s.request("POST", BUILDS, owner, { version: "1.0.1" });
    assert.equal(r.statusCode, 201, r.body);
    assert.deepEqual(r.json().targets, ["debian-13", "alpine-3.23"]);
    assert.deepEqual(
      r.json().jobs.map((j: { format: string }) => j.format),
      ["deb", "apk"],
    );
    // The trixie suite serves Debian 13, not Ubuntu (it reads noble, or stable).
    r = await s.request("POST", BUILDS, owner, { version: "1.0.2", targets: ["ubuntu-24.04", "debian-13"] });
    assert.equal(r.statusCode, 422, r.body);
    assert.deepEqual(errorOf(r).details.notServed, ["ubuntu-24.04"]);
    assert.deepEqual(errorOf(r).details.served, ["debian-13", "arch", "alpine-3.23"]);
    assert.match(errorOf(r).message, /the APT suite is trixie; ubuntu-24\.04 reads noble or stable/);

    await packagersChecks(s);
  });

  test("versions: VERSION_EXISTS even with force, VERSION_NOT_NEWER unless force, new targets exempt", async (t) => {
    const s = await setup(t, fresh);
    if (s === undefined) return;
    await uploadAll(s);
    const post = (body: object, token = s.tokens.maintainer) => s.request("POST", BUILDS, token, body);
    await saveRepositorySettings(
      s.db,
      s.projectId,
      { private: false, settings: { rpm: { targets: ["fedora-43"] }, alpine: { targets: ["alpine-3.22"] } } },
      s.clock.now(),
    );

    let r = await post({ version: "1.9.0", targets: ["debian-12", "arch"] });
    assert.equal(r.statusCode, 201, r.body);
    await succeed(s, r.json().id);

    // The same version again, for a target that has it: refused, force or not.
    for (const force of [false, true]) {
      r = await post({ version: "1.9.0", targets: ["arch"], force });
      assert.equal(r.statusCode, 409, r.body);
      const e = errorOf(r);
      assert.equal(e.code, "VERSION_EXISTS");
      assert.deepEqual(
        (e.details.existing as { target: string }[]).map((x) => x.target),
        ["arch"],
      );
    }
    // `v1.9.0` is the same version by every format's comparison.
    r = await post({ version: "v1.9.0", targets: ["debian-12"] });
    assert.equal(errorOf(r).code, "VERSION_EXISTS");

    // Older: 1.10.0 is newer than 1.9.0 (numeric order, not string order); a prerelease of 1.9.0 is older.
    r = await post({ version: "1.9.0-rc.1", targets: ["debian-12"] });
    assert.equal(r.statusCode, 409, r.body);
    let e = errorOf(r);
    assert.equal(e.code, "VERSION_NOT_NEWER");
    assert.deepEqual(
      (e.details.newer as { target: string; version: string }[]).map((x) => [x.target, x.version]),
      [["debian-12", "1.9.0"]],
    );
    assert.match(e.message, /1\.9\.0 for debian-12/);
    r = await post({ version: "1.8.5", targets: ["arch", "debian-12"] });
    e = errorOf(r);
    assert.equal(e.code, "VERSION_NOT_NEWER");
    assert.deepEqual(
      (e.details.newer as { target: string }[]).map((x) => x.target),
      ["arch", "debian-12"],
    );

    // A target without a succeeded build at any version is exempt: distributions of other packagers added
    // to 1.9.0. Not ubuntu-24.04: debian-12's .deb of 1.9.0 is its package too (one deb job serves both).
    r = await post({ version: "1.9.0", targets: ["fedora-43", "alpine-3.22"] });
    assert.equal(r.statusCode, 201, r.body);
    r = await post({ version: "1.9.0", targets: ["ubuntu-24.04"] });
    assert.equal(r.statusCode, 409, r.body);
    const sibling = errorOf(r);
    assert.equal(sibling.code, "VERSION_EXISTS");
    assert.deepEqual(
      (sibling.details.existing as { target: string; builtFor: string[] }[]).map((x) => [
        x.target,
        x.builtFor,
      ]),
      [["ubuntu-24.04", ["debian-12"]]],
    );

    // force allows the older version; it is recorded on the build.
    r = await post({ version: "1.8.5", targets: ["debian-12"], force: true });
    assert.equal(r.statusCode, 201, r.body);
    assert.equal(r.json().force, true);
    await succeed(s, r.json().id);

    // Compared with each target's last succeeded build: for debian-12 that is now the forced 1.8.5.
    r = await post({ version: "1.10.0", targets: ["debian-12", "arch"] });
    assert.equal(r.statusCode, 201, r.body);
    // A failed or pending build does not count: 1.10.0 is pending, 1.9.5 is still newer than 1.9.0 for arch.
    r = await post({ version: "1.9.5", targets: ["arch"] });
    assert.equal(r.statusCode, 201, r.body);
  });

  test("GET /api/v1/targets; access to /builds/:id, the project's list, and cancelling a pending build", async (t) => {
    const s = await setup(t, fresh);
    if (s === undefined) return;
    // The catalogue, without a token: every id with its build-side fields.
    {
      const r = await s.request("GET", "/api/v1/targets");
      assert.equal(r.statusCode, 200, r.body);
      const { targets } = r.json() as { targets: Record<string, unknown>[] };
      assert.deepEqual(
        targets.map((x) => x.id),
        CATALOGUE.map((x) => x.id),
      );
      const packagers: Record<string, string> = {
        deb: "deb",
        rpm: "rpm",
        archlinux: "archlinux",
        alpine: "apk",
      };
      for (const x of targets) {
        const c = CATALOGUE.find((y) => y.id === x.id)!;
        assert.equal(x.name, c.name);
        assert.equal(x.family, c.family);
        assert.equal(x.format, c.format);
        assert.equal(x.packager, packagers[c.family]);
        assert.deepEqual(x.architectures, c.architectures);
        assert.deepEqual(x.layout, c.layout);
        assert.equal(x.deprecated, c.deprecated ?? null);
        assert.equal(x.environment, "native");
        assert.deepEqual(x.labels, []);
      }
      assert.ok(
        targets.some((x) => typeof x.deprecated === "string"),
        "expected a deprecated target with its reason",
      );
    }

    await uploadAll(s);
    await saveRepositorySettings(
      s.db,
      s.projectId,
      { private: false, settings: { rpm: { targets: ["el-9"] } } },
      s.clock.now(),
    );
    let r = await s.request("POST", BUILDS, s.tokens.owner, {
      version: "2.0.0",
      targets: ["debian-12", "arch"],
    });
    assert.equal(r.statusCode, 201, r.body);
    const id = r.json().id as number;
    // A viewer cannot request builds (maintainer + publish).
    r = await s.request("POST", BUILDS, s.tokens.viewer, { version: "2.0.1", targets: ["debian-12"] });
    assert.equal(r.statusCode, 403, r.body);

    // Reading: members see it; another project's owner gets the same 404 as a build that does not exist.
    r = await s.request("GET", `/api/v1/builds/${id}`, s.tokens.viewer);
    assert.equal(r.statusCode, 200, r.body);
    assert.equal(r.json().id, id);
    r = await s.request("GET", `/api/v1/builds/${id}`, s.tokens.stranger);
    assert.equal(r.statusCode, 404, r.body);
    assert.equal(errorOf(r).code, "NOT_FOUND");
    r = await s.request("GET", `/api/v1/builds/${id + 1000}`, s.tokens.owner);
    assert.equal(r.statusCode, 404, r.body);
    r = await s.request("GET", `/api/v1/builds/${id}`);
    assert.equal(r.statusCode, 401, r.body);

    // The project's list, newest first, by package, limited; strangers get 404.
    s.clock.advance(1000);
    await s.request("POST", BUILDS, s.tokens.owner, { version: "2.0.1", targets: ["el-9"] });
    r = await s.request("GET", "/api/v1/projects/demo/builds", s.tokens.viewer);
    assert.equal(r.statusCode, 200, r.body);
    assert.deepEqual(
      r.json().builds.map((b: { version: string }) => b.version),
      ["2.0.1", "2.0.0"],
    );
    r = await s.request("GET", "/api/v1/projects/demo/builds?limit=1&package=hello", s.tokens.viewer);
    assert.deepEqual(
      r.json().builds.map((b: { version: string }) => b.version),
      ["2.0.1"],
    );
    r = await s.request("GET", "/api/v1/projects/demo/builds?package=other", s.tokens.viewer);
    assert.deepEqual(r.json().builds, []);
    r = await s.request("GET", "/api/v1/projects/demo/builds", s.tokens.stranger);
    assert.equal(r.statusCode, 404, r.body);

    // Cancelling: a viewer is refused (403), so is an owner's token without the publish scope; a
    // maintainer cancels the pending build at once.
    r = await s.request("POST", `/api/v1/builds/${id}/cancel`, s.tokens.viewer);
    assert.equal(r.statusCode, 403, r.body);
    assert.equal(errorOf(r).code, "FORBIDDEN");
    r = await s.request("POST", `/api/v1/builds/${id}/cancel`, s.tokens.readOnly);
    assert.equal(r.statusCode, 403, r.body);
    r = await s.request("POST", `/api/v1/builds/${id}/cancel`, s.tokens.stranger);
    assert.equal(r.statusCode, 404, r.body);
    r = await s.request("POST", `/api/v1/builds/${id}/cancel`, s.tokens.maintainer);
    assert.equal(r.statusCode, 200, r.body);
    const cancelled = r.json();
    assert.equal(cancelled.state, "cancelled");
    assert.deepEqual(
      cancelled.jobs.map((j: { state: string; failure: { code: string } | null }) => [
        j.state,
        j.failure?.code,
      ]),
      [
        ["cancelled", "CANCELLED"],
        ["cancelled", "CANCELLED"],
      ],
    );
    // A cancelled build is not a succeeded one: the same version may be requested again.
    r = await s.request("POST", BUILDS, s.tokens.owner, { version: "2.0.0", targets: ["debian-12"] });
    assert.equal(r.statusCode, 201, r.body);

    for (const body of s.errorBodies)
      for (const token of Object.values(s.tokens))
        assert.ok(!body.includes(token), "a token in an error body");
  });
});

secretsNeverLeak();
