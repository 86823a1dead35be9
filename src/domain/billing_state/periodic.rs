//! What the background jobs decide as time passes: grace periods running out, and the
//! safety net for a cancellation whose webhook never came.

use super::*;

/// Periodic job: a past-due workspace whose grace ran out drops to the default plan. Status and
/// link stay, because the provider will still cancel or recover the subscription.
pub fn on_grace_expired(state: &BillingState, now: DateTime<Utc>, default_plan: &PlanRef) -> Decision {
    let expired = state.status == Some(PastDue) && state.grace_until.is_some_and(|g| g <= now);
    if !expired {
        return ignore("grace not expired");
    }
    if state.plan_code == default_plan.code {
        return ignore("already on default plan");
    }
    let mut next = state.clone();
    next.plan_code.clone_from(&default_plan.code);
    let effects = plan_change_effects(state, &next, &default_plan.code, "grace period ended");
    decide(state, next, effects)
}

/// Safety net job for a lost deletion webhook: a subscription set to cancel whose real end
/// (`cancel_at`, else the period end) is over ends as if deleted. Renewals before `cancel_at`
/// are ordinary renewals. Without a provider timestamp, `now` orders it after what was applied.
pub fn on_period_end_passed(state: &BillingState, now: DateTime<Utc>, default_plan: &PlanRef) -> Decision {
    let period_over = state.cancel_at.or(state.current_period_end).is_some_and(|end| end <= now);
    let Some(sub_id) = state.subscription_id.as_deref() else {
        return ignore("no subscription");
    };
    if !state.cancel_at_period_end || !period_over {
        return ignore("period not ended");
    }
    let at = state.state_at.map_or(now, |at| at.max(now));
    let mut next = close_subscription(state, sub_id, at);
    end_entitlement(&mut next, default_plan);
    let effects = plan_change_effects(state, &next, &default_plan.code, "subscription ended");
    decide(state, next, effects)
}
