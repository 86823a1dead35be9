//! The admin overview's numbers: MRR, subscriptions by status and by plan, trials and how
//! many convert, churn and upgrades over the last 30 days (from `plan_changes`).

use chrono::TimeDelta;

use crate::db::DbConnection;
use crate::domain::catalog::Plan;
use crate::domain::normalized::SubscriptionStatus;
use crate::domain::plan_history::{ChangeKind, mrr_contribution};
use crate::error::AppError;
use crate::models::{now, plan_change, workspace_directory};
use crate::state::AppState;

/// The window the overview's movement counts cover.
pub const WINDOW_DAYS: i64 = 30;

#[derive(Debug, Clone, Default)]
pub struct Overview {
    /// Monthly recurring revenue by currency, in minor units.
    pub mrr: Vec<(String, i64)>,
    /// Workspaces by subscription status (`None`: never subscribed).
    pub by_status: Vec<(Option<SubscriptionStatus>, i64)>,
    /// Workspaces by plan, in catalog order.
    pub by_plan: Vec<(Plan, i64)>,
    pub trialing_now: i64,
    /// Movements over the last `WINDOW_DAYS` days.
    pub trials_started: i64,
    pub trials_converted: i64,
    /// Trials that ended without paying.
    pub trials_lapsed: i64,
    pub new_subscriptions: i64,
    pub upgrades: i64,
    pub downgrades: i64,
    /// Paid subscriptions (trials excluded) that ended.
    pub churned: i64,
}

impl Overview {
    /// Converted trials out of the trials that ended, in percent; `None` before any ended.
    pub fn trial_conversion_percent(&self) -> Option<i64> {
        let ended = self.trials_converted + self.trials_lapsed;
        (ended > 0).then(|| self.trials_converted * 100 / ended)
    }
}

pub async fn overview(state: &AppState) -> Result<Overview, AppError> {
    state.db.run(|conn| Ok(read(conn)?)).await
}

fn read(conn: &mut DbConnection) -> diesel::QueryResult<Overview> {
    let plans = Plan::all(conn)?;
    let mut mrr: Vec<(String, i64)> = Vec::new();
    for (status, interval, currency, month, year) in workspace_directory::revenue_rows(conn)? {
        let amount = mrr_contribution(status, interval, month, year);
        match mrr.iter_mut().find(|(c, _)| *c == currency) {
            Some((_, total)) => *total += amount,
            None => mrr.push((currency, amount)),
        }
    }
    let mut by_status = workspace_directory::count_by_status(conn)?;
    by_status.sort_by_key(|(status, _)| status.map(|s| s.as_str()));
    let counts = workspace_directory::count_by_plan(conn)?;
    let by_plan = plans
        .into_iter()
        .filter_map(|plan| counts.iter().find(|(id, _)| *id == plan.id).map(|(_, n)| (plan, *n)))
        .collect();
    let trialing_now = by_status.iter().filter(|(s, _)| *s == Some(SubscriptionStatus::Trialing)).map(|(_, n)| n).sum();
    let mut overview = Overview { mrr, by_status, by_plan, trialing_now, ..Overview::default() };
    for change in plan_change::counts_since(conn, now() - TimeDelta::days(WINDOW_DAYS))? {
        let from_trial = change.from_status == Some(SubscriptionStatus::Trialing);
        let slot = match ChangeKind::parse(&change.kind) {
            Some(ChangeKind::TrialStarted) => &mut overview.trials_started,
            Some(ChangeKind::TrialConverted) => &mut overview.trials_converted,
            Some(ChangeKind::NewSubscription) => &mut overview.new_subscriptions,
            Some(ChangeKind::Upgrade) => &mut overview.upgrades,
            Some(ChangeKind::Downgrade) => &mut overview.downgrades,
            Some(ChangeKind::Churn) if from_trial => &mut overview.trials_lapsed,
            Some(ChangeKind::Churn) => &mut overview.churned,
            Some(ChangeKind::StatusChange) | None => continue,
        };
        *slot += change.count;
    }
    Ok(overview)
}
