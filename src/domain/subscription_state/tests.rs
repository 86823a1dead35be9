use super::*;
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
fn describe_reads_like_a_sentence() {
    let day = |d, m, y| Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).unwrap();
    let pro = BillingState { current_period_end: Some(day(12, 1, 2027)), ..active("price_pro_m") };
    assert_eq!(describe(&pro, now()), "Pro, renews on 12 Jan 2027");
    let cancelling = BillingState { cancel_at_period_end: true, ..pro.clone() };
    assert_eq!(describe(&cancelling, now()), "Pro until 12 Jan 2027, then Free");
    let downgrading = BillingState { scheduled_plan_code: Some("team_plus".into()), ..pro.clone() };
    assert_eq!(describe(&downgrading, now()), "Pro until 12 Jan 2027, then Team plus");
    let past_due = BillingState { status: Some(PastDue), grace_until: Some(day(3, 12, 2026)), ..pro.clone() };
    assert_eq!(describe(&past_due, day(1, 12, 2026)), "Past due: pay by 3 Dec 2026 to keep Pro");
    assert_eq!(describe(&past_due, day(4, 12, 2026)), "Past due: pay now to restore your subscription");
    let trial = BillingState { status: Some(Trialing), trial_end: Some(day(5, 12, 2026)), ..pro };
    assert_eq!(describe(&trial, now()), "Trial ends 5 Dec 2026");
    assert_eq!(describe(&unsubscribed(), now()), "Free");
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
