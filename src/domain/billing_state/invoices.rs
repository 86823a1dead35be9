//! Paid and failed invoices: recovering from past due, entering grace, and the monthly
//! credit reset each paid period brings.
//!
//! A failed proration (`billing_reason` `subscription_update`: an upgrade whose charge was
//! declined and parked by `pending_if_incomplete`) changes nothing here: the subscription keeps
//! cycling as before, and only its pending change waits. A past-due state ends with the failed
//! invoice paid or a payment made after the failure; an older paid invoice does not end it.

use super::summary::{display_name, grace_date};
use super::*;

/// `invoice.paid` / Chargebee `payment_succeeded`.
pub fn on_invoice_paid(
    state: &BillingState,
    inv: &InvoiceData,
    event_time: DateTime<Utc>,
    resolve_plan: ResolvePlan<'_>,
    default_plan: &PlanRef,
    now: DateTime<Utc>,
) -> Result<Decision, TransitionError> {
    let Some(sub_id) = invoice_subscription_id(inv)? else {
        return Ok(ignore("invoice has no subscription"));
    };
    if !is_current(state, sub_id) {
        return Ok(ignore("other subscription"));
    }
    let stale = is_stale(state, event_time);
    let next = settle_paid_invoice(state, inv, event_time, stale, resolve_plan, default_plan, now);
    let mut effects = plan_change_effects(state, &next, &default_plan.code, "payment recovered");
    // Credits are keyed by period, so a late invoice may still grant its period's reset.
    let reset = period_credit_reset(&next, sub_id, inv, resolve_plan, default_plan, now);
    effects.extend(reset);
    if stale && next == *state && effects.is_empty() {
        return Ok(Decision::Stale);
    }
    Ok(decide(state, next, effects))
}

/// Whether this paid invoice ends the past-due state: it is the failed one, or it was paid
/// after the failure. Snapshot order does not matter here: a Chargebee snapshot stamped after
/// the failure says nothing about the payment.
fn recovers(state: &BillingState, inv: &InvoiceData, event_time: DateTime<Utc>) -> bool {
    state.past_due_invoice.as_deref() == Some(inv.id.as_str())
        || state.past_due_since.is_none_or(|since| event_time >= since)
}

/// `invoice.payment_failed` / Chargebee `payment_failed`.
pub fn on_payment_failed(
    state: &BillingState,
    inv: &InvoiceData,
    event_time: DateTime<Utc>,
    now: DateTime<Utc>,
    grace_days: i64,
    default_plan: &PlanRef,
) -> Result<Decision, TransitionError> {
    let grace_deadline = grace_deadline(now, grace_days)?;
    let Some(sub_id) = invoice_subscription_id(inv)? else {
        return Ok(ignore("invoice has no subscription"));
    };
    if !is_current(state, sub_id) {
        return Ok(ignore("other subscription"));
    }
    if inv.billing_reason.as_deref() == Some("subscription_update") {
        return Ok(ignore("a failed proration leaves the subscription as it was"));
    }
    // A failed first payment leaves the subscription incomplete; there is no plan to keep.
    if !state.status.is_some_and(holds_paid_status) {
        return Ok(ignore("subscription not active"));
    }
    // Where the status shows dues, a newer snapshot already says how this failure ended;
    // everywhere, a payment made after the failure settled it.
    let superseded_by_snapshot = status_shows_dues(state) && is_stale(state, event_time);
    if superseded_by_snapshot || state.last_paid_at.is_some_and(|paid| event_time < paid) {
        return Ok(Decision::Stale);
    }
    let was_past_due = state.status == Some(PastDue);
    let existing_grace = state.grace_until.filter(|_| was_past_due);
    let unpaid_trial = trial_unpaid(state.trial_end, state.last_paid_at);
    let mut next = state.clone();
    next.status = Some(PastDue);
    next.grace_until = Some(existing_grace.unwrap_or(if unpaid_trial { now } else { grace_deadline }));
    next.past_due_since = state.past_due_since.filter(|_| was_past_due).or(Some(event_time));
    next.past_due_invoice = state.past_due_invoice.clone().filter(|_| was_past_due).or_else(|| Some(inv.id.clone()));
    if !grants_plan(next.status, next.grace_until, now) {
        next.plan_code.clone_from(&default_plan.code);
    }
    let first = if unpaid_trial { "trial ended unpaid" } else { "payment failed" };
    let reason = existing_grace.map_or(first, |_| "grace period ended");
    let mut effects = plan_change_effects(state, &next, &default_plan.code, reason);
    effects.extend(grace_effects(state, &next, now));
    effects.push(Effect::Notify(payment_failed_notice(&next, now)));
    Ok(decide(state, next, effects))
}

/// Recovering from past due after the grace downgrade: the paid invoice says which plan to restore
/// (Chargebee sends no subscription update for it). A stale invoice may still recover and
/// count as paid, but never moves the period.
fn settle_paid_invoice(
    state: &BillingState,
    inv: &InvoiceData,
    event_time: DateTime<Utc>,
    stale: bool,
    resolve_plan: ResolvePlan<'_>,
    default_plan: &PlanRef,
    now: DateTime<Utc>,
) -> BillingState {
    let mut next = state.clone();
    if inv.amount_paid_minor > 0 {
        next.last_paid_at = state.last_paid_at.max(Some(event_time));
    }
    if state.status == Some(PastDue) && recovers(state, inv, event_time) {
        next.status = Some(Active);
        next.grace_until = None;
        next.past_due_since = None;
        next.past_due_invoice = None;
        let downgraded = state.plan_code == default_plan.code;
        let restored = resolve_first(&inv.price_ids, resolve_plan);
        if let Some((plan, interval)) = restored.filter(|(p, _)| downgraded && p.code != default_plan.code) {
            next.plan_code = plan.code;
            next.interval = Some(interval);
            next.upgraded_at = (!plan.is_free).then_some(now).or(state.upgraded_at);
        }
    }
    if !stale {
        next.current_period_end = state.current_period_end.max(inv.line_period_end);
    }
    next
}

/// The credit amount comes from the invoice line of the plan the workspace holds: a proration
/// invoice also lists the plan being left, first.
fn period_credit_reset(
    next: &BillingState,
    sub_id: &str,
    inv: &InvoiceData,
    resolve_plan: ResolvePlan<'_>,
    default_plan: &PlanRef,
    now: DateTime<Utc>,
) -> Option<Effect> {
    let start = inv.line_period_start?;
    if next.plan_code == default_plan.code || !grants_plan(next.status, next.grace_until, now) {
        return None;
    }
    let plan = inv
        .price_ids
        .iter()
        .filter_map(|id| resolve_plan(id))
        .map(|(plan, _)| plan)
        .find(|plan| plan.code == next.plan_code && !plan.is_free)?;
    Some(Effect::ResetMonthlyCredits {
        amount: plan.monthly_credits,
        period_key: format!("{sub_id}:{}", start.timestamp()),
    })
}

fn payment_failed_notice(next: &BillingState, now: DateTime<Utc>) -> String {
    let plan = display_name(&next.plan_code);
    match grace_date(next.grace_until, now) {
        Some(date) => format!("payment failed: pay by {date} to keep {plan}"),
        None => format!("payment failed: moved to {plan}"),
    }
}
