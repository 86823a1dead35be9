//! Price changes on a live subscription, billed the way Stripe bills them:
//! - within one interval and one billing cycle, `proration_behavior=always_invoice` charges the
//!   difference for the rest of the period now; `none` and `create_prorations` charge nothing
//!   now (the new price bills from the next renewal);
//! - a new billing cycle — `billing_cycle_anchor=now`, or any change to a price of another
//!   interval, which Stripe always re-anchors — starts a full period of the new price now and
//!   invoices it at once, less the unused time of the old price unless `proration_behavior=none`
//!   (the sandbox keeps no customer balance, so a credit larger than the new price is dropped);
//!   a new cycle ends a trial, and trial time is never credited or charged;
//! - a charge that fails follows `payment_behavior` (`pending_if_incomplete` parks the change in
//!   `pending_update`, `error_if_incomplete` refuses it, the others apply it and leave the
//!   subscription `past_due`).
//!
//! Updates and subscription-schedule phase changes both go through [`apply`].

use chrono::{NaiveDateTime, TimeDelta};
use serde_json::Value;

use super::cards;
use super::catalog::Price;
use super::error::SandboxError;
use super::form::StripeForm;
use super::ops::{self, InvoiceLine, Result};
use super::store::{Customer, Item, Subscription};
use super::time::{later, period_end};
use crate::db::DbConnection;

/// Stripe keeps a pending update for 23 hours before dropping it.
const PENDING_UPDATE_HOURS: i64 = 23;

pub const PRORATION_BEHAVIORS: [&str; 3] = ["create_prorations", "none", "always_invoice"];
const PAYMENT_BEHAVIORS: [&str; 4] =
    ["allow_incomplete", "default_incomplete", "error_if_incomplete", "pending_if_incomplete"];

/// `key`, which must be one of `allowed` when given; `default` when absent.
pub fn one_of<'a>(form: &'a StripeForm, key: &str, allowed: &[&str], default: &'a str) -> Result<&'a str> {
    match form.get(key) {
        None => Ok(default),
        Some(value) if allowed.contains(&value) => Ok(value),
        Some(value) => {
            Err(SandboxError::invalid(format!("Invalid {key}: must be one of {} (got {value:?}).", allowed.join(", "))))
        }
    }
}

/// Refuses an update whose billing parameters are not among Stripe's values, whatever else
/// it asks for.
pub fn check_terms(form: &StripeForm) -> Result<()> {
    one_of(form, "proration_behavior", &PRORATION_BEHAVIORS, "")?;
    one_of(form, "payment_behavior", &PAYMENT_BEHAVIORS, "")?;
    one_of(form, "billing_cycle_anchor", &["now", "unchanged"], "")?;
    Ok(())
}

/// How a price change is billed.
#[derive(Debug, Clone, Copy)]
pub struct Terms<'a> {
    /// Stripe's `proration_behavior`.
    pub proration: &'a str,
    /// Whether a new billing cycle starts now (`billing_cycle_anchor` reset).
    pub new_cycle: bool,
    /// Stripe's `payment_behavior`.
    pub payment: &'a str,
}

