//! The billing page as JSON, write side: checkout, portal, change-plan, cancel, resume and
//! add-on purchase/cancel under `/api/v1/workspaces/{id}/billing/`. They call the same
//! services as the page's forms; a session must send `X-CSRF-Token`, a key need not.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;

use super::openapi::ErrorBody;
use crate::domain::purchases::PlanChoice;
use crate::error::{AppError, AppResult};
use crate::services::api_keys::billing_email;
use crate::services::cancel_addon::cancel_addon as end_addon;
use crate::services::change_plan::change_plan as change;
use crate::services::checkout::{Buyer, Order, start_checkout};
use crate::services::portal::open_portal;
use crate::services::subscription::{cancel_subscription, resume_subscription};
use crate::state::AppState;
use crate::web::{ApiCaller, Credential, JsonFields, client_ip};

#[derive(Serialize, utoipa::ToSchema)]
pub struct CheckoutBody {
    /// The provider's hosted checkout: send the customer's browser there.
    pub checkout_url: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PortalBody {
    pub portal_url: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MessageBody {
    /// What happened, in a sentence for people.
    pub message: String,
}

/// A checkout request: a plan and interval, or a credit pack.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[expect(dead_code, reason = "documents the body; it is read field by field by JsonFields")]
pub struct CheckoutRequest {
    /// A plan code (`starter`, `pro`), with `interval`.
    plan: Option<String>,
    /// `month` or `year`.
    interval: Option<String>,
    /// A credit pack code (`credits_500`), instead of a plan.
    credit_pack: Option<String>,
}

/// A plan change request.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[expect(dead_code, reason = "documents the body; it is read field by field by JsonFields")]
pub struct PlanRequest {
    plan: String,
    /// `month` or `year`.
    interval: String,
}

async fn buyer_email(state: &AppState, caller: &ApiCaller) -> AppResult<String> {
    match &caller.credential {
        Credential::Session { email } => Ok(email.clone()),
        Credential::ApiKey { .. } => billing_email(state, caller.workspace.id).await,
    }
}

fn plan_choice(body: &JsonFields) -> AppResult<PlanChoice> {
    let plan = body.string("plan", 64)?;
    let interval = body.string("interval", 16)?;
    PlanChoice::parse(&plan, &interval).map_err(|e| AppError::invalid_field("interval", e.to_string()))
}

async fn checkout_url(state: &AppState, caller: &ApiCaller, req: &HttpRequest, order: Order) -> AppResult<String> {
    let email = buyer_email(state, caller).await?;
    let ip = client_ip(req);
    let buyer = Buyer { workspace_id: caller.workspace.id, role: caller.role, email: &email, ip };
    start_checkout(state, buyer, order).await
}

/// Starts a hosted checkout for a plan (`plan` + `interval`) or a credit pack (`credit_pack`).
#[utoipa::path(post, path = "/api/v1/workspaces/{workspace_id}/billing/checkout", tag = "billing",
    params(("workspace_id" = i64, Path)), request_body = CheckoutRequest,
    responses((status = 200, body = CheckoutBody), (status = 409, body = ErrorBody, description = "Already subscribed"),
        (status = 422, body = ErrorBody, description = "A field is invalid (`field` names it)")),
    security(("api_key" = []), ("session" = [])))]
pub async fn checkout(
    state: web::Data<AppState>,
    caller: ApiCaller,
    req: HttpRequest,
    body: JsonFields,
) -> AppResult<HttpResponse> {
    let (order, field) = match body.opt_string("credit_pack", 64)? {
        Some(code) => (Order::CreditPack { code }, "credit_pack"),
        None => (Order::Plan(plan_choice(&body)?), "plan"),
    };
    let url = checkout_url(&state, &caller, &req, order).await.map_err(|e| match e {
        AppError::NotFound => AppError::invalid_field(field, format!("There is no such {}.", field.replace('_', " "))),
        AppError::Validation(message) => AppError::invalid_field(field, message),
        other => other,
    })?;
    Ok(HttpResponse::Ok().json(CheckoutBody { checkout_url: url }))
}

/// Opens the provider's customer portal (card, invoices, cancellation).
#[utoipa::path(post, path = "/api/v1/workspaces/{workspace_id}/billing/portal", tag = "billing",
    params(("workspace_id" = i64, Path)),
    responses((status = 200, body = PortalBody), (status = 409, body = ErrorBody, description = "`no_customer`: nothing to manage yet")),
    security(("api_key" = []), ("session" = [])))]
