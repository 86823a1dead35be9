//! One file per table: the row struct (`X`), the insert struct (`NewX`) and the queries
//! that belong to it, as associated functions returning `QueryResult`.

pub mod addon;
pub mod billing_event;
pub mod capacity_snapshot;
pub mod credit_ledger;
pub mod credit_pack;
pub mod invoice;
pub mod membership;
pub mod plan;
pub mod user;
pub mod workspace;

pub use addon::{Addon, WorkspaceAddon};
pub use billing_event::BillingEvent;
pub use capacity_snapshot::CapacitySnapshot;
pub use credit_ledger::{CreditBalance, CreditBucket, CreditEntry};
pub use credit_pack::CreditPack;
pub use invoice::Invoice;
pub use membership::{Membership, Role};
pub use plan::Plan;
pub use user::User;
pub use workspace::Workspace;

/// The current time as stored: UTC without an offset, to the microsecond
/// (PostgreSQL keeps microseconds; trimming keeps both backends equal).
pub fn now() -> chrono::NaiveDateTime {
    let now = chrono::Utc::now().naive_utc();
    now.with_nanosecond((now.nanosecond() / 1_000) * 1_000).unwrap_or(now)
}

use chrono::Timelike;
