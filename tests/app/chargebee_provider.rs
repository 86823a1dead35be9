//! The Chargebee provider against a fake Chargebee (`fake`): the exact requests it sends for
//! each operation, how it reads the answers, and how it maps Chargebee's errors. Checkouts
//! and the portal here; subscription changes, invoices and errors in `subscriptions`.

mod changes;
pub(crate) mod fake;
mod subscriptions;

use std::collections::BTreeMap;

use serde_json::{Value, json};
use tollgate::billing::{BillingError, BillingProvider, CheckoutMode, CheckoutRequest, Purchase, SubscriptionStatus};

use fake::{FakeChargebee, subscription};

const PORTAL_SESSION: &str = include_str!("../fixtures/chargebee/portal_session_response.json");

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// Takes the JSON parameter `name` out of the form, parsed: key order is serde_json's business.
fn take_json(form: &mut BTreeMap<String, String>, name: &str) -> Value {
    serde_json::from_str(&form.remove(name).unwrap_or_else(|| panic!("no {name} in {form:?}"))).unwrap()
}

fn checkout_request(purchase: Purchase) -> CheckoutRequest {
    CheckoutRequest {
        purchase,
        workspace_id: 42,
        code: "pro".into(),
        price_id: "pro-USD-monthly".into(),
        customer_id: None,
        email: "owner@example.com".into(),
        trial_days: None,
        subscription_id: None,
    }
}

fn hosted_page_answer(id: &str) -> Value {
    json!({"hosted_page": {"id": id, "type": "checkout_new", "state": "created", "embed": false,
        "url": format!("https://acme-test.chargebee.com/pages/v3/{id}/"), "created_at": 1_700_000_000,
        "expires_at": 1_700_003_600, "object": "hosted_page"}})
}

const PASS_THRU: &str = r#"{"tollgate_code":"pro","tollgate_kind":"plan","workspace_id":"42"}"#;

#[actix_web::test]
async fn plan_checkout_sends_items_email_trial_redirects_and_pass_thru() {
    let (fake, provider) = FakeChargebee::start().await;
    fake.answer("POST", "hosted_pages/checkout_new_for_items", 200, hosted_page_answer("hp_plan"));
    // The subscription id Tollgate chose and recorded: its webhooks are tied to the checkout by it.
    let request = CheckoutRequest {
        trial_days: Some(14),
        subscription_id: Some("tg_sub_42_0011aabb".into()),
        ..checkout_request(Purchase::Plan)
    };

    let before = chrono::Utc::now().timestamp();
    let page = provider.create_checkout(&request).await.unwrap();
    let after = chrono::Utc::now().timestamp();

    assert_eq!(page.id, "hp_plan");
    assert_eq!(page.url, "https://acme-test.chargebee.com/pages/v3/hp_plan/");
    let sent = fake.only_request();
    assert_eq!((sent.method.as_str(), sent.path.as_str()), ("POST", "/api/v2/hosted_pages/checkout_new_for_items"));
    assert_eq!(sent.authorization.as_deref(), Some("Basic dGVzdF9rZXk6"));
    let mut form = sent.form();
    let trial_end: i64 = form.remove("subscription[trial_end]").unwrap().parse().unwrap();
    assert!((before + 14 * 86_400..=after + 14 * 86_400).contains(&trial_end), "{trial_end}");
    assert_eq!(take_json(&mut form, "pass_thru_content"), serde_json::from_str::<Value>(PASS_THRU).unwrap());
    assert_eq!(
        form,
        map(&[
            ("subscription[id]", "tg_sub_42_0011aabb"),
            ("subscription_items[item_price_id][0]", "pro-USD-monthly"),
            ("subscription_items[quantity][0]", "1"),
            ("customer[email]", "owner@example.com"),
            // No `subscription[meta_data]`: Chargebee does not take it for this call.
            ("redirect_url", "http://tollgate.test/billing/success"),
            ("cancel_url", "http://tollgate.test/billing/cancelled"),
        ])
    );
}

#[actix_web::test]
async fn plan_checkout_reuses_a_known_customer_and_sends_no_trial_without_one() {
    let (fake, provider) = FakeChargebee::start().await;
    fake.answer("POST", "hosted_pages/checkout_new_for_items", 200, hosted_page_answer("hp_again"));
    let request = CheckoutRequest { customer_id: Some("cus_1".into()), ..checkout_request(Purchase::Plan) };
    provider.create_checkout(&request).await.unwrap();

    let form = fake.only_request().form();
    assert_eq!(form.get("customer[id]").map(String::as_str), Some("cus_1"));
    assert!(!form.contains_key("customer[email]") && !form.contains_key("subscription[trial_end]"), "{form:?}");
}

