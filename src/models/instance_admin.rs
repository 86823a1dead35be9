//! Instance administrators granted with `tollgate admin grant` (the `ADMIN_EMAILS` setting
//! names the others, without a row).

use diesel::prelude::*;

use crate::db::{DbConnection, Prepared};
use crate::domain::ids::UserId;
use crate::schema::{instance_admins, users};

pub fn is_admin(conn: &mut DbConnection, user_id: UserId) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(instance_admins::table.find(user_id))).get_result_prepared(conn)
}

/// Grants admin to `user_id`; false when it already had it.
pub fn grant(conn: &mut DbConnection, user_id: UserId) -> QueryResult<bool> {
    if is_admin(conn, user_id)? {
        return Ok(false);
    }
    diesel::insert_into(instance_admins::table)
        .values((instance_admins::user_id.eq(user_id), instance_admins::granted_at.eq(super::now())))
        .execute_prepared(conn)
        .map(|n| n == 1)
}

/// Takes admin away from `user_id`; false when it had none.
pub fn revoke(conn: &mut DbConnection, user_id: UserId) -> QueryResult<bool> {
    diesel::delete(instance_admins::table.find(user_id)).execute_prepared(conn).map(|n| n == 1)
}

/// The emails of everyone granted admin, oldest grant first.
pub fn emails(conn: &mut DbConnection) -> QueryResult<Vec<String>> {
    instance_admins::table
        .inner_join(users::table)
        .order(instance_admins::granted_at.asc())
        .select(users::email)
        .load_prepared(conn)
}
