/**
 * An account's usage against its plan (`GET /api/v1/usage` and the web interface's plan page): plan, status,
 * limits, what is used (projects, build requests this period, storage bytes) and the current period, all
 * read from the rows as they stand (billing/entitlements.ts says how each is counted). Without a plans file
 * the plan is {@link UNLIMITED_PLAN}, active, and the period the calendar month (UTC) on the database clock.
 */
import type { Db } from "../db/db.ts";
import {
  buildsUsed,
  type Entitlement,
  projectsUsed,
  readEntitlement,
  type SubscriptionStatus,
  storageUsed,
} from "./entitlements.ts";
import { type PlanLimits, type Plans, parsePlans, UNLIMITED_PLAN } from "./plans.ts";

/** What `GET /api/v1/usage` answers. */
export interface UsageView {
  plan: { id: string; name: string };
  status: SubscriptionStatus;
  limits: PlanLimits;
  used: { projects: number; builds_per_month: number; storage_bytes: number };
  period: { start: Date; end: Date };
}

/** Plans with only the unlimited plan, for reading usage on a server without a plans file. */
const UNLIMITED_PLANS: Plans = parsePlans(
  JSON.stringify({ plans: [{ ...UNLIMITED_PLAN, prices: [] }] }),
  "(no plans file)",
);

/** The entitlement of `accountId` as it stands (no lock, nothing written). */
export async function entitlementOf(
  db: Db,
  plans: Plans | undefined,
  accountId: number,
): Promise<Entitlement> {
  return readEntitlement(db, plans ?? UNLIMITED_PLANS, accountId);
}

/**
 * Usage of billing account `accountId` (a user id).
 *
 * @example const usage = await usageOf(db, config.plans, principal.userId);
 */
export async function usageOf(db: Db, plans: Plans | undefined, accountId: number): Promise<UsageView> {
  const e = await entitlementOf(db, plans, accountId);
  return {
    plan: { id: e.plan.id, name: e.plan.name },
    status: e.status,
    limits: { ...e.plan.limits },
    used: {
      projects: await projectsUsed(db, accountId),
      builds_per_month: await buildsUsed(db, accountId, e.periodStart),
      storage_bytes: await storageUsed(db, accountId),
    },
    period: { start: e.periodStart, end: e.periodEnd },
  };
}
