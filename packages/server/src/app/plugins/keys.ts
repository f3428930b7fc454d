/**
 * The keys area: a project's signing keys (keys/project-keys.ts).
 *
 * - `GET /projects/:project/keys` (viewer, read): every key with its state, algorithm (of the key that signs),
 *   full fingerprint, the signing (sub)key's fingerprint and expiry (OpenPGP), dates.
 * - `GET /projects/:project/keys/<id>.asc|.gpg|.rsa.pub` (public): a public key, armored / binary OpenPGP or
 *   apk PEM; 404 for an unknown project or key, or a suffix that does not fit the key's purpose.
 * - `POST /projects/:project/keys` (owner, keys): upload `{ purpose, key, passphrase?, overlapDays? }`, the key
 *   armored/PEM or base64 of binary. Checked by signing a test message; a refusal is 422 with its code and
 *   nothing stored (KEY_EXPIRED also for an OpenPGP key that stops signing within 30 days, or within the
 *   overlap when that is longer). A passphrase sent with an OpenPGP key that is not protected is dropped. A valid key becomes the active key the way a rotation does: the previous one is retiring
 *   for the overlap (default 14 days; 0 retires it at once). Audited `key.upload`.
 * - `POST /projects/:project/keys/rotate` (owner, keys): `{ purpose?, overlapDays?, key?, passphrase? }`: a new
 *   key (generated, or the one given, which needs a purpose) for each purpose (default both). Audited `key.rotate`.
 * - `GET /projects/:project/keys/backup` (owner, keys): tar.gz of every key's secret and public files. Audited
 *   `key.backup`.
 */
import { gzipSync } from "node:zlib";
import { type TarWriteEntry, writeTar } from "@packyard/formats/container/tar";
import type { FastifyInstance } from "fastify";
import type { Tx } from "../../db/db.ts";
import { ServerError } from "../../errors.ts";
import { newProjectKeys } from "../../keys/new-keys.ts";
import {
  activateKey,
  backupFiles,
  type CheckedKey,
  checkKey,
  DEFAULT_OVERLAP_DAYS,
  KEY_PURPOSES,
  type KeyInfo,
  type KeyPurpose,
  listKeys,
  publicKeyById,
} from "../../keys/project-keys.ts";
import type { PluginOptions } from "../app.ts";
import { ERRORS, SLUG } from "../schemas.ts";

const NULLABLE_DATE = { type: ["string", "null"], format: "date-time" } as const;

/** A key as the API shows it. */
export const KEY_INFO = {
  type: "object",
  required: [
    "id",
    "purpose",
    "state",
    "algorithm",
    "fingerprint",
    "createdAt",
    "activatedAt",
    "overlapUntil",
    "retiredAt",
    "apkKeyName",
    "signingFingerprint",
    "expiresAt",
  ],
  properties: {
    id: { type: "string" },
    purpose: { type: "string", enum: [...KEY_PURPOSES] },
    state: { type: "string", enum: ["active", "retiring", "retired"] },
    algorithm: { type: "string" },
    fingerprint: { type: "string" },
    createdAt: { type: "string", format: "date-time" },
    activatedAt: NULLABLE_DATE,
    overlapUntil: NULLABLE_DATE,
    retiredAt: NULLABLE_DATE,
    apkKeyName: { type: ["string", "null"] },
    signingFingerprint: { type: ["string", "null"] },
    expiresAt: NULLABLE_DATE,
  },
} as const;

const PURPOSE = { type: "string", enum: [...KEY_PURPOSES] } as const;
/** Overlap of a rotation in days: 0 (retire the old key at once) to a year. */
const OVERLAP_DAYS = { type: "integer", minimum: 0, maximum: 366 } as const;
/** Key text: armored/PEM, or base64 of binary; 64 KiB holds any RSA key with its certificate. */
const KEY_TEXT = { type: "string", minLength: 1, maxLength: 65_536 } as const;
const PASSPHRASE = { type: "string", maxLength: 1024 } as const;

const PROJECT_PARAMS = { type: "object", required: ["project"], properties: { project: SLUG } } as const;

/** Binary and text answers: the schema documents them, the payload is sent as it is. */
const FILE_RESPONSE = { 200: { type: "string" }, ...ERRORS } as const;

