//! The Stripe provider, through async-stripe: its typed request builders encode every request
//! (so parameter names and nesting are the crate's, not hand-written strings), and its client
//! sends them (auth, `Stripe-Version`, base URL override for the sandbox and tests).
//!
//! Answers are read leniently, with the same code that reads webhook events
//! (`stripe_events`), instead of async-stripe's generated types: those reject any object that
//! lacks a field of the crate's pinned API version, which turns a harmless API-version drift
//! (or an older Stripe-compatible server such as localstripe) into an opaque "error
//! deserializing request data". We only need a handful of fields; see `answers`.

mod answers;
mod changes;
mod clocks;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use ::stripe::StripeRequest;
use stripe_billing::billing_portal_session::CreateBillingPortalSession;
use stripe_billing::invoice::{CreatePreviewInvoice, ListInvoice};
use stripe_billing::subscription::{
    RetrieveSubscription, UpdateSubscription, UpdateSubscriptionProrationBehavior, UpdateSubscriptionTrialEnd,
};
use stripe_checkout::CheckoutSessionMode;
use stripe_checkout::checkout_session::{
    CreateCheckoutSession, CreateCheckoutSessionCustomerCreation, CreateCheckoutSessionLineItems,
    CreateCheckoutSessionPaymentIntentData, CreateCheckoutSessionSubscriptionData, RetrieveCheckoutSession,
};
use stripe_core::customer::CreateCustomer;

use super::*;
use answers::Answer;

/// How many invoices the billing page lists.
const INVOICE_PAGE: i64 = 24;

pub struct StripeProvider {
    /// Boxed: the client is large, and `Billing` holds one provider inline.
    client: Box<::stripe::Client>,
    /// Tollgate's public address, for the success/cancel/return URLs.
    base_url: String,
    /// Test mode with a test clock per customer (the sandbox): see `clocks`.
    test_clocks: bool,
    /// Which test clock each customer lives on, once asked: a customer never changes clocks.
    clock_of: Mutex<HashMap<String, String>>,
}

impl StripeProvider {
    /// `api_base` is Stripe's (`https://api.stripe.com/`), the sandbox's or a test server's.
    pub fn new(secret_key: &str, api_base: &str, base_url: &str) -> Result<StripeProvider, String> {
        // async-stripe appends `v1/...` to the base as is, so the slash must be there.
        let api_base = if api_base.ends_with('/') { api_base.to_owned() } else { format!("{api_base}/") };
        let client = ::stripe::ClientBuilder::new(secret_key)
            .url(api_base)
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|_| "STRIPE_SECRET_KEY or STRIPE_API_BASE is not usable in an HTTP request".to_owned())?;
        Ok(StripeProvider {
            client: Box::new(client),
            base_url: base_url.trim_end_matches('/').to_owned(),
            test_clocks: false,
            clock_of: Mutex::default(),
        })
    }

    /// Gives every customer this provider creates a test clock of its own (test mode only).
    pub fn with_test_clocks(mut self) -> StripeProvider {
        self.test_clocks = true;
        self
    }

    /// Sends a request built by async-stripe and returns the answer as JSON.
    async fn call<R: StripeRequest>(&self, what: &str, request: &R) -> Result<Answer, BillingError> {
        let sent = request.build().customize::<miniserde::json::Value>().send(self.client.as_ref()).await;
        answers::read(what, sent)
    }

    async fn subscription_json(&self, subscription_id: &str) -> Result<Answer, BillingError> {
        self.call("retrieve subscription", &RetrieveSubscription::new(subscription_id)).await
    }

    async fn set_cancel_at_period_end(
        &self,
        subscription_id: &str,
        cancel: bool,
    ) -> Result<SubscriptionData, BillingError> {
        let request = UpdateSubscription::new(subscription_id).cancel_at_period_end(cancel);
        self.call("update subscription", &request).await?.subscription()
    }
}

