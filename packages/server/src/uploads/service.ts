/**
 * Uploads as service functions: a package's packyard.yml and one source file, with every rule in one
 * place — names, the config loader's check, the plan (billing/entitlements.ts: an active subscription, the
 * storage left before and while the body streams, and again under the account's lock at commit), the
 * upload limit and the declared digest. The API's routes (app/plugins/uploads.ts) and the web pages' forms
 * (web/pages/packages.ts) both call these, so a page refuses what the API refuses, with the same codes.
 */
import type { Storage } from "@packyard/repo";
import type { AppConfig, Clock } from "../app/deps.ts";
import { checkProjectWrite, storageGuard, uploadAllowance } from "../billing/entitlements.ts";
import type { Db } from "../db/db.ts";
import { ServerError } from "../errors.ts";
import { discard, stageUpload } from "./blob-store.ts";
import { checkAccessName, checkPackageName } from "./names.ts";
import { checkPackageConfig } from "./package-config.ts";
import { type StoredSourceFile, storeSourceFiles } from "./source-files.ts";

/** What the upload services need of the app. */
export interface UploadDeps {
  db: Db;
  storage: Storage;
  clock: Clock;
  config: AppConfig;
}

/** A package row as the upload routes read it. */
export interface PackageRecord {
  id: number;
  name: string;
  config: string;
  created_at: Date;
  updated_at: Date;
}

/** Package `name` of project `projectId` (NOT_FOUND naming it when there is none; INVALID_NAME for a bad name). */
export async function findPackage(db: Db, projectId: number, name: string): Promise<PackageRecord> {
  checkPackageName(name);
  const { rows } = await db.query<PackageRecord>(
    "SELECT id, name, config, created_at, updated_at FROM packages WHERE project_id = $1 AND name = $2",
    [projectId, name],
  );
  const row = rows[0];
  if (row === undefined)
    throw new ServerError("NOT_FOUND", `Expected a package named ${name} in this project, found none`, {
      field: "package",
    });
  return row;
}

/**
 * Stores `text` as package `name`'s packyard.yml in project `projectId`, making the package when it is
 * new: the name checked (INVALID_NAME), the config checked by the formats loader (INVALID_CONFIG), the
 * project's subscription active (SUBSCRIPTION_INACTIVE).
 */
export async function savePackageConfig(
  deps: UploadDeps,
  projectId: number,
  name: string,
  text: string,
): Promise<{ row: PackageRecord; inserted: boolean }> {
  checkPackageName(name);
  checkPackageConfig(text);
  await checkProjectWrite(deps.db, deps.config.plans, projectId, "upload a package's packyard.yml");
  const { rows } = await deps.db.query<PackageRecord & { inserted: boolean }>(
    `INSERT INTO packages (project_id, name, config, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)
     ON CONFLICT (project_id, name) DO UPDATE SET config = EXCLUDED.config, updated_at = EXCLUDED.updated_at
     RETURNING id, name, config, created_at, updated_at, (xmax = 0) AS inserted`,
    [projectId, name, text, deps.clock.now()],
  );
  const { inserted, ...row } = rows[0]!;
  return { row, inserted };
}

/** One source file to upload, as {@link uploadSourceFile} takes it. */
export interface SourceFileInput {
  projectId: number;
  /** The package's name (NOT_FOUND when the project has none). */
  packageName: string;
  /** The access name (INVALID_NAME unless `[A-Za-z0-9._-]{1,128}`, not `.` or `..`). */
  accessName: string;
  /** The bytes, streamed. */
  body: AsyncIterable<Uint8Array>;
  /** The length the client declared (Content-Length), when it did: a body that cannot fit is refused unread. */
  length?: number;
  /** The SHA-256 the client declared (lowercase hex): other bytes fail with CHECKSUM_MISMATCH. */
  declaredSha256?: string;
  /** Largest accepted body (the server's upload limit). */
  limitBytes: number;
  uploadedBy: number;
  /** Called when collecting the replaced blob failed (the file is stored; the next collection retries). */
  onCollectError?: (err: unknown) => void;
}

/**
 * Uploads a package's source file: refused before the body is read when the declared length passes the
 * upload limit (PAYLOAD_TOO_LARGE) or the plan's storage left (PLAN_LIMIT_REACHED), or the subscription
 * is inactive; cut while streaming once over either; checked again under the account's lock when the
 * file's row is written. The temporary object is removed whatever happens.
 */
export async function uploadSourceFile(
  deps: UploadDeps,
  input: SourceFileInput,
): Promise<{ file: StoredSourceFile; size: number }> {
  const { db, storage, clock } = deps;
  const plans = deps.config.plans;
  const accessName = checkAccessName(input.accessName);
  const pkg = await findPackage(db, input.projectId, input.packageName);
  const limit = input.limitBytes;
  if (input.length !== undefined && input.length > limit)
    throw new ServerError(
      "PAYLOAD_TOO_LARGE",
      `Expected an upload of at most ${limit} bytes, found Content-Length ${input.length}`,
      { limit },
    );
  const replaces = { packageId: pkg.id, accessName }; // billing: what the access name holds now is freed
  const allowance = await uploadAllowance(db, plans, input.projectId, input.length, replaces);
  // The plan's storage left cuts the stream sooner than the upload limit, with its own error.
  const byQuota = allowance !== undefined && allowance.remaining < limit;
  const staged = await stageUpload(storage, input.body, {
    limitBytes: byQuota ? allowance.remaining : limit,
    ...(byQuota ? { overLimit: allowance.refuse } : {}),
    ...(input.declaredSha256 === undefined ? {} : { declaredSha256: input.declaredSha256 }),
  });
  try {
    const guard = storageGuard(plans, input.projectId, clock.now());
    const [file] = await storeSourceFiles({ db, storage, clock }, pkg, [{ accessName, staged }], {
      uploadedBy: input.uploadedBy,
      ...(guard === undefined ? {} : { guard }),
      ...(input.onCollectError === undefined ? {} : { onCollectError: input.onCollectError }),
    });
    return { file: file!, size: staged.size };
  } finally {
    await discard(storage, staged.tmpKey);
  }
}
