//! `GET /w/{workspace_id}/billing`: the plan and its status, usage meters, plan changes,
//! add-ons, credit packs and invoices.

use actix_web::{HttpResponse, web};
use askama::Template;

use crate::db::DbConnection;
use crate::domain::billing_state::{PlanNames, summary};
use crate::domain::catalog::{Addon, PlanBook};
use crate::domain::entitlements::{Standing, Unlock, upgrade_notice};
use crate::domain::ids::WorkspaceId;
use crate::domain::money::{Interval, format_count, format_money, format_price};
use crate::domain::pricing::{Cta, ViewerPlan, cta_for};
use crate::error::AppResult;
use crate::models::{Workspace, WorkspaceAddon};
use crate::routes::pricing::{PlanCard, plan_card};
use crate::services::billing_overview::{BillingOverview, read_overview, workspace_clock};
use crate::state::AppState;
use crate::web::{Layout, WorkspaceLoad, WorkspacePage, format_date, page};

/// A usage bar: `used` of `limit`, or unlimited.
pub struct Meter {
    pub label: String,
    pub value: String,
    /// 0–100 for the bar width; None for unlimited.
    pub percent: Option<i64>,
}

fn meter(label: &str, left: i64, limit: Option<i64>, unit: &str) -> Meter {
    match limit {
        Some(limit) if limit > 0 => Meter {
            label: label.to_owned(),
            value: format!("{} of {} {unit}", format_count(left), format_count(limit)),
            percent: Some((left.clamp(0, limit) * 100) / limit),
        },
        Some(_) => Meter { label: label.to_owned(), value: format!("{} {unit}", format_count(left)), percent: Some(0) },
        None => Meter { label: label.to_owned(), value: format!("Unlimited {unit}"), percent: None },
    }
}

pub struct AddonRow {
    pub code: String,
    pub name: String,
    pub description: String,
    pub price: String,
    pub owned: bool,
    /// "Ends 12 Jan 2027" once cancelled at period end.
    pub ending: Option<String>,
    /// "Payment failed · kept until 12 Jan 2027" while its renewal is overdue.
    pub overdue: Option<String>,
}

pub struct PackRow {
    pub code: String,
    pub name: String,
    pub price: String,
}

pub struct InvoiceRow {
    pub number: String,
    pub date: String,
    pub amount: String,
    pub status: String,
    pub url: Option<String>,
}

