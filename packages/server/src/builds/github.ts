/**
 * GitHub webhooks of a project (issue 20 item 8). A project's webhook holds a secret (32 random bytes as hex,
 * shown once, sealed at rest under the master key with the project and purpose `webhook`), the package it
 * builds, how release assets map to access names, and the access name a tag push's tarball goes to (none:
 * tag pushes do not build).
 *
 * A delivery is checked before anything in it is believed: `X-Hub-Signature-256` over the raw body bytes
 * ({@link verifySignature}). Then `X-GitHub-Delivery` deduplicates (webhook_deliveries), and the event
 * decides: `release` published → every configured pattern's one matching asset is downloaded by the server
 * from the GitHub API and stored as the package's file under its access name, then a build at the tag's
 * version is requested; a tag `push` does the same with the tag's tarball. Downloads stream through the
 * blob store (size limit, SHA-256, the asset's `digest` when GitHub gives one) before any row changes.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { Storage } from "@packyard/repo";
import type { AppDeps, Clock } from "../app/deps.ts";
import type { Db, Tx } from "../db/db.ts";
import { isServerError, ServerError } from "../errors.ts";
import type { MasterKey } from "../keys/master-key.ts";
import { type SealContext, seal, unseal } from "../keys/seal.ts";
import { discard, type StagedUpload, stageUpload } from "../uploads/blob-store.ts";
import { checkAccessName, checkPackageName, checkReleaseVersion } from "../uploads/names.ts";
import { storeSourceFiles } from "../uploads/source-files.ts";

/** The GitHub API packyard talks to unless configured otherwise. */
export const DEFAULT_GITHUB_API_URL = "https://api.github.com";

/** How long one download from GitHub may take (release assets are fetched inline, before answering). */
export const DEFAULT_DOWNLOAD_TIMEOUT_MS = 120_000;

/** Most asset mappings one webhook holds. */
export const MAX_ASSET_MAPPINGS = 32;

/** The header GitHub signs deliveries in: `sha256=` and the HMAC-SHA256 of the body as hex. */
export const SIGNATURE_HEADER = "x-hub-signature-256";

/** One release asset pattern (glob: `*` any run of characters, `?` one) and the access name it fills. */
export interface AssetMapping {
  pattern: string;
  accessName: string;
}

/** What a project's webhook is set to. */
export interface WebhookSettings {
  /** The package (in the project) the webhook builds. */
  package: string;
  assets: readonly AssetMapping[];
  /** The access name a tag push's tarball is stored under; null: tag pushes do not build. */
  pushAccessName: string | null;
}

/** A webhook as the API shows it (never its secret). */
export interface WebhookView extends WebhookSettings {
  createdAt: Date;
  updatedAt: Date;
}

/** A project's webhook with its opened secret, for checking a delivery. */
export interface WebhookTarget extends WebhookView {
  projectId: number;
  project: string;
  packageId: number;
  /** The secret GitHub signs with (the hex string; its UTF-8 bytes are the HMAC key, as GitHub uses it). */
  secret: string;
}

type SecretDeps = Pick<AppDeps, "db" | "masterKey" | "clock">;

/** Where a project's webhook secret is sealed: project + purpose `webhook`. */
function sealContext(projectId: number): SealContext {
  return { projectId, keyId: "github", purpose: "webhook" };
}

/** A new webhook secret: 32 random bytes as 64 hex digits. */
export function newWebhookSecret(): string {
  return randomBytes(32).toString("hex");
}

function sealSecret(key: MasterKey, projectId: number, secret: string) {
  return seal(key, Buffer.from(secret, "utf8"), sealContext(projectId));
}

async function audit(
  tx: Tx,
  at: Date,
  actor: number | null,
  projectId: number,
  action: string,
  details: object,
) {
  await tx.query(
    "INSERT INTO audit_events (at, actor_user_id, project_id, action, details) VALUES ($1, $2, $3, $4, $5::jsonb)",
    [at, actor, projectId, action, JSON.stringify(details)],
  );
}

