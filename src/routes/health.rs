//! `GET /healthz` for load balancers: 200 when the database answers, 503 when not.

use actix_web::{HttpResponse, web};
use std::time::Duration;

use crate::state::AppState;

pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    let backend = match state.db.backend() {
        crate::db::Backend::Sqlite => "sqlite",
        crate::db::Backend::Postgres => "postgres",
    };
    let probe = state.db.ping(Duration::from_secs(2)).await;
    match probe {
        Ok(()) => HttpResponse::Ok().json(serde_json::json!({ "status": "ok", "database": backend })),
        Err(e) => {
            log::warn!("health check failed: {e:?}");
            HttpResponse::ServiceUnavailable().json(serde_json::json!({ "status": "unavailable", "database": backend }))
        }
    }
}
