//! What a test clock's advance makes happen to its customers' live subscriptions, oldest first:
//! a subscription schedule moving to its next phase (or completing), a cancellation date
//! reached, and period ends (renewal, failed renewal, or the end of a cancelled or unpaid
//! subscription). A renewal into a period that `cancel_at` cuts short bills only the part
//! before it, as Stripe prorates the final period.

use chrono::NaiveDateTime;

use super::cards;
use super::error::SandboxError;
use super::ops::{self, InvoiceLine, Result};
use super::schedules::{self, Schedule};
use super::store::{Customer, Item, Subscription};
use super::subscriptions::{end, plan_item};
use super::time::period_end;
use crate::db::DbConnection;

/// A safety net for a clock advance, which the two-interval limit already keeps to a few
/// renewals per subscription: this many steps means something is looping.
const MAX_STEPS: usize = 1_000;

/// What falls due for a subscription, in the order things due at the same time happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Due {
    /// Its schedule's current phase ends.
    PhaseEnd,
    /// Its `cancel_at` is reached (at or before the period end).
    Cancel,
    /// Its period ends.
    PeriodEnd,
}

/// The next thing due for `sub`, whenever it is.
fn next_due(conn: &mut DbConnection, sub: &Subscription, item: &Item) -> Result<Vec<(NaiveDateTime, Due)>> {
    let mut due = Vec::new();
    if let Some(end) = active_schedule(conn, sub)?.and_then(|s| s.current_end()) {
        due.push((end, Due::PhaseEnd));
    }
    match sub.cancel_at {
        Some(at) if at <= item.current_period_end => due.push((at, Due::Cancel)),
        _ => due.push((item.current_period_end, Due::PeriodEnd)),
    }
    Ok(due)
}

fn active_schedule(conn: &mut DbConnection, sub: &Subscription) -> Result<Option<Schedule>> {
    let Some(id) = &sub.schedule_id else { return Ok(None) };
    Ok(Schedule::find(conn, id)?.filter(|s| s.status == "active"))
}

/// Everything due by `now` on test clock `clock_id`, oldest first. Returns how many things
/// happened.
pub fn process_due(conn: &mut DbConnection, clock_id: &str, now: NaiveDateTime) -> Result<usize> {
    let mut steps = 0;
    while steps < MAX_STEPS {
        let mut due: Vec<(NaiveDateTime, Due, Subscription)> = Vec::new();
        for sub in Subscription::live_on_clock(conn, clock_id)? {
            let item = plan_item(conn, &sub)?;
            for (at, what) in next_due(conn, &sub, &item)? {
                if at <= now {
                    due.push((at, what, sub.clone()));
                }
            }
        }
        let Some((at, what, sub)) = due.into_iter().min_by_key(|(at, what, sub)| (*at, *what, sub.id.clone())) else {
            break;
        };
        match what {
            Due::PhaseEnd => {
                if let Some(schedule) = active_schedule(conn, &sub)? {
                    schedules::phase_ended(conn, schedule, sub, at)?;
                }
            }
            Due::Cancel => {
                let before = ops::subscription_json(conn, &sub)?;
                end(conn, &mut sub.clone(), at, &before)?;
            }
            Due::PeriodEnd => period_end_reached(conn, sub, at)?,
        }
        steps += 1;
    }
    Ok(steps)
}

/// The end of a period starting at `start` for `item`, cut short by `cancel_at`, and what it
/// costs: the full price, or the part of it before `cancel_at`.
pub fn next_period(
    item: &Item,
    cancel_at: Option<NaiveDateTime>,
    start: NaiveDateTime,
) -> Result<(NaiveDateTime, i64)> {
    let natural = period_end(start, &item.billing_interval)?;
    match cancel_at {
        Some(at) if at > start && at < natural => {
            let total = (natural - start).num_seconds().max(1);
            let used = (at - start).num_seconds();
            let amount = i128::from(item.unit_amount) * i128::from(used) / i128::from(total);
            Ok((at, i64::try_from(amount).unwrap_or(item.unit_amount)))
        }
        _ => Ok((natural, item.unit_amount)),
    }
}

fn period_end_reached(conn: &mut DbConnection, mut sub: Subscription, at: NaiveDateTime) -> Result<()> {
    let mut item = plan_item(conn, &sub)?;
    let before = ops::subscription_json(conn, &sub)?;
    // A parked price change lives 23 hours; a renewal is always later than that.
    sub.pending_price_id = None;
    sub.pending_expires_at = None;
    // Cancelled at period end, or still unpaid from the last period (Stripe's "cancel the
    // subscription if all retries fail" setting): it ends here.
    if sub.cancel_at_period_end || sub.status == "past_due" {
        return end(conn, &mut sub, at, &before);
    }
    let customer =
        Customer::find(conn, &sub.customer_id)?.ok_or_else(|| SandboxError::missing("customer", &sub.customer_id))?;
    let ended_period_start = item.current_period_start;
    let (ends, amount) = next_period(&item, sub.cancel_at, at)?;
    item.current_period_start = at;
    item.current_period_end = ends;
    item.save(conn)?;
    let line = InvoiceLine {
        item: &item,
        amount,
        billing_reason: "subscription_cycle",
        proration: amount != item.unit_amount,
        period_start: Some(ended_period_start),
        line_start: item.current_period_start,
        line_end: item.current_period_end,
    };
    let mut invoice = ops::open_invoice(conn, &sub, line, at)?;
    let paid = amount == 0 || cards::off_session_charge(customer.card.as_deref());
    ops::attempt_payment(conn, &mut invoice, paid, at)?;
    sub.latest_invoice_id = Some(invoice.id.clone());
    sub.status = if paid { "active" } else { "past_due" }.to_owned();
    sub.save(conn)?;
    if paid {
        ops::emit_subscription(conn, "updated", &sub, Some(&before))?;
        ops::emit_invoice(conn, "invoice.paid", &invoice)
    } else {
        ops::emit_invoice(conn, "invoice.payment_failed", &invoice)?;
        ops::emit_subscription(conn, "updated", &sub, Some(&before))
    }
}
