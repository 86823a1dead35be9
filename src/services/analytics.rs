//! What the analytics page (and its JSON twin) shows: credits spent per day over the current
//! and the last period, seats, and each limit's use in both periods.

use std::collections::BTreeMap;

use chrono::{NaiveDate, Utc};
use serde::Serialize;

use super::credits::settle_now;
use super::entitlements::{WorkspaceEntitlements, entitlements_in};
use crate::domain::entitlements::Allowance;
use crate::domain::ids::WorkspaceId;
use crate::error::AppError;
use crate::models::Workspace;
use crate::models::credit_spend::CreditSpend;
use crate::models::usage_record::UsageRecord;
use crate::state::AppState;

/// Credits spent on one day; `current` when the day is in the current period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DaySpend {
    pub date: NaiveDate,
    pub credits: i64,
    pub current: bool,
}

/// One limit's use: last period, this period, and the plan's limit (`None` = unlimited).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct QuotaUse {
    pub metric: String,
    pub limit: Option<i64>,
    pub last_period: i64,
    pub current_period: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AnalyticsData {
    pub period_start: chrono::DateTime<Utc>,
    pub period_end: chrono::DateTime<Utc>,
    pub last_period_start: chrono::DateTime<Utc>,
    /// Every day from the last period's start to today, oldest first.
    pub credits_spent_per_day: Vec<DaySpend>,
    pub seats: Allowance,
    pub quotas: Vec<QuotaUse>,
}

pub async fn analytics(
    state: &AppState,
    workspace_id: WorkspaceId,
) -> Result<(WorkspaceEntitlements, AnalyticsData), AppError> {
    state
        .db
        .run(move |conn| {
            let now = Utc::now();
            settle_now(conn, workspace_id, now)?;
            let ws = Workspace::find(conn, workspace_id)?;
            let snap = entitlements_in(conn, ws, now)?;
            let (start, last_start) = (snap.cycle.start, snap.cycle.previous_start());
            let spent: BTreeMap<NaiveDate, i64> =
                CreditSpend::spent_by_day(conn, workspace_id, last_start.naive_utc())?.into_iter().collect();
            let last: BTreeMap<String, i64> =
                UsageRecord::used_between(conn, workspace_id, last_start.naive_utc(), start.naive_utc())?
                    .into_iter()
                    .collect();
            let today = now.date_naive().max(start.date_naive());
            let days = last_start.date_naive().iter_days().take_while(|d| *d <= today);
            let data = AnalyticsData {
                period_start: start,
                period_end: snap.cycle.end,
                last_period_start: last_start,
                credits_spent_per_day: days
                    .map(|date| DaySpend {
                        date,
                        credits: spent.get(&date).copied().unwrap_or(0),
                        current: date >= start.date_naive(),
                    })
                    .collect(),
                seats: snap.entitlements.seats,
                quotas: snap
                    .entitlements
                    .limits
                    .iter()
                    .map(|(metric, allowance)| QuotaUse {
                        metric: metric.clone(),
                        limit: allowance.limit,
                        last_period: last.get(metric).copied().unwrap_or(0),
                        current_period: allowance.used,
                    })
                    .collect(),
            };
            Ok((snap, data))
        })
        .await
}
