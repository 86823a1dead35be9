//! Sandbox time. Stripe's test clocks move a customer's time forward; the sandbox has one clock
//! for everything: sandbox time is real time plus an offset that only moves forward, kept in the
//! `sandbox_clock` row so every instance behind a load balancer agrees. Operations take `now` as
//! a parameter and never read a clock themselves; handlers read it through [`Clock`] inside the
//! operation's transaction.
//!
//! Objects carry sandbox time in whole seconds (Stripe's timestamps are unix seconds).
//! Bookkeeping rows (events, delivery leases) carry [`real_now`]: the app checks an event's
//! signature timestamp against its own, real, clock.

use chrono::{DateTime, Duration, Months, NaiveDateTime, Timelike, Utc};
use diesel::prelude::*;

use super::schema::sandbox_clock;
use crate::db::DbConnection;

/// The clock is one row; none means no offset yet.
const CLOCK_ROW: i64 = 1;

/// Reads and moves sandbox time.
#[derive(Debug, Clone, Copy, Default)]
pub struct Clock;

impl Clock {
    /// Sandbox time: real time plus the offset, in whole seconds.
    pub fn now(&self, conn: &mut DbConnection) -> QueryResult<NaiveDateTime> {
        let offset = self.offset(conn)?;
        Ok(whole_seconds(Utc::now() + Duration::seconds(offset)))
    }

    /// How far sandbox time is ahead of real time, in seconds.
    pub fn offset(&self, conn: &mut DbConnection) -> QueryResult<i64> {
        Ok(sandbox_clock::table
            .find(CLOCK_ROW)
            .select(sandbox_clock::offset_seconds)
            .first(conn)
            .optional()?
            .unwrap_or(0))
    }

    pub fn set_offset(&self, conn: &mut DbConnection, offset: i64) -> QueryResult<()> {
        let updated = diesel::update(sandbox_clock::table.find(CLOCK_ROW))
            .set((sandbox_clock::offset_seconds.eq(offset), sandbox_clock::updated_at.eq(real_now())))
            .execute(conn)?;
        if updated == 0 {
            diesel::insert_into(sandbox_clock::table)
                .values((
                    sandbox_clock::id.eq(CLOCK_ROW),
                    sandbox_clock::offset_seconds.eq(offset),
                    sandbox_clock::updated_at.eq(real_now()),
                ))
                .execute(conn)?;
        }
        Ok(())
    }
}

/// Real time, to the microsecond both databases keep (so a row reads back as it was written).
pub fn real_now() -> NaiveDateTime {
    let now = Utc::now().naive_utc();
    now.with_nanosecond((now.nanosecond() / 1_000) * 1_000).unwrap_or(now)
}

pub fn whole_seconds(t: DateTime<Utc>) -> NaiveDateTime {
    DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t).naive_utc()
}

/// Unix seconds, as Stripe writes times.
pub fn unix(t: NaiveDateTime) -> i64 {
    t.and_utc().timestamp()
}

/// The end of a period that starts at `start` and lasts one `interval` (`month` or `year`).
pub fn period_end(start: NaiveDateTime, interval: &str) -> NaiveDateTime {
    let months = if interval == "year" { 12 } else { 1 };
    start.checked_add_months(Months::new(months)).unwrap_or(start + Duration::days(30 * i64::from(months)))
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
        assert_eq!(day(period_end(start, "month")), "28 Feb 2027");
        assert_eq!(day(period_end(start, "year")), "31 Jan 2028");
        assert_eq!(real_now().nanosecond() % 1_000, 0);
    }
}
