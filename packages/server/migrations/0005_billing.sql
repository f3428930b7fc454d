-- Plans, subscriptions and usage (issue 21 items 5-7). Conventions as in 0001; the billing period and the
-- builds counter use the database clock (now()), so the period rolls over on one clock for every server.

-- The billing account of a project: the user who created it. Existing projects take their first owner
-- (earliest membership, then lowest user id). NULL (the user was deleted, or a row written without it):
-- the project's first owner is its account (billing/entitlements.ts ACCOUNT_OF_PROJECT says it once).
ALTER TABLE projects ADD COLUMN billing_user_id bigint REFERENCES users (id) ON DELETE SET NULL;
UPDATE projects p SET billing_user_id = (
  SELECT m.user_id FROM memberships m
   WHERE m.project_id = p.id AND m.role = 'owner'
   ORDER BY m.created_at, m.user_id LIMIT 1
);
CREATE INDEX projects_billing_user_idx ON projects (billing_user_id);

-- One subscription per billing account. A row is made (plan NULL: the plans file's default plan, active)
-- the first time an account's limits are checked under lock, or by a billing event. plan_id is a plan id
-- of the plans file; one the file no longer has reads as the default plan. period_start/period_end are
-- the provider's current period; outside it (or NULL) the period is the calendar month (UTC) of now().
CREATE TABLE subscriptions (
  user_id bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  plan_id text CHECK (plan_id ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'past_due', 'canceled')),
  period_start timestamptz,
  period_end timestamptz,
  provider text CHECK (provider ~ '^[a-z0-9-]{1,32}$'),
  provider_customer_id text CHECK (length(provider_customer_id) BETWEEN 1 AND 255),
  provider_subscription_id text CHECK (length(provider_subscription_id) BETWEEN 1 AND 255),
  -- The `created` time of the last event applied: an older event changes nothing.
  last_event_at timestamptz,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  CONSTRAINT subscriptions_period CHECK (
    (period_start IS NULL) = (period_end IS NULL) AND (period_start IS NULL OR period_start < period_end)
  )
);
CREATE UNIQUE INDEX subscriptions_provider_subscription_key ON subscriptions (provider, provider_subscription_id)
  WHERE provider_subscription_id IS NOT NULL;
CREATE INDEX subscriptions_provider_customer_idx ON subscriptions (provider, provider_customer_id)
  WHERE provider_customer_id IS NOT NULL;

-- Billing webhook events, one row per provider event id: a replay finds its row and changes nothing.
CREATE TABLE billing_events (
  provider text NOT NULL CHECK (provider ~ '^[a-z0-9-]{1,32}$'),
  event_id text NOT NULL CHECK (length(event_id) BETWEEN 1 AND 255),
  type text NOT NULL CHECK (length(type) BETWEEN 1 AND 100),
  user_id bigint REFERENCES users (id) ON DELETE SET NULL,
  -- The event's own creation time (provider clock).
  created timestamptz NOT NULL,
  outcome text NOT NULL CHECK (outcome IN ('applied', 'stale', 'ignored')),
  reason text,
  received_at timestamptz NOT NULL,
  PRIMARY KEY (provider, event_id)
);

-- Builds requested per account and billing period (counted when requested, under the subscription's lock).
CREATE TABLE billing_usage (
  user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  period_start timestamptz NOT NULL,
  builds integer NOT NULL DEFAULT 0 CHECK (builds >= 0),
  PRIMARY KEY (user_id, period_start)
);
