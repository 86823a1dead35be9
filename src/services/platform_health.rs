//! Platform health for operators: the capacity snapshots read back as the domain's
//! [`Snapshot`]s, utilisation, growth and recommendations (`domain::capacity`), the jobs'
//! standing, and a snapshot on demand. The admin capacity page and the platform-health JSON
//! API both come through here.

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

use super::jobs::{job_statuses, take_capacity_snapshot};
use crate::db::{Backend, DbConnection, write_transaction};
use crate::domain::capacity::{
    Deployment, Metric, Recommendation, Snapshot, Trend, Utilisation, recommendations, trend, trends, utilisations,
};
use crate::error::AppError;
use crate::models::{CapacitySnapshot, NewAuditEntry};
use crate::state::AppState;

/// The longest window reported.
const HISTORY_DAYS: i64 = 90;

fn utc(at: chrono::NaiveDateTime) -> DateTime<Utc> {
    DateTime::from_naive_utc_and_offset(at, Utc)
}

fn to_domain(row: CapacitySnapshot) -> Snapshot {
    Snapshot {
        taken_at: utc(row.taken_at),
        users: row.users_total,
        workspaces: row.workspaces_total,
        paying_workspaces: row.paying_workspaces,
        past_due_workspaces: row.past_due_workspaces,
        mrr_minor: row.mrr_minor,
        seats_used: row.seats_used,
        seats_limit: row.seats_limit,
        credits_granted: row.credits_granted,
        credits_spent: row.credits_spent,
        credits_outstanding: row.credits_outstanding,
        quota_used: row.quota_used,
        quota_limit: row.quota_limit,
        events_failed: row.events_failed,
        database_bytes: row.database_bytes,
        // Written by the snapshot job from a map; an unreadable one shows as empty.
        by_status: serde_json::from_str(&row.by_status).unwrap_or_default(),
        by_plan: serde_json::from_str(&row.by_plan).unwrap_or_default(),
    }
}

pub fn deployment(state: &AppState) -> Deployment {
    match state.db.backend() {
        Backend::Sqlite => Deployment::Sqlite,
        Backend::Postgres => Deployment::Postgres,
    }
}

/// Everything the capacity page and API show, computed at `now`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Capacity {
    /// The newest snapshot; `None` before the first one.
    pub latest: Option<Snapshot>,
    pub utilisation: Vec<Utilisation>,
    pub trends: Vec<Trend>,
    pub recommendations: Vec<Recommendation>,
    /// The snapshots of the last 90 days, oldest first (the charts' points).
    #[serde(skip)]
    pub history: Vec<Snapshot>,
}

pub fn capacity_at(conn: &mut DbConnection, deployment: Deployment, now: DateTime<Utc>) -> Result<Capacity, AppError> {
    let since = now.checked_sub_signed(TimeDelta::days(HISTORY_DAYS)).unwrap_or(now).naive_utc();
    let history: Vec<Snapshot> = CapacitySnapshot::since(conn, since)?.into_iter().map(to_domain).collect();
    let latest = history.last().cloned();
    let month = trend(&history, Metric::Workspaces, 30, now);
    Ok(Capacity {
        utilisation: latest.as_ref().map(utilisations).unwrap_or_default(),
        trends: trends(&history, now),
        recommendations: latest.as_ref().map(|l| recommendations(l, month.as_ref(), deployment)).unwrap_or_default(),
        latest,
        history,
    })
}

pub async fn capacity(state: &AppState) -> Result<Capacity, AppError> {
    let deployment = deployment(state);
    state.db.run(move |conn| capacity_at(conn, deployment, Utc::now())).await
}

/// One job's standing in the health answer.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct JobHealth {
    pub name: &'static str,
    /// `ok`, `failed` or `running`; `None` before its first run.
    pub last_outcome: Option<String>,
    pub last_run_at: Option<DateTime<Utc>>,
    pub next_run_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok`, or `degraded` when a job's last run failed or webhook events failed.
    pub status: &'static str,
    /// `sqlite` or `postgres`.
    pub database: &'static str,
    pub latest_snapshot_at: Option<DateTime<Utc>>,
    pub events_failed: i64,
    pub jobs: Vec<JobHealth>,
}

pub async fn health(state: &AppState) -> Result<Health, AppError> {
    let database = match deployment(state) {
        Deployment::Sqlite => "sqlite",
        Deployment::Postgres => "postgres",
    };
    state
        .db
        .run(move |conn| {
            let jobs: Vec<JobHealth> = job_statuses(conn)?
                .into_iter()
                .map(|s| JobHealth {
                    name: s.job.as_str(),
                    last_outcome: s.last_run.as_ref().map(|r| r.outcome.clone()),
                    last_run_at: s.last_run.as_ref().map(|r| utc(r.started_at)),
                    next_run_at: s.next_run_at.map(utc),
                })
                .collect();
            let events_failed =
                crate::models::BillingEvent::count_with_status(conn, crate::models::EventStatus::Failed)?;
            let latest = CapacitySnapshot::recent(conn, 1)?.into_iter().next().map(|s| utc(s.taken_at));
            let failing = jobs.iter().any(|j| j.last_outcome.as_deref() == Some("failed"));
            Ok(Health {
                status: if failing || events_failed > 0 { "degraded" } else { "ok" },
                database,
                latest_snapshot_at: latest,
                events_failed,
                jobs,
            })
        })
        .await
}

/// Takes a snapshot now, whatever the day's schedule, audited as `actor`.
pub async fn snapshot_now(
    state: &AppState,
    actor: String,
    actor_user_id: Option<crate::domain::ids::UserId>,
) -> Result<Snapshot, AppError> {
    state
        .db
        .run(move |conn| {
            write_transaction(conn, |conn| {
                take_capacity_snapshot(conn, TimeDelta::zero())?;
                let row = CapacitySnapshot::recent(conn, 1)?
                    .into_iter()
                    .next()
                    .ok_or_else(|| AppError::internal("the snapshot just taken is missing"))?;
                NewAuditEntry {
                    actor: &actor,
                    actor_user_id,
                    action: "capacity.snapshot",
                    subject_type: "capacity_snapshot",
                    subject_id: &row.id.to_string(),
                    workspace_id: None,
                    before_json: None,
                    after_json: None,
                    reason: None,
                }
                .insert(conn)?;
                Ok(to_domain(row))
            })
        })
        .await
}
