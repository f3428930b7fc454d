// The first migration's constraints, on both databases: what the schema itself refuses, and what a
// deletion takes with it. Each refusal is checked by its SQLSTATE and constraint, next to an accepted row.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { test } from "node:test";
import {
  type Db,
  isForeignKeyViolation,
  isServerError,
  isUniqueViolation,
  migrate,
  type ServerError,
} from "../src/index.ts";
import { eachDb } from "./dbs.ts";

const NOW = new Date("2026-12-06T12:00:00Z");
const SHA_A = "a".repeat(64);
const SHA_B = "b".repeat(64);

/** Rejects with DB_ERROR of `sqlState` (23505 unique, 23503 foreign key, 23514 check). */
function refused(sqlState: string, constraint?: string): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(isServerError(e, "DB_ERROR"), String(e));
    assert.equal((e as ServerError).data.sqlState, sqlState, (e as Error).message);
    if (constraint !== undefined) assert.equal((e as ServerError).data.constraint, constraint);
    return true;
  };
}

async function one<T>(db: Db, sql: string, params: unknown[]): Promise<T> {
  const { rows } = await db.query<T>(sql, params);
  return rows[0]!;
}

async function user(db: Db, slug: string, email = `${slug}@example.org`): Promise<number> {
  return (
    await one<{ id: number }>(
      db,
      "INSERT INTO users (email, slug, created_at) VALUES ($1, $2, $3) RETURNING id",
      [email, slug, NOW],
    )
  ).id;
}

async function project(db: Db, slug: string): Promise<number> {
  return (
    await one<{ id: number }>(db, "INSERT INTO projects (slug, created_at) VALUES ($1, $2) RETURNING id", [
      slug,
      NOW,
    ])
  ).id;
}

async function pkg(db: Db, projectId: number, name: string): Promise<number> {
  return (
    await one<{ id: number }>(
      db,
      "INSERT INTO packages (project_id, name, config, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) RETURNING id",
      [projectId, name, "name: x\n", NOW],
    )
  ).id;
}

async function release(db: Db, packageId: number, projectId: number, version: string): Promise<number> {
  return (
    await one<{ id: number }>(
      db,
      "INSERT INTO releases (package_id, project_id, version, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
      [packageId, projectId, version, NOW],
    )
  ).id;
}

async function blob(db: Db, sha: string): Promise<void> {
  await db.query("INSERT INTO blobs (sha256, size, created_at) VALUES ($1, $2, $3)", [sha, 10, NOW]);
}

async function count(db: Db, table: string): Promise<number> {
  return (await one<{ n: number }>(db, `SELECT count(*)::int AS n FROM ${table}`, [])).n;
}

