//! The Chargebee provider against a fake Chargebee (`fake`): the exact requests it sends for
//! each operation, how it reads the answers, and how it maps Chargebee's errors.

mod fake;

use std::collections::BTreeMap;

use serde_json::{Value, json};
use tollgate::billing::chargebee::ChargebeeProvider;
use tollgate::billing::{
    BillingError, BillingProvider, ChangeTiming, CheckoutMode, CheckoutRequest, Purchase, SubscriptionStatus,
};

use fake::{FakeChargebee, subscription, subscription_answer};

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
    let request = CheckoutRequest { trial_days: Some(14), ..checkout_request(Purchase::Plan) };

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
            ("subscription_items[item_price_id][0]", "pro-USD-monthly"),
            ("subscription_items[quantity][0]", "1"),
            ("customer[email]", "owner@example.com"),
            // One key: no ordering question.
            ("subscription[meta_data]", r#"{"workspace_id":"42"}"#),
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

#[actix_web::test]
async fn change_plan_now_prorates_and_invoices_immediately() {
    let (fake, provider) = FakeChargebee::start().await;
    let upgraded = subscription("sub_1", "active", &["pro-USD-monthly"]);
    fake.answer("POST", "subscriptions/sub_1/update_for_items", 200, subscription_answer(upgraded));

    let change = provider.change_plan("sub_1", "pro-USD-monthly", ChangeTiming::Immediately).await.unwrap();

    assert!(change.applied);
    assert_eq!(change.subscription.price_ids, ["pro-USD-monthly"]);
    let sent = fake.only_request();
    assert_eq!(sent.path, "/api/v2/subscriptions/sub_1/update_for_items");
    assert_eq!(
        sent.form(),
        map(&[
            ("subscription_items[item_price_id][0]", "pro-USD-monthly"),
            ("subscription_items[quantity][0]", "1"),
            ("prorate", "true"),
            ("invoice_immediately", "true"),
        ])
    );
}

#[actix_web::test]
async fn change_plan_at_period_end_is_scheduled_not_applied() {
    let (fake, provider) = FakeChargebee::start().await;
    let mut current = subscription("sub_1", "active", &["pro-USD-monthly"]);
    current["has_scheduled_changes"] = json!(true);
    fake.answer("POST", "subscriptions/sub_1/update_for_items", 200, subscription_answer(current));

    let change = provider.change_plan("sub_1", "starter-USD-monthly", ChangeTiming::AtPeriodEnd).await.unwrap();

    assert!(!change.applied);
    assert_eq!(change.subscription.price_ids, ["pro-USD-monthly"]);
    assert_eq!(
        fake.only_request().form(),
        map(&[
            ("subscription_items[item_price_id][0]", "starter-USD-monthly"),
            ("subscription_items[quantity][0]", "1"),
            ("end_of_term", "true"),
        ])
    );
}

#[actix_web::test]
async fn change_plan_with_a_declined_payment_keeps_the_old_plan() {
    let (fake, provider) = FakeChargebee::start().await;
    fake.answer(
        "POST",
        "subscriptions/sub_1/update_for_items",
        402,
        json!({"message": "Your card was declined.", "type": "payment", "api_error_code": "payment_processing_failed",
            "http_status_code": 402, "error_code": "DECLINED"}),
    );
    fake.answer("GET", "subscriptions/sub_1", 200, subscription_answer(subscription("sub_1", "active", &["starter"])));

    let change = provider.change_plan("sub_1", "pro-USD-monthly", ChangeTiming::Immediately).await.unwrap();

    assert!(!change.applied);
    assert_eq!(change.subscription.price_ids, ["starter"]);
    let calls: Vec<_> = fake.requests().into_iter().map(|r| format!("{} {}", r.method, r.path)).collect();
    assert_eq!(calls, ["POST /api/v2/subscriptions/sub_1/update_for_items", "GET /api/v2/subscriptions/sub_1"]);
}

#[actix_web::test]
async fn change_plan_refused_for_another_reason_is_an_error() {
    let (fake, provider) = FakeChargebee::start().await;
    fake.answer(
        "POST",
        "subscriptions/sub_1/update_for_items",
        400,
        json!({"message": "item_price_id[0] : Item price nope is not present", "type": "invalid_request",
            "api_error_code": "resource_not_found", "param": "subscription_items[item_price_id][0]",
            "http_status_code": 400}),
    );
    let err = provider.change_plan("sub_1", "nope", ChangeTiming::Immediately).await.unwrap_err();
    assert!(matches!(err, BillingError::Rejected { status: 400, .. }), "{err}");
    assert_eq!(fake.requests().len(), 1, "no follow-up fetch");
}

#[actix_web::test]
async fn cancel_and_reactivate_return_the_subscription() {
    let (fake, provider) = FakeChargebee::start().await;
    let non_renewing = subscription("sub_1", "non_renewing", &["pro-USD-monthly"]);
    fake.answer("POST", "subscriptions/sub_1/cancel_for_items", 200, subscription_answer(non_renewing));
    let active = subscription("sub_1", "active", &["pro-USD-monthly"]);
    fake.answer("POST", "subscriptions/sub_1/remove_scheduled_cancellation", 200, subscription_answer(active));

    let cancelled = provider.cancel_at_period_end("sub_1").await.unwrap();
    assert_eq!(cancelled.status, Some(SubscriptionStatus::NonRenewing));
    assert_eq!(cancelled.cancel_at_period_end, Some(true));
    let reactivated = provider.reactivate("sub_1").await.unwrap();
    assert_eq!(reactivated.status, Some(SubscriptionStatus::Active));
    assert_eq!(reactivated.cancel_at_period_end, Some(false));

    let sent = fake.requests();
    assert_eq!(sent[0].path, "/api/v2/subscriptions/sub_1/cancel_for_items");
    assert_eq!(sent[0].form(), map(&[("end_of_term", "true")]));
    assert_eq!(sent[1].path, "/api/v2/subscriptions/sub_1/remove_scheduled_cancellation");
    assert!(sent[1].form.is_empty());
}

#[actix_web::test]
async fn cancel_addon_replaces_the_item_list_without_it_at_term_end() {
    let (fake, provider) = FakeChargebee::start().await;
    let sub = subscription("sub_1", "active", &["pro-USD-monthly", "extra-seats-USD-monthly", "support-USD-monthly"]);
    fake.answer("GET", "subscriptions/sub_1", 200, subscription_answer(sub.clone()));
    fake.answer("POST", "subscriptions/sub_1/update_for_items", 200, subscription_answer(sub));

    provider.cancel_addon("sub_1", "extra-seats-USD-monthly").await.unwrap();

    let sent = fake.requests();
    assert_eq!(sent.len(), 2, "{sent:#?}");
    assert_eq!((sent[0].method.as_str(), sent[0].path.as_str()), ("GET", "/api/v2/subscriptions/sub_1"));
    assert_eq!(sent[1].path, "/api/v2/subscriptions/sub_1/update_for_items");
    assert_eq!(
        sent[1].form(),
        map(&[
            ("replace_items_list", "true"),
            ("subscription_items[item_price_id][0]", "pro-USD-monthly"),
            ("subscription_items[quantity][0]", "1"),
            ("subscription_items[item_price_id][1]", "support-USD-monthly"),
            ("subscription_items[quantity][1]", "1"),
            ("end_of_term", "true"),
        ])
    );

    // Cancelling an add-on the subscription no longer has changes nothing.
    provider.cancel_addon("sub_1", "not-on-it").await.unwrap();
    assert_eq!(fake.requests().len(), 3, "only the fetch");
}

#[actix_web::test]
async fn list_invoices_asks_for_the_customers_latest_invoices() {
    let (fake, provider) = FakeChargebee::start().await;
    fake.answer(
        "GET",
        "invoices",
        200,
        json!({"list": [
            {"invoice": {"id": "102", "customer_id": "cus_1", "subscription_id": "sub_1", "status": "paid",
                "total": 2900, "amount_paid": 2900, "amount_due": 0, "currency_code": "USD", "date": 1_702_592_000,
                "recurring": true, "first_invoice": false, "object": "invoice",
                "line_items": [{"entity_type": "plan_item_price", "entity_id": "pro-USD-monthly",
                    "subscription_id": "sub_1", "date_from": 1_702_592_000, "date_to": 1_705_270_400}]}},
            {"invoice": {"id": "101", "customer_id": "cus_1", "status": "voided", "total": 2900,
                "amount_paid": 0, "amount_due": 2900, "currency_code": "USD", "date": 1_700_000_000}}
        ], "next_offset": "[\"1700000000000\",\"101\"]"}),
    );

    let invoices = provider.list_invoices("cus 1&x").await.unwrap();

    let sent = fake.only_request();
    assert_eq!((sent.method.as_str(), sent.path.as_str()), ("GET", "/api/v2/invoices"));
    let query: BTreeMap<_, _> = sent.query.into_iter().collect();
    assert_eq!(query, map(&[("customer_id[is]", "cus 1&x"), ("limit", "24"), ("sort_by[desc]", "date")]));
    assert_eq!(invoices.len(), 2);
    let latest = &invoices[0];
    assert_eq!((latest.id.as_str(), latest.status.as_str(), latest.currency.as_str()), ("102", "paid", "usd"));
    assert_eq!((latest.amount_due_minor, latest.amount_paid_minor), (0, 2900));
    assert_eq!(latest.billing_reason.as_deref(), Some("subscription_cycle"));
    assert_eq!(latest.price_ids, ["pro-USD-monthly"]);
    assert_eq!(latest.hosted_url, None);
    assert_eq!((invoices[1].status.as_str(), invoices[1].amount_due_minor), ("void", 2900));
}

#[actix_web::test]
async fn upcoming_invoice_comes_from_the_renewal_estimate() {
    let (fake, provider) = FakeChargebee::start().await;
    fake.answer(
        "GET",
        "subscriptions/sub_1/renewal_estimate",
        200,
        json!({"estimate": {"created_at": 1_700_000_000, "object": "estimate",
            "subscription_estimate": {"id": "sub_1", "status": "active", "next_billing_at": 1_702_592_000},
            "invoice_estimate": {"recurring": true, "sub_total": 5000, "total": 5000, "amount_due": 4500,
                "credits_applied": 500, "currency_code": "USD", "line_items": []}}}),
    );

    let preview = provider.preview_upcoming_invoice("cus_1", "sub_1").await.unwrap();

    assert_eq!(fake.only_request().path, "/api/v2/subscriptions/sub_1/renewal_estimate");
    assert_eq!((preview.amount_due_minor, preview.currency.as_str()), (4500, "usd"));
    assert_eq!(preview.next_payment_at.map(|t| t.timestamp()), Some(1_702_592_000));
}

#[actix_web::test]
async fn fetch_subscription_percent_encodes_the_id() {
    let (fake, provider) = FakeChargebee::start().await;
    let sub = subscription("a/b c?", "active", &["pro-USD-monthly"]);
    fake.answer("GET", "subscriptions/a%2Fb%20c%3F", 200, subscription_answer(sub));

    let sub = provider.fetch_subscription("a/b c?").await.unwrap();

    assert_eq!(fake.only_request().path, "/api/v2/subscriptions/a%2Fb%20c%3F");
    assert_eq!((sub.id.as_str(), sub.customer_id.as_deref()), ("a/b c?", Some("cus_1")));
    assert_eq!(sub.metadata.get("workspace_id").map(String::as_str), Some("42"));
}

#[actix_web::test]
async fn chargebee_errors_become_billing_errors() {
    let (fake, provider) = FakeChargebee::start().await;
    fake.answer(
        "POST",
        "portal_sessions",
        400,
        json!({"message": "customer[id] : cannot be blank", "type": "invalid_request",
            "api_error_code": "param_wrong_value", "param": "customer[id]", "http_status_code": 400}),
    );
    fake.answer(
        "GET",
        "invoices",
        500,
        json!({"message": "Sorry, something went wrong", "api_error_code": "internal_error", "http_status_code": 500}),
    );
    fake.answer_raw("GET", "hosted_pages/hp_garbled", 200, "<html>maintenance</html>");

    let err = provider.fetch_subscription("sub_missing").await.unwrap_err();
    assert!(matches!(err, BillingError::NotFound(_)), "{err}");
    let err = provider.create_portal_session("", "http://tollgate.test/").await.unwrap_err();
    assert!(
        matches!(&err, BillingError::Rejected { status: 400, message } if message == "customer[id] : cannot be blank"),
        "{err}"
    );
    let err = provider.list_invoices("cus_1").await.unwrap_err();
    assert!(matches!(err, BillingError::Unavailable(_)), "{err}");
    let err = provider.confirm_checkout("hp_garbled").await.unwrap_err();
    assert!(matches!(err, BillingError::Protocol(_)), "{err}");
    assert_eq!(fake.requests().len(), 4);
}

#[actix_web::test]
async fn an_unreachable_chargebee_is_unavailable() {
    // A port that was free a moment ago: nothing listens there now.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let provider =
        ChargebeeProvider::new(&format!("http://127.0.0.1:{port}/api/v2"), "test_key", "http://tollgate.test").unwrap();
    let err = provider.fetch_subscription("sub_1").await.unwrap_err();
    assert!(matches!(err, BillingError::Unavailable(_)), "{err}");
}
