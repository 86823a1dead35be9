-- Every change of a workspace's plan or subscription status, written where the state
-- machine's decisions are applied, so the admin overview can count upgrades, churn and
-- trial conversions over a period without replaying webhooks.
CREATE TABLE plan_changes (
    id INTEGER PRIMARY KEY NOT NULL,
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    from_plan_id BIGINT NOT NULL REFERENCES plans (id),
    to_plan_id BIGINT NOT NULL REFERENCES plans (id),
    from_status TEXT,
    to_status TEXT,
    kind TEXT NOT NULL,
    changed_at TIMESTAMP NOT NULL
);
CREATE INDEX plan_changes_changed_idx ON plan_changes (changed_at, kind);
CREATE INDEX plan_changes_workspace_idx ON plan_changes (workspace_id, changed_at);
-- The admin event log filters by workspace and by type.
CREATE INDEX billing_events_workspace_idx ON billing_events (workspace_id, received_at);
