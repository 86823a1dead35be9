//! The Chargebee provider: [`BillingProvider`] over Chargebee's REST API v2 (Product Catalog
//! 2.0, item prices). Chargebee has no Rust SDK, so this is reqwest (`client`), the form
//! bodies we send (`params`) and the answers we read (`answers`).
//!
//! Checkouts are Chargebee hosted pages for a customer created beforehand; a new subscription
//! gets the id Tollgate chose (`subscription[id]`), so its webhooks find the checkout Tollgate
//! recorded even when the browser never comes back. `pass_thru_content` is informational.
//! Add-ons are items on the plan subscription, not subscriptions of their own.

mod answers;
mod client;
mod params;

use chrono::{DateTime, Utc};

use self::client::{CallError, Client};
use super::{
    BillingError, BillingProvider, ChangeTiming, CheckoutRequest, ConfirmedCheckout, CustomerRequest, HostedPage,
    InvoiceData, InvoicePreview, PlanChange, Provider, SubscriptionData, TestClock,
};

/// `api_error_code`s with which Chargebee refuses a change because the charge failed; the
/// subscription is left as it was.
const PAYMENT_FAILURES: [&str; 2] = ["payment_processing_failed", "payment_method_verification_failed"];

/// How many invoices the billing page shows (two years of monthly billing).
const INVOICE_LIMIT: &str = "24";

pub struct ChargebeeProvider {
    client: Client,
    /// Tollgate's public URL, for the hosted pages' redirects.
    base_url: String,
}

impl ChargebeeProvider {
    /// `api_base` is `https://{site}.chargebee.com/api/v2` (or a test server); `base_url` is
    /// Tollgate's public address.
    pub fn new(api_base: &str, api_key: &str, base_url: &str) -> Result<ChargebeeProvider, String> {
        Ok(ChargebeeProvider {
            client: Client::new(api_base, api_key)?,
            base_url: base_url.trim_end_matches('/').to_owned(),
        })
    }

    async fn subscription_action(
        &self,
        id: &str,
        action: &str,
        form: &client::Form,
    ) -> Result<SubscriptionData, BillingError> {
        let answer = self.client.post(&["subscriptions", id, action], form).await?;
        answers::subscription(&answer)
    }
}

impl BillingProvider for ChargebeeProvider {
    fn provider(&self) -> Provider {
        Provider::Chargebee
    }

    /// Chargebee takes `subscription[id]` on a new-subscription checkout.
    fn assigns_subscription_ids(&self) -> bool {
        true
    }

    async fn create_customer(&self, request: &CustomerRequest) -> Result<String, BillingError> {
        let form = vec![("id".to_owned(), request.id.clone()), ("email".to_owned(), request.email.clone())];
        let answer = self.client.post(&["customers"], &form).await?;
        answers::customer_id(&answer)
    }

    async fn create_checkout(&self, request: &CheckoutRequest) -> Result<HostedPage, BillingError> {
        let (endpoint, form) = params::checkout(request, &self.base_url, Utc::now())?;
        let answer = self.client.post(&["hosted_pages", endpoint], &form).await?;
        answers::hosted_page(&answer, "hosted_page", "url")
    }

    async fn confirm_checkout(&self, checkout_id: &str) -> Result<ConfirmedCheckout, BillingError> {
        let answer = self.client.get(&["hosted_pages", checkout_id], &[]).await?;
        answers::confirmed_checkout(&answer)
    }

    async fn create_portal_session(&self, customer_id: &str, return_url: &str) -> Result<HostedPage, BillingError> {
        let form = vec![
            ("customer[id]".to_owned(), customer_id.to_owned()),
            ("redirect_url".to_owned(), return_url.to_owned()),
        ];
        let answer = self.client.post(&["portal_sessions"], &form).await?;
        answers::hosted_page(&answer, "portal_session", "access_url")
    }

