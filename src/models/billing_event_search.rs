//! The admin console's view over `billing_events`: the filtered, paginated event log
//! (without payloads, which only the event's own page shows) and one event by its row id.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::BillingEvent;
use crate::db::{DbConnection, LimitRows};
use crate::domain::admin_query::{EventFilter, PAGE_SIZE, Page};
use crate::domain::ids::WorkspaceId;
use crate::domain::normalized::Provider;
use crate::schema::billing_events;

use super::billing_event::EventStatus;

/// One row of the event log.
#[derive(Debug, Clone, Queryable)]
pub struct EventRow {
    pub id: i64,
    pub provider: Provider,
    pub event_id: String,
    pub event_type: String,
    pub status: EventStatus,
    pub workspace_id: Option<WorkspaceId>,
    pub received_at: NaiveDateTime,
    pub attempts: i32,
    pub error: Option<String>,
}

type Boxed<'a> = billing_events::BoxedQuery<'a, crate::db::MultiBackend>;

fn matching(filter: &EventFilter) -> Boxed<'_> {
    let mut query = billing_events::table.into_boxed();
    if let Some(provider) = filter.provider {
        query = query.filter(billing_events::provider.eq(provider));
    }
    if let Some(event_type) = &filter.event_type {
        query = query.filter(billing_events::event_type.eq(event_type.clone()));
    }
    if let Some(status) = filter.status.as_deref().and_then(EventStatus::parse) {
        query = query.filter(billing_events::status.eq(status));
    }
    if let Some(workspace) = filter.workspace {
        query = query.filter(billing_events::workspace_id.eq(workspace));
    }
    let (from, to) = filter.received_bounds();
    if let Some(from) = from {
        query = query.filter(billing_events::received_at.ge(from));
    }
    if let Some(to) = to {
        query = query.filter(billing_events::received_at.lt(to));
    }
    query
}

/// A page of events matching `filter`, newest first, and how many match in all.
pub fn search(conn: &mut DbConnection, filter: &EventFilter, page: Page) -> QueryResult<(Vec<EventRow>, i64)> {
    let total: i64 = matching(filter).count().get_result(conn)?;
    let rows = matching(filter)
        .select((
            billing_events::id,
            billing_events::provider,
            billing_events::event_id,
            billing_events::event_type,
            billing_events::status,
            billing_events::workspace_id,
            billing_events::received_at,
            billing_events::attempts,
            billing_events::error,
        ))
        .order(billing_events::id.desc())
        .limit(PAGE_SIZE)
        .offset(page.offset())
        .load(conn)?;
    Ok((rows, total))
}

/// One event by its row id.
pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<BillingEvent>> {
    billing_events::table.find(id).first_row(conn).optional()
}

/// Sets a pending or failed event aside: `dismissed`, no further attempt, `note` as its
/// error text. Returns whether it changed (an event already settled is left alone).
pub fn dismiss(conn: &mut DbConnection, id: i64, note: &str) -> QueryResult<bool> {
    diesel::update(
        billing_events::table
            .find(id)
            .filter(billing_events::status.eq_any([EventStatus::Pending, EventStatus::Failed])),
    )
    .set((
        billing_events::status.eq(EventStatus::Dismissed),
        billing_events::next_attempt_at.eq(None::<NaiveDateTime>),
        billing_events::error.eq(note),
    ))
    .execute(conn)
    .map(|n| n > 0)
}
