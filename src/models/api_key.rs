//! Workspace API keys: the hash of each key (never the key), its visible prefix, who made
//! it, when it was last used and whether it is revoked.

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;

use crate::db::{DbConnection, LimitRows, Prepared};
use crate::domain::ids::{UserId, WorkspaceId};
use crate::schema::api_keys;

#[derive(Debug, Clone, Queryable)]
#[diesel(table_name = api_keys)]
pub struct ApiKey {
    pub id: i64,
    pub workspace_id: WorkspaceId,
    pub name: String,
    pub prefix: String,
    pub key_hash: String,
    pub created_by: Option<UserId>,
    pub created_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = api_keys)]
pub struct NewApiKey<'a> {
    pub workspace_id: WorkspaceId,
    pub name: &'a str,
    pub prefix: &'a str,
    pub key_hash: &'a str,
    pub created_by: Option<UserId>,
    pub created_at: NaiveDateTime,
}

/// `last_used_at` moves at most this often, so a busy key does not write on every request.
pub const LAST_USED_GRANULARITY: TimeDelta = TimeDelta::minutes(1);

/// Whether a key last used at `last_used_at` should record a use at `now`. Callers check the row
/// they already read before calling `touch`: on SQLite an UPDATE takes the write lock even when
/// it matches no row, so an unconditional `touch` queued every request behind the writer.
pub fn use_is_due(last_used_at: Option<NaiveDateTime>, now: NaiveDateTime) -> bool {
    last_used_at.is_none_or(|at| at < now - LAST_USED_GRANULARITY)
}

impl NewApiKey<'_> {
    pub fn insert(&self, conn: &mut DbConnection) -> QueryResult<ApiKey> {
        diesel::insert_into(api_keys::table).values(self).returning(api_keys::all_columns).get_result_prepared(conn)
    }
}

impl ApiKey {
    /// The workspace's keys that still work, newest first.
    pub fn active_for(conn: &mut DbConnection, workspace_id: WorkspaceId) -> QueryResult<Vec<ApiKey>> {
        api_keys::table
            .filter(api_keys::workspace_id.eq(workspace_id))
            .filter(api_keys::revoked_at.is_null())
            .order(api_keys::id.desc())
            .fixed()
            .load_prepared(conn)
    }

    pub fn find_by_hash(conn: &mut DbConnection, key_hash: &str) -> QueryResult<Option<ApiKey>> {
        api_keys::table.filter(api_keys::key_hash.eq(key_hash)).first_row(conn).optional()
    }

    /// Revokes one of the workspace's keys; 0 when it has no such working key.
    pub fn revoke(conn: &mut DbConnection, workspace_id: WorkspaceId, id: i64) -> QueryResult<usize> {
        diesel::update(
            api_keys::table
                .find(id)
                .filter(api_keys::workspace_id.eq(workspace_id))
                .filter(api_keys::revoked_at.is_null()),
        )
        .set(api_keys::revoked_at.eq(super::now()))
        .execute_prepared(conn)
    }

    /// Records a use, unless one was recorded within [`LAST_USED_GRANULARITY`].
    pub fn touch(conn: &mut DbConnection, id: i64, now: NaiveDateTime) -> QueryResult<usize> {
        diesel::update(
            api_keys::table
                .find(id)
                .filter(api_keys::last_used_at.is_null().or(api_keys::last_used_at.lt(now - LAST_USED_GRANULARITY))),
        )
        .set(api_keys::last_used_at.eq(now))
        .execute_prepared(conn)
    }
}
