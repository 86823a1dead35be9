//! Capacity snapshots: what the installation holds, recorded daily so trends can be read
//! later — the tier distribution, seats against the plans' seat limits, credits, quota usage
//! against limits, MRR and the database's size.

use std::collections::BTreeMap;

use chrono::{TimeDelta, Utc};

use crate::db::DbConnection;
use crate::domain::money::Interval;
use crate::error::AppError;
use crate::models::capacity_snapshot::{self as facts, NewCapacitySnapshot};
use crate::models::{BillingEvent, CapacitySnapshot, CreditEntry, EventStatus, User, Workspace, now};
use crate::services::entitlements::entitlements_in;

/// Records a snapshot unless one was taken within `every` (zero: always); true when it did.
pub fn take_capacity_snapshot(conn: &mut DbConnection, every: TimeDelta) -> Result<bool, AppError> {
    let latest = CapacitySnapshot::recent(conn, 1)?;
    if every > TimeDelta::zero() && latest.first().is_some_and(|s| s.taken_at > now() - every) {
        return Ok(false);
    }
    measure(conn)?.insert(conn)?;
    Ok(true)
}

fn measure(conn: &mut DbConnection) -> Result<NewCapacitySnapshot, AppError> {
    let paying = Workspace::paying_prices(conn)?;
    let mrr: i64 = paying
        .iter()
        .map(|(interval, month, year)| match interval {
            Some(Interval::Year) => year.unwrap_or(0) / 12,
            _ => month.unwrap_or(0),
        })
        .sum();
    let by_status: BTreeMap<String, i64> = facts::workspaces_by_status(conn)?
        .into_iter()
        .map(|(status, n)| (status.map_or("none", |s| s.as_str()).to_owned(), n))
        .collect();
    let by_plan: BTreeMap<String, i64> = facts::workspaces_by_plan(conn)?.into_iter().collect();
    let usage = usage_against_limits(conn)?;
    Ok(NewCapacitySnapshot {
        taken_at: now(),
        users_total: User::count(conn)?,
        workspaces_total: Workspace::count(conn)?,
        paying_workspaces: i64::try_from(paying.len()).unwrap_or(i64::MAX),
        mrr_minor: mrr,
        credits_outstanding: CreditEntry::outstanding(conn)?,
        events_last_day: BillingEvent::count_since(conn, now() - TimeDelta::days(1))?,
        events_failed: BillingEvent::count_with_status(conn, EventStatus::Failed)?,
        past_due_workspaces: by_status.get("past_due").copied().unwrap_or(0),
        by_status: serde_json::to_string(&by_status).map_err(|e| AppError::internal(e.to_string()))?,
        by_plan: serde_json::to_string(&by_plan).map_err(|e| AppError::internal(e.to_string()))?,
        seats_used: usage.seats_used,
        seats_limit: usage.seats_limit,
        credits_granted: facts::credits_granted(conn)?,
        credits_spent: facts::credits_spent(conn)?,
        quota_used: usage.quota_used,
        quota_limit: usage.quota_limit,
        database_bytes: facts::database_bytes(conn)?,
    })
}

#[derive(Default)]
struct Usage {
    seats_used: i64,
    seats_limit: i64,
    quota_used: i64,
    quota_limit: i64,
}

/// Seats and quotas as the entitlements answer states them, summed over the workspaces whose
/// plan limits them (unlimited ones have no theoretical capacity to compare with).
fn usage_against_limits(conn: &mut DbConnection) -> Result<Usage, AppError> {
    let at = Utc::now();
    let mut usage = Usage::default();
    for ws in facts::all_workspaces(conn)? {
        let answer = entitlements_in(conn, ws, at)?.entitlements;
        if let Some(limit) = answer.seats.limit {
            usage.seats_used += answer.seats.used;
            usage.seats_limit += limit;
        }
        for allowance in answer.limits.values() {
            if let Some(limit) = allowance.limit {
                usage.quota_used += allowance.used;
                usage.quota_limit += limit;
            }
        }
    }
    Ok(usage)
}
