//! JSON endpoints. `GET /api/me`: who is signed in and their workspaces. Under `/api/v1/`:
//! entitlements, credits, usage, analytics and the JSON twins of the billing pages, for a
//! workspace API key or the browser's session (see `web::ApiCaller`), described by
//! `GET /api/v1/openapi.json`; and for instance administrators `/api/v1/admin/platform-health/…`.

mod billing;
mod billing_actions;
mod credits;
mod entitlements;
mod openapi;
mod platform_health;
mod usage;

use actix_web::{HttpResponse, web};

use crate::web::SignedIn;

pub async fn me(who: SignedIn) -> HttpResponse {
    let workspaces: Vec<_> =
        who.nav.iter().map(|w| serde_json::json!({ "id": w.id, "name": w.name, "role": w.role })).collect();
    HttpResponse::Ok().json(serde_json::json!({
        "id": who.user.id,
        "email": who.user.email,
        "workspaces": workspaces,
    }))
}

/// The `/api/v1` route table.
pub fn v1(cfg: &mut web::ServiceConfig) {
    cfg.route("/openapi.json", web::get().to(openapi::spec))
        .route("/entitlements", web::get().to(entitlements::show))
        .route("/analytics", web::get().to(entitlements::analytics))
        .route("/credits", web::get().to(credits::show))
        .route("/credits/consume", web::post().to(credits::consume))
        .route("/usage", web::post().to(usage::record))
        .configure(platform_health::configure)
        .service(
            web::scope("/workspaces/{workspace_id}/billing")
                .route("/subscription", web::get().to(billing::subscription))
                .route("/plans", web::get().to(billing::plans))
                .route("/invoices", web::get().to(billing::invoices))
                .route("/upcoming-invoice", web::get().to(billing::upcoming_invoice))
                .route("/addons", web::get().to(billing::addons))
                .route("/checkout", web::post().to(billing_actions::checkout))
                .route("/portal", web::post().to(billing_actions::portal))
                .route("/change-plan", web::post().to(billing_actions::change_plan))
                .route("/cancel", web::post().to(billing_actions::cancel))
                .route("/resume", web::post().to(billing_actions::resume))
                .route("/addons/{code}/purchase", web::post().to(billing_actions::purchase_addon))
                .route("/addons/{code}/cancel", web::post().to(billing_actions::cancel_addon)),
        );
}
