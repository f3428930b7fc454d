/**
 * Stripe's webhook format, behind {@link BillingProvider} (the only file that knows it; no SDK).
 *
 * Signature (`Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>…]`): HMAC-SHA256 with the endpoint's
 * signing secret over `"<t>.<raw body>"`, lowercase hex. Several `v1` appear while Stripe rolls a secret,
 * and the server may hold several secrets while the operator rotates: any secret matching any `v1` passes
 * (compared in constant time). `t` must be within {@link TOLERANCE_SECONDS} of the server's clock either way
 * (a captured delivery cannot be replayed later). Other schemes (`v0`, test-mode extras) are ignored. A
 * missing or malformed header is 400 INVALID_REQUEST; a stale timestamp or no matching signature is 401
 * BAD_SIGNATURE.
 *
 * Events read (`{ id, type, created, data: { object } }`):
 * - `customer.subscription.created|updated|deleted`: the subscription object — `id`, `customer`, `status`,
 *   `items.data[].price.id`, the current period (`current_period_start/end` on the subscription, or on its
 *   items in newer API versions) and `metadata.packyard_user` (the packyard user slug the subscription
 *   pays for; set it when creating the Checkout Session or subscription). `deleted` is canceled.
 * - `invoice.payment_failed`: the invoice's subscription (`subscription`, or
 *   `parent.subscription_details.subscription` in newer API versions), `customer`, and its subscription's
 *   metadata when Stripe copies it there.
 * Stripe statuses map to packyard's: active, trialing → active; past_due, unpaid, incomplete, paused →
 * past_due; canceled, incomplete_expired → canceled.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { ServerError } from "../errors.ts";
import type { SubscriptionStatus } from "./entitlements.ts";

/** How far a signature's timestamp may be from the server's clock, either way. */
export const TOLERANCE_SECONDS = 300;

/** The header Stripe signs deliveries in. */
export const STRIPE_SIGNATURE_HEADER = "stripe-signature";

/** A subscription as an event describes it. */
export interface SubscriptionFacts {
  id: string;
  customer: string | null;
  status: SubscriptionStatus;
  priceIds: string[];
  periodStart?: Date;
  periodEnd?: Date;
  /** The packyard user slug the subscription pays for (metadata). */
  accountSlug?: string;
}

/** A provider's event, as packyard reads it. */
export interface BillingEvent {
  id: string;
  type: string;
  /** When the provider created the event: an event older than the last applied one changes nothing. */
  created: Date;
  /** A subscription was created, changed or ended. */
  subscription?: SubscriptionFacts;
  /** A payment of the subscription failed (→ past_due). */
  paymentFailed?: { subscriptionId: string | null; customer: string | null; accountSlug?: string };
}

/** What a billing provider's webhook format needs: its signature check and its event reader. */
export interface BillingProvider {
  /** The provider's name, stored with subscriptions and events (`stripe`). */
  readonly name: string;
  /** Throws 400 INVALID_REQUEST (header missing or malformed) or 401 BAD_SIGNATURE; returns when it is good. */
  verify(
    headers: Record<string, string | string[] | undefined>,
    body: Uint8Array,
    secrets: readonly string[],
    now: Date,
  ): void;
  /** Reads a verified body (400 INVALID_REQUEST when it is not an event). */
  parse(body: Uint8Array): BillingEvent;
}

const invalid = (message: string, field = "Stripe-Signature") =>
  new ServerError("INVALID_REQUEST", message, { field });
const bad = (message: string) => new ServerError("BAD_SIGNATURE", message, { field: "Stripe-Signature" });

/** Parses a `Stripe-Signature` header: its timestamp and `v1` signatures. */
export function parseSignatureHeader(header: string | string[] | undefined): { t: number; v1: Buffer[] } {
  if (header === undefined)
    throw invalid("Expected a Stripe-Signature header (t=<unix time>,v1=<hex HMAC-SHA256>), found none");
  if (typeof header !== "string") throw invalid("Expected one Stripe-Signature header, found several");
  let t: number | undefined;
  const v1: Buffer[] = [];
  for (const part of header.split(",")) {
    const eq = part.indexOf("=");
    const key = eq < 0 ? part.trim() : part.slice(0, eq).trim();
    const value = eq < 0 ? "" : part.slice(eq + 1).trim();
    if (key === "t") {
      if (t !== undefined || !/^\d{1,12}$/.test(value))
        throw invalid("Expected Stripe-Signature to hold one t=<unix seconds>, found another form");
      t = Number(value);
    } else if (key === "v1") {
      if (!/^[0-9a-fA-F]{64}$/.test(value))
        throw invalid("Expected each v1= of Stripe-Signature to be 64 hex digits, found another form");
      v1.push(Buffer.from(value, "hex"));
    }
  }
  if (t === undefined || v1.length === 0)
    throw invalid(
      "Expected Stripe-Signature to hold t=<unix seconds> and at least one v1=<hex>, found another form",
    );
  return { t, v1 };
}

