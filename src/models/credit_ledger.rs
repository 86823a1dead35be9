//! The append-only credit ledger. Balances are sums over it; nothing is ever updated or
//! deleted. Grants carry an idempotency key so a replayed webhook cannot grant twice.

use chrono::NaiveDateTime;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use serde::Serialize;

use crate::db::{DbConnection, is_unique_violation};
use crate::schema::credit_ledger;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CreditBucket {
    /// Reset to the plan's amount each billing period; spent first.
    Monthly,
    /// Bought in packs; never expires; spent after the monthly bucket.
    Purchased,
}

impl CreditBucket {
    pub fn as_str(self) -> &'static str {
        match self {
            CreditBucket::Monthly => "monthly",
            CreditBucket::Purchased => "purchased",
        }
    }
}

#[derive(Debug, Clone, Queryable, Identifiable)]
#[diesel(table_name = credit_ledger)]
pub struct CreditEntry {
    pub id: i64,
    pub workspace_id: i64,
    pub bucket: String,
    pub delta: i64,
    pub reason: String,
    pub idempotency_key: Option<String>,
    pub reference: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CreditBalance {
    pub monthly: i64,
    pub purchased: i64,
}

impl CreditBalance {
    pub fn total(&self) -> i64 {
        self.monthly + self.purchased
    }
}

#[derive(Debug, Clone)]
pub struct NewCreditEntry<'a> {
    pub workspace_id: i64,
    pub bucket: CreditBucket,
    pub delta: i64,
    pub reason: &'a str,
    pub idempotency_key: Option<&'a str>,
    pub reference: Option<&'a str>,
}

impl NewCreditEntry<'_> {
    /// Appends the entry. Returns `false`, changing nothing, when an entry with the same
    /// idempotency key exists. Runs in a savepoint so a duplicate does not poison the
    /// caller's transaction (PostgreSQL aborts a transaction on any failed statement).
    pub fn insert(&self, conn: &mut DbConnection) -> QueryResult<bool> {
        let result = conn.transaction(|conn| {
            diesel::insert_into(credit_ledger::table)
                .values((
                    credit_ledger::workspace_id.eq(self.workspace_id),
                    credit_ledger::bucket.eq(self.bucket.as_str()),
                    credit_ledger::delta.eq(self.delta),
                    credit_ledger::reason.eq(self.reason),
                    credit_ledger::idempotency_key.eq(self.idempotency_key),
                    credit_ledger::reference.eq(self.reference),
                    credit_ledger::created_at.eq(super::now()),
                ))
                .execute(conn)
        });
        match result {
            Ok(_) => Ok(true),
            Err(e) if is_unique_violation(&e) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

impl CreditEntry {
    pub fn balance(conn: &mut DbConnection, workspace_id: i64) -> QueryResult<CreditBalance> {
        let sums: Vec<(String, i64)> = credit_ledger::table
            .filter(credit_ledger::workspace_id.eq(workspace_id))
            .group_by(credit_ledger::bucket)
            // SUM over BIGINT is NUMERIC on PostgreSQL; the cast keeps one Rust type for both.
            .select((credit_ledger::bucket, sql::<BigInt>("CAST(COALESCE(SUM(delta), 0) AS BIGINT)")))
            .load(conn)?;
        let mut balance = CreditBalance::default();
        for (bucket, sum) in sums {
            match bucket.as_str() {
                "monthly" => balance.monthly = sum,
                _ => balance.purchased = sum,
            }
        }
        Ok(balance)
    }

    pub fn exists_with_key(conn: &mut DbConnection, key: &str) -> QueryResult<bool> {
        diesel::select(diesel::dsl::exists(credit_ledger::table.filter(credit_ledger::idempotency_key.eq(key))))
            .get_result(conn)
    }

    pub fn recent(conn: &mut DbConnection, workspace_id: i64, limit: i64) -> QueryResult<Vec<CreditEntry>> {
        credit_ledger::table
            .filter(credit_ledger::workspace_id.eq(workspace_id))
            .order(credit_ledger::id.desc())
            .limit(limit)
            .load(conn)
    }

    /// Purchased credits left across all workspaces (for capacity snapshots).
    pub fn outstanding(conn: &mut DbConnection) -> QueryResult<i64> {
        credit_ledger::table.select(sql::<BigInt>("CAST(COALESCE(SUM(delta), 0) AS BIGINT)")).get_result(conn)
    }
}
