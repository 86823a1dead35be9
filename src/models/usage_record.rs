//! One row per usage report: the metric, the quantity, the period it counts in and the answer
//! first given for its idempotency key. Rows answered 200 count against the period's limit.

use chrono::NaiveDateTime;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use crate::db::{DbConnection, LimitRows, Prepared};
use crate::domain::ids::WorkspaceId;
use crate::schema::usage_records;

/// Whether a recorded row counts (200) or was refused (402, kept for its idempotency key).
pub const RECORDED: i32 = 200;

#[derive(Debug, Clone, Queryable)]
#[diesel(table_name = usage_records)]
pub struct UsageRecord {
    pub id: i64,
    pub workspace_id: WorkspaceId,
    pub metric: String,
    pub quantity: i64,
    pub period_key: String,
    pub idempotency_key: String,
    pub status: i32,
    pub answer: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = usage_records)]
pub struct NewUsageRecord<'a> {
    pub workspace_id: WorkspaceId,
    pub metric: &'a str,
    pub quantity: i64,
    pub period_key: &'a str,
    pub idempotency_key: &'a str,
    pub status: i32,
    pub answer: &'a str,
    pub created_at: NaiveDateTime,
}

/// SUM over BIGINT is NUMERIC on PostgreSQL; the cast keeps one Rust type for both backends.
const SUM_QUANTITY: &str = "CAST(COALESCE(SUM(quantity), 0) AS BIGINT)";

impl NewUsageRecord<'_> {
    pub fn insert(&self, conn: &mut DbConnection) -> QueryResult<usize> {
        diesel::insert_into(usage_records::table).values(self).execute_prepared(conn)
    }
}

impl UsageRecord {
    pub fn find(conn: &mut DbConnection, workspace_id: WorkspaceId, key: &str) -> QueryResult<Option<UsageRecord>> {
        usage_records::table
            .filter(usage_records::workspace_id.eq(workspace_id))
            .filter(usage_records::idempotency_key.eq(key))
            .first_row(conn)
            .optional()
    }

    /// What each metric has used in the period `period_key`.
    pub fn used_in(
        conn: &mut DbConnection,
        workspace_id: WorkspaceId,
        period_key: &str,
    ) -> QueryResult<Vec<(String, i64)>> {
        usage_records::table
            .filter(usage_records::workspace_id.eq(workspace_id))
            .filter(usage_records::period_key.eq(period_key))
            .filter(usage_records::status.eq(RECORDED))
            .group_by(usage_records::metric)
            .select((usage_records::metric, sql::<BigInt>(SUM_QUANTITY)))
            .load_prepared(conn)
    }

    /// What each metric used between two instants (for the "last period" chart).
    pub fn used_between(
        conn: &mut DbConnection,
        workspace_id: WorkspaceId,
        from: NaiveDateTime,
        until: NaiveDateTime,
    ) -> QueryResult<Vec<(String, i64)>> {
        usage_records::table
            .filter(usage_records::workspace_id.eq(workspace_id))
            .filter(usage_records::created_at.ge(from))
            .filter(usage_records::created_at.lt(until))
            .filter(usage_records::status.eq(RECORDED))
            .group_by(usage_records::metric)
            .select((usage_records::metric, sql::<BigInt>(SUM_QUANTITY)))
            .load_prepared(conn)
    }
}
