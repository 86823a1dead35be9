//! Capacity and growth, from the daily snapshots: how full the installation is against its
//! plans' theoretical limits, how fast it grows, and what an operator should do about it.
//! Pure functions over [`Snapshot`]s; `services::capacity` reads them from the database.

mod recommendations;
mod trends;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

pub use recommendations::{Category, Deployment, Recommendation, SQLITE_CUSTOMER_LIMIT, Severity, recommendations};
pub use trends::{Metric, Trend, WINDOWS, trend, trends};

/// One snapshot's numbers.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, utoipa::ToSchema)]
pub struct Snapshot {
    pub taken_at: DateTime<Utc>,
    pub users: i64,
    pub workspaces: i64,
    pub paying_workspaces: i64,
    pub past_due_workspaces: i64,
    pub mrr_minor: i64,
    pub seats_used: i64,
    pub seats_limit: i64,
    pub credits_granted: i64,
    pub credits_spent: i64,
    pub credits_outstanding: i64,
    pub quota_used: i64,
    pub quota_limit: i64,
    pub events_failed: i64,
    pub database_bytes: i64,
    /// Subscription status (`none` without one) → workspaces.
    pub by_status: BTreeMap<String, i64>,
    /// Plan code → workspaces.
    pub by_plan: BTreeMap<String, i64>,
}

/// Use of one resource against its theoretical capacity.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Utilisation {
    /// `seats`, `quotas` or `credits`.
    pub resource: &'static str,
    pub used: i64,
    pub capacity: i64,
    /// `used / capacity` in percent, one decimal; `None` without capacity.
    pub percent: Option<f64>,
    /// What is left before the capacity is reached (never negative).
    pub headroom: i64,
}

/// `part / whole` in percent, rounded to one decimal; `None` when `whole` is not positive.
pub fn percent(part: i64, whole: i64) -> Option<f64> {
    let ratio = (whole > 0).then(|| part as f64 * 100.0 / whole as f64);
    ratio.map(|r| (r * 10.0).round() / 10.0)
}

fn utilisation(resource: &'static str, used: i64, capacity: i64) -> Utilisation {
    Utilisation { resource, used, capacity, percent: percent(used, capacity), headroom: (capacity - used).max(0) }
}

/// Seats against the sum of the plans' seat limits, quota usage against the limits, and
/// credits spent against those granted.
pub fn utilisations(snapshot: &Snapshot) -> Vec<Utilisation> {
    vec![
        utilisation("seats", snapshot.seats_used, snapshot.seats_limit),
        utilisation("quotas", snapshot.quota_used, snapshot.quota_limit),
        utilisation("credits", snapshot.credits_spent, snapshot.credits_granted),
    ]
}

/// Past-due workspaces as a share of paying ones (past due counts as paying), in percent.
pub fn past_due_rate(snapshot: &Snapshot) -> Option<f64> {
    percent(snapshot.past_due_workspaces, snapshot.paying_workspaces)
}

#[cfg(test)]
mod tests;
