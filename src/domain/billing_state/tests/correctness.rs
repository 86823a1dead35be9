//! The cases of the billing-correctness review that the machine decides alone: failed
//! prorations, real cancel dates, unpaid trials, and what may end a past-due state.

use super::*;

fn failed_at(state: &BillingState, inv: &InvoiceData, time: DateTime<Utc>) -> Result<Decision, TransitionError> {
    on_payment_failed(state, inv, time, now(), GRACE_DAYS, &free())
}

fn paid_at(state: &BillingState, inv: &InvoiceData, time: DateTime<Utc>) -> Result<Decision, TransitionError> {
    on_invoice_paid(state, inv, time, &resolve, &free(), now())
}

fn named(id: &str, sub_id: &str) -> InvoiceData {
    InvoiceData { id: id.into(), amount_paid_minor: 5_000, ..invoice(sub_id, "price_pro_m") }
}

// --- a failed proration --------------------------------------------------------------------

#[test]
fn a_failed_proration_changes_nothing_in_either_order() {
    let state = active("price_basic_m");
    let proration = InvoiceData { billing_reason: Some("subscription_update".into()), ..invoice("sub_1", "") };
    // The subscription update that parks the change: still active, still the old price.
    let parked = sub("sub_1", Active, "price_basic_m");
    // Failure first, then the update.
    assert_eq!(failed_at(&state, &proration, at(5)), ignored("a failed proration leaves the subscription as it was"));
    let after = fold(state.clone(), snapshot(&state, &parked, at(6)));
    assert_eq!((after.status, after.grace_until, after.plan_code.as_str()), (Some(Active), None, "basic"));
    // Update first, then the failure.
    let updated = fold(state.clone(), snapshot(&state, &parked, at(5)));
    assert_eq!(failed_at(&updated, &proration, at(6)), ignored("a failed proration leaves the subscription as it was"));
    // A renewal failing is still a failure.
    let renewal = InvoiceData { billing_reason: Some("subscription_cycle".into()), ..invoice("sub_1", "") };
    assert_eq!(applied(failed_at(&updated, &renewal, at(7))).next.status, Some(PastDue));
}

// --- cancel_at ---------------------------------------------------------------------------

fn cancelling_at(days: i64) -> SubscriptionData {
    SubscriptionData {
        cancel_at_period_end: Some(true),
        cancel_at: Some(at(days * 86_400)),
        ..sub("sub_1", Active, "price_pro_m")
    }
}

#[test]
fn a_cancel_date_beyond_the_period_is_the_real_end() {
    let state = applied(snapshot(&active("price_pro_m"), &cancelling_at(90), at(1)));
    assert_eq!((state.next.cancel_at, state.next.current_period_end), (Some(at(90 * 86_400)), Some(period_end())));
    let date = at(90 * 86_400).format("%-d %b %Y");
    assert_eq!(state.effects, vec![notify(&format!("cancellation scheduled for {date}"))]);
    let state = state.next;
    // The period ends (day 30) but the subscription does not: the safety net waits.
    let after_period = period_end() + TimeDelta::days(1);
    assert_eq!(on_period_end_passed(&state, after_period, &free()), ignore("period not ended"));
    // The renewal at the period end is an ordinary renewal.
    let renewal = InvoiceData {
        line_period_start: Some(period_end()),
        line_period_end: Some(period_end() + TimeDelta::days(30)),
        ..named("in_renewal", "sub_1")
    };
    let renewed = applied(paid_at(&state, &renewal, at(30 * 86_400 + 5)));
    assert_eq!(renewed.next.current_period_end, Some(period_end() + TimeDelta::days(30)));
    assert!(renewed.effects.iter().any(|e| matches!(e, Effect::ResetMonthlyCredits { .. })));
    // After the real end, it ends.
    let Decision::Apply(ended) = on_period_end_passed(&renewed.next, at(90 * 86_400), &free()) else {
        panic!("expected the end");
    };
    assert_eq!((ended.next.plan_code.as_str(), ended.next.status), ("free", Some(Canceled)));
    assert_eq!(ended.next.cancel_at, None);
}

