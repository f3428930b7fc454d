/**
 * A package's source files by access name, stored from staged uploads: the `PUT …/files/<accessName>` route
 * (one file a user uploaded) and a GitHub webhook delivery (a release's assets, no user) both store through
 * {@link storeSourceFiles}, the way every upload is committed (blob-store.ts `commitBlobs`), and collect
 * the blobs the files replaced once nothing else (another file, a build that recorded them) references them.
 */
import type { Tx } from "../db/db.ts";
import { isForeignKeyViolation } from "../db/driver-error.ts";
import { ServerError } from "../errors.ts";
import type { WriteGuard } from "../billing/entitlements.ts";
import { type BlobDeps, commitBlobs, type StagedUpload } from "./blob-store.ts";
import { collectBlobs } from "./gc.ts";

/** One file to store: its access name and its staged bytes. */
export interface SourceFileUpload {
  accessName: string;
  staged: StagedUpload;
}

/** A stored source file, and the blob it replaced under its access name (undefined: the name was new). */
export interface StoredSourceFile {
  accessName: string;
  sha256: string;
  size: number;
  createdAt: Date;
  updatedAt: Date;
  previous: string | undefined;
}

/** The error of a commit whose package was deleted meanwhile (its rows' foreign key refused them). */
export function packageGone(name: string): ServerError {
  return new ServerError("NOT_FOUND", `Expected the package ${name}, found it deleted meanwhile`, {
    field: "package",
  });
}

/** Options of {@link storeSourceFiles}. */
export interface StoreSourceOptions {
  /** The user who uploaded the files; null when none did (a webhook). */
  uploadedBy: number | null;
  /** Writes the audit row, in the same transaction as the files. */
  audit?: (tx: Tx, now: Date) => Promise<void>;
  /** Called when collecting the replaced blobs failed (the files are stored; the next collection retries). */
  onCollectError?: (err: unknown) => void;
  /** Billing: the storage check around the rows (billing/entitlements.ts storageGuard). */
  guard?: WriteGuard;
}

/**
 * Stores `files` as package `pkg`'s source files under their access names, all in one transaction (a build
 * never sees half of them), replacing what those names held. A package deleted meanwhile is NOT_FOUND.
 * The replaced blobs are collected afterwards unless something still references them (gc.ts). The
 * temporary objects stay for the caller to discard.
 *
 * @example const [file] = await storeSourceFiles(deps, { id, name: "hello" }, [{ accessName: "hello.tar.gz", staged }], { uploadedBy: userId });
 */
export async function storeSourceFiles(
  deps: BlobDeps,
  pkg: { id: number; name: string },
  files: readonly SourceFileUpload[],
  options: StoreSourceOptions,
): Promise<StoredSourceFile[]> {
  const now = deps.clock.now();
  let stored: StoredSourceFile[];
  try {
    stored = await commitBlobs(
      deps,
      files.map((f) => f.staged),
      async (tx) => {
        const out: StoredSourceFile[] = [];
        for (const { accessName, staged } of files) {
          const before = await tx.query<{ blob_sha256: string }>(
            "SELECT blob_sha256 FROM package_files WHERE package_id = $1 AND access_name = $2 FOR UPDATE",
            [pkg.id, accessName],
          );
          const { rows } = await tx.query<{ created_at: Date; updated_at: Date }>(
            `INSERT INTO package_files (package_id, access_name, blob_sha256, uploaded_by, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $5)
             ON CONFLICT (package_id, access_name) DO UPDATE
               SET blob_sha256 = EXCLUDED.blob_sha256, uploaded_by = EXCLUDED.uploaded_by, updated_at = EXCLUDED.updated_at
             RETURNING created_at, updated_at`,
            [pkg.id, accessName, staged.sha256, options.uploadedBy, now],
          );
          out.push({
            accessName,
            sha256: staged.sha256,
            size: staged.size,
            createdAt: rows[0]!.created_at,
            updatedAt: rows[0]!.updated_at,
            previous: before.rows[0]?.blob_sha256,
          });
        }
        await options.audit?.(tx, now);
        return out;
      },
      options.guard,
    );
  } catch (e) {
    if (isForeignKeyViolation(e)) throw packageGone(pkg.name);
    throw e;
  }
  const replaced = [
    ...new Set(
      stored.flatMap((f) => (f.previous === undefined || f.previous === f.sha256 ? [] : [f.previous])),
    ),
  ];
  if (replaced.length > 0)
    await collectBlobs(deps.db, deps.storage, { graceMs: 0, only: replaced }).catch(
      options.onCollectError ?? (() => undefined),
    );
  return stored;
}
