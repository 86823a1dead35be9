//! Subscription snapshots, fetched states and deletions.

use super::*;

#[test]
fn snapshot_without_subscription_id_is_an_error() {
    let result = snapshot(&unsubscribed(), &sub("", Active, "price_pro_m"), at(0));
    assert_eq!(result, Err(TransitionError::MissingSubscriptionId));
}

#[test]
fn snapshot_without_status_is_an_error() {
    let no_status = SubscriptionData { status: None, ..sub("sub_1", Active, "price_pro_m") };
    let result = snapshot(&unsubscribed(), &no_status, at(0));
    assert_eq!(result, Err(TransitionError::MissingStatus("sub_1".into())));
}

#[test]
fn negative_or_huge_grace_days_are_errors() {
    let s = sub("sub_1", Active, "price_pro_m");
    for days in [-1, i64::MAX] {
        let result = on_subscription_snapshot(&unsubscribed(), &s, at(0), &resolve, &free(), days, now());
        assert_eq!(result, Err(TransitionError::InvalidGraceDays(days)));
    }
}

#[test]
fn trial_start_grants_plan_links_subscription_and_resets_credits() {
    let trial = SubscriptionData { trial_end: Some(at(14 * 86_400)), ..sub("sub_1", Trialing, "price_basic_m") };
    let t = applied(snapshot(&unsubscribed(), &trial, at(0)));
    assert_eq!(t.next.plan_code, "basic");
    assert_eq!(t.next.status, Some(Trialing));
    assert_eq!(t.next.subscription_id.as_deref(), Some("sub_1"));
    assert_eq!(t.next.customer_id.as_deref(), Some("cus_1"));
    assert_eq!(t.next.interval, Some(Interval::Month));
    assert_eq!(t.next.trial_end, trial.trial_end);
    assert!(t.next.had_trial);
    assert_eq!(t.next.upgraded_at, Some(now()));
    assert_eq!(t.next.state_at, Some(at(0)));
    let key = format!("sub_1:basic:{}", period_end().timestamp());
    assert_eq!(
        t.effects,
        vec![
            Effect::PlanChanged { from: "free".into(), to: "basic".into() },
            Effect::ResetMonthlyCredits { amount: Some(1_000), period_key: key },
            notify("trial started"),
        ]
    );
}

#[test]
fn trial_to_active_keeps_plan_without_credit_reset() {
    let trial = SubscriptionData { trial_end: Some(at(100)), ..sub("sub_1", Trialing, "price_basic_m") };
    let trialing = applied(snapshot(&unsubscribed(), &trial, at(0))).next;
    let paid = SubscriptionData { status: Some(Active), ..trial };
    let t = applied(snapshot(&trialing, &paid, at(200)));
    assert_eq!(t.next.plan_code, "basic");
    assert_eq!(t.next.status, Some(Active));
    assert!(t.next.had_trial);
    assert_eq!(t.effects, vec![notify("subscription active")]);
}

#[test]
fn had_trial_stays_true_once_set() {
    let trial = sub("sub_1", Trialing, "price_basic_m");
    let trialing = applied(snapshot(&unsubscribed(), &trial, at(0))).next;
    let next = applied(snapshot(&trialing, &sub("sub_1", Active, "price_basic_m"), at(1))).next;
    assert!(next.had_trial);
}

#[test]
fn older_snapshot_is_stale() {
    let state = active("price_pro_m");
    assert_eq!(snapshot(&state, &sub("sub_1", Active, "price_basic_m"), at(-1)), Ok(Decision::Stale));
}

#[test]
fn same_second_conflicting_snapshot_is_ambiguous() {
    let state = active("price_pro_m");
    assert_eq!(snapshot(&state, &sub("sub_1", Active, "price_basic_m"), at(0)), Ok(Decision::Ambiguous));
    let cancel = SubscriptionData { cancel_at_period_end: Some(true), ..sub("sub_1", Active, "price_pro_m") };
    assert_eq!(snapshot(&state, &cancel, at(0)), Ok(Decision::Ambiguous));
}

#[test]
fn same_second_identical_snapshot_is_a_no_op() {
    let state = active("price_pro_m");
    assert_eq!(snapshot(&state, &sub("sub_1", Active, "price_pro_m"), at(0)), ignored("no change"));
}

