//! Periodic counts of what the installation holds, so admins can watch trends, and the
//! installation-wide counts a snapshot is made of.

use chrono::NaiveDateTime;
use diesel::dsl::{count_star, sql};
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use super::Workspace;
use crate::db::{DbConnection, LimitRows};
use crate::domain::normalized::SubscriptionStatus;
use crate::schema::{capacity_snapshots, credit_ledger, credit_spends, plans, workspaces};

#[derive(Debug, Clone, Queryable, Identifiable)]
#[diesel(table_name = capacity_snapshots)]
pub struct CapacitySnapshot {
    pub id: i64,
    pub taken_at: NaiveDateTime,
    pub users_total: i64,
    pub workspaces_total: i64,
    pub paying_workspaces: i64,
    pub mrr_minor: i64,
    pub credits_outstanding: i64,
    pub events_last_day: i64,
    pub events_failed: i64,
    /// JSON object: subscription status (`none` without one) → workspaces.
    pub by_status: String,
    /// JSON object: plan code → workspaces.
    pub by_plan: String,
    pub past_due_workspaces: i64,
    /// Members of workspaces whose plan limits seats.
    pub seats_used: i64,
    /// The sum of those plans' seat limits: the theoretical capacity.
    pub seats_limit: i64,
    /// Credits ever granted (positive ledger entries) and ever spent.
    pub credits_granted: i64,
    pub credits_spent: i64,
    /// This period's usage of limited metrics, and the sum of those limits.
    pub quota_used: i64,
    pub quota_limit: i64,
    pub database_bytes: i64,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = capacity_snapshots)]
pub struct NewCapacitySnapshot {
    pub taken_at: NaiveDateTime,
    pub users_total: i64,
    pub workspaces_total: i64,
    pub paying_workspaces: i64,
    pub mrr_minor: i64,
    pub credits_outstanding: i64,
    pub events_last_day: i64,
    pub events_failed: i64,
    pub by_status: String,
    pub by_plan: String,
    pub past_due_workspaces: i64,
    pub seats_used: i64,
    pub seats_limit: i64,
    pub credits_granted: i64,
    pub credits_spent: i64,
    pub quota_used: i64,
    pub quota_limit: i64,
    pub database_bytes: i64,
}

impl NewCapacitySnapshot {
    pub fn insert(&self, conn: &mut DbConnection) -> QueryResult<usize> {
        diesel::insert_into(capacity_snapshots::table).values(self).execute(conn)
    }
}

impl CapacitySnapshot {
    pub fn recent(conn: &mut DbConnection, limit: i64) -> QueryResult<Vec<CapacitySnapshot>> {
        capacity_snapshots::table.order(capacity_snapshots::taken_at.desc()).limit_rows(limit).load(conn)
    }

    /// Snapshots taken since `since`, oldest first.
    pub fn since(conn: &mut DbConnection, since: NaiveDateTime) -> QueryResult<Vec<CapacitySnapshot>> {
        capacity_snapshots::table
            .filter(capacity_snapshots::taken_at.ge(since))
            .order(capacity_snapshots::taken_at.asc())
            .load(conn)
    }
}

/// Workspaces by subscription status (`None`: no subscription).
pub fn workspaces_by_status(conn: &mut DbConnection) -> QueryResult<Vec<(Option<SubscriptionStatus>, i64)>> {
    workspaces::table
        .group_by(workspaces::subscription_status)
        .select((workspaces::subscription_status, count_star()))
        .load(conn)
}

/// Workspaces by plan code.
pub fn workspaces_by_plan(conn: &mut DbConnection) -> QueryResult<Vec<(String, i64)>> {
    workspaces::table.inner_join(plans::table).group_by(plans::code).select((plans::code, count_star())).load(conn)
}

/// Every workspace, for the per-workspace seat and quota sums (a daily job's read).
pub fn all_workspaces(conn: &mut DbConnection) -> QueryResult<Vec<Workspace>> {
    workspaces::table.order(workspaces::id).load(conn)
}

/// Credits ever granted: the sum of the ledger's positive entries.
pub fn credits_granted(conn: &mut DbConnection) -> QueryResult<i64> {
    credit_ledger::table
        .filter(credit_ledger::delta.gt(0))
        .select(sql::<BigInt>("CAST(COALESCE(SUM(delta), 0) AS BIGINT)"))
        .get_result(conn)
}

/// Credits ever spent: the sum of accepted spends.
pub fn credits_spent(conn: &mut DbConnection) -> QueryResult<i64> {
    credit_spends::table
        .filter(credit_spends::status.eq(200))
        .select(sql::<BigInt>("CAST(COALESCE(SUM(amount), 0) AS BIGINT)"))
        .get_result(conn)
}

#[derive(QueryableByName)]
struct Size {
    #[diesel(sql_type = BigInt)]
    bytes: i64,
}

/// The database's size on disk, as the backend reports it.
pub fn database_bytes(conn: &mut DbConnection) -> QueryResult<i64> {
    let size: Size = match conn {
        DbConnection::Sqlite(c) => diesel::sql_query(
            "SELECT CAST(page_count * page_size AS BIGINT) AS bytes FROM pragma_page_count(), pragma_page_size()",
        )
        .get_result(c)?,
        DbConnection::Postgres(c) => {
            diesel::sql_query("SELECT pg_database_size(current_database()) AS bytes").get_result(c)?
        }
    };
    Ok(size.bytes)
}
