//! `GET /api/v1/openapi.json`: the v1 API described by the handlers' own annotations and
//! the response types' derives (utoipa), so the description cannot drift from the code.

use actix_web::HttpResponse;
use serde::Serialize;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{billing, billing_actions, credits, entitlements, platform_health, usage};
use crate::error::AppResult;

/// Every v1 error: a message for people, a stable `code` for programs, and per code extra
/// fields (`field` for `invalid_field`; `feature` and `upgrade_url` for `upgrade_required`,
/// `quota_exceeded` and `seat_limit`).
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: String,
    pub code: String,
    pub field: Option<String>,
    pub feature: Option<String>,
    pub upgrade_url: Option<String>,
}

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("tgk_…")
                    .description(Some("A workspace API key from its settings page (plans with `api_access`)."))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "admin_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("tgk_…")
                    .description(Some(
                        "An instance administrator's key, from `tollgate admin key create EMAIL` (the admin API only).",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "tollgate_session",
                "The browser's session; writes also need the `X-CSRF-Token` header.",
            ))),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Tollgate API", version = "1", description = "Entitlements, credits, usage and billing of a Tollgate workspace."),
    paths(
        entitlements::show,
        entitlements::analytics,
        credits::show,
        credits::consume,
        usage::record,
        billing::subscription,
        billing::plans,
        billing::invoices,
        billing::upcoming_invoice,
        billing::addons,
        billing_actions::checkout,
        billing_actions::portal,
        billing_actions::change_plan,
        billing_actions::cancel,
        billing_actions::resume,
        billing_actions::purchase_addon,
        billing_actions::cancel_addon,
        platform_health::health,
        platform_health::capacity_now,
        platform_health::trends,
        platform_health::recommendations,
        platform_health::snapshot,
        spec,
    ),
    components(schemas(ErrorBody)),
    modifiers(&Security),
    tags((name = "entitlements"), (name = "credits"), (name = "usage"), (name = "billing"), (name = "admin"), (name = "meta"))
)]
pub struct ApiDoc;

/// This document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "meta", responses((status = 200, description = "OpenAPI 3.1")))]
pub async fn spec() -> AppResult<HttpResponse> {
    let json = ApiDoc::openapi()
        .to_json()
        .map_err(|e| crate::error::AppError::internal(format!("encoding the OpenAPI document: {e}")))?;
    Ok(HttpResponse::Ok().content_type("application/json").body(json))
}
