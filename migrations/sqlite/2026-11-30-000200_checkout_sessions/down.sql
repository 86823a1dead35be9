CREATE TABLE checkout_fulfilments (
    id INTEGER PRIMARY KEY NOT NULL,
    provider TEXT NOT NULL,
    checkout_id TEXT NOT NULL,
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    purchase TEXT NOT NULL,
    code TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (provider, checkout_id)
);
INSERT INTO checkout_fulfilments (provider, checkout_id, workspace_id, purchase, code, created_at)
SELECT provider, checkout_id, workspace_id, purchase, code, created_at FROM checkout_sessions WHERE fulfilled_at IS NOT NULL;
DROP TABLE checkout_sessions;
