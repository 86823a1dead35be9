//! One row per credit spend request: its idempotency key, what it took from each bucket and
//! the answer first given, replayed verbatim when the key comes again. Also what the
//! analytics page charts (credits spent per day).

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};

use crate::db::{DbConnection, LimitRows, Prepared};
use crate::domain::ids::WorkspaceId;
use crate::schema::credit_spends;

#[derive(Debug, Clone, Queryable)]
#[diesel(table_name = credit_spends)]
pub struct CreditSpend {
    pub id: i64,
    pub workspace_id: WorkspaceId,
    pub idempotency_key: String,
    pub amount: i64,
    pub reason: String,
    pub from_monthly: i64,
    pub from_purchased: i64,
    /// The HTTP status first answered: 200 spent, 402 refused.
    pub status: i32,
    /// The JSON body first answered.
    pub answer: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = credit_spends)]
pub struct NewCreditSpend<'a> {
    pub workspace_id: WorkspaceId,
    pub idempotency_key: &'a str,
    pub amount: i64,
    pub reason: &'a str,
    pub from_monthly: i64,
    pub from_purchased: i64,
    pub status: i32,
    pub answer: &'a str,
    pub created_at: NaiveDateTime,
}

impl NewCreditSpend<'_> {
    pub fn insert(&self, conn: &mut DbConnection) -> QueryResult<usize> {
        diesel::insert_into(credit_spends::table).values(self).execute_prepared(conn)
    }
}

#[derive(QueryableByName)]
struct DayTotal {
    #[diesel(sql_type = Text)]
    day: String,
    #[diesel(sql_type = BigInt)]
    total: i64,
}

impl CreditSpend {
    pub fn find(conn: &mut DbConnection, workspace_id: WorkspaceId, key: &str) -> QueryResult<Option<CreditSpend>> {
        credit_spends::table
            .filter(credit_spends::workspace_id.eq(workspace_id))
            .filter(credit_spends::idempotency_key.eq(key))
            .first_row(conn)
            .optional()
    }

    /// Credits spent per UTC day since `since`, oldest first.
    pub fn spent_by_day(
        conn: &mut DbConnection,
        workspace_id: WorkspaceId,
        since: NaiveDateTime,
    ) -> QueryResult<Vec<(NaiveDate, i64)>> {
        // Days are formatted by each database's own date function.
        let rows: Vec<DayTotal> = match conn {
            DbConnection::Sqlite(c) => diesel::sql_query(
                "SELECT date(created_at) AS day, CAST(SUM(amount) AS BIGINT) AS total FROM credit_spends \
                 WHERE workspace_id = ? AND status = 200 AND created_at >= ? GROUP BY day ORDER BY day",
            )
            .bind::<BigInt, _>(workspace_id.0)
            .bind::<Timestamp, _>(since)
            .load(c)?,
            DbConnection::Postgres(c) => diesel::sql_query(
                "SELECT to_char(created_at, 'YYYY-MM-DD') AS day, CAST(SUM(amount) AS BIGINT) AS total \
                 FROM credit_spends WHERE workspace_id = $1 AND status = 200 AND created_at >= $2 \
                 GROUP BY day ORDER BY day",
            )
            .bind::<BigInt, _>(workspace_id.0)
            .bind::<Timestamp, _>(since)
            .load(c)?,
        };
        Ok(rows
            .into_iter()
            .filter_map(|r| NaiveDate::parse_from_str(&r.day, "%Y-%m-%d").ok().map(|d| (d, r.total)))
            .collect())
    }

    /// Accepted spends of the workspace (for tests and benches that reconcile the ledger).
    pub fn accepted_total(conn: &mut DbConnection, workspace_id: WorkspaceId) -> QueryResult<(i64, i64)> {
        let rows: Vec<i64> = credit_spends::table
            .filter(credit_spends::workspace_id.eq(workspace_id))
            .filter(credit_spends::status.eq(200))
            .select(credit_spends::amount)
            .load_prepared(conn)?;
        Ok((i64::try_from(rows.len()).unwrap_or(i64::MAX), rows.iter().sum()))
    }
}