/** Suffix of a public key download → purpose and form. */
const DOWNLOADS: Record<string, { purpose: KeyPurpose; binary: boolean; type: string }> = {
  ".asc": { purpose: "openpgp", binary: false, type: "application/pgp-keys" },
  ".gpg": { purpose: "openpgp", binary: true, type: "application/pgp-keys" },
  ".rsa.pub": { purpose: "apk", binary: false, type: "application/x-pem-file" },
};

export async function keysPlugin(app: FastifyInstance, options: PluginOptions): Promise<void> {
  const { db, clock, masterKey } = options.deps;

  async function audit(tx: Tx, actor: number, projectId: number, action: string, details: object) {
    await tx.query(
      "INSERT INTO audit_events (at, actor_user_id, project_id, action, details) VALUES ($1, $2, $3, $4, $5::jsonb)",
      [clock.now(), actor, projectId, action, JSON.stringify(details)],
    );
  }

  /** Activates the checked keys in one transaction (each retires its purpose's previous key); audited. */
  async function activate(
    projectId: number,
    actor: number,
    keys: readonly CheckedKey[],
    overlapDays: number,
    action: "key.upload" | "key.rotate",
  ): Promise<KeyInfo[]> {
    const now = clock.now();
    await db.transaction(async (tx) => {
      for (const key of keys) {
        const { previous } = await activateKey(tx, masterKey, projectId, key, now, overlapDays);
        await audit(tx, actor, projectId, action, {
          id: key.id,
          purpose: key.purpose,
          fingerprint: key.fingerprint,
          previous: previous ?? null,
          overlapDays,
        });
      }
    });
    const ids = new Set(keys.map((k) => k.id));
    return (await listKeys(db, projectId, now)).filter((k) => ids.has(k.id));
  }

  app.get<{ Params: { project: string } }>(
    "/projects/:project/keys",
    {
      config: { authz: { project: "viewer", scope: "read" } },
      schema: { params: PROJECT_PARAMS, response: { 200: { type: "array", items: KEY_INFO }, ...ERRORS } },
    },
    async (request) => listKeys(db, request.project!.id, clock.now()),
  );

  app.post<{
    Params: { project: string };
    Body: { purpose: KeyPurpose; key: string; passphrase?: string; overlapDays?: number };
  }>(
    "/projects/:project/keys",
    {
      config: { authz: { project: "owner", scope: "keys" } },
      schema: {
        params: PROJECT_PARAMS,
        body: {
          type: "object",
          required: ["purpose", "key"],
          additionalProperties: false,
          properties: { purpose: PURPOSE, key: KEY_TEXT, passphrase: PASSPHRASE, overlapDays: OVERLAP_DAYS },
        },
        response: { 201: KEY_INFO, ...ERRORS },
      },
    },
    async (request, reply) => {
      const p = request.project!;
      const body = request.body;
      const key = await checkKey({
        purpose: body.purpose,
        key: body.key,
        passphrase: body.passphrase,
        project: p.slug,
        now: clock.now(),
        overlapDays: body.overlapDays,
      });
      const [info] = await activate(
        p.id,
        request.principal!.userId,
        [key],
        body.overlapDays ?? DEFAULT_OVERLAP_DAYS,
        "key.upload",
      );
      return reply.status(201).send(info);
    },
  );

  app.post<{
    Params: { project: string };
    Body: { purpose?: KeyPurpose; key?: string; passphrase?: string; overlapDays?: number } | null;
  }>(
    "/projects/:project/keys/rotate",
    {
      config: { authz: { project: "owner", scope: "keys" } },
      schema: {
        params: PROJECT_PARAMS,
        // No body at all rotates both keys with the default overlap.
        body: {
          type: ["object", "null"],
          additionalProperties: false,
          properties: { purpose: PURPOSE, key: KEY_TEXT, passphrase: PASSPHRASE, overlapDays: OVERLAP_DAYS },
        },
        response: { 200: { type: "array", items: KEY_INFO }, ...ERRORS },
      },
    },
    async (request) => {
      const p = request.project!;
      const body = request.body ?? {};
      const now = clock.now();
      let keys: CheckedKey[];
      if (body.key !== undefined) {
        if (body.purpose === undefined)
          throw new ServerError(
            "INVALID_REQUEST",
            "Expected a purpose (openpgp or apk) with the key to rotate to, found none",
            { field: "purpose" },
          );
        keys = [
          await checkKey({
            purpose: body.purpose,
            key: body.key,
            passphrase: body.passphrase,
            project: p.slug,
            now,
            overlapDays: body.overlapDays,
          }),
        ];
      } else {
        if (body.passphrase !== undefined)
          throw new ServerError(
            "INVALID_REQUEST",
            "Expected a passphrase only with a key, found one without",
            {
              field: "passphrase",
            },
          );
        // Generated before the transaction: RSA-4096 takes seconds (at most two generations at once in the
        // process, shared with project creation: new-keys.ts).
        keys = await newProjectKeys(
          options.deps,
          p.slug,
          now,
          body.purpose === undefined ? KEY_PURPOSES : [body.purpose],
        );
      }
      return activate(
        p.id,
        request.principal!.userId,
        keys,
        body.overlapDays ?? DEFAULT_OVERLAP_DAYS,
        "key.rotate",
      );
    },
  );

  app.get<{ Params: { project: string } }>(
    "/projects/:project/keys/backup",
    {
      config: { authz: { project: "owner", scope: "keys" } },
      schema: { params: PROJECT_PARAMS, response: FILE_RESPONSE },
    },
    async (request, reply) => {
      const p = request.project!;
      const now = clock.now();
      const files = await backupFiles(db, masterKey, p.id, now);
      const keyCount = files.filter((f) => f.mode === 0o600).length;
      // Audited before the secrets leave: a failed audit write sends nothing.
      await db.transaction((tx) =>
        audit(tx, request.principal!.userId, p.id, "key.backup", { keys: keyCount }),
      );
      const mtime = Math.floor(now.getTime() / 1000);
      const folder = `${p.slug}-keys`;
      const dirs = [
        ...new Set(files.map((f) => f.name.split("/").slice(0, -1).join("/")).filter((d) => d !== "")),
      ];
      const entries: TarWriteEntry[] = [
        { header: { name: `${folder}/`, type: "dir", mode: 0o700, uid: 0, gid: 0, size: 0, mtime } },
        ...dirs.map(
          (d): TarWriteEntry => ({
            header: { name: `${folder}/${d}/`, type: "dir", mode: 0o700, uid: 0, gid: 0, size: 0, mtime },
          }),
        ),
        ...files.map(
          (f): TarWriteEntry => ({
            header: {
              name: `${folder}/${f.name}`,
              type: "file",
              mode: f.mode,
              uid: 0,
              gid: 0,
              size: f.content.length,
              mtime,
            },
            content: f.content,
          }),
        ),
      ];
      const parts: Uint8Array[] = [];
      for await (const piece of writeTar(entries, { flavour: "pax" })) parts.push(piece);
      const body = gzipSync(Buffer.concat(parts));
      return reply
        .header("content-type", "application/gzip")
        .header("cache-control", "no-store")
        .header(
          "content-disposition",
          `attachment; filename="${folder}-${now.toISOString().slice(0, 10)}.tar.gz"`,
        )
        .send(body);
    },
  );

  app.get<{ Params: { project: string; file: string } }>(
    "/projects/:project/keys/:file",
    {
      config: { authz: "public" },
      schema: {
        params: {
          type: "object",
          required: ["project", "file"],
          properties: { project: SLUG, file: { type: "string", maxLength: 100 } },
        },
        response: FILE_RESPONSE,
      },
    },
    async (request, reply) => {
      const { project, file } = request.params;
      const suffix = Object.keys(DOWNLOADS).find((s) => file.endsWith(s));
      const found =
        suffix === undefined
          ? undefined
          : await publicKeyById(db, project, file.slice(0, -suffix.length), clock.now());
      const form = suffix === undefined ? undefined : DOWNLOADS[suffix];
      if (found === undefined || form === undefined || found.key.purpose !== form.purpose)
        throw new ServerError(
          "NOT_FOUND",
          `Expected a public key ${file} of project ${project}, found none`,
          {
            field: "file",
          },
        );
      return reply
        .header("content-type", form.binary ? "application/octet-stream" : `${form.type}; charset=utf-8`)
        .header("cache-control", "public, max-age=300")
        .send(form.binary ? Buffer.from(found.binary) : found.text);
    },
  );
}
