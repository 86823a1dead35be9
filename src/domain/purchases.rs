//! Whether a workspace may buy something now, and which way a plan change goes. Plain
//! functions, so every refusal is tested without a provider.

use crate::domain::catalog::Plan;
use crate::domain::money::Interval;
use crate::domain::normalized::SubscriptionStatus;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("That plan does not exist.")]
    UnknownPlan,
    #[error("That plan is no longer offered.")]
    Archived,
    #[error("The free plan needs no checkout: cancel your subscription to return to it.")]
    FreePlan,
    #[error("Enterprise plans are arranged with our sales team — please contact sales.")]
    ContactSales,
    #[error("Choose monthly or annual billing.")]
    BadInterval,
    #[error("That plan cannot be bought {0} yet.")]
    NoPrice(&'static str),
    #[error("Your workspace already has an active subscription. Change your plan from the billing page instead.")]
    AlreadySubscribed,
    #[error(
        "Your workspace's last payment failed, so its subscription is past due. Update your card or pay the \
         open invoice with Fix payment on the billing page instead of starting a second subscription."
    )]
    PastDue,
    #[error("Your workspace has no active subscription to change. Upgrade from the pricing page.")]
    NotSubscribed,
    #[error("Your workspace is already on that plan.")]
    SamePlan,
    #[error("That is not something we sell.")]
    UnknownProduct,
}

/// A plan and billing interval someone asked for, parsed from a form or JSON body: a bad
/// interval is refused here, before any rule runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanChoice {
    pub code: String,
    pub interval: Interval,
}

impl PlanChoice {
    pub fn parse(code: &str, interval: &str) -> Result<PlanChoice, Refusal> {
        let interval = Interval::parse(interval.trim()).ok_or(Refusal::BadInterval)?;
        Ok(PlanChoice { code: code.trim().to_owned(), interval })
    }
}

/// Checks a request to start a plan checkout for `interval`. `current` is the status of the
/// workspace's subscription, if it has one: one workspace has one subscription, so any live
/// one (trialing, active, past due, paused, non-renewing, future) refuses a second, whether
/// or not it grants the plan right now (a past-due one after its grace period still bills).
pub fn check_plan_checkout(
    plan: Option<&Plan>,
    interval: Interval,
    current: Option<SubscriptionStatus>,
) -> Result<(), Refusal> {
    let plan = check_buyable(plan)?;
    if plan.price(interval).is_none() {
        return Err(Refusal::NoPrice(interval.adjective()));
    }
    match current {
        None | Some(SubscriptionStatus::Canceled | SubscriptionStatus::Incomplete) => Ok(()),
        Some(SubscriptionStatus::PastDue) => Err(Refusal::PastDue),
        Some(_) => Err(Refusal::AlreadySubscribed),
    }
}

fn check_buyable(plan: Option<&Plan>) -> Result<&Plan, Refusal> {
    let plan = plan.ok_or(Refusal::UnknownPlan)?;
    if !plan.is_active {
        return Err(Refusal::Archived);
    }
    if plan.contact_sales {
        return Err(Refusal::ContactSales);
    }
    if plan.is_free() {
        return Err(Refusal::FreePlan);
    }
    Ok(plan)
}

/// Which way a change goes: upgrades take effect now, the rest at the end of the period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Upgrade,
    Downgrade,
}