#[actix_web::test]
async fn credit_pack_checkout_is_a_one_time_item_checkout() {
    let (fake, provider) = FakeChargebee::start().await;
    fake.answer("POST", "hosted_pages/checkout_one_time_for_items", 200, hosted_page_answer("hp_pack"));
    let request = CheckoutRequest {
        code: "credits-1000".into(),
        price_id: "credits-1000-USD".into(),
        trial_days: Some(14),
        ..checkout_request(Purchase::CreditPack)
    };
    assert_eq!(provider.create_checkout(&request).await.unwrap().id, "hp_pack");

    let sent = fake.only_request();
    assert_eq!(sent.path, "/api/v2/hosted_pages/checkout_one_time_for_items");
    let mut form = sent.form();
    assert_eq!(
        take_json(&mut form, "pass_thru_content"),
        json!({"workspace_id": "42", "tollgate_kind": "credit_pack", "tollgate_code": "credits-1000"})
    );
    assert_eq!(
        form,
        map(&[
            ("item_prices[item_price_id][0]", "credits-1000-USD"),
            ("item_prices[quantity][0]", "1"),
            ("customer[email]", "owner@example.com"),
            ("redirect_url", "http://tollgate.test/billing/success"),
            ("cancel_url", "http://tollgate.test/billing/cancelled"),
        ])
    );
}

#[actix_web::test]
async fn addon_checkout_adds_the_item_to_the_plan_subscription() {
    let (fake, provider) = FakeChargebee::start().await;
    fake.answer("POST", "hosted_pages/checkout_existing_for_items", 200, hosted_page_answer("hp_addon"));
    let request = CheckoutRequest {
        code: "extra-seats".into(),
        price_id: "extra-seats-USD-monthly".into(),
        customer_id: Some("cus_1".into()),
        subscription_id: Some("sub_1".into()),
        ..checkout_request(Purchase::Addon)
    };
    provider.create_checkout(&request).await.unwrap();

    let sent = fake.only_request();
    assert_eq!(sent.path, "/api/v2/hosted_pages/checkout_existing_for_items");
    let mut form = sent.form();
    assert_eq!(
        take_json(&mut form, "pass_thru_content"),
        json!({"workspace_id": "42", "tollgate_kind": "addon", "tollgate_code": "extra-seats"})
    );
    assert_eq!(
        form,
        map(&[
            ("subscription[id]", "sub_1"),
            ("subscription_items[item_price_id][0]", "extra-seats-USD-monthly"),
            ("subscription_items[quantity][0]", "1"),
            ("redirect_url", "http://tollgate.test/billing/success"),
            ("cancel_url", "http://tollgate.test/billing/cancelled"),
        ])
    );
}

#[actix_web::test]
async fn addon_checkout_without_a_plan_subscription_is_refused_without_calling_chargebee() {
    let (fake, provider) = FakeChargebee::start().await;
    let err = provider.create_checkout(&checkout_request(Purchase::Addon)).await.unwrap_err();
    assert!(matches!(&err, BillingError::Rejected { message, .. } if message.contains("plan subscription")), "{err}");
    assert!(fake.requests().is_empty());
}

#[actix_web::test]
async fn confirm_checkout_reads_a_succeeded_pc2_hosted_page() {
    let (fake, provider) = FakeChargebee::start().await;
    let mut sub = subscription("sub_new", "in_trial", &["pro-USD-monthly", "extra-seats-USD-monthly"]);
    sub["trial_end"] = json!(1_701_209_600);
    fake.answer(
        "GET",
        "hosted_pages/hp_plan",
        200,
        json!({"hosted_page": {
            "id": "hp_plan", "type": "checkout_new", "state": "succeeded", "embed": false,
            "url": "https://acme-test.chargebee.com/pages/v3/hp_plan/", "pass_thru_content": PASS_THRU,
            "created_at": 1_700_000_000, "expires_at": 1_700_003_600, "object": "hosted_page",
            "content": {"subscription": sub, "customer": {"id": "cus_new", "email": "owner@example.com",
                "auto_collection": "on", "object": "customer"}}
        }}),
    );

    let confirmed = provider.confirm_checkout("hp_plan").await.unwrap();

    assert_eq!(fake.only_request().path, "/api/v2/hosted_pages/hp_plan");
    let checkout = &confirmed.checkout;
    assert_eq!(checkout.id, "hp_plan");
    assert_eq!((checkout.status.as_deref(), checkout.payment_status.as_deref()), (Some("complete"), Some("paid")));
    assert_eq!(checkout.mode, Some(CheckoutMode::Subscription));
    assert_eq!(checkout.customer_id.as_deref(), Some("cus_new"));
    assert_eq!(checkout.subscription_id.as_deref(), Some("sub_new"));
    assert_eq!(checkout.client_reference_id.as_deref(), Some("42"));
    assert_eq!(checkout.metadata.get("tollgate_code").map(String::as_str), Some("pro"));
    assert!(confirmed.is_paid());
    assert_eq!((confirmed.workspace_id(), confirmed.purchase()), (Some(42), Some(Purchase::Plan)));
    let sub = confirmed.subscription.unwrap();
    assert_eq!(sub.status, Some(SubscriptionStatus::Trialing));
    assert_eq!(sub.price_ids, ["pro-USD-monthly", "extra-seats-USD-monthly"]);
    assert_eq!(sub.trial_end.map(|t| t.timestamp()), Some(1_701_209_600));
    assert_eq!(sub.current_period_end.map(|t| t.timestamp()), Some(1_702_592_000));
}

