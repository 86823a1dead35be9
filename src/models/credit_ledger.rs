//! The append-only credit ledger. Balances are sums over it; nothing is ever updated or
//! deleted. Grants carry an idempotency key so a replayed webhook cannot grant twice.
//!
//! `credit_balances` holds those sums per workspace, moved in the same savepoint as each
//! ledger row, so a spend reads one row instead of summing the workspace's whole history.
//! The ledger stays the truth: `ledger_balance` sums it, and tests compare the two.

use chrono::NaiveDateTime;
use diesel::dsl::sql;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};

use crate::db::{DbConnection, LimitRows, Prepared, atomically};
use crate::domain::credits::{CreditBalance, CreditBucket};
use crate::domain::ids::WorkspaceId;
use crate::schema::{credit_balances, credit_ledger};

#[derive(Debug, Clone, Queryable, Identifiable)]
#[diesel(table_name = credit_ledger)]
pub struct CreditEntry {
    pub id: i64,
    pub workspace_id: WorkspaceId,
    pub bucket: CreditBucket,
    pub delta: i64,
    pub reason: String,
    pub idempotency_key: Option<String>,
    pub reference: Option<String>,
    pub created_at: NaiveDateTime,
}

/// A ledger row to append (see [`NewCreditEntry::insert_all`], which writes its columns).
#[derive(Debug, Clone)]
pub struct NewCreditEntry<'a> {
    pub workspace_id: WorkspaceId,
    pub bucket: CreditBucket,
    pub delta: i64,
    pub reason: &'a str,
    pub idempotency_key: Option<&'a str>,
    pub reference: Option<&'a str>,
}

/// SUM over BIGINT is NUMERIC on PostgreSQL; the cast keeps one Rust type for both backends.
const SUM_DELTA: &str = "CAST(COALESCE(SUM(delta), 0) AS BIGINT)";

impl NewCreditEntry<'_> {
    /// Appends the entry and moves the balance, atomically. Returns `false`, changing nothing,
    /// when an entry with the same idempotency key exists (`ON CONFLICT DO NOTHING`: no error,
    /// so the caller's transaction stays usable without a savepoint). Any other failure is
    /// returned for the transaction to roll back.
    pub fn insert(&self, conn: &mut DbConnection) -> QueryResult<bool> {
        Ok(NewCreditEntry::insert_all(conn, std::slice::from_ref(self))? == 1)
    }

    /// Appends the entries as [`NewCreditEntry::insert`] does each, moving each workspace's
    /// balance once by what was appended. Returns how many were appended.
    pub fn insert_all(conn: &mut DbConnection, entries: &[NewCreditEntry<'_>]) -> QueryResult<usize> {
        atomically(conn, |conn| {
            let now = super::now();
            if let DbConnection::Postgres(pg) = conn {
                let mut appended = 0;
                for entry in entries {
                    appended += entry.append_and_move_balance(pg, now)?;
                }
                return Ok(appended);
            }
            let mut moved: Vec<(WorkspaceId, i64, i64)> = Vec::new();
            let mut appended = 0;
            for entry in entries {
                // Each column written explicitly: a `None` key is bound as NULL, so the
                // statement's text never changes.
                let inserted = diesel::insert_into(credit_ledger::table)
                    .values((
                        credit_ledger::workspace_id.eq(entry.workspace_id),
                        credit_ledger::bucket.eq(entry.bucket),
                        credit_ledger::delta.eq(entry.delta),
                        credit_ledger::reason.eq(entry.reason),
                        credit_ledger::idempotency_key.eq(entry.idempotency_key),
                        credit_ledger::reference.eq(entry.reference),
                        credit_ledger::created_at.eq(now),
                    ))
                    .on_conflict_do_nothing()
                    .fixed_here(|| ())
                    .execute_prepared(conn)?;
                if inserted == 0 {
                    continue;
                }
                appended += 1;
                let (monthly, purchased) = entry.balance_move();
                match moved.iter_mut().find(|(ws, ..)| *ws == entry.workspace_id) {
                    Some((_, m, p)) => (*m, *p) = (*m + monthly, *p + purchased),
                    None => moved.push((entry.workspace_id, monthly, purchased)),
                }
            }
            for &(workspace_id, monthly, purchased) in &moved {
                add_to_balance(conn, workspace_id, monthly, purchased, now)?;
            }
            Ok(appended)
        })
    }
}

/// PostgreSQL appends a ledger row and moves its balance in one statement (a data-modifying
/// `WITH`, which SQLite lacks): the balance moves only when the row was appended, so a replayed
/// key changes nothing, and an entry costs one round trip instead of two. Written as a
/// statement type of its own, not `sql_query`, so that it is prepared once per connection.
struct AppendAndMoveBalance<'a> {
    entry: &'a NewCreditEntry<'a>,
    monthly: i64,
    purchased: i64,
    now: NaiveDateTime,
}

