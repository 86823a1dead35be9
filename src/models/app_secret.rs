//! Secrets Tollgate generated for itself, kept in the database on PostgreSQL so that every
//! instance behind a load balancer uses the same ones.

use diesel::prelude::*;

use crate::db::{DbConnection, LimitRows, Prepared, is_unique_violation};
use crate::schema::app_secrets;

pub fn find(conn: &mut DbConnection, name: &str) -> QueryResult<Option<String>> {
    app_secrets::table.find(name).select(app_secrets::value).first_row(conn).optional()
}

/// Stores a new secret. False when another instance stored one under the same name first.
pub fn insert(conn: &mut DbConnection, name: &str, value: &str) -> QueryResult<bool> {
    let inserted = diesel::insert_into(app_secrets::table)
        .values((app_secrets::name.eq(name), app_secrets::value.eq(value), app_secrets::created_at.eq(super::now())))
        .execute_prepared(conn);
    match inserted {
        Ok(_) => Ok(true),
        Err(e) if is_unique_violation(&e) => Ok(false),
        Err(e) => Err(e),
    }
}
