//! The sandbox clock: sandbox time is real time plus an offset that only moves forward.
//! Advancing it processes everything that fell due, in time order (trial ends, renewals,
//! failed renewals, period-end cancellations), then delivers the events before answering.
//! Also here: the event log (`/sandbox/events.json`) and manual redelivery.

use actix_session::Session as CookieSession;
use actix_web::http::StatusCode;
use actix_web::{Either, HttpResponse, web};
use askama::Template;
use chrono::{Months, NaiveDateTime};
use serde::Deserialize;
use serde_json::json;

use super::error::{PageError, SandboxError};
use super::events::{self, Event};
use super::html::{CsrfForm, csrf_token, redirect, render};
use super::store::{Item, Subscription};
use super::time::{Clock, day, unix};
use super::{SandboxState, subscriptions, transaction};
use crate::db::DbConnection;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Seconds(i64),
    Months(u32),
    /// Just far enough for the next subscription period to end.
    NextRenewal,
}

/// `{"days": n}`, `{"seconds": n}` or `{"to": "next_renewal"}`.
#[derive(Deserialize)]
pub struct AdvanceJson {
    days: Option<i64>,
    seconds: Option<i64>,
    months: Option<u32>,
    to: Option<String>,
}

/// The page's buttons: `step` is `1d`, `7d`, `1m` or `next_renewal`.
#[derive(Deserialize)]
pub struct AdvanceForm {
    step: String,
}

fn step_of_json(j: &AdvanceJson) -> Result<Step, SandboxError> {
    match (j.days, j.seconds, j.months, j.to.as_deref()) {
        (Some(d), None, None, None) if d > 0 => Ok(Step::Seconds(d.saturating_mul(86_400))),
        (None, Some(s), None, None) if s > 0 => Ok(Step::Seconds(s)),
        (None, None, Some(m), None) if m > 0 => Ok(Step::Months(m)),
        (None, None, None, Some("next_renewal")) => Ok(Step::NextRenewal),
        _ => Err(SandboxError::invalid(
            "Send one of {\"days\": n}, {\"seconds\": n}, {\"months\": n} (n > 0) or {\"to\": \"next_renewal\"}.",
        )),
    }
}

fn step_of_form(f: &AdvanceForm) -> Result<Step, SandboxError> {
    match f.step.as_str() {
        "1d" => Ok(Step::Seconds(86_400)),
        "7d" => Ok(Step::Seconds(7 * 86_400)),
        "1m" => Ok(Step::Months(1)),
        "next_renewal" => Ok(Step::NextRenewal),
        other => Err(SandboxError::invalid(format!("Unknown clock step: {other}"))),
    }
}

/// When the earliest live subscription period ends.
fn next_renewal(conn: &mut DbConnection) -> Result<Option<NaiveDateTime>, SandboxError> {
    let mut next = None;
    for sub in Subscription::live(conn)? {
        if let Some(item) = Item::of(conn, &sub.id)?.into_iter().next() {
            next = Some(next.map_or(item.current_period_end, |n: NaiveDateTime| n.min(item.current_period_end)));
        }
    }
    Ok(next)
}

/// Moves the clock and processes what fell due; returns (sandbox now, things processed).
pub fn advance_clock(
    conn: &mut DbConnection,
    clock: Clock,
    step: Step,
) -> Result<(NaiveDateTime, usize), SandboxError> {
    let now = clock.now(conn)?;
    let target = match step {
        Step::Seconds(s) => now + chrono::Duration::seconds(s),
        Step::Months(m) => now.checked_add_months(Months::new(m)).unwrap_or(now),
        Step::NextRenewal => next_renewal(conn)?.map_or(now, |at| at.max(now)),
    };
    let offset = clock.offset(conn)? + (target - now).num_seconds();
    clock.set_offset(conn, offset)?;
    let now = clock.now(conn)?;
    let processed = subscriptions::process_due(conn, now)?;
    Ok((clock.now(conn)?, processed))
}

