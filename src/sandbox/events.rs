//! Events: recorded in the same transaction as the change they describe, then delivered to
//! `POST {app_url}/webhooks/stripe` (the app's bound address, [`SandboxState::app_url`]) signed
//! exactly as Stripe signs them. Delivery never holds a database connection across the HTTP
//! call: each event is claimed with a short lease, sent, and its outcome written back. Events
//! are sent in creation order; a failed delivery stays pending and is retried on the next
//! sandbox action (up to [`AUTO_ATTEMPTS`]) or on `POST /sandbox/events/redeliver` (always).

use std::time::Duration;

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::{Value, json};

use super::SandboxState;
use super::error::SandboxError;
use super::schema::sandbox_events;
use super::shapes::API_VERSION;
use super::store::new_id;
use super::time::real_now;
use crate::db::DbConnection;
use crate::signature::stripe_sign;

/// Automatic retries stop here, so a missing endpoint does not cost every action more and more.
pub const AUTO_ATTEMPTS: i32 = 5;
/// How long a claimed event is left to its deliverer before another may try.
const LEASE_SECS: i64 = 30;

#[derive(Debug, Clone, Queryable, Serialize)]
pub struct Event {
    #[serde(skip)]
    pub seq: i64,
    pub id: String,
    #[serde(rename = "type")]
    pub event_type: String,
    #[serde(skip)]
    pub payload: String,
    pub attempts: i32,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub delivered_at: Option<NaiveDateTime>,
    #[serde(skip)]
    pub locked_until: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

impl Event {
    /// Every stored event, oldest first.
    pub fn all(conn: &mut DbConnection) -> QueryResult<Vec<Event>> {
        sandbox_events::table.order(sandbox_events::id.asc()).load(conn)
    }
}

/// Stores one event. `created` is real time, like Stripe's test clocks: the receiving
/// endpoint checks the signature's timestamp against its own clock.
pub fn record(
    conn: &mut DbConnection,
    event_type: &str,
    object: Value,
    previous_attributes: Option<Value>,
) -> QueryResult<()> {
    let id = new_id("evt");
    let mut data = json!({ "object": object });
    if let (Some(previous), Some(map)) = (previous_attributes, data.as_object_mut()) {
        map.insert("previous_attributes".to_owned(), previous);
    }
    let payload = json!({
        "id": id,
        "object": "event",
        "api_version": API_VERSION,
        "created": Utc::now().timestamp(),
        "data": data,
        "livemode": false,
        "pending_webhooks": 1,
        "request": { "id": null, "idempotency_key": null },
        "type": event_type,
    });
    diesel::insert_into(sandbox_events::table)
        .values((
            sandbox_events::event_id.eq(&id),
            sandbox_events::event_type.eq(event_type),
            sandbox_events::payload.eq(payload.to_string()),
            sandbox_events::attempts.eq(0),
            sandbox_events::created_at.eq(real_now()),
        ))
        .execute(conn)
        .map(|_| ())
}

#[derive(Debug, Default, Serialize)]
pub struct DeliveryReport {
    pub attempted: usize,
    pub delivered: usize,
    pub failed: usize,
}

/// Sends every pending event, oldest first. `force` also retries events past the automatic
/// attempt limit.
pub async fn deliver_pending(state: &SandboxState, force: bool) -> Result<DeliveryReport, SandboxError> {
    let limit = if force { i32::MAX } else { AUTO_ATTEMPTS };
    let pending: Vec<i64> = state
        .db
        .run_with(move |conn| {
            sandbox_events::table
                .filter(sandbox_events::delivered_at.is_null())
                .filter(sandbox_events::attempts.lt(limit))
                .order(sandbox_events::id.asc())
                .select(sandbox_events::id)
                .load(conn)
                .map_err(SandboxError::from)
        })
        .await?;
    let mut report = DeliveryReport::default();
    if pending.is_empty() {
        return Ok(report);
    }
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| SandboxError::Internal(format!("webhook client: {e}")))?;
    let url = format!("{}/webhooks/stripe", state.app_url);
    for seq in pending {
        let Some(payload) = state.db.run_with(move |conn| claim(conn, seq).map_err(SandboxError::from)).await? else {
            continue; // another delivery pass has it
        };
        report.attempted += 1;
        let signature = stripe_sign(&state.webhook_secret, Utc::now().timestamp(), payload.as_bytes());
        let sent = client
            .post(&url)
            .header("Stripe-Signature", signature)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(payload)
            .send()
            .await;
        let (status, error) = match sent {
            Ok(res) => (Some(i32::from(res.status().as_u16())), None),
            Err(e) => (None, Some(e.to_string())),
        };
        let ok = status.is_some_and(|s| (200..300).contains(&s));
        if ok {
            report.delivered += 1;
        } else {
            report.failed += 1;
            log::info!("sandbox: webhook delivery to {url} failed ({})", error.as_deref().unwrap_or("non-2xx status"));
        }
        state.db.run_with(move |conn| finish(conn, seq, status, error, ok).map_err(SandboxError::from)).await?;
    }
    Ok(report)
}

/// Takes the lease on an undelivered event and counts the attempt; `None` when someone else
/// holds it or it was delivered meanwhile.
fn claim(conn: &mut DbConnection, seq: i64) -> QueryResult<Option<String>> {
    let now = real_now();
    let claimed = diesel::update(
        sandbox_events::table
            .find(seq)
            .filter(sandbox_events::delivered_at.is_null())
            .filter(sandbox_events::locked_until.is_null().or(sandbox_events::locked_until.lt(now))),
    )
    .set((
        sandbox_events::locked_until.eq(now.checked_add_signed(chrono::TimeDelta::seconds(LEASE_SECS)).unwrap_or(now)),
        sandbox_events::attempts.eq(sandbox_events::attempts + 1),
    ))
    .execute(conn)?;
    if claimed == 0 {
        return Ok(None);
    }
    sandbox_events::table.find(seq).select(sandbox_events::payload).first(conn).map(Some)
}

fn finish(conn: &mut DbConnection, seq: i64, status: Option<i32>, error: Option<String>, ok: bool) -> QueryResult<()> {
    let delivered = ok.then(real_now);
    diesel::update(sandbox_events::table.find(seq))
        .set((
            sandbox_events::last_status.eq(status),
            sandbox_events::last_error.eq(error),
            sandbox_events::delivered_at.eq(delivered),
            sandbox_events::locked_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Delivers in the background, for API calls: Stripe answers first and sends events later,
/// and the caller may be the very webhook handler the events go to.
pub fn deliver_later(state: actix_web::web::Data<SandboxState>) {
    actix_web::rt::spawn(async move {
        if let Err(e) = deliver_pending(&state, false).await {
            log::warn!("sandbox: delivering events failed: {e}");
        }
    });
}
