-- Foundation schema (PostgreSQL). Keep in step with migrations/sqlite (same names, same columns).
-- Money is integer minor units; timestamps are UTC; JSON lives in TEXT columns.

CREATE TABLE plans (
    id BIGSERIAL PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    currency TEXT NOT NULL DEFAULT 'usd',
    price_month_minor BIGINT,
    price_year_minor BIGINT,
    stripe_price_month TEXT,
    stripe_price_year TEXT,
    chargebee_item_price_month TEXT,
    chargebee_item_price_year TEXT,
    trial_days INTEGER NOT NULL DEFAULT 0,
    monthly_credits BIGINT,
    seat_limit INTEGER,
    limits_json TEXT NOT NULL DEFAULT '{}',
    features_json TEXT NOT NULL DEFAULT '[]',
    sort_order INTEGER NOT NULL DEFAULT 0,
    is_active BOOLEAN NOT NULL DEFAULT TRUE,
    is_default BOOLEAN NOT NULL DEFAULT FALSE,
    contact_sales BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE users (
    id BIGSERIAL PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE workspaces (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    plan_id BIGINT NOT NULL REFERENCES plans (id),
    billing_provider TEXT,
    provider_customer_id TEXT,
    provider_subscription_id TEXT,
    subscription_status TEXT,
    billing_interval TEXT,
    current_period_end TIMESTAMP,
    cancel_at_period_end BOOLEAN NOT NULL DEFAULT FALSE,
    trial_end TIMESTAMP,
    had_trial BOOLEAN NOT NULL DEFAULT FALSE,
    grace_until TIMESTAMP,
    upgraded_at TIMESTAMP,
    scheduled_plan_id BIGINT REFERENCES plans (id),
    subscription_state_at TIMESTAMP,
    ended_subscription_ids TEXT NOT NULL DEFAULT '[]',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX workspaces_customer_idx ON workspaces (billing_provider, provider_customer_id);
CREATE INDEX workspaces_subscription_idx ON workspaces (billing_provider, provider_subscription_id);

CREATE TABLE memberships (
    id BIGSERIAL PRIMARY KEY,
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (workspace_id, user_id)
);
CREATE INDEX memberships_user_idx ON memberships (user_id);

CREATE TABLE addons (
    id BIGSERIAL PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    currency TEXT NOT NULL DEFAULT 'usd',
    price_minor BIGINT NOT NULL,
    billing_interval TEXT NOT NULL CHECK (billing_interval IN ('month', 'year')),
    stripe_price TEXT,
    chargebee_item_price TEXT,
    sort_order INTEGER NOT NULL DEFAULT 0,
    is_active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE workspace_addons (
    id BIGSERIAL PRIMARY KEY,
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    addon_id BIGINT NOT NULL REFERENCES addons (id),
    status TEXT NOT NULL,
    provider_subscription_id TEXT,
    checkout_id TEXT UNIQUE,
    current_period_end TIMESTAMP,
    cancel_at_period_end BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX workspace_addons_workspace_idx ON workspace_addons (workspace_id);

CREATE TABLE credit_packs (
    id BIGSERIAL PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    credits BIGINT NOT NULL,
    currency TEXT NOT NULL DEFAULT 'usd',
    price_minor BIGINT NOT NULL,
    stripe_price TEXT,
    chargebee_item_price TEXT,
    sort_order INTEGER NOT NULL DEFAULT 0,
    is_active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE credit_ledger (
    id BIGSERIAL PRIMARY KEY,
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    bucket TEXT NOT NULL CHECK (bucket IN ('monthly', 'purchased')),
    delta BIGINT NOT NULL,
    reason TEXT NOT NULL,
    idempotency_key TEXT UNIQUE,
    reference TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX credit_ledger_workspace_idx ON credit_ledger (workspace_id, bucket);

CREATE TABLE invoices (
    id BIGSERIAL PRIMARY KEY,
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    provider TEXT NOT NULL,
    provider_invoice_id TEXT NOT NULL,
    number TEXT,
    status TEXT NOT NULL,
    amount_due_minor BIGINT NOT NULL,
    amount_paid_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    hosted_url TEXT,
    pdf_url TEXT,
    period_start TIMESTAMP,
    period_end TIMESTAMP,
    issued_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (provider, provider_invoice_id)
);
CREATE INDEX invoices_workspace_idx ON invoices (workspace_id, issued_at);

CREATE TABLE billing_events (
    id BIGSERIAL PRIMARY KEY,
    provider TEXT NOT NULL,
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    status TEXT NOT NULL,
    workspace_id BIGINT REFERENCES workspaces (id) ON DELETE SET NULL,
    provider_created_at TIMESTAMP,
    received_at TIMESTAMP NOT NULL,
    processed_at TIMESTAMP,
    next_attempt_at TIMESTAMP,
    error TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    payload TEXT NOT NULL,
    UNIQUE (provider, event_id)
);
CREATE INDEX billing_events_status_idx ON billing_events (status, next_attempt_at);
CREATE INDEX billing_events_received_idx ON billing_events (received_at);

CREATE TABLE capacity_snapshots (
    id BIGSERIAL PRIMARY KEY,
    taken_at TIMESTAMP NOT NULL,
    users_total BIGINT NOT NULL,
    workspaces_total BIGINT NOT NULL,
    paying_workspaces BIGINT NOT NULL,
    mrr_minor BIGINT NOT NULL,
    credits_outstanding BIGINT NOT NULL,
    events_last_day BIGINT NOT NULL,
    events_failed BIGINT NOT NULL
);
CREATE INDEX capacity_snapshots_taken_idx ON capacity_snapshots (taken_at);

CREATE TABLE app_secrets (
    name TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
