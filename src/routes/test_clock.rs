//! `GET /w/{id}/billing/clock`: the workspace's test clock (sandbox mode only; 404 with real
//! providers), its subscriptions at the provider and its billing events; `POST` moves the clock
//! (owners and admins, CSRF-checked). A refused move (too far, bad number) shows the page again
//! with the reason, as 422.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::error::{AppError, AppResult};
use crate::services::test_clock::{MAX_DAYS, Step, advance_clock, clock_view};
use crate::state::AppState;
use crate::web::{CsrfForm, FlashKind, Layout, WorkspaceAccess, format_date, redirect, render, set_flash};

pub struct SubscriptionRow {
    pub name: String,
    pub status: String,
    pub period: String,
}

pub struct EventRow {
    pub event_type: String,
    pub status: String,
    pub received: String,
}

#[derive(Template)]
#[template(path = "workspace/clock.html")]
struct ClockPage {
    layout: Layout,
    workspace_id: i64,
    workspace_name: String,
    can_manage: bool,
    /// The clock's time, `12 Jan 2027 09:30 UTC`; `None` before the first checkout.
    clock: Option<String>,
    next_renewal: Option<String>,
    subscriptions: Vec<SubscriptionRow>,
    events: Vec<EventRow>,
    max_days: i64,
    error: Option<String>,
}

async fn page(state: &AppState, access: &WorkspaceAccess, error: Option<String>) -> AppResult<ClockPage> {
    let view = clock_view(state, &access.workspace).await?;
    let time = |t: chrono::DateTime<chrono::Utc>| t.format("%-d %b %Y %H:%M UTC").to_string();
    Ok(ClockPage {
        layout: Layout::for_workspace("Test clock", access),
        workspace_id: access.workspace.id.0,
        workspace_name: access.workspace.name.clone(),
        can_manage: access.role.can_manage(),
        clock: view.clock.as_ref().map(|c| time(c.now())),
        next_renewal: view.next_renewal.map(|t| format_date(&t.naive_utc())),
        subscriptions: view
            .subscriptions
            .into_iter()
            .map(|(sub, name)| SubscriptionRow {
                status: sub.status.map_or("unknown", |s| s.as_str()).replace('_', " "),
                period: match (sub.current_period_end, sub.cancel_at_period_end) {
                    (Some(end), Some(true)) => format!("ends {}", format_date(&end.naive_utc())),
                    (Some(end), _) => format!("period ends {}", format_date(&end.naive_utc())),
                    (None, _) => String::new(),
                },
                name,
            })
            .collect(),
        events: view
            .events
            .into_iter()
            .map(|e| EventRow {
                event_type: e.event_type,
                status: e.status.as_str().to_owned(),
                received: format_date(&e.received_at),
            })
            .collect(),
        max_days: MAX_DAYS,
        error,
    })
}

pub async fn show(state: web::Data<AppState>, access: WorkspaceAccess) -> AppResult<HttpResponse> {
    render(&page(&state, &access, None).await?, StatusCode::OK)
}

#[derive(Deserialize)]
pub struct AdvanceForm {
    step: String,
    days: Option<String>,
}

pub async fn advance(
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    CsrfForm(form): CsrfForm<AdvanceForm>,
) -> AppResult<HttpResponse> {
    let moved = match Step::parse(&form.step, form.days.as_deref()) {
        Ok(step) => advance_clock(&state, access.workspace.id, access.role, step).await,
        Err(e) => Err(e),
    };
    match moved {
        Ok(clock) => {
            let now = clock.now().format("%-d %b %Y %H:%M UTC");
            set_flash(&access.session, FlashKind::Success, format!("The test clock now reads {now}."));
            Ok(redirect(&format!("/w/{}/billing/clock", access.workspace.id)))
        }
        Err(AppError::Validation(message)) => {
            render(&page(&state, &access, Some(message)).await?, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(other) => Err(other),
    }
}