#[test]
fn the_summary_names_the_real_end_and_the_renewal_before_it() {
    let state = applied(snapshot(&active("price_pro_m"), &cancelling_at(90), at(1))).next;
    let names = PlanNames { current: "Pro", current_is_free: false, scheduled: None };
    let s = summary(&state, names, now());
    let end = at(90 * 86_400).format("%-d %b %Y").to_string();
    assert_eq!(s.notice, Some(format!("Your subscription ends on {end}. Pro stays available until then.")));
    assert_eq!(s.next_billing, Some(period_end().format("%-d %b %Y").to_string()), "it renews before ending");
    // Cancelling at the period end (cancel_at equal to it) renews nothing.
    let at_end = applied(snapshot(&active("price_pro_m"), &cancelling_at(30), at(1))).next;
    assert_eq!(summary(&at_end, names, now()).next_billing, None);
    // A same-second snapshot that moves the date is not trusted alone.
    assert_eq!(snapshot(&state, &cancelling_at(60), at(1)), Ok(Decision::Ambiguous));
}

// --- a trial that ends unpaid ----------------------------------------------------------------

fn trialing() -> BillingState {
    let trial = SubscriptionData { trial_end: Some(at(14 * 86_400)), ..sub("sub_1", Trialing, "price_pro_m") };
    applied(snapshot(&unsubscribed(), &trial, at(0))).next
}

#[test]
fn a_trial_that_ends_unpaid_gets_no_grace() {
    let state = trialing();
    let t = applied(failed_at(&state, &named("in_first", "sub_1"), at(5)));
    assert_eq!((t.next.status, t.next.plan_code.as_str()), (Some(PastDue), "free"));
    assert_eq!(t.next.grace_until, Some(now()), "no grace");
    assert!(t.effects.contains(&Effect::Downgraded { to: "free".into(), reason: "trial ended unpaid" }));
    assert!(!t.effects.iter().any(|e| matches!(e, Effect::EnteredGrace { .. })));
    // The same through a past-due snapshot (Stripe may send it first).
    let past_due = SubscriptionData { trial_end: Some(at(14 * 86_400)), ..sub("sub_1", PastDue, "price_pro_m") };
    let s = applied(snapshot(&state, &past_due, at(5)));
    assert_eq!((s.next.plan_code.as_str(), s.next.grace_until), ("free", Some(now())));
    assert!(s.effects.contains(&Effect::Downgraded { to: "free".into(), reason: "trial ended unpaid" }));
    // Paying restores the plan.
    let paid = applied(paid_at(&t.next, &named("in_first", "sub_1"), at(6))).next;
    assert_eq!((paid.plan_code.as_str(), paid.status), ("pro", Some(Active)));
}

#[test]
fn a_trial_that_was_paid_once_keeps_its_grace() {
    let paid = applied(paid_at(&trialing(), &named("in_first", "sub_1"), at(5))).next;
    assert_eq!(paid.last_paid_at, Some(at(5)));
    let t = applied(failed_at(&paid, &named("in_second", "sub_1"), at(10)));
    assert_eq!((t.next.plan_code.as_str(), t.next.grace_until), ("pro", Some(now() + TimeDelta::days(GRACE_DAYS))));
    // A zero-amount invoice (the trial's own) is not a payment.
    let trial_invoice = InvoiceData { amount_paid_minor: 0, ..named("in_trial", "sub_1") };
    assert_eq!(
        paid_at(&trialing(), &trial_invoice, at(1)).map(|d| d == Decision::Ignore("no change".into())),
        Ok(true)
    );
}

// --- what ends a past-due state ----------------------------------------------------------------

fn past_due(provider: Provider) -> BillingState {
    let state = BillingState { provider: Some(provider), ..active("price_pro_m") };
    applied(failed_at(&state, &named("in_failed", "sub_1"), at(10))).next
}

#[test]
fn an_older_paid_invoice_does_not_end_past_due_but_the_failed_one_or_a_later_payment_does() {
    for provider in [Provider::Stripe, Provider::Chargebee] {
        let state = past_due(provider);
        assert_eq!((state.past_due_since, state.past_due_invoice.as_deref()), (Some(at(10)), Some("in_failed")));
        let older = applied(paid_at(&state, &named("in_old", "sub_1"), at(5))).next;
        assert_eq!(older.status, Some(PastDue), "{provider:?}: last month's payment, delivered late");
        // The failed invoice itself, even stamped in the same breath as the failure.
        let settled = applied(paid_at(&state, &named("in_failed", "sub_1"), at(8))).next;
        assert_eq!((settled.status, settled.past_due_since), (Some(Active), None), "{provider:?}");
        let later = applied(paid_at(&state, &named("in_next", "sub_1"), at(11))).next;
        assert_eq!(later.status, Some(Active), "{provider:?}");
        // A failure older than a payment is settled already.
        assert_eq!(failed_at(&later, &named("in_failed", "sub_1"), at(10)), Ok(Decision::Stale));
    }
}

