//! Whether the catalog carries a price id at the configured provider for everything it sells.

use super::{Addon, CreditPack, Plan};

/// Which provider's price ids a catalog must carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PriceIds {
    Stripe,
    Chargebee,
}

/// Names every active paid product that lacks a price id for the provider, as
/// `plan "pro": stripe_price_year`. Empty when the catalog is complete.
pub fn missing_price_ids(plans: &[Plan], addons: &[Addon], packs: &[CreditPack], ids: PriceIds) -> Vec<String> {
    let mut missing = Vec::new();
    let (prefix, plan_fields) = match ids {
        PriceIds::Stripe => ("stripe_price", ["stripe_price_month", "stripe_price_year"]),
        PriceIds::Chargebee => ("chargebee_item_price", ["chargebee_item_price_month", "chargebee_item_price_year"]),
    };
    for plan in plans.iter().filter(|p| p.is_purchasable()) {
        let have = match ids {
            PriceIds::Stripe => [&plan.stripe_price_month, &plan.stripe_price_year],
            PriceIds::Chargebee => [&plan.chargebee_item_price_month, &plan.chargebee_item_price_year],
        };
        for ((price, id), field) in [plan.price_month_minor, plan.price_year_minor].iter().zip(have).zip(plan_fields) {
            if price.is_some_and(|p| p > 0) && id.is_none() {
                missing.push(format!("plan {:?}: {field}", plan.code));
            }
        }
    }
    for addon in addons.iter().filter(|a| a.is_active) {
        let id = match ids {
            PriceIds::Stripe => &addon.stripe_price,
            PriceIds::Chargebee => &addon.chargebee_item_price,
        };
        if id.is_none() {
            missing.push(format!("add-on {:?}: {prefix}", addon.code));
        }
    }
    for pack in packs.iter().filter(|p| p.is_active) {
        let id = match ids {
            PriceIds::Stripe => &pack.stripe_price,
            PriceIds::Chargebee => &pack.chargebee_item_price,
        };
        if id.is_none() {
            missing.push(format!("credit pack {:?}: {prefix}", pack.code));
        }
    }
    missing
}
