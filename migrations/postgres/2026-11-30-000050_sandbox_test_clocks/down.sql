CREATE TABLE sandbox_clock (
    id BIGINT PRIMARY KEY NOT NULL,
    offset_seconds BIGINT NOT NULL DEFAULT 0,
    updated_at TIMESTAMP NOT NULL
);
DROP INDEX sandbox_customers_test_clock_idx;
ALTER TABLE sandbox_customers DROP COLUMN test_clock_id;
DROP TABLE sandbox_test_clocks;