fn tollgate_metadata(request: &CheckoutRequest) -> HashMap<String, String> {
    HashMap::from([
        (metadata::WORKSPACE_ID.to_owned(), request.workspace_id.to_string()),
        (metadata::KIND.to_owned(), request.purchase.as_str().to_owned()),
        (metadata::CODE.to_owned(), request.code.clone()),
    ])
}

impl StripeProvider {
    fn checkout_request(&self, request: &CheckoutRequest) -> CreateCheckoutSession {
        let meta = tollgate_metadata(request);
        let line = CreateCheckoutSessionLineItems {
            price: Some(request.price_id.clone()),
            quantity: Some(1),
            ..CreateCheckoutSessionLineItems::new()
        };
        let mut create = CreateCheckoutSession::new()
            .line_items(vec![line])
            .client_reference_id(request.workspace_id.to_string())
            .allow_promotion_codes(true)
            .metadata(meta.clone())
            // Stripe fills in `{CHECKOUT_SESSION_ID}`; the success page validates it with the API.
            .success_url(format!("{}/billing/success?session_id={{CHECKOUT_SESSION_ID}}", self.base_url))
            .cancel_url(format!("{}/billing/cancelled", self.base_url));
        create = match &request.customer_id {
            Some(customer) => create.customer(customer.clone()),
            None => create.customer_email(request.email.clone()),
        };
        match request.purchase {
            Purchase::Plan | Purchase::Addon => {
                // Add-ons are subscriptions of their own on Stripe, so both go the same way;
                // the metadata is copied so subscription webhooks can be tied to the workspace.
                let data = CreateCheckoutSessionSubscriptionData {
                    metadata: Some(meta),
                    trial_period_days: request.trial_days,
                    ..CreateCheckoutSessionSubscriptionData::new()
                };
                create.mode(CheckoutSessionMode::Subscription).subscription_data(data)
            }
            Purchase::CreditPack => {
                let data = CreateCheckoutSessionPaymentIntentData {
                    metadata: Some(meta),
                    ..CreateCheckoutSessionPaymentIntentData::new()
                };
                create = create.mode(CheckoutSessionMode::Payment).payment_intent_data(data);
                if request.customer_id.is_none() {
                    // Payment mode creates no customer by default; we want one to reuse later.
                    create = create.customer_creation(CreateCheckoutSessionCustomerCreation::Always);
                }
                create
            }
        }
    }
}

impl BillingProvider for StripeProvider {
    fn provider(&self) -> Provider {
        Provider::Stripe
    }

    /// Stripe assigns every id itself.
    fn assigns_subscription_ids(&self) -> bool {
        false
    }

    async fn create_customer(&self, request: &CustomerRequest) -> Result<String, BillingError> {
        if self.test_clocks {
            return self.customer_on_new_clock(request.workspace_id, &request.email).await;
        }
        let meta = HashMap::from([(metadata::WORKSPACE_ID.to_owned(), request.workspace_id.to_string())]);
        let create = CreateCustomer::new().email(request.email.clone()).metadata(meta);
        self.call("create customer", &create).await?.id()
    }

    async fn create_checkout(&self, request: &CheckoutRequest) -> Result<HostedPage, BillingError> {
        if self.test_clocks && request.customer_id.is_none() {
            // Checkout would create a customer on no clock; create it first, on a clock of its own.
            let customer = self.customer_on_new_clock(request.workspace_id, &request.email).await?;
            let request = CheckoutRequest { customer_id: Some(customer), ..request.clone() };
            return self.call("create checkout session", &self.checkout_request(&request)).await?.hosted_page();
        }
        self.call("create checkout session", &self.checkout_request(request)).await?.hosted_page()
    }

