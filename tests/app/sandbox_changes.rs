//! The sandbox's subscription changes and edges: plan changes with and without a paid
//! proration, credit packs and add-ons, API authentication and Stripe-shaped errors, and the
//! sandbox being refused when another provider is configured.

use serde_json::Value;
use tollgate::billing::{BillingError, BillingProvider, ChangeTiming, CheckoutRequest, Purchase};
use tollgate::domain::normalized::{CheckoutMode, EventKind, SubscriptionStatus};

use crate::common::{base_vars, spawn_app, spawn_app_with, test_database};
use crate::sandbox::{FAILS_LATER, GOOD, buy, parsed, plan_checkout, provider, types};

#[actix_web::test]
async fn plan_change_applies_only_when_the_proration_is_paid() {
    let app = spawn_app().await;
    let starter = plan_checkout("starter", "price_starter_monthly", None);
    let good = buy(&app, &starter, GOOD).await;
    let good_sub = provider(&app).confirm_checkout(&good).await.unwrap().subscription.unwrap().id;
    let change = provider(&app).change_plan(&good_sub, "price_pro_monthly", ChangeTiming::Immediately).await.unwrap();
    assert!(change.applied);
    assert_eq!(change.subscription.price_ids, ["price_pro_monthly"]);
    let proration = parsed(&app).into_iter().rfind(|e| e.kind == EventKind::InvoicePaid).unwrap();
    let invoice = proration.invoice.unwrap();
    assert_eq!(invoice.billing_reason.as_deref(), Some("subscription_update"));
    assert!(invoice.amount_paid_minor > 2900 && invoice.amount_paid_minor <= 3000, "{}", invoice.amount_paid_minor);

    let failing = buy(&app, &starter, FAILS_LATER).await;
    let failing_sub = provider(&app).confirm_checkout(&failing).await.unwrap().subscription.unwrap().id;
    let change =
        provider(&app).change_plan(&failing_sub, "price_pro_monthly", ChangeTiming::Immediately).await.unwrap();
    assert!(!change.applied, "the failed proration charge keeps the old plan");
    assert_eq!(change.subscription.price_ids, ["price_starter_monthly"]);
    assert_eq!(change.subscription.status, Some(SubscriptionStatus::Active));
    // Stripe reports the failed charge, then the subscription with its `pending_update`.
    let types = types(&app);
    assert_eq!(&types[types.len() - 2..], ["invoice.payment_failed", "customer.subscription.updated"]);

    // A downgrade is scheduled: no charge, the new price bills from the next period.
    let change =
        provider(&app).change_plan(&good_sub, "price_starter_monthly", ChangeTiming::AtPeriodEnd).await.unwrap();
    assert!(change.applied);
    assert_eq!(change.subscription.price_ids, ["price_starter_monthly"]);

    let err = provider(&app).change_plan(&good_sub, "price_nope", ChangeTiming::AtPeriodEnd).await.unwrap_err();
    assert!(
        matches!(&err, BillingError::Rejected { status: 400, message } if message.contains("No such price")),
        "{err:?}"
    );
}