#[derive(Template)]
#[template(path = "workspace/billing.html")]
struct BillingPage {
    layout: Layout,
    workspace_id: WorkspaceId,
    workspace_name: String,
    plan_name: String,
    status: String,
    next_billing: Option<String>,
    notice: Option<String>,
    past_due: Option<String>,
    can_manage: bool,
    has_customer: bool,
    meters: Vec<Meter>,
    plan_cards: Vec<PlanCard>,
    addons: Vec<AddonRow>,
    packs: Vec<PackRow>,
    invoices: Vec<InvoiceRow>,
    interval: &'static str,
    trial_used: bool,
    contact_url: String,
    /// A live subscription: upgrades are plan changes, and it can be cancelled or resumed.
    subscribed: bool,
    cancel_at_period_end: bool,
    /// With a change scheduled: the current plan and interval, to keep them instead.
    keep: Option<(String, &'static str)>,
    /// Where a gate sent the visitor from: what to unlock and the plan that does.
    upgrade: Option<String>,
    /// A paid plan applies (the ledger export is open).
    paid: bool,
    /// Sandbox mode: link the workspace's test clock page.
    has_test_clock: bool,
}

/// `?upgrade=<feature>`: set by the gates when they send someone here.
#[derive(serde::Deserialize)]
pub struct UpgradeQuery {
    upgrade: Option<String>,
}

/// The billing page's data is read together with the access check.
impl WorkspaceLoad for BillingOverview {
    fn load(conn: &mut DbConnection, ws: &Workspace, book: &PlanBook) -> AppResult<BillingOverview> {
        read_overview(conn, ws, book)
    }
}

pub async fn show(
    state: web::Data<AppState>,
    page_access: WorkspacePage<BillingOverview>,
    query: web::Query<UpgradeQuery>,
) -> AppResult<HttpResponse> {
    let WorkspacePage { access, data } = page_access;
    let ws = &access.workspace;
    let clock = workspace_clock(&state, ws).await;
    let (plan, billing) = (&access.plan, &data.billing);
    let now = clock.now;
    // A change of interval names it: "Pro (monthly billing)".
    let scheduled_name = data.scheduled.as_ref().map(|next| match billing.scheduled_interval {
        Some(to) if Some(to) != billing.interval => format!("{} ({} billing)", next.name, to.adjective()),
        _ => next.name.clone(),
    });
    let names =
        PlanNames { current: &plan.name, current_is_free: plan.is_free(), scheduled: scheduled_name.as_deref() };
    let summary = summary(billing, names, now);
    let interval = ws.billing_interval.unwrap_or(Interval::Month);
    let viewer = ViewerPlan { workspace_id: ws.id, current: plan, can_manage: access.role.can_manage() };
    let meters = vec![
        meter("Monthly credits left", data.balance.monthly, plan.monthly_credits, "credits"),
        meter("Purchased credits", data.balance.purchased, Some(data.balance.purchased.max(0)), "credits"),
        meter("Seats used", data.seats_used, plan.seat_limit.map(i64::from), "seats"),
    ];
    let subscribed = billing.is_subscribed(now);
    let keep = (data.scheduled.is_some() && subscribed)
        .then(|| billing.interval.map(|i| (plan.code.clone(), i.as_str())))
        .flatten();
    let upgrade = query
        .upgrade
        .as_deref()
        .and_then(|what| Unlock::parse(what, &data.plans))
        .map(|what| upgrade_notice(&data.plans, plan, what));
    let standing = Standing::of(billing, plan.is_free(), now);
    let page_data = BillingPage {
        keep,
        upgrade,
        paid: !plan.is_free() && standing != Standing::Lapsed,
        subscribed,
        has_test_clock: clock.has_test_clock,
        cancel_at_period_end: ws.cancel_at_period_end,
        interval: interval.as_str(),
        trial_used: ws.had_trial,
        contact_url: state.config.sales_contact_url.clone(),
        layout: Layout::for_workspace("Billing", &access),
        workspace_id: ws.id,
        workspace_name: ws.name.clone(),
        plan_name: plan.name.clone(),
        status: summary.status,
        next_billing: summary.next_billing,
        notice: summary.notice,
        past_due: summary.past_due,
        can_manage: access.role.can_manage(),
        has_customer: ws.provider_customer_id.is_some(),
        meters,
        plan_cards: data
            .plans
            .iter()
            .filter(|p| p.price(interval).is_some() || p.contact_sales)
            .map(|p| plan_card(p, interval, cta_for(p, Some(&viewer))))
            .collect(),
        addons: data.addons.iter().map(|a| addon_row(a, &data.owned_addons, now)).collect(),
        packs: data
            .packs
            .iter()
            .map(|p| PackRow {
                code: p.code.clone(),
                name: p.name.clone(),
                price: format_money(p.price_minor, &p.currency),
            })
            .collect(),
        invoices: data
            .invoices
            .iter()
            .map(|i| InvoiceRow {
                number: i.number.clone().unwrap_or_else(|| i.provider_invoice_id.clone()),
                date: format_date(&i.issued_at),
                amount: format_money(i.amount_due_minor, &i.currency),
                status: i.status.clone(),
                url: i.hosted_url.clone().or_else(|| i.pdf_url.clone()),
            })
            .collect(),
    };
    page(&page_data)
}

fn addon_row(addon: &Addon, owned: &[WorkspaceAddon], now: chrono::DateTime<chrono::Utc>) -> AddonRow {
    let mine = owned.iter().find(|w| w.addon_id == addon.id && w.grants(now));
    AddonRow {
        code: addon.code.clone(),
        name: addon.name.clone(),
        description: addon.description.clone(),
        price: format!("{} / {}", format_price(addon.price_minor, &addon.currency), addon.interval.as_str()),
        owned: mine.is_some(),
        ending: mine.filter(|w| w.cancel_at_period_end).map(|w| match w.current_period_end {
            Some(d) => format!("Ends {}", format_date(&d)),
            None => "Ending".to_owned(),
        }),
        overdue: mine
            .and_then(|w| w.grace_until)
            .map(|until| format!("Payment failed · kept until {}", format_date(&until))),
    }
}
