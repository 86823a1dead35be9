//! Background jobs (`domain::jobs::Job`): reconciling paid workspaces with their provider,
//! retrying webhook events, ending expired grace periods and trials, the safety net for lost
//! cancellations, monthly credits, the daily capacity snapshot and pruning.
//!
//! Every instance runs the scheduler. Each job has a row in `jobs` saying when it is next
//! due; an instance runs a due job only after claiming that slot with one conditional UPDATE
//! (`JobSchedule::claim`), so with several instances on one PostgreSQL database each due run
//! happens exactly once, on whichever instance claimed it — and a crashed instance holds
//! nothing up. Every job is idempotent anyway, and every run is recorded in `job_runs`.

mod capacity;
mod free_credits;
mod lapsed;
mod perform;
mod prune;
mod status;

use std::time::Duration;

use rand::Rng;

pub use capacity::take_capacity_snapshot;
pub use free_credits::{
    reset_free_monthly_credits, reset_free_monthly_credits_at, settle_subscription_cycles,
    settle_subscription_cycles_at,
};
pub use lapsed::{end_expired_grace, end_expired_grace_at, end_lapsed_cancellations, end_lapsed_cancellations_at};
pub use perform::Done;
pub use prune::prune_expired;
pub use status::{JobStatus, job_statuses};

use crate::domain::ids::WorkspaceId;
use crate::domain::jobs::{ALL, Job, Outcome, RunBy};
use crate::error::AppError;
use crate::models::job_run::{JobRun, NewJobRun};
use crate::models::job_schedule::JobSchedule;
use crate::models::now;
use crate::state::AppState;

const TICK: Duration = Duration::from_secs(30);

/// A name for this process in `job_runs` and `jobs.claimed_by`.
pub fn instance_id() -> String {
    format!("{}-{}", std::process::id(), rand::thread_rng().gen_range(0..u32::MAX))
}

/// A recorded run: its row in `job_runs` and how it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunReport {
    pub run_id: i64,
    pub job: Job,
    pub outcome: Outcome,
    pub changes: i64,
    pub message: String,
}

/// Runs due jobs every `TICK`. Never returns.
pub async fn run_scheduler(state: actix_web::web::Data<AppState>) {
    let instance = instance_id();
    let mut interval = actix_web::rt::time::interval(TICK);
    loop {
        interval.tick().await;
        if let Err(e) = tick(&state, &instance).await {
            log::warn!("the job scheduler could not read its schedule: {}", e.detail());
        }
    }
}

/// One scheduler round on `instance`: claims each due job and runs the ones it got. Returns
/// the runs it made. A job's first slot is due at once.
pub async fn tick(state: &AppState, instance: &str) -> Result<Vec<RunReport>, AppError> {
    let mut reports = Vec::new();
    for job in ALL {
        let holder = instance.to_owned();
        let claimed = state
            .db
            .run(move |conn| {
                let at = chrono::Utc::now();
                JobSchedule::ensure(conn, job.as_str(), at.naive_utc())?;
                Ok(JobSchedule::claim(conn, job.as_str(), &holder, at.naive_utc(), job.next_after(at).naive_utc())?)
            })
            .await?;
        if claimed {
            reports.push(run_job(state, job, RunBy::Schedule, instance).await?);
        }
    }
    Ok(reports)
}

/// Runs `job` once now, whatever its schedule, and records the run. A job's own failure is
/// recorded as a failed run (and returned as such); only failing to record is an error.
pub async fn run_job(state: &AppState, job: Job, run_by: RunBy, instance: &str) -> Result<RunReport, AppError> {
    let instance = instance.to_owned();
    let run_id = state
        .db
        .run(move |conn| {
            Ok(NewJobRun {
                job: job.as_str(),
                run_by: run_by.as_str(),
                instance: &instance,
                started_at: now(),
                outcome: Outcome::Running.as_str(),
            }
            .insert(conn)?)
        })
        .await?;
    let (outcome, changes, message) = match perform::perform(state, job).await {
        Ok(done) => (Outcome::Ok, done.changes, done.message),
        Err(e) => {
            log::error!("job {} failed: {}", job.as_str(), e.detail());
            (Outcome::Failed, 0, e.detail())
        }
    };
    let text = message.clone();
    state.db.run(move |conn| Ok(JobRun::finish(conn, run_id, now(), outcome.as_str(), changes, &text)?)).await?;
    Ok(RunReport { run_id, job, outcome, changes, message })
}

/// One run of every job, in order, regardless of schedule (tests and the command line).
pub async fn run_all(state: &AppState) -> Result<Vec<RunReport>, AppError> {
    let instance = instance_id();
    let mut reports = Vec::new();
    for job in ALL {
        reports.push(run_job(state, job, RunBy::CommandLine, &instance).await?);
    }
    Ok(reports)
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

/// Runs `job` now for an administrator, and audits it with its outcome.
pub async fn run_now_for_admin(
    state: &AppState,
    job: Job,
    admin_email: String,
    admin_id: crate::domain::ids::UserId,
) -> Result<RunReport, AppError> {
    let report = run_job(state, job, RunBy::Admin, &instance_id()).await?;
    let after = serde_json::json!({
        "run": report.run_id,
        "outcome": report.outcome.as_str(),
        "changes": report.changes,
        "message": report.message,
    })
    .to_string();
    state
        .db
        .run(move |conn| {
            crate::models::NewAuditEntry {
                actor: &admin_email,
                actor_user_id: Some(admin_id),
                action: "job.run",
                subject_type: "job",
                subject_id: job.as_str(),
                workspace_id: None,
                before_json: None,
                after_json: Some(after),
                reason: None,
            }
            .insert(conn)?;
            Ok(())
        })
        .await?;
    Ok(report)
}
