//! `GET /api/v1/entitlements`: everything the product needs to decide what the workspace may
//! do now. `GET /api/v1/analytics`: the analytics page as JSON (gated like the page).

use actix_web::{HttpResponse, web};
use serde::Serialize;

use crate::domain::entitlements::Entitlements;
use crate::error::AppResult;
use crate::services::analytics::{AnalyticsData, analytics as load_analytics};
use crate::services::entitlements::entitlements_now;
use crate::state::AppState;
use crate::web::{Analytics, ApiCaller, RequireFeature};

#[derive(Serialize, utoipa::ToSchema)]
pub struct EntitlementsBody {
    pub workspace_id: i64,
    #[serde(flatten)]
    pub entitlements: Entitlements,
}

/// What the workspace may do now: plan, standing, period, features, limits with this
/// period's usage, seats and credit balances.
#[utoipa::path(get, path = "/api/v1/entitlements", tag = "entitlements",
    params(("workspace_id" = Option<i64>, Query, description = "With a session: which workspace (default: the last used)")),
    responses((status = 200, body = EntitlementsBody), (status = 401, body = crate::routes::api::openapi::ErrorBody)),
    security(("api_key" = []), ("session" = [])))]
pub async fn show(state: web::Data<AppState>, caller: ApiCaller) -> AppResult<HttpResponse> {
    let snap = entitlements_now(&state, caller.workspace.id).await?;
    Ok(HttpResponse::Ok()
        .json(EntitlementsBody { workspace_id: caller.workspace.id.0, entitlements: snap.entitlements }))
}

/// Credits spent per day and quota use over the current and last periods (plans with
/// `analytics`; otherwise 402 with an `upgrade_url`).
#[utoipa::path(get, path = "/api/v1/analytics", tag = "entitlements",
    params(("workspace_id" = Option<i64>, Query, description = "With a session: which workspace")),
    responses((status = 200, body = AnalyticsData), (status = 402, body = crate::routes::api::openapi::ErrorBody)),
    security(("api_key" = []), ("session" = [])))]
pub async fn analytics(
    state: web::Data<AppState>,
    gate: RequireFeature<Analytics, ApiCaller>,
) -> AppResult<HttpResponse> {
    let (_, data) = load_analytics(&state, gate.access.workspace.id).await?;
    Ok(HttpResponse::Ok().json(data))
}
