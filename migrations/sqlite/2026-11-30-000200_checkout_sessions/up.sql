-- Every checkout Tollgate creates, recorded when it is created: a checkout is fulfilled (by
-- the success page or a webhook) only when it matches one of these rows, and with what the
-- row says was bought, never with what a provider event's metadata claims. `fulfilled_at`
-- is set once, under the workspace's lock: the one idempotency key for redirect and webhook.
-- `subscription_id` is the subscription the checkout creates: pre-assigned by Tollgate where
-- the provider takes one (Chargebee), learned at fulfilment otherwise (Stripe).
CREATE TABLE checkout_sessions (
    id INTEGER PRIMARY KEY NOT NULL,
    provider TEXT NOT NULL,
    checkout_id TEXT NOT NULL,
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    purchase TEXT NOT NULL,
    code TEXT NOT NULL,
    billing_interval TEXT,
    amount_minor BIGINT,
    currency TEXT,
    customer_id TEXT,
    subscription_id TEXT,
    created_at TIMESTAMP NOT NULL,
    fulfilled_at TIMESTAMP,
    UNIQUE (provider, checkout_id)
);
CREATE INDEX checkout_sessions_by_subscription ON checkout_sessions (provider, subscription_id);

-- Checkouts fulfilled before this table existed keep their idempotency.
INSERT INTO checkout_sessions (provider, checkout_id, workspace_id, purchase, code, created_at, fulfilled_at)
SELECT provider, checkout_id, workspace_id, purchase, code, created_at, created_at FROM checkout_fulfilments;
DROP TABLE checkout_fulfilments;