#[actix_web::test]
async fn confirm_checkout_reads_pc1_and_one_time_hosted_pages() {
    let (fake, provider) = FakeChargebee::start().await;
    fake.answer(
        "GET",
        "hosted_pages/hp_pc1",
        200,
        json!({"hosted_page": {"id": "hp_pc1", "type": "checkout_existing", "state": "acknowledged",
            "url": "https://acme-test.chargebee.com/pages/v3/hp_pc1/", "object": "hosted_page",
            "content": {"subscription": {"id": "sub_old", "customer_id": "cus_old", "plan_id": "pro-monthly",
                "plan_quantity": 1, "status": "active", "object": "subscription"},
                "customer": {"id": "cus_old", "object": "customer"}}}}),
    );
    fake.answer(
        "GET",
        "hosted_pages/hp_pack",
        200,
        json!({"hosted_page": {"id": "hp_pack", "type": "checkout_one_time", "state": "created",
            "url": "https://acme-test.chargebee.com/pages/v3/hp_pack/", "object": "hosted_page",
            "pass_thru_content": r#"{"workspace_id":"42","tollgate_kind":"credit_pack","tollgate_code":"c1000"}"#,
            "content": {"customer": {"id": "cus_1", "object": "customer"},
                "invoice": {"id": "91", "total": 1900, "currency_code": "USD", "status": "pending"}}}}),
    );

    let pc1 = provider.confirm_checkout("hp_pc1").await.unwrap();
    assert!(pc1.is_paid());
    assert_eq!(pc1.checkout.subscription_id.as_deref(), Some("sub_old"));
    assert_eq!(pc1.checkout.customer_id.as_deref(), Some("cus_old"));
    assert_eq!(pc1.subscription.as_ref().unwrap().price_ids, ["pro-monthly"]);
    // Without pass_thru_content the mode still says what was bought.
    assert_eq!((pc1.workspace_id(), pc1.purchase()), (None, Some(Purchase::Plan)));

    let pack = provider.confirm_checkout("hp_pack").await.unwrap();
    assert!(!pack.is_paid(), "a hosted page still in `created` is not paid");
    assert_eq!(
        (pack.checkout.status.as_deref(), pack.checkout.payment_status.as_deref()),
        (Some("open"), Some("unpaid"))
    );
    assert_eq!(pack.checkout.mode, Some(CheckoutMode::Payment));
    assert_eq!((pack.workspace_id(), pack.purchase()), (Some(42), Some(Purchase::CreditPack)));
    assert_eq!((pack.checkout.amount_total_minor, pack.checkout.currency.as_deref()), (Some(1900), Some("usd")));
    assert!(pack.subscription.is_none());
}

#[actix_web::test]
async fn portal_session_sends_the_customer_and_returns_the_access_url() {
    let (fake, provider) = FakeChargebee::start().await;
    let session: Value = serde_json::from_str(PORTAL_SESSION).unwrap();
    fake.answer("POST", "portal_sessions", 200, json!({ "portal_session": session }));

    let page = provider.create_portal_session("__test__KyVnHhSBWm8kA2sT", "http://tollgate.test/w/42/billing").await;

    let page = page.unwrap();
    assert_eq!(page.id, "portal___test__KyVnHhSBWm8l82sV");
    assert_eq!(page.url, "https://yourapp.chargebeeportal.com/portal/access/__test__cdBbQgJg5fPSTw9qBPDIaQiVEEx0Gsrrc");
    let sent = fake.only_request();
    assert_eq!((sent.method.as_str(), sent.path.as_str()), ("POST", "/api/v2/portal_sessions"));
    assert_eq!(
        sent.form(),
        map(&[("customer[id]", "__test__KyVnHhSBWm8kA2sT"), ("redirect_url", "http://tollgate.test/w/42/billing")])
    );
}
