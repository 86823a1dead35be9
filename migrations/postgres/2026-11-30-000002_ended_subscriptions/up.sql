-- Ended subscriptions become rows instead of a JSON array on the hot workspaces row, so the
-- work per event stays the same however many subscriptions a workspace has ended.
CREATE TABLE ended_subscriptions (
    id BIGSERIAL PRIMARY KEY,
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    subscription_id TEXT NOT NULL,
    ended_at TIMESTAMP NOT NULL,
    UNIQUE (workspace_id, subscription_id)
);

INSERT INTO ended_subscriptions (workspace_id, subscription_id, ended_at)
SELECT DISTINCT workspaces.id, ended.value, workspaces.updated_at
FROM workspaces, json_array_elements_text(workspaces.ended_subscription_ids::json) AS ended(value);

ALTER TABLE workspaces DROP COLUMN ended_subscription_ids;