#[test]
fn newer_snapshot_for_ended_subscription_is_ignored() {
    let state = active("price_pro_m");
    let ended = applied(on_subscription_deleted(&state, &sub("sub_1", Canceled, "price_pro_m"), at(5), &free())).next;
    assert_eq!(snapshot(&ended, &sub("sub_1", Active, "price_pro_m"), at(9)), ignored("subscription already ended"));
}

#[test]
fn deleted_then_late_older_update_is_stale_and_stays_free() {
    let state = active("price_basic_m");
    let ended = applied(on_subscription_deleted(&state, &sub("sub_1", Canceled, "price_pro_m"), at(5), &free())).next;
    assert_eq!(snapshot(&ended, &sub("sub_1", Active, "price_pro_m"), at(3)), Ok(Decision::Stale));
    assert_eq!(ended.plan_code, "free");
}

#[test]
fn unknown_price_with_paying_status_is_ignored() {
    let state = active("price_basic_m");
    let addon_only = sub("sub_1", Active, "price_addon");
    assert_eq!(snapshot(&state, &addon_only, at(1)), ignored("unknown price"));
}

#[test]
fn unknown_price_with_non_granting_status_still_links() {
    let t = applied(snapshot(&unsubscribed(), &sub("sub_1", Incomplete, "price_addon"), at(0)));
    assert_eq!(t.next.subscription_id.as_deref(), Some("sub_1"));
    assert_eq!(t.next.plan_code, "free");
    assert_eq!(t.next.interval, None);
}

#[test]
fn first_resolving_price_is_the_plan() {
    let s = SubscriptionData {
        price_ids: vec!["price_addon".into(), "price_pro_y".into(), "price_basic_m".into()],
        ..sub("sub_1", Active, "")
    };
    let next = applied(snapshot(&unsubscribed(), &s, at(0))).next;
    assert_eq!((next.plan_code.as_str(), next.interval), ("pro", Some(Interval::Year)));
}

#[test]
fn other_subscription_is_ignored_while_current_grants() {
    let state = active("price_basic_m");
    assert_eq!(snapshot(&state, &sub("sub_2", Active, "price_pro_m"), at(1)), ignored("other subscription"));
}

#[test]
fn other_subscription_is_adopted_when_current_grants_nothing() {
    let state = applied(snapshot(&unsubscribed(), &sub("sub_1", Incomplete, "price_pro_m"), at(0))).next;
    let second = SubscriptionData { customer_id: Some("cus_2".into()), ..sub("sub_2", Active, "price_pro_m") };
    let next = applied(snapshot(&state, &second, at(1))).next;
    assert_eq!(next.subscription_id.as_deref(), Some("sub_2"));
    assert_eq!(next.customer_id.as_deref(), Some("cus_2"));
    assert_eq!(next.plan_code, "pro");
}

#[test]
fn customer_is_kept_when_snapshot_omits_it() {
    let state = active("price_basic_m");
    let anonymous = SubscriptionData { customer_id: None, ..sub("sub_1", Active, "price_pro_m") };
    assert_eq!(applied(snapshot(&state, &anonymous, at(1))).next.customer_id.as_deref(), Some("cus_1"));
}

#[test]
fn incomplete_grants_default_but_keeps_link() {
    let t = applied(snapshot(&unsubscribed(), &sub("sub_1", Incomplete, "price_pro_m"), at(0)));
    assert_eq!(t.next.plan_code, "free");
    assert_eq!(t.next.status, Some(Incomplete));
    assert_eq!(t.next.subscription_id.as_deref(), Some("sub_1"));
    assert_eq!(t.next.interval, Some(Interval::Month));
    assert_eq!(t.effects, vec![]);
}

#[test]
fn paused_downgrades_and_resume_reactivates() {
    let state = active("price_pro_m");
    let t = applied(snapshot(&state, &sub("sub_1", Paused, "price_pro_m"), at(1)));
    assert_eq!(t.next.plan_code, "free");
    assert!(t.effects.contains(&Effect::Downgraded { to: "free".into(), reason: "subscription paused" }));
    let resumed = applied(snapshot(&t.next, &sub("sub_1", Active, "price_pro_m"), at(2)));
    assert_eq!(resumed.next.plan_code, "pro");
    assert!(resumed.effects.contains(&notify("reactivated")));
}