pub async fn portal(state: web::Data<AppState>, caller: ApiCaller, req: HttpRequest) -> AppResult<HttpResponse> {
    match open_portal(&state, caller.workspace.id, caller.role, client_ip(&req)).await? {
        Some(url) => Ok(HttpResponse::Ok().json(PortalBody { portal_url: url })),
        None => Err(AppError::problem(
            StatusCode::CONFLICT,
            "no_customer",
            "There is nothing to manage yet: start a checkout to upgrade.",
        )),
    }
}

/// Changes plan: upgrades now (prorated, charged at once), downgrades at the period end.
/// 402 `payment_declined` when the prorated charge is declined (nothing changes).
#[utoipa::path(post, path = "/api/v1/workspaces/{workspace_id}/billing/change-plan", tag = "billing",
    params(("workspace_id" = i64, Path)), request_body = PlanRequest,
    responses((status = 200, body = MessageBody), (status = 402, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("api_key" = []), ("session" = [])))]
pub async fn change_plan(state: web::Data<AppState>, caller: ApiCaller, body: JsonFields) -> AppResult<HttpResponse> {
    let choice = plan_choice(&body)?;
    let outcome = change(&state, caller.workspace.id, caller.role, choice).await.map_err(|e| match e {
        AppError::NotFound => AppError::invalid_field("plan", "There is no such plan."),
        AppError::Validation(message) => AppError::invalid_field("plan", message),
        other => other,
    })?;
    match outcome {
        Ok(message) => Ok(HttpResponse::Ok().json(MessageBody { message })),
        Err(declined) => Err(AppError::problem(StatusCode::PAYMENT_REQUIRED, "payment_declined", declined)),
    }
}

/// Cancels the subscription at the end of its period.
#[utoipa::path(post, path = "/api/v1/workspaces/{workspace_id}/billing/cancel", tag = "billing",
    params(("workspace_id" = i64, Path)), responses((status = 200, body = MessageBody), (status = 422, body = ErrorBody)),
    security(("api_key" = []), ("session" = [])))]
pub async fn cancel(state: web::Data<AppState>, caller: ApiCaller) -> AppResult<HttpResponse> {
    let message = cancel_subscription(&state, caller.workspace.id, caller.role).await?;
    Ok(HttpResponse::Ok().json(MessageBody { message }))
}

/// Resumes a subscription set to cancel.
#[utoipa::path(post, path = "/api/v1/workspaces/{workspace_id}/billing/resume", tag = "billing",
    params(("workspace_id" = i64, Path)), responses((status = 200, body = MessageBody), (status = 422, body = ErrorBody)),
    security(("api_key" = []), ("session" = [])))]
pub async fn resume(state: web::Data<AppState>, caller: ApiCaller) -> AppResult<HttpResponse> {
    let message = resume_subscription(&state, caller.workspace.id, caller.role).await?;
    Ok(HttpResponse::Ok().json(MessageBody { message }))
}

/// Starts a hosted checkout for an add-on.
#[utoipa::path(post, path = "/api/v1/workspaces/{workspace_id}/billing/addons/{code}/purchase", tag = "billing",
    params(("workspace_id" = i64, Path), ("code" = String, Path)),
    responses((status = 200, body = CheckoutBody), (status = 404, body = ErrorBody)),
    security(("api_key" = []), ("session" = [])))]
pub async fn purchase_addon(
    state: web::Data<AppState>,
    caller: ApiCaller,
    req: HttpRequest,
    path: web::Path<(i64, String)>,
) -> AppResult<HttpResponse> {
    let code = path.into_inner().1;
    let url = checkout_url(&state, &caller, &req, Order::Addon { code }).await?;
    Ok(HttpResponse::Ok().json(CheckoutBody { checkout_url: url }))
}

/// Ends an add-on at the end of its billing period.
#[utoipa::path(post, path = "/api/v1/workspaces/{workspace_id}/billing/addons/{code}/cancel", tag = "billing",
    params(("workspace_id" = i64, Path), ("code" = String, Path)),
    responses((status = 200, body = MessageBody), (status = 404, body = ErrorBody)),
    security(("api_key" = []), ("session" = [])))]
pub async fn cancel_addon(
    state: web::Data<AppState>,
    caller: ApiCaller,
    path: web::Path<(i64, String)>,
) -> AppResult<HttpResponse> {
    let message = end_addon(&state, caller.workspace.id, caller.role, &path.1).await?;
    Ok(HttpResponse::Ok().json(MessageBody { message }))
}
