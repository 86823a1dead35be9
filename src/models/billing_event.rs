//! Provider webhook events as received: unique per (provider, event id), payload kept,
//! with processing status, error, attempt count and processed time.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::{DbConnection, LimitRows, Prepared};
use crate::domain::ids::WorkspaceId;
use crate::domain::normalized::{NormalizedEvent, Provider};
use crate::domain::sql::text_enum_sql;
use crate::schema::billing_events;

/// Where an event is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, diesel::expression::AsExpression, diesel::deserialize::FromSqlRow)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum EventStatus {
    /// Applied; `processed_at` is set.
    Processed,
    /// Recorded, type not handled.
    Ignored,
    /// Names a customer or subscription we don't know yet; retried with backoff.
    Pending,
    /// Applying it failed; `error` says why; retried with backoff.
    Failed,
    /// Set aside by an administrator, with a reason: neither the retry job nor a
    /// redelivery processes it.
    Dismissed,
}

impl EventStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            EventStatus::Processed => "processed",
            EventStatus::Ignored => "ignored",
            EventStatus::Pending => "pending",
            EventStatus::Failed => "failed",
            EventStatus::Dismissed => "dismissed",
        }
    }

    pub fn parse(s: &str) -> Option<EventStatus> {
        match s {
            "processed" => Some(EventStatus::Processed),
            "ignored" => Some(EventStatus::Ignored),
            "pending" => Some(EventStatus::Pending),
            "failed" => Some(EventStatus::Failed),
            "dismissed" => Some(EventStatus::Dismissed),
            _ => None,
        }
    }

    /// Done with: a redelivery of the event changes nothing.
    pub fn is_final(self) -> bool {
        matches!(self, EventStatus::Processed | EventStatus::Ignored | EventStatus::Dismissed)
    }
}

text_enum_sql!(EventStatus);

#[derive(Debug, Clone, Queryable, Identifiable)]
#[diesel(table_name = billing_events)]
pub struct BillingEvent {
    pub id: i64,
    pub provider: Provider,
    pub event_id: String,
    pub event_type: String,
    pub status: EventStatus,
    pub workspace_id: Option<WorkspaceId>,
    pub provider_created_at: Option<NaiveDateTime>,
    pub received_at: NaiveDateTime,
    pub processed_at: Option<NaiveDateTime>,
    pub next_attempt_at: Option<NaiveDateTime>,
    pub error: Option<String>,
    pub attempts: i32,
    pub payload: String,
}

/// The outcome of one processing attempt, written back to the event's row.
#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = billing_events, treat_none_as_null = true)]
pub struct EventOutcome {
    pub status: EventStatus,
    pub workspace_id: Option<WorkspaceId>,
    pub error: Option<String>,
    pub attempts: i32,
    pub processed_at: Option<NaiveDateTime>,
    pub next_attempt_at: Option<NaiveDateTime>,
}

/// A failure recorded outside the rolled-back transaction; the workspace link is kept.
#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = billing_events)]
pub struct EventFailure<'a> {
    pub status: EventStatus,
    pub error: &'a str,
    pub attempts: i32,
    pub next_attempt_at: Option<NaiveDateTime>,
}

/// Whether a new event was inserted.
pub enum InsertEvent {
    Inserted {
        /// Other events of the same workspace are pending (read in the same statement).
        others_waiting: bool,
    },
    /// A concurrent delivery of the same event inserted it first.
    AlreadyThere,
}

impl BillingEvent {
    pub fn find(conn: &mut DbConnection, provider: Provider, event_id: &str) -> QueryResult<Option<BillingEvent>> {
        billing_events::table
            .filter(billing_events::provider.eq(provider))
            .filter(billing_events::event_id.eq(event_id))
            .first_row(conn)
            .optional()
    }

