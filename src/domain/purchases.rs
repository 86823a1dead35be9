//! Whether a workspace may buy something now, and which way a plan change goes. Plain
//! functions, so every refusal is tested without a provider.

use crate::domain::money::Interval;
use crate::models::plan::Plan;

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
    #[error("Your workspace has no active subscription to change. Upgrade from the pricing page.")]
    NotSubscribed,
    #[error("Your workspace is already on that plan.")]
    SamePlan,
    #[error("That is not something we sell.")]
    UnknownProduct,
}

/// Checks a request to start a plan checkout and returns the interval to buy.
pub fn check_plan_checkout(plan: Option<&Plan>, interval: &str, has_subscription: bool) -> Result<Interval, Refusal> {
    let plan = check_buyable(plan)?;
    let interval = Interval::parse(interval).ok_or(Refusal::BadInterval)?;
    if plan.price(interval).is_none() {
        return Err(Refusal::NoPrice(interval.adjective()));
    }
    if has_subscription {
        return Err(Refusal::AlreadySubscribed);
    }
    Ok(interval)
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
    interval: &str,
    has_subscription: bool,
) -> Result<(Interval, Direction), Refusal> {
    let target = check_buyable(target)?;
    let interval = Interval::parse(interval).ok_or(Refusal::BadInterval)?;
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
    Ok((interval, direction))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plans() -> Vec<Plan> {
        crate::domain::catalog::default_plans()
    }

    #[test]
    fn plan_checkouts_are_refused_with_reasons() {
        let p = plans();
        let (free, starter, pro, enterprise) = (&p[0], &p[1], &p[2], &p[3]);
        assert_eq!(check_plan_checkout(Some(pro), "month", false), Ok(Interval::Month));
        assert_eq!(check_plan_checkout(Some(starter), "year", false), Ok(Interval::Year));
        assert_eq!(check_plan_checkout(None, "month", false), Err(Refusal::UnknownPlan));
        assert_eq!(check_plan_checkout(Some(free), "month", false), Err(Refusal::FreePlan));
        assert_eq!(check_plan_checkout(Some(enterprise), "month", false), Err(Refusal::ContactSales));
        assert_eq!(check_plan_checkout(Some(pro), "weekly", false), Err(Refusal::BadInterval));
        assert_eq!(check_plan_checkout(Some(pro), "month", true), Err(Refusal::AlreadySubscribed));
        let archived = Plan { is_active: false, ..pro.clone() };
        assert_eq!(check_plan_checkout(Some(&archived), "month", false), Err(Refusal::Archived));
        let monthly_only = Plan { price_year_minor: None, ..pro.clone() };
        assert_eq!(check_plan_checkout(Some(&monthly_only), "year", false), Err(Refusal::NoPrice("annual")));
    }

    #[test]
    fn plan_changes_go_up_now_and_down_later() {
        let p = plans();
        let (free, starter, pro) = (&p[0], &p[1], &p[2]);
        let m = Some(Interval::Month);
        assert_eq!(check_plan_change(starter, m, Some(pro), "month", true), Ok((Interval::Month, Direction::Upgrade)));
        assert_eq!(
            check_plan_change(pro, m, Some(starter), "month", true),
            Ok((Interval::Month, Direction::Downgrade))
        );
        assert_eq!(check_plan_change(pro, m, Some(pro), "year", true), Ok((Interval::Year, Direction::Upgrade)));
        assert_eq!(
            check_plan_change(pro, Some(Interval::Year), Some(pro), "month", true),
            Ok((Interval::Month, Direction::Downgrade))
        );
        // Pro yearly ($41.67/month) → Starter monthly ($20) is a downgrade; Starter yearly → Pro monthly an upgrade.
        assert_eq!(
            check_plan_change(pro, Some(Interval::Year), Some(starter), "month", true),
            Ok((Interval::Month, Direction::Downgrade))
        );
        assert_eq!(
            check_plan_change(starter, Some(Interval::Year), Some(pro), "month", true),
            Ok((Interval::Month, Direction::Upgrade))
        );
        assert_eq!(check_plan_change(pro, m, Some(pro), "month", true), Err(Refusal::SamePlan));
        assert_eq!(check_plan_change(pro, m, Some(free), "month", true), Err(Refusal::FreePlan));
        assert_eq!(check_plan_change(free, None, Some(pro), "month", false), Err(Refusal::NotSubscribed));
    }
}