/** Checks the settings' names; returns them with `package`'s id. */
async function checkSettings(
  q: Tx,
  projectId: number,
  settings: WebhookSettings,
): Promise<{ packageId: number }> {
  checkPackageName(settings.package);
  if (settings.assets.length > MAX_ASSET_MAPPINGS)
    throw new ServerError(
      "INVALID_REQUEST",
      `Expected at most ${MAX_ASSET_MAPPINGS} asset patterns, found ${settings.assets.length}`,
      { field: "assets" },
    );
  const seen = new Set<string>();
  settings.assets.forEach((a, i) => {
    checkAccessName(a.accessName, `assets[${i}].accessName`);
    compileGlob(a.pattern, `assets[${i}].pattern`);
    if (seen.has(a.accessName))
      throw new ServerError(
        "INVALID_REQUEST",
        `Expected each access name once in assets, found ${a.accessName} again at assets[${i}] (one asset fills one access name)`,
        { field: `assets[${i}].accessName` },
      );
    seen.add(a.accessName);
  });
  if (settings.pushAccessName !== null) checkAccessName(settings.pushAccessName, "pushAccessName");
  const { rows } = await q.query<{ id: number }>(
    "SELECT id FROM packages WHERE project_id = $1 AND name = $2",
    [projectId, settings.package],
  );
  if (rows[0] === undefined)
    throw new ServerError(
      "NOT_FOUND",
      `Expected a package named ${settings.package} in this project for the webhook to build, found none`,
      { field: "package" },
    );
  return { packageId: rows[0].id };
}

interface WebhookRow {
  package: string;
  package_id: number;
  assets: AssetMapping[];
  push_access_name: string | null;
  created_at: Date;
  updated_at: Date;
}

const toView = (r: WebhookRow): WebhookView => ({
  package: r.package,
  assets: r.assets.map((a) => ({ pattern: a.pattern, accessName: a.accessName })),
  pushAccessName: r.push_access_name,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const WEBHOOK_COLUMNS = `p.name AS package, w.package_id, w.assets, w.push_access_name, w.created_at, w.updated_at`;

/**
 * Sets a project's webhook. A new one gets a secret, returned this once; an existing one keeps its secret
 * (`secret` absent). Audited as `webhook.set`.
 */
export async function putWebhook(
  deps: SecretDeps,
  projectId: number,
  settings: WebhookSettings,
  actor: number | null,
): Promise<{ view: WebhookView; secret?: string }> {
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const { packageId } = await checkSettings(tx, projectId, settings);
    const assets = JSON.stringify(
      settings.assets.map((a) => ({ pattern: a.pattern, accessName: a.accessName })),
    );
    const { rows: existing } = await tx.query(
      "SELECT 1 FROM project_webhooks WHERE project_id = $1 FOR UPDATE",
      [projectId],
    );
    let secret: string | undefined;
    if (existing.length > 0) {
      await tx.query(
        `UPDATE project_webhooks SET package_id = $2, assets = $3::jsonb, push_access_name = $4, updated_at = $5
          WHERE project_id = $1`,
        [projectId, packageId, assets, settings.pushAccessName, now],
      );
    } else {
      secret = newWebhookSecret();
      const sealed = sealSecret(deps.masterKey, projectId, secret);
      await tx.query(
        `INSERT INTO project_webhooks (project_id, secret_sealed, secret_nonce, master_key_version, package_id, assets,
                                       push_access_name, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $8)`,
        [
          projectId,
          sealed.ciphertext,
          sealed.nonce,
          sealed.masterKeyVersion,
          packageId,
          assets,
          settings.pushAccessName,
          now,
        ],
      );
    }
    await audit(tx, now, actor, projectId, "webhook.set", {
      package: settings.package,
      assets: settings.assets.length,
      push: settings.pushAccessName !== null,
      newSecret: secret !== undefined,
    });
    const { rows } = await tx.query<WebhookRow>(
      `SELECT ${WEBHOOK_COLUMNS} FROM project_webhooks w JOIN packages p ON p.id = w.package_id WHERE w.project_id = $1`,
      [projectId],
    );
    return { view: toView(rows[0]!), ...(secret === undefined ? {} : { secret }) };
  });
}

