-- One row per provider checkout Tollgate has fulfilled: the success page and the
-- checkout webhook race, and this unique key makes the second one a no-op.
CREATE TABLE checkout_fulfilments (
    id BIGSERIAL PRIMARY KEY,
    provider TEXT NOT NULL,
    checkout_id TEXT NOT NULL,
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    purchase TEXT NOT NULL,
    code TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (provider, checkout_id)
);

-- Background jobs run on one instance at a time: the holder of an unexpired lease.
CREATE TABLE job_leases (
    name TEXT PRIMARY KEY NOT NULL,
    holder TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL
);

ALTER TABLE workspace_addons ADD COLUMN addon_price_id TEXT;
