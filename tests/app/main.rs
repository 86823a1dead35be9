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
mod analytics;
mod billing_api;
mod catalog;
mod chargebee_provider;
mod chargebee_webhooks;
mod checkout;
mod errors;
mod event_cost;
mod flows;
mod gates;
mod jobs;
mod migrations;
mod openapi;
mod pricing;
mod races;
mod sandbox;
mod sandbox_changes;
mod sandbox_delivery;
mod sandbox_shapes;
mod stripe_provider;
mod stripe_shapes;
mod team;
mod usage_api;
mod webhooks;
