/**
 * Packages, their source files, releases and ready-made packages of a project (issue 19 items 5 and 6).
 *
 * - `…/packages/:pkg` holds the package's packyard.yml (YAML body, or JSON `{ "config": "…" }`), checked by
 *   the formats config loader (422 INVALID_CONFIG with the loader's code and field).
 * - `…/packages/:pkg/files/<accessName>` holds source files and release assets by access name: the raw body
 *   (any Content-Type) streams through SHA-256 and the upload limit into a temporary object, then is
 *   committed to `blobs/sha256/<hex>` (deduplicated). `X-Checksum-Sha256: <hex>` declares the digest.
 * - `…/packages/:pkg/releases/:version/artifacts/<fileName>` takes a ready-made package (deb, rpm, Arch,
 *   apk, pkg, archive) the same way, reads it with the formats readers and stores its PackageInfo. The
 *   release (package × version) is made on its first artifact or by `POST …/releases`. An artifact's own
 *   name need not be the package's: one packyard package yields distro-specific names (`hello` on Debian,
 *   `hello-bin` on Arch, an rpm `-devel` split), so the URL's package is the packyard package the artifact
 *   belongs to, and the artifact keeps its own name, version and architecture (unique per format in the
 *   project: 409 VERSION_EXISTS for other bytes; the same bytes again in the same release answer 200).
 *
 * The access name and file name are the routes' last segment, a wildcard (`…/files/*`): it is checked on
 * its decoded value, so `../x`, `a/b`, `%2e%2e` and `%00` are 400 INVALID_NAME however the client spelled
 * them, and it is not held to fastify's parameter length limit (100), below the 128 characters names may
 * have.
 *
 * Roles: viewers read (scope read), maintainers upload and change (scope write), owners delete packages and
 * releases (scope write). A failed upload removes its temporary object and writes no row.
 */
import { Readable } from "node:stream";
import { type PackageInfo, readPackage } from "@packyard/formats";
import type { Storage } from "@packyard/repo";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Tx } from "../../db/db.ts";
import { isForeignKeyViolation, isUniqueViolation } from "../../db/driver-error.ts";
import { ServerError } from "../../errors.ts";
import {
  blobKey,
  commitBlobs,
  DEFAULT_UPLOAD_LIMIT,
  discard,
  type StagedUpload,
  stageUpload,
  storageSource,
} from "../../uploads/blob-store.ts";
import { collectBlobs } from "../../uploads/gc.ts";
import { insertArtifact } from "../../uploads/artifacts.ts";
import { checkAccessName, checkArtifactFileName, checkReleaseVersion } from "../../uploads/names.ts";
import { findPackage as findPackageRow, savePackageConfig, uploadSourceFile } from "../../uploads/service.ts";
import { packageGone } from "../../uploads/source-files.ts";
import type { PluginOptions } from "../app.ts";
import {
  checkProjectWrite,
  storageGuard,
  type UploadAllowance,
  uploadAllowance,
} from "../../billing/entitlements.ts";
import { ERRORS, NO_CONTENT, SLUG } from "../schemas.ts";

/** Largest packyard.yml accepted (as the JSON body limit). */
const CONFIG_LIMIT = 1024 * 1024;

/** The header a client declares an upload's SHA-256 in (64 hex digits). */
export const CHECKSUM_HEADER = "x-checksum-sha256";

const DATE = { type: "string", format: "date-time" } as const;

const FILE = {
  type: "object",
  required: ["name", "sha256", "size", "createdAt", "updatedAt"],
  properties: {
    name: { type: "string" },
    sha256: { type: "string" },
    size: { type: "integer" },
    createdAt: DATE,
    updatedAt: DATE,
  },
} as const;

const PACKAGE_SUMMARY = {
  type: "object",
  required: ["name", "createdAt", "updatedAt"],
  properties: { name: { type: "string" }, createdAt: DATE, updatedAt: DATE },
} as const;

const PACKAGE = {
  type: "object",
  required: ["name", "config", "createdAt", "updatedAt", "files"],
  properties: {
    name: { type: "string" },
    config: { type: "string" },
    createdAt: DATE,
    updatedAt: DATE,
    files: { type: "array", items: FILE },
  },
} as const;