    async fn change_plan(
        &self,
        subscription_id: &str,
        new_price_id: &str,
        timing: ChangeTiming,
    ) -> Result<PlanChange, BillingError> {
        let form = params::change_plan(new_price_id, timing);
        match self.client.post(&["subscriptions", subscription_id, "update_for_items"], &form).await {
            Ok(answer) => {
                let subscription = answers::subscription(&answer)?;
                // At period end Chargebee only schedules the change: the subscription still
                // has the old plan, and the new one arrives with a webhook at renewal.
                let applied = timing.is_immediate() && subscription.price_ids.iter().any(|p| p == new_price_id);
                Ok(PlanChange { subscription, applied })
            }
            Err(CallError { api_error_code: Some(code), error }) if PAYMENT_FAILURES.contains(&code.as_str()) => {
                // Declined: Chargebee kept the old plan. Report what it has now.
                log::info!("Chargebee kept subscription {subscription_id} on its plan: {error}");
                let subscription = self.fetch_subscription(subscription_id).await?;
                Ok(PlanChange { subscription, applied: false })
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn cancel_scheduled_change(
        &self,
        subscription_id: &str,
        _current_price_id: &str,
    ) -> Result<SubscriptionData, BillingError> {
        // `remove_scheduled_changes` requires a scheduled change, so ask first: a second click,
        // or a change already undone in the portal, is then nothing to do.
        let current = self.fetch_subscription(subscription_id).await?;
        if current.has_scheduled_changes != Some(true) {
            return Ok(current);
        }
        self.subscription_action(subscription_id, "remove_scheduled_changes", &Vec::new()).await
    }

    async fn cancel_at_period_end(&self, subscription_id: &str) -> Result<SubscriptionData, BillingError> {
        let form = vec![("end_of_term".to_owned(), "true".to_owned())];
        self.subscription_action(subscription_id, "cancel_for_items", &form).await
    }

    async fn reactivate(&self, subscription_id: &str) -> Result<SubscriptionData, BillingError> {
        self.subscription_action(subscription_id, "remove_scheduled_cancellation", &Vec::new()).await
    }

    async fn cancel_addon(&self, subscription_id: &str, addon_price_id: &str) -> Result<(), BillingError> {
        // `update_for_items` with `replace_items_list` needs the whole list, so read it first.
        let answer = self.client.get(&["subscriptions", subscription_id], &[]).await?;
        let subscription = answers::resource(&answer, "subscription")?;
        let Some(form) = params::remove_addon(subscription, addon_price_id) else {
            // Already gone (a repeated click, or removed in the portal): nothing to do.
            log::info!("Chargebee subscription {subscription_id} has no add-on {addon_price_id} to cancel");
            return Ok(());
        };
        self.subscription_action(subscription_id, "update_for_items", &form).await?;
        Ok(())
    }

    async fn list_invoices(&self, customer_id: &str) -> Result<Vec<InvoiceData>, BillingError> {
        let query = [("customer_id[is]", customer_id), ("limit", INVOICE_LIMIT), ("sort_by[desc]", "date")];
        let answer = self.client.get(&["invoices"], &query).await?;
        answers::invoices(&answer)
    }

    async fn preview_upcoming_invoice(
        &self,
        _customer_id: &str,
        subscription_id: &str,
    ) -> Result<InvoicePreview, BillingError> {
        // The estimate belongs to the subscription; Chargebee needs no customer for it.
        let answer = self.client.get(&["subscriptions", subscription_id, "renewal_estimate"], &[]).await?;
        answers::renewal_estimate(&answer)
    }

    /// `change_term_end` on an `in_trial` subscription moves its trial end (and so the first
    /// charge); Chargebee refuses it for other states.
    async fn extend_trial(
        &self,
        subscription_id: &str,
        trial_end: DateTime<Utc>,
    ) -> Result<SubscriptionData, BillingError> {
        let form = vec![("term_ends_at".to_owned(), trial_end.timestamp().to_string())];
        self.subscription_action(subscription_id, "change_term_end", &form).await
    }

    async fn fetch_subscription(&self, subscription_id: &str) -> Result<SubscriptionData, BillingError> {
        let answer = self.client.get(&["subscriptions", subscription_id], &[]).await?;
        answers::subscription(&answer)
    }

    async fn list_subscriptions(&self, customer_id: &str) -> Result<Vec<SubscriptionData>, BillingError> {
        let query = [("customer_id[is]", customer_id), ("limit", "100"), ("sort_by[desc]", "created_at")];
        let answer = self.client.get(&["subscriptions"], &query).await?;
        answers::subscriptions(&answer)
    }

    /// Chargebee has no test clocks: its time is real time everywhere.
    fn uses_test_clocks(&self) -> bool {
        false
    }

    async fn customer_test_clock(&self, _customer_id: &str) -> Result<Option<TestClock>, BillingError> {
        Ok(None)
    }

    async fn advance_test_clock(&self, _clock_id: &str, _to: DateTime<Utc>) -> Result<TestClock, BillingError> {
        Err(BillingError::Rejected { status: 400, message: "Chargebee has no test clocks.".to_owned() })
    }
}
