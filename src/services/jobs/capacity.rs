//! Capacity snapshots: what the installation holds, recorded periodically so trends can be
//! read later.

use chrono::TimeDelta;

use crate::db::DbConnection;
use crate::domain::money::Interval;
use crate::error::AppError;
use crate::models::capacity_snapshot::NewCapacitySnapshot;
use crate::models::{BillingEvent, CapacitySnapshot, CreditEntry, EventStatus, User, Workspace, now};

/// Records counts at most once per `every`; true when it recorded.
pub fn take_capacity_snapshot(conn: &mut DbConnection, every: TimeDelta) -> Result<bool, AppError> {
    let latest = CapacitySnapshot::recent(conn, 1)?;
    if latest.first().is_some_and(|s| s.taken_at > now() - every) {
        return Ok(false);
    }
    let paying = Workspace::paying_prices(conn)?;
    let mrr: i64 = paying
        .iter()
        .map(|(interval, month, year)| match interval {
            Some(Interval::Year) => year.unwrap_or(0) / 12,
            _ => month.unwrap_or(0),
        })
        .sum();
    NewCapacitySnapshot {
        taken_at: now(),
        users_total: User::count(conn)?,
        workspaces_total: Workspace::count(conn)?,
        paying_workspaces: i64::try_from(paying.len()).unwrap_or(i64::MAX),
        mrr_minor: mrr,
        credits_outstanding: CreditEntry::outstanding(conn)?,
        events_last_day: BillingEvent::count_since(conn, now() - TimeDelta::days(1))?,
        events_failed: BillingEvent::count_with_status(conn, EventStatus::Failed)?,
    }
    .insert(conn)?;
    Ok(true)
}
