//! The billing page as JSON, read side: `GET /api/v1/workspaces/{id}/billing/subscription`,
//! `plans`, `invoices`, `upcoming-invoice` and `addons`. They read through the same services
//! as `/w/{id}/billing`.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;

use crate::domain::billing_state::{PlanNames, summary};
use crate::domain::entitlements::PlanInfo;
use crate::domain::pricing::{Cta, ViewerPlan, cta_for};
use crate::error::{AppError, AppResult};
use crate::services::billing_overview::billing_overview;
use crate::services::upcoming_invoice::upcoming_invoice as preview;
use crate::state::AppState;
use crate::web::ApiCaller;

use super::openapi::ErrorBody;

fn utc(at: NaiveDateTime) -> DateTime<Utc> {
    DateTime::from_naive_utc_and_offset(at, Utc)
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SummaryBody {
    /// "Active", "Free trial", "Past due", "Cancelling", "Free plan"…
    pub status: String,
    pub next_billing: Option<String>,
    pub notice: Option<String>,
    pub past_due: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SubscriptionBody {
    pub workspace_id: i64,
    pub plan: PlanInfo,
    /// The provider's status (`active`, `trialing`, `past_due`…); `null` when never subscribed.
    pub status: Option<&'static str>,
    /// `month` or `year`.
    pub interval: Option<&'static str>,
    pub current_period_end: Option<DateTime<Utc>>,
    pub cancel_at_period_end: bool,
    pub trial_end: Option<DateTime<Utc>>,
    pub grace_until: Option<DateTime<Utc>>,
    /// A downgrade that takes effect at the period end.
    pub scheduled_plan: Option<PlanInfo>,
    pub summary: SummaryBody,
}

/// The workspace's plan and subscription, as the billing page shows them.
#[utoipa::path(get, path = "/api/v1/workspaces/{workspace_id}/billing/subscription", tag = "billing",
    params(("workspace_id" = i64, Path)), responses((status = 200, body = SubscriptionBody), (status = 404, body = ErrorBody)),
    security(("api_key" = []), ("session" = [])))]
pub async fn subscription(state: web::Data<AppState>, caller: ApiCaller) -> AppResult<HttpResponse> {
    let data = billing_overview(&state, &caller.workspace).await?;
    let current = data.current.as_ref().ok_or_else(|| AppError::internal("workspace plan missing"))?;
    let names = PlanNames {
        current: &current.name,
        current_is_free: current.is_free(),
        scheduled: data.scheduled.as_ref().map(|p| p.name.as_str()),
    };
    let s = summary(&data.billing, names, Utc::now());
    let b = &data.billing;
    Ok(HttpResponse::Ok().json(SubscriptionBody {
        workspace_id: caller.workspace.id.0,
        plan: PlanInfo { code: current.code.clone(), name: current.name.clone() },
        status: b.status.map(|s| s.as_str()),
        interval: b.interval.map(|i| i.as_str()),
        current_period_end: b.current_period_end,
        cancel_at_period_end: b.cancel_at_period_end,
        trial_end: b.trial_end,
        grace_until: b.grace_until,
        scheduled_plan: data.scheduled.as_ref().map(|p| PlanInfo { code: p.code.clone(), name: p.name.clone() }),
        summary: SummaryBody { status: s.status, next_billing: s.next_billing, notice: s.notice, past_due: s.past_due },
    }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PlanBody {
    pub code: String,
    pub name: String,
    pub description: String,
    pub currency: String,
    pub price_month_minor: Option<i64>,
    pub price_year_minor: Option<i64>,
    pub trial_days: i32,
    /// `null` = unlimited.
    pub monthly_credits: Option<i64>,
    /// `null` = unlimited.
    pub seats: Option<i32>,
    pub limits: std::collections::BTreeMap<String, i64>,
    pub features: Vec<String>,
    /// What this caller can do about the plan: `current`, `upgrade`, `downgrade`,
    /// `cancel_to_free`, `contact_sales`, `ask_admin` (or `sign_up`).
    pub action: &'static str,
}

/// The plans on offer, with what the caller can do about each.
#[utoipa::path(get, path = "/api/v1/workspaces/{workspace_id}/billing/plans", tag = "billing",
    params(("workspace_id" = i64, Path)), responses((status = 200, body = Vec<PlanBody>)),
    security(("api_key" = []), ("session" = [])))]
pub async fn plans(state: web::Data<AppState>, caller: ApiCaller) -> AppResult<HttpResponse> {
    let data = billing_overview(&state, &caller.workspace).await?;
    let current = data.current.as_ref().ok_or_else(|| AppError::internal("workspace plan missing"))?;
    let viewer = ViewerPlan { workspace_id: caller.workspace.id, current, can_manage: caller.role.can_manage() };
    let body: Vec<PlanBody> = data
        .plans
        .iter()
        .map(|p| PlanBody {
            code: p.code.clone(),
            name: p.name.clone(),
            description: p.description.clone(),
            currency: p.currency.clone(),
            price_month_minor: p.price_month_minor,
            price_year_minor: p.price_year_minor,
            trial_days: p.trial_days,
            monthly_credits: p.monthly_credits,
            seats: p.seat_limit,
            limits: p.limits.clone(),
            features: p.features.clone(),
            action: match cta_for(p, Some(&viewer)) {
                Cta::SignUp => "sign_up",
                Cta::Upgrade { .. } => "upgrade",
                Cta::Downgrade { .. } => "downgrade",
                Cta::CancelToFree { .. } => "cancel_to_free",
                Cta::CurrentPlan { .. } => "current",
                Cta::ContactSales => "contact_sales",
                Cta::AskAdmin => "ask_admin",
            },
        })
        .collect();
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct InvoiceBody {
    pub number: String,
    pub status: String,
    pub amount_due_minor: i64,
    pub amount_paid_minor: i64,
    pub currency: String,
    pub issued_at: DateTime<Utc>,
    pub period_start: Option<DateTime<Utc>>,
    pub period_end: Option<DateTime<Utc>>,
    pub url: Option<String>,
}

/// The workspace's invoices, newest first.
#[utoipa::path(get, path = "/api/v1/workspaces/{workspace_id}/billing/invoices", tag = "billing",
    params(("workspace_id" = i64, Path)), responses((status = 200, body = Vec<InvoiceBody>)),
    security(("api_key" = []), ("session" = [])))]
