//! Tollgate's plan-change policy: upgrades apply at once (the provider prorates), while a
//! move to a cheaper plan is honoured from the next period — the workspace keeps what it
//! paid for until then. Stripe applies a `proration_behavior=none` price change to the
//! subscription immediately, so the snapshot that follows must be held back here.

use chrono::{DateTime, Utc};

use crate::domain::billing_state::{BillingState, Decision, Effect, Transition, grants_plan};

/// Holds a same-period move to a cheaper plan until the period ends: the plan stays, the
/// cheaper one is remembered as scheduled. `rank` orders plans by price.
pub fn hold_downgrade(
    prev: &BillingState,
    decision: Decision,
    rank: &dyn Fn(&str) -> i64,
    now: DateTime<Utc>,
) -> Decision {
    let Decision::Apply(transition) = decision else {
        return decision;
    };
    let next = &transition.next;
    let same_period = prev.current_period_end.is_some() && next.current_period_end == prev.current_period_end;
    let same_subscription = prev.subscription_id.is_some() && next.subscription_id == prev.subscription_id;
    let cheaper = rank(&next.plan_code) < rank(&prev.plan_code);
    if !(same_period && same_subscription && cheaper && grants_plan(next.status, next.grace_until, now)) {
        return Decision::Apply(transition);
    }
    let scheduled = next.plan_code.clone();
    let held = BillingState {
        plan_code: prev.plan_code.clone(),
        interval: prev.interval,
        upgraded_at: prev.upgraded_at,
        scheduled_plan_code: Some(scheduled.clone()),
        ..transition.next
    };
    let mut effects: Vec<Effect> = transition
        .effects
        .into_iter()
        .filter(|e| {
            !matches!(e, Effect::PlanChanged { .. } | Effect::ResetMonthlyCredits { .. } | Effect::Downgraded { .. })
        })
        .collect();
    effects.push(Effect::Notify(format!("change to {scheduled} scheduled for the end of the period")));
    Decision::Apply(Transition { next: held, effects })
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::domain::money::Interval;
    use crate::domain::normalized::SubscriptionStatus;

    fn rank(code: &str) -> i64 {
        match code {
            "free" => 0,
            "starter" => 2000,
            "pro" => 5000,
            _ => 99_999,
        }
    }

    fn at(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, day, 0, 0, 0).single().unwrap()
    }

    fn pro() -> BillingState {
        BillingState {
            plan_code: "pro".into(),
            status: Some(SubscriptionStatus::Active),
            subscription_id: Some("sub_1".into()),
            interval: Some(Interval::Month),
            current_period_end: Some(at(20)),
            ..BillingState::default()
        }
    }

    fn moved_to(plan: &str, period_end: u32, status: SubscriptionStatus) -> Decision {
        let next = BillingState {
            plan_code: plan.into(),
            current_period_end: Some(at(period_end)),
            status: Some(status),
            ..pro()
        };
        Decision::Apply(Transition {
            next,
            effects: vec![
                Effect::PlanChanged { from: "pro".into(), to: plan.into() },
                Effect::ResetMonthlyCredits { amount: Some(1), period_key: "k".into() },
            ],
        })
    }

    #[test]
    fn a_cheaper_plan_in_the_same_period_is_scheduled_not_applied() {
        let Decision::Apply(t) =
            hold_downgrade(&pro(), moved_to("starter", 20, SubscriptionStatus::Active), &rank, at(5))
        else {
            panic!("expected a transition");
        };
        assert_eq!(t.next.plan_code, "pro");
        assert_eq!(t.next.scheduled_plan_code.as_deref(), Some("starter"));
        assert_eq!(t.effects, [Effect::Notify("change to starter scheduled for the end of the period".into())]);
    }

    #[test]
    fn the_next_period_applies_the_cheaper_plan() {
        let decision = hold_downgrade(&pro(), moved_to("starter", 21, SubscriptionStatus::Active), &rank, at(21));
        let Decision::Apply(t) = decision else { panic!("expected a transition") };
        assert_eq!(t.next.plan_code, "starter");
        assert_eq!(t.effects.len(), 2);
    }

    #[test]
    fn upgrades_and_endings_pass_through() {
        let upgrade = BillingState { plan_code: "starter".into(), ..pro() };
        let Decision::Apply(t) =
            hold_downgrade(&upgrade, moved_to("pro", 20, SubscriptionStatus::Active), &rank, at(5))
        else {
            panic!("expected a transition")
        };
        assert_eq!(t.next.plan_code, "pro");
        // A subscription that stops granting drops to the default plan at once.
        let Decision::Apply(t) =
            hold_downgrade(&pro(), moved_to("free", 20, SubscriptionStatus::Incomplete), &rank, at(5))
        else {
            panic!("expected a transition")
        };
        assert_eq!(t.next.plan_code, "free");
        assert_eq!(hold_downgrade(&pro(), Decision::Stale, &rank, at(5)), Decision::Stale);
    }
}
