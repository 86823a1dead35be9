//! `GET /pricing`: every active plan, monthly or annual, with a call to action that
//! depends on who is looking (see `domain::pricing::cta_for`).

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use chrono::Utc;

use crate::db::DbConnection;
use crate::domain::catalog::{Plan, PlanBook};
use crate::domain::ids::WorkspaceId;
use crate::domain::money::{Interval, format_count, format_price};
use crate::domain::pricing::{Cta, ViewerPlan, cta_for};
use crate::error::AppResult;
use crate::services::pricing::{PricingView, read_pricing};
use crate::state::AppState;
use crate::web::{Layout, ViewerLoad, ViewerPage, page};

#[derive(Deserialize)]
pub struct PricingQuery {
    interval: Option<String>,
}

/// One plan card, formatted for display.
pub struct PlanCard {
    pub code: String,
    pub name: String,
    pub description: String,
    /// "$20" or None when the plan has no price in this interval (or is contact-sales).
    pub price: Option<String>,
    pub per: &'static str,
    /// "Save 17%" style hint when paying yearly is cheaper than 12 months.
    pub yearly_saving: Option<String>,
    pub credits: String,
    pub seats: String,
    pub features: Vec<String>,
    pub trial_days: i32,
    pub cta: Cta,
    pub highlighted: bool,
}

#[derive(Template)]
#[template(path = "pricing.html")]
struct PricingPage {
    layout: Layout,
    interval: &'static str,
    cards: Vec<PlanCard>,
    /// Whether the viewer's workspace already had a trial (then none is offered).
    trial_used: bool,
    contact_url: String,
    subscribed: bool,
}

pub fn feature_label(code: &str) -> String {
    match code {
        "priority_support" => "Priority support".into(),
        "analytics" => "Analytics".into(),
        "api_access" => "API access".into(),
        "sso" => "Single sign-on (SSO)".into(),
        other => other.replace('_', " "),
    }
}

pub fn plan_card(plan: &Plan, interval: Interval, cta: Cta) -> PlanCard {
    let price = if plan.contact_sales { None } else { plan.price(interval).map(|p| format_price(p, &plan.currency)) };
    let yearly_saving = match (plan.price_month_minor, plan.price_year_minor) {
        (Some(m), Some(y)) if m > 0 && y < m * 12 => Some(format!("Save {}% yearly", (m * 12 - y) * 100 / (m * 12))),
        _ => None,
    };
    PlanCard {
        code: plan.code.clone(),
        name: plan.name.clone(),
        description: plan.description.clone(),
        price,
        per: if interval == Interval::Year { "year" } else { "month" },
        yearly_saving,
        credits: plan
            .monthly_credits
            .map(|c| format!("{} credits / month", format_count(c)))
            .unwrap_or_else(|| "Unlimited credits".into()),
        seats: match plan.seat_limit {
            Some(1) => "1 seat".into(),
            Some(n) => format!("{n} seats"),
            None => "Unlimited seats".into(),
        },
        features: plan.features.iter().map(|f| feature_label(f)).collect(),
        trial_days: plan.trial_days,
        highlighted: plan.trial_days > 0,
        cta,
    }
}

/// The plans and the visitor's workspace are read together with who the visitor is.
impl ViewerLoad for PricingView {
    fn load(conn: &mut DbConnection, workspace: Option<WorkspaceId>, book: &PlanBook) -> AppResult<PricingView> {
        read_pricing(conn, workspace, book)
    }
}

pub async fn show(
    state: web::Data<AppState>,
    page_access: ViewerPage<PricingView>,
    query: web::Query<PricingQuery>,
) -> AppResult<HttpResponse> {
    let ViewerPage { viewer, data: PricingView { plans, workspace } } = page_access;
    let interval = query.interval.as_deref().and_then(Interval::parse).unwrap_or(Interval::Month);
    let role = workspace.as_ref().and_then(|w| viewer.nav.iter().find(|n| n.id == w.workspace.id)).map(|n| n.role);
    let viewer_plan = workspace.as_ref().map(|w| ViewerPlan {
        workspace_id: w.workspace.id,
        current: &w.plan,
        can_manage: role.is_some_and(|r| r.can_manage()),
    });
    let cards = plans
        .iter()
        .filter(|p| p.contact_sales || p.price(interval).is_some())
        .map(|p| plan_card(p, interval, cta_for(p, viewer_plan.as_ref())))
        .collect();
    page(&PricingPage {
        layout: Layout::for_viewer("Pricing", &viewer),
        interval: interval.as_str(),
        cards,
        trial_used: workspace.as_ref().is_some_and(|w| w.workspace.had_trial),
        contact_url: state.config.sales_contact_url.clone(),
        subscribed: workspace.as_ref().is_some_and(|w| w.billing.is_subscribed(Utc::now())),
    })
}