impl QueryId for AppendAndMoveBalance<'_> {
    type QueryId = AppendAndMoveBalance<'static>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl QueryFragment<Pg> for AppendAndMoveBalance<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        let entry = self.entry;
        out.push_sql(
            "WITH appended AS (INSERT INTO credit_ledger \
             (workspace_id, bucket, delta, reason, idempotency_key, reference, created_at) VALUES (",
        );
        out.push_bind_param::<BigInt, _>(&entry.workspace_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(&entry.bucket)?;
        out.push_sql(", ");
        out.push_bind_param::<BigInt, _>(&entry.delta)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(entry.reason)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Text>, _>(&entry.idempotency_key)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Text>, _>(&entry.reference)?;
        out.push_sql(", ");
        out.push_bind_param::<Timestamp, _>(&self.now)?;
        out.push_sql(
            ") ON CONFLICT DO NOTHING RETURNING workspace_id) \
             INSERT INTO credit_balances (workspace_id, monthly, purchased, updated_at) SELECT workspace_id, ",
        );
        out.push_bind_param::<BigInt, _>(&self.monthly)?;
        out.push_sql(", ");
        out.push_bind_param::<BigInt, _>(&self.purchased)?;
        out.push_sql(", ");
        out.push_bind_param::<Timestamp, _>(&self.now)?;
        out.push_sql(
            " FROM appended ON CONFLICT (workspace_id) DO UPDATE SET \
             monthly = credit_balances.monthly + EXCLUDED.monthly, \
             purchased = credit_balances.purchased + EXCLUDED.purchased, \
             updated_at = EXCLUDED.updated_at",
        );
        Ok(())
    }
}

impl RunQueryDsl<diesel::PgConnection> for AppendAndMoveBalance<'_> {}

impl NewCreditEntry<'_> {
    /// How the entry moves the (monthly, purchased) balances.
    fn balance_move(&self) -> (i64, i64) {
        match self.bucket {
            CreditBucket::Monthly => (self.delta, 0),
            CreditBucket::Purchased => (0, self.delta),
        }
    }

    /// Appends the entry and moves its workspace's balance (see [`AppendAndMoveBalance`]);
    /// answers 1 when appended, 0 when its key was already there.
    fn append_and_move_balance(&self, conn: &mut diesel::PgConnection, now: NaiveDateTime) -> QueryResult<usize> {
        let (monthly, purchased) = self.balance_move();
        AppendAndMoveBalance { entry: self, monthly, purchased, now }.execute(conn)
    }
}

/// Moves the running balances by the deltas (creating the row on a workspace's first entry).
fn add_to_balance(
    conn: &mut DbConnection,
    workspace_id: WorkspaceId,
    monthly: i64,
    purchased: i64,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(credit_balances::table)
        .values((
            credit_balances::workspace_id.eq(workspace_id),
            credit_balances::monthly.eq(monthly),
            credit_balances::purchased.eq(purchased),
            credit_balances::updated_at.eq(now),
        ))
        .on_conflict(credit_balances::workspace_id)
        .do_update()
        .set((
            credit_balances::monthly.eq(credit_balances::monthly + monthly),
            credit_balances::purchased.eq(credit_balances::purchased + purchased),
            credit_balances::updated_at.eq(now),
        ))
        .fixed_here(|| ())
        .execute_prepared(conn)
}

/// A credit cycle's marks in the ledger, and the monthly balance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CycleMarks {
    /// The cycle's grant was written.
    pub granted: bool,
    /// The cycle's expiry was written.
    pub expired: bool,
    pub monthly: i64,
}

impl From<(bool, bool, Option<i64>)> for CycleMarks {
    fn from((granted, expired, monthly): (bool, bool, Option<i64>)) -> CycleMarks {
        CycleMarks { granted, expired, monthly: monthly.unwrap_or(0) }
    }
}

/// The ledger keys that mark a credit cycle as granted and as expired.
#[derive(Debug, Clone, Copy)]
pub struct CycleKeys<'a> {
    pub grant: &'a str,
    pub expiry: &'a str,
}

/// The columns [`CycleMarks`] is read from, `(granted, expired, monthly balance)`: selected
/// alone by [`CreditEntry::cycle_marks`], or returned by the statement that writes the new
/// billing state (`Workspace::apply_billing`), saving a round trip per event.
macro_rules! cycle_marks_columns {
    ($workspace_id:expr, $keys:expr) => {{
        use $crate::schema::credit_ledger;
        let keys: $crate::models::credit_ledger::CycleKeys<'_> = $keys;
        let marked = |key: &str| {
            diesel::dsl::exists(credit_ledger::table.filter(credit_ledger::idempotency_key.eq(key.to_owned())))
        };
        (
            marked(keys.grant),
            marked(keys.expiry),
            // Written out rather than `single_value()`, whose bound `LIMIT` makes SQLite
            // compile the statement again on every run (see `db::row_limits`).
            diesel::dsl::sql::<diesel::sql_types::Nullable<diesel::sql_types::BigInt>>(
                "(SELECT monthly FROM credit_balances WHERE workspace_id = ",
            )
            .bind::<diesel::sql_types::BigInt, _>($workspace_id)
            .sql(")"),
        )
    }};
}
pub(crate) use cycle_marks_columns;

