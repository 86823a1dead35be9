//! Subscriptions a workspace has seen end, one row each. An ended subscription never grants
//! again, whatever later events say, unless its provider reactivates it in place (Chargebee;
//! the state machine decides) and the row is forgotten. The question is asked about one
//! subscription at a time, so the work per event does not grow with a workspace's history.

use diesel::prelude::*;

use crate::db::{DbConnection, Prepared};
use crate::domain::ids::WorkspaceId;
use crate::schema::ended_subscriptions;

pub fn contains(conn: &mut DbConnection, workspace_id: WorkspaceId, subscription_id: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        ended_subscriptions::table
            .filter(ended_subscriptions::workspace_id.eq(workspace_id))
            .filter(ended_subscriptions::subscription_id.eq(subscription_id)),
    ))
    .fixed()
    .get_result_prepared(conn)
}

/// Records that `subscription_id` ended (a no-op when already recorded).
pub fn record(conn: &mut DbConnection, workspace_id: WorkspaceId, subscription_id: &str) -> QueryResult<()> {
    if contains(conn, workspace_id, subscription_id)? {
        return Ok(());
    }
    diesel::insert_into(ended_subscriptions::table)
        .values((
            ended_subscriptions::workspace_id.eq(workspace_id),
            ended_subscriptions::subscription_id.eq(subscription_id),
            ended_subscriptions::ended_at.eq(super::now()),
        ))
        .fixed()
        .execute_prepared(conn)
        .map(|_| ())
}

/// Forgets that `subscription_id` ended: the provider brought it back under the same id.
pub fn forget(conn: &mut DbConnection, workspace_id: WorkspaceId, subscription_id: &str) -> QueryResult<usize> {
    diesel::delete(
        ended_subscriptions::table
            .filter(ended_subscriptions::workspace_id.eq(workspace_id))
            .filter(ended_subscriptions::subscription_id.eq(subscription_id)),
    )
    .execute_prepared(conn)
}
