/**
 * Every database test runs on both adapters: `eachDb(body)` declares `body`'s tests twice, in a describe
 * block "pglite" and one "postgres". `fresh(t)` gives a test an empty schema of its own: on PGlite in this
 * file's one in-memory instance (creating one takes seconds), on PostgreSQL in this file's database from
 * @packyard/testkit/postgres (skipped locally without DATABASE_URL; a failure with CI=true).
 */
import { readFile, rename, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, type TestContext } from "node:test";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { needPostgres } from "@packyard/testkit/postgres";
import pg from "pg";
import { type Db, type DbKind, openPostgres, pgliteDb } from "../src/index.ts";
import { parseInt8 } from "../src/db/db.ts";

/** A test's own schema. */
export interface FreshDb {
  /** A Db on the schema, closed after the test. */
  db: Db;
  /** Opens another Db on the same schema (PostgreSQL: another pool, as a second server would; PGlite: another view of the one instance). Closed after the test. */
  open(): Promise<Db>;
  /** The schema's name. */
  schema: string;
}

let pglite: Promise<PGlite> | undefined;
let schemas = 0;

/**
 * A new in-memory PGlite. Its initdb takes 8-30 s on a busy 2-core machine, loading a dump of a fresh one
 * 2-4 s, so the first test file to need one leaves the dump of a just-initialized cluster in the temporary
 * folder (per PGlite version) for the next files to load.
 */
async function newPglite(): Promise<PGlite> {
  const parsers = { 20: parseInt8 };
  const pkg = fileURLToPath(new URL("../package.json", import.meta.resolve("@electric-sql/pglite")));
  const { version } = JSON.parse(await readFile(pkg, "utf8")) as { version: string };
  const template = join(tmpdir(), `packyard-test-pglite-${version}.tar`);
  const dump = await readFile(template).catch(() => undefined);
  if (dump !== undefined) {
    try {
      return await PGlite.create({ loadDataDir: new Blob([dump]), parsers });
    } catch {} // a damaged template: make a new one below
  }
  const instance = await PGlite.create({ parsers });
  const fresh = await instance.dumpDataDir("none");
  const temp = `${template}.${process.pid}.tmp`;
  await writeFile(temp, new Uint8Array(await fresh.arrayBuffer()));
  await rename(temp, template);
  return instance;
}

async function freshPglite(t: TestContext): Promise<FreshDb> {
  pglite ??= newPglite();
  const instance = await pglite;
  const schema = `t_${++schemas}`;
  // The shared instance takes statements from every view in turn; a throwaway view makes the schema.
  const admin = pgliteDb(instance, { ownsInstance: false });
  await admin.exec(`CREATE SCHEMA ${schema}`);
  await admin.close();
  const open = async (): Promise<Db> => {
    const db = pgliteDb(instance, { schema, ownsInstance: false });
    t.after(() => db.close());
    return db;
  };
  return { db: await open(), open, schema };
}

async function freshPostgres(t: TestContext): Promise<FreshDb | undefined> {
  const url = await needPostgres(t);
  if (url === undefined) return undefined;
  const schema = `t_${++schemas}`;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`CREATE SCHEMA ${schema}`);
  await client.end();
  const open = async (): Promise<Db> => {
    const db = await openPostgres({ connectionString: url, schema, max: 4 });
    t.after(() => db.close());
    return db;
  };
  return { db: await open(), open, schema };
}

/** Declares `body`'s tests once per adapter; `fresh(t)` is undefined only when PostgreSQL is skipped. */
export function eachDb(
  body: (kind: DbKind, fresh: (t: TestContext) => Promise<FreshDb | undefined>) => void,
): void {
  describe("pglite", () => body("pglite", freshPglite));
  describe("postgres", () => body("postgres", freshPostgres));
  after(async () => {
    const instance = pglite;
    pglite = undefined;
    if (instance !== undefined) await (await instance).close();
  });
}