function noWebhook(): ServerError {
  return new ServerError("NOT_FOUND", "Expected this project to have a GitHub webhook, found none", {
    field: "webhook",
  });
}

/** A new secret for the project's webhook, returned this once (NOT_FOUND without a webhook). */
export async function rotateWebhookSecret(
  deps: SecretDeps,
  projectId: number,
  actor: number | null,
): Promise<{ view: WebhookView; secret: string }> {
  const now = deps.clock.now();
  const secret = newWebhookSecret();
  const sealed = sealSecret(deps.masterKey, projectId, secret);
  return deps.db.transaction(async (tx) => {
    const { rowCount } = await tx.query(
      `UPDATE project_webhooks SET secret_sealed = $2, secret_nonce = $3, master_key_version = $4, updated_at = $5
        WHERE project_id = $1`,
      [projectId, sealed.ciphertext, sealed.nonce, sealed.masterKeyVersion, now],
    );
    if (rowCount === 0) throw noWebhook();
    await audit(tx, now, actor, projectId, "webhook.secret", {});
    const { rows } = await tx.query<WebhookRow>(
      `SELECT ${WEBHOOK_COLUMNS} FROM project_webhooks w JOIN packages p ON p.id = w.package_id WHERE w.project_id = $1`,
      [projectId],
    );
    return { view: toView(rows[0]!), secret };
  });
}

/** The project's webhook (NOT_FOUND without one). */
export async function getWebhook(db: Db, projectId: number): Promise<WebhookView> {
  const { rows } = await db.query<WebhookRow>(
    `SELECT ${WEBHOOK_COLUMNS} FROM project_webhooks w JOIN packages p ON p.id = w.package_id WHERE w.project_id = $1`,
    [projectId],
  );
  if (rows[0] === undefined) throw noWebhook();
  return toView(rows[0]);
}

/** Removes the project's webhook (NOT_FOUND without one); deliveries after it are 404. Audited. */
export async function deleteWebhook(
  deps: SecretDeps,
  projectId: number,
  actor: number | null,
): Promise<void> {
  await deps.db.transaction(async (tx) => {
    const { rowCount } = await tx.query("DELETE FROM project_webhooks WHERE project_id = $1", [projectId]);
    if (rowCount === 0) throw noWebhook();
    await audit(tx, deps.clock.now(), actor, projectId, "webhook.delete", {});
  });
}

/** The webhook of the project named `slug`, secret opened; undefined when the project or its webhook is missing. */
export async function webhookTarget(
  deps: Pick<AppDeps, "db" | "masterKey">,
  slug: string,
): Promise<WebhookTarget | undefined> {
  const { rows } = await deps.db.query<
    WebhookRow & {
      project_id: number;
      slug: string;
      secret_sealed: Uint8Array;
      secret_nonce: Uint8Array;
      master_key_version: number;
    }
  >(
    `SELECT ${WEBHOOK_COLUMNS}, w.project_id, j.slug, w.secret_sealed, w.secret_nonce, w.master_key_version
       FROM projects j JOIN project_webhooks w ON w.project_id = j.id JOIN packages p ON p.id = w.package_id
      WHERE j.slug = $1`,
    [slug],
  );
  const r = rows[0];
  if (r === undefined) return undefined;
  const opened = unseal(
    deps.masterKey,
    { ciphertext: r.secret_sealed, nonce: r.secret_nonce, masterKeyVersion: r.master_key_version },
    sealContext(r.project_id),
  );
  return {
    ...toView(r),
    projectId: r.project_id,
    project: r.slug,
    packageId: r.package_id,
    secret: Buffer.from(opened).toString("utf8"),
  };
}

