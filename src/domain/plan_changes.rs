//! Tollgate's plan-change policy: upgrades apply at once (the provider prorates), while a
//! move to a cheaper plan is honoured from the next period — the workspace keeps what it
//! paid for until then. Stripe applies a `proration_behavior=none` price change to the
//! subscription immediately, so the snapshot that follows must be held back here.
//!
//! Changing the billing interval follows what was paid for:
//! - monthly → yearly is a commitment made now: a new yearly cycle starts at once, the
//!   unused part of the month is credited, and the change applies only if the charge is paid;
//! - yearly → monthly waits for the end of the paid year (sending it as a price swap would
//!   forfeit the rest of the year, or re-bill at once): the year runs out at the old price and
//!   the monthly price starts its own cycle then. To get a higher plan now from a yearly one,
//!   choose that plan's yearly price.

use chrono::{DateTime, Utc};

use crate::domain::billing_state::{BillingState, Decision, Effect, Transition, grants_plan};
use crate::domain::money::Interval;
use crate::domain::purchases::Direction;

/// When a plan change takes effect, as the provider is asked to do it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeTiming {
    /// Upgrades within one interval: now, prorated, the difference charged at once. The
    /// provider applies the change only if that charge succeeds.
    Immediately,
    /// Monthly → yearly: now, with a new billing cycle starting now (the unused time credited,
    /// the new period charged at once); applied only if that charge succeeds.
    ImmediatelyNewCycle,
    /// Downgrades within one interval: the new price bills from the next renewal; nothing is
    /// charged or refunded now.
    AtPeriodEnd,
    /// Yearly → monthly: the paid period runs out at the old price and the new price starts
    /// its own cycle at its end (Stripe: a subscription schedule; Chargebee: end of term).
    AtPeriodEndNewCycle,
}

impl ChangeTiming {
    /// Whether the change is charged and applied now (otherwise it is scheduled).
    pub fn is_immediate(self) -> bool {
        matches!(self, ChangeTiming::Immediately | ChangeTiming::ImmediatelyNewCycle)
    }
}

/// The timing of a change in `direction` from billing every `from` to every `to` (see the
/// module doc).
pub fn change_timing(direction: Direction, from: Option<Interval>, to: Interval) -> ChangeTiming {
    match (from, to) {
        (Some(Interval::Month), Interval::Year) => ChangeTiming::ImmediatelyNewCycle,
        (Some(Interval::Year), Interval::Month) => ChangeTiming::AtPeriodEndNewCycle,
        _ if direction == Direction::Upgrade => ChangeTiming::Immediately,
        _ => ChangeTiming::AtPeriodEnd,
    }
}

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
        scheduled_interval: next.interval,
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
        assert_eq!(t.next.scheduled_interval, Some(Interval::Month));
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
    fn interval_changes_follow_what_was_paid_for() {
        let (month, year) = (Some(Interval::Month), Some(Interval::Year));
        assert_eq!(change_timing(Direction::Upgrade, month, Interval::Month), ChangeTiming::Immediately);
        assert_eq!(change_timing(Direction::Downgrade, month, Interval::Month), ChangeTiming::AtPeriodEnd);
        assert_eq!(change_timing(Direction::Downgrade, year, Interval::Year), ChangeTiming::AtPeriodEnd);
        // Month → year is a commitment made now, whichever plan it is.
        assert_eq!(change_timing(Direction::Upgrade, month, Interval::Year), ChangeTiming::ImmediatelyNewCycle);
        assert_eq!(change_timing(Direction::Downgrade, month, Interval::Year), ChangeTiming::ImmediatelyNewCycle);
        // Year → month waits for the paid year to end, even towards a dearer plan.
        assert_eq!(change_timing(Direction::Downgrade, year, Interval::Month), ChangeTiming::AtPeriodEndNewCycle);
        assert_eq!(change_timing(Direction::Upgrade, year, Interval::Month), ChangeTiming::AtPeriodEndNewCycle);
        assert!(ChangeTiming::ImmediatelyNewCycle.is_immediate() && !ChangeTiming::AtPeriodEndNewCycle.is_immediate());
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
