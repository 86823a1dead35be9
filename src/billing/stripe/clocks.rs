//! Stripe's test clocks (test mode only), as a test-mode integration uses them: a new customer
//! is created on a clock of its own (Stripe attaches a clock only when the customer is created,
//! so Checkout's own customer creation cannot be used), the clock is read to know the
//! customer's "now", and advancing it waits until Stripe says it is `ready` — Stripe advances
//! asynchronously; the sandbox answers `ready` at once. The same code runs against Stripe's test
//! mode and the sandbox. Also: listing a customer's subscriptions.

use std::time::Duration;

use stripe_billing::subscription::{ListSubscription, ListSubscriptionStatus};
use stripe_billing::test_helpers_test_clock::{
    AdvanceTestHelpersTestClock, CreateTestHelpersTestClock, RetrieveTestHelpersTestClock,
};
use stripe_core::customer::RetrieveCustomer;

use super::*;

/// How long an advance may take before we stop waiting for `ready`.
const ADVANCE_WAIT: Duration = Duration::from_secs(60);
const POLL: Duration = Duration::from_millis(250);

impl StripeProvider {
    /// Creates a test clock at the current time and a customer on it; returns the customer id.
    pub(super) async fn customer_on_new_clock(&self, workspace_id: i64, email: &str) -> Result<String, BillingError> {
        let clock =
            CreateTestHelpersTestClock::new(Utc::now().timestamp()).name(format!("Tollgate workspace {workspace_id}"));
        let clock = self.call("create test clock", &clock).await?.test_clock()?;
        let customer = CreateCustomer::new().email(email.to_owned()).test_clock(clock.id.clone());
        let customer = self.call("create customer", &customer).await?.id()?;
        self.remember_clock(&customer, &clock.id);
        Ok(customer)
    }

    fn remember_clock(&self, customer: &str, clock: &str) {
        if let Ok(mut known) = self.clock_of.lock() {
            known.insert(customer.to_owned(), clock.to_owned());
        }
    }

    fn known_clock(&self, customer: &str) -> Option<String> {
        self.clock_of.lock().ok().and_then(|known| known.get(customer).cloned())
    }

    pub(super) async fn clock_of_customer(&self, customer_id: &str) -> Result<Option<TestClock>, BillingError> {
        let clock_id = match self.known_clock(customer_id) {
            Some(id) => id,
            None => {
                let customer = self.call("retrieve customer", &RetrieveCustomer::new(customer_id)).await?;
                let Some(id) = customer.test_clock_id() else { return Ok(None) };
                self.remember_clock(customer_id, &id);
                id
            }
        };
        let clock = RetrieveTestHelpersTestClock::new(clock_id.as_str());
        self.call("retrieve test clock", &clock).await?.test_clock().map(Some)
    }

    pub(super) async fn advance_clock(&self, clock_id: &str, to: DateTime<Utc>) -> Result<TestClock, BillingError> {
        let advance = AdvanceTestHelpersTestClock::new(clock_id, to.timestamp());
        let mut clock = self.call("advance test clock", &advance).await?.test_clock()?;
        let started = std::time::Instant::now();
        while clock.advancing_to.is_some() {
            if started.elapsed() > ADVANCE_WAIT {
                return Err(BillingError::Unavailable(format!("test clock {clock_id} is still advancing")));
            }
            actix_web::rt::time::sleep(POLL).await;
            let retrieve = RetrieveTestHelpersTestClock::new(clock_id);
            clock = self.call("retrieve test clock", &retrieve).await?.test_clock()?;
        }
        Ok(clock)
    }

    pub(super) async fn customer_subscriptions(
        &self,
        customer_id: &str,
    ) -> Result<Vec<SubscriptionData>, BillingError> {
        let list = ListSubscription::new().customer(customer_id).status(ListSubscriptionStatus::All).limit(100);
        self.call("list subscriptions", &list).await?.subscriptions()
    }
}
