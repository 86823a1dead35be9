//! What unlocks something a workspace may not do: the cheapest plan that offers it, and the
//! sentence the billing page shows when a gate sends someone there (`?upgrade=<what>`).

use crate::domain::catalog::Plan;

/// Something a plan can unlock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unlock<'a> {
    /// A named feature (`analytics`).
    Feature(&'a str),
    /// Any paid plan.
    PaidPlan,
    /// More seats than `above` (`None`: any).
    Seats { above: Option<i64> },
    /// A larger limit on a metric than `above`.
    Quota { metric: &'a str, above: Option<i64> },
}

impl<'a> Unlock<'a> {
    /// Reads the billing page's `?upgrade=` value: `paid`, `seats`, a metric some plan
    /// limits, or a feature some plan offers. Anything else is no upgrade at all.
    pub fn parse(what: &'a str, plans: &[Plan]) -> Option<Unlock<'a>> {
        match what {
            "paid" => Some(Unlock::PaidPlan),
            "seats" => Some(Unlock::Seats { above: None }),
            _ if plans.iter().any(|p| p.limits.contains_key(what)) => Some(Unlock::Quota { metric: what, above: None }),
            _ if plans.iter().any(|p| p.has_feature(what)) => Some(Unlock::Feature(what)),
            _ => None,
        }
    }

    fn offered_by(&self, plan: &Plan) -> bool {
        match *self {
            Unlock::Feature(feature) => plan.has_feature(feature),
            Unlock::PaidPlan => !plan.is_free(),
            Unlock::Seats { above } => match (plan.seat_limit, above) {
                (None, _) => true,
                (Some(limit), Some(above)) => i64::from(limit) > above,
                (Some(_), None) => false,
            },
            Unlock::Quota { metric, above } => match (plan.limits.get(metric), above) {
                (None, _) => true,
                (Some(limit), Some(above)) => *limit > above,
                (Some(_), None) => false,
            },
        }
    }
}

/// The cheapest plan on offer (active; purchasable or contact-sales) that unlocks `what`.
pub fn cheapest_plan_for<'p>(plans: &'p [Plan], what: Unlock<'_>) -> Option<&'p Plan> {
    plans
        .iter()
        .filter(|p| p.is_active && !p.is_free())
        .filter(|p| what.offered_by(p))
        .min_by_key(|p| (p.rank(), p.sort_order))
}

/// "analytics" → "Analytics", "api_access" → "API access".
pub fn display_feature(name: &str) -> String {
    let words: Vec<String> = name
        .split(['_', '-'])
        .filter(|w| !w.is_empty())
        .enumerate()
        .map(|(i, word)| match word {
            "api" | "sso" | "ssl" => word.to_uppercase(),
            _ if i == 0 => {
                let mut chars = word.chars();
                chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
            }
            _ => word.to_owned(),
        })
        .collect();
    words.join(" ")
}

/// "api_calls" → "api calls": a metric inside a sentence.
fn metric_words(metric: &str) -> String {
    metric.replace(['_', '-'], " ")
}

/// The billing page's notice for `?upgrade=<what>` while on `current`, naming the cheapest
/// plan that unlocks it (or saying that no plan on offer does).
pub fn upgrade_notice(plans: &[Plan], current: &Plan, what: Unlock<'_>) -> String {
    let what = match what {
        Unlock::Seats { above: None } => Unlock::Seats { above: current.seat_limit.map(i64::from) },
        Unlock::Quota { metric, above: None } => Unlock::Quota { metric, above: current.limits.get(metric).copied() },
        other => other,
    };
    let subject = match what {
        Unlock::Feature(feature) => format!("{} is not included in {}.", display_feature(feature), current.name),
        Unlock::PaidPlan => format!("That needs a paid plan; {} is free.", current.name),
        Unlock::Seats { .. } => match current.seat_limit {
            Some(limit) => format!("{} includes {limit} seat(s).", current.name),
            None => format!("{} has no seat limit.", current.name),
        },
        Unlock::Quota { metric, .. } => match current.limits.get(metric) {
            Some(limit) => format!("{} includes {limit} {} per period.", current.name, metric_words(metric)),
            None => format!("{} has no {} limit.", current.name, metric_words(metric)),
        },
    };
    let Some(plan) = cheapest_plan_for(plans, what) else {
        return format!("{subject} No plan on offer includes more.");
    };
    let offer = match what {
        Unlock::Seats { .. } => match plan.seat_limit {
            Some(limit) => format!("{} includes {limit} seats", plan.name),
            None => format!("{} has unlimited seats", plan.name),
        },
        Unlock::Quota { metric, .. } => match plan.limits.get(metric) {
            Some(limit) => format!("{} includes {limit}", plan.name),
            None => format!("{} has no {} limit", plan.name, metric_words(metric)),
        },
        Unlock::Feature(_) | Unlock::PaidPlan => format!("{} includes it", plan.name),
    };
    if plan.contact_sales {
        format!("{subject} {offer}: contact sales to upgrade.")
    } else {
        format!("{subject} {offer}: upgrade to {} to unlock it.", plan.name)
    }
}
