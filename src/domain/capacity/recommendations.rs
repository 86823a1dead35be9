//! Scaling recommendations from the latest snapshot and the month's growth: each with a
//! category, a severity, a title, a description and the action to take.

use serde::Serialize;

use super::{Snapshot, Trend, past_due_rate, percent};

/// Up to this many workspaces SQLite serves comfortably; beyond it, PostgreSQL.
pub const SQLITE_CUSTOMER_LIMIT: i64 = 50;
/// Utilisation of a theoretical capacity worth a warning, and worth acting on now.
const HIGH_UTILISATION: f64 = 85.0;
const CRITICAL_UTILISATION: f64 = 95.0;
/// Past-due share of paying workspaces worth a warning, and worth acting on now.
const PAST_DUE_WARNING: f64 = 5.0;
const PAST_DUE_CRITICAL: f64 = 10.0;

/// The database the installation runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deployment {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Capacity,
    Billing,
    Deployment,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Capacity => "capacity",
            Category::Billing => "billing",
            Category::Deployment => "deployment",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Recommendation {
    pub category: Category,
    pub severity: Severity,
    pub title: String,
    pub description: String,
    pub action: String,
}

fn rec(category: Category, severity: Severity, title: String, description: String, action: &str) -> Recommendation {
    Recommendation { category, severity, title, description, action: action.to_owned() }
}

fn by_level(value: f64, warning: f64, critical: f64) -> Option<Severity> {
    if value >= critical {
        Some(Severity::Critical)
    } else if value >= warning {
        Some(Severity::Warning)
    } else {
        None
    }
}

/// What to do, most severe first. `workspaces_month` is the workspace count's 30-day trend,
/// when there is one: a projection past the SQLite tier warns before the count gets there.
pub fn recommendations(
    latest: &Snapshot,
    workspaces_month: Option<&Trend>,
    deployment: Deployment,
) -> Vec<Recommendation> {
    let mut out = Vec::new();
    for (what, used, limit) in
        [("Seat", latest.seats_used, latest.seats_limit), ("Quota", latest.quota_used, latest.quota_limit)]
    {
        let Some(share) = percent(used, limit) else { continue };
        if let Some(severity) = by_level(share, HIGH_UTILISATION, CRITICAL_UTILISATION) {
            out.push(rec(
                Category::Capacity,
                severity,
                format!("{what} utilisation at {share}% of theoretical capacity"),
                format!("{used} of {limit} allowed by the workspaces' plans are in use."),
                "Contact the fullest workspaces about a larger plan, or raise the plan limits in the catalog.",
            ));
        }
    }
    if let Some(rate) = past_due_rate(latest)
        && let Some(severity) = by_level(rate, PAST_DUE_WARNING, PAST_DUE_CRITICAL)
    {
        out.push(rec(
            Category::Billing,
            severity,
            format!("Past-due rate above {PAST_DUE_WARNING}% ({rate}%)"),
            format!(
                "{} of {} paying workspaces have a failed payment.",
                latest.past_due_workspaces, latest.paying_workspaces
            ),
            "Check the provider's retry (dunning) settings and remind the owners to update their cards.",
        ));
    }
    if latest.events_failed > 0 {
        out.push(rec(
            Category::Billing,
            Severity::Warning,
            format!("{} webhook event(s) failed", latest.events_failed),
            "Failed events are retried with backoff, then given up; their workspaces may be out of date.".to_owned(),
            "Look at the failed events and replay them; reconcile heals subscriptions hourly meanwhile.",
        ));
    }
    out.push(deployment_tier(latest.workspaces, workspaces_month.map(|t| t.next_month), deployment));
    out.sort_by_key(|r| std::cmp::Reverse(r.severity));
    out
}

fn deployment_tier(workspaces: i64, projected: Option<i64>, deployment: Deployment) -> Recommendation {
    let limit = SQLITE_CUSTOMER_LIMIT;
    match deployment {
        Deployment::Postgres => rec(
            Category::Deployment,
            Severity::Info,
            "PostgreSQL suits this installation".to_owned(),
            format!("{workspaces} workspaces; PostgreSQL serves any number and several instances."),
            "Nothing to do.",
        ),
        Deployment::Sqlite if workspaces > limit => rec(
            Category::Deployment,
            Severity::Critical,
            format!("Move to PostgreSQL: {workspaces} workspaces is past the SQLite tier"),
            format!("SQLite serves up to about {limit} customers on one instance."),
            "Set DATABASE_URL to a PostgreSQL database and move the data; then more instances can share it.",
        ),
        Deployment::Sqlite if projected.is_some_and(|p| p > limit) => rec(
            Category::Deployment,
            Severity::Warning,
            format!("Plan the move to PostgreSQL: about {} workspaces next month", projected.unwrap_or(workspaces)),
            format!("{workspaces} workspaces today; SQLite serves up to about {limit}."),
            "Prepare a PostgreSQL database before the count passes the SQLite tier.",
        ),
        Deployment::Sqlite => rec(
            Category::Deployment,
            Severity::Info,
            "SQLite suits this installation".to_owned(),
            format!("{workspaces} workspaces; SQLite serves up to about {limit}."),
            "Nothing to do.",
        ),
    }
}