eachDb((_kind, fresh) => {
  async function migrated(t: Parameters<typeof fresh>[0]): Promise<Db | undefined> {
    const f = await fresh(t);
    if (f === undefined) return undefined;
    await migrate(f.db);
    return f.db;
  }

  test("users: slugs unique and well-formed, emails unique without case, password columns all or none", async (t) => {
    const db = await migrated(t);
    if (db === undefined) return;
    await user(db, "alice", "Alice@Example.org");
    await assert.rejects(user(db, "alice", "other@example.org"), refused("23505"));
    assert.ok(await user(db, "alice2", "other@example.org"));
    await assert.rejects(user(db, "alice3", "alice@example.org"), (e) =>
      isUniqueViolation(e, "users_email_key"),
    );
    await assert.rejects(user(db, "Bad_Slug"), refused("23514"));
    await assert.rejects(user(db, "a"), refused("23514")); // two characters at least
    await assert.rejects(
      db.query(
        "INSERT INTO users (email, slug, password_hash, created_at) VALUES ('p@x.org', 'pw', $1, $2)",
        [new Uint8Array(32), NOW],
      ),
      refused("23514", "users_password_complete"),
    );
    await db.query(
      `INSERT INTO users (email, slug, password_hash, password_salt, scrypt_n, scrypt_r, scrypt_p, created_at)
       VALUES ('q@x.org', 'pw', $1, $2, 32768, 8, 1, $3)`,
      [new Uint8Array(64), new Uint8Array(16), NOW],
    );
  });

  test("projects: slug [a-z0-9][a-z0-9-]{1,62}, unique", async (t) => {
    const db = await migrated(t);
    if (db === undefined) return;
    await project(db, "my-app");
    await assert.rejects(project(db, "my-app"), (e) => isUniqueViolation(e, "projects_slug_key"));
    await assert.rejects(project(db, "-app"), refused("23514"));
    await assert.rejects(project(db, `a${"b".repeat(63)}`), refused("23514")); // 64 characters
    await project(db, `a${"b".repeat(62)}`); // 63 characters
  });

  test("releases: unique per package and version; the project must be the package's", async (t) => {
    const db = await migrated(t);
    if (db === undefined) return;
    const p1 = await project(db, "one");
    const p2 = await project(db, "two");
    const k = await pkg(db, p1, "hello");
    await assert.rejects(pkg(db, p1, "hello"), (e) => isUniqueViolation(e, "packages_project_name_key"));
    await release(db, k, p1, "1.0.0");
    await assert.rejects(release(db, k, p1, "1.0.0"), (e) =>
      isUniqueViolation(e, "releases_package_version_key"),
    );
    await release(db, k, p1, "1.0.1");
    await assert.rejects(release(db, k, p2, "2.0.0"), refused("23503", "releases_package_fkey"));
  });

  test("artifacts: one name+version+arch per format in a project; blobs in use cannot be deleted", async (t) => {
    const db = await migrated(t);
    if (db === undefined) return;
    const p = await project(db, "proj");
    const k = await pkg(db, p, "hello");
    const r1 = await release(db, k, p, "1.0");
    const r2 = await release(db, k, p, "1.0-again");
    await blob(db, SHA_A);
    await blob(db, SHA_B);
    const insert = (releaseId: number, sha: string, arch: string) =>
      db.query(
        `INSERT INTO artifacts (release_id, project_id, format, name, version, arch, file_name, blob_sha256, info, created_at)
         VALUES ($1, $2, 'deb', 'hello', '1.0-1', $3, $4, $5, $6::jsonb, $7)`,
        [releaseId, p, arch, `hello_1.0-1_${arch}.deb`, sha, JSON.stringify({ name: "hello" }), NOW],
      );
    await insert(r1, SHA_A, "amd64");
    await insert(r1, SHA_A, "arm64");
    await assert.rejects(insert(r2, SHA_B, "amd64"), (e) => isUniqueViolation(e, "artifacts_package_key"));
    await assert.rejects(db.query("DELETE FROM blobs WHERE sha256 = $1", [SHA_A]), (e) =>
      isForeignKeyViolation(e, "artifacts_blob_sha256_fkey"),
    );
    assert.equal((await db.query("DELETE FROM blobs WHERE sha256 = $1", [SHA_B])).rowCount, 1);
    await assert.rejects(blob(db, "A".repeat(64)), refused("23514"));
  });

  test("package files: access names [A-Za-z0-9._-]{1,128} but not . or .., unique per package", async (t) => {
    const db = await migrated(t);
    if (db === undefined) return;
    const p = await project(db, "proj");
    const k = await pkg(db, p, "hello");
    await blob(db, SHA_A);
    const insert = (name: string) =>
      db.query(
        "INSERT INTO package_files (package_id, access_name, blob_sha256, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)",
        [k, name, SHA_A, NOW],
      );
    await insert("source-tarball");
    await insert("x".repeat(128));
    await assert.rejects(insert("source-tarball"), (e) =>
      isUniqueViolation(e, "package_files_access_name_key"),
    );
    for (const bad of [".", "..", "../x", "a/b", "%2e%2e", "a\u0000b", "x".repeat(129), ""])
      await assert.rejects(
        insert(bad),
        refused(bad.includes("\u0000") ? "22021" : "23514"),
        `accepted ${JSON.stringify(bad)}`,
      );
  });

  test("tokens: 32-byte hashes, unique; scopes from the known five; repository tokens are read-only and per project", async (t) => {
    const db = await migrated(t);
    if (db === undefined) return;
    const u = await user(db, "owner");
    const p = await project(db, "proj");
    const insert = (hash: Uint8Array, scopes: string[], kind = "api", projectId: number | null = null) =>
      db.query(
        "INSERT INTO api_tokens (user_id, kind, name, token_sha256, scopes, project_id, created_at) VALUES ($1, $2, 'ci', $3, $4, $5, $6)",
        [u, kind, hash, scopes, projectId, NOW],
      );
    await insert(new Uint8Array(32).fill(1), ["read", "publish"]);
    await assert.rejects(insert(new Uint8Array(32).fill(1), ["read"]), (e) =>
      isUniqueViolation(e, "api_tokens_token_sha256_key"),
    );
    await assert.rejects(insert(new Uint8Array(31), ["read"]), refused("23514"));
    await assert.rejects(insert(new Uint8Array(32).fill(2), ["read", "root"]), refused("23514"));
    await assert.rejects(insert(new Uint8Array(32).fill(3), []), refused("23514"));
    await insert(new Uint8Array(32).fill(4), ["read"], "repository", p);
    await assert.rejects(
      insert(new Uint8Array(32).fill(5), ["read", "write"], "repository", p),
      refused("23514", "api_tokens_repository_read"),
    );
    await assert.rejects(insert(new Uint8Array(32).fill(6), ["read"], "repository", null), refused("23514"));
  });

  test("signing keys: one active per project and purpose; a master key version must exist; no PEM/armor column", async (t) => {
    const db = await migrated(t);
    if (db === undefined) return;
    const p = await project(db, "proj");
    const insert = (state: string, fingerprint: string, version = 1) =>
      db.query(
        `INSERT INTO signing_keys (id, project_id, purpose, state, algorithm, fingerprint, public_key,
           secret_sealed, secret_nonce, master_key_version, created_at)
         VALUES ($1, $2, 'openpgp', $3, 'rsa4096', $4, $5, $6, $7, $8, $9)`,
        [
          randomUUID(),
          p,
          state,
          fingerprint,
          new Uint8Array(8),
          new Uint8Array(40),
          new Uint8Array(12),
          version,
          NOW,
        ],
      );
    await assert.rejects(insert("active", "ab".repeat(20)), refused("23503")); // no master_keys row yet
    await db.query("INSERT INTO master_keys (version, check_value, created_at) VALUES (1, $1, $2)", [
      new Uint8Array(32),
      NOW,
    ]);
    await insert("active", "ab".repeat(20));
    await assert.rejects(insert("active", "cd".repeat(20)), (e) =>
      isUniqueViolation(e, "signing_keys_one_active"),
    );
    await insert("retiring", "cd".repeat(20));
    await insert("retired", "ef".repeat(20));
    await assert.rejects(insert("retired", "ef".repeat(20)), (e) =>
      isUniqueViolation(e, "signing_keys_fingerprint_key"),
    );
    await assert.rejects(insert("pending", "12".repeat(20)), refused("23514"));
    const { rows } = await db.query<{ data_type: string }>(
      "SELECT data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'signing_keys' AND column_name IN ('public_key', 'secret_sealed', 'passphrase_sealed')",
    );
    assert.deepStrictEqual(
      rows.map((r) => r.data_type),
      ["bytea", "bytea", "bytea"],
    );
  });

  test("deleting a project takes its rows; blobs stay; a member user cannot be deleted behind the rules", async (t) => {
    const db = await migrated(t);
    if (db === undefined) return;
    const u = await user(db, "owner");
    const p = await project(db, "proj");
    const keep = await project(db, "keep");
    await db.query(
      "INSERT INTO memberships (project_id, user_id, role, created_at) VALUES ($1, $2, 'owner', $3)",
      [p, u, NOW],
    );
    await assert.rejects(
      db.query(
        "INSERT INTO memberships (project_id, user_id, role, created_at) VALUES ($1, $2, 'admin', $3)",
        [keep, u, NOW],
      ),
      refused("23514"),
    );
    const k = await pkg(db, p, "hello");
    const r = await release(db, k, p, "1.0");
    await blob(db, SHA_A);
    await db.query(
      `INSERT INTO artifacts (release_id, project_id, format, name, version, arch, file_name, blob_sha256, info, created_at)
       VALUES ($1, $2, 'rpm', 'hello', '1.0-1', 'x86_64', 'hello-1.0-1.x86_64.rpm', $3, '{}'::jsonb, $4)`,
      [r, p, SHA_A, NOW],
    );
    await db.query(
      "INSERT INTO package_files (package_id, access_name, blob_sha256, created_at, updated_at) VALUES ($1, 'src', $2, $3, $3)",
      [k, SHA_A, NOW],
    );
    await db.query(
      "INSERT INTO repositories (project_id, name, created_at, updated_at) VALUES ($1, 'main', $2, $2)",
      [p, NOW],
    );
    await db.query(
      "INSERT INTO audit_events (at, actor_user_id, project_id, action, details) VALUES ($1, $2, $3, 'keys.backup', '{}'::jsonb)",
      [NOW, u, p],
    );
    await assert.rejects(db.query("DELETE FROM users WHERE id = $1", [u]), (e) =>
      isForeignKeyViolation(e, "memberships_user_id_fkey"),
    );

    await db.query("DELETE FROM projects WHERE id = $1", [p]);
    for (const table of ["memberships", "packages", "releases", "artifacts", "package_files", "repositories"])
      assert.equal(await count(db, table), 0, table);
    assert.equal(await count(db, "blobs"), 1);
    assert.deepStrictEqual((await db.query("SELECT project_id, action FROM audit_events")).rows, [
      { project_id: null, action: "keys.backup" },
    ]);
    assert.equal((await db.query("DELETE FROM users WHERE id = $1", [u])).rowCount, 1);
  });
});
