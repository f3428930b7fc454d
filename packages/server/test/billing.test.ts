// The plans file's checks (pure) and the billing webhook (issue 21, "How it is checked" → Billing) on
// PGlite and PostgreSQL: a valid event changes the plan and the next request sees the new limits; a wrong
// secret, a changed body byte, a timestamp 301 s old or ahead, a missing or malformed header answer 400/401
// with a code and change nothing; a replay with a fresh signature is applied once; an older `updated` after
// a newer one changes nothing. Signatures are computed here with node:crypto from Stripe's documented
// scheme (HMAC-SHA256 over "<t>.<body>"), not with the server's own helper.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { loadPlansFile, parsePlans } from "../src/billing/plans.ts";
import { isServerError } from "../src/index.ts";
import { bearer, errorOf, type Harness, harness, secret, secretsNeverLeak } from "./app-harness.ts";
import { eachDb } from "./dbs.ts";

const FIXTURES = fileURLToPath(new URL("./fixtures/plans/", import.meta.url));
const SECRET_OLD = secret("whsec_old_0123456789abcdef");
const SECRET_NEW = secret("whsec_new_fedcba9876543210");

const plan = (over: Record<string, unknown> = {}) => ({
  id: "free",
  name: "Free",
  default: true,
  limits: { projects: 1, builds_per_month: 2, storage_bytes: 1048576, targets: 2 },
  prices: [],
  ...over,
});

describe("plans file", () => {
  test("the fixture reads as written: limits, null as unlimited, prices to plans", async () => {
    const plans = await loadPlansFile(`${FIXTURES}quota.json`);
    assert.equal(plans.defaultPlan.id, "free");
    assert.deepEqual(plans.defaultPlan.limits, {
      projects: 1,
      builds_per_month: 2,
      storage_bytes: 1048576,
      targets: 2,
    });
    assert.equal(plans.byPrice.get("price_pro_yearly")?.id, "pro");
    assert.equal(plans.byId.get("pro")?.limits.builds_per_month, null);
  });

  const refusals: [string, unknown, string | null, string][] = [
    [
      "a limit of the wrong type",
      { plans: [plan({ limits: { ...plan().limits, targets: "2" } })] },
      "free",
      "limits.targets",
    ],
    [
      "a negative limit",
      { plans: [plan({ limits: { ...plan().limits, projects: -1 } })] },
      "free",
      "limits.projects",
    ],
    [
      "a missing limit",
      { plans: [plan({ limits: { projects: 1, builds_per_month: 2, storage_bytes: 3 } })] },
      "free",
      "limits.targets",
    ],
    [
      "an unknown limit",
      { plans: [plan({ limits: { ...plan().limits, seats: 3 } })] },
      "free",
      "limits.seats",
    ],
    ["an unknown key", { plans: [plan({ colour: "red" })] }, "free", "colour"],
    ["no default", { plans: [plan({ default: false })] }, null, "default"],
    ["two defaults", { plans: [plan(), plan({ id: "pro", name: "Pro" })] }, "pro", "default"],
    ["a duplicate id", { plans: [plan(), plan({ default: false })] }, "free", "id"],
    ["a bad id", { plans: [plan({ id: "Free Plan" })] }, "#1", "id"],
    [
      "a price on two plans",
      { plans: [plan({ prices: ["p1"] }), plan({ id: "pro", name: "Pro", default: false, prices: ["p1"] })] },
      "pro",
      "prices[0]",
    ],
    ["no plans", { plans: [] }, null, "plans"],
  ];
  for (const [what, data, planName, field] of refusals)
    test(`refuses ${what}, naming file, plan and field`, () => {
      assert.throws(
        () => parsePlans(JSON.stringify(data), "/etc/packyard/plans.json"),
        (e: unknown) => {
          assert.ok(isServerError(e, "INVALID_CONFIG"), String(e));
          assert.equal(e.data.file, "/etc/packyard/plans.json");
          assert.equal(e.data.plan, planName);
          assert.equal(e.data.field, field);
          assert.match(e.message, /^\/etc\/packyard\/plans\.json: /);
          assert.ok(e.message.includes(field), e.message);
          return true;
        },
      );
    });

  test("refuses a file that is not JSON, or not there", async () => {
    assert.throws(() => parsePlans("plans: []", "p.yml"), /p\.yml: expected a JSON plans file/);
    await assert.rejects(
      loadPlansFile(`${FIXTURES}absent.json`),
      /absent\.json: expected a readable plans file/,
    );
  });
});

