ALTER TABLE capacity_snapshots DROP COLUMN database_bytes;
ALTER TABLE capacity_snapshots DROP COLUMN quota_limit;
ALTER TABLE capacity_snapshots DROP COLUMN quota_used;
ALTER TABLE capacity_snapshots DROP COLUMN credits_spent;
ALTER TABLE capacity_snapshots DROP COLUMN credits_granted;
ALTER TABLE capacity_snapshots DROP COLUMN seats_limit;
ALTER TABLE capacity_snapshots DROP COLUMN seats_used;
ALTER TABLE capacity_snapshots DROP COLUMN past_due_workspaces;
ALTER TABLE capacity_snapshots DROP COLUMN by_plan;
ALTER TABLE capacity_snapshots DROP COLUMN by_status;
DROP TABLE admin_api_keys;
CREATE TABLE job_leases (
    name TEXT PRIMARY KEY NOT NULL,
    holder TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
DROP TABLE job_runs;
DROP TABLE jobs;
