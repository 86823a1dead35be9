//! The add-ons a workspace has bought, each tied to the provider subscription that bills it
//! (its own on Stripe, the plan subscription on Chargebee). What a row grants is the domain's
//! rule (`domain::addons`); the queries here only read and write rows.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::addon::AddonRow;
use crate::db::{DbConnection, LimitRows, Prepared};
use crate::domain::addons::{AddonState, AddonStatus};
use crate::domain::catalog::Addon;
use crate::domain::ids::{AddonId, WorkspaceId};
use crate::schema::{addons, workspace_addons};

#[derive(Debug, Clone, Queryable, Identifiable)]
#[diesel(table_name = workspace_addons)]
pub struct WorkspaceAddon {
    pub id: i64,
    pub workspace_id: WorkspaceId,
    pub addon_id: AddonId,
    pub status: AddonStatus,
    pub provider_subscription_id: Option<String>,
    pub checkout_id: Option<String>,
    pub current_period_end: Option<NaiveDateTime>,
    pub cancel_at_period_end: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// The provider price the add-on was bought at (to cancel it on the provider).
    pub addon_price_id: Option<String>,
    /// Provider time of the newest event applied (orders this row's events).
    pub state_at: Option<NaiveDateTime>,
    /// Set while overdue: kept until then.
    pub grace_until: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = workspace_addons)]
pub struct NewWorkspaceAddon<'a> {
    pub workspace_id: WorkspaceId,
    pub addon_id: AddonId,
    pub status: AddonStatus,
    pub provider_subscription_id: Option<&'a str>,
    pub checkout_id: &'a str,
    pub current_period_end: Option<NaiveDateTime>,
    pub cancel_at_period_end: bool,
    pub addon_price_id: Option<&'a str>,
    pub state_at: Option<NaiveDateTime>,
}

impl NewWorkspaceAddon<'_> {
    pub fn insert(&self, conn: &mut DbConnection) -> QueryResult<usize> {
        let now = super::now();
        diesel::insert_into(workspace_addons::table)
            .values((self, workspace_addons::created_at.eq(now), workspace_addons::updated_at.eq(now)))
            .execute_prepared(conn)
    }
}

/// The provider-facing columns of a row, written together.
#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = workspace_addons, treat_none_as_null = true)]
struct WorkspaceAddonChanges {
    status: AddonStatus,
    cancel_at_period_end: bool,
    current_period_end: Option<NaiveDateTime>,
    grace_until: Option<NaiveDateTime>,
    state_at: Option<NaiveDateTime>,
}

fn utc(at: NaiveDateTime) -> DateTime<Utc> {
    at.and_utc()
}

impl WorkspaceAddon {
    /// The row as the domain's add-on rules see it.
    pub fn state(&self) -> AddonState {
        AddonState {
            status: self.status,
            current_period_end: self.current_period_end.map(utc),
            cancel_at_period_end: self.cancel_at_period_end,
            grace_until: self.grace_until.map(utc),
            state_at: self.state_at.map(utc),
        }
    }

    /// Whether the workspace has this add-on at `now`.
    pub fn grants(&self, now: DateTime<Utc>) -> bool {
        self.status.grants(self.grace_until.map(utc), now)
    }

    /// Add-ons the workspace has at `now` (active, cancelling at period end, or overdue
    /// within their grace), with their catalog row.
    pub fn current_for(
        conn: &mut DbConnection,
        workspace_id: WorkspaceId,
        now: DateTime<Utc>,
    ) -> QueryResult<Vec<(WorkspaceAddon, Addon)>> {
        let rows: Vec<(WorkspaceAddon, AddonRow)> = workspace_addons::table
            .inner_join(addons::table)
            .filter(workspace_addons::workspace_id.eq(workspace_id))
            .filter(workspace_addons::status.ne(AddonStatus::Canceled))
            .order(workspace_addons::id.asc())
            .select((workspace_addons::all_columns, addons::all_columns))
            .fixed()
            .load_prepared(conn)?;
        Ok(rows
            .into_iter()
            .filter(|(owned, _)| owned.grants(now))
            .map(|(owned, addon)| (owned, Addon::from(addon)))
            .collect())
    }

    /// The workspace's add-on with catalog code `code` that it has at `now`, with its name.
    pub fn find_current_by_code(
        conn: &mut DbConnection,
        workspace_id: WorkspaceId,
        code: &str,
        now: DateTime<Utc>,
    ) -> QueryResult<Option<(WorkspaceAddon, String)>> {
        let rows: Vec<(WorkspaceAddon, String)> = workspace_addons::table
            .inner_join(addons::table)
            .filter(workspace_addons::workspace_id.eq(workspace_id))
            .filter(workspace_addons::status.ne(AddonStatus::Canceled))
            .filter(addons::code.eq(code))
            .order(workspace_addons::id.asc())
            .select((workspace_addons::all_columns, addons::name))
            .load_prepared(conn)?;
        Ok(rows.into_iter().find(|(owned, _)| owned.grants(now)))
    }

    /// The workspace that bought an add-on billed by provider subscription `subscription_id`.
    pub fn owner_of_subscription(conn: &mut DbConnection, subscription_id: &str) -> QueryResult<Option<WorkspaceId>> {
        workspace_addons::table
            .filter(workspace_addons::provider_subscription_id.eq(subscription_id))
            .select(workspace_addons::workspace_id)
            .first_row(conn)
            .optional()
    }

    pub fn is_billed_by(
        conn: &mut DbConnection,
        workspace_id: WorkspaceId,
        subscription_id: &str,
    ) -> QueryResult<bool> {
        diesel::select(diesel::dsl::exists(
            workspace_addons::table
                .filter(workspace_addons::workspace_id.eq(workspace_id))
                .filter(workspace_addons::provider_subscription_id.eq(subscription_id)),
        ))
        .get_result_prepared(conn)
    }

    /// The workspace's add-on rows billed by `subscription_id`, ended ones too.
    pub fn billed_by(
        conn: &mut DbConnection,
        workspace_id: WorkspaceId,
        subscription_id: &str,
    ) -> QueryResult<Vec<WorkspaceAddon>> {
        workspace_addons::table
            .filter(workspace_addons::workspace_id.eq(workspace_id))
            .filter(workspace_addons::provider_subscription_id.eq(subscription_id))
            .order(workspace_addons::id.asc())
            .load_prepared(conn)
    }

    /// Writes what the provider now says about this row.
    pub fn apply_state(conn: &mut DbConnection, id: i64, state: &AddonState) -> QueryResult<usize> {
        let changes = WorkspaceAddonChanges {
            status: state.status,
            cancel_at_period_end: state.cancel_at_period_end,
            current_period_end: state.current_period_end.map(|t| t.naive_utc()),
            grace_until: state.grace_until.map(|t| t.naive_utc()),
            state_at: state.state_at.map(|t| t.naive_utc()),
        };
        diesel::update(workspace_addons::table.find(id))
            .set((changes, workspace_addons::updated_at.eq(super::now())))
            .execute_prepared(conn)
    }

    pub fn mark_cancel_at_period_end(conn: &mut DbConnection, id: i64) -> QueryResult<usize> {
        diesel::update(workspace_addons::table.find(id))
            .set((workspace_addons::cancel_at_period_end.eq(true), workspace_addons::updated_at.eq(super::now())))
            .execute_prepared(conn)
    }
}
