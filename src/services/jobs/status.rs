//! Where each job stands: its schedule and its latest run, for the jobs page and
//! `tollgate jobs list`.

use chrono::NaiveDateTime;

use crate::db::DbConnection;
use crate::domain::jobs::{ALL, Job};
use crate::error::AppError;
use crate::models::job_run::JobRun;
use crate::models::job_schedule::JobSchedule;

pub struct JobStatus {
    pub job: Job,
    /// When the scheduler runs it next; `None` before any instance's scheduler saw it (then it
    /// is due on the first round).
    pub next_run_at: Option<NaiveDateTime>,
    pub last_run: Option<JobRun>,
}

pub fn job_statuses(conn: &mut DbConnection) -> Result<Vec<JobStatus>, AppError> {
    let schedule = JobSchedule::all(conn)?;
    let mut statuses = Vec::with_capacity(ALL.len());
    for job in ALL {
        statuses.push(JobStatus {
            job,
            next_run_at: schedule.iter().find(|s| s.name == job.as_str()).map(|s| s.next_run_at),
            last_run: JobRun::latest(conn, job.as_str())?,
        });
    }
    Ok(statuses)
}
