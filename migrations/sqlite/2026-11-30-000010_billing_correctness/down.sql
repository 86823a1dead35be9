ALTER TABLE invoices DROP COLUMN state_at;
ALTER TABLE workspace_addons DROP COLUMN grace_until;
ALTER TABLE workspace_addons DROP COLUMN state_at;
ALTER TABLE workspaces DROP COLUMN last_paid_at;
ALTER TABLE workspaces DROP COLUMN past_due_invoice_id;
ALTER TABLE workspaces DROP COLUMN past_due_since;
ALTER TABLE workspaces DROP COLUMN scheduled_interval;
ALTER TABLE workspaces DROP COLUMN cancel_at;
