ALTER TABLE workspaces DROP COLUMN billing_version;
