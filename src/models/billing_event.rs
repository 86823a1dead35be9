//! Provider webhook events as received: unique per (provider, event id), payload kept,
//! with processing status, error, attempt count and processed time.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::schema::billing_events;

/// Where an event is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventStatus {
    /// Applied; `processed_at` is set.
    Processed,
    /// Recorded, type not handled.
    Ignored,
    /// Names a customer or subscription we don't know yet; retried with backoff.
    Pending,
    /// Applying it failed; `error` says why; retried with backoff.
    Failed,
}

impl EventStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            EventStatus::Processed => "processed",
            EventStatus::Ignored => "ignored",
            EventStatus::Pending => "pending",
            EventStatus::Failed => "failed",
        }
    }
}

#[derive(Debug, Clone, Queryable, Identifiable)]
#[diesel(table_name = billing_events)]
pub struct BillingEvent {
    pub id: i64,
    pub provider: String,
    pub event_id: String,
    pub event_type: String,
    pub status: String,
    pub workspace_id: Option<i64>,
    pub provider_created_at: Option<NaiveDateTime>,
    pub received_at: NaiveDateTime,
    pub processed_at: Option<NaiveDateTime>,
    pub next_attempt_at: Option<NaiveDateTime>,
    pub error: Option<String>,
    pub attempts: i32,
    pub payload: String,
}

impl BillingEvent {
    pub fn find(conn: &mut DbConnection, provider: &str, event_id: &str) -> QueryResult<Option<BillingEvent>> {
        billing_events::table
            .filter(billing_events::provider.eq(provider))
            .filter(billing_events::event_id.eq(event_id))
            .first(conn)
            .optional()
    }

    pub fn recent(conn: &mut DbConnection, limit: i64) -> QueryResult<Vec<BillingEvent>> {
        billing_events::table.order(billing_events::id.desc()).limit(limit).load(conn)
    }

    pub fn count_with_status(conn: &mut DbConnection, status: EventStatus) -> QueryResult<i64> {
        billing_events::table.filter(billing_events::status.eq(status.as_str())).count().get_result(conn)
    }

    pub fn count_since(conn: &mut DbConnection, since: NaiveDateTime) -> QueryResult<i64> {
        billing_events::table.filter(billing_events::received_at.ge(since)).count().get_result(conn)
    }
}
