//! Periodic decisions, the summary sentence, and whole lifecycles in every order.

use super::*;

#[test]
fn grace_expiry_downgrades_but_keeps_status_and_link() {
    let state = past_due_pro();
    let Some(until) = state.grace_until else { panic!("past due state has grace") };
    assert_eq!(on_grace_expired(&state, until - TimeDelta::seconds(1), &free()), ignore("grace not expired"));
    let Decision::Apply(t) = on_grace_expired(&state, until, &free()) else { panic!("expected downgrade") };
    assert_eq!(t.next, BillingState { plan_code: "free".into(), ..state });
    assert!(t.effects.contains(&Effect::Downgraded { to: "free".into(), reason: "grace period ended" }));
    assert_eq!(on_grace_expired(&t.next, until, &free()), ignore("already on default plan"));
}

#[test]
fn period_end_passed_ends_a_cancelled_subscription() {
    let cancel = SubscriptionData { cancel_at_period_end: Some(true), ..sub("sub_1", Active, "price_pro_m") };
    let state = applied(snapshot(&active("price_pro_m"), &cancel, at(1))).next;
    assert_eq!(on_period_end_passed(&state, period_end() - TimeDelta::seconds(1), &free()), ignore("period not ended"));
    let Decision::Apply(t) = on_period_end_passed(&state, period_end(), &free()) else { panic!("expected end") };
    assert_eq!((t.next.plan_code.as_str(), t.next.status), ("free", Some(Canceled)));
    assert_eq!(t.next.subscription_id, None);
    assert_eq!(t.next.ended_subscription_ids, vec!["sub_1".to_owned()]);
    assert_eq!(t.next.state_at, Some(period_end()));
    assert!(t.effects.contains(&Effect::Downgraded { to: "free".into(), reason: "subscription ended" }));
}

#[test]
fn period_end_job_keeps_a_later_state_at_and_skips_renewing() {
    let state = BillingState { cancel_at_period_end: true, state_at: Some(at(99 * 86_400)), ..active("price_pro_m") };
    let Decision::Apply(t) = on_period_end_passed(&state, period_end(), &free()) else { panic!("expected end") };
    assert_eq!(t.next.state_at, state.state_at);
    assert_eq!(on_period_end_passed(&active("price_pro_m"), period_end(), &free()), ignore("period not ended"));
    assert_eq!(on_period_end_passed(&unsubscribed(), period_end(), &free()), ignore("no subscription"));
}

#[test]
fn grants_plan_follows_status_and_grace() {
    let n = now();
    for status in [Trialing, Active, NonRenewing] {
        assert!(grants_plan(Some(status), None, n));
    }
    for status in [Incomplete, Canceled, Paused, Future] {
        assert!(!grants_plan(Some(status), Some(n + TimeDelta::days(1)), n));
    }
    assert!(!grants_plan(None, None, n));
    assert!(grants_plan(Some(PastDue), Some(n + TimeDelta::seconds(1)), n));
    assert!(!grants_plan(Some(PastDue), Some(n), n));
    assert!(!grants_plan(Some(PastDue), None, n));
}

#[test]
fn summary_reads_like_the_billing_page() {
    let day = |d, m, y| Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).unwrap();
    let names = PlanNames { current: "Pro", current_is_free: false, scheduled: None };
    let pro = BillingState { current_period_end: Some(day(12, 1, 2027)), ..active("price_pro_m") };
    let read = |state: &BillingState, names: PlanNames<'_>, now| summary(state, names, now);
    let s = read(&pro, names, now());
    assert_eq!(
        (s.status.as_str(), s.next_billing.as_deref(), s.notice, s.past_due),
        ("Active", Some("12 Jan 2027"), None, None)
    );
    let cancelling = BillingState { cancel_at_period_end: true, ..pro.clone() };
    let s = read(&cancelling, names, now());
    assert_eq!(s.notice.as_deref(), Some("Your subscription ends on 12 Jan 2027. Pro stays available until then."));
    assert_eq!(s.next_billing, None, "nothing renews");
    let downgrading = BillingState { scheduled_plan_code: Some("team_plus".into()), ..pro.clone() };
    let s = read(&downgrading, PlanNames { scheduled: Some("Team plus"), ..names }, now());
    assert_eq!(s.notice.as_deref(), Some("Changes to Team plus on 12 Jan 2027."));
    let past_due = BillingState { status: Some(PastDue), grace_until: Some(day(3, 12, 2026)), ..pro.clone() };
    let s = read(&past_due, names, day(1, 12, 2026));
    assert_eq!(s.status, "Past due");
    assert_eq!(
        s.past_due.as_deref(),
        Some("Your last payment failed. Update your payment method by 3 Dec 2026 to keep Pro.")
    );
    let s = read(&past_due, names, day(4, 12, 2026));
    assert_eq!(
        s.past_due.as_deref(),
        Some("Your last payment failed. Update your payment method to restore your plan.")
    );
    let trial =
        BillingState { status: Some(Trialing), trial_end: Some(day(5, 12, 2026)), current_period_end: None, ..pro };
    let s = read(&trial, names, now());
    assert_eq!((s.status.as_str(), s.notice.as_deref()), ("Free trial", Some("Your free trial ends on 5 Dec 2026.")));
    let free = PlanNames { current: "Free", current_is_free: true, scheduled: None };
    assert_eq!(read(&unsubscribed(), free, now()).status, "Free plan");
}

