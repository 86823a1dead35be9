//! The subscription state machine: pure decisions over one workspace's billing state.
//!
//! Each `on_*` function takes the stored [`BillingState`] plus one fact (a provider event, or
//! time passing for the periodic jobs) and returns a [`Decision`]: the next state and the side
//! effects the caller performs. Nothing here reads a clock, a database or the network; `now`
//! and `event_time` are parameters so that webhook replays and tests are deterministic.
//!
//! Providers deliver webhooks late, twice and out of order, so:
//! - subscription snapshots carry the provider's timestamp, kept as `state_at`; an older one is
//!   [`Decision::Stale`], a same-second conflicting one is [`Decision::Ambiguous`];
//! - invoice events never move `state_at`, because the provider sends `invoice.paid` and the
//!   matching subscription update for the same change in either order;
//! - a subscription seen ending is remembered (`ended_subscription_ids`) and never grants again,
//!   unless its provider reactivates ended subscriptions in place (Chargebee) and a newer
//!   snapshot shows it live;
//! - a past-due state ends only with the failed invoice paid, or a payment after the failure:
//!   an older paid invoice does not end it, and on a provider whose subscription status cannot
//!   say "overdue" (Chargebee) neither does an `active` snapshot.
//!
//! `snapshot` handles subscription snapshots and deletions, `invoices` paid and failed
//! invoices, `periodic` what the jobs decide as time passes, `summary` how the state reads
//! on the billing page.

mod invoices;
mod next_state;
mod periodic;
mod snapshot;
mod summary;

use chrono::{DateTime, TimeDelta, Utc};

pub use crate::domain::money::Interval;
use crate::domain::normalized::{InvoiceData, Provider, SubscriptionData, SubscriptionStatus};
pub use invoices::{on_invoice_paid, on_payment_failed};
pub use periodic::{on_grace_expired, on_period_end_passed};
pub use snapshot::{
    on_fetched_subscription, on_fetched_subscription_at, on_subscription_deleted, on_subscription_snapshot,
};
pub use summary::{PlanNames, Summary, summary};

// Relative to the import above, so moving the module means editing one path only.
use SubscriptionStatus::{Active, Canceled, NonRenewing, PastDue, Trialing};

/// What the app knows about a plan, as needed for decisions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanRef {
    pub code: String,
    pub is_free: bool,
    /// `None` = unlimited.
    pub monthly_credits: Option<i64>,
}

/// The billing state of one workspace (columns of the workspaces table).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BillingState {
    /// The provider the workspace bills with (read from the row; the machine never sets it).
    /// Some rules depend on what the provider's data can express.
    pub provider: Option<Provider>,
    /// The plan the workspace is entitled to now.
    pub plan_code: String,
    /// `None` = never subscribed.
    pub status: Option<SubscriptionStatus>,
    pub customer_id: Option<String>,
    /// Cleared when the subscription ends.
    pub subscription_id: Option<String>,
    pub interval: Option<Interval>,
    pub current_period_end: Option<DateTime<Utc>>,
    /// A cancellation is scheduled (at `cancel_at`, else at the period end).
    pub cancel_at_period_end: bool,
    /// When a scheduled cancellation takes effect, when the provider names a date: it may be
    /// later than `current_period_end`, with renewals before it.
    pub cancel_at: Option<DateTime<Utc>>,
    pub trial_end: Option<DateTime<Utc>>,
    /// Once true stays true (no second trial).
    pub had_trial: bool,
    /// Set while past due.
    pub grace_until: Option<DateTime<Utc>>,
    /// A downgrade scheduled for period end (display only; set by the caller).
    pub scheduled_plan_code: Option<String>,
    /// The billing interval the scheduled change moves to (`None`: the current one).
    pub scheduled_interval: Option<Interval>,
    /// When the plan last went up.
    pub upgraded_at: Option<DateTime<Utc>>,
    /// Provider timestamp of the last applied subscription state.
    pub state_at: Option<DateTime<Utc>>,
    /// Subscriptions seen ending: a cancelled subscription never comes back (see the module doc).
    pub ended_subscription_ids: Vec<String>,
    /// Provider time of the failure (invoice or past-due snapshot) that made it past due.
    pub past_due_since: Option<DateTime<Utc>>,
    /// The invoice whose payment failed, when known.
    pub past_due_invoice: Option<String>,
    /// Provider time of the current subscription's latest paid invoice that moved money.
    pub last_paid_at: Option<DateTime<Utc>>,
}

