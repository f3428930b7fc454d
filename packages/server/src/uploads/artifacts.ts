/**
 * Ready-made packages of releases: `insertArtifact` records one (the one INSERT an upload and a build job's
 * publish both use), `artifactsForPublish` loads a project's artifacts as publishing takes them, with the
 * PackageInfo stored at upload (no package is read again) and a source over their blob.
 */
import type { FormatId, PackageInfo } from "@packyard/formats";
import type { PublishInput, Storage } from "@packyard/repo";
import type { Queryable } from "../db/db.ts";
import { blobKey, storageSource } from "./blob-store.ts";
import { decodeInfo, encodeInfo } from "./info-json.ts";

/** One artifact to record: a package file of a release, with the PackageInfo read from it. */
export interface ArtifactInsert {
  packageId: number;
  projectId: number;
  /** The release's version (as in the URL or the build), not the package's own version string. */
  release: string;
  /** What the formats readers read from the file (its format, name, version and architecture are the row's). */
  info: PackageInfo;
  /** The file name users see (`hello_1.0.0-1_amd64.deb`). */
  fileName: string;
  /** The blob holding the file's bytes (its row must exist). */
  sha256: string;
  /** Who uploaded it, or asked for the build (null: a webhook). */
  uploadedBy: number | null;
  at: Date;
}

/**
 * Records an artifact in transaction `tx`: the release row when missing (created by `uploadedBy` at `at`),
 * then the artifact row; returns its id. A package of the same format, name, version and architecture
 * already in the project is a unique violation of `artifacts_package_key`, left to the caller (who knows
 * whether the same bytes make it a repeat).
 *
 * @example const id = await insertArtifact(tx, { packageId, projectId, release: "1.0.0", info, fileName, sha256, uploadedBy, at: clock.now() });
 */
export async function insertArtifact(tx: Queryable, row: ArtifactInsert): Promise<number> {
  await tx.query(
    `INSERT INTO releases (package_id, project_id, version, created_by, created_at) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (package_id, version) DO NOTHING`,
    [row.packageId, row.projectId, row.release, row.uploadedBy, row.at],
  );
  const { rows } = await tx.query<{ id: number }>(
    `INSERT INTO artifacts (release_id, project_id, format, name, version, arch, file_name, blob_sha256, info,
                            uploaded_by, created_at)
     SELECT r.id, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11 FROM releases r
      WHERE r.package_id = $1 AND r.version = $12
     RETURNING id`,
    [
      row.packageId,
      row.projectId,
      row.info.format,
      row.info.name,
      row.info.versionString,
      row.info.archString,
      row.fileName,
      row.sha256,
      encodeInfo(row.info),
      row.uploadedBy,
      row.at,
      row.release,
    ],
  );
  return rows[0]!.id;
}

/** Which artifacts {@link artifactsForPublish} loads; absent fields match every artifact of the project. */
export interface ArtifactFilter {
  /** The package (its name in the project, as in the URL). */
  package?: string;
  /** The release version (with `package`, one release). */
  version?: string;
  /** Only these formats. */
  formats?: readonly FormatId[];
  /** Only these artifact ids. */
  ids?: readonly number[];
}

/** One artifact ready for @packyard/repo's `publish` (`add`), with where it comes from. */
export interface PublishArtifact extends PublishInput {
  info: PackageInfo;
  /** The uploaded file name (`hello_1.0.0-1_amd64.deb`), which publish uses in messages. */
  name: string;
  id: number;
  sha256: string;
  package: string;
  release: string;
}

interface Row {
  id: number;
  file_name: string;
  blob_sha256: string;
  size: number;
  info: unknown;
  package: string;
  version: string;
}

/**
 * The project's artifacts matching `filter`, ordered by package, release and file name: each a valid
 * PublishInput whose `source` reads `blobs/sha256/<hex>` from `storage` (ranges included).
 *
 * @example const add = await artifactsForPublish(db, storage, project.id, { package: "hello", version: "1.0.0" });
 */
export async function artifactsForPublish(
  db: Queryable,
  storage: Storage,
  projectId: number,
  filter: ArtifactFilter = {},
): Promise<PublishArtifact[]> {
  const { rows } = await db.query<Row>(
    `SELECT a.id, a.file_name, a.blob_sha256, b.size, a.info, p.name AS package, r.version
       FROM artifacts a
       JOIN releases r ON r.id = a.release_id
       JOIN packages p ON p.id = r.package_id
       JOIN blobs b ON b.sha256 = a.blob_sha256
      WHERE a.project_id = $1
        AND ($2::text IS NULL OR p.name = $2)
        AND ($3::text IS NULL OR r.version = $3)
        AND ($4::text[] IS NULL OR a.format = ANY($4::text[]))
        AND ($5::bigint[] IS NULL OR a.id = ANY($5::bigint[]))
      ORDER BY p.name, r.version, a.file_name, a.id`,
    [
      projectId,
      filter.package ?? null,
      filter.version ?? null,
      filter.formats === undefined ? null : [...filter.formats],
      filter.ids === undefined ? null : [...filter.ids],
    ],
  );
  return rows.map((r) => ({
    info: decodeInfo(r.info),
    source: storageSource(storage, blobKey(r.blob_sha256), Number(r.size)),
    name: r.file_name,
    id: r.id,
    sha256: r.blob_sha256,
    package: r.package,
    release: r.version,
  }));
}
