//! Everything provider-specific lives here, behind the [`BillingProvider`] trait: Stripe
//! (through async-stripe) and Chargebee (its REST API over reqwest). The offline sandbox is not
//! here: it is a Stripe-compatible server of its own (`crate::sandbox`) that the Stripe provider
//! talks to over HTTP.
//! Nothing outside this module sees a provider's JSON: webhooks are parsed into
//! [`crate::domain::normalized::NormalizedEvent`], API answers into the same normalized data types.

pub mod chargebee;
pub mod chargebee_events;
mod json;
pub mod sandbox_prices;
pub mod stripe;
pub mod stripe_events;

use chrono::{DateTime, Utc};

pub use crate::domain::normalized::{
    CheckoutData, CheckoutMode, EventKind, InvoiceData, NormalizedEvent, Provider, RefundData, SubscriptionData,
    SubscriptionStatus,
};
pub use crate::domain::plan_changes::ChangeTiming;

use crate::config::{Config, ProviderKind};

/// Metadata keys Tollgate puts on provider objects, for whoever reads the provider's dashboard.
/// Nothing is granted on their word: fulfilment goes by the checkout Tollgate recorded.
pub mod metadata {
    /// Our workspace id, on checkout sessions, subscriptions and payments.
    pub const WORKSPACE_ID: &str = "workspace_id";
    /// What a checkout buys: "plan", "credit_pack" or "addon".
    pub const KIND: &str = "tollgate_kind";
    /// The catalog code of what is bought (plan, pack or add-on code).
    pub const CODE: &str = "tollgate_code";
}

#[derive(Debug, thiserror::Error)]
pub enum BillingError {
    /// The provider answered and said no (4xx): bad parameters, unknown object, declined.
    #[error("the billing provider refused the request ({status}): {message}")]
    Rejected { status: u16, message: String },
    /// The object does not exist at the provider (404).
    #[error("the billing provider has no such object: {0}")]
    NotFound(String),
    /// Network failure, timeout or a 5xx.
    #[error("the billing provider could not be reached: {0}")]
    Unavailable(String),
    /// The provider answered with something we cannot read.
    #[error("unexpected answer from the billing provider: {0}")]
    Protocol(String),
}

/// What a checkout is for, carried in its metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purchase {
    Plan,
    CreditPack,
    Addon,
}

impl Purchase {
    pub fn as_str(self) -> &'static str {
        match self {
            Purchase::Plan => "plan",
            Purchase::CreditPack => "credit_pack",
            Purchase::Addon => "addon",
        }
    }

    pub fn parse(s: &str) -> Option<Purchase> {
        match s {
            "plan" => Some(Purchase::Plan),
            "credit_pack" => Some(Purchase::CreditPack),
            "addon" => Some(Purchase::Addon),
            _ => None,
        }
    }
}

/// A hosted checkout to create. One shape for all three purchases; `purchase` decides the
/// mode (recurring for plans and add-ons, one-time payment for credit packs).
#[derive(Debug, Clone)]
pub struct CheckoutRequest {
    pub purchase: Purchase,
    pub workspace_id: i64,
    /// The catalog code of the plan, pack or add-on.
    pub code: String,
    /// The provider's price id (Stripe price, Chargebee item price).
    pub price_id: String,
    /// Reuse this customer; when `None` the provider creates one from `email`.
    pub customer_id: Option<String>,
    /// Pre-filled on the hosted page; the admin starting the checkout.
    pub email: String,
    /// Trial to apply (plans only); `None` when the plan has none or the workspace had one.
    pub trial_days: Option<u32>,
    /// The subscription the checkout is about. Add-ons: the plan subscription they attach to
    /// (Chargebee). Plans: the id Tollgate chose for the new subscription, where the provider
    /// takes one (Chargebee's `subscription[id]`), so its webhooks can be tied to the checkout
    /// Tollgate recorded without the browser coming back.
    pub subscription_id: Option<String>,
}

