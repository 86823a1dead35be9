//! Unit tests of the state machine: one file per kind of fact, sharing these builders.

mod correctness;
mod invoices;
mod lifecycle;
mod snapshots;

use super::*;
use SubscriptionStatus::{Future, Incomplete, Paused};
use chrono::TimeZone;

const GRACE_DAYS: i64 = 7;

fn at(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_795_000_000 + secs, 0).unwrap()
}

fn now() -> DateTime<Utc> {
    at(10_000)
}

fn period_end() -> DateTime<Utc> {
    at(30 * 86_400)
}

fn plan(code: &str, is_free: bool, credits: Option<i64>) -> PlanRef {
    PlanRef { code: code.into(), is_free, monthly_credits: credits }
}

fn free() -> PlanRef {
    plan("free", true, Some(100))
}

fn resolve(price: &str) -> Option<(PlanRef, Interval)> {
    match price {
        "price_basic_m" => Some((plan("basic", false, Some(1_000)), Interval::Month)),
        "price_pro_m" => Some((plan("pro", false, None), Interval::Month)),
        "price_pro_y" => Some((plan("pro", false, None), Interval::Year)),
        _ => None,
    }
}

fn unsubscribed() -> BillingState {
    BillingState::unsubscribed(&free())
}

fn sub(id: &str, status: SubscriptionStatus, price: &str) -> SubscriptionData {
    SubscriptionData {
        id: id.into(),
        customer_id: Some("cus_1".into()),
        status: Some(status),
        price_ids: vec![price.into()],
        current_period_end: Some(period_end()),
        ..SubscriptionData::default()
    }
}

fn invoice(sub_id: &str, price: &str) -> InvoiceData {
    InvoiceData {
        id: "in_1".into(),
        subscription_id: Some(sub_id.into()),
        price_ids: vec![price.into()],
        ..InvoiceData::default()
    }
}

fn snapshot(state: &BillingState, sub: &SubscriptionData, time: DateTime<Utc>) -> Result<Decision, TransitionError> {
    on_subscription_snapshot(state, sub, time, &resolve, &free(), GRACE_DAYS, now())
}

fn applied(decision: Result<Decision, TransitionError>) -> Transition {
    match decision {
        Ok(Decision::Apply(transition)) => transition,
        other => panic!("expected Apply, got {other:?}"),
    }
}

/// The caller's loop: stale and ignored events leave the state as it is.
fn fold(state: BillingState, decision: Result<Decision, TransitionError>) -> BillingState {
    match decision {
        Ok(Decision::Apply(transition)) => transition.next,
        Ok(Decision::Stale | Decision::Ignore(_)) => state,
        other => panic!("unexpected {other:?}"),
    }
}

fn active(plan_price: &str) -> BillingState {
    applied(snapshot(&unsubscribed(), &sub("sub_1", Active, plan_price), at(0))).next
}

fn past_due_pro() -> BillingState {
    let state = active("price_pro_m");
    applied(on_payment_failed(&state, &invoice("sub_1", "price_pro_m"), at(1), now(), GRACE_DAYS, &free())).next
}

fn notify(text: &str) -> Effect {
    Effect::Notify(text.into())
}

fn ignored(reason: &str) -> Result<Decision, TransitionError> {
    Ok(Decision::Ignore(reason.into()))
}

// --- snapshots ---------------------------------------------------------------------------
