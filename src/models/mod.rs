//! Every query the app runs, one file per table: the row struct, the insert/changes structs
//! and the queries as associated functions returning `QueryResult`. Rows are typed with the
//! domain's ids and enums; the catalog tables read straight into the domain's `Plan`,
//! `Addon` and `CreditPack`.

pub mod addon;
pub mod admin_api_key;
pub mod api_key;
pub mod app_secret;
pub mod audit_entry;
pub mod audit_search;
pub mod billing_event;
pub mod billing_event_search;
pub mod capacity_snapshot;
pub mod catalog_version;
pub mod checkout_session;
pub mod credit_ledger;
pub mod credit_pack;
pub mod credit_spend;
pub mod ended_subscription;
pub mod instance_admin;
pub mod invoice;
pub mod job_run;
pub mod job_schedule;
pub mod membership;
pub mod plan;
pub mod plan_change;
pub mod rate_limit;
pub mod usage_record;
pub mod user;
pub mod user_session;
pub mod workspace;
pub mod workspace_addon;
pub mod workspace_directory;

pub use audit_entry::{AuditEntry, NewAuditEntry};
pub use billing_event::{BillingEvent, EventStatus};
pub use capacity_snapshot::CapacitySnapshot;
pub use credit_ledger::{CreditEntry, NewCreditEntry};
pub use invoice::Invoice;
pub use membership::Membership;
pub use user::User;
pub use workspace::Workspace;
pub use workspace_addon::WorkspaceAddon;

use chrono::Timelike;

/// The current time as stored: UTC without an offset, to the microsecond
/// (PostgreSQL keeps microseconds; trimming keeps both backends equal).
pub fn now() -> chrono::NaiveDateTime {
    let now = chrono::Utc::now().naive_utc();
    now.with_nanosecond((now.nanosecond() / 1_000) * 1_000).unwrap_or(now)
}
