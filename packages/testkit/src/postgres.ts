/**
 * Real PostgreSQL for tests. `.ci/run` installs Debian 12's PostgreSQL 15, starts it and exports
 * DATABASE_URL (a role with CREATEDB). Each test file gets a database of its own, created on the first
 * `needPostgres` call and dropped when the file's process ends; databases left by killed runs are dropped
 * by the next file that starts. Without DATABASE_URL or a reachable server the test is skipped locally and
 * fails with CI=true, like a missing judge (see tools.ts's needTool).
 *
 * @example const url = await needPostgres(t); if (url === undefined) return; // skipped
 */
import { randomBytes } from "node:crypto";
import type { TestContext } from "node:test";
import pg from "pg";

/** Prefix of the databases this module creates: `packyard_test_<pid>_<random>`. */
export const TEST_DATABASE_PREFIX = "packyard_test_";

/** DATABASE_URL, or undefined when unset or empty. */
export function postgresUrl(): string | undefined {
  const url = process.env.DATABASE_URL;
  return url === undefined || url === "" ? undefined : url;
}

/** `url` with another database name. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

function pidRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Runs `fn` on one connection to `url`'s database, then closes it. */
async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Drops test databases whose process is gone (a run killed before its exit hook), then creates one. */
async function createFileDatabase(base: string): Promise<string> {
  const name = `${TEST_DATABASE_PREFIX}${process.pid}_${randomBytes(4).toString("hex")}`;
  await withClient(base, async (client) => {
    const { rows } = await client.query<{ datname: string }>(
      "SELECT datname FROM pg_database WHERE starts_with(datname, $1)",
      [TEST_DATABASE_PREFIX],
    );
    for (const { datname } of rows) {
      const pid = Number(/^packyard_test_(\d+)_/.exec(datname)?.[1]);
      if (Number.isInteger(pid) && !pidRuns(pid))
        await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`).catch(() => {});
    }
    // UTF-8 with C collation and C.UTF-8 character classes, as PGlite's databases are, whatever locale the
    // cluster was created under (a cluster made where LANG is unset defaults to SQL_ASCII).
    await client
      .query(`CREATE DATABASE "${name}" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C.UTF-8'`)
      .catch(() =>
        client.query(
          `CREATE DATABASE "${name}" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'`,
        ),
      );
  });
  let dropped = false;
  process.on("beforeExit", () => {
    if (dropped) return;
    dropped = true;
    // FORCE ends connections a test left open (PostgreSQL 13+).
    withClient(base, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).catch((e: unknown) => {
      process.stderr.write(`could not drop test database ${name}: ${e instanceof Error ? e.message : e}\n`);
    });
  });
  return withDatabase(base, name);
}

let fileDatabase: Promise<string> | undefined;

/**
 * The connection string of this test file's own fresh database. Skips the test (returns undefined) when
 * DATABASE_URL is unset or the server cannot be reached; throws instead when CI=true.
 */
export async function needPostgres(t: TestContext): Promise<string | undefined> {
  const base = postgresUrl();
  let problem: string | undefined;
  if (base === undefined) problem = "DATABASE_URL is not set";
  else {
    fileDatabase ??= createFileDatabase(base);
    try {
      return await fileDatabase;
    } catch (e) {
      problem = `PostgreSQL at ${redact(base)} did not give a test database: ${e instanceof Error ? e.message : String(e)}`;
    }
  }
  const msg = `needs PostgreSQL: ${problem} (.ci/run starts PostgreSQL 15 and sets DATABASE_URL; locally: pg_ctlcluster 15 main start)`;
  if (process.env.CI === "true") throw new Error(`CI=true and PostgreSQL is missing: ${msg}`);
  t.skip(msg);
  return undefined;
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== "") u.password = "***";
    return u.toString();
  } catch {
    return "(unparsable DATABASE_URL)";
  }
}