// --- signatures ---------------------------------------------------------------------------------------

/** `sha256=` and the hex HMAC-SHA256 of `body` under `secret`, as GitHub sends it. */
export function signBody(secret: string, body: Uint8Array): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

const badSignature = (message: string) =>
  new ServerError("BAD_SIGNATURE", message, { field: "X-Hub-Signature-256" });

/**
 * Checks `X-Hub-Signature-256` over the raw body: `sha256=` and 64 hex digits, compared in constant time
 * (after a length check, which timingSafeEqual needs). Missing, malformed, another length, wrong, or only the
 * SHA-1 `X-Hub-Signature` → BAD_SIGNATURE.
 */
export function verifySignature(
  headers: Record<string, string | string[] | undefined>,
  body: Uint8Array,
  secret: string,
): void {
  const header = headers[SIGNATURE_HEADER];
  if (header === undefined)
    throw badSignature(
      headers["x-hub-signature"] === undefined
        ? "Expected an X-Hub-Signature-256 header (sha256=<hex HMAC of the body>), found none"
        : "Expected an X-Hub-Signature-256 header, found only X-Hub-Signature (SHA-1 signatures are not accepted)",
    );
  if (typeof header !== "string")
    throw badSignature("Expected one X-Hub-Signature-256 header, found several");
  const m = /^sha256=([0-9a-fA-F]*)$/.exec(header.trim());
  if (m === null || m[1]!.length % 2 !== 0)
    throw badSignature("Expected X-Hub-Signature-256 to be sha256= and hex digits, found another form");
  const given = Buffer.from(m[1]!, "hex");
  const expected = createHmac("sha256", secret).update(body).digest();
  if (given.length !== expected.length)
    throw badSignature(
      `Expected X-Hub-Signature-256 to carry ${expected.length} bytes (${expected.length * 2} hex digits), found ${given.length}`,
    );
  if (!timingSafeEqual(given, expected))
    throw badSignature(
      "Expected X-Hub-Signature-256 to match the body under this project's webhook secret, found another signature",
    );
}

// --- payloads ------------------------------------------------------------------------------------------

/** The regular expression of a glob pattern: `*` any run of characters, `?` one, everything else literal. */
export function compileGlob(pattern: string, field = "pattern"): RegExp {
  if (pattern.length === 0 || pattern.length > 200 || /[\p{Cc}/]/u.test(pattern))
    throw new ServerError(
      "INVALID_REQUEST",
      `Expected ${field} to be a glob of 1 to 200 characters without / or control characters, found ${JSON.stringify(pattern.slice(0, 80))}`,
      { field },
    );
  const body = [...pattern]
    .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(`^${body}$`, "su");
}

/** Whether the asset name `name` matches the glob `pattern`. */
export function globMatch(pattern: string, name: string): boolean {
  return compileGlob(pattern).test(name);
}

/** The version a tag names: the tag with a leading `v` (before a digit) stripped; checked as a release version. */
export function versionFromTag(tag: string): string {
  return checkReleaseVersion(/^[vV]\d/.test(tag) ? tag.slice(1) : tag, "tag");
}

const invalidPayload = (message: string, field: string) =>
  new ServerError("INVALID_REQUEST", `Expected ${message}`, { field });

/** `owner` and `repo` of a payload's repository. */
function repositoryOf(payload: Record<string, unknown>): { owner: string; repo: string } {
  const full = (payload.repository as { full_name?: unknown } | undefined)?.full_name;
  const m = typeof full === "string" ? /^([A-Za-z0-9_.-]{1,100})\/([A-Za-z0-9_.-]{1,100})$/.exec(full) : null;
  if (m === null) throw invalidPayload("repository.full_name to be owner/name", "repository.full_name");
  return { owner: m[1]!, repo: m[2]! };
}

/** A release asset as the payload gives it. */
export interface ReleaseAsset {
  id: number;
  name: string;
  size?: number;
  /** `sha256:<hex>`, when GitHub computed one. */
  digest?: string | null;
}

