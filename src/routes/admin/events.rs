//! `/admin/events`: the webhook event log, filtered by provider, type, status, workspace
//! and date, paginated; `/admin/events/{id}`: one event's payload (escaped, pretty JSON),
//! its audit entries, and for a pending or failed event the replay and ignore forms.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::views::{AuditView, Pager, audit_views, maybe_when, operator, query, when};
use crate::domain::admin_query::{EVENT_STATUSES, EventFilter, EventFilterInput, Page};
use crate::error::AppResult;
use crate::models::BillingEvent;
use crate::models::billing_event_search::EventRow;
use crate::services::console::bad_field;
use crate::services::console::dismiss_event::dismiss;
use crate::services::console::events::{detail, list};
use crate::services::console::replay_event::{Replayed, replay};
use crate::state::AppState;
use crate::web::{AdminAccess, AdminForm, FlashKind, Layout, page, redirect, set_flash};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/events", web::get().to(index))
        .route("/events/{id}", web::get().to(show))
        .route("/events/{id}/replay", web::post().to(replay_one))
        .route("/events/{id}/ignore", web::post().to(ignore_one));
}

#[derive(Deserialize, Default)]
struct FilterQuery {
    provider: Option<String>,
    #[serde(rename = "type")]
    event_type: Option<String>,
    status: Option<String>,
    workspace: Option<String>,
    from: Option<String>,
    to: Option<String>,
    page: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/events.html")]
struct ListPage {
    layout: Layout,
    query: FilterQuery,
    statuses: [&'static str; 5],
    rows: Vec<EventRow>,
    pager: Pager,
}

impl ListPage {
    fn time(&self, at: &chrono::NaiveDateTime) -> String {
        when(at)
    }

    fn value<'a>(&self, v: &'a Option<String>) -> &'a str {
        v.as_deref().unwrap_or_default()
    }
}

async fn index(state: web::Data<AppState>, admin: AdminAccess, req: HttpRequest) -> AppResult<HttpResponse> {
    let query: FilterQuery = query(&req)?;
    let filter = EventFilter::parse(&EventFilterInput {
        provider: query.provider.as_deref(),
        event_type: query.event_type.as_deref(),
        status: query.status.as_deref(),
        workspace: query.workspace.as_deref(),
        from: query.from.as_deref(),
        to: query.to.as_deref(),
    })
    .map_err(bad_field)?;
    let number = Page::parse(query.page.as_deref()).map_err(bad_field)?;
    let log = list(&state, filter, number).await?;
    let kept = [
        ("provider", query.provider.clone()),
        ("type", query.event_type.clone()),
        ("status", query.status.clone()),
        ("workspace", query.workspace.clone()),
        ("from", query.from.clone()),
        ("to", query.to.clone()),
    ];
    page(&ListPage {
        layout: Layout::for_admin("Webhook events", &admin),
        pager: Pager::new("/admin/events", &kept, number, log.total),
        query,
        statuses: EVENT_STATUSES,
        rows: log.events,
    })
}

#[derive(Template)]
#[template(path = "admin/event.html")]
struct DetailPage {
    layout: Layout,
    event: BillingEvent,
    /// The payload re-indented when it is JSON (escaped by the template like any text).
    payload: String,
    received: String,
    processed: String,
    next_attempt: String,
    can_act: bool,
    audit: Vec<AuditView>,
}

async fn show(state: web::Data<AppState>, admin: AdminAccess, id: web::Path<i64>) -> AppResult<HttpResponse> {
    let (event, audit) = detail(&state, id.into_inner()).await?;
    let payload = serde_json::from_str::<serde_json::Value>(&event.payload)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| event.payload.clone());
    page(&DetailPage {
        layout: Layout::for_admin(&format!("Event {}", event.event_id), &admin),
        payload,
        received: when(&event.received_at),
        processed: maybe_when(&event.processed_at),
        next_attempt: maybe_when(&event.next_attempt_at),
        can_act: !event.status.is_final(),
        event,
        audit: audit_views(audit),
    })
}

#[derive(Deserialize)]
struct NoFields {}

async fn replay_one(
    state: web::Data<AppState>,
    id: web::Path<i64>,
    AdminForm { admin, form: NoFields {} }: AdminForm<NoFields>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let (kind, message) = match replay(&state, operator(&admin), id).await? {
        Replayed::Processed => (FlashKind::Success, "Replayed: the event is processed.".to_owned()),
        Replayed::AlreadySettled(status) => {
            (FlashKind::Info, format!("The event is {status} already; nothing was done."))
        }
        Replayed::NotApplied(why) => (FlashKind::Info, format!("Replayed; nothing to apply yet: {why}")),
        Replayed::Failed(error) => (FlashKind::Error, format!("The replay failed again: {error}")),
    };
    set_flash(&admin.session, kind, message);
    Ok(redirect(&format!("/admin/events/{id}")))
}

#[derive(Deserialize)]
struct IgnoreForm {
    reason: String,
}

async fn ignore_one(
    state: web::Data<AppState>,
    id: web::Path<i64>,
    AdminForm { admin, form }: AdminForm<IgnoreForm>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    dismiss(&state, operator(&admin), id, &form.reason).await?;
    set_flash(&admin.session, FlashKind::Success, "The event is ignored: it will not be retried.");
    Ok(redirect(&format!("/admin/events/{id}")))
}
