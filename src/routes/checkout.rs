//! Buying: `POST /w/{id}/checkout` (a plan), `…/credits/{code}/checkout`,
//! `…/addons/{code}/checkout` send the browser to the provider's hosted page;
//! `GET /billing/success` and `GET /billing/cancelled` are where it comes back.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::error::AppResult;
use crate::flows::{self, Purchase};
use crate::startup::AppState;
use crate::web::{CsrfForm, FlashKind, SignedIn, WorkspaceAccess, client_ip, redirect, set_flash};

#[derive(Deserialize)]
pub struct PlanForm {
    plan: String,
    interval: String,
}

pub async fn plan(
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    req: HttpRequest,
    form: CsrfForm<PlanForm>,
) -> AppResult<HttpResponse> {
    let PlanForm { plan, interval } = form.0;
    let url = flows::start_checkout(&state, &access, Purchase::Plan { code: plan, interval }, &client_ip(&req)).await?;
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
    let url = flows::start_checkout(&state, &access, Purchase::CreditPack { code }, &client_ip(&req)).await?;
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
    let url = flows::start_checkout(&state, &access, Purchase::Addon { code }, &client_ip(&req)).await?;
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
    let (workspace_id, fulfilment) = flows::complete_checkout(&state, &who.user, checkout_id).await?;
    set_flash(&who.session, FlashKind::Success, fulfilment.welcome());
    Ok(redirect(&format!("/w/{workspace_id}/billing")))
}

pub async fn cancelled(who: crate::web::Viewer) -> HttpResponse {
    set_flash(
        &who.session,
        FlashKind::Info,
        "Checkout cancelled — nothing was charged. Pick a plan whenever you're ready.",
    );
    redirect("/pricing")
}
