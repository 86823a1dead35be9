//! Buying: `POST /w/{id}/checkout` (a plan), `…/credits/{code}/checkout`,
//! `…/addons/{code}/checkout` send the browser to the provider's hosted page;
//! `GET /billing/success` and `GET /billing/cancelled` are where it comes back.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::domain::purchases::PlanChoice;
use crate::error::{AppError, AppResult};
use crate::services::checkout::{Buyer, Order, refused, start_checkout};
use crate::services::complete_checkout::complete_checkout;
use crate::state::AppState;
use crate::web::{CsrfForm, FlashKind, SignedIn, Viewer, WorkspaceAccess, client_ip, redirect, set_flash};

/// The plan form as posted by the pricing and billing pages.
#[derive(Deserialize)]
pub struct PlanForm {
    plan: String,
    interval: String,
}

impl TryFrom<PlanForm> for PlanChoice {
    type Error = AppError;

    fn try_from(form: PlanForm) -> Result<PlanChoice, AppError> {
        PlanChoice::parse(&form.plan, &form.interval).map_err(refused)
    }
}

fn buyer(access: &WorkspaceAccess, ip: std::net::IpAddr) -> Buyer<'_> {
    Buyer { workspace_id: access.workspace.id, role: access.role, email: &access.user.email, ip }
}

pub async fn plan(
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    req: HttpRequest,
    form: CsrfForm<PlanForm>,
) -> AppResult<HttpResponse> {
    let choice = PlanChoice::try_from(form.0)?;
    let ip = client_ip(&req);
    let url = start_checkout(&state, buyer(&access, ip), Order::Plan(choice)).await?;
    Ok(redirect(&url))
}

pub async fn credit_pack(
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    req: HttpRequest,
    path: web::Path<(i64, String)>,
    _form: CsrfForm<serde::de::IgnoredAny>,
) -> AppResult<HttpResponse> {
    let code = path.into_inner().1;
    let ip = client_ip(&req);
    let url = start_checkout(&state, buyer(&access, ip), Order::CreditPack { code }).await?;
    Ok(redirect(&url))
}

pub async fn addon(
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    req: HttpRequest,
    path: web::Path<(i64, String)>,
    _form: CsrfForm<serde::de::IgnoredAny>,
) -> AppResult<HttpResponse> {
    let code = path.into_inner().1;
    let ip = client_ip(&req);
    let url = start_checkout(&state, buyer(&access, ip), Order::Addon { code }).await?;
    Ok(redirect(&url))
}

/// Stripe and the sandbox send `session_id`; Chargebee sends `id` (and `state`).
#[derive(Deserialize)]
pub struct ReturnQuery {
    session_id: Option<String>,
    id: Option<String>,
}

pub async fn success(
    state: web::Data<AppState>,
    who: SignedIn,
    query: web::Query<ReturnQuery>,
) -> AppResult<HttpResponse> {
    let checkout_id = query.session_id.as_deref().or(query.id.as_deref()).unwrap_or_default();
    let (workspace_id, fulfilment) = complete_checkout(&state, who.user.id, checkout_id).await?;
    set_flash(&who.session, FlashKind::Success, fulfilment.welcome());
    Ok(redirect(&format!("/w/{workspace_id}/billing")))
}

pub async fn cancelled(who: Viewer) -> HttpResponse {
    set_flash(
        &who.session,
        FlashKind::Info,
        "Checkout cancelled — nothing was charged. Pick a plan whenever you're ready.",
    );
    redirect("/pricing")
}
