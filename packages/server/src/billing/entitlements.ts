/**
 * Entitlements: what a billing account may still do under its plan, checked by the service functions that
 * write (projects/service.ts createProject, builds/requests.ts createBuild, the upload routes through
 * uploads/blob-store.ts commitBlobs, repos/publish.ts publishRepository), so the API, the pages, the CLI and
 * webhooks share one rule.
 *
 * - Billing account: the user who created a project (`projects.billing_user_id`, written by createProject;
 *   0005_billing.sql filled it from the first owner for older projects). Where it is NULL (that user was
 *   deleted) the project's first owner is the account ({@link ACCOUNT_OF_PROJECT}). A project's writes are
 *   checked against its account, not the caller's; creating a project is checked against the caller's.
 * - Subscription: one row per account (`subscriptions`); no row reads as the plans file's default plan,
 *   active. The period is the provider's current period while now() is inside it, else the calendar month
 *   (UTC) on the database clock, so it rolls over without any job.
 * - Limits (plans.ts): `projects` counts the projects whose account it is; `builds_per_month` counts build
 *   requests in the period (`billing_usage`, incremented by the request's own transaction: a refused or
 *   failed request counts nothing); `storage_bytes` is the sum of the sizes of the distinct blobs the
 *   account's projects reference (source files, artifacts, build jobs' uploaded packages), computed from the
 *   rows at each check, so deletions count at once and no periodic recount is needed; `targets` is the
 *   number of targets of one build request.
 * - Over a limit: 402 PLAN_LIMIT_REACHED, `details { limit, allowed, used, plan }` (`used` before the
 *   request; `requested` what the request adds). Subscription past_due or canceled: 403
 *   SUBSCRIPTION_INACTIVE naming the status, for every write; reads, the hosted repositories under /r/ and
 *   the install pages are never checked.
 * - Concurrency: the check that counts runs in the writing transaction with the account's subscription row
 *   locked ({@link lockEntitlement}: the row is inserted first when absent, ON CONFLICT DO NOTHING, then
 *   `SELECT … FOR UPDATE`), so two requests of one account are checked one after the other and cannot pass a
 *   limit together; PGlite runs one transaction at a time, which gives the same. Cheaper checks before the
 *   transaction (before keys are generated, before an upload's body is read) only refuse early.
 *   Lock order: the subscription row is taken before the package row (createBuild) and after blob locks
 *   (uploads); nothing takes a blob lock while holding it.
 * - Without a plans file (`plans` undefined) nothing here runs: no row, no lock, no refusal.
 */
import type { AppConfig } from "../app/deps.ts";
import type { Queryable, Tx } from "../db/db.ts";
import { ServerError } from "../errors.ts";
import { type LimitName, type Plan, type Plans, planOf } from "./plans.ts";

/** A subscription's status. */
export type SubscriptionStatus = "active" | "past_due" | "canceled";

/** An account's plan, status and current period. */
export interface Entitlement {
  accountId: number;
  plan: Plan;
  status: SubscriptionStatus;
  periodStart: Date;
  periodEnd: Date;
}

/** The first owner of project `p` (an SQL expression over alias `p` of projects). */
const FIRST_OWNER = `(SELECT m.user_id FROM memberships m
  WHERE m.project_id = p.id AND m.role = 'owner' ORDER BY m.created_at, m.user_id LIMIT 1)`;

/**
 * The billing account of project `p` (an SQL expression over alias `p` of projects): its billing user, else
 * its first owner (COALESCE runs the subquery only for a row without a billing user).
 */
export const ACCOUNT_OF_PROJECT = `COALESCE(p.billing_user_id, ${FIRST_OWNER})`;

/**
 * The ids of the projects whose billing account is `$1` (an SQL query): the rows naming it in
 * `billing_user_id` (its index), and the few without a billing user (its user deleted, or a row written
 * without it) whose first owner it is.
 */
const PROJECTS_OF_ACCOUNT = `SELECT p.id FROM projects p WHERE p.billing_user_id = $1
  UNION ALL SELECT p.id FROM projects p WHERE p.billing_user_id IS NULL AND ${FIRST_OWNER} = $1`;

// The period: the provider's while now() is inside it, else the calendar month (UTC) of now().
const MONTH_START = "(date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')";
const IN_PROVIDER_PERIOD =
  "(s.period_start IS NOT NULL AND now() >= s.period_start AND now() < s.period_end)";
