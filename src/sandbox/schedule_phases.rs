//! A subscription schedule's phases, as `POST /v1/subscription_schedules/{id}` sends them
//! (`phases[i][items][0][price]`, `phases[i][start_date]`, `phases[i][end_date]` or
//! `phases[i][iterations]` / `phases[i][duration][…]`, `phases[i][proration_behavior]`), read
//! into concrete times and checked the way Stripe checks them: the first phase is the current
//! one and keeps its start, each phase starts where the previous one ends, every phase but the
//! last has an end, the last defaults to one interval of its price, and at most
//! [`MAX_PHASES`]. Every date is checked arithmetic within the times the sandbox keeps.

use chrono::{NaiveDateTime, TimeDelta};
use serde::{Deserialize, Serialize};

use super::catalog::Price;
use super::changes::{PRORATION_BEHAVIORS, one_of};
use super::error::SandboxError;
use super::form::StripeForm;
use super::ops::Result;
use super::time::{from_unix, later, latest, periods_after, unix};
use crate::db::DbConnection;

/// Stripe's limit on the phases of one schedule.
pub const MAX_PHASES: usize = 10;
/// The longest phase the sandbox accepts, in intervals of its price.
const MAX_ITERATIONS: i64 = 36;

/// One phase, with concrete times (unix seconds).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Phase {
    pub start_date: i64,
    pub end_date: i64,
    pub price: String,
    pub proration_behavior: String,
}

fn invalid(msg: String) -> SandboxError {
    SandboxError::invalid(msg)
}

/// A `phases[i][start_date]` / `[end_date]` value: a unix time the sandbox keeps, or `now`.
fn time(param: &str, raw: &str, now: NaiveDateTime) -> Result<NaiveDateTime> {
    if raw == "now" {
        return Ok(now);
    }
    let seconds: i64 =
        raw.parse().map_err(|_| invalid(format!("Invalid {param}: {raw:?} is not a unix timestamp or `now`.")))?;
    from_unix(seconds).ok_or_else(|| {
        invalid(format!(
            "Invalid {param}: {seconds} is outside the times the sandbox keeps (up to {}).",
            unix(latest())
        ))
    })
}

/// How many phases the form sends: `phases[0]` … `phases[n-1]`, no gaps, at most [`MAX_PHASES`].
fn count(form: &StripeForm) -> Result<usize> {
    let indices = form.indices("phases");
    if indices.len() > MAX_PHASES || indices.iter().any(|i| *i >= MAX_PHASES) {
        return Err(invalid(format!("A subscription schedule can have at most {MAX_PHASES} phases.")));
    }
    if indices.iter().enumerate().any(|(n, i)| n != *i) {
        return Err(invalid("Invalid phases: list them as phases[0], phases[1], … without gaps.".to_owned()));
    }
    Ok(indices.len())
}

/// The end of phase `i` starting at `start` with `price`: `end_date`, else `iterations` or
/// `duration`, else (the last phase only) one interval of its price.
fn phase_end(
    form: &StripeForm,
    i: usize,
    last: bool,
    start: NaiveDateTime,
    price: &Price,
    now: NaiveDateTime,
) -> Result<NaiveDateTime> {
    let key = |name: &str| format!("phases[{i}][{name}]");
    let interval = price.interval.as_deref().unwrap_or("month");
    let end_date = form.get(&key("end_date"));
    let iterations = form.int(&key("iterations"))?;
    let duration = form.get(&key("duration][interval"));
    if usize::from(end_date.is_some()) + usize::from(iterations.is_some()) + usize::from(duration.is_some()) > 1 {
        return Err(invalid(format!("Phase {i}: set only one of end_date, iterations and duration.")));
    }
    let in_range = |n: i64, what: &str| {
        if (1..=MAX_ITERATIONS).contains(&n) {
            u32::try_from(n).map_err(|_| invalid(format!("Invalid {what}.")))
        } else {
            Err(invalid(format!("Invalid {what}: must be between 1 and {MAX_ITERATIONS} (got {n}).")))
        }
    };
    let end = match (end_date, iterations, duration) {
        (Some(raw), _, _) => time(&key("end_date"), raw, now)?,
        (_, Some(n), _) => periods_after(start, interval, in_range(n, &key("iterations"))?)?,
        (_, _, Some(unit)) => {
            let n =
                in_range(form.int(&key("duration][interval_count"))?.unwrap_or(1), &key("duration][interval_count"))?;
            match unit {
                "day" => later(start, TimeDelta::days(i64::from(n)))?,
                "week" => later(start, TimeDelta::weeks(i64::from(n)))?,
                "month" | "year" => periods_after(start, unit, n)?,
                other => {
                    return Err(invalid(format!(
                        "Invalid {}: must be one of day, week, month or year (got {other:?}).",
                        key("duration][interval")
                    )));
                }
            }
        }
        (None, None, None) if last => periods_after(start, interval, 1)?,
        (None, None, None) => {
            return Err(invalid(format!(
                "Phase {i} needs an end_date, iterations or duration: only the last may omit it."
            )));
        }
    };
    if end <= start {
        return Err(invalid(format!("Phase {i} must end after it starts.")));
    }
    if end > latest() {
        return Err(invalid(format!("Phase {i} ends later than the sandbox can keep (after {}).", unix(latest()))));
    }
    Ok(end)
}

/// Reads the phases of an update. `current_start` is when the schedule's current phase started:
/// the first phase must keep it, and must still be running at `now`.
pub fn read(
    conn: &mut DbConnection,
    form: &StripeForm,
    current_start: NaiveDateTime,
    now: NaiveDateTime,
) -> Result<Vec<Phase>> {
    let n = count(form)?;
    if n == 0 {
        return Err(invalid("Missing required param: phases.".to_owned()));
    }
    let default_proration = one_of(form, "proration_behavior", &PRORATION_BEHAVIORS, "create_prorations")?;
    let mut phases = Vec::with_capacity(n);
    let mut start = current_start;
    for i in 0..n {
        let key = |name: &str| format!("phases[{i}][{name}]");
        match form.get(&key("start_date")) {
            Some(raw) if time(&key("start_date"), raw, now)? != start => {
                return Err(invalid(if i == 0 {
                    format!("You can not modify the start date of the current phase ({}).", unix(current_start))
                } else {
                    format!("Phase {i} must start when phase {} ends ({}).", i - 1, unix(start))
                }));
            }
            None if i == 0 => return Err(invalid("Missing required param: phases[0][start_date].".to_owned())),
            _ => {}
        }
        if form.indices(&key("items")).len() != 1 {
            return Err(invalid(format!(
                "Phase {i} needs exactly one item: the sandbox bills one price per subscription."
            )));
        }
        if form.get(&key("items][0][quantity")).is_some_and(|q| q != "1") {
            return Err(invalid(format!("Invalid {}: the sandbox bills a quantity of 1.", key("items][0][quantity"))));
        }
        let price = Price::sellable(conn, form.require(&key("items][0][price"))?)?;
        if price.interval.is_none() {
            return Err(invalid(format!("Phase {i}: the price specified is not recurring.")));
        }
        let end = phase_end(form, i, i + 1 == n, start, &price, now)?;
        if i == 0 && end <= now {
            return Err(invalid("The current phase must end in the future.".to_owned()));
        }
        let proration = one_of(form, &key("proration_behavior"), &PRORATION_BEHAVIORS, default_proration)?;
        phases.push(Phase {
            start_date: unix(start),
            end_date: unix(end),
            price: price.id,
            proration_behavior: proration.to_owned(),
        });
        start = end;
    }
    Ok(phases)
}
