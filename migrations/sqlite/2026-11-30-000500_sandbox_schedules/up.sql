-- Sandbox fidelity for cancellations at a date and subscription schedules (sqlite). Keep in step
-- with migrations/postgres (same names, same columns).
--
-- cancel_at: when a live subscription ends (Stripe's `cancel_at`), whether set as a date or
-- as "at the period end". schedule_id: the subscription schedule managing it, if any.
ALTER TABLE sandbox_subscriptions ADD COLUMN cancel_at TIMESTAMP;
ALTER TABLE sandbox_subscriptions ADD COLUMN schedule_id TEXT;

-- Stripe's subscription schedules, created from a subscription. Phases are kept as a JSON list
-- of {start_date, end_date, price, proration_behavior} with concrete unix times: the sandbox
-- reads and writes them whole, and never queries inside them.
CREATE TABLE sandbox_subscription_schedules (
    id TEXT PRIMARY KEY NOT NULL,
    customer_id TEXT NOT NULL,
    subscription_id TEXT NOT NULL,
    status TEXT NOT NULL,
    end_behavior TEXT NOT NULL,
    phases_json TEXT NOT NULL,
    current_phase INTEGER NOT NULL,
    metadata_json TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    released_at TIMESTAMP,
    completed_at TIMESTAMP,
    canceled_at TIMESTAMP
);
CREATE INDEX sandbox_subscription_schedules_subscription_idx ON sandbox_subscription_schedules (subscription_id);
