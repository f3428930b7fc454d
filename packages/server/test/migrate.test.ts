// Migrations on both databases: applying, recording, refusing edited/unknown/gapped histories, one
// transaction per file, and concurrent migrators. Plus the file loader's checks.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import {
  isServerError,
  loadMigrations,
  MIGRATIONS_DIR,
  type Migration,
  migrate,
  type ServerError,
} from "../src/index.ts";
import { eachDb } from "./dbs.ts";

const scratch = await mkdtemp(join(tmpdir(), "packyard-migrations-"));
after(() => rm(scratch, { recursive: true, force: true }));
let dirs = 0;

/** Writes `files` to a new folder and loads them. */
async function migrations(files: Record<string, string>): Promise<Migration[]> {
  const dir = join(scratch, `m${++dirs}`);
  await mkdir(dir);
  for (const [name, sql] of Object.entries(files)) await writeFile(join(dir, name), sql);
  return loadMigrations(dir);
}

function rejectsWith(code: string, mentions: string): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(isServerError(e), `expected a ServerError, got ${String(e)}`);
    assert.equal((e as ServerError).code, code, (e as Error).message);
    assert.ok((e as Error).message.includes(mentions), `"${(e as Error).message}" should name ${mentions}`);
    return true;
  };
}

// Not idempotent on purpose: applying a file twice fails (CREATE TABLE without IF NOT EXISTS).
const ONE = "CREATE TABLE one (id int PRIMARY KEY);\nINSERT INTO one VALUES (1);\n";
const TWO = "CREATE TABLE two (id int PRIMARY KEY);\n";
const THREE = "ALTER TABLE two ADD COLUMN label text;\n";

/** The tables in the test's schema, sorted. */
async function tables(db: { query<T>(sql: string): Promise<{ rows: T[] }> }): Promise<string[]> {
  const { rows } = await db.query<{ table_name: string }>(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name",
  );
  return rows.map((r) => r.table_name);
}

describe("loadMigrations", () => {
  test("reads files in number order with the SHA-256 of their bytes; ignores other files", async () => {
    const ms = await migrations({ "0002_two.sql": TWO, "0001_one.sql": ONE, "README.md": "not sql" });
    assert.deepStrictEqual(
      ms.map((m) => [m.version, m.file, m.sha256]),
      [
        [1, "0001_one.sql", createHash("sha256").update(ONE).digest("hex")],
        [2, "0002_two.sql", createHash("sha256").update(TWO).digest("hex")],
      ],
    );
  });

  test("refuses a badly named file, a duplicate number and number zero", async () => {
    await assert.rejects(migrations({ "1_one.sql": ONE }), rejectsWith("MIGRATION_INVALID", "1_one.sql"));
    await assert.rejects(
      migrations({ "0001_one.sql": ONE, "0001_again.sql": TWO }),
      rejectsWith("MIGRATION_INVALID", "0001_again.sql"),
    );
    await assert.rejects(
      migrations({ "0000_zero.sql": ONE }),
      rejectsWith("MIGRATION_INVALID", "0000_zero.sql"),
    );
  });

  test("the package's own migrations load from MIGRATIONS_DIR, numbered from 1 without gaps", async () => {
    const ms = await loadMigrations();
    assert.ok(ms.length >= 1);
    assert.deepStrictEqual(
      ms.map((m) => m.version),
      ms.map((_, i) => i + 1),
    );
    assert.equal(ms[0]!.file, "0001_initial.sql");
    assert.equal(ms[0]!.sql, await readFile(join(MIGRATIONS_DIR, "0001_initial.sql"), "utf8"));
  });
});

