//! Leases that let one instance at a time run the background jobs: a row per lease name,
//! held by whoever renewed it last until it expires.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::{DbConnection, is_unique_violation};
use crate::schema::job_leases;

/// Renews `name` for `holder` until `expires`, or takes it over when it has expired.
/// True when `holder` holds it now.
pub fn renew_or_take(
    conn: &mut DbConnection,
    name: &str,
    holder: &str,
    now: NaiveDateTime,
    expires: NaiveDateTime,
) -> QueryResult<bool> {
    let taken = diesel::update(
        job_leases::table
            .filter(job_leases::name.eq(name))
            .filter(job_leases::holder.eq(holder).or(job_leases::expires_at.lt(now))),
    )
    .set((job_leases::holder.eq(holder), job_leases::expires_at.eq(expires)))
    .execute(conn)?;
    Ok(taken == 1)
}

pub fn exists(conn: &mut DbConnection, name: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(job_leases::table.filter(job_leases::name.eq(name)))).get_result(conn)
}

/// Creates the lease for `holder`. False when another instance created it first; runs in a
/// savepoint so that losing the race leaves the caller's transaction usable.
pub fn create(conn: &mut DbConnection, name: &str, holder: &str, expires: NaiveDateTime) -> QueryResult<bool> {
    let inserted = conn.transaction(|conn| {
        diesel::insert_into(job_leases::table)
            .values((job_leases::name.eq(name), job_leases::holder.eq(holder), job_leases::expires_at.eq(expires)))
            .execute(conn)
    });
    match inserted {
        Ok(_) => Ok(true),
        Err(e) if is_unique_violation(&e) => Ok(false),
        Err(e) => Err(e),
    }
}
