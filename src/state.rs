//! The state every request handler, service and job shares, handed to handlers as
//! `web::Data<AppState>`. A leaf: it holds handles from the lower layers (database, billing
//! provider, settings) and imports nothing from routes, services or start-up, so any layer
//! may name it without creating an import circle.

use std::sync::Arc;

use crate::billing::Billing;
use crate::config::Config;
use crate::db::Db;

pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    pub billing: Billing,
    /// The secret `/webhooks/stripe` verifies signatures with: `STRIPE_WEBHOOK_SECRET` for
    /// Stripe, the sandbox's own (`SANDBOX_WEBHOOK_SECRET` or a generated one) in sandbox mode.
    pub stripe_webhook_secret: String,
}
