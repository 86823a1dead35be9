//! The offline sandbox: a small Stripe-compatible server, mounted under `/sandbox/` by
//! `startup.rs` only when `BILLING_PROVIDER=sandbox` (the default). The app's Stripe provider
//! talks to it over HTTP exactly as it talks to Stripe, so every local run exercises the real
//! Stripe code path.
//!
//! It is a component of its own, not a billing adapter, and knows nothing of the app: it depends
//! only on `crate::db` (connections, transactions) and `crate::signature` (to sign its events).
//! It has its own state ([`SandboxState`]), tables (`schema`), errors, page plumbing and
//! templates (`templates/sandbox/`), so the app can change freely around it and the sandbox could
//! become a crate without edits.
//!
//! * `api`, `catalog_api`, `clock_api` — the Stripe REST subset (`/sandbox/v1/…`) in Stripe's
//!   shapes (`shapes`), behind `auth` (the installation's API key); anything else under `/v1/`
//!   answers Stripe's JSON errors (`unrecognized`), never a page; `catalog` — the products and
//!   prices merchants (the app) register there.
//! * `pages` — the hosted checkout and portal; `html` — their CSRF tokens, rendering, redirects.
//! * `checkout`, `subscriptions`, `changes`, `ops` — what the operations do to the sandbox's rows
//!   (`store`); `schedules` (`schedule_phases`, API in `schedule_api`) — subscription schedules;
//!   `renewals` — what falls due when a clock moves (phase ends, cancellations, renewals).
//! * `test_clocks`, `time` — Stripe's test clocks: each customer's time, and moving it forward.
//! * `events` — Stripe-shaped events, stored, signed and delivered to the app's `/webhooks/stripe`.
//! * `money`, `form`, `cards` — small helpers.
//!
//! Nothing here is usable without the API key: the hosted pages open only through sessions
//! created with it, and they send browsers only to the app's own address (`on_public_url`).

mod api;
mod auth;
pub mod cards;
pub mod catalog;
mod catalog_api;
mod changes;
mod checkout;
mod clock_api;
mod error;
pub mod events;
mod form;
mod html;
mod money;
mod ops;
mod pages;
mod renewals;
mod schedule_api;
mod schedule_phases;
mod schedules;
pub mod schema;
mod shapes;
pub mod store;
mod subscriptions;
pub mod test_clocks;
pub mod time;
mod unrecognized;

use actix_web::web;

pub use error::{PageError, SandboxError};

use crate::db::{Db, DbConnection, write_transaction};

/// Everything the sandbox's handlers share, as `web::Data<SandboxState>` inside its scope.
pub struct SandboxState {
    pub db: Db,
    /// Where browsers reach the hosted pages: the app's public `BASE_URL`, no trailing slash.
    pub public_url: String,
    /// Where the sandbox reaches the app to deliver events (`{app_url}/webhooks/stripe`): the
    /// server's own bound address, so delivery does not depend on how `BASE_URL` is routed.
    pub app_url: String,
    /// The secret key API requests must carry (`Authorization: Bearer sk_test_…`).
    pub api_key: String,
    /// The secret events are signed with (`whsec_…`); the app verifies with the same one.
    pub webhook_secret: String,
    /// The operator serves the sandbox publicly on purpose (`SANDBOX_PUBLIC=true`): its pages say
    /// so as loudly as the app's.
    pub public_demo: bool,
}

impl SandboxState {
    pub fn new(db: Db, public_url: &str, app_url: &str, api_key: String, webhook_secret: String) -> SandboxState {
        SandboxState {
            db,
            public_url: public_url.trim_end_matches('/').to_owned(),
            app_url: app_url.trim_end_matches('/').to_owned(),
            api_key,
            webhook_secret,
            public_demo: false,
        }
    }

    /// Marks the sandbox as a deliberate public demo (see [`SandboxState::public_demo`]).
    pub fn as_public_demo(mut self, public_demo: bool) -> SandboxState {
        self.public_demo = public_demo;
        self
    }

    /// The hosted page for a checkout or portal session.
    fn page_url(&self, kind: &str, id: &str) -> String {
        format!("{}/sandbox/{kind}/{id}", self.public_url)
    }

    /// Whether `url` is an address on the app's own `BASE_URL` (which is http or https): the only
    /// place the hosted pages send a browser back to, so a session cannot be made to bounce
    /// customers to another site or run a `javascript:` link.
    pub fn on_public_url(&self, url: &str) -> bool {
        let base = self.public_url.as_str();
        let on_base = url == base || url.strip_prefix(base).is_some_and(|rest| rest.starts_with(['/', '?', '#']));
        on_base && !url.chars().any(|c| c.is_control() || c.is_whitespace() || c == '\\')
    }