const ARTIFACT = {
  type: "object",
  required: ["id", "release", "fileName", "format", "name", "version", "arch", "sha256", "size", "createdAt"],
  properties: {
    id: { type: "integer" },
    release: { type: "string" },
    fileName: { type: "string" },
    format: { type: "string" },
    name: { type: "string" },
    version: { type: "string" },
    arch: { type: "string" },
    sha256: { type: "string" },
    size: { type: "integer" },
    summary: { type: "string" },
    createdAt: DATE,
  },
} as const;

const RELEASE = {
  type: "object",
  required: ["version", "createdAt", "artifacts"],
  properties: { version: { type: "string" }, createdAt: DATE, artifacts: { type: "array", items: ARTIFACT } },
} as const;

const RELEASE_SUMMARY = {
  type: "object",
  required: ["version", "createdAt", "artifacts"],
  properties: { version: { type: "string" }, createdAt: DATE, artifacts: { type: "integer" } },
} as const;

/** Bytes of a download. */
const BINARY = { type: "string", format: "binary" } as const;

const NAME = { type: "string" } as const;
const params = (...names: string[]) =>
  ({
    type: "object",
    required: ["project", ...names],
    properties: { project: SLUG, ...Object.fromEntries(names.map((n) => [n, NAME])) },
  }) as const;

interface PackageRow {
  id: number;
  name: string;
  config: string;
  created_at: Date;
  updated_at: Date;
}

interface FileRow {
  access_name: string;
  blob_sha256: string;
  size: number;
  created_at: Date;
  updated_at: Date;
}

interface ArtifactRow {
  id: number;
  release: string;
  file_name: string;
  format: string;
  name: string;
  version: string;
  arch: string;
  blob_sha256: string;
  size: number;
  summary: string | null;
  created_at: Date;
}

