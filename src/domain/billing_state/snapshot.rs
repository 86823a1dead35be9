//! Subscription snapshots (`customer.subscription.created|updated`, Chargebee
//! `subscription_*`), the same state fetched from the provider, and deletions. What a
//! snapshot makes of the state is in `next_state`.

use super::next_state::{Snapshot, conflicts, snapshot_plan};
use super::*;

/// A subscription snapshot (`customer.subscription.created|updated`, Chargebee `subscription_*`).
pub fn on_subscription_snapshot(
    state: &BillingState,
    sub: &SubscriptionData,
    event_time: DateTime<Utc>,
    resolve_plan: ResolvePlan<'_>,
    default_plan: &PlanRef,
    grace_days: i64,
    now: DateTime<Utc>,
) -> Result<Decision, TransitionError> {
    snapshot_decision(state, sub, event_time, resolve_plan, default_plan, grace_days, now, Ordering::Checked)
}

/// A subscription as the provider reports it when asked (after a checkout, a plan change, or
/// to settle an ambiguous event): the truth as of `now`, so no ordering check applies.
/// `state_at` moves to `now` in whole seconds, as providers stamp events: events created
/// later still apply, and a conflicting one from the same second is re-checked.
pub fn on_fetched_subscription(
    state: &BillingState,
    sub: &SubscriptionData,
    resolve_plan: ResolvePlan<'_>,
    default_plan: &PlanRef,
    grace_days: i64,
    now: DateTime<Utc>,
) -> Result<Decision, TransitionError> {
    on_fetched_subscription_at(state, sub, resolve_plan, default_plan, grace_days, now, now)
}

/// [`on_fetched_subscription`] where the rules' time and the provider's timestamps differ:
/// with a Stripe test clock `now` is the customer's clock (grace, trials, period ends), while
/// events keep real-time stamps, so the fetch is ordered among them by `fetched_at`, the real
/// time it happened.
pub fn on_fetched_subscription_at(
    state: &BillingState,
    sub: &SubscriptionData,
    resolve_plan: ResolvePlan<'_>,
    default_plan: &PlanRef,
    grace_days: i64,
    now: DateTime<Utc>,
    fetched_at: DateTime<Utc>,
) -> Result<Decision, TransitionError> {
    let whole_seconds = DateTime::from_timestamp(fetched_at.timestamp(), 0).unwrap_or(fetched_at);
    let as_of = state.state_at.map_or(whole_seconds, |applied| applied.max(whole_seconds));
    snapshot_decision(state, sub, as_of, resolve_plan, default_plan, grace_days, now, Ordering::Trusted)
}

#[derive(PartialEq, Eq)]
enum Ordering {
    /// An event: older than applied state is stale, a same-second conflict ambiguous.
    Checked,
    /// Fetched from the provider just now: newest by definition.
    Trusted,
}

#[expect(clippy::too_many_arguments, reason = "the two public entry points pass everything through")]
fn snapshot_decision(
    state: &BillingState,
    sub: &SubscriptionData,
    event_time: DateTime<Utc>,
    resolve_plan: ResolvePlan<'_>,
    default_plan: &PlanRef,
    grace_days: i64,
    now: DateTime<Utc>,
    ordering: Ordering,
) -> Result<Decision, TransitionError> {
    require_subscription_id(&sub.id)?;
    let status = sub.status.ok_or_else(|| TransitionError::MissingStatus(sub.id.clone()))?;
    let grace_deadline = grace_deadline(now, grace_days)?;
    if status == Canceled {
        return on_subscription_deleted(state, sub, event_time, default_plan);
    }
    if ordering == Ordering::Checked && is_stale(state, event_time) {
        return Ok(Decision::Stale);
    }
    // The state the snapshot applies to: an ended subscription the provider brought back is
    // no longer remembered as ended.
    let returned = has_ended(state, &sub.id);
    let base = if returned {
        if !may_return(state, status, event_time, &ordering) {
            return Ok(ignore("subscription already ended"));
        }
        forget_ended(state, &sub.id)
    } else {
        state.clone()
    };
    if is_blocked_by_current(&base, &sub.id, now) {
        return Ok(ignore("other subscription"));
    }
    let Some(plan) = snapshot_plan(sub, status, resolve_plan, default_plan) else {
        return Ok(ignore("unknown price"));
    };
    let snapshot = Snapshot::new(&base, sub, status, plan, default_plan, event_time, grace_deadline, now);
    let next = snapshot.next_state(&base);
    if ordering == Ordering::Checked && state.state_at == Some(event_time) && conflicts(state, &next) {
        return Ok(Decision::Ambiguous);
    }
    let mut effects = snapshot.effects(state, &next);
    if returned {
        effects.push(Effect::Notify("reactivated".to_owned()));
    }
    Ok(decide(state, next, effects))
}

/// An ended subscription comes back only where the provider reactivates in place (Chargebee),
/// with a live status, and only when the snapshot is newer than what was applied (the end).
fn may_return(
    state: &BillingState,
    status: SubscriptionStatus,
    event_time: DateTime<Utc>,
    ordering: &Ordering,
) -> bool {
    let newer = *ordering == Ordering::Trusted || state.state_at.is_none_or(|applied| event_time > applied);
    state.provider.is_some_and(Provider::reactivates_ended) && holds_paid_status(status) && newer
}

fn forget_ended(state: &BillingState, sub_id: &str) -> BillingState {
    let mut base = state.clone();
    base.ended_subscription_ids.retain(|id| id != sub_id);
    base
}

/// `customer.subscription.deleted` / Chargebee `subscription_cancelled` (and `Canceled` snapshots).
pub fn on_subscription_deleted(
    state: &BillingState,
    sub: &SubscriptionData,
    event_time: DateTime<Utc>,
    default_plan: &PlanRef,
) -> Result<Decision, TransitionError> {
    require_subscription_id(&sub.id)?;
    if has_ended(state, &sub.id) {
        return Ok(ignore("subscription already ended"));
    }
    let (is_current, stale) = (is_current(state, &sub.id), is_stale(state, event_time));
    if is_current && stale {
        return Ok(Decision::Stale);
    }
    // With no current subscription the deleted one is the newest we know of, so it becomes the
    // recorded state; that keeps "created then deleted" equal to "deleted then (stale) created".
    let adopts = state.subscription_id.is_none() && !stale;
    if !is_current && !adopts {
        // Ending is final whatever the order, so another subscription is remembered regardless.
        return Ok(decide(state, remember_ended(state, &sub.id), Vec::new()));
    }
    let mut next = close_subscription(state, &sub.id, event_time);
    // Only the current subscription's entitlement ends; a plan granted otherwise stays.
    if is_current {
        end_entitlement(&mut next, default_plan);
    }
    next.customer_id = sub.customer_id.clone().or(next.customer_id);
    next.had_trial |= sub.trial_end.is_some();
    let effects = plan_change_effects(state, &next, &default_plan.code, "subscription ended");
    Ok(decide(state, next, effects))
}