    /// Records a new event together with the outcome of its first attempt: one row written
    /// once. Losing the unique-key race to another delivery is `AlreadyThere` (`ON CONFLICT DO
    /// NOTHING`: no error, so the caller's transaction stays usable without a savepoint). The
    /// same statement tells whether other events of the outcome's workspace are pending, which
    /// is almost never, so that the caller only then reads them ([`BillingEvent::waiting_for`]).
    pub fn insert_with_outcome(
        conn: &mut DbConnection,
        event: &NormalizedEvent,
        payload: &str,
        outcome: &EventOutcome,
    ) -> QueryResult<InsertEvent> {
        let other = diesel::alias!(billing_events as other);
        let waiting = diesel::dsl::exists(
            other
                .filter(other.field(billing_events::workspace_id).eq(outcome.workspace_id))
                .filter(other.field(billing_events::status).eq(EventStatus::Pending)),
        );
        let inserted: Option<bool> = diesel::insert_into(billing_events::table)
            .values((
                billing_events::provider.eq(event.provider),
                billing_events::event_id.eq(&event.event_id),
                billing_events::event_type.eq(&event.event_type),
                billing_events::status.eq(outcome.status),
                billing_events::workspace_id.eq(outcome.workspace_id),
                billing_events::provider_created_at.eq(event.created_at.naive_utc()),
                billing_events::received_at.eq(super::now()),
                billing_events::processed_at.eq(outcome.processed_at),
                billing_events::next_attempt_at.eq(outcome.next_attempt_at),
                billing_events::error.eq(outcome.error.as_deref()),
                billing_events::attempts.eq(outcome.attempts),
                billing_events::payload.eq(payload),
            ))
            .on_conflict_do_nothing()
            .returning(waiting)
            .fixed_here(|| ())
            .get_result_prepared(conn)
            .optional()?;
        Ok(inserted.map_or(InsertEvent::AlreadyThere, |others_waiting| InsertEvent::Inserted { others_waiting }))
    }

    pub fn record_outcome(conn: &mut DbConnection, id: i64, outcome: &EventOutcome) -> QueryResult<usize> {
        diesel::update(billing_events::table.find(id)).set(outcome).fixed_here(|| ()).execute_prepared(conn)
    }

    /// Marks the event failed unless it is done with: a concurrent delivery of the same event
    /// that failed after another one applied it must not undo that (answers 0 then).
    pub fn record_failure(conn: &mut DbConnection, id: i64, failure: &EventFailure<'_>) -> QueryResult<usize> {
        let done = [EventStatus::Processed, EventStatus::Ignored, EventStatus::Dismissed];
        diesel::update(billing_events::table.find(id).filter(billing_events::status.ne_all(done)))
            .set(failure)
            .execute_prepared(conn)
    }

    /// Pending events of a workspace, oldest first by the provider's clock.
    pub fn waiting_for(conn: &mut DbConnection, workspace_id: WorkspaceId) -> QueryResult<Vec<BillingEvent>> {
        billing_events::table
            .filter(billing_events::workspace_id.eq(workspace_id))
            .filter(billing_events::status.eq(EventStatus::Pending))
            .order((billing_events::provider_created_at.asc(), billing_events::id.asc()))
            .fixed()
            .load_prepared(conn)
    }

    /// Pending and failed events whose next attempt is due at `now`, soonest first.
    pub fn due(conn: &mut DbConnection, now: NaiveDateTime, limit: i64) -> QueryResult<Vec<BillingEvent>> {
        billing_events::table
            .filter(billing_events::status.eq_any([EventStatus::Pending, EventStatus::Failed]))
            .filter(billing_events::next_attempt_at.le(now))
            .order(billing_events::next_attempt_at.asc())
            .limit_rows(limit)
            .load_prepared(conn)
    }

    pub fn recent(conn: &mut DbConnection, limit: i64) -> QueryResult<Vec<BillingEvent>> {
        billing_events::table.order(billing_events::id.desc()).limit_rows(limit).load_prepared(conn)
    }

    /// A workspace's newest events, newest first.
    pub fn recent_for_workspace(
        conn: &mut DbConnection,
        workspace: WorkspaceId,
        limit: i64,
    ) -> QueryResult<Vec<BillingEvent>> {
        billing_events::table
            .filter(billing_events::workspace_id.eq(workspace))
            .order(billing_events::id.desc())
            .limit_rows(limit)
            .load_prepared(conn)
    }

    pub fn count_with_status(conn: &mut DbConnection, status: EventStatus) -> QueryResult<i64> {
        billing_events::table.filter(billing_events::status.eq(status)).count().get_result_prepared(conn)
    }

    pub fn count_since(conn: &mut DbConnection, since: NaiveDateTime) -> QueryResult<i64> {
        billing_events::table.filter(billing_events::received_at.ge(since)).count().get_result_prepared(conn)
    }
}