function assetsOf(release: Record<string, unknown>): ReleaseAsset[] {
  const assets = release.assets;
  if (!Array.isArray(assets)) throw invalidPayload("release.assets to be an array", "release.assets");
  return assets.map((a: unknown, i) => {
    const o = a as Partial<ReleaseAsset> | null;
    if (o === null || typeof o !== "object" || !Number.isSafeInteger(o.id) || typeof o.name !== "string")
      throw invalidPayload(`release.assets[${i}] to have an integer id and a name`, `release.assets[${i}]`);
    return o as ReleaseAsset;
  });
}

/** Which asset fills each mapping: exactly one per pattern. */
export function pickAssets(
  mappings: readonly AssetMapping[],
  assets: readonly ReleaseAsset[],
): { mapping: AssetMapping; asset: ReleaseAsset }[] {
  const picked: { mapping: AssetMapping; asset: ReleaseAsset }[] = [];
  const missing: AssetMapping[] = [];
  for (const mapping of mappings) {
    const glob = compileGlob(mapping.pattern);
    const hits = assets.filter((a) => glob.test(a.name));
    if (hits.length === 0) missing.push(mapping);
    else if (hits.length > 1)
      throw new ServerError(
        "INVALID_REQUEST",
        `Expected the webhook pattern ${mapping.pattern} (access name ${mapping.accessName}) to match one release asset, found ${hits.length}: ${hits.map((h) => h.name).join(", ")}`,
        { field: "assets", pattern: mapping.pattern, matches: hits.map((h) => h.name) },
      );
    else picked.push({ mapping, asset: hits[0]! });
  }
  if (missing.length > 0)
    throw new ServerError(
      "MISSING_SOURCE",
      `Expected a release asset for each webhook pattern, found none for ${missing.map((m) => `${m.pattern} (${m.accessName})`).join(", ")}; assets: ${assets.map((a) => a.name).join(", ") || "none"}`,
      { missing: missing.map((m) => m.accessName), patterns: missing.map((m) => m.pattern) },
    );
  return picked;
}

// --- downloads and stored files --------------------------------------------------------------------------

/** A path segment of a GitHub API URL. */
const seg = (s: string) => encodeURIComponent(s);

/** The API URL of a release asset's bytes. */
export function releaseAssetUrl(api: string, owner: string, repo: string, assetId: number): string {
  return `${api.replace(/\/+$/, "")}/repos/${seg(owner)}/${seg(repo)}/releases/assets/${assetId}`;
}

/** The API URL of a tag's source tarball. */
export function tarballUrl(api: string, owner: string, repo: string, tag: string): string {
  return `${api.replace(/\/+$/, "")}/repos/${seg(owner)}/${seg(repo)}/tarball/${tag.split("/").map(seg).join("/")}`;
}

/** Options of {@link downloadSource}. */
export interface DownloadOptions {
  /** Largest download in bytes. */
  limitBytes: number;
  timeoutMs: number;
  /** The SHA-256 the bytes must have (lowercase hex), when known. */
  sha256?: string;
  /** The size the bytes must have, when known. */
  size?: number;
}

/**
 * Downloads `url` (redirects followed, as GitHub answers asset and tarball requests with one to its storage)
 * into a temporary object of the blob store. A failing request, an error status or another size is
 * UNAVAILABLE; other bytes than `sha256` CHECKSUM_MISMATCH; more than the limit PAYLOAD_TOO_LARGE.
 */
