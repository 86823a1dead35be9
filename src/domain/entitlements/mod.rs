//! "May this workspace do X now?" — one pure answer. Given the workspace's billing state, its
//! plan, the catalog, its seats, usage and balances and `now`, [`entitlements`] says which
//! plan's terms apply, which features it has, how much of each limit is used, and what its
//! credits are. `GET /api/v1/entitlements` returns this; every gate, the layout's badge and
//! the quota and seat checks read the same function.
//!
//! Which plan applies: the workspace's own — a trial counts as paid, past due keeps the plan
//! until `grace_until` — unless its subscription no longer grants it
//! ([`BillingState::grants_plan`]); then the default plan's terms apply even before the job
//! that moves the workspace there has run. A plan assigned without a subscription (a contract
//! an operator set up) applies as assigned.

mod upgrade;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

pub use upgrade::{Unlock, cheapest_plan_for, display_feature, upgrade_notice};

use crate::domain::billing_state::BillingState;
use crate::domain::catalog::{Plan, PlanFields};
use crate::domain::credits::{CreditBalance, Cycle};
use crate::domain::normalized::SubscriptionStatus;

/// How the workspace holds its plan, for gates and the layout's badge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// On the free plan.
    Free,
    /// On a paid plan, paid (or assigned without a subscription).
    Paid,
    /// On a paid plan's trial: counts as paid.
    Trial,
    /// Payment failed; the plan is kept until the grace period ends.
    Grace,
    /// The subscription no longer grants its plan (grace over, paused): the default plan applies.
    Lapsed,
}

impl Standing {
    pub fn of(state: &BillingState, plan_is_free: bool, now: DateTime<Utc>) -> Standing {
        if state.subscription_id.is_some() && !state.grants_plan(now) && !plan_is_free {
            return Standing::Lapsed;
        }
        if plan_is_free {
            return Standing::Free;
        }
        match state.status {
            Some(SubscriptionStatus::Trialing) => Standing::Trial,
            Some(SubscriptionStatus::PastDue) => Standing::Grace,
            _ => Standing::Paid,
        }
    }

    /// The note beside the plan's name in the badge, when there is one.
    pub fn note(self) -> Option<&'static str> {
        match self {
            Standing::Trial => Some("trial"),
            Standing::Grace => Some("past due"),
            Standing::Lapsed => Some("lapsed"),
            Standing::Free | Standing::Paid => None,
        }
    }
}

/// The plan whose terms apply now (see the module docs).
pub fn effective_plan<'a>(state: &BillingState, plan: &'a Plan, default: &'a Plan, now: DateTime<Utc>) -> &'a Plan {
    match Standing::of(state, plan.is_free(), now) {
        Standing::Lapsed => default,
        _ => plan,
    }
}

/// Everything `entitlements` looks at.
pub struct EntitlementsInput<'a> {
    pub state: &'a BillingState,
    pub plan: &'a Plan,
    pub default_plan: &'a Plan,
    /// Every plan, archived ones included: they name the metrics limits exist for.
    pub catalog: &'a [Plan],
    pub seats_used: i64,
    /// Usage recorded in `cycle`, by metric.
    pub usage: &'a BTreeMap<String, i64>,
    pub balance: CreditBalance,
    pub cycle: &'a Cycle,
    pub now: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PlanInfo {
    pub code: String,
    pub name: String,
}

/// One limit: `limit` `None` is unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Allowance {
    pub limit: Option<i64>,
    pub used: i64,
    pub remaining: Option<i64>,
}

impl Allowance {
    fn new(limit: Option<i64>, used: i64) -> Allowance {
        Allowance { limit, used, remaining: limit.map(|l| (l - used).max(0)) }
    }
}

/// The cycle usage and monthly credits run on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Period {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// `subscription` (the plan's own cycle) or `calendar`.
    pub kind: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Credits {
    /// The plan's monthly credits are unlimited: spends always succeed and use no bucket.
    pub unlimited: bool,
    pub monthly: i64,
    pub purchased: i64,
    /// What can be spent now (negative buckets count as zero).
    pub available: i64,
    /// What each cycle grants; `None` when unlimited.
    pub monthly_grant: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Entitlements {
    pub plan: PlanInfo,
    pub standing: Standing,
    /// A paid plan's terms apply (trials and grace periods included).
    pub paid: bool,
    /// The provider's subscription status, when there is a subscription.
    pub status: Option<&'static str>,
    pub current_period_end: Option<DateTime<Utc>>,
    pub trial_end: Option<DateTime<Utc>>,
    pub grace_until: Option<DateTime<Utc>>,
    pub period: Period,
    pub features: Vec<String>,
    /// Every limit the catalog names, with this period's usage.
    pub limits: BTreeMap<String, Allowance>,
    pub seats: Allowance,
    pub credits: Credits,
}

/// Why a quota refuses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuotaError {
    /// No plan in the catalog limits this metric.
    UnknownMetric,
    Exceeded {
        limit: i64,
        used: i64,
    },
}

impl Entitlements {
    pub fn has_feature(&self, feature: &str) -> bool {
        self.features.iter().any(|f| f == feature)
    }

    /// Whether `quantity` more of `metric` fits this period's limit.
    pub fn check_quota(&self, metric: &str, quantity: i64) -> Result<Allowance, QuotaError> {
        let allowance = *self.limits.get(metric).ok_or(QuotaError::UnknownMetric)?;
        match allowance.limit {
            Some(limit) if allowance.used.saturating_add(quantity) > limit => {
                Err(QuotaError::Exceeded { limit, used: allowance.used })
            }
            _ => Ok(allowance),
        }
    }

    /// Whether one more member fits.
    pub fn seat_available(&self) -> bool {
        self.seats.limit.is_none_or(|limit| self.seats.used < limit)
    }
}

/// The metrics any plan of the catalog limits.
pub fn known_metrics(catalog: &[Plan]) -> Vec<String> {
    let mut metrics: Vec<String> = catalog.iter().flat_map(|p| p.limits.keys().cloned()).collect();
    metrics.sort();
    metrics.dedup();
    metrics
}

pub fn entitlements(input: &EntitlementsInput<'_>) -> Entitlements {
    let now = input.now;
    let standing = Standing::of(input.state, input.plan.is_free(), now);
    let plan: &PlanFields = effective_plan(input.state, input.plan, input.default_plan, now);
    let limits = known_metrics(input.catalog)
        .into_iter()
        .map(|metric| {
            let used = input.usage.get(&metric).copied().unwrap_or(0);
            let allowance = Allowance::new(plan.limits.get(&metric).copied(), used);
            (metric, allowance)
        })
        .collect();
    let balance = input.balance;
    Entitlements {
        plan: PlanInfo { code: plan.code.clone(), name: plan.name.clone() },
        standing,
        paid: !plan.is_free(),
        status: input.state.status.map(SubscriptionStatus::as_str),
        current_period_end: input.state.current_period_end,
        trial_end: input.state.trial_end,
        grace_until: input.state.grace_until,
        period: Period { start: input.cycle.start, end: input.cycle.end, kind: input.cycle.source.as_str() },
        features: plan.features.clone(),
        limits,
        seats: Allowance::new(plan.seat_limit.map(i64::from), input.seats_used),
        credits: Credits {
            unlimited: plan.monthly_credits.is_none(),
            monthly: balance.monthly,
            purchased: balance.purchased,
            available: balance.monthly.max(0) + balance.purchased.max(0),
            monthly_grant: plan.monthly_credits,
        },
    }
}

#[cfg(test)]
mod tests;
