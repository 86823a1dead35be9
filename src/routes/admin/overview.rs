//! The overview on the admin home page: MRR, subscriptions by status and by plan, trials
//! and their conversion, and the last 30 days' new subscriptions, upgrades, downgrades and
//! churn.

use crate::domain::money::format_money;
use crate::error::AppResult;
use crate::services::console::overview::{WINDOW_DAYS, overview};
use crate::state::AppState;

pub struct OverviewView {
    pub mrr: Vec<String>,
    pub by_status: Vec<(String, i64)>,
    pub by_plan: Vec<(String, i64)>,
    pub window_days: i64,
    /// (label, test id, value)
    pub movements: Vec<(&'static str, &'static str, String)>,
}

pub async fn section(state: &AppState) -> AppResult<OverviewView> {
    let o = overview(state).await?;
    let conversion = o.trial_conversion_percent().map_or_else(|| "—".to_owned(), |p| format!("{p}%"));
    let mut mrr: Vec<String> = o.mrr.iter().map(|(currency, minor)| format_money(*minor, currency)).collect();
    if mrr.is_empty() {
        mrr.push(format_money(0, "usd"));
    }
    Ok(OverviewView {
        mrr,
        by_status: o
            .by_status
            .iter()
            .map(|(s, n)| (s.map_or("no subscription", |s| s.as_str()).to_owned(), *n))
            .collect(),
        by_plan: o.by_plan.iter().map(|(plan, n)| (plan.name.clone(), *n)).collect(),
        window_days: WINDOW_DAYS,
        movements: vec![
            ("Trialing now", "trialing", o.trialing_now.to_string()),
            ("Trials started", "trials-started", o.trials_started.to_string()),
            ("Trials converted", "trials-converted", o.trials_converted.to_string()),
            ("Trials ended unpaid", "trials-lapsed", o.trials_lapsed.to_string()),
            ("Trial conversion", "trial-conversion", conversion),
            ("New paid subscriptions", "new-subscriptions", o.new_subscriptions.to_string()),
            ("Upgrades", "upgrades", o.upgrades.to_string()),
            ("Downgrades", "downgrades", o.downgrades.to_string()),
            ("Churned", "churned", o.churned.to_string()),
        ],
    })
}
