//! Subscription snapshots (`customer.subscription.created|updated`, Chargebee
//! `subscription_*`), the same state fetched from the provider, and deletions.

use super::summary::format_date;
use super::*;
use SubscriptionStatus::{Future, Incomplete, Paused};

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
    if has_ended(state, &sub.id) {
        return Ok(ignore("subscription already ended"));
    }
    if is_blocked_by_current(state, &sub.id, now) {
        return Ok(ignore("other subscription"));
    }
    let Some(plan) = snapshot_plan(sub, status, resolve_plan, default_plan) else {
        return Ok(ignore("unknown price"));
    };
    let snapshot = Snapshot { sub, status, plan, default_plan, event_time, grace_deadline, now };
    let next = snapshot.next_state(state);
    if ordering == Ordering::Checked && state.state_at == Some(event_time) && conflicts(state, &next) {
        return Ok(Decision::Ambiguous);
    }
    let effects = snapshot.effects(state, &next);
    Ok(decide(state, next, effects))
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

/// One snapshot event, validated, with the plan its prices resolve to.
struct Snapshot<'a> {
    sub: &'a SubscriptionData,
    status: SubscriptionStatus,
    plan: (PlanRef, Option<Interval>),
    default_plan: &'a PlanRef,
    event_time: DateTime<Utc>,
    grace_deadline: DateTime<Utc>,
    now: DateTime<Utc>,
}

impl Snapshot<'_> {
    fn next_state(&self, state: &BillingState) -> BillingState {
        let (sub, status, now) = (self.sub, self.status, self.now);
        let same_sub = is_current(state, &sub.id);
        let grace_until = (status == PastDue).then(|| {
            // Repeated past-due snapshots must not push the deadline out.
            let existing = state.grace_until.filter(|_| same_sub && state.status == Some(PastDue));
            existing.unwrap_or(self.grace_deadline)
        });
        let plan = if grants_plan(Some(status), grace_until, now) { &self.plan.0 } else { self.default_plan };
        let upgraded = plan.code != state.plan_code && !plan.is_free;
        let customer_id = sub.customer_id.as_ref().or(state.customer_id.as_ref());
        let scheduled = state.scheduled_plan_code.as_ref().filter(|s| same_sub && **s != self.plan.0.code);
        BillingState {
            plan_code: plan.code.clone(),
            status: Some(status),
            customer_id: customer_id.cloned(),
            subscription_id: Some(sub.id.clone()),
            interval: self.plan.1,
            current_period_end: sub.current_period_end,
            cancel_at_period_end: status == NonRenewing || sub.cancel_at_period_end.unwrap_or(false),
            trial_end: sub.trial_end,
            had_trial: state.had_trial || status == Trialing || sub.trial_end.is_some(),
            grace_until,
            scheduled_plan_code: scheduled.cloned(),
            upgraded_at: upgraded.then_some(now).or(state.upgraded_at),
            state_at: Some(self.event_time),
            ended_subscription_ids: state.ended_subscription_ids.clone(),
        }
    }

    fn effects(&self, prev: &BillingState, next: &BillingState) -> Vec<Effect> {
        let default_code = &self.default_plan.code;
        let reason = self.downgrade_reason(prev, next);
        let mut effects = plan_change_effects(prev, next, default_code, reason);
        if next.plan_code != prev.plan_code && next.plan_code != *default_code {
            // 0 when the provider gave no period end, so the key stays stable across redeliveries.
            let period = next.current_period_end.map_or(0, |end| end.timestamp());
            let period_key = format!("{}:{}:{period}", self.sub.id, next.plan_code);
            let amount = self.plan.0.monthly_credits;
            effects.push(Effect::ResetMonthlyCredits { amount, period_key });
        }
        effects.extend(grace_effects(prev, next, self.now));
        effects.extend(status_notices(prev, next));
        effects
    }

    fn downgrade_reason(&self, prev: &BillingState, next: &BillingState) -> &'static str {
        match self.status {
            PastDue if prev.grace_until == next.grace_until => "grace period ended",
            PastDue => "payment failed",
            Paused => "subscription paused",
            Incomplete => "first payment pending",
            Future => "subscription not started",
            _ => "subscription plan changed",
        }
    }
}

/// `None` when a paying status names no plan we know: granting the default would silently
/// downgrade a paying customer, so the caller logs it instead.
fn snapshot_plan(
    sub: &SubscriptionData,
    status: SubscriptionStatus,
    resolve_plan: ResolvePlan<'_>,
    default_plan: &PlanRef,
) -> Option<(PlanRef, Option<Interval>)> {
    match resolve_first(&sub.price_ids, resolve_plan) {
        Some((plan, interval)) => Some((plan, Some(interval))),
        None if holds_paid_status(status) => None,
        // Non-granting statuses keep the link even without a known price; they grant the default.
        None => Some((default_plan.clone(), None)),
    }
}

/// Same-second events are unordered, so only a snapshot that changes nothing can be trusted.
fn conflicts(prev: &BillingState, next: &BillingState) -> bool {
    prev.status != next.status
        || prev.plan_code != next.plan_code
        || prev.current_period_end != next.current_period_end
        || prev.cancel_at_period_end != next.cancel_at_period_end
        || prev.subscription_id != next.subscription_id
}

fn status_notices(prev: &BillingState, next: &BillingState) -> Vec<Effect> {
    let mut notices = Vec::new();
    let became = |status| next.status == Some(status) && prev.status != Some(status);
    if became(Trialing) {
        notices.push("trial started".to_owned());
    }
    if became(Active) && !matches!(prev.status, Some(NonRenewing | PastDue | Paused)) {
        notices.push("subscription active".to_owned());
    }
    let uncancelled = prev.cancel_at_period_end && !next.cancel_at_period_end;
    if (uncancelled && prev.subscription_id == next.subscription_id) || (prev.status == Some(Paused) && became(Active))
    {
        notices.push("reactivated".to_owned());
    }
    if next.cancel_at_period_end && !prev.cancel_at_period_end {
        let date = next.current_period_end.map_or_else(|| "period end".to_owned(), format_date);
        notices.push(format!("cancellation scheduled for {date}"));
    }
    notices.into_iter().map(Effect::Notify).collect()
}
