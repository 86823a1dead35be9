//! SKELETON — being written on a branch; replaced before it lands.

use super::*;

pub struct StripeProvider;

impl StripeProvider {
    pub fn new(_secret_key: &str, _api_base: &str, _base_url: &str) -> Result<StripeProvider, String> {
        Ok(StripeProvider)
    }
}

fn unavailable<T>() -> Result<T, BillingError> {
    Err(BillingError::Unavailable("provider not built yet".into()))
}

impl BillingProvider for StripeProvider {
    fn provider(&self) -> Provider {
        Provider::Stripe
    }
    async fn create_checkout(&self, _: &CheckoutRequest) -> Result<HostedPage, BillingError> {
        unavailable()
    }
    async fn confirm_checkout(&self, _: &str) -> Result<ConfirmedCheckout, BillingError> {
        unavailable()
    }
    async fn create_portal_session(&self, _: &str, _: &str) -> Result<HostedPage, BillingError> {
        unavailable()
    }
    async fn change_plan(&self, _: &str, _: &str, _: ChangeTiming) -> Result<PlanChange, BillingError> {
        unavailable()
    }
    async fn cancel_at_period_end(&self, _: &str) -> Result<SubscriptionData, BillingError> {
        unavailable()
    }
    async fn reactivate(&self, _: &str) -> Result<SubscriptionData, BillingError> {
        unavailable()
    }
    async fn cancel_addon(&self, _: &str, _: &str) -> Result<(), BillingError> {
        unavailable()
    }
    async fn list_invoices(&self, _: &str) -> Result<Vec<InvoiceData>, BillingError> {
        unavailable()
    }
    async fn preview_upcoming_invoice(&self, _: &str, _: &str) -> Result<InvoicePreview, BillingError> {
        unavailable()
    }
    async fn fetch_subscription(&self, _: &str) -> Result<SubscriptionData, BillingError> {
        unavailable()
    }
}
