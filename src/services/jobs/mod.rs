//! Background jobs: retrying pending and failed webhook events, ending expired grace
//! periods, the period-end safety net for a lost cancellation webhook, monthly credits
//! (calendar months for free workspaces, the plan's own monthly cycle for subscribed ones),
//! hourly capacity snapshots, and pruning expired throttle counters and sessions. With
//! several instances on one PostgreSQL database only the holder of the `scheduler` lease
//! runs them, so each job runs once per tick, not once per instance. Every job is
//! idempotent anyway.

mod capacity;
mod free_credits;
mod lapsed;
mod prune;

use std::time::Duration;

use chrono::TimeDelta;
use rand::Rng;

pub use capacity::take_capacity_snapshot;
pub use free_credits::{
    reset_free_monthly_credits, reset_free_monthly_credits_at, settle_subscription_cycles,
    settle_subscription_cycles_at,
};
pub use lapsed::{end_expired_grace, end_expired_grace_at, end_lapsed_cancellations, end_lapsed_cancellations_at};
pub use prune::prune_expired;

use super::clock::{Clocks, clocks_for};
use super::retry_events::retry_due_events;
use crate::db::{DbConnection, write_transaction};
use crate::domain::ids::WorkspaceId;
use crate::error::AppError;
use crate::models::{Workspace, job_lease, now};
use crate::state::AppState;

const LEASE: &str = "scheduler";
/// How long a lease lasts without renewal: a crashed holder is replaced after this.
const LEASE_TTL: TimeDelta = TimeDelta::seconds(90);
const TICK: Duration = Duration::from_secs(30);

/// A name for this process in the lease table.
pub fn instance_id() -> String {
    format!("{}-{}", std::process::id(), rand::thread_rng().gen_range(0..u32::MAX))
}

/// Takes or renews the lease for `holder`. True when `holder` now holds it.
pub fn acquire_lease(conn: &mut DbConnection, holder: &str) -> Result<bool, AppError> {
    write_transaction(conn, |conn| {
        let stamp = now();
        let expires = stamp + LEASE_TTL;
        if job_lease::renew_or_take(conn, LEASE, holder, stamp, expires)? {
            return Ok(true);
        }
        if job_lease::exists(conn, LEASE)? {
            return Ok(false);
        }
        // Another instance creating the lease at the same moment holds it.
        Ok(job_lease::create(conn, LEASE, holder, expires)?)
    })
}

/// Runs the jobs every `TICK` while this instance holds the lease. Never returns.
pub async fn run_scheduler(state: actix_web::web::Data<AppState>) {
    let holder = instance_id();
    let mut interval = actix_web::rt::time::interval(TICK);
    loop {
        interval.tick().await;
        let who = holder.clone();
        match state.db.run(move |conn| acquire_lease(conn, &who)).await {
            Ok(true) => {
                if let Err(e) = run_all(&state).await {
                    log::error!("background jobs failed: {}", e.detail());
                }
            }
            Ok(false) => {}
            Err(e) => log::warn!("could not take the job lease: {}", e.detail()),
        }
    }
}

/// One round of every job (tests call this directly). Time-based jobs decide each workspace at
/// its own "now" (`super::clock`): real time, or its customer's test clock in sandbox mode.
pub async fn run_all(state: &AppState) -> Result<(), AppError> {
    retry_due_events(state, 50).await?;
    let provider = crate::billing::BillingProvider::provider(&state.billing);
    let clocks = if crate::billing::BillingProvider::uses_test_clocks(&state.billing) {
        let customers = state.db.run(move |conn| Ok(Workspace::customers(conn, provider)?)).await?;
        clocks_for(state, customers).await
    } else {
        Clocks::real(chrono::Utc::now())
    };
    state
        .db
        .run(move |conn| {
            end_expired_grace_at(conn, provider, &clocks)?;
            end_lapsed_cancellations_at(conn, provider, &clocks)?;
            reset_free_monthly_credits_at(conn, &clocks)?;
            settle_subscription_cycles_at(conn, &clocks)?;
            take_capacity_snapshot(conn, TimeDelta::hours(1))?;
            prune_expired(conn, now())?;
            Ok(())
        })
        .await
}

/// The time-based jobs for one workspace at `now`, right after its test clock moved, so its
/// pages show the result without waiting for the scheduler's next round. Idempotent like every
/// job; workspaces other than this one are left to the scheduler.
pub async fn run_for_workspace(
    state: &AppState,
    workspace: WorkspaceId,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), AppError> {
    let provider = crate::billing::BillingProvider::provider(&state.billing);
    state.db.run(move |conn| lapsed::run_for_workspace(conn, provider, workspace, now)).await
}