const toFile = (r: FileRow) => ({
  name: r.access_name,
  sha256: r.blob_sha256,
  size: Number(r.size),
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const toArtifact = (r: ArtifactRow) => ({
  id: r.id,
  release: r.release,
  fileName: r.file_name,
  format: r.format,
  name: r.name,
  version: r.version,
  arch: r.arch,
  sha256: r.blob_sha256,
  size: Number(r.size),
  ...(r.summary === null ? {} : { summary: r.summary }),
  createdAt: r.created_at,
});

const ARTIFACT_COLUMNS = `a.id, r.version AS release, a.file_name, a.format, a.name, a.version, a.arch, a.blob_sha256,
  b.size, a.info->>'summary' AS summary, a.created_at`;
const ARTIFACT_FROM = `artifacts a JOIN releases r ON r.id = a.release_id JOIN blobs b ON b.sha256 = a.blob_sha256`;

/**
 * The declared digest of an upload, from {@link CHECKSUM_HEADER}, lowercased; undefined when none was sent
 * and it is not `required` (INVALID_REQUEST when it is, or when it is not 64 hex digits).
 */
function declaredSha256(request: FastifyRequest, required: boolean): string | undefined {
  const value = request.headers[CHECKSUM_HEADER];
  if (value === undefined && !required) return undefined;
  const text = (Array.isArray(value) ? value.join(",") : (value ?? "")).trim();
  if (!/^[0-9A-Fa-f]{64}$/.test(text))
    throw new ServerError(
      "INVALID_REQUEST",
      `Expected the X-Checksum-Sha256 header to be a SHA-256 as 64 hex digits, found ${text === "" ? "none" : JSON.stringify(text.slice(0, 100))}`,
      { field: "X-Checksum-Sha256" },
    );
  return text.toLowerCase();
}

/** The declared digest as an option of the upload services (none declared: no field). */
function declaredDigest(request: FastifyRequest): { declaredSha256?: string } {
  const declared = declaredSha256(request, false);
  return declared === undefined ? {} : { declaredSha256: declared };
}

/** Options of {@link receiveUpload}. */
export interface ReceiveOptions {
  /** Largest accepted body in bytes. */
  limitBytes: number;
  /** Whether the client must declare the digest in {@link CHECKSUM_HEADER} (else it may). */
  checksumRequired: boolean;
  /**
   * Billing: what the project's plan still allows (billing/entitlements.ts uploadAllowance). A body that
   * would pass it is refused like one over the limit, with the allowance's 402 PLAN_LIMIT_REACHED.
   */
  allowance?: UploadAllowance;
}

/** An unread upload body up to this size is read and dropped after a refusal rather than cut off. */
const DRAINABLE_BYTES = 1024 * 1024;

/**
 * After a refused upload: closes the connection (`Connection: close`), so a client sending a large body
 * stops, unless nothing of the body was read yet and its Content-Length is at most DRAINABLE_BYTES. Then
 * Node reads and drops the rest after the answer (as for any unread body on a kept-alive connection), so
 * the client, still sending, receives the answer — the error it should show — instead of a connection
 * reset under its write (EPIPE: a refused 300 KiB upload showed "found no answer" now and then).
 */
function closeUnlessDrainable(request: FastifyRequest, reply: FastifyReply): void {
  const length = request.headers["content-length"];
  const small = length !== undefined && /^\d+$/.test(length) && Number(length) <= DRAINABLE_BYTES;
  if (small && !request.raw.readableDidRead) return;
  reply.header("connection", "close");
}

/**
 * Streams a raw request body (a route under {@link acceptRawBodies}) to a temporary object of the blob
 * store, hashed, counted and checked against the declared {@link CHECKSUM_HEADER}. A Content-Length over
 * the limit is refused before a byte is read; a body without one is cut at the limit. A refused upload
 * closes the connection, so the client stops sending (a small body not yet read is drained instead:
 * {@link closeUnlessDrainable}). The caller commits or discards the staged object.
 */
export async function receiveUpload(
  request: FastifyRequest,
  reply: FastifyReply,
  storage: Storage,
  options: ReceiveOptions,
): Promise<StagedUpload> {
  const limit = options.limitBytes;
  const length = request.headers["content-length"];
  try {
    const declared = declaredSha256(request, options.checksumRequired);
    if (length !== undefined && Number(length) > limit)
      throw new ServerError(
        "PAYLOAD_TOO_LARGE",
        `Expected an upload of at most ${limit} bytes, found Content-Length ${length}`,
        { limit },
      );
    // Billing: the plan's storage left cuts the stream sooner than the upload limit, with its own error.
    const quota = options.allowance;
    const byQuota = quota !== undefined && quota.remaining < limit;
    const body = (request.body ?? request.raw) as AsyncIterable<Uint8Array>;
    return await stageUpload(storage, body, {
      limitBytes: byQuota ? quota.remaining : limit,
      ...(byQuota ? { overLimit: quota.refuse } : {}),
      ...(declared === undefined ? {} : { declaredSha256: declared }),
    });
  } catch (e) {
    closeUnlessDrainable(request, reply);
    throw e;
  }
}

/**
 * Answers with the bytes of blob `sha256` (octet-stream, its length and {@link CHECKSUM_HEADER}; `fileName`:
 * as an attachment of that name). A missing object is UNAVAILABLE naming `what` (`file hello.tar.gz`).
 */
export async function sendBlob(
  reply: FastifyReply,
  storage: Storage,
  blob: { sha256: string; size: number; what: string; cacheControl: string; fileName?: string },
): Promise<FastifyReply> {
  const body = await storage.get(blobKey(blob.sha256));
  if (body === undefined)
    throw new ServerError(
      "UNAVAILABLE",
      `Expected the blob ${blob.sha256} of ${blob.what} in ${storage.description}, found none`,
    );
  reply
    .header("content-type", "application/octet-stream")
    .header("content-length", String(blob.size))
    .header(CHECKSUM_HEADER, blob.sha256)
    .header("cache-control", blob.cacheControl);
  if (blob.fileName !== undefined)
    reply.header("content-disposition", `attachment; filename="${blob.fileName}"`);
  return reply.send(Readable.from(body));
}

/**
 * Makes the routes of `app` (an encapsulated plugin) take their body raw: every Content-Type (or none)
 * streams through unparsed, not held to fastify's body limit, for {@link receiveUpload}.
 */
export function acceptRawBodies(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", (_request, payload, done) => done(null, payload));
}

function isReaderError(e: unknown): e is Error & { code: string } {
  return (
    e instanceof Error &&
    (e.name === "FormatError" || e.name === "SpecError") &&
    typeof (e as { code?: unknown }).code === "string"
  );
}

export async function uploadsPlugin(app: FastifyInstance, options: PluginOptions): Promise<void> {
  const { db, storage, clock } = options.deps;
  const limit = options.deps.config.uploadLimitBytes ?? DEFAULT_UPLOAD_LIMIT;
  const plans = options.deps.config.plans; // billing (billing/entitlements.ts)
  const metrics = options.metrics;

  for (const type of ["text/yaml", "application/yaml", "application/x-yaml"])
    app.addContentTypeParser(type, { parseAs: "string", bodyLimit: CONFIG_LIMIT }, (_request, body, done) =>
      done(null, body),
    );

  const findPackage = (projectId: number, name: string): Promise<PackageRow> =>
    findPackageRow(db, projectId, name);

  async function findRelease(packageId: number, version: string): Promise<{ id: number; created_at: Date }> {
    checkReleaseVersion(version);
    const { rows } = await db.query<{ id: number; created_at: Date }>(
      "SELECT id, created_at FROM releases WHERE package_id = $1 AND version = $2",
      [packageId, version],
    );
    if (rows[0] === undefined)
      throw new ServerError("NOT_FOUND", `Expected a release ${version} of this package, found none`, {
        field: "version",
      });
    return rows[0];
  }

  async function audit(tx: Tx, actor: number, projectId: number, action: string, details: object) {
    await tx.query(
      "INSERT INTO audit_events (at, actor_user_id, project_id, action, details) VALUES ($1, $2, $3, $4, $5::jsonb)",
      [clock.now(), actor, projectId, action, JSON.stringify(details)],
    );
  }

  /** Collects blobs a change just unreferenced; a failure is logged, the request already succeeded. */
  async function collect(request: FastifyRequest, shas: readonly string[]): Promise<void> {
    if (shas.length === 0) return;
    try {
      await collectBlobs(db, storage, { graceMs: 0, only: shas });
    } catch (err) {
      request.log.warn({ err }, "collecting unreferenced blobs failed; the next collection retries");
    }
  }

  /**
   * Receives an upload to the route's project. Billing first (billing/entitlements.ts): an inactive
   * subscription, or a Content-Length over the plan's storage left, is refused before the body is read.
   */
  const receive = async (request: FastifyRequest, reply: FastifyReply) => {
    const length = request.headers["content-length"];
    const declared = length === undefined || !/^\d+$/.test(length) ? undefined : Number(length);
    let allowance: UploadAllowance | undefined;
    try {
      allowance = await uploadAllowance(db, plans, request.project!.id, declared);
    } catch (e) {
      reply.header("connection", "close");
      throw e;
    }
    return receiveUpload(request, reply, storage, {
      limitBytes: limit,
      checksumRequired: false,
      ...(allowance === undefined ? {} : { allowance }),
    });
  };

  /** Lists a package's files. */
  async function filesOf(packageId: number): Promise<FileRow[]> {
    const { rows } = await db.query<FileRow>(
      `SELECT f.access_name, f.blob_sha256, b.size, f.created_at, f.updated_at
         FROM package_files f JOIN blobs b ON b.sha256 = f.blob_sha256
        WHERE f.package_id = $1 ORDER BY f.access_name`,
      [packageId],
    );
    return rows;
  }

  // --- packages -----------------------------------------------------------------------------------------

  app.get<{ Params: { project: string } }>(
    "/projects/:project/packages",
    {
      config: { authz: { project: "viewer", scope: "read" } },
      schema: { params: params(), response: { 200: { type: "array", items: PACKAGE_SUMMARY }, ...ERRORS } },
    },
    async (request) => {
      const { rows } = await db.query<PackageRow>(
        "SELECT name, created_at, updated_at FROM packages WHERE project_id = $1 ORDER BY name",
        [request.project!.id],
      );
      return rows.map((r) => ({ name: r.name, createdAt: r.created_at, updatedAt: r.updated_at }));
    },
  );

  app.put<{ Params: { project: string; pkg: string }; Body: string | { config: string } }>(
    "/projects/:project/packages/:pkg",
    {
      config: { authz: { project: "maintainer", scope: "write" } },
      schema: {
        params: params("pkg"),
        body: {
          anyOf: [
            { type: "string" },
            {
              type: "object",
              required: ["config"],
              additionalProperties: false,
              properties: { config: { type: "string" } },
            },
          ],
        },
        response: { 200: PACKAGE, 201: PACKAGE, ...ERRORS },
      },
    },
    async (request, reply) => {
      const text = typeof request.body === "string" ? request.body : request.body.config;
      const saved = await savePackageConfig(options.deps, request.project!.id, request.params.pkg, text);
      const row = { ...saved.row, inserted: saved.inserted };
      const files = row.inserted ? [] : (await filesOf(row.id)).map(toFile);
      return reply.status(row.inserted ? 201 : 200).send({
        name: row.name,
        config: row.config,
        createdAt: row.created_at,
        updatedAt: row.updated_at,
        files,
      });
    },
  );

  app.get<{ Params: { project: string; pkg: string } }>(
    "/projects/:project/packages/:pkg",
    {
      config: { authz: { project: "viewer", scope: "read" } },
      schema: { params: params("pkg"), response: { 200: PACKAGE, ...ERRORS } },
    },
    async (request) => {
      const row = await findPackage(request.project!.id, request.params.pkg);
      return {
        name: row.name,
        config: row.config,
        createdAt: row.created_at,
        updatedAt: row.updated_at,
        files: (await filesOf(row.id)).map(toFile),
      };
    },
  );

  app.delete<{ Params: { project: string; pkg: string } }>(
    "/projects/:project/packages/:pkg",
    {
      config: { authz: { project: "owner", scope: "write" } },
      schema: { params: params("pkg"), response: NO_CONTENT },
    },
    async (request, reply) => {
      const row = await findPackage(request.project!.id, request.params.pkg);
      const shas = await db.transaction(async (tx) => {
        // Everything of the package that references blobs: its files, artifacts, builds' sources and uploads.
        const { rows } = await tx.query<{ sha256: string }>(
          `SELECT blob_sha256 AS sha256 FROM package_files WHERE package_id = $1
           UNION SELECT a.blob_sha256 FROM artifacts a JOIN releases r ON r.id = a.release_id WHERE r.package_id = $1
           UNION SELECT s->>'sha256' FROM builds b, jsonb_array_elements(b.sources) s WHERE b.package_id = $1
           UNION SELECT j.upload_sha256 FROM jobs j JOIN builds b ON b.id = j.build_id
                  WHERE b.package_id = $1 AND j.upload_sha256 IS NOT NULL`,
          [row.id],
        );
        await audit(tx, request.principal!.userId, request.project!.id, "package.delete", { name: row.name });
        await tx.query("DELETE FROM packages WHERE id = $1", [row.id]);
        return rows.map((r) => r.sha256);
      });
      await collect(request, shas);
      return reply.status(204).send();
    },
  );

  // --- source files by access name, releases, artifacts ----------------------------------------------------

  app.get<{ Params: { project: string; pkg: string } }>(
    "/projects/:project/packages/:pkg/files",
    {
      config: { authz: { project: "viewer", scope: "read" } },
      schema: { params: params("pkg"), response: { 200: { type: "array", items: FILE }, ...ERRORS } },
    },
    async (request) => {
      const row = await findPackage(request.project!.id, request.params.pkg);
      return (await filesOf(row.id)).map(toFile);
    },
  );

  app.get<{ Params: { project: string; pkg: string; "*": string } }>(
    "/projects/:project/packages/:pkg/files/*",
    {
      config: { authz: { project: "viewer", scope: "read" } },
      schema: { params: params("pkg", "*"), response: { 200: BINARY, ...ERRORS } },
    },
    async (request, reply) => {
      const accessName = checkAccessName(request.params["*"]);
      const pkg = await findPackage(request.project!.id, request.params.pkg);
      const { rows } = await db.query<FileRow>(
        `SELECT f.access_name, f.blob_sha256, b.size, f.created_at, f.updated_at
           FROM package_files f JOIN blobs b ON b.sha256 = f.blob_sha256
          WHERE f.package_id = $1 AND f.access_name = $2`,
        [pkg.id, accessName],
      );
      const file = rows[0];
      if (file === undefined)
        throw new ServerError(
          "NOT_FOUND",
          `Expected a file named ${accessName} in package ${pkg.name}, found none`,
          {
            field: "accessName",
          },
        );
      return sendBlob(reply.header("etag", `"${file.blob_sha256}"`), storage, {
        sha256: file.blob_sha256,
        size: Number(file.size),
        what: `file ${accessName}`,
        cacheControl: "private, no-cache",
        fileName: accessName,
      });
    },
  );

  app.delete<{ Params: { project: string; pkg: string; "*": string } }>(
    "/projects/:project/packages/:pkg/files/*",
    {
      config: { authz: { project: "maintainer", scope: "write" } },
      schema: { params: params("pkg", "*"), response: NO_CONTENT },
    },
    async (request, reply) => {
      const accessName = checkAccessName(request.params["*"]);
      const pkg = await findPackage(request.project!.id, request.params.pkg);
      const { rows } = await db.query<{ blob_sha256: string }>(
        "DELETE FROM package_files WHERE package_id = $1 AND access_name = $2 RETURNING blob_sha256",
        [pkg.id, accessName],
      );
      if (rows[0] === undefined)
        throw new ServerError(
          "NOT_FOUND",
          `Expected a file named ${accessName} in package ${pkg.name}, found none`,
          {
            field: "accessName",
          },
        );
      await collect(request, [rows[0].blob_sha256]);
      return reply.status(204).send();
    },
  );

  app.get<{ Params: { project: string; pkg: string } }>(
    "/projects/:project/packages/:pkg/releases",
    {
      config: { authz: { project: "viewer", scope: "read" } },
      schema: {
        params: params("pkg"),
        response: { 200: { type: "array", items: RELEASE_SUMMARY }, ...ERRORS },
      },
    },
    async (request) => {
      const pkg = await findPackage(request.project!.id, request.params.pkg);
      const { rows } = await db.query<{ version: string; created_at: Date; artifacts: number }>(
        `SELECT r.version, r.created_at, (SELECT count(*) FROM artifacts a WHERE a.release_id = r.id)::int AS artifacts
           FROM releases r WHERE r.package_id = $1 ORDER BY r.created_at, r.version`,
        [pkg.id],
      );
      return rows.map((r) => ({ version: r.version, createdAt: r.created_at, artifacts: r.artifacts }));
    },
  );

  app.post<{ Params: { project: string; pkg: string }; Body: { version: string } }>(
    "/projects/:project/packages/:pkg/releases",
    {
      config: { authz: { project: "maintainer", scope: "write" } },
      schema: {
        params: params("pkg"),
        body: {
          type: "object",
          required: ["version"],
          additionalProperties: false,
          properties: { version: { type: "string" } },
        },
        response: { 201: RELEASE, ...ERRORS },
      },
    },
    async (request, reply) => {
      const version = checkReleaseVersion(request.body.version);
      const pkg = await findPackage(request.project!.id, request.params.pkg);
      await checkProjectWrite(db, plans, request.project!.id, "create a release"); // billing
      const { rows } = await db.query<{ created_at: Date }>(
        `INSERT INTO releases (package_id, project_id, version, created_by, created_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (package_id, version) DO NOTHING RETURNING created_at`,
        [pkg.id, request.project!.id, version, request.principal!.userId, clock.now()],
      );
      if (rows[0] === undefined)
        throw new ServerError(
          "ALREADY_EXISTS",
          `Expected a new release, found ${pkg.name} ${version} exists`,
          {
            field: "version",
          },
        );
      return reply.status(201).send({ version, createdAt: rows[0].created_at, artifacts: [] });
    },
  );

  app.get<{ Params: { project: string; pkg: string; version: string } }>(
    "/projects/:project/packages/:pkg/releases/:version",
    {
      config: { authz: { project: "viewer", scope: "read" } },
      schema: { params: params("pkg", "version"), response: { 200: RELEASE, ...ERRORS } },
    },
    async (request) => {
      const pkg = await findPackage(request.project!.id, request.params.pkg);
      const release = await findRelease(pkg.id, request.params.version);
      const { rows } = await db.query<ArtifactRow>(
        `SELECT ${ARTIFACT_COLUMNS} FROM ${ARTIFACT_FROM} WHERE a.release_id = $1 ORDER BY a.file_name, a.id`,
        [release.id],
      );
      return {
        version: request.params.version,
        createdAt: release.created_at,
        artifacts: rows.map(toArtifact),
      };
    },
  );

  app.delete<{ Params: { project: string; pkg: string; version: string } }>(
    "/projects/:project/packages/:pkg/releases/:version",
    {
      config: { authz: { project: "owner", scope: "write" } },
      schema: { params: params("pkg", "version"), response: NO_CONTENT },
    },
    async (request, reply) => {
      const pkg = await findPackage(request.project!.id, request.params.pkg);
      const release = await findRelease(pkg.id, request.params.version);
      const shas = await db.transaction(async (tx) => {
        const { rows } = await tx.query<{ blob_sha256: string }>(
          "SELECT DISTINCT blob_sha256 FROM artifacts WHERE release_id = $1",
          [release.id],
        );
        await audit(tx, request.principal!.userId, request.project!.id, "release.delete", {
          package: pkg.name,
          version: request.params.version,
        });
        await tx.query("DELETE FROM releases WHERE id = $1", [release.id]);
        return rows.map((r) => r.blob_sha256);
      });
      await collect(request, shas);
      return reply.status(204).send();
    },
  );

  // Upload routes read the raw body: every Content-Type (or none) streams through, unparsed and not held
  // to fastify's body limit; the upload limit is enforced on the stream (receive above).
  await app.register(async (raw) => {
    acceptRawBodies(raw);

    raw.put<{ Params: { project: string; pkg: string; "*": string } }>(
      "/projects/:project/packages/:pkg/files/*",
      {
        config: { authz: { project: "maintainer", scope: "write" } },
        schema: { params: params("pkg", "*"), response: { 200: FILE, 201: FILE, ...ERRORS } },
      },
      async (request, reply) => {
        const length = request.headers["content-length"];
        let stored: Awaited<ReturnType<typeof uploadSourceFile>>;
        try {
          stored = await uploadSourceFile(options.deps, {
            projectId: request.project!.id,
            packageName: request.params.pkg,
            accessName: request.params["*"],
            body: (request.body ?? request.raw) as AsyncIterable<Uint8Array>,
            ...(length === undefined || !/^\d+$/.test(length) ? {} : { length: Number(length) }),
            ...declaredDigest(request),
            limitBytes: limit,
            uploadedBy: request.principal!.userId,
            onCollectError: (err) =>
              request.log.warn({ err }, "collecting the replaced blob failed; the next collection retries"),
          });
        } catch (e) {
          closeUnlessDrainable(request, reply);
          throw e;
        }
        const { file, size } = stored;
        metrics.uploaded("file", size);
        return reply.status(file.previous === undefined ? 201 : 200).send({
          name: file.accessName,
          sha256: file.sha256,
          size: file.size,
          createdAt: file.createdAt,
          updatedAt: file.updatedAt,
        });
      },
    );

    raw.put<{ Params: { project: string; pkg: string; version: string; "*": string } }>(
      "/projects/:project/packages/:pkg/releases/:version/artifacts/*",
      {
        config: { authz: { project: "maintainer", scope: "write" } },
        schema: {
          params: params("pkg", "version", "*"),
          response: { 200: ARTIFACT, 201: ARTIFACT, ...ERRORS },
        },
      },
      async (request, reply) => {
        const fileName = checkArtifactFileName(request.params["*"]);
        const version = checkReleaseVersion(request.params.version);
        const projectId = request.project!.id;
        const pkg = await findPackage(projectId, request.params.pkg);
        const staged = await receive(request, reply);
        try {
          let info: PackageInfo;
          try {
            info = await readPackage(storageSource(storage, staged.tmpKey, staged.size), fileName);
          } catch (e) {
            if (!isReaderError(e)) throw e;
            throw new ServerError(
              "NOT_A_PACKAGE",
              `Expected ${fileName} to be a package the formats readers read (deb, rpm, Arch, apk, pkg, archive), found: ${e.message}`,
              { readerCode: e.code, fileName },
              { cause: e },
            );
          }
          const existing = await sameArtifact(projectId, info, fileName, version, staged.sha256, pkg.id);
          if (existing !== undefined) return reply.status(200).send(toArtifact(existing));
          let row: ArtifactRow;
          try {
            row = await commitBlobs(
              { db, storage, clock },
              [staged],
              async (tx) => {
                const id = await insertArtifact(tx, {
                  packageId: pkg.id,
                  projectId,
                  release: version,
                  info,
                  fileName,
                  sha256: staged.sha256,
                  uploadedBy: request.principal!.userId,
                  at: clock.now(),
                });
                const made = await tx.query<ArtifactRow>(
                  `SELECT ${ARTIFACT_COLUMNS} FROM ${ARTIFACT_FROM} WHERE a.id = $1`,
                  [id],
                );
                return made.rows[0]!;
              },
              storageGuard(plans, projectId, clock.now()),
            ); // billing: storage_bytes, under the account's lock
          } catch (e) {
            if (isForeignKeyViolation(e)) throw packageGone(pkg.name);
            if (isUniqueViolation(e, "artifacts_package_key")) {
              // Another upload of the same name, version and architecture committed meanwhile.
              const again = await sameArtifact(projectId, info, fileName, version, staged.sha256, pkg.id);
              if (again !== undefined) return reply.status(200).send(toArtifact(again));
            }
            throw e;
          }
          metrics.uploaded("package", staged.size);
          return reply.status(201).send(toArtifact(row));
        } finally {
          await discard(storage, staged.tmpKey);
        }
      },
    );
  });

  /**
   * The artifact an upload repeats: the same format, name, version and architecture in this project with
   * the same bytes in the same release (returned: 200). The same triple otherwise is 409 VERSION_EXISTS;
   * the file name taken in the release by another artifact is 409 ALREADY_EXISTS; undefined when new.
   */
  async function sameArtifact(
    projectId: number,
    info: PackageInfo,
    fileName: string,
    version: string,
    sha256: string,
    packageId: number,
  ): Promise<ArtifactRow | undefined> {
    const { rows } = await db.query<ArtifactRow & { package_id: number }>(
      `SELECT ${ARTIFACT_COLUMNS}, r.package_id FROM ${ARTIFACT_FROM}
        WHERE a.project_id = $1 AND a.format = $2 AND a.name = $3 AND a.version = $4 AND a.arch = $5`,
      [projectId, info.format, info.name, info.versionString, info.archString],
    );
    const held = rows[0];
    if (held !== undefined) {
      if (held.blob_sha256 === sha256 && held.release === version && held.package_id === packageId)
        return held;
      throw new ServerError(
        "VERSION_EXISTS",
        held.blob_sha256 === sha256
          ? `Expected ${info.format} ${info.name} ${info.versionString} ${info.archString} to be new, found the same package in release ${held.release} (${held.file_name})`
          : `Expected ${info.format} ${info.name} ${info.versionString} ${info.archString} to be new or the same bytes, found other bytes held (sha256 ${held.blob_sha256}, release ${held.release}); publish a new version`,
        {
          format: info.format,
          name: info.name,
          version: info.versionString,
          arch: info.archString,
          release: held.release,
          sha256: held.blob_sha256,
        },
      );
    }
    const { rows: named } = await db.query<{ id: number }>(
      `SELECT a.id FROM artifacts a JOIN releases r ON r.id = a.release_id
        WHERE r.package_id = $1 AND r.version = $2 AND a.file_name = $3`,
      [packageId, version, fileName],
    );
    if (named.length > 0)
      throw new ServerError(
        "ALREADY_EXISTS",
        `Expected the file name ${fileName} to be free in release ${version}, found another package under it`,
        { field: "fileName" },
      );
    return undefined;
  }
}
