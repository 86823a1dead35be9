//! The loaded catalog as billing decisions need it: plans by id and code, and which plan or
//! add-on a provider price id stands for. It holds archived products too: an archived
//! plan's price still arrives on the renewals of the workspaces that kept it.

use std::sync::Arc;

use super::{Addon, CreditPack, Plan};
use crate::domain::billing_state::PlanRef;
use crate::domain::ids::PlanId;
use crate::domain::money::Interval;
use crate::domain::normalized::Provider;

/// The catalog's rows, shared: one loaded copy serves every request until the catalog changes.
#[derive(Debug, Clone)]
pub struct PlanBook {
    pub plans: Arc<Vec<Plan>>,
    pub addons: Arc<Vec<Addon>>,
    pub packs: Arc<Vec<CreditPack>>,
    pub provider: Provider,
}

impl PlanBook {
    pub fn by_id(&self, id: PlanId) -> Option<&Plan> {
        self.plans.iter().find(|p| p.id == id)
    }

    pub fn by_code(&self, code: &str) -> Option<&Plan> {
        self.plans.iter().find(|p| p.code == code)
    }

    pub fn default_plan(&self) -> Option<&Plan> {
        self.plans.iter().find(|p| p.is_default)
    }

    fn price_of(&self, plan: &Plan, interval: Interval) -> Option<String> {
        match self.provider {
            Provider::Stripe => plan.stripe_price(interval).map(str::to_owned),
            Provider::Chargebee => plan.chargebee_item_price(interval).map(str::to_owned),
        }
    }

    /// The plan and interval a provider price id stands for.
    pub fn plan_for_price(&self, price_id: &str) -> Option<(&Plan, Interval)> {
        self.plans.iter().find_map(|plan| {
            [Interval::Month, Interval::Year]
                .into_iter()
                .find(|i| self.price_of(plan, *i).as_deref() == Some(price_id))
                .map(|i| (plan, i))
        })
    }

    pub fn price_for(&self, plan: &Plan, interval: Interval) -> Option<String> {
        self.price_of(plan, interval)
    }

    pub fn addon_for_price(&self, price_id: &str) -> Option<&Addon> {
        self.addons.iter().find(|a| match self.provider {
            Provider::Stripe => a.stripe_price.as_deref() == Some(price_id),
            Provider::Chargebee => a.chargebee_item_price.as_deref() == Some(price_id),
        })
    }

    pub fn addon_price(&self, addon: &Addon) -> Option<String> {
        match self.provider {
            Provider::Stripe => addon.stripe_price.clone(),
            Provider::Chargebee => addon.chargebee_item_price.clone(),
        }
    }

    pub fn pack_price(&self, pack: &CreditPack) -> Option<String> {
        match self.provider {
            Provider::Stripe => pack.stripe_price.clone(),
            Provider::Chargebee => pack.chargebee_item_price.clone(),
        }
    }

    pub fn addon_by_code(&self, code: &str) -> Option<&Addon> {
        self.addons.iter().find(|a| a.code == code)
    }

    pub fn pack_by_code(&self, code: &str) -> Option<&CreditPack> {
        self.packs.iter().find(|p| p.code == code)
    }

    pub fn plan_ref(plan: &Plan) -> PlanRef {
        PlanRef { code: plan.code.clone(), is_free: plan.is_free(), monthly_credits: plan.monthly_credits }
    }

    /// For the state machine: one price id → (plan, interval).
    pub fn resolve(&self, price_id: &str) -> Option<(PlanRef, Interval)> {
        self.plan_for_price(price_id).map(|(plan, interval)| (PlanBook::plan_ref(plan), interval))
    }

    pub fn rank(&self, code: &str) -> i64 {
        self.by_code(code).map(|p| p.rank()).unwrap_or(0)
    }
}
