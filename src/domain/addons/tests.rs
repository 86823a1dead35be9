//! The add-on rules: ordering per row, finality of an end, real statuses and what each grants.

use chrono::{TimeDelta, TimeZone};

use super::*;

fn at(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_795_000_000 + secs, 0).unwrap()
}

fn row(status: AddonStatus, state_at: i64) -> AddonState {
    AddonState {
        status,
        current_period_end: Some(at(30 * 86_400)),
        cancel_at_period_end: false,
        grace_until: None,
        state_at: Some(at(state_at)),
    }
}

fn sub(status: SubscriptionStatus) -> SubscriptionData {
    SubscriptionData {
        id: "sub_addon".into(),
        status: Some(status),
        price_ids: vec!["price_email_5_monthly".into()],
        current_period_end: Some(at(60 * 86_400)),
        ..SubscriptionData::default()
    }
}

fn applied(decision: AddonDecision) -> AddonState {
    match decision {
        AddonDecision::Apply(next) => next,
        other => panic!("expected Apply, got {other:?}"),
    }
}

const DEADLINE: i64 = 7 * 86_400;

fn event(row: &AddonState, sub: &SubscriptionData, deleted: bool, time: i64) -> AddonDecision {
    on_addon_subscription(row, sub, deleted, at(time), at(time + DEADLINE))
}

#[test]
fn a_period_end_deletion_before_an_earlier_update_leaves_the_add_on_ended() {
    let cancelling = SubscriptionData { cancel_at_period_end: Some(true), ..sub(SubscriptionStatus::Active) };
    let ended = applied(event(&row(AddonStatus::Active, 0), &sub(SubscriptionStatus::Canceled), true, 20));
    assert_eq!(ended.status, AddonStatus::Canceled);
    assert!(!ended.cancel_at_period_end);
    assert_eq!(event(&ended, &cancelling, false, 10), AddonDecision::Ignore("add-on already ended"));
    // Even a same-second or later snapshot cannot reopen it.
    assert_eq!(
        event(&ended, &sub(SubscriptionStatus::Active), false, 30),
        AddonDecision::Ignore("add-on already ended")
    );
}

#[test]
fn older_events_are_stale() {
    let state = applied(event(&row(AddonStatus::Active, 0), &sub(SubscriptionStatus::PastDue), false, 20));
    assert_eq!(event(&state, &sub(SubscriptionStatus::Active), false, 19), AddonDecision::Stale);
    assert_eq!(state.state_at, Some(at(20)));
}

#[test]
fn a_failed_renewal_is_past_due_within_grace_and_keeps_its_first_deadline() {
    let overdue = applied(event(&row(AddonStatus::Active, 0), &sub(SubscriptionStatus::PastDue), false, 10));
    assert_eq!(overdue.status, AddonStatus::PastDue);
    assert_eq!(overdue.grace_until, Some(at(10 + DEADLINE)));
    assert_eq!(overdue.current_period_end, Some(at(60 * 86_400)), "the period the provider reports");
    let again = applied(event(&overdue, &sub(SubscriptionStatus::PastDue), false, 3 * 86_400));
    assert_eq!(again.grace_until, overdue.grace_until);
    let exhausted = SubscriptionData { retries_exhausted: true, ..sub(SubscriptionStatus::PastDue) };
    let unpaid = applied(event(&again, &exhausted, false, 4 * 86_400));
    assert_eq!((unpaid.status, unpaid.grace_until), (AddonStatus::Unpaid, overdue.grace_until));
    let paid = applied(event(&unpaid, &sub(SubscriptionStatus::Active), false, 5 * 86_400));
    assert_eq!((paid.status, paid.grace_until), (AddonStatus::Active, None));
}

#[test]
fn each_status_grants_by_the_rule() {
    let now = at(0);
    let (within, over) = (Some(now + TimeDelta::days(1)), Some(now));
    assert!(AddonStatus::Active.grants(None, now));
    assert!(AddonStatus::Trialing.grants(None, now));
    assert!(AddonStatus::PastDue.grants(within, now) && AddonStatus::Unpaid.grants(within, now));
    assert!(!AddonStatus::PastDue.grants(over, now) && !AddonStatus::Unpaid.grants(over, now));
    assert!(!AddonStatus::PastDue.grants(None, now));
    for nothing in [AddonStatus::Paused, AddonStatus::Incomplete, AddonStatus::Canceled] {
        assert!(!nothing.grants(within, now), "{nothing:?}");
    }
    for status in [SubscriptionStatus::Paused, SubscriptionStatus::Incomplete, SubscriptionStatus::Future] {
        let next = applied(event(&row(AddonStatus::Active, 0), &sub(status), false, 1));
        assert!(!next.status.grants(next.grace_until, at(1)), "{status:?}");
    }
    for text in ["active", "trialing", "past_due", "unpaid", "paused", "incomplete", "canceled"] {
        assert_eq!(AddonStatus::parse(text).map(AddonStatus::as_str), Some(text));
    }
}

#[test]
fn a_plan_snapshot_without_the_item_ends_it_when_newer() {
    let live = row(AddonStatus::Active, 10);
    let plan = |prices: &[&str]| SubscriptionData {
        price_ids: prices.iter().map(|p| (*p).to_owned()).collect(),
        ..sub(SubscriptionStatus::Active)
    };
    let with_it = plan(&["pro-USD-Monthly", "email-5-USD-Monthly"]);
    let without = plan(&["pro-USD-Monthly"]);
    assert_eq!(
        on_plan_items(&live, "email-5-USD-Monthly", &with_it, false, at(20)),
        AddonDecision::Ignore("add-on still on the subscription")
    );
    // A snapshot from before the purchase does not end it.
    assert_eq!(on_plan_items(&live, "email-5-USD-Monthly", &without, false, at(5)), AddonDecision::Stale);
    let ended = applied(on_plan_items(&live, "email-5-USD-Monthly", &without, false, at(20)));
    assert_eq!((ended.status, ended.state_at), (AddonStatus::Canceled, Some(at(20))));
    // The plan subscription ending ends its items.
    let gone = applied(on_plan_items(&live, "email-5-USD-Monthly", &with_it, true, at(20)));
    assert_eq!(gone.status, AddonStatus::Canceled);
}
