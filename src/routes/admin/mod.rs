//! The admin console under `/admin`, for instance administrators only (`AdminAccess`):
//! every other visitor gets a 404 for every address here, matched or not.

mod capacity;
mod catalog;
mod catalog_forms;
mod events;
mod jobs;
mod overview;
mod views;
mod workspaces;

use actix_web::{HttpResponse, web};
use askama::Template;

use crate::error::{AppError, AppResult};
use crate::models::{AuditEntry, instance_admin};
use crate::state::AppState;
use crate::web::{AdminAccess, Layout, format_date, page};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/admin")
            .route("", web::get().to(home))
            .route("/", web::get().to(home))
            .configure(jobs::configure)
            .configure(capacity::configure)
            .configure(workspaces::configure)
            .configure(events::configure)
            .configure(catalog::configure)
            // Unknown admin addresses look like any other unknown address.
            .default_service(web::to(not_found)),
    );
}

async fn not_found() -> Result<HttpResponse, AppError> {
    Err(AppError::NotFound)
}

pub struct AuditRow {
    pub when: String,
    pub actor: String,
    pub action: String,
    pub subject: String,
}

#[derive(Template)]
#[template(path = "admin/home.html")]
struct HomePage {
    layout: Layout,
    admins: Vec<String>,
    audit: Vec<AuditRow>,
    overview: overview::OverviewView,
}

async fn home(state: web::Data<AppState>, admin: AdminAccess) -> AppResult<HttpResponse> {
    let (granted, recent) =
        state.db.run(|conn| Ok((instance_admin::emails(conn)?, AuditEntry::recent(conn, 20)?))).await?;
    let mut admins = state.config.admin_emails.clone();
    admins.extend(granted.into_iter().filter(|e| !state.config.admin_emails.contains(e)));
    let overview = overview::section(&state).await?;
    page(&HomePage {
        layout: Layout::for_admin("Administration", &admin),
        overview,
        admins,
        audit: recent
            .into_iter()
            .map(|e| AuditRow {
                when: format!("{} {}", format_date(&e.created_at), e.created_at.format("%H:%M")),
                actor: e.actor,
                action: e.action,
                subject: format!("{} {}", e.subject_type, e.subject_id),
            })
            .collect(),
    })
}
