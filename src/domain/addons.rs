//! What an add-on a workspace bought is worth as the provider reports on it. On Stripe each
//! add-on is a subscription of its own, with the same statuses and the same late, repeated and
//! reordered events as the plan; on Chargebee it is an item on the plan subscription, ended by
//! disappearing from the subscription's item list.
//!
//! What each status grants (the one rule; [`AddonStatus::grants`]):
//! - `active`, `trialing`: the add-on;
//! - `past_due`, `unpaid`: the add-on until its own grace deadline (`GRACE_PERIOD_DAYS` after
//!   its renewal first failed), as a past-due plan is kept; after that nothing until paid;
//! - `paused`, `incomplete`: nothing (it is not being paid for), though it may still resume;
//! - `canceled`: nothing, and nothing later changes that (a re-purchase is a new add-on).
//!
//! Events are ordered by the provider's time per add-on row (`state_at`), like the plan's
//! `subscription_state_at`: an older event is stale, so a period-end `deleted` delivered before
//! an earlier `updated` leaves the add-on ended.

use chrono::{DateTime, Utc};

use super::normalized::{SubscriptionData, SubscriptionStatus};
use super::sql::text_enum_sql;

/// An add-on's status (stored in `workspace_addons.status`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, diesel::expression::AsExpression, diesel::deserialize::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum AddonStatus {
    Active,
    Trialing,
    /// A renewal failed and the provider is retrying.
    PastDue,
    /// Stripe `unpaid`: retries are exhausted; the subscription stays but collects nothing.
    Unpaid,
    Paused,
    /// The first payment is not done.
    Incomplete,
    Canceled,
}

impl AddonStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AddonStatus::Active => "active",
            AddonStatus::Trialing => "trialing",
            AddonStatus::PastDue => "past_due",
            AddonStatus::Unpaid => "unpaid",
            AddonStatus::Paused => "paused",
            AddonStatus::Incomplete => "incomplete",
            AddonStatus::Canceled => "canceled",
        }
    }

    pub fn parse(s: &str) -> Option<AddonStatus> {
        Some(match s {
            "active" => AddonStatus::Active,
            "trialing" => AddonStatus::Trialing,
            "past_due" => AddonStatus::PastDue,
            "unpaid" => AddonStatus::Unpaid,
            "paused" => AddonStatus::Paused,
            "incomplete" => AddonStatus::Incomplete,
            "canceled" => AddonStatus::Canceled,
            _ => return None,
        })
    }

    /// Whether an add-on in this status is the workspace's at `now` (see the module doc).
    pub fn grants(self, grace_until: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
        match self {
            AddonStatus::Active | AddonStatus::Trialing => true,
            AddonStatus::PastDue | AddonStatus::Unpaid => grace_until.is_some_and(|until| until > now),
            AddonStatus::Paused | AddonStatus::Incomplete | AddonStatus::Canceled => false,
        }
    }

    fn is_overdue(self) -> bool {
        matches!(self, AddonStatus::PastDue | AddonStatus::Unpaid)
    }

    /// The add-on status a subscription snapshot states (`None` when it states none).
    pub fn of(sub: &SubscriptionData) -> Option<AddonStatus> {
        Some(match sub.status? {
            SubscriptionStatus::Active | SubscriptionStatus::NonRenewing => AddonStatus::Active,
            SubscriptionStatus::Trialing => AddonStatus::Trialing,
            SubscriptionStatus::PastDue if sub.retries_exhausted => AddonStatus::Unpaid,
            SubscriptionStatus::PastDue => AddonStatus::PastDue,
            SubscriptionStatus::Paused => AddonStatus::Paused,
            SubscriptionStatus::Incomplete | SubscriptionStatus::Future => AddonStatus::Incomplete,
            SubscriptionStatus::Canceled => AddonStatus::Canceled,
        })
    }
}

text_enum_sql!(AddonStatus);

/// One add-on row's provider-facing state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddonState {
    pub status: AddonStatus,
    pub current_period_end: Option<DateTime<Utc>>,
    pub cancel_at_period_end: bool,
    /// Set while overdue: the add-on is kept until then.
    pub grace_until: Option<DateTime<Utc>>,
    /// Provider time of the newest event applied to this row.
    pub state_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddonDecision {
    Apply(AddonState),
    /// Older than the state applied: change nothing.
    Stale,
    Ignore(&'static str),
}

/// What ordering and finality allow before any status is read.
fn gate(row: &AddonState, event_time: DateTime<Utc>) -> Option<AddonDecision> {
    if row.status == AddonStatus::Canceled {
        return Some(AddonDecision::Ignore("add-on already ended"));
    }
    if row.state_at.is_some_and(|applied| event_time < applied) {
        return Some(AddonDecision::Stale);
    }
    None
}

/// An event about the add-on's own subscription (Stripe). `deleted` for
/// `customer.subscription.deleted`; `grace_deadline` is when a newly overdue add-on stops.
pub fn on_addon_subscription(
    row: &AddonState,
    sub: &SubscriptionData,
    deleted: bool,
    event_time: DateTime<Utc>,
    grace_deadline: DateTime<Utc>,
) -> AddonDecision {
    if let Some(decision) = gate(row, event_time) {
        return decision;
    }
    let status = if deleted { Some(AddonStatus::Canceled) } else { AddonStatus::of(sub) };
    let Some(status) = status else {
        return AddonDecision::Ignore("add-on subscription without a status");
    };
    // Repeated overdue reports keep the first deadline.
    let grace_until =
        status.is_overdue().then(|| row.grace_until.filter(|_| row.status.is_overdue()).unwrap_or(grace_deadline));
    let next = AddonState {
        status,
        current_period_end: sub.current_period_end.or(row.current_period_end),
        cancel_at_period_end: status != AddonStatus::Canceled && sub.cancel_at_period_end.unwrap_or(false),
        grace_until,
        state_at: Some(event_time),
    };
    if next == *row { AddonDecision::Ignore("no change") } else { AddonDecision::Apply(next) }
}

/// A snapshot of the plan subscription an add-on is an item of (Chargebee): the add-on ends
/// when the subscription ends or, in a snapshot newer than the row, no longer lists its price.
pub fn on_plan_items(
    row: &AddonState,
    addon_price: &str,
    sub: &SubscriptionData,
    subscription_ended: bool,
    event_time: DateTime<Utc>,
) -> AddonDecision {
    if let Some(decision) = gate(row, event_time) {
        return decision;
    }
    let listed = sub.price_ids.iter().any(|price| price == addon_price);
    if listed && !subscription_ended {
        return AddonDecision::Ignore("add-on still on the subscription");
    }
    AddonDecision::Apply(AddonState {
        status: AddonStatus::Canceled,
        cancel_at_period_end: false,
        grace_until: None,
        state_at: Some(event_time),
        ..row.clone()
    })
}

#[cfg(test)]
mod tests;