impl CreditEntry {
    /// The workspace's balances, from the running totals.
    pub fn balance(conn: &mut DbConnection, workspace_id: WorkspaceId) -> QueryResult<CreditBalance> {
        let row: Option<(i64, i64)> = credit_balances::table
            .find(workspace_id)
            .select((credit_balances::monthly, credit_balances::purchased))
            .first_row(conn)
            .optional()?;
        Ok(row.map(|(monthly, purchased)| CreditBalance { monthly, purchased }).unwrap_or_default())
    }

    /// The balances summed over the ledger itself: what the running totals must equal.
    pub fn ledger_balance(conn: &mut DbConnection, workspace_id: WorkspaceId) -> QueryResult<CreditBalance> {
        let sums: Vec<(CreditBucket, i64)> = credit_ledger::table
            .filter(credit_ledger::workspace_id.eq(workspace_id))
            .group_by(credit_ledger::bucket)
            .select((credit_ledger::bucket, sql::<BigInt>(SUM_DELTA)))
            .load_prepared(conn)?;
        let mut balance = CreditBalance::default();
        for (bucket, sum) in sums {
            match bucket {
                CreditBucket::Monthly => balance.monthly = sum,
                CreditBucket::Purchased => balance.purchased = sum,
            }
        }
        Ok(balance)
    }

    /// Whether a cycle's grant and expiry marks are written, and the monthly balance beside
    /// them: what settling a cycle reads, in one statement.
    pub fn cycle_marks(
        conn: &mut DbConnection,
        workspace_id: WorkspaceId,
        keys: CycleKeys<'_>,
    ) -> QueryResult<CycleMarks> {
        let marks: (bool, bool, Option<i64>) =
            diesel::select(cycle_marks_columns!(workspace_id, keys)).fixed().get_result_prepared(conn)?;
        Ok(CycleMarks::from(marks))
    }

    pub fn exists_with_key(conn: &mut DbConnection, key: &str) -> QueryResult<bool> {
        diesel::select(diesel::dsl::exists(credit_ledger::table.filter(credit_ledger::idempotency_key.eq(key))))
            .get_result_prepared(conn)
    }

    /// Every entry of the workspace, oldest first.
    pub fn all_for(conn: &mut DbConnection, workspace_id: WorkspaceId) -> QueryResult<Vec<CreditEntry>> {
        credit_ledger::table
            .filter(credit_ledger::workspace_id.eq(workspace_id))
            .order(credit_ledger::id.asc())
            .load_prepared(conn)
    }

    pub fn recent(conn: &mut DbConnection, workspace_id: WorkspaceId, limit: i64) -> QueryResult<Vec<CreditEntry>> {
        credit_ledger::table
            .filter(credit_ledger::workspace_id.eq(workspace_id))
            .order(credit_ledger::id.desc())
            .limit_rows(limit)
            .load_prepared(conn)
    }

    /// The purchased-credit grant a payment bought: found by any of the references a refund
    /// may name (payment intent, charge). Returns its amount and reason.
    pub fn purchase_grant(
        conn: &mut DbConnection,
        workspace_id: WorkspaceId,
        references: &[&str],
    ) -> QueryResult<Option<(i64, String)>> {
        credit_ledger::table
            .filter(credit_ledger::workspace_id.eq(workspace_id))
            .filter(credit_ledger::bucket.eq(CreditBucket::Purchased))
            .filter(credit_ledger::delta.gt(0))
            .filter(credit_ledger::reference.eq_any(references))
            .select((credit_ledger::delta, credit_ledger::reason))
            .first_row(conn)
            .optional()
    }

    /// Credits already taken back under `reference` (earlier partial refunds of one payment).
    pub fn taken_back(conn: &mut DbConnection, workspace_id: WorkspaceId, reference: &str) -> QueryResult<i64> {
        let taken: i64 = credit_ledger::table
            .filter(credit_ledger::workspace_id.eq(workspace_id))
            .filter(credit_ledger::reference.eq(reference))
            .filter(credit_ledger::delta.lt(0))
            .select(sql::<BigInt>(SUM_DELTA))
            .get_result_prepared(conn)?;
        Ok(-taken)
    }

    /// Credits left across all workspaces (for capacity snapshots).
    pub fn outstanding(conn: &mut DbConnection) -> QueryResult<i64> {
        credit_ledger::table.select(sql::<BigInt>(SUM_DELTA)).get_result_prepared(conn)
    }
}