const PERIOD_COLUMNS = `CASE WHEN ${IN_PROVIDER_PERIOD} THEN s.period_start ELSE ${MONTH_START} END AS period_start,
  CASE WHEN ${IN_PROVIDER_PERIOD} THEN s.period_end ELSE ${MONTH_START} + interval '1 month' END AS period_end`;

interface EntitlementRow {
  plan_id: string | null;
  status: SubscriptionStatus;
  period_start: Date;
  period_end: Date;
}

/** The plans in force (`--plans`); undefined: every account is unlimited. */
export function plansFor(deps: { config?: AppConfig }): Plans | undefined {
  return deps.config?.plans;
}

/** The billing account of project `projectId`; undefined when it has none (no owner, no billing user). */
export async function accountOfProject(q: Queryable, projectId: number): Promise<number | undefined> {
  const { rows } = await q.query<{ account: number | null }>(
    `SELECT ${ACCOUNT_OF_PROJECT} AS account FROM projects p WHERE p.id = $1`,
    [projectId],
  );
  const account = rows[0]?.account;
  return account === null || account === undefined ? undefined : Number(account);
}

function toEntitlement(plans: Plans, accountId: number, row: EntitlementRow | undefined): Entitlement {
  return {
    accountId,
    plan: planOf(plans, row?.plan_id ?? null),
    status: row?.status ?? "active",
    periodStart: row!.period_start,
    periodEnd: row!.period_end,
  };
}

/** The account's entitlement as it stands, without a lock and without writing (an absent row reads as the default). */
export async function readEntitlement(q: Queryable, plans: Plans, accountId: number): Promise<Entitlement> {
  const { rows } = await q.query<EntitlementRow>(
    `SELECT s.plan_id, COALESCE(s.status, 'active') AS status, ${PERIOD_COLUMNS}
       FROM (SELECT 1) one LEFT JOIN subscriptions s ON s.user_id = $1`,
    [accountId],
  );
  return toEntitlement(plans, accountId, rows[0]);
}

/**
 * Locks the account's subscription row in `tx` (made first when absent: default plan, active) and returns
 * the entitlement read under the lock. The check made with it is the one that counts.
 */
export async function lockEntitlement(
  tx: Tx,
  plans: Plans,
  accountId: number,
  now: Date,
): Promise<Entitlement> {
  await tx.query(
    `INSERT INTO subscriptions (user_id, status, created_at, updated_at) VALUES ($1, 'active', $2, $2)
     ON CONFLICT (user_id) DO NOTHING`,
    [accountId, now],
  );
  const { rows } = await tx.query<EntitlementRow>(
    `SELECT s.plan_id, s.status, ${PERIOD_COLUMNS} FROM subscriptions s WHERE s.user_id = $1 FOR UPDATE`,
    [accountId],
  );
  return toEntitlement(plans, accountId, rows[0]);
}

/** 403 SUBSCRIPTION_INACTIVE unless the subscription is active. */
export function requireActive(e: Entitlement, what: string): void {
  if (e.status === "active") return;
  throw new ServerError(
    "SUBSCRIPTION_INACTIVE",
    `Expected an active subscription to ${what}, found it ${e.status === "past_due" ? "past_due (a payment failed)" : e.status}; hosted repositories and install pages keep serving, new writes wait until it is active again`,
    { status: e.status, plan: e.plan.id },
  );
}

/**
 * The 402 PLAN_LIMIT_REACHED error of limit `limit`; `freed` (storage only): what the request's replacement
 * would free, in the message and `details.freed` when not 0.
 */
export function limitReached(
  e: Entitlement,
  limit: LimitName,
  used: number,
  requested: number,
  freed = 0,
): ServerError {
  const allowed = e.plan.limits[limit]!;
  const unit: Record<LimitName, string> = {
    projects: "projects",
    builds_per_month: "builds this billing period",
    storage_bytes: "bytes of storage",
    targets: "targets in one build request",
  };
  return new ServerError(
    "PLAN_LIMIT_REACHED",
    `Expected at most ${allowed} ${unit[limit]} on plan ${e.plan.name} (${e.plan.id}), found ${used} used and ${requested} more requested${freed > 0 ? ` (replacing ${freed} bytes)` : ""} (limits.${limit}); a higher plan lifts it`,
    { limit, allowed, used, requested, plan: e.plan.id, ...(freed > 0 ? { freed } : {}) },
  );
}

/** Refuses `used + requested` over the plan's `limit` (null: unlimited). */
export function checkLimit(e: Entitlement, limit: LimitName, used: number, requested: number): void {
  const allowed = e.plan.limits[limit];
  if (allowed !== null && used + requested > allowed) throw limitReached(e, limit, used, requested);
}

