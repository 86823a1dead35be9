//! Signed-in sessions (`user_sessions`): one row per signed-in browser, keyed by the hash
//! of the token its cookie carries. No row, no session.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::{DbConnection, LimitRows, Prepared};
use crate::domain::ids::UserId;
use crate::models::user::User;
use crate::schema::{user_sessions, users};

pub fn insert(
    conn: &mut DbConnection,
    token_hash: &str,
    user_id: UserId,
    now: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(user_sessions::table)
        .values((
            user_sessions::token_hash.eq(token_hash),
            user_sessions::user_id.eq(user_id),
            user_sessions::created_at.eq(now),
            user_sessions::expires_at.eq(expires_at),
        ))
        .execute_prepared(conn)
}

/// The user of a live session, with the session's expiry: `None` when the session was
/// ended, has expired, or belongs to someone else.
pub fn find_user(
    conn: &mut DbConnection,
    token_hash: &str,
    user_id: UserId,
    now: NaiveDateTime,
) -> QueryResult<Option<(User, NaiveDateTime)>> {
    user_sessions::table
        .inner_join(users::table)
        .filter(user_sessions::token_hash.eq(token_hash))
        .filter(user_sessions::user_id.eq(user_id))
        .filter(user_sessions::expires_at.gt(now))
        .select((users::all_columns, user_sessions::expires_at))
        .first_row(conn)
        .optional()
}

pub fn set_expiry(conn: &mut DbConnection, token_hash: &str, expires_at: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(user_sessions::table.find(token_hash))
        .set(user_sessions::expires_at.eq(expires_at))
        .execute_prepared(conn)
}

pub fn delete(conn: &mut DbConnection, token_hash: &str) -> QueryResult<usize> {
    diesel::delete(user_sessions::table.find(token_hash)).execute_prepared(conn)
}

pub fn delete_for_user(conn: &mut DbConnection, user_id: UserId) -> QueryResult<usize> {
    diesel::delete(user_sessions::table.filter(user_sessions::user_id.eq(user_id))).execute_prepared(conn)
}

pub fn prune(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(user_sessions::table.filter(user_sessions::expires_at.le(now))).execute_prepared(conn)
}
