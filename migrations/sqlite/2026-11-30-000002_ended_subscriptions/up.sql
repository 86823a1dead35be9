-- Ended subscriptions become rows instead of a JSON array on the hot workspaces row, so the
-- work per event stays the same however many subscriptions a workspace has ended.
CREATE TABLE ended_subscriptions (
    id INTEGER PRIMARY KEY NOT NULL,
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    subscription_id TEXT NOT NULL,
    ended_at TIMESTAMP NOT NULL,
    UNIQUE (workspace_id, subscription_id)
);

INSERT INTO ended_subscriptions (workspace_id, subscription_id, ended_at)
SELECT DISTINCT workspaces.id, ended.value, workspaces.updated_at
FROM workspaces, json_each(workspaces.ended_subscription_ids) AS ended
WHERE json_valid(workspaces.ended_subscription_ids);

ALTER TABLE workspaces DROP COLUMN ended_subscription_ids;
