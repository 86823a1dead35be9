-- Counts the writes to a workspace's billing state. A subscription fetched from the provider
-- to settle an ambiguous webhook is applied only if no billing write came in between (one
-- may reflect a change the provider made after it answered); `updated_at` cannot say so, as
-- every lock of the row (usage, credits) writes it.
ALTER TABLE workspaces ADD COLUMN billing_version BIGINT NOT NULL DEFAULT 0;
