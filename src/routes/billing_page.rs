//! `GET /w/{workspace_id}/billing`: the plan and its status, usage meters, plan changes,
//! add-ons, credit packs and invoices.

use actix_web::{HttpResponse, web};
use askama::Template;

use crate::domain::money::{Interval, format_count, format_money, format_price};
use crate::domain::pricing::{Cta, ViewerPlan, cta_for};
use crate::error::AppResult;
use crate::models::{Addon, CreditBalance, CreditEntry, CreditPack, Invoice, Membership, Plan, WorkspaceAddon};
use crate::routes::pricing::{PlanCard, plan_card};
use crate::startup::AppState;
use crate::web::{Layout, WorkspaceAccess, format_date, page};

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
    workspace_id: i64,
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
}

struct Loaded {
    balance: CreditBalance,
    seats_used: i64,
    plans: Vec<Plan>,
    scheduled: Option<Plan>,
    addons: Vec<Addon>,
    owned_addons: Vec<(i64, Option<String>)>,
    packs: Vec<CreditPack>,
    invoices: Vec<Invoice>,
}

pub async fn show(state: web::Data<AppState>, access: WorkspaceAccess) -> AppResult<HttpResponse> {
    let workspace_id = access.workspace.id;
    let scheduled_id = access.workspace.scheduled_plan_id;
    let data = state
        .db
        .run(move |conn| {
            Ok(Loaded {
                balance: CreditEntry::balance(conn, workspace_id)?,
                seats_used: Membership::count_for_workspace(conn, workspace_id)?,
                plans: Plan::active(conn)?,
                scheduled: scheduled_id.map(|id| Plan::find(conn, id)).transpose()?,
                addons: Addon::active(conn)?,
                owned_addons: WorkspaceAddon::current_for(conn, workspace_id)?
                    .into_iter()
                    .map(|(w, _)| {
                        let ending = w.cancel_at_period_end.then(|| match w.current_period_end {
                            Some(d) => format!("Ends {}", format_date(&d)),
                            None => "Ending".to_owned(),
                        });
                        (w.addon_id, ending)
                    })
                    .collect(),
                packs: CreditPack::active(conn)?,
                invoices: Invoice::for_workspace(conn, workspace_id, 24)?,
            })
        })
        .await?;

    let ws = &access.workspace;
    let plan = &access.plan;
    let interval = ws.billing_interval.as_deref().and_then(Interval::parse).unwrap_or(Interval::Month);
    let viewer = ViewerPlan { workspace_id, current: plan, can_manage: access.role.can_manage() };
    let status = status_label(ws.subscription_status.as_deref(), plan);
    let notice = match (&ws.current_period_end, ws.cancel_at_period_end, &data.scheduled) {
        (Some(end), true, _) => {
            Some(format!("Your subscription ends on {}. {} stays available until then.", format_date(end), plan.name))
        }
        (Some(end), false, Some(next)) => Some(format!("Changes to {} on {}.", next.name, format_date(end))),
        _ => ws
            .trial_end
            .filter(|_| ws.subscription_status.as_deref() == Some("trialing"))
            .map(|end| format!("Your free trial ends on {}.", format_date(&end))),
    };
    let past_due = (ws.subscription_status.as_deref() == Some("past_due")).then(|| match &ws.grace_until {
        Some(until) => format!(
            "Your last payment failed. Update your payment method by {} to keep {}.",
            format_date(until),
            plan.name
        ),
        None => "Your last payment failed. Update your payment method to restore your plan.".to_owned(),
    });
    let meters = vec![
        meter("Monthly credits left", data.balance.monthly, plan.monthly_credits, "credits"),
        meter("Purchased credits", data.balance.purchased, Some(data.balance.purchased.max(0)), "credits"),
        meter("Seats used", data.seats_used, plan.seat_limit.map(i64::from), "seats"),
    ];
    let subscribed = ws.provider_subscription_id.is_some()
        && matches!(ws.subscription_status.as_deref(), Some("active" | "trialing" | "past_due" | "non_renewing"));
    let page_data = BillingPage {
        subscribed,
        cancel_at_period_end: ws.cancel_at_period_end,
        interval: interval.as_str(),
        trial_used: ws.had_trial,
        contact_url: state.config.sales_contact_url.clone(),
        layout: Layout::for_workspace("Billing", &access),
        workspace_id,
        workspace_name: ws.name.clone(),
        plan_name: plan.name.clone(),
        status,
        next_billing: ws.current_period_end.filter(|_| !ws.cancel_at_period_end).map(|d| format_date(&d)),
        notice,
        past_due,
        can_manage: access.role.can_manage(),
        has_customer: ws.provider_customer_id.is_some(),
        meters,
        plan_cards: data
            .plans
            .iter()
            .filter(|p| p.price(interval).is_some() || p.contact_sales)
            .map(|p| plan_card(p, interval, cta_for(p, Some(&viewer))))
            .collect(),
        addons: data
            .addons
            .iter()
            .map(|a| AddonRow {
                code: a.code.clone(),
                name: a.name.clone(),
                description: a.description.clone(),
                price: format!("{} / {}", format_price(a.price_minor, &a.currency), a.billing_interval),
                owned: data.owned_addons.iter().any(|(id, _)| *id == a.id),
                ending: data.owned_addons.iter().find(|(id, _)| *id == a.id).and_then(|(_, e)| e.clone()),
            })
            .collect(),
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

fn status_label(status: Option<&str>, plan: &Plan) -> String {
    match status {
        Some("active") => "Active".into(),
        Some("trialing") => "Free trial".into(),
        Some("past_due") => "Past due".into(),
        Some("non_renewing") => "Cancelling".into(),
        Some("incomplete") => "Awaiting payment".into(),
        Some("paused") => "Paused".into(),
        Some("canceled") | None if plan.is_free() => "Free plan".into(),
        Some(other) => other.replace('_', " "),
        None => "No subscription".into(),
    }
}