    /// `url` when it is on the app's address, else the app's address itself: what a page links.
    fn safe_link(&self, url: &str) -> String {
        if self.on_public_url(url) { url.to_owned() } else { self.public_url.clone() }
    }

    /// Refuses a session whose return address (`param`) is not on the app's address, as a
    /// Stripe-shaped 400.
    fn check_return_url(&self, param: &str, url: &str) -> Result<(), SandboxError> {
        if self.on_public_url(url) {
            return Ok(());
        }
        Err(SandboxError::invalid(format!(
            "Invalid URL for {param}: the sandbox only sends customers back to this installation, so it must be an \
             http(s) address starting with {}.",
            self.public_url
        )))
    }
}

/// Mounts the sandbox under `/sandbox/` with its state; `startup.rs` calls this only when the
/// sandbox is the configured provider, so with any other provider nothing here exists.
pub fn configure(cfg: &mut web::ServiceConfig, state: web::Data<SandboxState>) {
    cfg.service(
        web::scope("/sandbox")
            .app_data(state)
            .app_data(web::PayloadConfig::new(html::FORM_LIMIT))
            .service(
                web::scope("/v1")
                    .wrap_fn(unrecognized::stripe_errors)
                    .default_service(web::to(unrecognized::route))
                    .route("/customers", web::post().to(api::create_customer))
                    .route("/customers/{id}", web::get().to(api::retrieve_customer))
                    .route("/checkout/sessions", web::post().to(api::create_checkout_session))
                    .route("/checkout/sessions/{id}", web::get().to(api::retrieve_checkout_session))
                    .route("/billing_portal/sessions", web::post().to(api::create_portal_session))
                    .route("/subscriptions", web::get().to(api::list_subscriptions))
                    .route("/subscriptions/{id}", web::get().to(api::retrieve_subscription))
                    .route("/subscriptions/{id}", web::post().to(api::update_subscription))
                    .route("/subscriptions/{id}", web::delete().to(api::cancel_subscription))
                    .route("/subscription_schedules", web::post().to(schedule_api::create))
                    .route("/subscription_schedules/{id}", web::get().to(schedule_api::retrieve))
                    .route("/subscription_schedules/{id}", web::post().to(schedule_api::update))
                    .route("/subscription_schedules/{id}/release", web::post().to(schedule_api::release))
                    .route("/invoices", web::get().to(api::list_invoices))
                    .route("/invoices/create_preview", web::post().to(api::preview_invoice))
                    .route("/products", web::post().to(catalog_api::create_product))
                    .route("/products/{id}", web::get().to(catalog_api::retrieve_product))
                    .route("/products/{id}", web::post().to(catalog_api::update_product))
                    .route("/prices", web::post().to(catalog_api::create_price))
                    .route("/prices", web::get().to(catalog_api::list_prices))
                    .route("/prices/{id}", web::get().to(catalog_api::retrieve_price))
                    .route("/test_helpers/test_clocks", web::post().to(clock_api::create))
                    .route("/test_helpers/test_clocks", web::get().to(clock_api::list))
                    .route("/test_helpers/test_clocks/{id}", web::get().to(clock_api::retrieve))
                    .route("/test_helpers/test_clocks/{id}", web::delete().to(clock_api::delete))
                    .route("/test_helpers/test_clocks/{id}/advance", web::post().to(clock_api::advance)),
            )
            .route("/checkout/{id}", web::get().to(pages::checkout_page))
            .route("/checkout/{id}/pay", web::post().to(pages::pay))
            .route("/portal/{id}", web::get().to(pages::portal_page))
            .route("/portal/{id}/card", web::post().to(pages::update_card))
            .route("/portal/{id}/subscriptions/{sub}/cancel", web::post().to(pages::cancel))
            .route("/portal/{id}/subscriptions/{sub}/resume", web::post().to(pages::resume))
            // The merchant's event log; like the API, only with the key.
            .route("/events.json", web::get().to(api::events_json))
            .route("/events/redeliver", web::post().to(api::redeliver)),
    );
}

/// Runs `f` in a write transaction on the blocking pool.
async fn transaction<T, F>(state: &SandboxState, f: F) -> Result<T, SandboxError>
where
    F: FnOnce(&mut DbConnection) -> Result<T, SandboxError> + Send + 'static,
    T: Send + 'static,
{
    state.db.run_with(move |conn| write_transaction(conn, f)).await
}
