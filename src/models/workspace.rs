//! Workspaces own the plan and every billing fact about it; their team shares it.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::schema::workspaces;

#[derive(Debug, Clone, Queryable, Identifiable)]
#[diesel(table_name = workspaces)]
pub struct Workspace {
    pub id: i64,
    pub name: String,
    pub plan_id: i64,
    pub billing_provider: Option<String>,
    pub provider_customer_id: Option<String>,
    pub provider_subscription_id: Option<String>,
    pub subscription_status: Option<String>,
    pub billing_interval: Option<String>,
    pub current_period_end: Option<NaiveDateTime>,
    pub cancel_at_period_end: bool,
    pub trial_end: Option<NaiveDateTime>,
    pub had_trial: bool,
    pub grace_until: Option<NaiveDateTime>,
    pub upgraded_at: Option<NaiveDateTime>,
    pub scheduled_plan_id: Option<i64>,
    /// Provider timestamp of the newest subscription state applied (orders webhooks).
    pub subscription_state_at: Option<NaiveDateTime>,
    /// JSON array of subscription ids that ended; an ended subscription never grants again.
    pub ended_subscription_ids: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// The billing columns, written together when the subscription state changes.
#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = workspaces, treat_none_as_null = true)]
pub struct WorkspaceBillingChanges {
    pub plan_id: i64,
    pub billing_provider: Option<String>,
    pub provider_customer_id: Option<String>,
    pub provider_subscription_id: Option<String>,
    pub subscription_status: Option<String>,
    pub billing_interval: Option<String>,
    pub current_period_end: Option<NaiveDateTime>,
    pub cancel_at_period_end: bool,
    pub trial_end: Option<NaiveDateTime>,
    pub had_trial: bool,
    pub grace_until: Option<NaiveDateTime>,
    pub upgraded_at: Option<NaiveDateTime>,
    pub scheduled_plan_id: Option<i64>,
    pub subscription_state_at: Option<NaiveDateTime>,
    pub ended_subscription_ids: String,
}

impl Workspace {
    pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Workspace> {
        workspaces::table.find(id).first(conn)
    }

    pub fn insert(conn: &mut DbConnection, name: &str, plan_id: i64) -> QueryResult<Workspace> {
        let now = super::now();
        diesel::insert_into(workspaces::table)
            .values((
                workspaces::name.eq(name),
                workspaces::plan_id.eq(plan_id),
                workspaces::created_at.eq(now),
                workspaces::updated_at.eq(now),
            ))
            .returning(workspaces::all_columns)
            .get_result(conn)
    }

    /// Locks the workspace row for the rest of the transaction and returns it fresh.
    /// An UPDATE rather than `SELECT … FOR UPDATE` because it works on both backends:
    /// PostgreSQL takes the row lock, SQLite the database write lock.
    pub fn lock(conn: &mut DbConnection, id: i64) -> QueryResult<Workspace> {
        diesel::update(workspaces::table.find(id))
            .set(workspaces::updated_at.eq(super::now()))
            .returning(workspaces::all_columns)
            .get_result(conn)
    }

    pub fn rename(conn: &mut DbConnection, id: i64, name: &str) -> QueryResult<usize> {
        diesel::update(workspaces::table.find(id))
            .set((workspaces::name.eq(name), workspaces::updated_at.eq(super::now())))
            .execute(conn)
    }

    pub fn apply_billing(conn: &mut DbConnection, id: i64, changes: &WorkspaceBillingChanges) -> QueryResult<usize> {
        diesel::update(workspaces::table.find(id)).set((changes, workspaces::updated_at.eq(super::now()))).execute(conn)
    }

    pub fn find_by_customer(
        conn: &mut DbConnection,
        provider: &str,
        customer_id: &str,
    ) -> QueryResult<Option<Workspace>> {
        workspaces::table
            .filter(workspaces::billing_provider.eq(provider))
            .filter(workspaces::provider_customer_id.eq(customer_id))
            .order(workspaces::id.asc())
            .first(conn)
            .optional()
    }

    pub fn find_by_subscription(
        conn: &mut DbConnection,
        provider: &str,
        subscription_id: &str,
    ) -> QueryResult<Option<Workspace>> {
        workspaces::table
            .filter(workspaces::billing_provider.eq(provider))
            .filter(workspaces::provider_subscription_id.eq(subscription_id))
            .first(conn)
            .optional()
    }

    pub fn count(conn: &mut DbConnection) -> QueryResult<i64> {
        workspaces::table.count().get_result(conn)
    }

    pub fn ended_subscriptions(&self) -> Vec<String> {
        serde_json::from_str(&self.ended_subscription_ids).unwrap_or_default()
    }
}
