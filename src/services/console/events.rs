//! The webhook event log: filtered and paginated, and one event with its payload and the
//! audit entries about it.

use crate::domain::admin_query::{EventFilter, Page};
use crate::error::AppError;
use crate::models::billing_event_search::{self, EventRow};
use crate::models::{AuditEntry, BillingEvent};
use crate::state::AppState;

pub struct EventLog {
    pub events: Vec<EventRow>,
    pub total: i64,
}

pub async fn list(state: &AppState, filter: EventFilter, page: Page) -> Result<EventLog, AppError> {
    state
        .db
        .run(move |conn| {
            let (events, total) = billing_event_search::search(conn, &filter, page)?;
            Ok(EventLog { events, total })
        })
        .await
}

/// The audit subject for an event: its row id.
pub const SUBJECT: &str = "billing_event";

/// The event with row id `id` (404 when there is none) and its audit entries.
pub async fn detail(state: &AppState, id: i64) -> Result<(BillingEvent, Vec<AuditEntry>), AppError> {
    state
        .db
        .run(move |conn| {
            let event = billing_event_search::find(conn, id)?.ok_or(AppError::NotFound)?;
            let audit = AuditEntry::for_subject(conn, SUBJECT, &id.to_string(), 50)?;
            Ok((event, audit))
        })
        .await
}
