/**
 * The content-addressed blob store on @packyard/repo's Storage: an upload streams through SHA-256 and a
 * size limit into a temporary object (`uploads/tmp/<uuid>`), then is committed to `blobs/sha256/<hex>`
 * (nothing is copied when that object exists: same bytes, same key). Storage has no rename, so a commit
 * copies the temporary object; a failed upload leaves neither object behind.
 *
 * The database side of a commit (the blobs row and the row that references it) is taken under
 * {@link lockBlob}, the same lock the collector (gc.ts) deletes under; see there for why that is race-safe.
 */
import { createHash, randomUUID } from "node:crypto";
import type { ByteSource } from "@packyard/formats";
import { IMMUTABLE_CACHE, type Storage } from "@packyard/repo";
import type { Clock } from "../app/deps.ts";
import type { Db, Tx } from "../db/db.ts";
import { ServerError } from "../errors.ts";
import type { WriteGuard } from "../billing/entitlements.ts";

/** Where committed blobs live. */
export const BLOB_PREFIX = "blobs/sha256/";
/** Where uploads stream to before their digest is known. */
export const TMP_PREFIX = "uploads/tmp/";
/** Default largest upload: 2 GiB. */
export const DEFAULT_UPLOAD_LIMIT = 2 * 1024 ** 3;

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** The storage key of the blob with this SHA-256 (lowercase hex). */
export function blobKey(sha256: string): string {
  if (!SHA256_HEX.test(sha256))
    throw new ServerError("INTERNAL", `Expected a SHA-256 as 64 lowercase hex digits, found "${sha256}"`);
  return `${BLOB_PREFIX}${sha256}`;
}

/** An upload written to its temporary object, digest and size known. */
export interface StagedUpload {
  tmpKey: string;
  sha256: string;
  size: number;
}

/** Options of {@link stageUpload}. */
export interface StageOptions {
  /** Largest accepted size in bytes; one byte more fails the stream with PAYLOAD_TOO_LARGE. */
  limitBytes: number;
  /** The SHA-256 the client declared (lowercase hex); other bytes fail with CHECKSUM_MISMATCH. */
  declaredSha256?: string;
  /**
   * The error thrown instead of PAYLOAD_TOO_LARGE once the stream passes `limitBytes` (billing: a plan's
   * storage_bytes left, when that is below the upload limit: 402 PLAN_LIMIT_REACHED).
   */
  overLimit?: (size: number) => Error;
}

/**
 * Streams `body` to a new temporary object while hashing and counting it. The size limit is checked on
 * every chunk and the declared digest after the last one, both inside the stream `put` reads, so a refused
 * upload makes `put` fail and leaves no object (Storage's contract); the temporary key is deleted anyway on
 * any failure, for stores that keep a part.
 */
export async function stageUpload(
  storage: Storage,
  body: AsyncIterable<Uint8Array>,
  options: StageOptions,
): Promise<StagedUpload> {
  const tmpKey = `${TMP_PREFIX}${randomUUID()}`;
  const hash = createHash("sha256");
  let size = 0;
  let sha256 = "";
  async function* counted(): AsyncGenerator<Uint8Array> {
    for await (const chunk of body) {
      size += chunk.length;
      if (size > options.limitBytes)
        throw (
          options.overLimit?.(size) ??
          new ServerError(
            "PAYLOAD_TOO_LARGE",
            `Expected an upload of at most ${options.limitBytes} bytes, found more (${size} bytes read so far)`,
            { limit: options.limitBytes },
          )
        );
      hash.update(chunk);
      yield chunk;
    }
    sha256 = hash.digest("hex");
    if (options.declaredSha256 !== undefined && options.declaredSha256 !== sha256)
      throw new ServerError(
        "CHECKSUM_MISMATCH",
        `Expected the uploaded bytes to have the declared SHA-256 ${options.declaredSha256}, found ${sha256} (${size} bytes)`,
        { expected: options.declaredSha256, found: sha256, size },
      );
  }
  try {
    await storage.put(tmpKey, counted(), { contentType: "application/octet-stream" });
  } catch (e) {
    await discard(storage, tmpKey);
    throw e;
  }
  return { tmpKey, sha256, size };
}

/** Deletes a temporary object; a failure to delete is left to the collector (stale temporaries). */
export async function discard(storage: Storage, tmpKey: string): Promise<void> {
  try {
    await storage.delete(tmpKey);
  } catch {}
}

/**
 * Makes sure `blobs/sha256/<hex>` holds the staged bytes: copied from the temporary object when absent.
 * Returns true when it wrote the object, false when it was there (deduplicated).
 */
export async function ensureBlobObject(storage: Storage, staged: StagedUpload): Promise<boolean> {
  const key = blobKey(staged.sha256);
  const present = await storage.head(key);
  if (present !== undefined && present.size === staged.size) return false;
  const body = await storage.get(staged.tmpKey);
  if (body === undefined)
    throw new ServerError(
      "INTERNAL",
      `Expected the upload's temporary object ${staged.tmpKey} in ${storage.description}, found none`,
    );
  await storage.put(key, body, { contentType: "application/octet-stream", cacheControl: IMMUTABLE_CACHE });
  return true;
}