pub async fn advance(
    state: web::Data<SandboxState>,
    body: Either<web::Json<AdvanceJson>, CsrfForm<AdvanceForm>>,
) -> Result<HttpResponse, SandboxError> {
    let (step, wants_json) = match &body {
        Either::Left(j) => (step_of_json(j)?, true),
        Either::Right(CsrfForm(f)) => (step_of_form(f)?, false),
    };
    let clock = state.clock;
    let (now, processed) = transaction(&state, move |conn| advance_clock(conn, clock, step)).await?;
    let delivery = events::deliver_pending(&state, false).await?;
    if !wants_json {
        return Ok(redirect("/sandbox/clock"));
    }
    Ok(HttpResponse::Ok().json(json!({ "now": unix(now), "processed": processed, "delivery": delivery })))
}

pub async fn now_json(state: web::Data<SandboxState>) -> Result<HttpResponse, SandboxError> {
    let clock = state.clock;
    let (now, offset) = transaction(&state, move |conn| Ok((clock.now(conn)?, clock.offset(conn)?))).await?;
    Ok(HttpResponse::Ok().json(json!({ "now": unix(now), "offset_seconds": offset })))
}

/// Every stored event with its delivery state, oldest first.
pub async fn events_json(state: web::Data<SandboxState>) -> Result<HttpResponse, SandboxError> {
    let all = transaction(&state, |conn| Ok(Event::all(conn)?)).await?;
    Ok(HttpResponse::Ok().json(json!({ "data": all })))
}

/// Retries every undelivered event, past the automatic attempt limit too.
pub async fn redeliver(state: web::Data<SandboxState>) -> Result<HttpResponse, SandboxError> {
    let report = events::deliver_pending(&state, true).await?;
    Ok(HttpResponse::Ok().json(report))
}

pub struct ClockRow {
    pub subscription: String,
    pub plan: String,
    pub status: String,
    pub period_end: String,
}

pub struct EventRow {
    pub event_type: String,
    pub delivery: String,
}

#[derive(Template)]
#[template(path = "sandbox/clock.html")]
pub struct ClockPage {
    pub now: String,
    pub offset_days: i64,
    pub subscriptions: Vec<ClockRow>,
    pub events: Vec<EventRow>,
    pub csrf: String,
}

fn delivery(e: &Event) -> String {
    match (e.delivered_at, e.last_status, &e.last_error) {
        (Some(_), Some(status), _) => format!("delivered ({status})"),
        (None, Some(status), _) => format!("failed {}× (last: HTTP {status})", e.attempts),
        (None, None, Some(_)) => format!("failed {}× (unreachable)", e.attempts),
        _ => "pending".to_owned(),
    }
}

pub async fn page(state: web::Data<SandboxState>, session: CookieSession) -> Result<HttpResponse, PageError> {
    let clock = state.clock;
    let (now, offset, subscriptions, events) = transaction(&state, move |conn| {
        let mut rows = Vec::new();
        for sub in Subscription::live(conn)? {
            if let Some(item) = Item::of(conn, &sub.id)?.into_iter().next() {
                rows.push(ClockRow {
                    subscription: sub.id.clone(),
                    plan: item.product_name.clone(),
                    status: sub.status.clone(),
                    period_end: format!(
                        "{} {}",
                        if sub.cancel_at_period_end { "ends" } else { "renews" },
                        day(item.current_period_end)
                    ),
                });
            }
        }
        let events: Vec<EventRow> = Event::all(conn)?
            .iter()
            .rev()
            .take(30)
            .map(|e| EventRow { event_type: e.event_type.clone(), delivery: delivery(e) })
            .collect();
        Ok((clock.now(conn)?, clock.offset(conn)?, rows, events))
    })
    .await?;
    let page = ClockPage {
        now: now.format("%-d %b %Y %H:%M").to_string(),
        offset_days: offset / 86_400,
        subscriptions,
        events,
        csrf: csrf_token(&session),
    };
    render(&page, StatusCode::OK)
}
