//! The rules of the business as pure functions over typed values: the catalog's terms,
//! the subscription state machine, plan-change and purchase rules, credits, team roles,
//! account rules, names, throttles, sessions, client addresses, and the typed ids and enums every layer shares. Nothing here opens a
//! database connection, calls a provider or reads the clock; `services` does that and
//! passes the facts in.

pub mod accounts;
pub mod addons;
pub mod admin_query;
pub mod api_keys;
pub mod billing_state;
pub mod capacity;
pub mod catalog;
pub mod credits;
pub mod dates;
pub mod entitlements;
pub mod ids;
pub mod invoice_rows;
pub mod jobs;
pub mod members;
pub mod money;
pub mod names;
pub mod network;
pub mod normalized;
pub mod plan_changes;
pub mod plan_history;
pub mod pricing;
pub mod purchases;
pub mod sessions;
pub(crate) mod sql;
pub mod throttle;
