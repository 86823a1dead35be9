//! `GET /admin/jobs`: each background job's last run (when, how long, outcome, what it
//! changed) and next run; `POST /admin/jobs/{name}/run` runs one now (CSRF-checked, audited).

use actix_web::{HttpResponse, web};
use askama::Template;

use crate::domain::jobs::{Job, Outcome};
use crate::error::{AppError, AppResult};
use crate::services::jobs::{JobStatus, job_statuses, run_now_for_admin};
use crate::state::AppState;
use crate::web::{AdminAccess, CsrfForm, FlashKind, Layout, page, redirect, set_flash};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/jobs", web::get().to(show)).route("/jobs/{name}/run", web::post().to(run_now));
}

pub struct JobRow {
    pub name: &'static str,
    pub description: &'static str,
    pub every: String,
    pub last_run: String,
    pub duration: String,
    pub outcome: String,
    pub message: String,
    pub next_run: String,
}

#[derive(Template)]
#[template(path = "admin/jobs.html")]
struct JobsPage {
    layout: Layout,
    jobs: Vec<JobRow>,
}

fn stamp(at: chrono::NaiveDateTime) -> String {
    at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

fn row(status: JobStatus) -> JobRow {
    let every = status.job.interval();
    let run = status.last_run.as_ref();
    JobRow {
        name: status.job.as_str(),
        description: status.job.description(),
        every: if every.num_hours() >= 1 {
            format!("every {} h", every.num_hours())
        } else {
            format!("every {} min", every.num_minutes())
        },
        last_run: run.map_or_else(|| "never".to_owned(), |r| format!("{} ({})", stamp(r.started_at), r.run_by)),
        duration: run
            .and_then(|r| r.finished_at.map(|f| f - r.started_at))
            .map_or_else(String::new, |d| format!("{:.3} s", d.num_milliseconds() as f64 / 1000.0)),
        outcome: run.map_or_else(String::new, |r| r.outcome.clone()),
        message: run.map_or_else(String::new, |r| format!("{} change(s): {}", r.changes, r.message)),
        next_run: status.next_run_at.map_or_else(|| "at the scheduler's next round".to_owned(), stamp),
    }
}

async fn show(state: web::Data<AppState>, admin: AdminAccess) -> AppResult<HttpResponse> {
    let statuses = state.db.run(job_statuses).await?;
    page(&JobsPage { layout: Layout::for_admin("Jobs", &admin), jobs: statuses.into_iter().map(row).collect() })
}

async fn run_now(
    state: web::Data<AppState>,
    admin: AdminAccess,
    name: web::Path<String>,
    _form: CsrfForm<serde::de::IgnoredAny>,
) -> AppResult<HttpResponse> {
    let job = Job::parse(&name).ok_or(AppError::NotFound)?;
    let report = run_now_for_admin(&state, job, admin.user.email.clone(), admin.user.id).await?;
    let (kind, verdict) = match report.outcome {
        Outcome::Ok => (FlashKind::Success, "done"),
        Outcome::Failed | Outcome::Running => (FlashKind::Error, "failed"),
    };
    set_flash(&admin.session, kind, format!("{} {verdict}: {}", job.as_str(), report.message));
    Ok(redirect("/admin/jobs"))
}
