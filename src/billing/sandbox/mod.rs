//! The offline sandbox: a small Stripe served by the app itself under `/sandbox/`, used when
//! `BILLING_PROVIDER=sandbox` (the default). The Stripe provider talks to it over HTTP with
//! its base URL pointed here, so every local run exercises the real Stripe code path.
//!
//! * `api` — the Stripe REST subset (`/sandbox/v1/…`), Stripe-shaped JSON (`shapes`).
//! * `pages` — the hosted checkout and portal pages; `clock` — time travel for renewals.
//! * `checkout`, `subscriptions` — what the operations do to the sandbox's state (`store`).
//! * `events` — Stripe-shaped events, stored, signed and delivered to `/webhooks/stripe`.
//!
//! Every `/sandbox/` route is refused (404) unless the sandbox is the configured provider.

mod api;
pub mod cards;
mod checkout;
mod clock;
mod error;
pub mod events;
mod form;
mod ops;
mod pages;
mod shapes;
pub mod store;
mod subscriptions;

use actix_web::{guard, web};

pub use error::SandboxError;

use crate::config::ProviderKind;
use crate::db::{DbConnection, write_transaction};
use crate::state::AppState;

/// Registers the sandbox's routes under `/sandbox/`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/sandbox")
            // With another provider configured the scope does not match at all: the app's
            // ordinary 404 answers, and nothing here is reachable.
            .guard(guard::fn_guard(|ctx| {
                ctx.app_data::<web::Data<AppState>>().is_some_and(|s| s.config.provider == ProviderKind::Sandbox)
            }))
            .service(
                web::scope("/v1")
                    .route("/customers", web::post().to(api::create_customer))
                    .route("/customers/{id}", web::get().to(api::retrieve_customer))
                    .route("/checkout/sessions", web::post().to(api::create_checkout_session))
                    .route("/checkout/sessions/{id}", web::get().to(api::retrieve_checkout_session))
                    .route("/billing_portal/sessions", web::post().to(api::create_portal_session))
                    .route("/subscriptions/{id}", web::get().to(api::retrieve_subscription))
                    .route("/subscriptions/{id}", web::post().to(api::update_subscription))
                    .route("/subscriptions/{id}", web::delete().to(api::cancel_subscription))
                    .route("/invoices", web::get().to(api::list_invoices))
                    .route("/invoices/create_preview", web::post().to(api::preview_invoice)),
            )
            .route("/checkout/{id}", web::get().to(pages::checkout_page))
            .route("/checkout/{id}/pay", web::post().to(pages::pay))
            .route("/portal/{id}", web::get().to(pages::portal_page))
            .route("/portal/{id}/card", web::post().to(pages::update_card))
            .route("/portal/{id}/subscriptions/{sub}/cancel", web::post().to(pages::cancel))
            .route("/portal/{id}/subscriptions/{sub}/resume", web::post().to(pages::resume))
            .route("/clock", web::get().to(clock::page))
            .route("/clock.json", web::get().to(clock::now_json))
            .route("/clock/advance", web::post().to(clock::advance))
            .route("/events.json", web::get().to(clock::events_json))
            .route("/events/redeliver", web::post().to(clock::redeliver)),
    );
}

/// Runs `f` in a write transaction on the blocking pool.
async fn transaction<T, F>(state: &AppState, f: F) -> Result<T, SandboxError>
where
    F: FnOnce(&mut DbConnection) -> Result<T, SandboxError> + Send + 'static,
    T: Send + 'static,
{
    state.db.run(move |conn| Ok(write_transaction(conn, f))).await?
}

/// The hosted page for a checkout or portal session.
fn page_url(state: &AppState, kind: &str, id: &str) -> String {
    format!("{}/sandbox/{kind}/{id}", state.config.base_url)
}
