// The embedded database on disk, as `packyard serve --data` keeps it: created on first open, migrated, and
// found again (rows and migration record) by the next open of the same folder.
import assert from "node:assert/strict";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { loadMigrations } from "../src/db/migrate.ts";
import { migrate, openPglite } from "../src/index.ts";

const scratch = await mkdtemp(join(tmpdir(), "packyard-pglite-dir-"));
after(() => rm(scratch, { recursive: true, force: true }));

test("a PGlite data folder keeps its schema and rows across close and reopen", async () => {
  const dataDir = join(scratch, "db");
  const first = await openPglite({ dataDir });
  assert.equal(first.kind, "pglite");
  // Every migration the package ships, in order, on a new folder.
  const shipped = (await loadMigrations()).map((m) => m.file);
  assert.equal(shipped[0], "0001_initial.sql");
  assert.deepStrictEqual((await migrate(first)).applied, shipped);
  await first.query("INSERT INTO projects (slug, created_at) VALUES ($1, $2)", ["kept", new Date(0)]);
  await first.close();
  assert.ok((await readdir(dataDir)).includes("PG_VERSION"), "the folder holds a PostgreSQL cluster");

  const second = await openPglite({ dataDir });
  try {
    assert.deepStrictEqual(await migrate(second), { applied: [], version: shipped.length });
    assert.deepStrictEqual((await second.query("SELECT slug, created_at FROM projects")).rows, [
      { slug: "kept", created_at: new Date(0) },
    ]);
  } finally {
    await second.close();
  }
  // Closed means closed: the port refuses instead of touching a closed instance.
  await assert.rejects(second.query("SELECT 1"), /closed/);
});
