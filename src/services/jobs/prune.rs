//! Forgets what has expired: throttle counters whose window ended (the next hit would
//! start a new one anyway) and sessions past their expiry (no cookie can use them), so
//! neither table grows with every visitor ever seen; and job runs older than a month (the
//! jobs page shows the latest, and a minutely job would otherwise add 1,440 rows a day).

use chrono::{NaiveDateTime, TimeDelta};

use crate::db::DbConnection;
use crate::error::AppError;
use crate::models::{job_run, rate_limit, user_session};

/// Deletes both kinds of expired rows; answers (counters, sessions) deleted.
pub fn prune_expired(conn: &mut DbConnection, now: NaiveDateTime) -> Result<(usize, usize), AppError> {
    let counters = rate_limit::prune(conn, now)?;
    let sessions = user_session::prune(conn, now)?;
    Ok((counters, sessions))
}

/// How long job runs are kept.
pub const JOB_RUNS_KEPT: TimeDelta = TimeDelta::days(30);

/// Deletes job runs older than [`JOB_RUNS_KEPT`]; how many.
pub fn prune_job_runs(conn: &mut DbConnection, now: NaiveDateTime) -> Result<usize, AppError> {
    Ok(job_run::prune(conn, now - JOB_RUNS_KEPT)?)
}
