DROP INDEX billing_events_workspace_idx;
DROP TABLE plan_changes;
