/**
 * Applying billing events to subscriptions (the webhook's work after the provider checked the signature).
 *
 * One transaction per event:
 * 1. The event's row in `billing_events` (provider + event id, unique): present already → `duplicate`,
 *    nothing changes (a replay, even freshly signed, is applied once).
 * 2. The account: the one already holding the event's provider subscription id (the stored binding wins);
 *    for a subscription the server has never seen, the user whose slug is the subscription's
 *    `metadata.packyard_user`, else the account holding its customer; for a failed payment the invoice's
 *    subscription's account, else its customer's, else the metadata's. Metadata naming another existing
 *    user than the account a subscription is bound to → `ignored` (reason: bound to another account; 200,
 *    never an error the provider would retry for days). None → `ignored` (recorded; the provider gets 200
 *    and stops retrying).
 * 3. The account's subscription row locked (made when absent). An event of a subscription other than the
 *    row's current one never makes an active account inactive and never replaces an active subscription:
 *    it is `ignored` with the reason, unless the current one is not active and the event makes the account
 *    active (a re-subscription after a cancel replaces the ended one). An event `created` before the row's
 *    `last_event_at` → `stale`, nothing changes: events arrive out of order and must not roll a newer state
 *    back. At equal seconds (Stripe's `created` is whole seconds) the tie rule: an event that ends the
 *    subscription (`deleted`, or a status read as canceled) applies; once one ended it, nothing else of that
 *    second applies; `customer.subscription.created` never overrides; any other event applies, in arrival
 *    order.
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
  // The stored binding first: metadata binds only a subscription the server has never seen.
  const bound = await accountBy(tx, provider, "provider_subscription_id", subscriptionId);
  if (bound !== undefined && slug !== undefined) {
    const named = await accountBySlug(tx, slug);
    if (named !== undefined && named !== bound) {
      const account = await slugOf(tx, bound);
      return {
        outcome: "ignored",
        account,
        reason: `subscription ${subscriptionId} is bound to account ${account}, its metadata.packyard_user names ${slug}: the stored binding wins (correct the metadata, or cancel it and subscribe again as ${slug})`,
      };
    }
  }
  const accountId =
    bound ??
    (sub !== undefined
      ? ((await accountBySlug(tx, slug)) ?? (await accountBy(tx, provider, "provider_customer_id", customer)))
      : ((await accountBy(tx, provider, "provider_customer_id", customer)) ??
        (await accountBySlug(tx, slug))));
  if (accountId === undefined)
    return {
      outcome: "ignored",
      reason:
        "no packyard account for this subscription: set metadata.packyard_user to the user's name on the subscription",
    };
  const account = await slugOf(tx, accountId);

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

  const status: SubscriptionStatus = sub?.status ?? "past_due";

  // Another subscription than the account's current one replaces it only when the current one is not
  // active and the event makes the account active (a re-subscription after a cancel); it never ends or
  // suspends the current one.
  const current = row.provider_subscription_id;
  if (
    current !== null &&
    subscriptionId !== null &&
    current !== subscriptionId &&
    (row.status === "active" || status !== "active")
  )
    return {
      outcome: "ignored",
      account,
      reason: `subscription ${subscriptionId} is not the account's current subscription (${current}, ${row.status})${row.status === "active" ? ", which is active" : ""}: it changes nothing`,
    };

  const stale = staleness(event, status, row);
  if (stale !== undefined) return { outcome: "stale", account, reason: stale };

  // Subscription events set the plan from their price (deleted keeps it); a failed payment keeps it.
  let planId = row.plan_id;
  if (sub !== undefined && sub.status !== "canceled") {
    const price = sub.priceIds.find((p) => plans.byPrice.has(p));
    if (price === undefined)
      throw new ServerError(
        "INVALID_REQUEST",
        `Expected the subscription's price (${sub.priceIds.join(", ") || "none"}) to be listed under a plan's prices in ${plans.file}, found none; add it there and the provider's retry applies the event`,
        { field: "price", prices: sub.priceIds },
      );
    planId = plans.byPrice.get(price)!.id;
  }

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

async function slugOf(tx: Tx, userId: number): Promise<string> {
  const { rows } = await tx.query<{ slug: string }>("SELECT slug FROM users WHERE id = $1", [userId]);
  return rows[0]!.slug;
}

/**
 * Why the event is stale against the row's last applied event, or undefined when it applies. Older → stale.
 * Equal seconds (the provider's `created` has no finer grain), the tie rule: an event that ends the
 * subscription (`deleted`, or a status read as canceled) applies; after one that ended it nothing else of
 * the same second applies; a `customer.subscription.created` never overrides; any other event applies, in
 * arrival order.
 */
function staleness(
  event: BillingEvent,
  status: SubscriptionStatus,
  row: SubscriptionRow,
): string | undefined {
  if (row.last_event_at === null) return undefined;
  const at = event.created.getTime();
  const last = row.last_event_at.getTime();
  const when = `event created ${event.created.toISOString()}`;
  if (at < last) return `${when}, before the last applied one (${row.last_event_at.toISOString()})`;
  if (at > last || status === "canceled") return undefined;
  if (row.status === "canceled")
    return `${when}, the same second as the last applied one, which ended the subscription (an end wins a tie)`;
  if (event.type === "customer.subscription.created")
    return `${when}, the same second as the last applied one: a creation never overrides a change of its second`;
  return undefined;
}
