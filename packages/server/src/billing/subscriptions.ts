/**
 * Applying billing events to subscriptions (the webhook's work after the provider checked the signature).
 *
 * One transaction per event:
 * 1. The event's row in `billing_events` (provider + event id, unique): present already → `duplicate`,
 *    nothing changes (a replay, even freshly signed, is applied once).
 * 2. The account: for subscription events the user whose slug is the subscription's `metadata.packyard_user`,
 *    else the account already holding that provider subscription (or, failing that, customer); for a
 *    failed payment the account holding the invoice's subscription, else its customer, else the metadata.
 *    None → `ignored` (recorded; the provider gets 200 and stops retrying).
 * 3. The account's subscription row locked (made when absent). An event `created` before the row's
 *    `last_event_at` → `stale`, nothing changes: events arrive out of order and must not roll a newer state
 *    back. An event of a subscription other than the row's current one applies only when it makes the
 *    account active (a new subscription replaces an ended one); otherwise it is `ignored` (a late
 *    `deleted` of an old subscription does not cancel the new one).
 * 4. Subscription events set plan (from the first price id the plans file lists; an unknown price is 400
 *    INVALID_REQUEST and rolls back, so the provider retries once the plans file lists it), status, period
 *    and provider ids; `deleted` sets canceled and keeps the plan. `invoice.payment_failed` sets past_due.
 *    `last_event_at` becomes the event's `created`.
 * Other event types are recorded `ignored`.
 */
import type { Clock } from "../app/deps.ts";
import type { Db, Tx } from "../db/db.ts";
import { ServerError } from "../errors.ts";
import type { SubscriptionStatus } from "./entitlements.ts";
import type { Plans } from "./plans.ts";
import type { BillingEvent } from "./stripe.ts";

/** What applying an event did. */
export interface EventOutcome {
  outcome: "applied" | "stale" | "ignored" | "duplicate";
  reason?: string;
  /** The account's user slug, when one was found. */
  account?: string;
  /** Plan id and status after the event (applied only). */
  plan?: string;
  status?: SubscriptionStatus;
}

interface SubscriptionRow {
  plan_id: string | null;
  status: SubscriptionStatus;
  provider_subscription_id: string | null;
  last_event_at: Date | null;
}

async function accountBySlug(tx: Tx, slug: string | undefined): Promise<number | undefined> {
  if (slug === undefined) return undefined;
  const { rows } = await tx.query<{ id: number }>("SELECT id FROM users WHERE slug = $1", [slug]);
  return rows[0] === undefined ? undefined : Number(rows[0].id);
}

async function accountBy(
  tx: Tx,
  provider: string,
  column: "provider_subscription_id" | "provider_customer_id",
  value: string | null,
): Promise<number | undefined> {
  if (value === null) return undefined;
  const { rows } = await tx.query<{ user_id: number }>(
    `SELECT user_id FROM subscriptions WHERE provider = $1 AND ${column} = $2 ORDER BY updated_at DESC LIMIT 1`,
    [provider, value],
  );
  return rows[0] === undefined ? undefined : Number(rows[0].user_id);
}

/**
 * Applies a verified event of `provider` (see the module comment). `plans` undefined: subscription events
 * are recorded `ignored` (no plans file, nothing to map prices to).
 *
 * @example const r = await applyBillingEvent({ db, clock }, plans, "stripe", stripeProvider.parse(body));
 */
export async function applyBillingEvent(
  deps: { db: Db; clock: Clock },
  plans: Plans | undefined,
  provider: string,
  event: BillingEvent,
): Promise<EventOutcome> {
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const { rows: fresh } = await tx.query(
      `INSERT INTO billing_events (provider, event_id, type, created, outcome, received_at)
       VALUES ($1, $2, $3, $4, 'ignored', $5) ON CONFLICT (provider, event_id) DO NOTHING RETURNING 1`,
      [provider, event.id, event.type, event.created, now],
    );
    if (fresh.length === 0) return { outcome: "duplicate" };
    const result = await decide(tx, plans, provider, event, now);
    await tx.query(
      `UPDATE billing_events SET outcome = $3, reason = $4,
              user_id = (SELECT id FROM users WHERE slug = $5)
        WHERE provider = $1 AND event_id = $2`,
      [provider, event.id, result.outcome, result.reason ?? null, result.account ?? null],
    );
    return result;
  });
}

