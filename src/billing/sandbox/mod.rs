//! SKELETON — the offline Stripe-compatible sandbox is being written on a branch.

use actix_web::web;

/// Registers the sandbox's routes under `/sandbox/`.
pub fn configure(_cfg: &mut web::ServiceConfig) {}
