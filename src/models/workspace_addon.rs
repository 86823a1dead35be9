//! The add-ons a workspace has bought, each tied to the provider subscription that bills it.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::addon::AddonRow;
use crate::db::DbConnection;
use crate::domain::catalog::Addon;
use crate::domain::ids::{AddonId, WorkspaceId};
use crate::schema::{addons, workspace_addons};

#[derive(Debug, Clone, Queryable, Identifiable)]
#[diesel(table_name = workspace_addons)]
pub struct WorkspaceAddon {
    pub id: i64,
    pub workspace_id: WorkspaceId,
    pub addon_id: AddonId,
    pub status: String,
    pub provider_subscription_id: Option<String>,
    pub checkout_id: Option<String>,
    pub current_period_end: Option<NaiveDateTime>,
    pub cancel_at_period_end: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// The provider price the add-on was bought at (to cancel it on the provider).
    pub addon_price_id: Option<String>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = workspace_addons)]
pub struct NewWorkspaceAddon<'a> {
    pub workspace_id: WorkspaceId,
    pub addon_id: AddonId,
    pub status: &'a str,
    pub provider_subscription_id: Option<&'a str>,
    pub checkout_id: &'a str,
    pub current_period_end: Option<NaiveDateTime>,
    pub cancel_at_period_end: bool,
    pub addon_price_id: Option<&'a str>,
}

impl NewWorkspaceAddon<'_> {
    pub fn insert(&self, conn: &mut DbConnection) -> QueryResult<usize> {
        let now = super::now();
        diesel::insert_into(workspace_addons::table)
            .values((self, workspace_addons::created_at.eq(now), workspace_addons::updated_at.eq(now)))
            .execute(conn)
    }
}

/// What a provider event says about an add-on's subscription.
#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = workspace_addons, treat_none_as_null = true)]
pub struct WorkspaceAddonChanges<'a> {
    pub status: &'a str,
    pub cancel_at_period_end: bool,
    pub current_period_end: Option<NaiveDateTime>,
}

impl WorkspaceAddon {
    /// Add-ons the workspace has now (active or cancelling at period end), with their catalog row.
    pub fn current_for(
        conn: &mut DbConnection,
        workspace_id: WorkspaceId,
    ) -> QueryResult<Vec<(WorkspaceAddon, Addon)>> {
        let rows: Vec<(WorkspaceAddon, AddonRow)> = workspace_addons::table
            .inner_join(addons::table)
            .filter(workspace_addons::workspace_id.eq(workspace_id))
            .filter(workspace_addons::status.eq("active"))
            .order(workspace_addons::id.asc())
            .select((workspace_addons::all_columns, addons::all_columns))
            .load(conn)?;
        Ok(rows.into_iter().map(|(owned, addon)| (owned, Addon::from(addon))).collect())
    }

    /// The workspace's active add-on with catalog code `code`, with the add-on's name.
    pub fn find_active_by_code(
        conn: &mut DbConnection,
        workspace_id: WorkspaceId,
        code: &str,
    ) -> QueryResult<Option<(WorkspaceAddon, String)>> {
        workspace_addons::table
            .inner_join(addons::table)
            .filter(workspace_addons::workspace_id.eq(workspace_id))
            .filter(workspace_addons::status.eq("active"))
            .filter(addons::code.eq(code))
            .select((workspace_addons::all_columns, addons::name))
            .first(conn)
            .optional()
    }

    /// The workspace that bought an add-on billed by provider subscription `subscription_id`.
    pub fn owner_of_subscription(conn: &mut DbConnection, subscription_id: &str) -> QueryResult<Option<WorkspaceId>> {
        workspace_addons::table
            .filter(workspace_addons::provider_subscription_id.eq(subscription_id))
            .select(workspace_addons::workspace_id)
            .first(conn)
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
        .get_result(conn)
    }

    /// Applies what the provider says about the add-on's subscription; returns rows changed.
    pub fn update_for_subscription(
        conn: &mut DbConnection,
        workspace_id: WorkspaceId,
        subscription_id: &str,
        changes: &WorkspaceAddonChanges<'_>,
    ) -> QueryResult<usize> {
        diesel::update(
            workspace_addons::table
                .filter(workspace_addons::workspace_id.eq(workspace_id))
                .filter(workspace_addons::provider_subscription_id.eq(subscription_id)),
        )
        .set((changes, workspace_addons::updated_at.eq(super::now())))
        .execute(conn)
    }

    pub fn mark_cancel_at_period_end(conn: &mut DbConnection, id: i64) -> QueryResult<usize> {
        diesel::update(workspace_addons::table.find(id))
            .set((workspace_addons::cancel_at_period_end.eq(true), workspace_addons::updated_at.eq(super::now())))
            .execute(conn)
    }
}
