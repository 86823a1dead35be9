-- Operators' jobs: one row per job holding when it is next due. An instance runs a job only
-- after moving next_run_at forward with a conditional UPDATE (next_run_at <= now), so with
-- several instances on one database each due slot is claimed by exactly one of them. The
-- single scheduler lease this replaces is dropped.
CREATE TABLE jobs (
    name TEXT PRIMARY KEY NOT NULL,
    next_run_at TIMESTAMP NOT NULL,
    claimed_by TEXT,
    claimed_at TIMESTAMP
);

-- Every run of a job: who started it (the schedule, an admin, the command line), on which
-- instance, how long it took, whether it worked and how many things it changed.
CREATE TABLE job_runs (
    id BIGSERIAL PRIMARY KEY,
    job TEXT NOT NULL,
    run_by TEXT NOT NULL,
    instance TEXT NOT NULL,
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    outcome TEXT NOT NULL,
    changes BIGINT NOT NULL DEFAULT 0,
    message TEXT NOT NULL DEFAULT ''
);
CREATE INDEX job_runs_job_idx ON job_runs (job, started_at);

DROP TABLE job_leases;

-- Instance administrators' API keys for the platform-health API: only the SHA-256 of a key.
CREATE TABLE admin_api_keys (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    prefix TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    revoked_at TIMESTAMP
);

-- What a daily capacity snapshot adds: the tier distribution, seats against the plans'
-- seat limits, credits granted and spent so far, quota usage against limits, database size.
ALTER TABLE capacity_snapshots ADD COLUMN by_status TEXT NOT NULL DEFAULT '{}';
ALTER TABLE capacity_snapshots ADD COLUMN by_plan TEXT NOT NULL DEFAULT '{}';
ALTER TABLE capacity_snapshots ADD COLUMN past_due_workspaces BIGINT NOT NULL DEFAULT 0;
ALTER TABLE capacity_snapshots ADD COLUMN seats_used BIGINT NOT NULL DEFAULT 0;
ALTER TABLE capacity_snapshots ADD COLUMN seats_limit BIGINT NOT NULL DEFAULT 0;
ALTER TABLE capacity_snapshots ADD COLUMN credits_granted BIGINT NOT NULL DEFAULT 0;
ALTER TABLE capacity_snapshots ADD COLUMN credits_spent BIGINT NOT NULL DEFAULT 0;
ALTER TABLE capacity_snapshots ADD COLUMN quota_used BIGINT NOT NULL DEFAULT 0;
ALTER TABLE capacity_snapshots ADD COLUMN quota_limit BIGINT NOT NULL DEFAULT 0;
ALTER TABLE capacity_snapshots ADD COLUMN database_bytes BIGINT NOT NULL DEFAULT 0;
