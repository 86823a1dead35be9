//! Sandbox time, kept the way Stripe's test clocks keep it. A customer created with a
//! `test_clock` lives in that clock's frozen time, which moves only when the clock is advanced
//! (`test_clocks`); every other object lives in real time. Operations take `now` as a parameter
//! and never read a clock themselves; handlers read it with [`now_for_customer`] inside the
//! operation's transaction, so an advance and an operation on the same customer never interleave.
//!
//! Objects carry their time in whole seconds (Stripe's timestamps are unix seconds).
//! Bookkeeping rows (events, delivery leases) carry [`real_now`]: the app checks an event's
//! signature timestamp against its own, real, clock.
//!
//! Every date the sandbox computes stays at or before [`latest`] plus a few years of periods and
//! trials, and every step is checked arithmetic: no request can overflow a date, store one
//! PostgreSQL or SQLite cannot read back, or panic.

use chrono::{DateTime, Months, NaiveDate, NaiveDateTime, TimeDelta, Timelike, Utc};
use diesel::prelude::*;

use super::error::SandboxError;
use super::schema::{sandbox_customers, sandbox_test_clocks};
use crate::db::DbConnection;

/// The latest frozen time a test clock may have: far enough for any test, early enough that a
/// period, a trial or a two-year advance from it is still an ordinary four-digit-year date.
pub fn latest() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(9000, 1, 1).and_then(|d| d.and_hms_opt(0, 0, 0)).unwrap_or(NaiveDateTime::MAX)
}

/// The earliest frozen time: Stripe's timestamps are unix seconds, and negative ones are refused.
pub fn earliest() -> NaiveDateTime {
    DateTime::UNIX_EPOCH.naive_utc()
}

/// `now` for a customer's objects: its test clock's frozen time, or real time for a customer on
/// no clock (and for objects of no customer yet, such as a checkout for a new one).
pub fn now_for_customer(conn: &mut DbConnection, customer_id: Option<&str>) -> QueryResult<NaiveDateTime> {
    let Some(id) = customer_id else {
        return Ok(real_now_seconds());
    };
    let frozen: Option<NaiveDateTime> = sandbox_customers::table
        .inner_join(sandbox_test_clocks::table)
        .filter(sandbox_customers::id.eq(id))
        .select(sandbox_test_clocks::frozen_time)
        .first(conn)
        .optional()?;
    Ok(frozen.unwrap_or_else(real_now_seconds))
}

/// Real time, to the microsecond both databases keep (so a row reads back as it was written).
pub fn real_now() -> NaiveDateTime {
    let now = Utc::now().naive_utc();
    now.with_nanosecond((now.nanosecond() / 1_000) * 1_000).unwrap_or(now)
}

/// Real time in whole seconds, the time of objects on no test clock.
pub fn real_now_seconds() -> NaiveDateTime {
    let now = Utc::now();
    DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now).naive_utc()
}

/// A unix timestamp as a sandbox time, if it is one the sandbox keeps.
pub fn from_unix(seconds: i64) -> Option<NaiveDateTime> {
    DateTime::from_timestamp(seconds, 0).map(|t| t.naive_utc()).filter(|t| (earliest()..=latest()).contains(t))
}

/// Unix seconds, as Stripe writes times.
pub fn unix(t: NaiveDateTime) -> i64 {
    t.and_utc().timestamp()
}

fn out_of_range() -> SandboxError {
    SandboxError::invalid("That date is later than the sandbox can keep; use an earlier frozen_time.")
}

/// `t + by`, or a 400 when the result is not a date.
pub fn later(t: NaiveDateTime, by: TimeDelta) -> Result<NaiveDateTime, SandboxError> {
    t.checked_add_signed(by).ok_or_else(out_of_range)
}

/// How many months one billing `interval` (`month` or `year`) lasts.
pub fn interval_months(interval: &str) -> u32 {
    if interval == "year" { 12 } else { 1 }
}

/// The end of `count` periods of `interval` from `start`, or a 400 when it is not a date.
pub fn periods_after(start: NaiveDateTime, interval: &str, count: u32) -> Result<NaiveDateTime, SandboxError> {
    let months = interval_months(interval).checked_mul(count).ok_or_else(out_of_range)?;
    start.checked_add_months(Months::new(months)).ok_or_else(out_of_range)
}

/// The end of a period that starts at `start` and lasts one `interval` (`month` or `year`).
pub fn period_end(start: NaiveDateTime, interval: &str) -> Result<NaiveDateTime, SandboxError> {
    periods_after(start, interval, 1)
}

/// A sandbox date as the pages show it: `12 Jan 2027`.
pub fn day(t: NaiveDateTime) -> String {
    t.format("%-d %b %Y").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_and_formats() {
        let start =
            chrono::NaiveDate::from_ymd_opt(2027, 1, 31).and_then(|d| d.and_hms_opt(12, 0, 0)).unwrap_or_default();
        assert_eq!(period_end(start, "month").map(day).ok().as_deref(), Some("28 Feb 2027"));
        assert_eq!(period_end(start, "year").map(day).ok().as_deref(), Some("31 Jan 2028"));
        assert_eq!(real_now().nanosecond() % 1_000, 0);
    }

    #[test]
    fn nothing_overflows() {
        assert!(periods_after(NaiveDateTime::MAX, "year", 1).is_err());
        assert!(periods_after(latest(), "year", u32::MAX).is_err());
        assert!(later(NaiveDateTime::MAX, TimeDelta::seconds(1)).is_err());
        assert!(from_unix(i64::MAX).is_none() && from_unix(i64::MIN).is_none() && from_unix(-1).is_none());
        assert!(from_unix(unix(latest()) + 1).is_none());
        assert_eq!(from_unix(unix(latest())), Some(latest()));
        assert!(periods_after(latest(), "year", 2).is_ok(), "two years past the latest frozen time is a date");
    }
}