/** The `v1` signature of `body` signed at `t` with `secret` (lowercase hex), as Stripe computes it. */
export function stripeSignature(secret: string, t: number, body: Uint8Array): string {
  return createHmac("sha256", secret).update(`${t}.`).update(body).digest("hex");
}

const isMap = (x: unknown): x is Record<string, unknown> =>
  typeof x === "object" && x !== null && !Array.isArray(x);
const str = (x: unknown): string | undefined => (typeof x === "string" && x !== "" ? x : undefined);
const time = (x: unknown): Date | undefined =>
  typeof x === "number" && Number.isSafeInteger(x) && x > 0 ? new Date(x * 1000) : undefined;
/** A customer or subscription field: an id, or an expanded object with an id. */
const idOf = (x: unknown): string | null => str(x) ?? (isMap(x) ? (str(x.id) ?? null) : null);

const STATUS: Record<string, SubscriptionStatus> = {
  active: "active",
  trialing: "active",
  past_due: "past_due",
  unpaid: "past_due",
  incomplete: "past_due",
  paused: "past_due",
  canceled: "canceled",
  incomplete_expired: "canceled",
};

function accountSlugOf(metadata: unknown): string | undefined {
  return isMap(metadata) ? str(metadata.packyard_user) : undefined;
}

function subscriptionFacts(o: Record<string, unknown>, deleted: boolean): SubscriptionFacts {
  const id = str(o.id);
  if (id === undefined) throw invalid("Expected data.object.id (the subscription's id), found none", "body");
  const status = deleted ? "canceled" : STATUS[String(o.status)];
  if (status === undefined)
    throw invalid(
      `Expected data.object.status to be a Stripe subscription status, found ${JSON.stringify(o.status)}`,
      "body",
    );
  const items = isMap(o.items) && Array.isArray(o.items.data) ? o.items.data.filter(isMap) : [];
  const priceIds = items.flatMap((i) => {
    const p = isMap(i.price) ? str(i.price.id) : str(i.price);
    return p === undefined ? [] : [p];
  });
  const start = time(o.current_period_start) ?? time(items[0]?.current_period_start);
  const end = time(o.current_period_end) ?? time(items[0]?.current_period_end);
  const facts: SubscriptionFacts = { id, customer: idOf(o.customer), status, priceIds };
  if (start !== undefined && end !== undefined && start < end) {
    facts.periodStart = start;
    facts.periodEnd = end;
  }
  const slug = accountSlugOf(o.metadata);
  if (slug !== undefined) facts.accountSlug = slug;
  return facts;
}

/** Stripe's webhook format. */
export const stripeProvider: BillingProvider = {
  name: "stripe",
  verify(headers, body, secrets, now) {
    const { t, v1 } = parseSignatureHeader(headers[STRIPE_SIGNATURE_HEADER]);
    const skew = Math.abs(now.getTime() / 1000 - t);
    if (skew > TOLERANCE_SECONDS)
      throw bad(
        `Expected the signature's timestamp within ${TOLERANCE_SECONDS} s of the server's clock, found it ${Math.round(skew)} s away`,
      );
    for (const secret of secrets) {
      const mine = Buffer.from(stripeSignature(secret, t, body), "hex");
      for (const given of v1) if (timingSafeEqual(mine, given)) return;
    }
    throw bad("Expected a v1 signature made with a configured billing webhook secret, found none matching");
  },
  parse(body) {
    let event: unknown;
    try {
      event = JSON.parse(Buffer.from(body).toString("utf8"));
    } catch (e) {
      throw invalid(`Expected a JSON event, found: ${e instanceof Error ? e.message : String(e)}`, "body");
    }
    if (!isMap(event)) throw invalid("Expected a JSON object (a Stripe event), found another value", "body");
    const id = str(event.id);
    const type = str(event.type);
    const created = time(event.created);
    if (
      id === undefined ||
      id.length > 255 ||
      type === undefined ||
      type.length > 100 ||
      created === undefined
    )
      throw invalid("Expected an event with id, type and created (unix seconds), found another form", "body");
    const object = isMap(event.data) && isMap(event.data.object) ? event.data.object : undefined;
    const out: BillingEvent = { id, type, created };
    if (type.startsWith("customer.subscription.")) {
      if (!["created", "updated", "deleted"].includes(type.slice("customer.subscription.".length)))
        return out;
      if (object === undefined) throw invalid("Expected data.object (the subscription), found none", "body");
      out.subscription = subscriptionFacts(object, type === "customer.subscription.deleted");
    } else if (type === "invoice.payment_failed") {
      if (object === undefined) throw invalid("Expected data.object (the invoice), found none", "body");
      const parent =
        isMap(object.parent) && isMap(object.parent.subscription_details)
          ? object.parent.subscription_details
          : undefined;
      const details = isMap(object.subscription_details) ? object.subscription_details : parent;
      out.paymentFailed = {
        subscriptionId: idOf(object.subscription) ?? idOf(parent?.subscription),
        customer: idOf(object.customer),
      };
      const slug = accountSlugOf(details?.metadata);
      if (slug !== undefined) out.paymentFailed.accountSlug = slug;
    }
    return out;
  },
};