/** A Stripe event body. */
function subscriptionEvent(
  id: string,
  type: "created" | "updated" | "deleted",
  created: number,
  o: { status?: string; price?: string; user?: string; sub?: string; customer?: string } = {},
): string {
  return JSON.stringify({
    id,
    object: "event",
    type: `customer.subscription.${type}`,
    created,
    data: {
      object: {
        id: o.sub ?? "sub_1",
        object: "subscription",
        customer: o.customer ?? "cus_1",
        status: o.status ?? "active",
        metadata: { packyard_user: o.user ?? "alice" },
        items: {
          data: [
            {
              price: { id: o.price ?? "price_pro_monthly" },
              current_period_start: created - 86_400,
              current_period_end: created + 29 * 86_400,
            },
          ],
        },
      },
    },
  });
}

function sign(body: string, key: string, t: number): string {
  return `t=${t},v1=${createHmac("sha256", key).update(`${t}.${body}`).digest("hex")}`;
}

interface World {
  h: Harness;
  token: string;
  alice: number;
  post(body: string | Buffer, signature?: string): ReturnType<Harness["request"]>;
  now(): number;
  state(): Promise<unknown>;
}

async function world(h: Harness): Promise<World> {
  const alice = await h.user("alice");
  const { token } = await h.token(alice, ["read", "write"]);
  return {
    h,
    token,
    alice,
    post: (body, signature) =>
      h.request({
        method: "POST",
        url: "/hooks/billing",
        headers: {
          "content-type": "application/json",
          ...(signature === undefined ? {} : { "stripe-signature": signature }),
        },
        payload: body,
      }),
    now: () => Math.floor(h.clock.now().getTime() / 1000),
    async state() {
      const subs = await h.db.query("SELECT * FROM subscriptions ORDER BY user_id");
      const events = await h.db.query("SELECT * FROM billing_events ORDER BY event_id");
      return { subs: subs.rows, events: events.rows };
    },
  };
}

