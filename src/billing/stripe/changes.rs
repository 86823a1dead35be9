//! Plan changes on Stripe, by timing (see `domain::plan_changes::ChangeTiming`):
//! - now: the price is swapped with `proration_behavior=always_invoice` and
//!   `payment_behavior=pending_if_incomplete`, so a declined charge parks the change in
//!   `pending_update` instead of applying it; a new interval also resets the billing cycle
//!   (`billing_cycle_anchor=now`), which flexible billing mode never does on its own;
//! - at the period end, same interval: the price is swapped with `proration_behavior=none`,
//!   which Stripe applies at once but bills from the next renewal (Tollgate holds the plan);
//! - at the period end, new interval: a swap would re-bill or forfeit the paid period, so a
//!   subscription schedule keeps the current price until the current phase ends and then
//!   moves to the new one (`end_behavior=release` hands the subscription back afterwards).
//!
//! Undoing a scheduled change releases the schedule, or swaps the price back with no proration.

use stripe_billing::SubscriptionScheduleEndBehavior;
use stripe_billing::subscription::{
    UpdateSubscription, UpdateSubscriptionBillingCycleAnchor, UpdateSubscriptionBillingCycleAnchorType,
    UpdateSubscriptionItems, UpdateSubscriptionPaymentBehavior, UpdateSubscriptionProrationBehavior,
};
use stripe_billing::subscription_schedule::{
    CreateSubscriptionSchedule, ReleaseSubscriptionSchedule, RetrieveSubscriptionSchedule, UpdateSubscriptionSchedule,
    UpdateSubscriptionSchedulePhases, UpdateSubscriptionSchedulePhasesEndDate, UpdateSubscriptionSchedulePhasesItems,
    UpdateSubscriptionSchedulePhasesStartDate, UpdateSubscriptionScheduleProrationBehavior,
};

use super::StripeProvider;
use super::answers::Answer;
use crate::billing::{BillingError, ChangeTiming, PlanChange, SubscriptionData};

fn swap_price(subscription_id: &str, item_id: String, price_id: &str) -> UpdateSubscription {
    let item = UpdateSubscriptionItems {
        id: Some(item_id),
        price: Some(price_id.to_owned()),
        ..UpdateSubscriptionItems::new()
    };
    UpdateSubscription::new(subscription_id).items(vec![item])
}

fn phase_item(price_id: &str) -> UpdateSubscriptionSchedulePhasesItems {
    UpdateSubscriptionSchedulePhasesItems {
        price: Some(price_id.to_owned()),
        quantity: Some(1),
        ..UpdateSubscriptionSchedulePhasesItems::new()
    }
}

impl StripeProvider {
    pub(super) async fn change_plan_now_or_later(
        &self,
        subscription_id: &str,
        new_price_id: &str,
        timing: ChangeTiming,
    ) -> Result<PlanChange, BillingError> {
        let current = self.subscription_json(subscription_id).await?;
        let charged_now = |update: UpdateSubscription| {
            update
                .proration_behavior(UpdateSubscriptionProrationBehavior::AlwaysInvoice)
                .payment_behavior(UpdateSubscriptionPaymentBehavior::PendingIfIncomplete)
        };
        let update = match timing {
            ChangeTiming::AtPeriodEndNewCycle => return self.schedule_at_period_end(&current, new_price_id).await,
            ChangeTiming::Immediately => {
                charged_now(swap_price(subscription_id, current.plan_item_id()?, new_price_id))
            }
            ChangeTiming::ImmediatelyNewCycle => {
                let anchor = UpdateSubscriptionBillingCycleAnchor::new(UpdateSubscriptionBillingCycleAnchorType::Now);
                charged_now(swap_price(subscription_id, current.plan_item_id()?, new_price_id))
                    .billing_cycle_anchor(anchor)
            }
            // The new price bills from the next period; nothing is charged or refunded now.
            ChangeTiming::AtPeriodEnd => swap_price(subscription_id, current.plan_item_id()?, new_price_id)
                .proration_behavior(UpdateSubscriptionProrationBehavior::None),
        };
        let answer = self.call("update subscription", &update).await?;
        // Stripe parks an update it could not charge for in `pending_update`.
        let applied = !(timing.is_immediate() && answer.has_pending_update());
        Ok(PlanChange { subscription: answer.subscription()?, applied })
    }

    /// Keeps the current price until the current phase (the paid period) ends, then moves to
    /// `new_price_id` with a cycle of its own. Nothing changes on the subscription now.
    async fn schedule_at_period_end(&self, current: &Answer, new_price_id: &str) -> Result<PlanChange, BillingError> {
        let subscription = current.subscription()?;
        let old_price = current.plan_price_id()?;
        let schedule = match current.schedule_id() {
            // A schedule already manages it (made elsewhere): its phases are rewritten.
            Some(id) => self.call("retrieve subscription schedule", &RetrieveSubscriptionSchedule::new(id)).await?,
            None => {
                let create = CreateSubscriptionSchedule::new().from_subscription(subscription.id.as_str());
                self.call("create subscription schedule", &create).await?
            }
        };
        let (schedule_id, start, end) = schedule.current_phase()?;
        let this_period = UpdateSubscriptionSchedulePhases {
            start_date: Some(UpdateSubscriptionSchedulePhasesStartDate::Timestamp(start)),
            end_date: Some(UpdateSubscriptionSchedulePhasesEndDate::Timestamp(end)),
            ..UpdateSubscriptionSchedulePhases::new(vec![phase_item(&old_price)])
        };
        let next_period = UpdateSubscriptionSchedulePhases::new(vec![phase_item(new_price_id)]);
        let update = UpdateSubscriptionSchedule::new(schedule_id)
            .end_behavior(SubscriptionScheduleEndBehavior::Release)
            .proration_behavior(UpdateSubscriptionScheduleProrationBehavior::None)
            .phases(vec![this_period, next_period]);
        self.call("update subscription schedule", &update).await?;
        Ok(PlanChange { subscription, applied: false })
    }

    pub(super) async fn undo_scheduled_change(
        &self,
        subscription_id: &str,
        current_price_id: &str,
    ) -> Result<SubscriptionData, BillingError> {
        let current = self.subscription_json(subscription_id).await?;
        if let Some(schedule) = current.schedule_id() {
            self.call("release subscription schedule", &ReleaseSubscriptionSchedule::new(schedule)).await?;
        }
        if current.plan_price_id()? == current_price_id {
            return current.subscription();
        }
        let update = swap_price(subscription_id, current.plan_item_id()?, current_price_id)
            .proration_behavior(UpdateSubscriptionProrationBehavior::None);
        self.call("update subscription", &update).await?.subscription()
    }
}