async function decide(
  tx: Tx,
  plans: Plans | undefined,
  provider: string,
  event: BillingEvent,
  now: Date,
): Promise<EventOutcome> {
  const sub = event.subscription;
  const failed = event.paymentFailed;
  if (sub === undefined && failed === undefined)
    return { outcome: "ignored", reason: `event type ${event.type} is not one packyard reads` };
  if (plans === undefined)
    return { outcome: "ignored", reason: "the server runs without a plans file (--plans)" };

  const subscriptionId = sub?.id ?? failed?.subscriptionId ?? null;
  const customer = sub?.customer ?? failed?.customer ?? null;
  const slug = sub?.accountSlug ?? failed?.accountSlug;
  const accountId =
    sub !== undefined
      ? ((await accountBySlug(tx, slug)) ??
        (await accountBy(tx, provider, "provider_subscription_id", subscriptionId)) ??
        (await accountBy(tx, provider, "provider_customer_id", customer)))
      : ((await accountBy(tx, provider, "provider_subscription_id", subscriptionId)) ??
        (await accountBy(tx, provider, "provider_customer_id", customer)) ??
        (await accountBySlug(tx, slug)));
  if (accountId === undefined)
    return {
      outcome: "ignored",
      reason:
        "no packyard account for this subscription: set metadata.packyard_user to the user's name on the subscription",
    };
  const { rows: users } = await tx.query<{ slug: string }>("SELECT slug FROM users WHERE id = $1", [
    accountId,
  ]);
  const account = users[0]!.slug;

  await tx.query(
    `INSERT INTO subscriptions (user_id, status, created_at, updated_at) VALUES ($1, 'active', $2, $2)
     ON CONFLICT (user_id) DO NOTHING`,
    [accountId, now],
  );
  const { rows } = await tx.query<SubscriptionRow>(
    `SELECT plan_id, status, provider_subscription_id, last_event_at FROM subscriptions WHERE user_id = $1
       FOR UPDATE`,
    [accountId],
  );
  const row = rows[0]!;
  if (row.last_event_at !== null && event.created.getTime() < row.last_event_at.getTime())
    return {
      outcome: "stale",
      account,
      reason: `event created ${event.created.toISOString()}, before the last applied one (${row.last_event_at.toISOString()})`,
    };

  let planId = row.plan_id;
  let status: SubscriptionStatus;
  if (sub !== undefined) {
    status = sub.status;
    if (sub.status !== "canceled") {
      const price = sub.priceIds.find((p) => plans.byPrice.has(p));
      if (price === undefined)
        throw new ServerError(
          "INVALID_REQUEST",
          `Expected the subscription's price (${sub.priceIds.join(", ") || "none"}) to be listed under a plan's prices in ${plans.file}, found none; add it there and the provider's retry applies the event`,
          { field: "price", prices: sub.priceIds },
        );
      planId = plans.byPrice.get(price)!.id;
    }
  } else status = "past_due";

  const current = row.provider_subscription_id;
  if (current !== null && subscriptionId !== null && current !== subscriptionId && status !== "active")
    return {
      outcome: "ignored",
      account,
      reason: `subscription ${subscriptionId} is not the account's current one (${current})`,
    };

  await tx.query(
    `UPDATE subscriptions
        SET plan_id = $2, status = $3, provider = $4,
            provider_subscription_id = COALESCE($5, provider_subscription_id),
            provider_customer_id = COALESCE($6, provider_customer_id),
            period_start = CASE WHEN $7::timestamptz IS NULL THEN period_start ELSE $7 END,
            period_end = CASE WHEN $7::timestamptz IS NULL THEN period_end ELSE $8 END,
            last_event_at = $9, updated_at = $10
      WHERE user_id = $1`,
    [
      accountId,
      planId,
      status,
      provider,
      subscriptionId,
      customer,
      sub?.periodStart ?? null,
      sub?.periodEnd ?? null,
      event.created,
      now,
    ],
  );
  return { outcome: "applied", account, plan: planId ?? plans.defaultPlan.id, status };
}