pub async fn invoices(state: web::Data<AppState>, caller: ApiCaller) -> AppResult<HttpResponse> {
    let data = billing_overview(&state, &caller.workspace).await?;
    let body: Vec<InvoiceBody> = data
        .invoices
        .into_iter()
        .map(|i| InvoiceBody {
            number: i.number.unwrap_or(i.provider_invoice_id),
            status: i.status,
            amount_due_minor: i.amount_due_minor,
            amount_paid_minor: i.amount_paid_minor,
            currency: i.currency,
            issued_at: utc(i.issued_at),
            period_start: i.period_start.map(utc),
            period_end: i.period_end.map(utc),
            url: i.hosted_url.or(i.pdf_url),
        })
        .collect();
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct UpcomingInvoiceBody {
    pub amount_due_minor: i64,
    pub currency: String,
    pub next_payment_at: Option<DateTime<Utc>>,
}

/// What the next invoice will charge, as the billing provider previews it.
#[utoipa::path(get, path = "/api/v1/workspaces/{workspace_id}/billing/upcoming-invoice", tag = "billing",
    params(("workspace_id" = i64, Path)),
    responses((status = 200, body = UpcomingInvoiceBody), (status = 404, body = ErrorBody, description = "`no_subscription`")),
    security(("api_key" = []), ("session" = [])))]
pub async fn upcoming_invoice(state: web::Data<AppState>, caller: ApiCaller) -> AppResult<HttpResponse> {
    let next = preview(&state, caller.workspace.id).await?;
    Ok(HttpResponse::Ok().json(UpcomingInvoiceBody {
        amount_due_minor: next.amount_due_minor,
        currency: next.currency,
        next_payment_at: next.next_payment_at,
    }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AddonBody {
    pub code: String,
    pub name: String,
    pub description: String,
    pub price_minor: i64,
    pub currency: String,
    /// `month` or `year`.
    pub interval: &'static str,
    pub owned: bool,
    pub cancel_at_period_end: bool,
    pub current_period_end: Option<DateTime<Utc>>,
}

/// The add-ons on offer and which the workspace has.
#[utoipa::path(get, path = "/api/v1/workspaces/{workspace_id}/billing/addons", tag = "billing",
    params(("workspace_id" = i64, Path)), responses((status = 200, body = Vec<AddonBody>)),
    security(("api_key" = []), ("session" = [])))]
pub async fn addons(state: web::Data<AppState>, caller: ApiCaller) -> AppResult<HttpResponse> {
    let data = billing_overview(&state, &caller.workspace).await?;
    let body: Vec<AddonBody> = data
        .addons
        .iter()
        .map(|a| {
            let mine = data.owned_addons.iter().find(|w| w.addon_id == a.id);
            AddonBody {
                code: a.code.clone(),
                name: a.name.clone(),
                description: a.description.clone(),
                price_minor: a.price_minor,
                currency: a.currency.clone(),
                interval: a.interval.as_str(),
                owned: mine.is_some(),
                cancel_at_period_end: mine.is_some_and(|w| w.cancel_at_period_end),
                current_period_end: mine.and_then(|w| w.current_period_end).map(utc),
            }
        })
        .collect();
    Ok(HttpResponse::Ok().json(body))
}
