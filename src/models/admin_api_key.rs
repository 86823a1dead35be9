//! Instance administrators' API keys for the platform-health API: the hash of each key
//! (never the key), its visible prefix, whose it is, when it was last used, whether revoked.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::api_key::LAST_USED_GRANULARITY;
use crate::db::{DbConnection, LimitRows, Prepared};
use crate::domain::ids::UserId;
use crate::schema::admin_api_keys;

#[derive(Debug, Clone, Queryable)]
#[diesel(table_name = admin_api_keys)]
pub struct AdminApiKey {
    pub id: i64,
    pub user_id: UserId,
    pub prefix: String,
    pub key_hash: String,
    pub created_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = admin_api_keys)]
pub struct NewAdminApiKey<'a> {
    pub user_id: UserId,
    pub prefix: &'a str,
    pub key_hash: &'a str,
    pub created_at: NaiveDateTime,
}

impl NewAdminApiKey<'_> {
    pub fn insert(&self, conn: &mut DbConnection) -> QueryResult<i64> {
        diesel::insert_into(admin_api_keys::table).values(self).returning(admin_api_keys::id).get_result_prepared(conn)
    }
}

impl AdminApiKey {
    /// A key that still works, by its hash.
    pub fn find_active(conn: &mut DbConnection, key_hash: &str) -> QueryResult<Option<AdminApiKey>> {
        admin_api_keys::table
            .filter(admin_api_keys::key_hash.eq(key_hash))
            .filter(admin_api_keys::revoked_at.is_null())
            .first_row(conn)
            .optional()
    }

    /// Revokes every working key of a user; how many.
    pub fn revoke_all(conn: &mut DbConnection, user_id: UserId, now: NaiveDateTime) -> QueryResult<usize> {
        diesel::update(
            admin_api_keys::table
                .filter(admin_api_keys::user_id.eq(user_id))
                .filter(admin_api_keys::revoked_at.is_null()),
        )
        .set(admin_api_keys::revoked_at.eq(now))
        .execute_prepared(conn)
    }

    /// Records a use, unless one was recorded within a minute.
    pub fn touch(conn: &mut DbConnection, id: i64, now: NaiveDateTime) -> QueryResult<usize> {
        diesel::update(admin_api_keys::table.find(id).filter(
            admin_api_keys::last_used_at.is_null().or(admin_api_keys::last_used_at.lt(now - LAST_USED_GRANULARITY)),
        ))
        .set(admin_api_keys::last_used_at.eq(now))
        .execute_prepared(conn)
    }
}