/// Checks a plan change from `current` (billed per `current_interval`) to `target`.
pub fn check_plan_change(
    current: &Plan,
    current_interval: Option<Interval>,
    target: Option<&Plan>,
    interval: Interval,
    has_subscription: bool,
) -> Result<Direction, Refusal> {
    let target = check_buyable(target)?;
    let price = target.price(interval).ok_or(Refusal::NoPrice(interval.adjective()))?;
    if !has_subscription {
        return Err(Refusal::NotSubscribed);
    }
    if target.id == current.id && current_interval == Some(interval) {
        return Err(Refusal::SamePlan);
    }
    // Compare what a month costs, so monthly → annual of the same plan counts as it bills.
    let monthly = |minor: i64, i: Interval| if i == Interval::Year { minor / 12 } else { minor };
    let current_monthly =
        current_interval.and_then(|i| current.price(i).map(|p| monthly(p, i))).unwrap_or(current.rank());
    let direction = if target.id == current.id {
        // Same plan, other interval: annual is a commitment made now.
        if interval == Interval::Year { Direction::Upgrade } else { Direction::Downgrade }
    } else if monthly(price, interval) > current_monthly {
        Direction::Upgrade
    } else {
        Direction::Downgrade
    };
    Ok(direction)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalog::PlanFields;

    fn plans() -> Vec<Plan> {
        crate::domain::catalog::default_plans()
    }

    #[test]
    fn plan_checkouts_are_refused_with_reasons() {
        let p = plans();
        let (free, starter, pro, enterprise) = (&p[0], &p[1], &p[2], &p[3]);
        let (month, year) = (Interval::Month, Interval::Year);
        assert_eq!(check_plan_checkout(Some(pro), month, None), Ok(()));
        assert_eq!(check_plan_checkout(Some(starter), year, None), Ok(()));
        assert_eq!(check_plan_checkout(None, month, None), Err(Refusal::UnknownPlan));
        assert_eq!(check_plan_checkout(Some(free), month, None), Err(Refusal::FreePlan));
        assert_eq!(check_plan_checkout(Some(enterprise), month, None), Err(Refusal::ContactSales));
        assert_eq!(PlanChoice::parse("pro", "weekly"), Err(Refusal::BadInterval));
        assert_eq!(PlanChoice::parse("pro", "annual"), Ok(PlanChoice { code: "pro".into(), interval: year }));
        for live in [
            SubscriptionStatus::Active,
            SubscriptionStatus::Trialing,
            SubscriptionStatus::NonRenewing,
            SubscriptionStatus::Paused,
            SubscriptionStatus::Future,
        ] {
            assert_eq!(check_plan_checkout(Some(pro), month, Some(live)), Err(Refusal::AlreadySubscribed), "{live:?}");
        }
        let past_due = Some(SubscriptionStatus::PastDue);
        assert_eq!(check_plan_checkout(Some(pro), month, past_due), Err(Refusal::PastDue));
        for over in [SubscriptionStatus::Canceled, SubscriptionStatus::Incomplete] {
            assert_eq!(check_plan_checkout(Some(pro), month, Some(over)), Ok(()), "{over:?}");
        }
        let archived = Plan { id: pro.id, terms: PlanFields { is_active: false, ..pro.terms.clone() } };
        assert_eq!(check_plan_checkout(Some(&archived), month, None), Err(Refusal::Archived));
        let monthly_only = Plan { id: pro.id, terms: PlanFields { price_year_minor: None, ..pro.terms.clone() } };
        assert_eq!(check_plan_checkout(Some(&monthly_only), year, None), Err(Refusal::NoPrice("annual")));
    }

    #[test]
    fn plan_changes_go_up_now_and_down_later() {
        let p = plans();
        let (free, starter, pro) = (&p[0], &p[1], &p[2]);
        let (month, year) = (Interval::Month, Interval::Year);
        let m = Some(month);
        assert_eq!(check_plan_change(starter, m, Some(pro), month, true), Ok(Direction::Upgrade));
        assert_eq!(check_plan_change(pro, m, Some(starter), month, true), Ok(Direction::Downgrade));
        assert_eq!(check_plan_change(pro, m, Some(pro), year, true), Ok(Direction::Upgrade));
        assert_eq!(check_plan_change(pro, Some(year), Some(pro), month, true), Ok(Direction::Downgrade));
        // Pro yearly ($41.67/month) → Starter monthly ($20) is a downgrade; Starter yearly → Pro monthly an upgrade.
        assert_eq!(check_plan_change(pro, Some(year), Some(starter), month, true), Ok(Direction::Downgrade));
        assert_eq!(check_plan_change(starter, Some(year), Some(pro), month, true), Ok(Direction::Upgrade));
        assert_eq!(check_plan_change(pro, m, Some(pro), month, true), Err(Refusal::SamePlan));
        assert_eq!(check_plan_change(pro, m, Some(free), month, true), Err(Refusal::FreePlan));
        assert_eq!(check_plan_change(free, None, Some(pro), month, false), Err(Refusal::NotSubscribed));
    }
}