#[test]
fn future_subscription_grants_default() {
    let next = applied(snapshot(&unsubscribed(), &sub("sub_1", Future, "price_pro_m"), at(0))).next;
    assert_eq!((next.plan_code.as_str(), next.status), ("free", Some(Future)));
}

#[test]
fn past_due_snapshot_enters_grace_and_keeps_plan() {
    let state = active("price_pro_m");
    let t = applied(snapshot(&state, &sub("sub_1", PastDue, "price_pro_m"), at(1)));
    let until = now() + TimeDelta::days(GRACE_DAYS);
    assert_eq!(t.next.plan_code, "pro");
    assert_eq!(t.next.grace_until, Some(until));
    assert_eq!(t.effects, vec![Effect::EnteredGrace { until }]);
}

#[test]
fn past_due_snapshot_keeps_existing_grace() {
    let state = past_due_pro();
    let later = on_subscription_snapshot(
        &state,
        &sub("sub_1", PastDue, "price_pro_m"),
        at(2),
        &resolve,
        &free(),
        30,
        at(50_000),
    );
    let t = applied(later);
    assert_eq!(t.next.grace_until, state.grace_until);
    assert_eq!(t.effects, vec![]);
}

#[test]
fn past_due_snapshot_with_zero_grace_downgrades() {
    let state = active("price_pro_m");
    let result =
        on_subscription_snapshot(&state, &sub("sub_1", PastDue, "price_pro_m"), at(1), &resolve, &free(), 0, now());
    let t = applied(result);
    assert_eq!(t.next.plan_code, "free");
    assert!(t.effects.contains(&Effect::Downgraded { to: "free".into(), reason: "payment failed" }));
}

#[test]
fn active_snapshot_clears_grace() {
    let next = applied(snapshot(&past_due_pro(), &sub("sub_1", Active, "price_pro_m"), at(2))).next;
    assert_eq!((next.status, next.grace_until), (Some(Active), None));
}

#[test]
fn cancel_scheduled_keeps_plan_until_period_end() {
    let state = active("price_pro_m");
    let cancel = SubscriptionData { cancel_at_period_end: Some(true), ..sub("sub_1", Active, "price_pro_m") };
    let t = applied(snapshot(&state, &cancel, at(1)));
    assert_eq!(t.next.plan_code, "pro");
    assert!(t.next.cancel_at_period_end);
    let date = period_end().format("%-d %b %Y");
    assert_eq!(t.effects, vec![notify(&format!("cancellation scheduled for {date}"))]);
}

#[test]
fn non_renewing_implies_cancel_and_keeps_plan() {
    let state = active("price_pro_m");
    let next = applied(snapshot(&state, &sub("sub_1", NonRenewing, "price_pro_m"), at(1))).next;
    assert!(next.cancel_at_period_end);
    assert_eq!((next.plan_code.as_str(), next.status), ("pro", Some(NonRenewing)));
    assert_eq!(on_period_end_passed(&next, period_end() - TimeDelta::seconds(1), &free()), ignore("period not ended"));
}

#[test]
fn removing_scheduled_cancellation_notifies_reactivated() {
    let state = applied(snapshot(&active("price_pro_m"), &sub("sub_1", NonRenewing, "price_pro_m"), at(1))).next;
    let t = applied(snapshot(&state, &sub("sub_1", Active, "price_pro_m"), at(2)));
    assert!(!t.next.cancel_at_period_end);
    assert_eq!(t.effects, vec![notify("reactivated")]);
}

#[test]
fn upgrade_sets_upgraded_at_and_resets_credits_for_new_plan() {
    let state = BillingState { upgraded_at: None, ..active("price_basic_m") };
    let t = applied(snapshot(&state, &sub("sub_1", Active, "price_pro_m"), at(1)));
    assert_eq!(t.next.upgraded_at, Some(now()));
    let key = format!("sub_1:pro:{}", period_end().timestamp());
    assert_eq!(
        t.effects,
        vec![
            Effect::PlanChanged { from: "basic".into(), to: "pro".into() },
            Effect::ResetMonthlyCredits { amount: None, period_key: key },
        ]
    );
}

