//! What a change of a workspace's plan or subscription status means for the business, and
//! what a workspace contributes to monthly recurring revenue. The admin overview counts
//! upgrades, churn and trial conversions from these names, so the rule lives in one place.

use crate::domain::ids::PlanId;
use crate::domain::money::Interval;
use crate::domain::normalized::SubscriptionStatus;

/// One side of a change: the plan, how it ranks (see `PlanFields::rank`), whether it is free,
/// and the subscription's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanSide {
    pub plan: PlanId,
    pub rank: i64,
    pub is_free: bool,
    pub status: Option<SubscriptionStatus>,
}

impl PlanSide {
    /// A paid plan that a live subscription grants (a trial and a grace period count).
    fn is_paid(&self) -> bool {
        !self.is_free
            && matches!(
                self.status,
                Some(
                    SubscriptionStatus::Trialing
                        | SubscriptionStatus::Active
                        | SubscriptionStatus::NonRenewing
                        | SubscriptionStatus::PastDue
                )
            )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// Onto a paid plan with a trial.
    TrialStarted,
    /// A trial became a paying subscription.
    TrialConverted,
    /// Onto a paid plan, paying at once.
    NewSubscription,
    /// To a plan that costs more.
    Upgrade,
    /// To a plan that costs less, still paid.
    Downgrade,
    /// From a paid plan to none (cancelled, lapsed, dropped to the free plan).
    Churn,
    /// Anything else: a status moved (past due, recovered) on the same plan.
    StatusChange,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::TrialStarted => "trial_started",
            ChangeKind::TrialConverted => "trial_converted",
            ChangeKind::NewSubscription => "new_subscription",
            ChangeKind::Upgrade => "upgrade",
            ChangeKind::Downgrade => "downgrade",
            ChangeKind::Churn => "churn",
            ChangeKind::StatusChange => "status_change",
        }
    }

    pub fn parse(s: &str) -> Option<ChangeKind> {
        [
            ChangeKind::TrialStarted,
            ChangeKind::TrialConverted,
            ChangeKind::NewSubscription,
            ChangeKind::Upgrade,
            ChangeKind::Downgrade,
            ChangeKind::Churn,
            ChangeKind::StatusChange,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// Names the change from `from` to `to`; `None` when neither plan nor status moved.
pub fn classify(from: &PlanSide, to: &PlanSide) -> Option<ChangeKind> {
    if from.plan == to.plan && from.status == to.status {
        return None;
    }
    let kind = match (from.is_paid(), to.is_paid()) {
        (false, true) if to.status == Some(SubscriptionStatus::Trialing) => ChangeKind::TrialStarted,
        (false, true) => ChangeKind::NewSubscription,
        (true, false) => ChangeKind::Churn,
        (true, true)
            if from.status == Some(SubscriptionStatus::Trialing) && to.status != Some(SubscriptionStatus::Trialing) =>
        {
            ChangeKind::TrialConverted
        }
        (true, true) if to.rank > from.rank => ChangeKind::Upgrade,
        (true, true) if to.rank < from.rank => ChangeKind::Downgrade,
        _ => ChangeKind::StatusChange,
    };
    Some(kind)
}

/// What a workspace adds to monthly recurring revenue, in minor units: its plan's price for
/// its interval, a yearly price counted as a twelfth, while the subscription is paying
/// (trials pay nothing yet).
pub fn mrr_contribution(
    status: Option<SubscriptionStatus>,
    interval: Option<Interval>,
    price_month_minor: Option<i64>,
    price_year_minor: Option<i64>,
) -> i64 {
    if !status.is_some_and(|s| SubscriptionStatus::PAYING.contains(&s)) {
        return 0;
    }
    match interval {
        Some(Interval::Year) => price_year_minor.map(|y| y / 12).or(price_month_minor).unwrap_or(0),
        _ => price_month_minor.or(price_year_minor.map(|y| y / 12)).unwrap_or(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn side(plan: i64, rank: i64, status: Option<SubscriptionStatus>) -> PlanSide {
        PlanSide { plan: PlanId(plan), rank, is_free: rank == 0, status }
    }

    #[test]
    fn names_each_kind_of_change() {
        use SubscriptionStatus::*;
        let free = side(1, 0, None);
        let cases = [
            (free, side(2, 2000, Some(Trialing)), Some(ChangeKind::TrialStarted)),
            (free, side(2, 2000, Some(Active)), Some(ChangeKind::NewSubscription)),
            (side(2, 2000, Some(Trialing)), side(2, 2000, Some(Active)), Some(ChangeKind::TrialConverted)),
            (side(2, 2000, Some(Active)), side(3, 5000, Some(Active)), Some(ChangeKind::Upgrade)),
            (side(3, 5000, Some(Active)), side(2, 2000, Some(Active)), Some(ChangeKind::Downgrade)),
            (side(3, 5000, Some(PastDue)), side(1, 0, Some(Canceled)), Some(ChangeKind::Churn)),
            (side(2, 2000, Some(Trialing)), side(1, 0, None), Some(ChangeKind::Churn)),
            (side(2, 2000, Some(Active)), side(2, 2000, Some(PastDue)), Some(ChangeKind::StatusChange)),
            (side(2, 2000, Some(Active)), side(2, 2000, Some(Active)), None),
        ];
        for (from, to, kind) in cases {
            assert_eq!(classify(&from, &to), kind, "{from:?} → {to:?}");
        }
    }

    #[test]
    fn monthly_revenue_counts_paying_subscriptions_only() {
        use SubscriptionStatus::*;
        assert_eq!(mrr_contribution(Some(Active), Some(Interval::Month), Some(5000), Some(50000)), 5000);
        assert_eq!(mrr_contribution(Some(PastDue), Some(Interval::Year), Some(5000), Some(48000)), 4000);
        assert_eq!(mrr_contribution(Some(Trialing), Some(Interval::Month), Some(5000), None), 0);
        assert_eq!(mrr_contribution(None, None, Some(5000), None), 0);
    }
}
