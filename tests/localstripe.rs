//! The Stripe provider against localstripe (PyPI), a stateful fake Stripe that speaks an older
//! API version: customers, subscriptions, invoices, cancellation — no checkout or portal.
//! It checks that the provider reads older answer shapes (periods on the subscription, plans
//! instead of prices, a top-level invoice `subscription`) as well as current ones.
//!
//! Needs `localstripe` on PATH; `.ci/run` installs it into `target/localstripe-venv` and runs
//! `cargo test --features localstripe-tests --test localstripe`.

#![cfg(feature = "localstripe-tests")]
#![expect(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly where it stands")]

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;
use tollgate::billing::stripe::StripeProvider;
use tollgate::billing::{BillingError, BillingProvider, SubscriptionStatus};

const KEY: &str = "sk_test_localstripe";

/// A localstripe process on a free port, killed when dropped.
struct LocalStripe {
    child: Child,
    base: String,
    http: reqwest::Client,
}

impl Drop for LocalStripe {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl LocalStripe {
    async fn start() -> LocalStripe {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new("localstripe")
            // Without it, localstripe reloads the state an earlier run pickled to /tmp.
            .args(["--port", &port.to_string(), "--from-scratch"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("`localstripe` must be on PATH (pip install localstripe; see .ci/run)");
        let stripe = LocalStripe {
            child,
            base: format!("http://127.0.0.1:{port}/"),
            http: reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap(),
        };
        for _ in 0..100 {
            if stripe.http.get(format!("{}v1/customers", stripe.base)).bearer_auth(KEY).send().await.is_ok() {
                return stripe;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("localstripe did not answer on port {port} within 10 s");
    }

    /// A raw form POST, for the setup the provider has no call for.
    async fn post(&self, path: &str, form: &[(&str, &str)]) -> Value {
        let res = self.http.post(format!("{}v1/{path}", self.base)).bearer_auth(KEY).form(form).send().await.unwrap();
        let status = res.status();
        let body: Value = res.json().await.unwrap();
        assert!(status.is_success(), "POST {path}: {status} {body}");
        body
    }

    fn provider(&self) -> StripeProvider {
        StripeProvider::new(KEY, &self.base, "https://tollgate.example").unwrap()
    }

    /// A customer with a working card and a monthly subscription to `price_pro`.
    async fn subscribed_customer(&self) -> (String, String) {
        self.post("products", &[("id", "prod_pro"), ("name", "Pro")]).await;
        let plan = [
            ("id", "price_pro"),
            ("product", "prod_pro"),
            ("amount", "5000"),
            ("currency", "usd"),
            ("interval", "month"),
        ];
        self.post("plans", &plan).await;
        let customer =
            self.post("customers", &[("email", "owner@example.com")]).await["id"].as_str().unwrap().to_owned();
        let card = [
            ("type", "card"),
            ("card[number]", "4242424242424242"),
            ("card[exp_month]", "12"),
            ("card[exp_year]", "2040"),
            ("card[cvc]", "123"),
        ];
        let pm = self.post("payment_methods", &card).await["id"].as_str().unwrap().to_owned();
        self.post(&format!("payment_methods/{pm}/attach"), &[("customer", &customer)]).await;
        self.post(&format!("customers/{customer}"), &[("invoice_settings[default_payment_method]", &pm)]).await;
        let sub = self.post("subscriptions", &[("customer", &customer), ("items[0][plan]", "price_pro")]).await;
        (customer, sub["id"].as_str().unwrap().to_owned())
    }
}

#[actix_web::test]
async fn provider_reads_and_changes_localstripe_subscriptions() {
    let stripe = LocalStripe::start().await;
    let (customer, sub_id) = stripe.subscribed_customer().await;
    let provider = stripe.provider();

    let sub = provider.fetch_subscription(&sub_id).await.unwrap();
    assert_eq!(sub.status, Some(SubscriptionStatus::Active));
    assert_eq!(sub.customer_id.as_deref(), Some(customer.as_str()));
    assert_eq!(sub.price_ids, ["price_pro"]);
    assert_eq!(sub.cancel_at_period_end, Some(false));
    let end = sub.current_period_end.expect("period end");
    assert!(end > sub.current_period_start.expect("period start"));

    let cancelled = provider.cancel_at_period_end(&sub_id).await.unwrap();
    assert_eq!((cancelled.cancel_at_period_end, cancelled.status), (Some(true), Some(SubscriptionStatus::Active)));
    assert_eq!(provider.fetch_subscription(&sub_id).await.unwrap().cancel_at_period_end, Some(true));

    let resumed = provider.reactivate(&sub_id).await.unwrap();
    assert_eq!(resumed.cancel_at_period_end, Some(false));

    let invoices = provider.list_invoices(&customer).await.unwrap();
    assert_eq!(invoices.len(), 1, "{invoices:?}");
    let invoice = &invoices[0];
    assert_eq!(invoice.subscription_id.as_deref(), Some(sub_id.as_str()));
    assert_eq!((invoice.status.as_str(), invoice.amount_paid_minor, invoice.currency.as_str()), ("paid", 5000, "usd"));
    assert_eq!(invoice.price_ids, ["price_pro"]);
    assert_eq!(invoice.line_period_end, Some(end));
}

#[actix_web::test]
async fn localstripe_errors_are_mapped() {
    let stripe = LocalStripe::start().await;
    let err = stripe.provider().fetch_subscription("sub_missing").await.unwrap_err();
    assert!(matches!(err, BillingError::NotFound(_)), "{err:?}");
    let err = stripe.provider().list_invoices("cus_missing").await.unwrap_err();
    assert!(matches!(err, BillingError::NotFound(_)), "{err:?}");
    let err = stripe.provider().cancel_at_period_end("sub_missing").await.unwrap_err();
    assert!(matches!(err, BillingError::NotFound(_)), "{err:?}");
}
