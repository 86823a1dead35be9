-- Entitlements: a running balance beside the credit ledger, the answers of credit spends and
-- usage records (their idempotency keys), and workspace API keys.

-- The ledger stays the truth; this is its sum per workspace, written in the same transaction
-- as every ledger row, so a spend reads one row instead of summing the whole history.
CREATE TABLE credit_balances (
    workspace_id BIGINT PRIMARY KEY NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    monthly BIGINT NOT NULL DEFAULT 0,
    purchased BIGINT NOT NULL DEFAULT 0,
    updated_at TIMESTAMP NOT NULL
);

INSERT INTO credit_balances (workspace_id, monthly, purchased, updated_at)
SELECT workspace_id,
       SUM(CASE WHEN bucket = 'monthly' THEN delta ELSE 0 END),
       SUM(CASE WHEN bucket = 'purchased' THEN delta ELSE 0 END),
       CURRENT_TIMESTAMP
FROM credit_ledger
GROUP BY workspace_id;

-- One row per consume request: the first answer is kept and replayed for its key.
CREATE TABLE credit_spends (
    id INTEGER PRIMARY KEY NOT NULL,
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    idempotency_key TEXT NOT NULL,
    amount BIGINT NOT NULL,
    reason TEXT NOT NULL,
    from_monthly BIGINT NOT NULL,
    from_purchased BIGINT NOT NULL,
    status INTEGER NOT NULL,
    answer TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (workspace_id, idempotency_key)
);
CREATE INDEX credit_spends_time_idx ON credit_spends (workspace_id, created_at);

-- One row per usage report; `status` 200 rows count against the period's limit.
CREATE TABLE usage_records (
    id INTEGER PRIMARY KEY NOT NULL,
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    metric TEXT NOT NULL,
    quantity BIGINT NOT NULL,
    period_key TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    status INTEGER NOT NULL,
    answer TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (workspace_id, idempotency_key)
);
CREATE INDEX usage_records_period_idx ON usage_records (workspace_id, period_key, metric);
CREATE INDEX usage_records_time_idx ON usage_records (workspace_id, created_at);

-- Only the SHA-256 of a key is stored; `prefix` is what the settings page shows.
CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY NOT NULL,
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    prefix TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    revoked_at TIMESTAMP
);
CREATE INDEX api_keys_workspace_idx ON api_keys (workspace_id);
