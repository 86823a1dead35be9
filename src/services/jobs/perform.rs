//! What each job does when it runs, and what it reports: how many things it changed and a
//! sentence for the jobs page and the command line.

use chrono::{TimeDelta, Utc};

use super::super::clock::{Clocks, clocks_for};
use super::super::reconcile::{self, Scope};
use super::super::retry_events::retry_due_events;
use super::capacity::take_capacity_snapshot;
use super::free_credits::{reset_free_monthly_credits_at, settle_subscription_cycles_at};
use super::lapsed::{end_expired_grace_at, end_lapsed_cancellations_at};
use super::prune::{prune_expired, prune_job_runs};
use crate::billing::BillingProvider;
use crate::domain::jobs::Job;
use crate::error::AppError;
use crate::models::{Workspace, now};
use crate::state::AppState;

/// How many events one retry run takes on; the rest wait for the next minute.
const RETRY_BATCH: i64 = 50;

/// A finished run: how many things changed, and what happened in a sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Done {
    pub changes: i64,
    pub message: String,
}

impl Done {
    fn new(changes: usize, message: impl Into<String>) -> Done {
        Done { changes: i64::try_from(changes).unwrap_or(i64::MAX), message: message.into() }
    }
}

/// Each workspace's "now": real time, or its customer's test clock in sandbox mode.
async fn clocks(state: &AppState) -> Result<Clocks, AppError> {
    if !state.billing.uses_test_clocks() {
        return Ok(Clocks::real(Utc::now()));
    }
    let provider = state.billing.provider();
    let customers = state.db.run(move |conn| Ok(Workspace::customers(conn, provider)?)).await?;
    Ok(clocks_for(state, customers).await)
}

pub async fn perform(state: &AppState, job: Job) -> Result<Done, AppError> {
    let provider = state.billing.provider();
    match job {
        Job::RetryFailedEvents => {
            let retried = retry_due_events(state, RETRY_BATCH).await?;
            Ok(Done::new(retried, format!("{retried} event(s) retried")))
        }
        Job::Reconcile => reconciled(state, Scope::Paid, "job:reconcile").await,
        Job::CheckTrialExpirations => reconciled(state, Scope::TrialsEnded, "job:check_trial_expirations").await,
        Job::ExpireGracePeriods => {
            let clocks = clocks(state).await?;
            let ended = state.db.run(move |conn| end_expired_grace_at(conn, provider, &clocks)).await?;
            Ok(Done::new(ended, format!("{ended} grace period(s) ended")))
        }
        Job::CleanupStaleSubscriptions => {
            let clocks = clocks(state).await?;
            let ended = state.db.run(move |conn| end_lapsed_cancellations_at(conn, provider, &clocks)).await?;
            Ok(Done::new(ended, format!("{ended} lapsed cancellation(s) ended")))
        }
        Job::ResetPeriodCounters => {
            let clocks = clocks(state).await?;
            let (free, subscribed) = state
                .db
                .run(move |conn| {
                    Ok((reset_free_monthly_credits_at(conn, &clocks)?, settle_subscription_cycles_at(conn, &clocks)?))
                })
                .await?;
            Ok(Done::new(
                free + subscribed,
                format!("{free} free and {subscribed} subscribed workspace(s) moved to a new cycle"),
            ))
        }
        Job::CaptureCapacitySnapshot => {
            let taken = state.db.run(|conn| take_capacity_snapshot(conn, TimeDelta::hours(23))).await?;
            Ok(Done::new(usize::from(taken), if taken { "snapshot taken" } else { "today's snapshot exists" }))
        }
        Job::Prune => {
            let (counters, sessions, runs) = state
                .db
                .run(|conn| {
                    let (counters, sessions) = prune_expired(conn, now())?;
                    Ok((counters, sessions, prune_job_runs(conn, now())?))
                })
                .await?;
            Ok(Done::new(
                counters + sessions + runs,
                format!("{counters} throttle counter(s), {sessions} session(s) and {runs} old job run(s) deleted"),
            ))
        }
    }
}

/// Reconciles the workspaces in `scope`; a workspace the provider could not be asked about
/// fails the run (after the others were done), saying which.
async fn reconciled(state: &AppState, scope: Scope, actor: &str) -> Result<Done, AppError> {
    let report = reconcile::reconcile(state, scope, actor).await?;
    let message = report.summary();
    if report.failures.is_empty() {
        Ok(Done::new(report.healed.len(), message))
    } else {
        Err(AppError::internal(message))
    }
}