eachDb((kind, fresh) => {
  test("applies pending files in order, records them, and applies nothing the second time", async (t) => {
    const f = await fresh(t);
    if (f === undefined) return;
    const ms = await migrations({ "0001_one.sql": ONE, "0002_two.sql": TWO });
    assert.deepStrictEqual(await migrate(f.db, ms), {
      applied: ["0001_one.sql", "0002_two.sql"],
      version: 2,
    });
    assert.deepStrictEqual(await tables(f.db), ["one", "packyard_migrations", "two"]);
    const { rows } = await f.db.query(
      "SELECT version, name, sha256 FROM packyard_migrations ORDER BY version",
    );
    assert.deepStrictEqual(
      rows,
      ms.map((m) => ({ version: m.version, name: m.file, sha256: m.sha256 })),
    );
    assert.deepStrictEqual(await migrate(f.db, ms), { applied: [], version: 2 });
    // A later build with one more file applies just that one.
    const more = await migrations({ "0001_one.sql": ONE, "0002_two.sql": TWO, "0003_three.sql": THREE });
    assert.deepStrictEqual(await migrate(f.db, more), { applied: ["0003_three.sql"], version: 3 });
  });

  test("an applied file that was edited stops the start with MIGRATION_CHANGED naming it", async (t) => {
    const f = await fresh(t);
    if (f === undefined) return;
    await migrate(f.db, await migrations({ "0001_one.sql": ONE, "0002_two.sql": TWO }));
    const edited = await migrations({ "0001_one.sql": ONE, "0002_two.sql": `${TWO}-- a comment\n` });
    await assert.rejects(migrate(f.db, edited), rejectsWith("MIGRATION_CHANGED", "0002_two.sql"));
    const renamed = await migrations({ "0001_one.sql": ONE, "0002_deux.sql": TWO });
    await assert.rejects(migrate(f.db, renamed), rejectsWith("MIGRATION_CHANGED", "0002_deux.sql"));
  });

  test("a database migrated by a newer build stops the start with SCHEMA_TOO_NEW naming the unknown file", async (t) => {
    const f = await fresh(t);
    if (f === undefined) return;
    await migrate(f.db, await migrations({ "0001_one.sql": ONE, "0002_two.sql": TWO }));
    const older = await migrations({ "0001_one.sql": ONE });
    await assert.rejects(migrate(f.db, older), rejectsWith("SCHEMA_TOO_NEW", "0002_two.sql"));
  });

  test("a gap below the newest applied file is MIGRATION_OUT_OF_ORDER, not applied late", async (t) => {
    const f = await fresh(t);
    if (f === undefined) return;
    await migrate(f.db, await migrations({ "0001_one.sql": ONE, "0003_three.sql": TWO }));
    const filled = await migrations({
      "0001_one.sql": ONE,
      "0002_two.sql": "SELECT 1;",
      "0003_three.sql": TWO,
    });
    await assert.rejects(migrate(f.db, filled), rejectsWith("MIGRATION_OUT_OF_ORDER", "0002_two.sql"));
  });

  test("each file is one transaction: a failing file leaves nothing of itself and is not recorded", async (t) => {
    const f = await fresh(t);
    if (f === undefined) return;
    const ms = await migrations({
      "0001_one.sql": ONE,
      "0002_bad.sql": "CREATE TABLE half (id int);\nINSERT INTO nowhere VALUES (1);\n",
    });
    await assert.rejects(migrate(f.db, ms), rejectsWith("DB_ERROR", "0002_bad.sql"));
    assert.deepStrictEqual(await tables(f.db), ["one", "packyard_migrations"]);
    const { rows } = await f.db.query("SELECT name FROM packyard_migrations");
    assert.deepStrictEqual(rows, [{ name: "0001_one.sql" }]);
  });

  test("4 migrators starting at once apply each file exactly once", async (t) => {
    const f = await fresh(t);
    if (f === undefined) return;
    const ms = await migrations({ "0001_one.sql": ONE, "0002_two.sql": TWO, "0003_three.sql": THREE });
    // On PostgreSQL four pools, as four servers; on PGlite four callers of the one embedded database.
    const dbs = [f.db, await f.open(), await f.open(), await f.open()];
    const results = await Promise.all(dbs.map((db) => migrate(db, ms)));
    const applied = results.flatMap((r) => r.applied).sort();
    assert.deepStrictEqual(applied, ["0001_one.sql", "0002_two.sql", "0003_three.sql"]);
    assert.ok(results.every((r) => r.version === 3));
    assert.deepStrictEqual((await f.db.query("SELECT count(*)::int AS n FROM one")).rows, [{ n: 1 }]);
    assert.equal((await f.db.query("SELECT * FROM packyard_migrations")).rowCount, 3);
  });

  test(`the package's migrations apply on ${kind} and create the schema's tables`, async (t) => {
    const f = await fresh(t);
    if (f === undefined) return;
    const { applied } = await migrate(f.db);
    assert.equal(applied[0], "0001_initial.sql");
    assert.deepStrictEqual(await tables(f.db), [
      "agents",
      "api_tokens",
      "artifacts",
      "audit_events",
      "billing_events",
      "billing_usage",
      "blobs",
      "builds",
      "job_attempts",
      "job_logs",
      "jobs",
      "master_keys",
      "memberships",
      "package_files",
      "packages",
      "packyard_migrations",
      "project_secrets",
      "project_webhooks",
      "projects",
      "releases",
      "repositories",
      "sessions",
      "signing_keys",
      "subscriptions",
      "users",
      "webhook_deliveries",
    ]);
  });
});