#[test]
fn scheduled_plan_is_cleared_only_when_reached() {
    let state = BillingState { scheduled_plan_code: Some("basic".into()), ..active("price_pro_m") };
    let renewed = applied(snapshot(&state, &sub("sub_1", Active, "price_pro_y"), at(1))).next;
    assert_eq!(renewed.scheduled_plan_code.as_deref(), Some("basic"));
    let reached = applied(snapshot(&state, &sub("sub_1", Active, "price_basic_m"), at(1))).next;
    assert_eq!(reached.scheduled_plan_code, None);
}

#[test]
fn canceled_snapshot_behaves_like_deleted() {
    let state = active("price_pro_m");
    let s = sub("sub_1", Canceled, "price_pro_m");
    let via_snapshot = snapshot(&state, &s, at(5));
    assert_eq!(via_snapshot, on_subscription_deleted(&state, &s, at(5), &free()));
    assert_eq!(applied(via_snapshot).next.status, Some(Canceled));
}

// --- deletion ----------------------------------------------------------------------------

#[test]
fn deleting_current_subscription_downgrades_and_unlinks() {
    let state =
        BillingState { grace_until: Some(at(9)), scheduled_plan_code: Some("basic".into()), ..active("price_pro_m") };
    let t = applied(on_subscription_deleted(&state, &sub("sub_1", Canceled, "price_pro_m"), at(5), &free()));
    assert_eq!(t.next.plan_code, "free");
    assert_eq!(t.next.status, Some(Canceled));
    assert_eq!(t.next.subscription_id, None);
    assert_eq!(t.next.customer_id.as_deref(), Some("cus_1"));
    assert!(!t.next.cancel_at_period_end);
    assert_eq!((t.next.grace_until, t.next.scheduled_plan_code.as_deref()), (None, None));
    assert_eq!(t.next.ended_subscription_ids, vec!["sub_1".to_owned()]);
    assert_eq!(t.next.state_at, Some(at(5)));
    assert_eq!(
        t.effects,
        vec![
            Effect::PlanChanged { from: "pro".into(), to: "free".into() },
            Effect::Downgraded { to: "free".into(), reason: "subscription ended" },
        ]
    );
}

#[test]
fn deleting_twice_is_ignored() {
    let s = sub("sub_1", Canceled, "price_pro_m");
    let ended = applied(on_subscription_deleted(&active("price_pro_m"), &s, at(5), &free())).next;
    assert_eq!(on_subscription_deleted(&ended, &s, at(5), &free()), ignored("subscription already ended"));
}

#[test]
fn older_deletion_of_current_subscription_is_stale() {
    let state = active("price_pro_m");
    let result = on_subscription_deleted(&state, &sub("sub_1", Canceled, "price_pro_m"), at(-5), &free());
    assert_eq!(result, Ok(Decision::Stale));
}

#[test]
fn deleting_another_subscription_only_remembers_it() {
    let state = active("price_pro_m");
    let t = applied(on_subscription_deleted(&state, &sub("sub_0", Canceled, "price_pro_m"), at(-5), &free()));
    assert_eq!(t.effects, vec![]);
    assert_eq!(t.next, BillingState { ended_subscription_ids: vec!["sub_0".into()], ..state });
}

#[test]
fn same_second_deletion_applies_because_ending_is_final() {
    let state = active("price_pro_m");
    let t = applied(on_subscription_deleted(&state, &sub("sub_1", Canceled, "price_pro_m"), at(0), &free()));
    assert_eq!(t.next.plan_code, "free");
}

#[test]
fn deletion_with_no_current_subscription_records_it_but_keeps_a_granted_plan() {
    let manual = BillingState { plan_code: "enterprise".into(), ..unsubscribed() };
    let t = applied(on_subscription_deleted(&manual, &sub("sub_7", Canceled, "price_pro_m"), at(5), &free()));
    assert_eq!(t.effects, vec![]);
    assert_eq!((t.next.plan_code.as_str(), t.next.status), ("enterprise", Some(Canceled)));
    assert_eq!((t.next.state_at, t.next.customer_id.as_deref()), (Some(at(5)), Some("cus_1")));
    assert_eq!(t.next.ended_subscription_ids, vec!["sub_7".to_owned()]);
}

#[test]
fn deletion_without_id_is_an_error() {
    let result = on_subscription_deleted(&unsubscribed(), &sub(" ", Canceled, "price_pro_m"), at(0), &free());
    assert_eq!(result, Err(TransitionError::MissingSubscriptionId));
}

// --- invoice paid ------------------------------------------------------------------------