#[actix_web::test]
async fn credit_pack_and_addon_checkouts() {
    let app = spawn_app().await;
    let pack = CheckoutRequest {
        purchase: Purchase::CreditPack,
        code: "credits_500".to_owned(),
        price_id: "price_credits_500".to_owned(),
        ..plan_checkout("", "", None)
    };
    let id = buy(&app, &pack, GOOD).await;
    let confirmed = provider(&app).confirm_checkout(&id).await.unwrap();
    assert!(confirmed.is_paid());
    assert_eq!(confirmed.purchase(), Some(Purchase::CreditPack));
    assert_eq!(confirmed.checkout.mode, Some(CheckoutMode::Payment));
    assert_eq!(confirmed.checkout.amount_total_minor, Some(999));
    assert!(confirmed.checkout.payment_intent_id.is_some() && confirmed.subscription.is_none());
    let customer = confirmed.checkout.customer_id.unwrap();

    let addon = CheckoutRequest {
        purchase: Purchase::Addon,
        code: "email_5".to_owned(),
        price_id: "price_email_5_monthly".to_owned(),
        customer_id: Some(customer.clone()),
        ..plan_checkout("", "", None)
    };
    let id = buy(&app, &addon, GOOD).await;
    let confirmed = provider(&app).confirm_checkout(&id).await.unwrap();
    assert_eq!(confirmed.purchase(), Some(Purchase::Addon));
    assert_eq!(confirmed.checkout.customer_id.as_deref(), Some(customer.as_str()), "the customer is reused");
    let sub = confirmed.subscription.unwrap();
    assert_eq!(sub.price_ids, ["price_email_5_monthly"]);
    provider(&app).cancel_addon(&sub.id, "price_email_5_monthly").await.unwrap();
    assert_eq!(provider(&app).fetch_subscription(&sub.id).await.unwrap().cancel_at_period_end, Some(true));

    // A recurring price in payment mode is refused, as Stripe does.
    let wrong = CheckoutRequest { price_id: "price_pro_monthly".to_owned(), ..pack };
    assert!(matches!(provider(&app).create_checkout(&wrong).await, Err(BillingError::Rejected { status: 400, .. })));
}

#[actix_web::test]
async fn api_needs_the_sandbox_key_and_answers_like_stripe() {
    let app = spawn_app().await;
    let res = app.client.post(app.url("/sandbox/v1/customers")).form(&[("email", "a@b.c")]).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 401);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["type"], "invalid_request_error");

    let res = app
        .client
        .post(app.url("/sandbox/v1/customers"))
        .bearer_auth("sk_test_wrong_key_1234")
        .form(&[("email", "a@b.c")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 401);
    let text = res.text().await.unwrap();
    assert!(!text.contains("wrong_key"), "the key is not echoed");
    assert!(text.contains("****1234"), "{text}");
    assert!(!text.contains(&app.sandbox_key()), "the expected key is never shown");

    let missing = provider(&app).fetch_subscription("sub_nope").await.unwrap_err();
    assert!(matches!(missing, BillingError::NotFound(_)), "{missing:?}");
    let unknown = provider(&app).create_checkout(&plan_checkout("pro", "price_nope", None)).await.unwrap_err();
    assert!(matches!(&unknown, BillingError::Rejected { status: 400, message } if message.contains("price_nope")));
}

#[actix_web::test]
async fn sandbox_is_refused_with_another_provider() {
    let app = spawn_app_with(|vars| {
        vars.insert("BILLING_PROVIDER".into(), "stripe".into());
        vars.insert("STRIPE_SECRET_KEY".into(), "sk_test_123".into());
        vars.insert("STRIPE_WEBHOOK_SECRET".into(), "whsec_123".into());
    })
    .await;
    for path in
        ["/sandbox/clock", "/sandbox/clock.json", "/sandbox/checkout/cs_test_x", "/sandbox/v1/subscriptions/sub_x"]
    {
        assert_eq!(app.get(path).await.status().as_u16(), 404, "{path}");
    }
    let res =
        app.client.post(app.url("/sandbox/v1/customers")).bearer_auth("sk_test_any_key_at_all").send().await.unwrap();
    assert_eq!(res.status().as_u16(), 404);
}

#[actix_web::test]
async fn the_api_key_is_generated_per_installation_and_kept() {
    async fn key_of(url: &str) -> String {
        let config = tollgate::config::Config::from_vars(&base_vars(url)).unwrap();
        let app = tollgate::startup::Application::build(config).await.unwrap();
        app.sandbox().unwrap().api_key.clone()
    }
    let (url, _db) = test_database();
    let key = key_of(&url).await;
    assert!(key.starts_with("sk_test_") && key.len() > 40, "{key}");
    assert_eq!(key_of(&url).await, key, "a restart keeps the installation's key");
    let (other, _other_db) = test_database();
    assert_ne!(key_of(&other).await, key, "another installation has its own");
}