impl BillingState {
    /// A workspace that never subscribed, entitled to `default_plan`.
    pub fn unsubscribed(default_plan: &PlanRef) -> Self {
        Self { plan_code: default_plan.code.clone(), ..Self::default() }
    }

    /// Whether the subscription entitles the workspace to its plan at `now`.
    pub fn grants_plan(&self, now: DateTime<Utc>) -> bool {
        grants_plan(self.status, self.grace_until, now)
    }

    /// Whether the workspace has a subscription that grants its plan at `now`: then a new
    /// plan is a plan change (not a second checkout), and it can be cancelled or resumed.
    pub fn is_subscribed(&self, now: DateTime<Utc>) -> bool {
        self.subscription_id.is_some() && self.grants_plan(now)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    PlanChanged {
        from: String,
        to: String,
    },
    /// Set the workspace's monthly credit bucket to `amount` (skip when `None` = unlimited).
    /// `period_key` is stable for one billing period of one subscription: an idempotency key.
    ResetMonthlyCredits {
        amount: Option<i64>,
        period_key: String,
    },
    EnteredGrace {
        until: DateTime<Utc>,
    },
    Downgraded {
        to: String,
        reason: &'static str,
    },
    /// Where an email would be sent; the caller logs it.
    Notify(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub next: BillingState,
    pub effects: Vec<Effect>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
#[expect(clippy::large_enum_variant, reason = "a decision lives for one event; boxing buys nothing")]
pub enum Decision {
    Apply(Transition),
    /// The event is older than state already applied: change nothing.
    Stale,
    /// The event alone cannot be trusted (same-second conflict): the caller fetches the
    /// subscription and calls [`on_subscription_snapshot`] with it and `event_time = now`.
    Ambiguous,
    /// Nothing to do, with a reason for the event log.
    Ignore(String),
}

/// Only for inputs no real event produces; ordinary no-ops are [`Decision::Ignore`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("event has no subscription id")]
    MissingSubscriptionId,
    #[error("subscription snapshot {0} has no status")]
    MissingStatus(String),
    #[error("grace_days must be between 0 and a representable date, got {0}")]
    InvalidGraceDays(i64),
}

/// Maps ONE provider price id to a plan and interval; add-ons and credit packs give `None`.
pub type ResolvePlan<'a> = &'a dyn Fn(&str) -> Option<(PlanRef, Interval)>;

/// Whether a subscription in `status` entitles the workspace to its plan at `now`.
pub fn grants_plan(status: Option<SubscriptionStatus>, grace_until: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    match status {
        Some(Trialing | Active | NonRenewing) => true,
        // Past due without a deadline has no grace to be within.
        Some(PastDue) => grace_until.is_some_and(|until| until > now),
        _ => false,
    }
}

fn require_subscription_id(id: &str) -> Result<(), TransitionError> {
    if id.trim().is_empty() {
        return Err(TransitionError::MissingSubscriptionId);
    }
    Ok(())
}

/// `None` for one-off invoices (credit packs); an empty id is a parser bug, not a one-off.
fn invoice_subscription_id(inv: &InvoiceData) -> Result<Option<&str>, TransitionError> {
    let Some(id) = inv.subscription_id.as_deref() else {
        return Ok(None);
    };
    require_subscription_id(id)?;
    Ok(Some(id))
}

/// When a grace period of `grace_days` starting `now` ends (also an add-on's, see `addons`).
pub fn grace_deadline(now: DateTime<Utc>, grace_days: i64) -> Result<DateTime<Utc>, TransitionError> {
    TimeDelta::try_days(grace_days)
        .filter(|_| grace_days >= 0)
        .and_then(|grace| now.checked_add_signed(grace))
        .ok_or(TransitionError::InvalidGraceDays(grace_days))
}

fn ignore(reason: &str) -> Decision {
    Decision::Ignore(reason.to_owned())
}

/// A transition that changes nothing is reported as such, so replays log as no-ops.
fn decide(state: &BillingState, next: BillingState, effects: Vec<Effect>) -> Decision {
    if next == *state && effects.is_empty() {
        return ignore("no change");
    }
    Decision::Apply(Transition { next, effects })
}

fn is_stale(state: &BillingState, event_time: DateTime<Utc>) -> bool {
    state.state_at.is_some_and(|applied| event_time < applied)
}

fn has_ended(state: &BillingState, sub_id: &str) -> bool {
    state.ended_subscription_ids.iter().any(|id| id == sub_id)
}

fn is_current(state: &BillingState, sub_id: &str) -> bool {
    state.subscription_id.as_deref() == Some(sub_id)
}

/// A second subscription must not take over while the linked one still grants access.
fn is_blocked_by_current(state: &BillingState, sub_id: &str, now: DateTime<Utc>) -> bool {
    state.subscription_id.is_some() && !is_current(state, sub_id) && grants_plan(state.status, state.grace_until, now)
}

/// Statuses in which the subscription is paid for (possibly late) and so carries its plan.
fn holds_paid_status(status: SubscriptionStatus) -> bool {
    matches!(status, Trialing | Active | NonRenewing | PastDue)
}

/// A subscription whose trial ended without anything ever being paid has no paid period to
/// extend: it gets no grace.
fn trial_unpaid(trial_end: Option<DateTime<Utc>>, last_paid_at: Option<DateTime<Utc>>) -> bool {
    trial_end.is_some() && last_paid_at.is_none()
}

/// Whether the provider shows dues in the subscription's status (unknown: assume it does).
fn status_shows_dues(state: &BillingState) -> bool {
    state.provider.is_none_or(Provider::status_shows_dues)
}

fn remember_ended(state: &BillingState, sub_id: &str) -> BillingState {
    let mut next = state.clone();
    next.ended_subscription_ids.push(sub_id.to_owned());
    next
}

/// The state after `sub_id` ended: everything describing that subscription is cleared.
fn close_subscription(state: &BillingState, sub_id: &str, at: DateTime<Utc>) -> BillingState {
    let mut next = remember_ended(state, sub_id);
    next.status = Some(Canceled);
    next.subscription_id = None;
    next.interval = None;
    next.current_period_end = None;
    next.cancel_at_period_end = false;
    next.cancel_at = None;
    next.trial_end = None;
    next.grace_until = None;
    next.scheduled_plan_code = None;
    next.scheduled_interval = None;
    next.past_due_since = None;
    next.past_due_invoice = None;
    next.last_paid_at = None;
    next.state_at = Some(at);
    next
}

/// The upgrade time belongs to the entitlement that just ended.
fn end_entitlement(next: &mut BillingState, default_plan: &PlanRef) {
    next.plan_code.clone_from(&default_plan.code);
    next.upgraded_at = None;
}

fn plan_change_effects(
    prev: &BillingState,
    next: &BillingState,
    default_code: &str,
    downgrade_reason: &'static str,
) -> Vec<Effect> {
    if prev.plan_code == next.plan_code {
        return Vec::new();
    }
    let mut effects = vec![Effect::PlanChanged { from: prev.plan_code.clone(), to: next.plan_code.clone() }];
    if next.plan_code == default_code {
        effects.push(Effect::Downgraded { to: next.plan_code.clone(), reason: downgrade_reason });
    }
    effects
}

fn grace_effects(prev: &BillingState, next: &BillingState, now: DateTime<Utc>) -> Option<Effect> {
    let until = next.grace_until?;
    let newly_in_grace = prev.grace_until.is_none() || prev.status != Some(PastDue);
    (newly_in_grace && until > now).then_some(Effect::EnteredGrace { until })
}

/// A subscription's plan is its first price that resolves; add-ons resolve to nothing.
fn resolve_first(price_ids: &[String], resolve: ResolvePlan<'_>) -> Option<(PlanRef, Interval)> {
    price_ids.iter().find_map(|id| resolve(id))
}

#[cfg(test)]
mod tests;
