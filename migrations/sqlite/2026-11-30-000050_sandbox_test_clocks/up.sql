-- Sandbox test clocks (SQLite), as Stripe's: one clock per customer that wants one, advanced
-- through /v1/test_helpers/test_clocks, instead of one anonymous offset for the whole sandbox.
-- A customer's objects live in its clock's frozen time; customers without a clock live in real
-- time. Keep in step with migrations/postgres (same names, same columns).

CREATE TABLE sandbox_test_clocks (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT,
    frozen_time TIMESTAMP NOT NULL,
    status TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    deletes_after TIMESTAMP NOT NULL
);
CREATE INDEX sandbox_test_clocks_created_idx ON sandbox_test_clocks (created_at);

ALTER TABLE sandbox_customers ADD COLUMN test_clock_id TEXT;
CREATE INDEX sandbox_customers_test_clock_idx ON sandbox_customers (test_clock_id);

-- The old single offset has no meaning once time is per clock.
DROP TABLE sandbox_clock;
