//! Integration tests: one binary (fast to link), the app driven over real HTTP, the
//! database checked afterwards. Runs on SQLite, and on PostgreSQL when
//! `TEST_DATABASE_URL` is set.

#![expect(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly where it stands")]

mod common;

mod accounts;
mod admin;
mod architecture;
mod catalog;
mod chargebee_provider;
mod chargebee_webhooks;
mod checkout;
mod clock_page;
mod errors;
mod event_cost;
mod flows;
mod jobs;
mod migrations;
mod pricing;
mod races;
mod sandbox;
mod sandbox_catalog;
mod sandbox_changes;
mod sandbox_delivery;
mod sandbox_lockdown;
mod sandbox_shapes;
mod stripe_provider;
mod stripe_shapes;
mod team;
mod test_clocks;
mod webhooks;
