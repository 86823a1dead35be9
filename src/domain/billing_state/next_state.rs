//! What one subscription snapshot makes of the state: the plan it grants, its status (kept
//! past due where the provider's status cannot show dues), the grace deadline, the real end
//! of a scheduled cancellation, what stays scheduled, and the effects and notices.

use super::summary::format_date;
use super::*;
use SubscriptionStatus::{Future, Incomplete, Paused};

/// One snapshot event, validated, with the plan its prices resolve to.
pub(super) struct Snapshot<'a> {
    sub: &'a SubscriptionData,
    /// The status the state takes (see [`effective_status`]).
    status: SubscriptionStatus,
    /// The status the provider reported.
    reported: SubscriptionStatus,
    plan: (PlanRef, Option<Interval>),
    default_plan: &'a PlanRef,
    event_time: DateTime<Utc>,
    grace_deadline: DateTime<Utc>,
    now: DateTime<Utc>,
}

/// Chargebee reports `active` (or `non_renewing`, e.g. after Tollgate's own Cancel) while it
/// retries a failed payment, so on such a provider a snapshot cannot end a past-due state of
/// the same subscription: only a paid invoice can.
fn effective_status(state: &BillingState, sub: &SubscriptionData, reported: SubscriptionStatus) -> SubscriptionStatus {
    let keeps_dues = !status_shows_dues(state)
        && is_current(state, &sub.id)
        && state.status == Some(PastDue)
        && matches!(reported, Active | NonRenewing);
    if keeps_dues { PastDue } else { reported }
}

impl<'a> Snapshot<'a> {
    #[expect(clippy::too_many_arguments, reason = "one validated event and its context, built in one place")]
    pub(super) fn new(
        state: &BillingState,
        sub: &'a SubscriptionData,
        reported: SubscriptionStatus,
        plan: (PlanRef, Option<Interval>),
        default_plan: &'a PlanRef,
        event_time: DateTime<Utc>,
        grace_deadline: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Self {
        let status = effective_status(state, sub, reported);
        Snapshot { sub, status, reported, plan, default_plan, event_time, grace_deadline, now }
    }

    pub(super) fn next_state(&self, state: &BillingState) -> BillingState {
        let (sub, status, now) = (self.sub, self.status, self.now);
        let same_sub = is_current(state, &sub.id);
        let was_past_due = same_sub && state.status == Some(PastDue);
        let last_paid_at = state.last_paid_at.filter(|_| same_sub);
        let grace_until = (status == PastDue).then(|| {
            // Repeated past-due snapshots must not push the deadline out.
            let existing = state.grace_until.filter(|_| was_past_due);
            let unpaid_trial = trial_unpaid(sub.trial_end.or(state.trial_end.filter(|_| same_sub)), last_paid_at);
            existing.unwrap_or(if unpaid_trial { now } else { self.grace_deadline })
        });
        let past_due = |kept: Option<DateTime<Utc>>, new| (status == PastDue).then(|| kept.unwrap_or(new));
        let past_due_since = past_due(state.past_due_since.filter(|_| was_past_due), self.event_time);
        let past_due_invoice = state.past_due_invoice.clone().filter(|_| was_past_due && status == PastDue);
        let plan = if grants_plan(Some(status), grace_until, now) { &self.plan.0 } else { self.default_plan };
        let upgraded = plan.code != state.plan_code && !plan.is_free;
        let customer_id = sub.customer_id.as_ref().or(state.customer_id.as_ref());
        let cancelling = self.reported == NonRenewing || sub.cancel_at_period_end.unwrap_or(false);
        let (scheduled_plan_code, scheduled_interval) = self.still_scheduled(state, same_sub);
        BillingState {
            provider: state.provider,
            plan_code: plan.code.clone(),
            status: Some(status),
            customer_id: customer_id.cloned(),
            subscription_id: Some(sub.id.clone()),
            interval: self.plan.1,
            current_period_end: sub.current_period_end,
            cancel_at_period_end: cancelling,
            cancel_at: sub.cancel_at.filter(|_| cancelling),
            trial_end: sub.trial_end,
            had_trial: state.had_trial || status == Trialing || sub.trial_end.is_some(),
            grace_until,
            scheduled_plan_code,
            scheduled_interval,
            upgraded_at: upgraded.then_some(now).or(state.upgraded_at),
            state_at: Some(self.event_time),
            ended_subscription_ids: state.ended_subscription_ids.clone(),
            past_due_since,
            past_due_invoice,
            last_paid_at,
        }
    }

    /// A scheduled change stays until the subscription reaches it (plan, and interval when
    /// one was scheduled), or the provider says nothing is scheduled any more.
    fn still_scheduled(&self, state: &BillingState, same_sub: bool) -> (Option<String>, Option<Interval>) {
        let reached = |code: &String| {
            *code == self.plan.0.code && state.scheduled_interval.is_none_or(|i| Some(i) == self.plan.1)
        };
        let kept = state
            .scheduled_plan_code
            .as_ref()
            .filter(|code| same_sub && !reached(code) && self.sub.has_scheduled_changes != Some(false));
        (kept.cloned(), kept.and(state.scheduled_interval))
    }

    pub(super) fn effects(&self, prev: &BillingState, next: &BillingState) -> Vec<Effect> {
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
            PastDue if trial_unpaid(next.trial_end.or(prev.trial_end), next.last_paid_at) => "trial ended unpaid",
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
pub(super) fn snapshot_plan(
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
pub(super) fn conflicts(prev: &BillingState, next: &BillingState) -> bool {
    prev.status != next.status
        || prev.plan_code != next.plan_code
        || prev.current_period_end != next.current_period_end
        || prev.cancel_at_period_end != next.cancel_at_period_end
        || prev.cancel_at != next.cancel_at
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
        let ends = next.cancel_at.or(next.current_period_end);
        let date = ends.map_or_else(|| "period end".to_owned(), format_date);
        notices.push(format!("cancellation scheduled for {date}"));
    }
    notices.into_iter().map(Effect::Notify).collect()
}
