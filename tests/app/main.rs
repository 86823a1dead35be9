//! Integration tests: one binary (fast to link), the app driven over real HTTP, the
//! database checked afterwards. Runs on SQLite, and on PostgreSQL when
//! `TEST_DATABASE_URL` is set.

#![expect(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly where it stands")]

mod api_keys;
mod api_support;
mod common;
mod credit_cycles;
mod credits_api;

mod accounts;
mod addon_rules;
mod admin;
mod admin_console;
mod analytics;
mod architecture;
mod billing_api;
mod catalog;
mod chargebee_billing_rules;
mod chargebee_checkout;
mod chargebee_provider;
mod chargebee_webhooks;
mod checkout;
mod checkout_records;
mod clock_page;
mod durability;
mod errors;
mod event_cost;
mod flows;
mod gates;
mod group_commit;
mod hygiene;
mod instances;
mod jobs;
mod lock_waits;
mod migrations;
mod openapi;
mod operations;
mod plan_change_rules;
mod pricing;
mod proxies;
mod races;
mod reconcile;
mod sandbox;
mod sandbox_cancel_at;
mod sandbox_catalog;
mod sandbox_changes;
mod sandbox_delivery;
mod sandbox_lockdown;
mod sandbox_schedules;
mod sandbox_shapes;
mod sessions;
mod stripe_billing_rules;
mod stripe_provider;
mod stripe_provider_changes;
mod stripe_shapes;
mod team;
mod test_clocks;
mod throttling;
mod usage_api;
mod webhooks;
