//! Interval changes and undoing a scheduled change, against the fake Chargebee.

use serde_json::json;
use tollgate::billing::{BillingProvider, ChangeTiming};

use super::fake::{FakeChargebee, subscription, subscription_answer};
use super::map;

#[actix_web::test]
async fn a_move_to_monthly_billing_waits_for_the_end_of_term() {
    let (fake, provider) = FakeChargebee::start().await;
    let mut yearly = subscription("sub_1", "active", &["pro-USD-Yearly"]);
    yearly["has_scheduled_changes"] = json!(true);
    fake.answer("POST", "subscriptions/sub_1/update_for_items", 200, subscription_answer(yearly));

    let change = provider.change_plan("sub_1", "pro-USD-Monthly", ChangeTiming::AtPeriodEndNewCycle).await.unwrap();

    assert!(!change.applied);
    assert_eq!(change.subscription.price_ids, ["pro-USD-Yearly"]);
    assert_eq!(change.subscription.has_scheduled_changes, Some(true));
    assert_eq!(
        fake.only_request().form(),
        map(&[
            ("subscription_items[item_price_id][0]", "pro-USD-Monthly"),
            ("subscription_items[quantity][0]", "1"),
            ("change_option", "end_of_term"),
        ])
    );
}

#[actix_web::test]
async fn a_move_to_yearly_billing_is_charged_now() {
    let (fake, provider) = FakeChargebee::start().await;
    let yearly = subscription("sub_1", "active", &["pro-USD-Yearly"]);
    fake.answer("POST", "subscriptions/sub_1/update_for_items", 200, subscription_answer(yearly));
    let change = provider.change_plan("sub_1", "pro-USD-Yearly", ChangeTiming::ImmediatelyNewCycle).await.unwrap();
    assert!(change.applied);
    assert_eq!(
        fake.only_request().form(),
        map(&[
            ("subscription_items[item_price_id][0]", "pro-USD-Yearly"),
            ("subscription_items[quantity][0]", "1"),
            ("prorate", "true"),
            ("invoice_immediately", "true"),
        ])
    );
}

#[actix_web::test]
async fn undoing_a_scheduled_change_removes_it_only_when_there_is_one() {
    let (fake, provider) = FakeChargebee::start().await;
    let mut scheduled = subscription("sub_1", "active", &["pro-USD-Monthly"]);
    scheduled["has_scheduled_changes"] = json!(true);
    fake.answer("GET", "subscriptions/sub_1", 200, subscription_answer(scheduled));
    let mut cleared = subscription("sub_1", "active", &["pro-USD-Monthly"]);
    cleared["has_scheduled_changes"] = json!(false);
    fake.answer("POST", "subscriptions/sub_1/remove_scheduled_changes", 200, subscription_answer(cleared.clone()));

    let sub = provider.cancel_scheduled_change("sub_1", "pro-USD-Monthly").await.unwrap();
    assert_eq!(sub.has_scheduled_changes, Some(false));
    let calls: Vec<_> = fake.requests().into_iter().map(|r| format!("{} {} {:?}", r.method, r.path, r.form)).collect();
    assert_eq!(
        calls,
        ["GET /api/v2/subscriptions/sub_1 []", "POST /api/v2/subscriptions/sub_1/remove_scheduled_changes []"]
    );

    // Nothing scheduled (a second click, or undone in the portal): only the question.
    fake.answer("GET", "subscriptions/sub_1", 200, subscription_answer(cleared));
    provider.cancel_scheduled_change("sub_1", "pro-USD-Monthly").await.unwrap();
    assert_eq!(fake.requests().len(), 3);
}
