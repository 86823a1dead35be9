-- Each applied webhook asks for the workspace's other pending events. The index on
-- (workspace_id, received_at) alone would make that read every event the workspace ever
-- had; this one goes straight to the pending ones.
CREATE INDEX billing_events_pending_idx ON billing_events (workspace_id, status, provider_created_at);