/// A customer to create before its first checkout, so every checkout of a workspace reuses
/// one customer at the provider.
#[derive(Debug, Clone)]
pub struct CustomerRequest {
    pub workspace_id: i64,
    pub email: String,
    /// The id Tollgate chose, for providers that take one (Chargebee); Stripe assigns its own.
    pub id: String,
}

/// A page on the provider's site to send the browser to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostedPage {
    pub id: String,
    pub url: String,
}

/// A checkout as the provider reports it when we ask (never as the URL claims).
#[derive(Debug, Clone)]
pub struct ConfirmedCheckout {
    pub checkout: CheckoutData,
    /// The subscription the checkout created, as it stands now (subscription checkouts).
    pub subscription: Option<SubscriptionData>,
}

impl ConfirmedCheckout {
    /// Paid, or nothing to pay (a trial): the purchase may be fulfilled.
    pub fn is_paid(&self) -> bool {
        self.checkout.status.as_deref() == Some("complete")
            && matches!(self.checkout.payment_status.as_deref(), Some("paid") | Some("no_payment_required"))
    }

    /// The workspace the checkout's metadata names: informational only (fulfilment uses the
    /// workspace Tollgate recorded for the checkout).
    pub fn workspace_id(&self) -> Option<i64> {
        self.checkout
            .client_reference_id
            .as_deref()
            .or_else(|| self.checkout.metadata.get(metadata::WORKSPACE_ID).map(String::as_str))
            .and_then(|id| id.parse().ok())
    }

    /// What the checkout's metadata (or mode) says was bought; informational like `workspace_id`.
    pub fn purchase(&self) -> Option<Purchase> {
        match self.checkout.metadata.get(metadata::KIND) {
            Some(kind) => Purchase::parse(kind),
            None => match self.checkout.mode {
                Some(CheckoutMode::Payment) => Some(Purchase::CreditPack),
                Some(CheckoutMode::Subscription) => Some(Purchase::Plan),
                _ => None,
            },
        }
    }
}

#[derive(Debug, Clone)]
pub struct PlanChange {
    /// The subscription as the provider reports it after the request.
    pub subscription: SubscriptionData,
    /// False when the provider kept the old plan because the proration charge failed.
    pub applied: bool,
}

/// A Stripe test clock (test mode only): the time a customer's objects live in, which moves
/// only when the clock is advanced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestClock {
    pub id: String,
    pub frozen_time: DateTime<Utc>,
    /// Still moving towards this time (Stripe advances asynchronously); `None` once ready.
    pub advancing_to: Option<DateTime<Utc>>,
}