impl<'a> Terms<'a> {
    /// The terms an update asks for, moving `item` to `price`.
    pub fn from_form(form: &'a StripeForm, item: &Item, price: &Price) -> Result<Terms<'a>> {
        let proration = one_of(form, "proration_behavior", &PRORATION_BEHAVIORS, "create_prorations")?;
        let payment = one_of(form, "payment_behavior", &PAYMENT_BEHAVIORS, "allow_incomplete")?;
        let new_interval = price.interval.as_deref() != Some(item.billing_interval.as_str());
        let new_cycle = match one_of(form, "billing_cycle_anchor", &["now", "unchanged"], "")? {
            "now" => true,
            "unchanged" if new_interval => {
                return Err(SandboxError::invalid(
                    "billing_cycle_anchor cannot be unchanged when the new price has a different billing interval: \
                     an interval change always starts a new billing cycle.",
                ));
            }
            _ => new_interval,
        };
        Ok(Terms { proration, new_cycle, payment })
    }
}

fn plan_item(conn: &mut DbConnection, sub: &Subscription) -> Result<Item> {
    Item::of(conn, &sub.id)?
        .into_iter()
        .next()
        .ok_or_else(|| SandboxError::Internal(format!("subscription {} has no items", sub.id)))
}

/// Moves `sub` to `price` on `terms` at `now`; `before` is the subscription as the request
/// found it (for the event's `previous_attributes`).
pub fn apply(
    conn: &mut DbConnection,
    mut sub: Subscription,
    price: &Price,
    terms: Terms<'_>,
    before: &Value,
    now: NaiveDateTime,
) -> Result<Subscription> {
    let item = plan_item(conn, &sub)?;
    let mut new_item = item.clone();
    new_item.set_price(price);
    // Trial time is free: nothing of it is credited or charged.
    let trialing = sub.status == "trialing";
    let amount = if terms.new_cycle {
        let credit = if terms.proration == "none" || trialing { 0 } else { ops::prorate(item.unit_amount, &item, now) };
        new_item.current_period_start = now;
        new_item.current_period_end = period_end(now, &new_item.billing_interval)?;
        (price.unit_amount - credit).max(0)
    } else {
        let owed = match terms.proration {
            "always_invoice" if !trialing => ops::prorate(price.unit_amount - item.unit_amount, &item, now),
            _ => 0,
        };
        if owed <= 0 {
            // Nothing to charge now: the new price bills from the next period.
            new_item.save(conn)?;
            ops::emit_subscription(conn, "updated", &sub, Some(before))?;
            return Ok(sub);
        }
        owed
    };
    let customer =
        Customer::find(conn, &sub.customer_id)?.ok_or_else(|| SandboxError::missing("customer", &sub.customer_id))?;
    let line = InvoiceLine {
        item: &new_item,
        amount,
        billing_reason: "subscription_update",
        proration: !terms.new_cycle,
        period_start: None,
        line_start: now,
        line_end: new_item.current_period_end,
    };
    let mut invoice = ops::open_invoice(conn, &sub, line, now)?;
    let paid = amount == 0 || cards::off_session_charge(customer.card.as_deref());
    ops::attempt_payment(conn, &mut invoice, paid, now)?;
    sub.latest_invoice_id = Some(invoice.id.clone());
    // A new cycle ends a trial once it applies: the new period is billed from now.
    let ends_trial = trialing && terms.new_cycle;
    if paid {
        new_item.save(conn)?;
        follow_new_period(&mut sub, &new_item);
        if ends_trial {
            sub.trial_end = Some(now);
            sub.status = "active".to_owned();
        }
        sub.save(conn)?;
        ops::emit_invoice(conn, "invoice.paid", &invoice)?;
        ops::emit_subscription(conn, "updated", &sub, Some(before))?;
        return Ok(sub);
    }
    match terms.payment {
        // The change waits for the invoice to be paid; the subscription keeps its old price.
        "pending_if_incomplete" => {
            sub.pending_price_id = Some(price.id.clone());
            sub.pending_expires_at = Some(later(now, TimeDelta::hours(PENDING_UPDATE_HOURS))?);
        }
        "error_if_incomplete" => {
            return Err(SandboxError::invalid("Your card was declined. The subscription was not changed."));
        }
        // allow_incomplete / default_incomplete: the change applies and the debt remains.
        _ => {
            new_item.save(conn)?;
            follow_new_period(&mut sub, &new_item);
            if ends_trial {
                sub.trial_end = Some(now);
            }
            sub.status = "past_due".to_owned();
        }
    }
    sub.save(conn)?;
    ops::emit_invoice(conn, "invoice.payment_failed", &invoice)?;
    ops::emit_subscription(conn, "updated", &sub, Some(before))?;
    Ok(sub)
}

/// A cancellation "at the period end" follows the period when a new cycle moves it.
pub fn follow_new_period(sub: &mut Subscription, item: &Item) {
    if sub.cancel_at_period_end {
        sub.cancel_at = Some(item.current_period_end);
    }
}
