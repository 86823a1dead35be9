//! One row per provider checkout Tollgate has fulfilled: the success page and the checkout
//! webhook race, and the unique (provider, checkout id) key makes the second one a no-op.

use diesel::prelude::*;

use crate::db::DbConnection;
use crate::domain::ids::WorkspaceId;
use crate::domain::normalized::Provider;
use crate::schema::checkout_fulfilments;

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = checkout_fulfilments)]
pub struct NewCheckoutFulfilment<'a> {
    pub provider: &'a str,
    pub checkout_id: &'a str,
    pub workspace_id: WorkspaceId,
    /// What was bought: `plan`, `credit_pack` or `addon`.
    pub purchase: &'a str,
    pub code: &'a str,
}

impl NewCheckoutFulfilment<'_> {
    pub fn insert(&self, conn: &mut DbConnection) -> QueryResult<usize> {
        diesel::insert_into(checkout_fulfilments::table)
            .values((self, checkout_fulfilments::created_at.eq(super::now())))
            .execute(conn)
    }
}

pub fn is_fulfilled(conn: &mut DbConnection, provider: Provider, checkout_id: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        checkout_fulfilments::table
            .filter(checkout_fulfilments::provider.eq(provider.as_str()))
            .filter(checkout_fulfilments::checkout_id.eq(checkout_id)),
    ))
    .get_result(conn)
}