eachDb((_kind, fresh) => {
  test("billing webhook: a valid event changes the plan; bad signatures change nothing; replays and older events are no-ops", async (t) => {
    const plans = await loadPlansFile(`${FIXTURES}quota.json`);
    const h = await harness(t, fresh, {
      plans,
      billingWebhookSecrets: [SECRET_OLD, SECRET_NEW],
      rateLimit: { max: 100_000 },
    });
    if (h === undefined) return;
    const w = await world(h);
    const createProject = (slug: string) =>
      h.request({ method: "POST", url: "/api/v1/projects", headers: bearer(w.token), payload: { slug } });
    const usage = async () =>
      (await h.request({ method: "GET", url: "/api/v1/usage", headers: bearer(w.token) })).json();

    assert.equal((await createProject("first")).statusCode, 201);
    assert.equal((await createProject("second")).statusCode, 402);
    assert.equal((await usage()).plan.id, "free");

    // Refusals: nothing changes, each with its status and code.
    const body = subscriptionEvent("evt_1", "updated", w.now());
    const before = await w.state();
    const tampered = body.replace('"price_pro_monthly"', '"price_pro_monthlz"');
    assert.equal(tampered.length, body.length);
    const bad: [string, string | Buffer, string | undefined, number, string][] = [
      ["wrong secret", body, sign(body, "whsec_wrong", w.now()), 401, "BAD_SIGNATURE"],
      ["one body byte changed", tampered, sign(body, SECRET_NEW, w.now()), 401, "BAD_SIGNATURE"],
      ["timestamp 301 s old", body, sign(body, SECRET_NEW, w.now() - 301), 401, "BAD_SIGNATURE"],
      ["timestamp 301 s ahead", body, sign(body, SECRET_NEW, w.now() + 301), 401, "BAD_SIGNATURE"],
      ["missing header", body, undefined, 400, "INVALID_REQUEST"],
      ["no t=", body, sign(body, SECRET_NEW, w.now()).replace(/^t=\d+,/, ""), 400, "INVALID_REQUEST"],
      ["no v1=", body, `t=${w.now()}`, 400, "INVALID_REQUEST"],
      ["v1 not hex", body, `t=${w.now()},v1=zz`, 400, "INVALID_REQUEST"],
      ["garbage", body, "sha256=abc", 400, "INVALID_REQUEST"],
    ];
    for (const [what, payload, signature, status, code] of bad) {
      const r = await w.post(payload, signature);
      assert.equal(r.statusCode, status, `${what}: ${r.body}`);
      assert.equal(errorOf(r).code, code, what);
    }
    assert.deepEqual(await w.state(), before);
    assert.equal((await usage()).plan.id, "free");

    // 300 s either way is inside the tolerance; the older secret still verifies (rotation); a header with
    // a wrong v1 beside the right one passes (Stripe rolling its secret).
    let r = await w.post(body, sign(body, SECRET_OLD, w.now() - 300));
    assert.equal(r.statusCode, 200, r.body);
    assert.equal(r.json().outcome, "applied");
    assert.equal(r.json().plan, "pro");
    // The next request sees the new limits: a second project now fits.
    const u = await usage();
    assert.deepEqual(u.plan, { id: "pro", name: "Pro" });
    assert.equal(u.limits.projects, 5);
    assert.equal((await createProject("second")).statusCode, 201);

    // The same event id, freshly signed later: applied once.
    h.clock.advance(60_000);
    const applied = await w.state();
    const good = sign(body, SECRET_NEW, w.now() + 300);
    const fake = `v1=${"0".repeat(64)}`;
    r = await w.post(body, `${good},${fake}`);
    assert.equal(r.statusCode, 200, r.body);
    assert.equal(r.json().duplicate, true);
    assert.equal(r.json().outcome, "duplicate");
    assert.deepEqual(await w.state(), applied);

    // A newer event cancels; an older `updated` arriving after it changes nothing.
    const t0 = w.now();
    const newer = subscriptionEvent("evt_3", "deleted", t0 + 100, { status: "canceled" });
    r = await w.post(newer, sign(newer, SECRET_NEW, w.now()));
    assert.equal(r.statusCode, 200, r.body);
    assert.equal(r.json().status, "canceled");
    const canceled = await w.state();
    const older = subscriptionEvent("evt_2", "updated", t0 + 50, { status: "active" });
    r = await w.post(older, sign(older, SECRET_NEW, w.now()));
    assert.equal(r.statusCode, 200, r.body);
    assert.equal(r.json().outcome, "stale");
    const after = (await w.state()) as { subs: unknown[]; events: { event_id: string }[] };
    assert.deepEqual(after.subs, (canceled as { subs: unknown[] }).subs);
    assert.equal((await usage()).status, "canceled");
    // Canceled: writes stop.
    r = await createProject("third");
    assert.equal(r.statusCode, 403, r.body);
    assert.equal(errorOf(r).code, "SUBSCRIPTION_INACTIVE");

    // A new subscription makes the account active again; a failed payment makes it past_due.
    const renewed = subscriptionEvent("evt_4", "created", t0 + 200, { sub: "sub_2" });
    r = await w.post(renewed, sign(renewed, SECRET_NEW, w.now()));
    assert.equal(r.json().status, "active", r.body);
    assert.equal((await createProject("third")).statusCode, 201);
    const failed = JSON.stringify({
      id: "evt_5",
      type: "invoice.payment_failed",
      created: t0 + 300,
      data: { object: { id: "in_1", object: "invoice", customer: "cus_1", subscription: "sub_2" } },
    });
    r = await w.post(failed, sign(failed, SECRET_NEW, w.now()));
    assert.equal(r.statusCode, 200, r.body);
    assert.equal(r.json().status, "past_due");
    r = await createProject("fourth");
    assert.equal(r.statusCode, 403, r.body);
    assert.equal(errorOf(r).details.status, "past_due");

    // An event for nobody is recorded and ignored; an unknown price is refused so the provider retries.
    const nobody = subscriptionEvent("evt_6", "updated", t0 + 400, {
      user: "nobody",
      sub: "sub_9",
      customer: "cus_9",
    });
    r = await w.post(nobody, sign(nobody, SECRET_NEW, w.now()));
    assert.equal(r.json().outcome, "ignored", r.body);
    const unknown = subscriptionEvent("evt_7", "updated", t0 + 500, { sub: "sub_2", price: "price_gold" });
    r = await w.post(unknown, sign(unknown, SECRET_NEW, w.now()));
    assert.equal(r.statusCode, 400, r.body);
    assert.equal(errorOf(r).details.field, "price");
    const { rows } = await h.db.query("SELECT 1 FROM billing_events WHERE event_id = 'evt_7'");
    assert.equal(rows.length, 0);
  });

  test("billing webhook: the stored binding wins, another subscription never ends an active account, same-second ties", async (t) => {
    const plans = await loadPlansFile(`${FIXTURES}quota.json`);
    const h = await harness(t, fresh, {
      plans,
      billingWebhookSecrets: [SECRET_NEW],
      rateLimit: { max: 100_000 },
    });
    if (h === undefined) return;
    const w = await world(h);
    for (const slug of ["bob", "mallory", "carol"]) await h.user(slug);
    const T = w.now();
    let n = 0;
    /** Delivers a `customer.subscription.<type>` event created at `created`; its 200 answer's JSON. */
    const send = async (
      type: "created" | "updated" | "deleted",
      created: number,
      o: { status?: string; user: string; sub: string; customer?: string },
    ) => {
      const body = subscriptionEvent(`evt_b${++n}`, type, created, {
        customer: `cus_${o.user}`,
        ...o,
        ...(type === "deleted" ? { status: "canceled" } : {}),
      });
      const r = await w.post(body, sign(body, SECRET_NEW, w.now()));
      assert.equal(r.statusCode, 200, `${type} ${o.sub} for ${o.user}: ${r.body}`);
      return r.json() as { outcome: string; reason?: string; account?: string; status?: string };
    };
    const row = async (slug: string) => {
      const { rows } = await h.db.query<{ status: string; provider_subscription_id: string | null }>(
        `SELECT s.status, s.provider_subscription_id FROM subscriptions s JOIN users u ON u.id = s.user_id
          WHERE u.slug = $1`,
        [slug],
      );
      return rows[0];
    };

    await t.test("a second subscription naming the same user does not take the account over", async () => {
      assert.equal((await send("created", T, { user: "alice", sub: "sub_A" })).outcome, "applied");
      // sub_M names alice while her sub_A is active: recorded, ignored; its deletion does not cancel her.
      let r = await send("created", T + 20, { user: "alice", sub: "sub_M" });
      assert.equal(r.outcome, "ignored", JSON.stringify(r));
      assert.match(r.reason ?? "", /sub_M is not the account's current subscription \(sub_A/);
      r = await send("deleted", T + 30, { user: "alice", sub: "sub_M" });
      assert.equal(r.outcome, "ignored", JSON.stringify(r));
      assert.deepEqual(await row("alice"), { status: "active", provider_subscription_id: "sub_A" });
      // A re-subscription after a cancel replaces the ended one; a late event of the ended one then
      // changes nothing.
      assert.equal((await send("deleted", T + 40, { user: "alice", sub: "sub_A" })).status, "canceled");
      r = await send("created", T + 50, { user: "alice", sub: "sub_N" });
      assert.equal(r.outcome, "applied", JSON.stringify(r));
      assert.deepEqual(await row("alice"), { status: "active", provider_subscription_id: "sub_N" });
      r = await send("updated", T + 60, { user: "alice", sub: "sub_A", status: "past_due" });
      assert.equal(r.outcome, "ignored", JSON.stringify(r));
      assert.deepEqual(await row("alice"), { status: "active", provider_subscription_id: "sub_N" });
    });

    await t.test(
      "metadata naming another user on a bound subscription: 200 ignored, the binding stays",
      async () => {
        assert.equal((await send("created", T, { user: "bob", sub: "sub_B" })).outcome, "applied");
        const r = await send("updated", T + 10, { user: "mallory", sub: "sub_B", status: "past_due" });
        assert.equal(r.outcome, "ignored", JSON.stringify(r));
        assert.equal(r.account, "bob");
        assert.match(r.reason ?? "", /bound to account bob/);
        assert.equal(await row("mallory"), undefined);
        assert.deepEqual(await row("bob"), { status: "active", provider_subscription_id: "sub_B" });
        const { rows } = await h.db.query<{ outcome: string }>(
          "SELECT outcome FROM billing_events WHERE event_id = $1",
          [`evt_b${n}`],
        );
        assert.deepEqual(rows, [{ outcome: "ignored" }]);
        // Its own name still applies.
        assert.equal(
          (await send("updated", T + 20, { user: "bob", sub: "sub_B", status: "past_due" })).outcome,
          "applied",
        );
        assert.deepEqual(await row("bob"), { status: "past_due", provider_subscription_id: "sub_B" });
      },
    );

    await t.test(
      "same-second events: created never overrides, deleted always wins, others apply",
      async () => {
        const c = { user: "carol", sub: "sub_C" };
        assert.equal((await send("created", T, { ...c, status: "incomplete" })).status, "past_due");
        assert.equal((await send("updated", T + 1, { ...c, status: "active" })).status, "active");
        // The `created` of the same second, delivered late: stale.
        let r = await send("created", T + 1, { ...c, status: "incomplete" });
        assert.equal(r.outcome, "stale", JSON.stringify(r));
        assert.equal((await row("carol"))?.status, "active");
        // Another `updated` of the same second applies (arrival order).
        r = await send("updated", T + 1, { ...c, status: "past_due" });
        assert.equal(r.outcome, "applied", JSON.stringify(r));
        assert.equal((await row("carol"))?.status, "past_due");
        // `deleted` wins at equal seconds, and nothing of its second revives the subscription.
        assert.equal((await send("updated", T + 2, { ...c, status: "active" })).outcome, "applied");
        r = await send("deleted", T + 2, c);
        assert.equal(r.outcome, "applied", JSON.stringify(r));
        r = await send("updated", T + 2, { ...c, status: "active" });
        assert.equal(r.outcome, "stale", JSON.stringify(r));
        assert.equal((await row("carol"))?.status, "canceled");
      },
    );
  });

  test("billing webhook without a secret answers 404", async (t) => {
    const h = await harness(t, fresh, { plans: await loadPlansFile(`${FIXTURES}quota.json`) });
    if (h === undefined) return;
    const w = await world(h);
    const body = subscriptionEvent("evt_1", "updated", w.now());
    const r = await w.post(body, sign(body, SECRET_NEW, w.now()));
    assert.equal(r.statusCode, 404, r.body);
    assert.equal(errorOf(r).code, "NOT_FOUND");
    assert.deepEqual(await w.state(), { subs: [], events: [] });
  });
});

secretsNeverLeak();
