//! Paid and failed invoices.

use super::*;

fn paid(state: &BillingState, inv: &InvoiceData, time: DateTime<Utc>) -> Result<Decision, TransitionError> {
    on_invoice_paid(state, inv, time, &resolve, &free(), now())
}

#[test]
fn invoice_paid_after_payment_failed_clears_past_due() {
    let later_end = period_end() + TimeDelta::days(30);
    let inv = InvoiceData { line_period_end: Some(later_end), ..invoice("sub_1", "price_pro_m") };
    let t = applied(paid(&past_due_pro(), &inv, at(3)));
    assert_eq!((t.next.status, t.next.grace_until), (Some(Active), None));
    assert_eq!(t.next.current_period_end, Some(later_end));
    assert_eq!(t.next.state_at, Some(at(0)), "invoice events do not move state_at");
}

#[test]
fn invoice_paid_never_shortens_the_period() {
    let inv = InvoiceData { line_period_end: Some(at(5)), ..invoice("sub_1", "price_pro_m") };
    assert_eq!(paid(&active("price_pro_m"), &inv, at(3)), ignored("no change"));
}

#[test]
fn invoice_paid_older_than_state_still_resets_credits() {
    let state = active("price_basic_m");
    let inv = InvoiceData { line_period_start: Some(at(-50)), ..invoice("sub_1", "price_basic_m") };
    let t = applied(paid(&state, &inv, at(-10)));
    assert_eq!(t.next, state);
    let key = format!("sub_1:{}", at(-50).timestamp());
    assert_eq!(t.effects, vec![Effect::ResetMonthlyCredits { amount: Some(1_000), period_key: key }]);
}

#[test]
fn stale_invoice_without_period_is_stale() {
    assert_eq!(paid(&active("price_basic_m"), &invoice("sub_1", "price_basic_m"), at(-10)), Ok(Decision::Stale));
}

#[test]
fn credit_amount_comes_from_the_plan_held_not_the_one_left() {
    let proration = InvoiceData {
        price_ids: vec!["price_basic_m".into(), "price_pro_m".into()],
        line_period_start: Some(at(1)),
        ..invoice("sub_1", "")
    };
    let t = applied(paid(&active("price_pro_m"), &proration, at(1)));
    assert_eq!(
        t.effects,
        vec![Effect::ResetMonthlyCredits { amount: None, period_key: format!("sub_1:{}", at(1).timestamp()) }]
    );
}

#[test]
fn invoice_on_default_plan_resets_nothing() {
    let state = applied(snapshot(&unsubscribed(), &sub("sub_1", Incomplete, "price_pro_m"), at(0))).next;
    let inv = InvoiceData { line_period_start: Some(at(1)), ..invoice("sub_1", "price_pro_m") };
    assert_eq!(paid(&state, &inv, at(1)), ignored("no change"));
}

#[test]
fn invoice_paid_restores_plan_after_grace_downgrade() {
    let expired = on_grace_expired(&past_due_pro(), now() + TimeDelta::days(GRACE_DAYS), &free());
    let Decision::Apply(downgraded) = expired else { panic!("expected downgrade, got {expired:?}") };
    let t = applied(paid(&downgraded.next, &invoice("sub_1", "price_pro_m"), at(5)));
    assert_eq!((t.next.plan_code.as_str(), t.next.status), ("pro", Some(Active)));
    assert_eq!(t.effects, vec![Effect::PlanChanged { from: "free".into(), to: "pro".into() }]);
}

#[test]
fn invoice_for_other_or_no_subscription_is_ignored() {
    let state = active("price_pro_m");
    assert_eq!(paid(&state, &invoice("sub_9", "price_pro_m"), at(1)), ignored("other subscription"));
    let one_off = InvoiceData { subscription_id: None, ..invoice("", "price_credits") };
    assert_eq!(paid(&state, &one_off, at(1)), ignored("invoice has no subscription"));
    assert_eq!(paid(&state, &invoice("", "price_pro_m"), at(1)), Err(TransitionError::MissingSubscriptionId));
}

// --- payment failed ----------------------------------------------------------------------

fn failed(
    state: &BillingState,
    time: DateTime<Utc>,
    now: DateTime<Utc>,
    grace_days: i64,
) -> Result<Decision, TransitionError> {
    on_payment_failed(state, &invoice("sub_1", "price_pro_m"), time, now, grace_days, &free())
}

#[test]
fn payment_failed_enters_grace_and_keeps_plan() {
    let t = applied(failed(&active("price_pro_m"), at(1), now(), GRACE_DAYS));
    let until = now() + TimeDelta::days(GRACE_DAYS);
    assert_eq!((t.next.status, t.next.grace_until), (Some(PastDue), Some(until)));
    assert_eq!(t.next.plan_code, "pro");
    let notice = format!("payment failed: pay by {} to keep Pro", until.format("%-d %b %Y"));
    assert_eq!(t.effects, vec![Effect::EnteredGrace { until }, notify(&notice)]);
}

#[test]
fn repeated_payment_failure_does_not_extend_grace() {
    let state = past_due_pro();
    let t = applied(failed(&state, at(2), now() + TimeDelta::days(3), GRACE_DAYS));
    assert_eq!(t.next.grace_until, state.grace_until);
    assert!(!t.effects.iter().any(|e| matches!(e, Effect::EnteredGrace { .. })));
}

#[test]
fn zero_grace_downgrades_at_once() {
    let t = applied(failed(&active("price_pro_m"), at(1), now(), 0));
    assert_eq!((t.next.plan_code.as_str(), t.next.status), ("free", Some(PastDue)));
    assert_eq!(t.next.subscription_id.as_deref(), Some("sub_1"));
    assert_eq!(
        t.effects,
        vec![
            Effect::PlanChanged { from: "pro".into(), to: "free".into() },
            Effect::Downgraded { to: "free".into(), reason: "payment failed" },
            notify("payment failed: moved to Free"),
        ]
    );
}

#[test]
fn payment_failure_for_unpaid_or_other_subscription_is_ignored() {
    let incomplete = applied(snapshot(&unsubscribed(), &sub("sub_1", Incomplete, "price_pro_m"), at(0))).next;
    assert_eq!(failed(&incomplete, at(1), now(), GRACE_DAYS), ignored("subscription not active"));
    let other = on_payment_failed(&active("price_pro_m"), &invoice("sub_2", "price_pro_m"), at(1), now(), 7, &free());
    assert_eq!(other, ignored("other subscription"));
}

#[test]
fn payment_failure_older_than_state_is_stale() {
    assert_eq!(failed(&active("price_pro_m"), at(-1), now(), GRACE_DAYS), Ok(Decision::Stale));
}

#[test]
fn payment_failure_with_negative_grace_is_an_error() {
    assert_eq!(failed(&active("price_pro_m"), at(1), now(), -3), Err(TransitionError::InvalidGraceDays(-3)));
}

// --- periodic jobs -----------------------------------------------------------------------
