/**
 * Schema migrations: numbered `.sql` files (`0001_initial.sql`) shipped in the package's `migrations/`
 * folder, applied in order at start, each in its own transaction, and recorded in `packyard_migrations` with
 * the SHA-256 of the file. A start refuses to go on when the database and this build disagree:
 * an applied file that was edited (MIGRATION_CHANGED), a migration this build does not have (SCHEMA_TOO_NEW:
 * a newer packyard migrated it), or a gap (MIGRATION_OUT_OF_ORDER).
 *
 * Concurrent starts serialize: every migration transaction first takes `pg_advisory_xact_lock` on one
 * constant key, then reads what is applied, so a server that waited sees the other's work and skips it. On
 * PGlite the advisory lock excludes nothing (one session) and the adapter's turn-taking does the same job.
 * A migration file must not contain BEGIN/COMMIT of its own.
 */
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { isServerError, ServerError } from "../errors.ts";
import type { Db, Tx } from "./db.ts";

/** One migration file. */
export interface Migration {
  /** Its number, from the name (`0003_x.sql` → 3). */
  version: number;
  /** Its file name, e.g. `0001_initial.sql`. */
  file: string;
  /** Its text. */
  sql: string;
  /** SHA-256 of its bytes, lowercase hex. */
  sha256: string;
}

/** What {@link migrate} did. */
export interface MigrateResult {
  /** Files applied by this call, in order (empty when the database was up to date). */
  applied: string[];
  /** The database's newest migration afterwards (0 for none). */
  version: number;
}

/** The folder of this package's migrations (the same relative place from src/ and dist/). */
export const MIGRATIONS_DIR: string = fileURLToPath(new URL("../../migrations/", import.meta.url));

/** The table migrations are recorded in. */
export const MIGRATIONS_TABLE = "packyard_migrations";

/** Key of the advisory lock migrators take: "packyard" in ASCII, as a signed 64-bit number. */
const MIGRATION_LOCK_KEY = "8097880754286031460";

const FILE_NAME = /^(\d{4})_([a-z0-9_]+)\.sql$/;

/** Reads and checks the migration files of `dir` (default {@link MIGRATIONS_DIR}), sorted by number. */
export async function loadMigrations(dir: string = MIGRATIONS_DIR): Promise<Migration[]> {
  const names = (await readdir(dir)).filter((n) => n.endsWith(".sql")).sort();
  const migrations: Migration[] = [];
  const seen = new Map<number, string>();
  for (const file of names) {
    const m = FILE_NAME.exec(file);
    if (m === null)
      throw new ServerError(
        "MIGRATION_INVALID",
        `Expected migration file names like 0001_name.sql (four digits, lowercase words), found "${file}" in ${dir}`,
        { path: join(dir, file) },
      );
    const version = Number(m[1]);
    if (version === 0)
      throw new ServerError(
        "MIGRATION_INVALID",
        `Expected migration numbers from 0001, found "${file}" in ${dir}`,
        {
          path: join(dir, file),
        },
      );
    const other = seen.get(version);
    if (other !== undefined)
      throw new ServerError(
        "MIGRATION_INVALID",
        `Expected one migration numbered ${m[1]}, found "${other}" and "${file}" in ${dir}`,
        { path: join(dir, file) },
      );
    seen.set(version, file);
    const bytes = await readFile(join(dir, file));
    migrations.push({
      version,
      file,
      sql: bytes.toString("utf8"),
      sha256: createHash("sha256").update(bytes).digest("hex"),
    });
  }
  return migrations;
}

interface AppliedRow {
  version: number;
  name: string;
  sha256: string;
}

/** Compares what the database recorded with this build's files; throws on any disagreement. */
function check(applied: AppliedRow[], known: Migration[]): void {
  const byVersion = new Map(known.map((m) => [m.version, m]));
  const newestKnown = known.at(-1);
  for (const row of applied) {
    if (!byVersion.has(row.version))
      throw new ServerError(
        "SCHEMA_TOO_NEW",
        `Expected the database's migrations to be ones this packyard has (up to ${newestKnown?.file ?? "none"}), found ${row.name} applied: a newer packyard migrated this database; run that version or newer`,
        { path: row.name, expected: newestKnown?.file ?? null, found: row.name, table: MIGRATIONS_TABLE },
      );
  }
  for (const row of applied) {
    const file = byVersion.get(row.version)!;
    if (file.file !== row.name || file.sha256 !== row.sha256)
      throw new ServerError(
        "MIGRATION_CHANGED",
        `Expected migration ${file.file} to be the file the database applied (${row.name}, sha256 ${row.sha256}), found sha256 ${file.sha256}${file.file === row.name ? "" : ` under the name ${file.file}`}: an applied migration was edited; add a new migration instead`,
        { path: file.file, expected: row.sha256, found: file.sha256, table: MIGRATIONS_TABLE },
      );
  }
  const newestApplied = applied.at(-1)?.version ?? 0;
  const done = new Set(applied.map((r) => r.version));
  const gap = known.find((m) => !done.has(m.version) && m.version < newestApplied);
  if (gap !== undefined)
    throw new ServerError(
      "MIGRATION_OUT_OF_ORDER",
      `Expected ${gap.file} applied before the newer ${applied.at(-1)!.name}, found it missing from the database`,
      { path: gap.file, table: MIGRATIONS_TABLE },
    );
}

/** Takes the migration lock, creates the record table if needed, reads and checks the record. */
async function lockedState(tx: Tx, known: Migration[]): Promise<AppliedRow[]> {
  await tx.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`);
  await tx.exec(`CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (
    version integer PRIMARY KEY,
    name text NOT NULL,
    sha256 text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`);
  const { rows } = await tx.query<AppliedRow>(
    `SELECT version, name, sha256 FROM ${MIGRATIONS_TABLE} ORDER BY version`,
  );
  check(rows, known);
  return rows;
}

/**
 * Brings the database's schema up to this build's migrations (or `migrations` when given), one transaction
 * per file. Safe to call from several servers at once.
 *
 * @example const { applied } = await migrate(db);
 */
export async function migrate(db: Db, migrations?: readonly Migration[]): Promise<MigrateResult> {
  const known = [...(migrations ?? (await loadMigrations()))].sort((a, b) => a.version - b.version);
  const applied: string[] = [];
  for (;;) {
    const step = await db.transaction(async (tx) => {
      const rows = await lockedState(tx, known);
      const done = new Set(rows.map((r) => r.version));
      const next = known.find((m) => !done.has(m.version));
      if (next === undefined) return { version: rows.at(-1)?.version ?? 0 };
      try {
        await tx.exec(next.sql);
      } catch (e) {
        if (!isServerError(e)) throw e;
        throw new ServerError(
          e.code,
          `Migration ${next.file} failed: ${e.message}`,
          { ...e.data, path: next.file },
          {
            cause: e,
          },
        );
      }
      await tx.query(`INSERT INTO ${MIGRATIONS_TABLE} (version, name, sha256) VALUES ($1, $2, $3)`, [
        next.version,
        next.file,
        next.sha256,
      ]);
      return { file: next.file };
    });
    if ("version" in step) return { applied, version: step.version };
    applied.push(step.file);
  }
}