#[test]
fn chargebee_snapshots_cannot_end_past_due() {
    let state = past_due(Provider::Chargebee);
    let grace = state.grace_until;
    // Chargebee reports `active` while it retries, and `non_renewing` after Tollgate's Cancel.
    let renewed = applied(snapshot(&state, &sub("sub_1", Active, "price_pro_m"), at(20))).next;
    assert_eq!((renewed.status, renewed.grace_until, renewed.plan_code.as_str()), (Some(PastDue), grace, "pro"));
    let cancelled = applied(snapshot(&renewed, &sub("sub_1", NonRenewing, "price_pro_m"), at(30))).next;
    assert_eq!((cancelled.status, cancelled.grace_until), (Some(PastDue), grace));
    assert!(cancelled.cancel_at_period_end, "the cancellation itself is recorded");
    assert_eq!(cancelled.past_due_invoice.as_deref(), Some("in_failed"));
    // Stripe's own `active` means it was settled.
    let stripe = applied(snapshot(&past_due(Provider::Stripe), &sub("sub_1", Active, "price_pro_m"), at(20))).next;
    assert_eq!((stripe.status, stripe.grace_until), (Some(Active), None));
}

#[test]
fn a_chargebee_failure_delivered_after_a_newer_snapshot_still_counts() {
    let state = BillingState { provider: Some(Provider::Chargebee), ..active("price_pro_m") };
    let later = fold(state.clone(), snapshot(&state, &sub("sub_1", Active, "price_pro_m"), at(20)));
    let t = applied(failed_at(&later, &named("in_failed", "sub_1"), at(10)));
    assert_eq!(t.next.status, Some(PastDue));
    // On Stripe the newer snapshot already told how it ended.
    let stripe = BillingState { provider: Some(Provider::Stripe), ..later };
    assert_eq!(failed_at(&stripe, &named("in_failed", "sub_1"), at(10)), Ok(Decision::Stale));
}

// --- reactivation ------------------------------------------------------------------------------

#[test]
fn a_chargebee_subscription_reactivated_in_place_returns_but_a_stripe_one_never_does() {
    for provider in [Provider::Chargebee, Provider::Stripe] {
        let state = BillingState { provider: Some(provider), ..active("price_pro_m") };
        let ended =
            applied(on_subscription_deleted(&state, &sub("sub_1", Canceled, "price_pro_m"), at(5), &free())).next;
        let back = snapshot(&ended, &sub("sub_1", Active, "price_pro_m"), at(9));
        if provider == Provider::Stripe {
            assert_eq!(back, ignored("subscription already ended"));
            continue;
        }
        let t = applied(back);
        assert_eq!((t.next.plan_code.as_str(), t.next.status), ("pro", Some(Active)));
        assert_eq!(t.next.subscription_id.as_deref(), Some("sub_1"));
        assert!(t.next.ended_subscription_ids.is_empty(), "no longer ended");
        assert!(t.effects.contains(&notify("reactivated")));
        // An older or same-second snapshot of the ended subscription does not bring it back.
        assert_eq!(snapshot(&ended, &sub("sub_1", Active, "price_pro_m"), at(4)), Ok(Decision::Stale));
        assert_eq!(
            snapshot(&ended, &sub("sub_1", Active, "price_pro_m"), at(5)),
            ignored("subscription already ended")
        );
        // Cancelled again, it ends again.
        let again = applied(on_subscription_deleted(&t.next, &sub("sub_1", Canceled, "price_pro_m"), at(12), &free()));
        assert_eq!(again.next.plan_code, "free");
    }
}

// --- scheduled changes -------------------------------------------------------------------------

#[test]
fn a_scheduled_interval_change_stays_until_reached_or_removed() {
    let state = BillingState {
        scheduled_plan_code: Some("pro".into()),
        scheduled_interval: Some(Interval::Month),
        ..active("price_pro_y")
    };
    let same = applied(snapshot(
        &state,
        &SubscriptionData { cancel_at_period_end: Some(true), ..sub("sub_1", Active, "price_pro_y") },
        at(1),
    ))
    .next;
    assert_eq!((same.scheduled_plan_code.as_deref(), same.scheduled_interval), (Some("pro"), Some(Interval::Month)));
    let reached = fold(state.clone(), snapshot(&state, &sub("sub_1", Active, "price_pro_m"), at(1)));
    assert_eq!((reached.scheduled_plan_code, reached.scheduled_interval), (None, None));
    let removed = SubscriptionData { has_scheduled_changes: Some(false), ..sub("sub_1", Active, "price_pro_y") };
    let removed = fold(state.clone(), snapshot(&state, &removed, at(1)));
    assert_eq!(removed.scheduled_plan_code, None);
}
