//! Forgets what has expired: throttle counters whose window ended (the next hit would
//! start a new one anyway) and sessions past their expiry (no cookie can use them), so
//! neither table grows with every visitor ever seen.

use chrono::NaiveDateTime;

use crate::db::DbConnection;
use crate::error::AppError;
use crate::models::{rate_limit, user_session};

/// Deletes both kinds of expired rows; answers (counters, sessions) deleted.
pub fn prune_expired(conn: &mut DbConnection, now: NaiveDateTime) -> Result<(usize, usize), AppError> {
    let counters = rate_limit::prune(conn, now)?;
    let sessions = user_session::prune(conn, now)?;
    Ok((counters, sessions))
}
