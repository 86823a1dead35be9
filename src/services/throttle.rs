//! Applies the throttling rules (`domain::throttle`) to the counters in the database, so
//! every instance on one database counts against the same limits: running more instances
//! does not multiply what an attacker may try.

use chrono::NaiveDateTime;

use crate::db::{DbConnection, write_transaction};
use crate::domain::throttle::{Bucket, Refusal, judge, window_end};
use crate::error::AppError;
use crate::models::{now, rate_limit};
use crate::state::AppState;

enum Stop {
    Refused(Refusal),
    Database(diesel::result::Error),
}

impl From<diesel::result::Error> for Stop {
    fn from(e: diesel::result::Error) -> Stop {
        Stop::Database(e)
    }
}

/// Counts one hit in every bucket, or, when any bucket is over its limit, refuses and
/// counts in none (one transaction, rolled back), saying how long the longest wait is.
/// Buckets are counted in key order so concurrent callers lock rows in the same order.
pub fn count(
    conn: &mut DbConnection,
    buckets: &[Bucket],
    now: NaiveDateTime,
) -> Result<Result<(), Refusal>, diesel::result::Error> {
    let mut keyed: Vec<(String, &Bucket)> = buckets.iter().map(|b| (b.key(), b)).collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    let outcome = write_transaction(conn, |conn| {
        let mut refusal: Option<Refusal> = None;
        for (key, bucket) in &keyed {
            let limit = bucket.limit();
            let counted = rate_limit::count_hit(conn, key, now, window_end(limit, now))?;
            if let Err(r) = judge(limit, counted.hits, counted.window_ends_at, now) {
                refusal = refusal.max(Some(r));
            }
        }
        match refusal {
            Some(r) => Err(Stop::Refused(r)),
            None => Ok(()),
        }
    });
    match outcome {
        Ok(()) => Ok(Ok(())),
        Err(Stop::Refused(r)) => Ok(Err(r)),
        Err(Stop::Database(e)) => Err(e),
    }
}

/// Forgets what a bucket counted.
pub fn clear(conn: &mut DbConnection, bucket: &Bucket) -> Result<(), diesel::result::Error> {
    rate_limit::clear(conn, &bucket.key()).map(|_| ())
}

/// `count` for a handler's service: a refusal is a 429 with `Retry-After`.
pub async fn check(state: &AppState, buckets: Vec<Bucket>) -> Result<(), AppError> {
    let counted = state.db.run(move |conn| Ok(count(conn, &buckets, now())?)).await?;
    counted.map_err(|r| AppError::TooManyRequests { retry_after_secs: r.retry_after_secs() })
}
