//! Add-ons: recurring extras on top of a plan (custom domain, extra mailboxes…), and the
//! add-ons a workspace has bought.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::schema::{addons, workspace_addons};

#[derive(Debug, Clone, Queryable, Identifiable)]
#[diesel(table_name = addons)]
pub struct Addon {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub description: String,
    pub currency: String,
    pub price_minor: i64,
    pub billing_interval: String,
    pub stripe_price: Option<String>,
    pub chargebee_item_price: Option<String>,
    pub sort_order: i32,
    pub is_active: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Insertable, AsChangeset)]
#[diesel(table_name = addons, treat_none_as_null = true)]
pub struct AddonFields {
    pub code: String,
    pub name: String,
    pub description: String,
    pub currency: String,
    pub price_minor: i64,
    pub billing_interval: String,
    pub stripe_price: Option<String>,
    pub chargebee_item_price: Option<String>,
    pub sort_order: i32,
    pub is_active: bool,
}

impl Addon {
    pub fn all(conn: &mut DbConnection) -> QueryResult<Vec<Addon>> {
        addons::table.order((addons::sort_order.asc(), addons::id.asc())).load(conn)
    }

    pub fn active(conn: &mut DbConnection) -> QueryResult<Vec<Addon>> {
        addons::table.filter(addons::is_active.eq(true)).order((addons::sort_order.asc(), addons::id.asc())).load(conn)
    }

    pub fn find_by_code(conn: &mut DbConnection, code: &str) -> QueryResult<Option<Addon>> {
        addons::table.filter(addons::code.eq(code)).first(conn).optional()
    }

    pub fn insert(conn: &mut DbConnection, fields: &AddonFields) -> QueryResult<Addon> {
        let now = super::now();
        diesel::insert_into(addons::table)
            .values((fields, addons::created_at.eq(now), addons::updated_at.eq(now)))
            .returning(addons::all_columns)
            .get_result(conn)
    }

    pub fn update(conn: &mut DbConnection, id: i64, fields: &AddonFields) -> QueryResult<usize> {
        diesel::update(addons::table.find(id)).set((fields, addons::updated_at.eq(super::now()))).execute(conn)
    }

    pub fn set_active(conn: &mut DbConnection, id: i64, active: bool) -> QueryResult<usize> {
        diesel::update(addons::table.find(id))
            .set((addons::is_active.eq(active), addons::updated_at.eq(super::now())))
            .execute(conn)
    }
}

#[derive(Debug, Clone, Queryable, Identifiable)]
#[diesel(table_name = workspace_addons)]
pub struct WorkspaceAddon {
    pub id: i64,
    pub workspace_id: i64,
    pub addon_id: i64,
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

impl WorkspaceAddon {
    /// Add-ons the workspace has now (active or cancelling at period end), with their catalog row.
    pub fn current_for(conn: &mut DbConnection, workspace_id: i64) -> QueryResult<Vec<(WorkspaceAddon, Addon)>> {
        workspace_addons::table
            .inner_join(addons::table)
            .filter(workspace_addons::workspace_id.eq(workspace_id))
            .filter(workspace_addons::status.eq("active"))
            .order(workspace_addons::id.asc())
            .load(conn)
    }
}