    async fn confirm_checkout(&self, checkout_id: &str) -> Result<ConfirmedCheckout, BillingError> {
        let retrieve = RetrieveCheckoutSession::new(checkout_id).expand(vec!["subscription".to_owned()]);
        let answer = self.call("retrieve checkout session", &retrieve).await?;
        let checkout = answer.checkout()?;
        let subscription = match (answer.expanded_subscription()?, &checkout.subscription_id) {
            (Some(expanded), _) => Some(expanded),
            // Not expanded (an older server ignored `expand`): ask for it.
            (None, Some(id)) => Some(self.fetch_subscription(id).await?),
            (None, None) => None,
        };
        Ok(ConfirmedCheckout { checkout, subscription })
    }

    async fn create_portal_session(&self, customer_id: &str, return_url: &str) -> Result<HostedPage, BillingError> {
        let create = CreateBillingPortalSession::new().customer(customer_id).return_url(return_url);
        self.call("create portal session", &create).await?.hosted_page()
    }

    async fn change_plan(
        &self,
        subscription_id: &str,
        new_price_id: &str,
        timing: ChangeTiming,
    ) -> Result<PlanChange, BillingError> {
        self.change_plan_now_or_later(subscription_id, new_price_id, timing).await
    }

    async fn cancel_scheduled_change(
        &self,
        subscription_id: &str,
        current_price_id: &str,
    ) -> Result<SubscriptionData, BillingError> {
        self.undo_scheduled_change(subscription_id, current_price_id).await
    }

    async fn cancel_at_period_end(&self, subscription_id: &str) -> Result<SubscriptionData, BillingError> {
        self.set_cancel_at_period_end(subscription_id, true).await
    }

    async fn reactivate(&self, subscription_id: &str) -> Result<SubscriptionData, BillingError> {
        self.set_cancel_at_period_end(subscription_id, false).await
    }

    async fn cancel_addon(&self, subscription_id: &str, _addon_price_id: &str) -> Result<(), BillingError> {
        // On Stripe an add-on is its own subscription: ending it is ending that subscription.
        self.set_cancel_at_period_end(subscription_id, true).await.map(|_| ())
    }

    async fn list_invoices(&self, customer_id: &str) -> Result<Vec<InvoiceData>, BillingError> {
        let list = ListInvoice::new().customer(customer_id).limit(INVOICE_PAGE);
        self.call("list invoices", &list).await?.invoices()
    }

    async fn preview_upcoming_invoice(
        &self,
        customer_id: &str,
        subscription_id: &str,
    ) -> Result<InvoicePreview, BillingError> {
        let preview = CreatePreviewInvoice::new().customer(customer_id).subscription(subscription_id);
        self.call("preview invoice", &preview).await?.preview()
    }

    /// `trial_end` moves the trial; `proration_behavior=none` so the move itself bills nothing.
    async fn extend_trial(
        &self,
        subscription_id: &str,
        trial_end: DateTime<Utc>,
    ) -> Result<SubscriptionData, BillingError> {
        let update = UpdateSubscription::new(subscription_id)
            .trial_end(UpdateSubscriptionTrialEnd::Timestamp(trial_end.timestamp()))
            .proration_behavior(UpdateSubscriptionProrationBehavior::None);
        self.call("update subscription", &update).await?.subscription()
    }

    async fn fetch_subscription(&self, subscription_id: &str) -> Result<SubscriptionData, BillingError> {
        self.subscription_json(subscription_id).await?.subscription()
    }

    async fn list_subscriptions(&self, customer_id: &str) -> Result<Vec<SubscriptionData>, BillingError> {
        self.customer_subscriptions(customer_id).await
    }

    fn uses_test_clocks(&self) -> bool {
        self.test_clocks
    }

    async fn customer_test_clock(&self, customer_id: &str) -> Result<Option<TestClock>, BillingError> {
        self.clock_of_customer(customer_id).await
    }

    async fn advance_test_clock(&self, clock_id: &str, to: DateTime<Utc>) -> Result<TestClock, BillingError> {
        self.advance_clock(clock_id, to).await
    }
}
