/**
 * The blob collector: deletes blobs nothing references (row and object), objects under
 * `blobs/sha256/` without a row (a commit that stopped between object and row), and temporary upload
 * objects left by a crashed request.
 *
 * Why it is safe against an upload committing the same blob meanwhile:
 * - Every change to whether a blob exists runs in a transaction holding the blob's lock (blob-store.ts
 *   `lockBlob`): an upload's commit (its blobs row and its referencing row, together) and each deletion
 *   here. The deletion re-checks, after taking the lock and in a new statement (so it sees everything
 *   committed before it got the lock), that the row is still unreferenced, and deletes the object while it
 *   still holds the lock. No reference can be added meanwhile: an upload's commit waits for the lock.
 * - An upload finds the object present (and skips writing it) before it commits. If a deletion held the
 *   lock between that check and the upload's commit, the object is gone once the upload gets the lock; the
 *   upload looks again after its commit and writes it from its temporary object (blob-store.ts
 *   `recheckBlobObject`). From its commit on, its reference keeps every later collection away.
 * - Objects without a row and temporary objects have no row to lock on their own: only those last modified
 *   before the grace period are taken, so an upload still between writing and committing (minutes) keeps
 *   them; an orphan blob is deleted under its lock after re-checking that no row appeared.
 * - PGlite runs one transaction at a time, which gives the same exclusion; the statements are the same.
 * The object deletion happens inside the transaction: if it fails the row stays (retried next time); if the
 * commit fails after it, an unreferenced row is left without its object, which the next run deletes and
 * which an upload of the same bytes writes again (it finds the object absent).
 *
 * What references a blob ({@link UNREFERENCED} says it once): a package's source file, an artifact, a build
 * job's uploaded package (`jobs.upload_sha256`, published from it) and a source any build recorded
 * (`builds.sources[*].sha256`) — of every build still in the table, not only the unfinished ones: a retry
 * or a re-run fetches exactly the recorded bytes after the file was replaced, and build rows are pruned
 * after their retention (logs.ts pruneBuilds), which bounds what they keep. A reference this list misses
 * (a foreign key that refuses the deletion) keeps its blob and does not stop the collection.
 */
import type { Storage } from "@packyard/repo";
import type { Db } from "../db/db.ts";
import { isForeignKeyViolation } from "../db/driver-error.ts";
import { BLOB_PREFIX, blobKey, dropIfOrphan, lockBlob, TMP_PREFIX } from "./blob-store.ts";

/** Options of {@link collectBlobs}. */
export interface CollectOptions {
  /** Objects without a row (orphan blobs, temporary uploads) younger than this are kept. */
  graceMs: number;
  /** The present time (default: the system clock; the storage's modification times are its own). */
  now?: Date;
  /**
   * Only these blobs (digests) are looked at, and no listing is made: what a deletion just unreferenced.
   * Absent: every unreferenced row, then the storage listings.
   */
  only?: readonly string[];
}

/** What {@link collectBlobs} deleted. */
export interface CollectResult {
  /** Blobs whose row and object were deleted. */
  blobs: string[];
  /** Objects under `blobs/sha256/` that had no row. */
  orphans: string[];
  /** Temporary upload objects. */
  temporaries: string[];
}

/**
 * Blob `b` is referenced by nothing (see the file's comment). Every test is an equality, so that a whole
 * collection's query can run as hash anti-joins rather than a scan of builds per blob.
 */
const UNREFERENCED = `NOT EXISTS (SELECT 1 FROM package_files f WHERE f.blob_sha256 = b.sha256)
  AND NOT EXISTS (SELECT 1 FROM artifacts a WHERE a.blob_sha256 = b.sha256)
  AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.upload_sha256 = b.sha256)
  AND NOT EXISTS (SELECT 1 FROM builds s, jsonb_array_elements(s.sources) e WHERE e->>'sha256' = b.sha256)`;

/**
 * Deletes one unreferenced blob (row and object) under its lock; false when it is referenced again or gone,
 * or when a foreign key refuses the deletion (a reference {@link UNREFERENCED} does not name: kept).
 */
async function deleteBlob(db: Db, storage: Storage, sha256: string): Promise<boolean> {
  try {
    return await db.transaction(async (tx) => {
      await lockBlob(tx, sha256);
      const { rowCount } = await tx.query(`DELETE FROM blobs b WHERE b.sha256 = $1 AND ${UNREFERENCED}`, [
        sha256,
      ]);
      if (rowCount === 0) return false;
      await storage.delete(blobKey(sha256));
      return true;
    });
  } catch (e) {
    if (isForeignKeyViolation(e)) return false;
    throw e;
  }
}

/** Every object under `prefix` last modified before `cutoff` (objects without a time are kept). */
async function listOlder(storage: Storage, prefix: string, cutoff: number): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await storage.list(prefix, cursor === undefined ? {} : { cursor });
    for (const o of page.objects)
      if (o.lastModified !== undefined && o.lastModified.getTime() < cutoff) keys.push(o.key);
    cursor = page.cursor;
  } while (cursor !== undefined);
  return keys;
}

/**
 * Collects unreferenced blobs; see the file's comment for the locking. Call it after deletions (with
 * `only`) or from a schedule (without).
 *
 * @example await collectBlobs(db, storage, { graceMs: 3_600_000 });
 */
export async function collectBlobs(
  db: Db,
  storage: Storage,
  options: CollectOptions,
): Promise<CollectResult> {
  const result: CollectResult = { blobs: [], orphans: [], temporaries: [] };
  const { rows } =
    options.only === undefined
      ? await db.query<{ sha256: string }>(`SELECT b.sha256 FROM blobs b WHERE ${UNREFERENCED} ORDER BY 1`)
      : await db.query<{ sha256: string }>(
          `SELECT b.sha256 FROM blobs b WHERE b.sha256 = ANY($1::text[]) AND ${UNREFERENCED} ORDER BY 1`,
          [[...options.only]],
        );
  for (const { sha256 } of rows) if (await deleteBlob(db, storage, sha256)) result.blobs.push(sha256);
  if (options.only !== undefined) return result;

  const cutoff = (options.now ?? new Date()).getTime() - options.graceMs;
  const candidates = (await listOlder(storage, BLOB_PREFIX, cutoff))
    .map((key) => key.slice(BLOB_PREFIX.length))
    .filter((sha) => /^[0-9a-f]{64}$/.test(sha));
  for (let i = 0; i < candidates.length; i += 500) {
    const batch = candidates.slice(i, i + 500);
    const { rows: known } = await db.query<{ sha256: string }>(
      "SELECT sha256 FROM blobs WHERE sha256 = ANY($1::text[])",
      [batch],
    );
    const held = new Set(known.map((r) => r.sha256));
    for (const sha256 of batch)
      if (!held.has(sha256) && (await dropIfOrphan(db, storage, sha256))) result.orphans.push(sha256);
  }
  for (const key of await listOlder(storage, TMP_PREFIX, cutoff)) {
    await storage.delete(key);
    result.temporaries.push(key);
  }
  return result;
}
