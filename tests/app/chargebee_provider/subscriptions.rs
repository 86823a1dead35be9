//! Plan changes, cancellations, add-on removal, invoices, estimates and error mapping.

use std::collections::BTreeMap;

use serde_json::json;
use tollgate::billing::chargebee::ChargebeeProvider;
use tollgate::billing::{BillingError, BillingProvider, ChangeTiming, SubscriptionStatus};

use super::fake::{FakeChargebee, subscription, subscription_answer};
use super::map;

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

#[actix_web::test]
async fn extend_trial_changes_the_term_end_of_the_trial() {
    let (fake, provider) = FakeChargebee::start().await;
    let mut extended = subscription("sub_1", "in_trial", &["pro-USD-monthly"]);
    extended["trial_end"] = json!(1_702_592_000);
    extended["current_term_end"] = json!(1_702_592_000);
    fake.answer("POST", "subscriptions/sub_1/change_term_end", 200, subscription_answer(extended));

    let end = chrono::DateTime::from_timestamp(1_702_592_000, 0).unwrap();
    let sub = provider.extend_trial("sub_1", end).await.unwrap();

    assert_eq!(sub.status, Some(SubscriptionStatus::Trialing));
    assert_eq!(sub.trial_end, Some(end));
    let sent = fake.only_request();
    assert_eq!((sent.method.as_str(), sent.path.as_str()), ("POST", "/api/v2/subscriptions/sub_1/change_term_end"));
    assert_eq!(sent.form(), map(&[("term_ends_at", "1702592000")]));
}
