-- Sandbox schema (SQLite).
-- The offline sandbox's own state (BILLING_PROVIDER=sandbox): a tiny Stripe. Keep in step with
-- migrations/postgres (same names, same columns). Objects are keyed by their Stripe-style id
-- (`cus_…`, `sub_…`), which is what every API call names them by; times are sandbox time
-- (real time + the clock offset), except events, which Stripe stamps with real time.

CREATE TABLE sandbox_clock (
    id INTEGER PRIMARY KEY NOT NULL,
    offset_seconds BIGINT NOT NULL DEFAULT 0,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE sandbox_customers (
    id TEXT PRIMARY KEY NOT NULL,
    email TEXT,
    card TEXT,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE sandbox_checkout_sessions (
    id TEXT PRIMARY KEY NOT NULL,
    mode TEXT NOT NULL,
    status TEXT NOT NULL,
    payment_status TEXT NOT NULL,
    price_id TEXT NOT NULL,
    customer_id TEXT,
    customer_email TEXT,
    customer_creation TEXT,
    client_reference_id TEXT,
    trial_days INTEGER,
    allow_promotion_codes BOOLEAN NOT NULL DEFAULT 0,
    metadata_json TEXT NOT NULL DEFAULT '{}',
    subscription_metadata_json TEXT NOT NULL DEFAULT '{}',
    payment_intent_metadata_json TEXT NOT NULL DEFAULT '{}',
    success_url TEXT NOT NULL,
    cancel_url TEXT NOT NULL,
    amount_total BIGINT NOT NULL,
    currency TEXT NOT NULL,
    subscription_id TEXT,
    invoice_id TEXT,
    payment_intent_id TEXT,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    completed_at TIMESTAMP
);

CREATE TABLE sandbox_subscriptions (
    id TEXT PRIMARY KEY NOT NULL,
    customer_id TEXT NOT NULL REFERENCES sandbox_customers (id),
    status TEXT NOT NULL,
    cancel_at_period_end BOOLEAN NOT NULL DEFAULT 0,
    canceled_at TIMESTAMP,
    ended_at TIMESTAMP,
    trial_start TIMESTAMP,
    trial_end TIMESTAMP,
    metadata_json TEXT NOT NULL DEFAULT '{}',
    latest_invoice_id TEXT,
    pending_price_id TEXT,
    pending_expires_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX sandbox_subscriptions_customer_idx ON sandbox_subscriptions (customer_id);

CREATE TABLE sandbox_subscription_items (
    id TEXT PRIMARY KEY NOT NULL,
    subscription_id TEXT NOT NULL REFERENCES sandbox_subscriptions (id),
    price_id TEXT NOT NULL,
    product_name TEXT NOT NULL,
    unit_amount BIGINT NOT NULL,
    currency TEXT NOT NULL,
    billing_interval TEXT NOT NULL,
    current_period_start TIMESTAMP NOT NULL,
    current_period_end TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX sandbox_subscription_items_subscription_idx ON sandbox_subscription_items (subscription_id);

CREATE TABLE sandbox_invoices (
    id TEXT PRIMARY KEY NOT NULL,
    number TEXT NOT NULL,
    customer_id TEXT NOT NULL REFERENCES sandbox_customers (id),
    subscription_id TEXT,
    subscription_item_id TEXT,
    status TEXT NOT NULL,
    billing_reason TEXT NOT NULL,
    amount_due BIGINT NOT NULL,
    amount_paid BIGINT NOT NULL,
    currency TEXT NOT NULL,
    price_id TEXT,
    description TEXT NOT NULL,
    proration BOOLEAN NOT NULL DEFAULT 0,
    period_start TIMESTAMP NOT NULL,
    period_end TIMESTAMP NOT NULL,
    line_period_start TIMESTAMP NOT NULL,
    line_period_end TIMESTAMP NOT NULL,
    metadata_json TEXT NOT NULL DEFAULT '{}',
    attempt_count INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    paid_at TIMESTAMP
);
CREATE INDEX sandbox_invoices_customer_idx ON sandbox_invoices (customer_id, created_at);

CREATE TABLE sandbox_events (
    id INTEGER PRIMARY KEY NOT NULL,
    event_id TEXT NOT NULL UNIQUE,
    event_type TEXT NOT NULL,
    payload TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_status INTEGER,
    last_error TEXT,
    delivered_at TIMESTAMP,
    locked_until TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX sandbox_events_pending_idx ON sandbox_events (delivered_at, id);

CREATE TABLE sandbox_portal_sessions (
    id TEXT PRIMARY KEY NOT NULL,
    customer_id TEXT NOT NULL REFERENCES sandbox_customers (id),
    return_url TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