export async function downloadSource(
  storage: Storage,
  url: string,
  o: DownloadOptions,
): Promise<StagedUpload> {
  const signal = AbortSignal.timeout(o.timeoutMs);
  let staged: StagedUpload;
  try {
    const response = await fetch(url, {
      redirect: "follow",
      signal,
      headers: {
        accept: "application/octet-stream",
        "user-agent": "packyard-webhook",
        "x-github-api-version": "2022-11-28",
      },
    });
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      throw new ServerError(
        "UNAVAILABLE",
        `Expected GitHub to serve ${url}, found HTTP ${response.status} ${response.statusText}`,
        { url, status: response.status },
      );
    }
    // The web stream is async-iterable at run time; typed as one here because the DOM library's
    // ReadableStream type (preact's types bring it into the program) does not say so.
    const body = (response.body ?? (async function* () {})()) as unknown as AsyncIterable<Uint8Array>;
    staged = await stageUpload(storage, body, {
      limitBytes: o.limitBytes,
      ...(o.sha256 === undefined ? {} : { declaredSha256: o.sha256 }),
    });
  } catch (e) {
    if (isServerError(e)) throw e;
    throw new ServerError(
      "UNAVAILABLE",
      `Expected to download ${url} from GitHub within ${o.timeoutMs} ms, found: ${e instanceof Error ? e.message : String(e)}`,
      { url },
      { cause: e },
    );
  }
  if (o.size !== undefined && staged.size !== o.size) {
    await discard(storage, staged.tmpKey);
    throw new ServerError(
      "UNAVAILABLE",
      `Expected ${url} to be ${o.size} bytes as the release says, found ${staged.size}`,
      { url, expected: o.size, found: staged.size },
    );
  }
  return staged;
}

/** A downloaded file to store under an access name. */
export interface SourceFile {
  accessName: string;
  staged: StagedUpload;
  /** Where it came from (asset name or tag), for the audit row. */
  from: string;
}

// --- deliveries ------------------------------------------------------------------------------------------

/** A build as a delivery's answer names it. */
export interface HookBuild {
  id: number;
  version: string;
  state: string;
  targets: readonly string[];
}

/** What handling a delivery came to. */
export type DeliveryOutcome =
  | { kind: "duplicate" }
  | { kind: "pong" }
  | { kind: "ignored"; reason: string }
  | {
      kind: "built";
      build: HookBuild;
      files: { accessName: string; sha256: string; size: number; from: string }[];
    };

/** What {@link handleDelivery} needs. */
export interface DeliveryDeps {
  db: Db;
  storage: Storage;
  clock: Clock;
  /** The GitHub API base URL. */
  githubApiUrl: string;
  /** Largest download. */
  limitBytes: number;
  timeoutMs: number;
  /** Requests the build (REQ's createBuild with trigger `webhook`). */
  build(input: { projectId: number; packageName: string; version: string }): Promise<HookBuild>;
}

/** A delivery whose signature was checked. */
export interface Delivery {
  id: string;
  event: string;
  payload: Record<string, unknown>;
}

/** The version and files a delivery brings (release assets by pattern, or a tag's tarball), or why it builds nothing. */
async function plan(
  deps: DeliveryDeps,
  target: WebhookTarget,
  d: Delivery,
): Promise<
  | { ignored: string }
  | {
      version: string;
      downloads: { accessName: string; url: string; from: string; sha256?: string; size?: number }[];
    }