/**
 * Takes the transaction-scoped lock of one blob: every change to whether a blob exists (a commit adding its
 * row and a reference, the collector removing row and object) runs in a transaction holding it, so they
 * never interleave. PostgreSQL: an advisory lock keyed by a hash of the digest (a collision only makes two
 * blobs wait for each other); PGlite runs one transaction at a time, which excludes the same.
 */
export async function lockBlob(tx: Tx, sha256: string): Promise<void> {
  await tx.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [`packyard-blob:${sha256}`]);
}

/**
 * Inserts the blobs row for a committed object (the caller holds {@link lockBlob}); an existing row stays.
 */
export async function insertBlobRow(tx: Tx, sha256: string, size: number, now: Date): Promise<void> {
  await tx.query(
    "INSERT INTO blobs (sha256, size, created_at) VALUES ($1, $2, $3) ON CONFLICT (sha256) DO NOTHING",
    [sha256, size, now],
  );
}

/**
 * After the rows are committed: the object must still be there. A collector that held the blob's lock
 * before this commit took it (the blob was unreferenced then) may have deleted the object that
 * {@link ensureBlobObject} found; the committed reference keeps any later collector away, so writing it
 * again from the temporary object now is final.
 */
export async function recheckBlobObject(storage: Storage, staged: StagedUpload): Promise<void> {
  if ((await storage.head(blobKey(staged.sha256))) === undefined) await ensureBlobObject(storage, staged);
}

/**
 * Deletes the object `blobs/sha256/<sha256>` when no row names it, under the blob's lock; false when a row
 * exists (another upload committed it). A commit that failed after it wrote the object calls it.
 */
export async function dropIfOrphan(db: Db, storage: Storage, sha256: string): Promise<boolean> {
  return db.transaction(async (tx) => {
    await lockBlob(tx, sha256);
    const { rows } = await tx.query("SELECT 1 FROM blobs WHERE sha256 = $1", [sha256]);
    if (rows.length > 0) return false;
    await storage.delete(blobKey(sha256));
    return true;
  });
}

/** What {@link commitBlobs} works with. */
export interface BlobDeps {
  db: Db;
  storage: Storage;
  clock: Clock;
}

/**
 * Commits staged uploads as blobs together with the rows that reference them: each object first (copied
 * unless present), then one transaction that takes every blob's lock (in digest order, so two commits of the
 * same blobs never wait on each other crosswise), inserts each blobs row and runs `write` (the referencing
 * rows; `guard`, the billing storage check, around it), then a last look that every object is still there
 * ({@link recheckBlobObject}). When the
 * transaction fails, the objects this call wrote and no row names are deleted again and the error is
 * rethrown. The temporary objects stay for the caller to discard.
 *
 * @example await commitBlobs(deps, [staged], (tx) => tx.query("UPDATE jobs SET upload_sha256 = $2 WHERE id = $1", [id, staged.sha256]));
 */
export async function commitBlobs<T>(
  deps: BlobDeps,
  staged: readonly StagedUpload[],
  write: (tx: Tx) => Promise<T>,
  guard?: WriteGuard,
): Promise<T> {
  const wrote: string[] = [];
  for (const s of staged) if (await ensureBlobObject(deps.storage, s)) wrote.push(s.sha256);
  const now = deps.clock.now();
  let result: T;
  try {
    result = await deps.db.transaction(async (tx) => {
      const blobs = new Map(staged.map((s) => [s.sha256, s.size]));
      for (const sha256 of [...blobs.keys()].sort()) await lockBlob(tx, sha256);
      for (const [sha256, size] of blobs) await insertBlobRow(tx, sha256, size, now);
      // Billing (storage_bytes): the account's subscription locked and measured around the rows written.
      await guard?.before(tx);
      const written = await write(tx);
      await guard?.after(tx);
      return written;
    });
  } catch (e) {
    for (const sha256 of wrote) await dropIfOrphan(deps.db, deps.storage, sha256).catch(() => undefined);
    throw e;
  }
  for (const s of staged) await recheckBlobObject(deps.storage, s);
  return result;
}

/**
 * A re-openable source over a stored object of known size (ranges are Storage ranges), for the formats
 * readers and for publishing. Reading a missing object fails with INTERNAL.
 */
export function storageSource(storage: Storage, key: string, size: number): ByteSource {
  return {
    size,
    open(range) {
      return (async function* () {
        const body = await storage.get(key, range === undefined ? undefined : { range });
        if (body === undefined)
          throw new ServerError(
            "INTERNAL",
            `Expected the object ${key} in ${storage.description}, found none (collected or never written)`,
          );
        yield* body;
      })();
    },
  };
}