impl TestClock {
    /// The customer's "now": where the clock is, or is going while it advances (the events it
    /// sends meanwhile describe the new time).
    pub fn now(&self) -> DateTime<Utc> {
        self.advancing_to.unwrap_or(self.frozen_time)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct InvoicePreview {
    pub amount_due_minor: i64,
    pub currency: String,
    pub next_payment_at: Option<DateTime<Utc>>,
}

/// The operations Tollgate needs from a billing provider.
#[expect(async_fn_in_trait, reason = "called from actix handlers on single-threaded workers; no Send bound needed")]
pub trait BillingProvider {
    /// Which webhook endpoint and id namespace this provider uses.
    fn provider(&self) -> Provider;
    /// Whether the provider lets Tollgate choose a new subscription's id (Chargebee).
    fn assigns_subscription_ids(&self) -> bool;
    /// Creates a customer and returns its id.
    async fn create_customer(&self, request: &CustomerRequest) -> Result<String, BillingError>;
    async fn create_checkout(&self, request: &CheckoutRequest) -> Result<HostedPage, BillingError>;
    async fn confirm_checkout(&self, checkout_id: &str) -> Result<ConfirmedCheckout, BillingError>;
    async fn create_portal_session(&self, customer_id: &str, return_url: &str) -> Result<HostedPage, BillingError>;
    async fn change_plan(
        &self,
        subscription_id: &str,
        new_price_id: &str,
        timing: ChangeTiming,
    ) -> Result<PlanChange, BillingError>;
    /// Undoes a change scheduled for the period end: the subscription stays on
    /// `current_price_id`, with nothing charged or refunded.
    async fn cancel_scheduled_change(
        &self,
        subscription_id: &str,
        current_price_id: &str,
    ) -> Result<SubscriptionData, BillingError>;
    async fn cancel_at_period_end(&self, subscription_id: &str) -> Result<SubscriptionData, BillingError>;
    async fn reactivate(&self, subscription_id: &str) -> Result<SubscriptionData, BillingError>;
    /// Ends an add-on at the end of its period (`subscription_id` is the add-on's own
    /// subscription on Stripe; on Chargebee the plan subscription it is attached to).
    async fn cancel_addon(&self, subscription_id: &str, addon_price_id: &str) -> Result<(), BillingError>;
    async fn list_invoices(&self, customer_id: &str) -> Result<Vec<InvoiceData>, BillingError>;
    async fn preview_upcoming_invoice(
        &self,
        customer_id: &str,
        subscription_id: &str,
    ) -> Result<InvoicePreview, BillingError>;
    /// Moves a trialing subscription's trial end to `trial_end`, charging nothing now: the first
    /// charge follows the new end. The provider's answer is the subscription after the move.
    async fn extend_trial(
        &self,
        subscription_id: &str,
        trial_end: DateTime<Utc>,
    ) -> Result<SubscriptionData, BillingError>;
    async fn fetch_subscription(&self, subscription_id: &str) -> Result<SubscriptionData, BillingError>;
    /// A customer's subscriptions, cancelled ones included, newest first.
    async fn list_subscriptions(&self, customer_id: &str) -> Result<Vec<SubscriptionData>, BillingError>;

    /// Whether each new customer gets a test clock of its own (Stripe test mode, as the sandbox
    /// runs it): then time-based rules for that customer follow its clock, and the app can move it.
    fn uses_test_clocks(&self) -> bool;
    /// The test clock a customer lives on, if any.
    async fn customer_test_clock(&self, customer_id: &str) -> Result<Option<TestClock>, BillingError>;
    /// Moves a test clock forward to `to` and waits until the provider is done (`ready`).
    async fn advance_test_clock(&self, clock_id: &str, to: DateTime<Utc>) -> Result<TestClock, BillingError>;
}

/// The configured provider. An enum rather than `dyn` because the trait's methods are async.
pub enum Billing {
    Stripe(stripe::StripeProvider),
    Chargebee(chargebee::ChargebeeProvider),
}

/// How the app reaches its own offline sandbox (`crate::sandbox`) as a Stripe client would:
/// the sandbox's API base and this installation's generated secret key.
#[derive(Clone)]
pub struct SandboxAccess {
    /// `http://…/sandbox/`, with the trailing slash async-stripe expects.
    pub api_base: String,
    pub api_key: String,
}

impl Billing {
    /// Builds the provider from config. The sandbox is the Stripe provider pointed at the
    /// sandbox's API with the installation's key (`sandbox`, required in sandbox mode), so every
    /// local run exercises the real Stripe code path.
    pub fn from_config(config: &Config, sandbox: Option<&SandboxAccess>) -> Result<Billing, String> {
        match config.provider {
            ProviderKind::Stripe => Ok(Billing::Stripe(stripe::StripeProvider::new(
                &config.stripe.secret_key,
                &config.stripe.api_base,
                &config.base_url,
            )?)),
            ProviderKind::Sandbox => {
                let sandbox = sandbox.ok_or("the sandbox provider needs the sandbox's address and API key")?;
                let provider = stripe::StripeProvider::new(&sandbox.api_key, &sandbox.api_base, &config.base_url)?;
                // Each customer gets its own test clock, as a test-mode integration would create.
                Ok(Billing::Stripe(provider.with_test_clocks()))
            }
            ProviderKind::Chargebee => Ok(Billing::Chargebee(chargebee::ChargebeeProvider::new(
                &config.chargebee.api_base,
                &config.chargebee.api_key,
                &config.base_url,
            )?)),
        }
    }
}

macro_rules! delegate {
    ($self:ident, $p:ident => $call:expr) => {
        match $self {
            Billing::Stripe($p) => $call.await,
            Billing::Chargebee($p) => $call.await,
        }
    };
}

impl BillingProvider for Billing {
    fn provider(&self) -> Provider {
        match self {
            Billing::Stripe(p) => p.provider(),
            Billing::Chargebee(p) => p.provider(),
        }
    }
    fn assigns_subscription_ids(&self) -> bool {
        match self {
            Billing::Stripe(p) => p.assigns_subscription_ids(),
            Billing::Chargebee(p) => p.assigns_subscription_ids(),
        }
    }
    async fn create_customer(&self, request: &CustomerRequest) -> Result<String, BillingError> {
        delegate!(self, p => p.create_customer(request))
    }
    async fn create_checkout(&self, request: &CheckoutRequest) -> Result<HostedPage, BillingError> {
        delegate!(self, p => p.create_checkout(request))
    }
    async fn confirm_checkout(&self, checkout_id: &str) -> Result<ConfirmedCheckout, BillingError> {
        delegate!(self, p => p.confirm_checkout(checkout_id))
    }
    async fn create_portal_session(&self, customer_id: &str, return_url: &str) -> Result<HostedPage, BillingError> {
        delegate!(self, p => p.create_portal_session(customer_id, return_url))
    }
    async fn change_plan(
        &self,
        subscription_id: &str,
        new_price_id: &str,
        timing: ChangeTiming,
    ) -> Result<PlanChange, BillingError> {
        delegate!(self, p => p.change_plan(subscription_id, new_price_id, timing))
    }
    async fn cancel_scheduled_change(
        &self,
        subscription_id: &str,
        current_price_id: &str,
    ) -> Result<SubscriptionData, BillingError> {
        delegate!(self, p => p.cancel_scheduled_change(subscription_id, current_price_id))
    }
    async fn cancel_at_period_end(&self, subscription_id: &str) -> Result<SubscriptionData, BillingError> {
        delegate!(self, p => p.cancel_at_period_end(subscription_id))
    }
    async fn reactivate(&self, subscription_id: &str) -> Result<SubscriptionData, BillingError> {
        delegate!(self, p => p.reactivate(subscription_id))
    }
    async fn cancel_addon(&self, subscription_id: &str, addon_price_id: &str) -> Result<(), BillingError> {
        delegate!(self, p => p.cancel_addon(subscription_id, addon_price_id))
    }
    async fn list_invoices(&self, customer_id: &str) -> Result<Vec<InvoiceData>, BillingError> {
        delegate!(self, p => p.list_invoices(customer_id))
    }
    async fn preview_upcoming_invoice(
        &self,
        customer_id: &str,
        subscription_id: &str,
    ) -> Result<InvoicePreview, BillingError> {
        delegate!(self, p => p.preview_upcoming_invoice(customer_id, subscription_id))
    }
    async fn extend_trial(
        &self,
        subscription_id: &str,
        trial_end: DateTime<Utc>,
    ) -> Result<SubscriptionData, BillingError> {
        delegate!(self, p => p.extend_trial(subscription_id, trial_end))
    }
    async fn fetch_subscription(&self, subscription_id: &str) -> Result<SubscriptionData, BillingError> {
        delegate!(self, p => p.fetch_subscription(subscription_id))
    }
    async fn list_subscriptions(&self, customer_id: &str) -> Result<Vec<SubscriptionData>, BillingError> {
        delegate!(self, p => p.list_subscriptions(customer_id))
    }
    fn uses_test_clocks(&self) -> bool {
        match self {
            Billing::Stripe(p) => p.uses_test_clocks(),
            Billing::Chargebee(p) => p.uses_test_clocks(),
        }
    }
    async fn customer_test_clock(&self, customer_id: &str) -> Result<Option<TestClock>, BillingError> {
        delegate!(self, p => p.customer_test_clock(customer_id))
    }
    async fn advance_test_clock(&self, clock_id: &str, to: DateTime<Utc>) -> Result<TestClock, BillingError> {
        delegate!(self, p => p.advance_test_clock(clock_id, to))
    }
}
