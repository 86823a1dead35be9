DROP TABLE sandbox_portal_sessions;
DROP TABLE sandbox_events;
DROP TABLE sandbox_invoices;
DROP TABLE sandbox_subscription_items;
DROP TABLE sandbox_subscriptions;
DROP TABLE sandbox_checkout_sessions;
DROP TABLE sandbox_customers;
DROP TABLE sandbox_clock;
