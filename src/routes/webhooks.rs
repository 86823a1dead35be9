//! `POST /webhooks/stripe` (also the sandbox's) and `POST /webhooks/chargebee`: check the
//! sender, then hand the raw body to `services::webhooks::process_webhook`. Nothing is written for
//! a request that fails the check; the raw bytes are verified before any parsing.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;

use crate::billing::BillingProvider;
use crate::config::ProviderKind;
use crate::domain::normalized::Provider;
use crate::error::{AppError, AppResult};
use crate::services::webhooks::{WebhookError, WebhookOutcome, process_webhook};
use crate::signature::{DEFAULT_TOLERANCE_SECS, basic_auth_matches, stripe_verify};
use crate::state::AppState;

/// Provider events are small; Stripe caps payloads well below this.
pub const WEBHOOK_LIMIT: usize = 256 * 1024;

fn answer(result: Result<WebhookOutcome, WebhookError>) -> AppResult<HttpResponse> {
    match result {
        Ok(outcome) => {
            let (status, note) = match outcome {
                WebhookOutcome::Processed => ("processed", None),
                WebhookOutcome::Duplicate => ("duplicate", None),
                WebhookOutcome::Ignored(why) => ("ignored", Some(why)),
                WebhookOutcome::Pending(why) => ("pending", Some(why)),
            };
            Ok(HttpResponse::Ok().json(serde_json::json!({ "received": true, "status": status, "note": note })))
        }
        Err(WebhookError::BadEvent(why)) => Err(AppError::bad_request(format!("Malformed event: {why}"))),
        // 500 on purpose: the provider redelivers, and the event is stored as failed meanwhile.
        Err(WebhookError::Failed(_)) => Err(AppError::internal("webhook processing failed; stored for retry")),
    }
}

pub async fn stripe(state: web::Data<AppState>, req: HttpRequest, body: web::Bytes) -> AppResult<HttpResponse> {
    if state.billing.provider() != Provider::Stripe || state.stripe_webhook_secret.is_empty() {
        return Err(AppError::NotFound);
    }
    let signature = req
        .headers()
        .get("Stripe-Signature")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| AppError::bad_request("Missing Stripe-Signature header."))?;
    stripe_verify(signature, &body, &state.stripe_webhook_secret, Utc::now().timestamp(), DEFAULT_TOLERANCE_SECS)
        .map_err(|e| AppError::bad_request(format!("Invalid signature: {e}.")))?;
    answer(process_webhook(&state, Provider::Stripe, body.to_vec()).await)
}

pub async fn chargebee(state: web::Data<AppState>, req: HttpRequest, body: web::Bytes) -> AppResult<HttpResponse> {
    if state.config.provider != ProviderKind::Chargebee {
        return Err(AppError::NotFound);
    }
    let authorization = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let chargebee = &state.config.chargebee;
    match (&chargebee.webhook_username, &chargebee.webhook_password) {
        (Some(user), Some(password)) => {
            if !basic_auth_matches(authorization, user, password) {
                return Ok(HttpResponse::Unauthorized()
                    .insert_header((header::WWW_AUTHENTICATE, "Basic realm=\"tollgate-webhooks\""))
                    .json(serde_json::json!({ "error": "Webhook credentials are missing or wrong." })));
            }
        }
        _ if state.config.development => {
            log::warn!(
                "accepting an unauthenticated Chargebee webhook: TOLLGATE_ENV=development and no webhook credentials are set"
            );
        }
        _ => {
            log::error!("refused a Chargebee webhook: set CHARGEBEE_WEBHOOK_USERNAME and CHARGEBEE_WEBHOOK_PASSWORD");
            return Ok(HttpResponse::Unauthorized()
                .json(serde_json::json!({ "error": "Webhook credentials are not configured on this server." })));
        }
    }
    answer(process_webhook(&state, Provider::Chargebee, body.to_vec()).await)
}
