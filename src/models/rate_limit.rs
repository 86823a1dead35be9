//! Throttle counters (`rate_limit_hits`), one row per bucket, shared by every instance on
//! the database. Counting is one UPSERT, so two requests on two instances at the same
//! moment both count: PostgreSQL serialises them on the row, SQLite on its write lock.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};

use crate::db::DbConnection;
use crate::schema::rate_limit_hits;

/// The same statement in each dialect: open a window at the first hit (or once the old
/// one has ended), else count one more in the current window; answer the count.
const COUNT_SQLITE: &str = "INSERT INTO rate_limit_hits (bucket, hits, window_ends_at) VALUES (?1, 1, ?3) \
     ON CONFLICT (bucket) DO UPDATE SET \
     hits = CASE WHEN rate_limit_hits.window_ends_at <= ?2 THEN 1 ELSE rate_limit_hits.hits + 1 END, \
     window_ends_at = CASE WHEN rate_limit_hits.window_ends_at <= ?2 \
         THEN excluded.window_ends_at ELSE rate_limit_hits.window_ends_at END \
     RETURNING hits, window_ends_at";
const COUNT_POSTGRES: &str = "INSERT INTO rate_limit_hits (bucket, hits, window_ends_at) VALUES ($1, 1, $3) \
     ON CONFLICT (bucket) DO UPDATE SET \
     hits = CASE WHEN rate_limit_hits.window_ends_at <= $2 THEN 1 ELSE rate_limit_hits.hits + 1 END, \
     window_ends_at = CASE WHEN rate_limit_hits.window_ends_at <= $2 \
         THEN excluded.window_ends_at ELSE rate_limit_hits.window_ends_at END \
     RETURNING hits, window_ends_at";

/// A bucket's count after a hit, and when its window ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, QueryableByName)]
pub struct Counted {
    #[diesel(sql_type = BigInt)]
    pub hits: i64,
    #[diesel(sql_type = Timestamp)]
    pub window_ends_at: NaiveDateTime,
}

/// Counts one hit for `bucket` at `now`; a new window would end at `new_window_ends_at`.
pub fn count_hit(
    conn: &mut DbConnection,
    bucket: &str,
    now: NaiveDateTime,
    new_window_ends_at: NaiveDateTime,
) -> QueryResult<Counted> {
    match conn {
        DbConnection::Sqlite(c) => diesel::sql_query(COUNT_SQLITE)
            .bind::<Text, _>(bucket)
            .bind::<Timestamp, _>(now)
            .bind::<Timestamp, _>(new_window_ends_at)
            .get_result(c),
        DbConnection::Postgres(c) => diesel::sql_query(COUNT_POSTGRES)
            .bind::<Text, _>(bucket)
            .bind::<Timestamp, _>(now)
            .bind::<Timestamp, _>(new_window_ends_at)
            .get_result(c),
    }
}

/// Forgets a bucket (a successful sign-in clears its account's failures).
pub fn clear(conn: &mut DbConnection, bucket: &str) -> QueryResult<usize> {
    diesel::delete(rate_limit_hits::table.find(bucket)).execute(conn)
}

/// Deletes buckets whose window ended by `now`; they would restart at the next hit anyway.
pub fn prune(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(rate_limit_hits::table.filter(rate_limit_hits::window_ends_at.le(now))).execute(conn)
}
