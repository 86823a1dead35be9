//! `/api/v1/admin/platform-health/…`: the installation's health, capacity, growth trends and
//! scaling recommendations as JSON, and a capacity snapshot on demand — for instance
//! administrators (`PlatformAdmin`: an admin session or an admin API key); 404 for everyone else.

use actix_web::{HttpResponse, web};
use serde::Serialize;

use crate::domain::capacity::{Recommendation, Snapshot, Trend, Utilisation};
use crate::error::AppResult;
use crate::services::platform_health::{Health, capacity, health as load_health, snapshot_now};
use crate::state::AppState;
use crate::web::PlatformAdmin;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/admin/platform-health")
            .route("/health", web::get().to(health))
            .route("/capacity", web::get().to(capacity_now))
            .route("/trends", web::get().to(trends))
            .route("/recommendations", web::get().to(recommendations))
            .route("/snapshot", web::post().to(snapshot)),
    );
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CapacityBody {
    /// The newest snapshot; `null` before the first one.
    pub latest: Option<Snapshot>,
    pub utilisation: Vec<Utilisation>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TrendsBody {
    /// Every followed metric over 7, 30 and 90 days.
    pub trends: Vec<Trend>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RecommendationsBody {
    /// Most severe first.
    pub recommendations: Vec<Recommendation>,
}

/// Whether the jobs and webhook events are healthy, which database runs, the latest snapshot.
#[utoipa::path(get, path = "/api/v1/admin/platform-health/health", tag = "admin",
    responses((status = 200, body = Health), (status = 404, body = crate::routes::api::openapi::ErrorBody)),
    security(("admin_key" = []), ("session" = [])))]
pub async fn health(state: web::Data<AppState>, _admin: PlatformAdmin) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(load_health(&state).await?))
}

/// The latest capacity snapshot and utilisation against the plans' theoretical limits.
#[utoipa::path(get, path = "/api/v1/admin/platform-health/capacity", tag = "admin",
    responses((status = 200, body = CapacityBody), (status = 404, body = crate::routes::api::openapi::ErrorBody)),
    security(("admin_key" = []), ("session" = [])))]
pub async fn capacity_now(state: web::Data<AppState>, _admin: PlatformAdmin) -> AppResult<HttpResponse> {
    let c = capacity(&state).await?;
    Ok(HttpResponse::Ok().json(CapacityBody { latest: c.latest, utilisation: c.utilisation }))
}

/// Growth over 7, 30 and 90 days: start, current, change, growth %, daily rate, next month.
#[utoipa::path(get, path = "/api/v1/admin/platform-health/trends", tag = "admin",
    responses((status = 200, body = TrendsBody), (status = 404, body = crate::routes::api::openapi::ErrorBody)),
    security(("admin_key" = []), ("session" = [])))]
pub async fn trends(state: web::Data<AppState>, _admin: PlatformAdmin) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(TrendsBody { trends: capacity(&state).await?.trends }))
}

/// Scaling recommendations: category, severity, title, description, action.
#[utoipa::path(get, path = "/api/v1/admin/platform-health/recommendations", tag = "admin",
    responses((status = 200, body = RecommendationsBody), (status = 404, body = crate::routes::api::openapi::ErrorBody)),
    security(("admin_key" = []), ("session" = [])))]
pub async fn recommendations(state: web::Data<AppState>, _admin: PlatformAdmin) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(RecommendationsBody { recommendations: capacity(&state).await?.recommendations }))
}

/// Takes a capacity snapshot now (audited). A session needs `X-CSRF-Token`.
#[utoipa::path(post, path = "/api/v1/admin/platform-health/snapshot", tag = "admin",
    responses((status = 201, body = Snapshot), (status = 403, body = crate::routes::api::openapi::ErrorBody),
        (status = 404, body = crate::routes::api::openapi::ErrorBody)),
    security(("admin_key" = []), ("session" = [])))]
pub async fn snapshot(state: web::Data<AppState>, admin: PlatformAdmin) -> AppResult<HttpResponse> {
    let taken = snapshot_now(&state, admin.email, Some(admin.user_id)).await?;
    Ok(HttpResponse::Created().json(taken))
}
