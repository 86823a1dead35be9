//! Domain rules as plain functions over plain data: testable without HTTP, and mostly
//! without a database.

pub mod accounts;
pub mod catalog;
pub mod credits;
pub mod members;
pub mod money;
pub mod plan_changes;
pub mod pricing;
pub mod purchases;
pub mod subscription_state;
pub mod team;
