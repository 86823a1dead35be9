DROP TABLE sandbox_subscription_schedules;
ALTER TABLE sandbox_subscriptions DROP COLUMN schedule_id;
ALTER TABLE sandbox_subscriptions DROP COLUMN cancel_at;
