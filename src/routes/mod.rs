//! The route table, in one place, and the handlers grouped by area. Handlers stay thin:
//! extract, authorize, call one domain function, render or redirect.

mod admin;
mod analytics;
mod api;
mod api_keys;
mod assets;
mod auth;
mod billing_page;
mod checkout;
mod health;
mod home;
mod ledger_export;
mod pricing;
mod settings;
mod subscription;
mod test_clock;
mod webhooks;

use actix_web::web;

use crate::error::AppError;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home::index))
        .route("/healthz", web::get().to(health::healthz))
        .route("/static/{file}", web::get().to(assets::serve))
        .route("/pricing", web::get().to(pricing::show))
        .route("/signup", web::get().to(auth::signup_form))
        .route("/signup", web::post().to(auth::signup))
        .route("/login", web::get().to(auth::login_form))
        .route("/login", web::post().to(auth::login))
        .route("/logout", web::post().to(auth::logout))
        .route("/logout/everywhere", web::post().to(auth::logout_everywhere))
        .route("/billing/success", web::get().to(checkout::success))
        .route("/billing/cancelled", web::get().to(checkout::cancelled))
        .service(
            web::scope("/w/{workspace_id}")
                .route("/billing", web::get().to(billing_page::show))
                .route("/billing/clock", web::get().to(test_clock::show))
                .route("/billing/clock", web::post().to(test_clock::advance))
                .route("/settings", web::get().to(settings::show))
                .route("/settings", web::post().to(settings::rename))
                .route("/members", web::post().to(settings::add_member))
                .route("/members/{user_id}/role", web::post().to(settings::change_role))
                .route("/members/{user_id}/remove", web::post().to(settings::remove_member))
                .route("/checkout", web::post().to(checkout::plan))
                .route("/credits/{code}/checkout", web::post().to(checkout::credit_pack))
                .route("/addons/{code}/checkout", web::post().to(checkout::addon))
                .route("/addons/{code}/cancel", web::post().to(subscription::cancel_addon))
                .route("/portal", web::post().to(subscription::portal))
                .route("/plan", web::post().to(subscription::change_plan))
                .route("/subscription/cancel", web::post().to(subscription::cancel))
                .route("/subscription/resume", web::post().to(subscription::resume))
                .route("/analytics", web::get().to(analytics::show))
                .route("/credits/ledger.csv", web::get().to(ledger_export::download))
                .route("/api-keys", web::post().to(api_keys::create))
                .route("/api-keys/{key_id}/revoke", web::post().to(api_keys::revoke)),
        )
        .service(
            web::scope("/webhooks")
                .app_data(web::PayloadConfig::new(webhooks::WEBHOOK_LIMIT))
                .route("/stripe", web::post().to(webhooks::stripe))
                .route("/chargebee", web::post().to(webhooks::chargebee)),
        )
        .service(web::scope("/api").route("/me", web::get().to(api::me)).service(web::scope("/v1").configure(api::v1)))
        .configure(admin::configure);
}

pub async fn not_found() -> Result<actix_web::HttpResponse, AppError> {
    Err(AppError::NotFound)
}
