//! Growth over a window of days: where a number started, where it is, how fast it moves and
//! where it will be in a month at that pace.

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

use super::Snapshot;

/// The windows the capacity page and API report, in days.
pub const WINDOWS: [i64; 3] = [7, 30, 90];

/// The numbers whose growth is followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    Workspaces,
    PayingWorkspaces,
    Mrr,
    SeatsUsed,
    Users,
    CreditsSpent,
    DatabaseBytes,
}

impl Metric {
    pub const ALL: [Metric; 7] = [
        Metric::Workspaces,
        Metric::PayingWorkspaces,
        Metric::Mrr,
        Metric::SeatsUsed,
        Metric::Users,
        Metric::CreditsSpent,
        Metric::DatabaseBytes,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Metric::Workspaces => "workspaces",
            Metric::PayingWorkspaces => "paying_workspaces",
            Metric::Mrr => "mrr_minor",
            Metric::SeatsUsed => "seats_used",
            Metric::Users => "users",
            Metric::CreditsSpent => "credits_spent",
            Metric::DatabaseBytes => "database_bytes",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Metric::Workspaces => "Workspaces",
            Metric::PayingWorkspaces => "Paying workspaces",
            Metric::Mrr => "MRR (minor units)",
            Metric::SeatsUsed => "Seats used",
            Metric::Users => "Users",
            Metric::CreditsSpent => "Credits spent",
            Metric::DatabaseBytes => "Database size (bytes)",
        }
    }

    pub fn of(self, s: &Snapshot) -> i64 {
        match self {
            Metric::Workspaces => s.workspaces,
            Metric::PayingWorkspaces => s.paying_workspaces,
            Metric::Mrr => s.mrr_minor,
            Metric::SeatsUsed => s.seats_used,
            Metric::Users => s.users,
            Metric::CreditsSpent => s.credits_spent,
            Metric::DatabaseBytes => s.database_bytes,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Trend {
    pub metric: &'static str,
    pub days: i64,
    /// The value at the oldest snapshot inside the window.
    pub start: i64,
    /// The value at the newest snapshot.
    pub current: i64,
    pub change: i64,
    /// `change / start` in percent, one decimal; `None` when the start was zero.
    pub growth_percent: Option<f64>,
    /// Change per day between those two snapshots, two decimals.
    pub daily_rate: f64,
    /// `current` plus thirty days at `daily_rate`.
    pub next_month: i64,
}

/// The trend of `metric` over the last `days` before `now`, from `snapshots` oldest first;
/// `None` without a snapshot in the window.
pub fn trend(snapshots: &[Snapshot], metric: Metric, days: i64, now: DateTime<Utc>) -> Option<Trend> {
    let from = now.checked_sub_signed(TimeDelta::days(days)).unwrap_or(now);
    let first = snapshots.iter().find(|s| s.taken_at >= from && s.taken_at <= now)?;
    let last = snapshots.iter().rev().find(|s| s.taken_at <= now)?;
    let (start, current) = (metric.of(first), metric.of(last));
    let change = current - start;
    let seconds = (last.taken_at - first.taken_at).num_seconds();
    let per_day = if seconds > 0 { change as f64 * 86_400.0 / seconds as f64 } else { 0.0 };
    let projected = (per_day * 30.0).round() as i64;
    Some(Trend {
        metric: metric.as_str(),
        days,
        start,
        current,
        change,
        growth_percent: super::percent(change, start),
        daily_rate: (per_day * 100.0).round() / 100.0,
        next_month: current.saturating_add(projected),
    })
}

/// Every metric over every window in [`WINDOWS`].
pub fn trends(snapshots: &[Snapshot], now: DateTime<Utc>) -> Vec<Trend> {
    WINDOWS.iter().flat_map(|days| Metric::ALL.iter().filter_map(move |m| trend(snapshots, *m, *days, now))).collect()
}