/** Projects whose billing account is `accountId`. */
export async function projectsUsed(q: Queryable, accountId: number): Promise<number> {
  const { rows } = await q.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM (${PROJECTS_OF_ACCOUNT}) owned`,
    [accountId],
  );
  return Number(rows[0]?.n ?? 0);
}

/** Build requests of `accountId` counted in the period starting at `periodStart`. */
export async function buildsUsed(q: Queryable, accountId: number, periodStart: Date): Promise<number> {
  const { rows } = await q.query<{ builds: number }>(
    "SELECT builds FROM billing_usage WHERE user_id = $1 AND period_start = $2",
    [accountId, periodStart],
  );
  return Number(rows[0]?.builds ?? 0);
}

/** Bytes of the distinct blobs the projects of `accountId` reference (files, artifacts, jobs' uploads). */
export async function storageUsed(q: Queryable, accountId: number): Promise<number> {
  const { rows } = await q.query<{ bytes: string | number | null }>(
    `WITH owned AS (${PROJECTS_OF_ACCOUNT})
     SELECT COALESCE(sum(b.size), 0)::text AS bytes FROM blobs b WHERE b.sha256 IN (
       SELECT f.blob_sha256 FROM package_files f JOIN packages k ON k.id = f.package_id
        WHERE k.project_id IN (SELECT id FROM owned)
       UNION SELECT a.blob_sha256 FROM artifacts a WHERE a.project_id IN (SELECT id FROM owned)
       UNION SELECT j.upload_sha256 FROM jobs j
        WHERE j.project_id IN (SELECT id FROM owned) AND j.upload_sha256 IS NOT NULL)`,
    [accountId],
  );
  return Number(rows[0]?.bytes ?? 0);
}

// --- the checks each service function makes ---------------------------------------------------------------

/**
 * Project creation by `accountId`: active, and one more project within `projects`. Outside a transaction
 * (`tx` a Db) it is the early refusal; with `lock` (in the creating transaction) the one that counts.
 */
export async function checkProjectCreation(
  q: Queryable,
  plans: Plans | undefined,
  accountId: number,
  now: Date,
  lock: boolean,
): Promise<void> {
  if (plans === undefined) return;
  const e = lock
    ? await lockEntitlement(q, plans, accountId, now)
    : await readEntitlement(q, plans, accountId);
  requireActive(e, "create a project");
  if (e.plan.limits.projects !== null) checkLimit(e, "projects", await projectsUsed(q, accountId), 1);
}

/**
 * A build request of project `projectId`, first in the request's transaction (before the package row's
 * lock): the subscription locked and active, one more build within `builds_per_month`. Returns the
 * entitlement for {@link checkTargets} and {@link countBuild}; undefined when nothing is checked (no plans,
 * a project without an account).
 */
export async function checkBuildRequest(
  tx: Tx,
  plans: Plans | undefined,
  projectId: number,
  now: Date,
): Promise<Entitlement | undefined> {
  if (plans === undefined) return undefined;
  const account = await accountOfProject(tx, projectId);
  if (account === undefined) return undefined;
  const e = await lockEntitlement(tx, plans, account, now);
  requireActive(e, "request a build");
  if (e.plan.limits.builds_per_month !== null)
    checkLimit(e, "builds_per_month", await buildsUsed(tx, account, e.periodStart), 1);
  return e;
}

/** A build request's `targets` (its number of targets) within the plan. */
export function checkTargets(e: Entitlement | undefined, targets: number): void {
  if (e !== undefined) checkLimit(e, "targets", 0, targets);
}

/** Counts one build request in the account's current period (same transaction as the check). */
export async function countBuild(tx: Tx, e: Entitlement | undefined): Promise<void> {
  if (e === undefined) return;
  await tx.query(
    `INSERT INTO billing_usage (user_id, period_start, builds) VALUES ($1, $2, 1)
     ON CONFLICT (user_id, period_start) DO UPDATE SET builds = billing_usage.builds + 1`,
    [e.accountId, e.periodStart],
  );
}

/** Any other write to project `projectId` (config upload, release, publish): the subscription is active. */
export async function checkProjectWrite(
  q: Queryable,
  plans: Plans | undefined,
  projectId: number,
  what: string,
): Promise<void> {
  if (plans === undefined) return;
  const account = await accountOfProject(q, projectId);
  if (account === undefined) return;
  requireActive(await readEntitlement(q, plans, account), what);
}

/** How much an upload to a project may still add, before its body is read. */
export interface UploadAllowance {
  /** Bytes that fit under `storage_bytes` now (unlocked reading), the replaced file's freed bytes included. */
  remaining: number;
  /** The error of an upload found to be `size` bytes (over {@link remaining}). */
  refuse(size: number): ServerError;
}

/** The file an upload replaces: its package and access name. */
export interface ReplacedFile {
  packageId: number;
  accessName: string;
}

/**
 * Bytes an upload under `file` frees in `accountId`'s storage: the size of the blob the access name holds
 * now when no other row of the account's projects references it (0 when the name is new or the blob stays
 * referenced).
 */
export async function storageFreed(q: Queryable, accountId: number, file: ReplacedFile): Promise<number> {
  const { rows } = await q.query<{ size: string | number }>(
    `WITH owned AS (${PROJECTS_OF_ACCOUNT})
     SELECT b.size::text AS size FROM package_files f JOIN blobs b ON b.sha256 = f.blob_sha256
      WHERE f.package_id = $2 AND f.access_name = $3
        AND NOT EXISTS (SELECT 1 FROM package_files o JOIN packages k ON k.id = o.package_id
                         WHERE o.blob_sha256 = f.blob_sha256 AND k.project_id IN (SELECT id FROM owned)
                           AND NOT (o.package_id = f.package_id AND o.access_name = f.access_name))
        AND NOT EXISTS (SELECT 1 FROM artifacts a
                         WHERE a.blob_sha256 = f.blob_sha256 AND a.project_id IN (SELECT id FROM owned))
        AND NOT EXISTS (SELECT 1 FROM jobs j
                         WHERE j.upload_sha256 = f.blob_sha256 AND j.project_id IN (SELECT id FROM owned))`,
    [accountId, file.packageId, file.accessName],
  );
  return Number(rows[0]?.size ?? 0);
}

/**
 * Before an upload's body is read: active, and a `contentLength` that fits under `storage_bytes` (a body
 * that cannot fit is refused without reading it). An upload that `replaces` a file counts the bytes that
 * file frees ({@link storageFreed}) as available, so a replacement that frees as much as it adds passes, as
 * it does under the lock ({@link storageGuard}, which decides). Returns the allowance for the stream
 * (undefined: unlimited), which cuts a body without Content-Length once it is over.
 */
export async function uploadAllowance(
  q: Queryable,
  plans: Plans | undefined,
  projectId: number,
  contentLength: number | undefined,
  replaces?: ReplacedFile,
): Promise<UploadAllowance | undefined> {
  if (plans === undefined) return undefined;
  const account = await accountOfProject(q, projectId);
  if (account === undefined) return undefined;
  const e = await readEntitlement(q, plans, account);
  requireActive(e, "upload");
  const allowed = e.plan.limits.storage_bytes;
  if (allowed === null) return undefined;
  const used = await storageUsed(q, account);
  const freed = replaces === undefined ? 0 : await storageFreed(q, account, replaces);
  const refuse = (size: number) => limitReached(e, "storage_bytes", used, size, freed);
  if (contentLength !== undefined && used - freed + contentLength > allowed) throw refuse(contentLength);
  return { remaining: Math.max(0, allowed - used + freed), refuse };
}

/** Runs inside an upload's commit transaction, around the rows it writes (uploads/blob-store.ts commitBlobs). */
export interface WriteGuard {
  /** Before the referencing rows are written (after the blob locks). */
  before(tx: Tx): Promise<void>;
  /** After they are written, still in the transaction: throwing rolls everything back. */
  after(tx: Tx): Promise<void>;
}

/**
 * The storage check of an upload to project `projectId`, the one that counts: {@link WriteGuard.before}
 * locks the account's subscription (active required) and measures the storage, {@link WriteGuard.after}
 * measures it again with the new rows and refuses a result over `storage_bytes` that grew (a replacement
 * that frees as much as it adds is never refused). Undefined without plans.
 */
export function storageGuard(plans: Plans | undefined, projectId: number, now: Date): WriteGuard | undefined {
  if (plans === undefined) return undefined;
  let e: Entitlement | undefined;
  let before = 0;
  return {
    async before(tx) {
      const account = await accountOfProject(tx, projectId);
      if (account === undefined) return;
      e = await lockEntitlement(tx, plans, account, now);
      requireActive(e, "upload");
      if (e.plan.limits.storage_bytes !== null) before = await storageUsed(tx, account);
    },
    async after(tx) {
      if (e === undefined || e.plan.limits.storage_bytes === null) return;
      const after = await storageUsed(tx, e.accountId);
      if (after > before) checkLimit(e, "storage_bytes", before, after - before);
    },
  };
}
