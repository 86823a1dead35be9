//! Tollgate: self-hostable subscription billing. Pricing, hosted checkout through a billing
//! provider, webhooks that keep the database true, credits, and the pages to manage it all.
//!
//! `main.rs` only reads configuration and starts `startup::Application`; everything else
//! lives here so integration tests run the same code.

pub mod billing;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod models;
pub mod routes;
pub mod sandbox;
pub mod schema;
pub mod secrets;
pub mod services;
pub mod signature;
pub mod startup;
pub mod state;
pub mod urls;
pub mod web;