// --- ordering property -------------------------------------------------------------------

/// created (trial) < upgraded to pro < cancellation scheduled < deleted, as the provider sent them.
fn lifecycle_events() -> Vec<(SubscriptionData, DateTime<Utc>)> {
    let trial_end = Some(at(14 * 86_400));
    let created = SubscriptionData { trial_end, ..sub("sub_1", Trialing, "price_basic_m") };
    let pro = SubscriptionData { trial_end, ..sub("sub_1", Active, "price_pro_m") };
    let cancel = SubscriptionData { cancel_at_period_end: Some(true), ..pro.clone() };
    let deleted = SubscriptionData { canceled_at: Some(at(40)), trial_end, ..sub("sub_1", Canceled, "price_pro_m") };
    vec![(created, at(10)), (pro, at(20)), (cancel, at(30)), (deleted, at(40))]
}

fn apply_in_order(events: &[&(SubscriptionData, DateTime<Utc>)]) -> BillingState {
    events.iter().fold(unsubscribed(), |state, (sub, time)| {
        let decision = snapshot(&state, sub, *time);
        fold(state, decision)
    })
}

#[test]
fn every_pair_of_events_ends_the_same_in_either_order() {
    let events = lifecycle_events();
    for (i, first) in events.iter().enumerate() {
        for second in &events[i + 1..] {
            let in_order = apply_in_order(&[first, second]);
            let reversed = apply_in_order(&[second, first]);
            assert_eq!(in_order, reversed, "{:?} vs {:?}", first.1, second.1);
        }
    }
}

#[test]
fn every_permutation_of_the_lifecycle_ends_free() {
    let events = lifecycle_events();
    let expected = apply_in_order(&events.iter().collect::<Vec<_>>());
    assert_eq!((expected.plan_code.as_str(), expected.status), ("free", Some(Canceled)));
    for a in 0..4 {
        for b in (0..4).filter(|&b| b != a) {
            for c in (0..4).filter(|&c| c != a && c != b) {
                let d = 6 - a - b - c;
                let order = [&events[a], &events[b], &events[c], &events[d]];
                assert_eq!(apply_in_order(&order), expected, "order {a}{b}{c}{d}");
            }
        }
    }
}

#[test]
fn a_fetch_on_a_test_clock_keeps_real_time_ordering() {
    // The customer's test clock is two months ahead; the provider still stamps events in real time.
    let clock = at(60 * 86_400);
    let fetched = on_fetched_subscription_at(
        &active("price_pro_m"),
        &sub("sub_1", PastDue, "price_pro_m"),
        &resolve,
        &free(),
        GRACE_DAYS,
        clock,
        at(5),
    );
    let next = applied(fetched).next;
    assert_eq!(next.state_at, Some(at(5)), "ordered by the real time of the fetch");
    assert_eq!(next.grace_until, Some(clock + TimeDelta::days(GRACE_DAYS)), "grace runs on the clock");
    let later_event = snapshot(&next, &sub("sub_1", Active, "price_pro_m"), at(6));
    assert_eq!(applied(later_event).next.status, Some(Active), "a later real-time event still applies");
}