> {
  if (d.event === "release") {
    const action = d.payload.action;
    if (action !== "published") return { ignored: `release ${String(action)} (only published builds)` };
    const release = d.payload.release as Record<string, unknown> | undefined;
    if (release === undefined || typeof release !== "object" || typeof release.tag_name !== "string")
      throw invalidPayload("release.tag_name to be a string", "release.tag_name");
    const version = versionFromTag(release.tag_name);
    const { owner, repo } = repositoryOf(d.payload);
    const picked = pickAssets(target.assets, assetsOf(release));
    return {
      version,
      downloads: picked.map(({ mapping, asset }) => {
        const digest = typeof asset.digest === "string" ? /^sha256:([0-9a-f]{64})$/.exec(asset.digest) : null;
        return {
          accessName: mapping.accessName,
          url: releaseAssetUrl(deps.githubApiUrl, owner, repo, asset.id),
          from: asset.name,
          ...(digest === null ? {} : { sha256: digest[1]! }),
          ...(Number.isSafeInteger(asset.size) ? { size: asset.size! } : {}),
        };
      }),
    };
  }
  if (d.event === "push") {
    const ref = d.payload.ref;
    if (typeof ref !== "string") throw invalidPayload("ref to be a string", "ref");
    if (!ref.startsWith("refs/tags/")) return { ignored: `push to ${ref} (only tags build)` };
    if (d.payload.deleted === true) return { ignored: `push deleting ${ref}` };
    if (target.pushAccessName === null) return { ignored: "push of a tag (tag pushes are not enabled)" };
    const tag = ref.slice("refs/tags/".length);
    const version = versionFromTag(tag);
    const { owner, repo } = repositoryOf(d.payload);
    return {
      version,
      downloads: [
        {
          accessName: target.pushAccessName,
          url: tarballUrl(deps.githubApiUrl, owner, repo, tag),
          from: `tag ${tag}`,
        },
      ],
    };
  }
  return { ignored: d.event };
}

/**
 * Handles a delivery whose signature {@link verifySignature} accepted: records its id (a delivery seen
 * before → duplicate, nothing done), answers `ping`, ignores what does not build, else downloads the
 * files, stores them and requests the build. When that fails, the delivery's record is removed again so
 * that GitHub's redelivery retries it.
 */
export async function handleDelivery(
  deps: DeliveryDeps,
  target: WebhookTarget,
  d: Delivery,
): Promise<DeliveryOutcome> {
  const { rows } = await deps.db.query(
    `INSERT INTO webhook_deliveries (project_id, delivery_id, event, received_at) VALUES ($1, $2, $3, $4)
     ON CONFLICT (project_id, delivery_id) DO NOTHING RETURNING delivery_id`,
    [target.projectId, d.id, d.event, deps.clock.now()],
  );
  if (rows.length === 0) return { kind: "duplicate" };
  if (d.event === "ping") return { kind: "pong" };
  try {
    const p = await plan(deps, target, d);
    if ("ignored" in p) return { kind: "ignored", reason: p.ignored };
    const files: SourceFile[] = [];
    try {
      for (const dl of p.downloads) {
        const staged = await downloadSource(deps.storage, dl.url, {
          limitBytes: deps.limitBytes,
          timeoutMs: deps.timeoutMs,
          ...(dl.sha256 === undefined ? {} : { sha256: dl.sha256 }),
          ...(dl.size === undefined ? {} : { size: dl.size }),
        });
        files.push({ accessName: dl.accessName, staged, from: dl.from });
      }
      // One transaction for all (a build never sees half of a release); uploaded by no user; audited.
      if (files.length > 0)
        await storeSourceFiles(deps, { id: target.packageId, name: target.package }, files, {
          uploadedBy: null,
          audit: (tx, now) =>
            audit(tx, now, null, target.projectId, "webhook.files", {
              delivery: d.id,
              event: d.event,
              package: target.package,
              files: files.map((f) => ({ accessName: f.accessName, sha256: f.staged.sha256, from: f.from })),
            }),
        });
    } finally {
      for (const f of files) await discard(deps.storage, f.staged.tmpKey);
    }
    const build = await deps.build({
      projectId: target.projectId,
      packageName: target.package,
      version: p.version,
    });
    await deps.db.query(
      "UPDATE webhook_deliveries SET build_id = $3 WHERE project_id = $1 AND delivery_id = $2",
      [target.projectId, d.id, build.id],
    );
    return {
      kind: "built",
      build,
      files: files.map((f) => ({
        accessName: f.accessName,
        sha256: f.staged.sha256,
        size: f.staged.size,
        from: f.from,
      })),
    };
  } catch (e) {
    await deps.db
      .query(
        "DELETE FROM webhook_deliveries WHERE project_id = $1 AND delivery_id = $2 AND build_id IS NULL",
        [target.projectId, d.id],
      )
      .catch(() => undefined);
    throw e;
  }
}
