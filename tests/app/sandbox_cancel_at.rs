//! Cancelling at a date in the sandbox, as on Stripe: `cancel_at` is stored and reported (with
//! `cancel_at_period_end: false`), the subscription renews normally before it, the period it
//! falls in is billed only up to it, and at that time it ends with
//! `customer.subscription.deleted`. The app keeps the real end all along (issue 8, point 3).
//! Bad dates and conflicting parameters are Stripe-shaped 400s.

use chrono::{DateTime, Utc};
use reqwest::Method;
use serde_json::Value;
use tollgate::services::jobs;

use crate::common::*;
use crate::sandbox::{GOOD, advance_to, advance_to_renewal, api, clock_of, stored_events, types};

/// Signs up and buys `plan` every `interval` with `card` through the app's pages; returns the
/// workspace, its customer and its subscription.
pub async fn subscribe(app: &TestApp, email: &str, plan: &str, interval: &str, card: &str) -> (i64, String, String) {
    let ws = app.signup(email).await;
    let billing = format!("/w/{ws}/billing");
    let res = app.post_form(&billing, &format!("/w/{ws}/checkout"), &[("plan", plan), ("interval", interval)]).await;
    let checkout = location(&res).strip_prefix(&app.address).unwrap().to_owned();
    let res = app.post_form(&checkout, &format!("{checkout}/pay"), &[("card", card)]).await;
    app.get(location(&res).strip_prefix(&app.address).unwrap()).await;
    assert_eq!(app.plan_code(ws), plan);
    let w = app.workspace(ws);
    (ws, w.provider_customer_id.unwrap(), w.provider_subscription_id.unwrap())
}

pub async fn subscription(app: &TestApp, id: &str) -> Value {
    let (status, sub) = api(app, Method::GET, &format!("subscriptions/{id}"), &[]).await;
    assert_eq!(status, 200, "{sub}");
    sub
}

/// The customer's invoices, oldest first (by number: several can share a frozen second).
pub async fn invoices(app: &TestApp, customer: &str) -> Vec<Value> {
    let (status, list) = api(app, Method::GET, "invoices", &[("customer", customer), ("limit", "100")]).await;
    assert_eq!(status, 200, "{list}");
    let mut all = list["data"].as_array().unwrap().clone();
    all.sort_by_key(|i| i["number"].as_str().unwrap_or_default().to_owned());
    all
}

/// Waits until the sandbox has recorded more than `before` events and delivered them all (an
/// API update delivers after answering), then checks the app.
pub async fn deliver_after(app: &TestApp, before: usize) {
    for _ in 0..100 {
        let events = stored_events(app);
        if events.len() > before && events.iter().all(|e| e.delivered_at.is_some()) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the sandbox's events were not delivered: {:?}", stored_events(app));
}

fn at(seconds: i64) -> chrono::NaiveDateTime {
    DateTime::<Utc>::from_timestamp(seconds, 0).unwrap().naive_utc()
}

#[actix_web::test]
async fn cancel_at_a_date_renews_before_it_bills_up_to_it_and_ends_there() {
    let app = spawn_app().await;
    let (ws, customer, sub_id) = subscribe(&app, "cancelat@example.com", "starter", "month", GOOD).await;
    let now = clock_of(&app, &customer).await["frozen_time"].as_i64().unwrap();
    let cancel_at = now + 75 * 86_400;
    let recorded = stored_events(&app).len();
    let (status, sub) = api(
        &app,
        Method::POST,
        &format!("subscriptions/{sub_id}"),
        &[("cancel_at", &cancel_at.to_string()), ("cancel_at_period_end", "false")],
    )
    .await;
    assert_eq!(status, 200, "{sub}");
    assert_eq!((sub["cancel_at"].as_i64(), &sub["cancel_at_period_end"]), (Some(cancel_at), &Value::Bool(false)));
    assert_eq!(sub["status"], "active");
    deliver_after(&app, recorded).await;
    let w = app.workspace(ws);
    assert_eq!(w.cancel_at, Some(at(cancel_at)), "the app stores the real end, not the period end");

    // Two ordinary renewals before the date; the app's jobs, at the clock's time, leave it be.
    for _ in 0..2 {
        advance_to_renewal(&app, &customer).await;
        jobs::run_all(&app.state).await.unwrap();
        assert_eq!(app.plan_code(ws), "starter", "renews normally before cancel_at");
        let last = invoices(&app, &customer).await.pop().unwrap();
        assert_eq!(last["billing_reason"], "subscription_cycle");
        assert_eq!(last["status"], "paid");
        if last["lines"]["data"][0]["period"]["end"].as_i64() == Some(cancel_at) {
            // The period cancel_at falls in is billed only up to it.
            let period = &last["lines"]["data"][0]["period"];
            let start = period["start"].as_i64().unwrap();
            let natural = at(start).checked_add_months(chrono::Months::new(1)).unwrap().and_utc().timestamp();
            let expected = i128::from(2000) * i128::from(cancel_at - start) / i128::from(natural - start);
            assert_eq!(i128::from(last["amount_due"].as_i64().unwrap()), expected);
            assert!(expected > 0 && expected < 2000);
        } else {
            assert_eq!(last["amount_due"], 2000);
        }
    }
    let sub = subscription(&app, &sub_id).await;
    assert_eq!(sub["items"]["data"][0]["current_period_end"].as_i64(), Some(cancel_at), "the last period ends there");
    assert_eq!(sub["cancel_at"].as_i64(), Some(cancel_at));
    assert_eq!(app.workspace(ws).cancel_at, Some(at(cancel_at)));

    advance_to(&app, &customer, cancel_at).await;
    jobs::run_all(&app.state).await.unwrap();
    let sub = subscription(&app, &sub_id).await;
    assert_eq!((sub["status"].as_str(), sub["ended_at"].as_i64()), (Some("canceled"), Some(cancel_at)));
    assert_eq!(types(&app).last().map(String::as_str), Some("customer.subscription.deleted"));
    assert_eq!(app.plan_code(ws), "free");
    assert_eq!(invoices(&app, &customer).await.len(), 3, "nothing billed after the end");
}

#[actix_web::test]
async fn clearing_cancel_at_and_period_end_cancellation_report_like_stripe() {
    let app = spawn_app().await;
    let (_, customer, sub_id) = subscribe(&app, "clear@example.com", "starter", "month", GOOD).await;
    let path = format!("subscriptions/{sub_id}");
    let now = clock_of(&app, &customer).await["frozen_time"].as_i64().unwrap();
    let (_, sub) = api(&app, Method::POST, &path, &[("cancel_at", &(now + 86_400).to_string())]).await;
    assert_eq!(sub["cancel_at"].as_i64(), Some(now + 86_400));
    let (_, sub) = api(&app, Method::POST, &path, &[("cancel_at", "")]).await;
    assert_eq!((&sub["cancel_at"], &sub["canceled_at"]), (&Value::Null, &Value::Null), "an empty value clears it");

    let (_, sub) = api(&app, Method::POST, &path, &[("cancel_at_period_end", "true")]).await;
    let period_end = sub["items"]["data"][0]["current_period_end"].as_i64();
    assert_eq!((sub["cancel_at"].as_i64(), &sub["cancel_at_period_end"]), (period_end, &Value::Bool(true)));
    let (_, sub) = api(&app, Method::POST, &path, &[("cancel_at_period_end", "false")]).await;
    assert_eq!((&sub["cancel_at"], &sub["cancel_at_period_end"]), (&Value::Null, &Value::Bool(false)));
    let (_, sub) = api(&app, Method::POST, &path, &[("cancel_at", "min_period_end")]).await;
    assert_eq!(sub["cancel_at"].as_i64(), period_end);
    // The previous value is in the event, as Stripe's `previous_attributes`.
    let events = stored_events(&app);
    let last: Value = serde_json::from_str(&events.last().unwrap().payload).unwrap();
    assert_eq!(last["data"]["previous_attributes"]["cancel_at"], Value::Null);
}

#[actix_web::test]
async fn bad_cancel_at_values_are_stripe_400s_and_change_nothing() {
    let app = spawn_app().await;
    let (_, customer, sub_id) = subscribe(&app, "badcancel@example.com", "starter", "month", GOOD).await;
    let path = format!("subscriptions/{sub_id}");
    let now = clock_of(&app, &customer).await["frozen_time"].as_i64().unwrap();
    let before = subscription(&app, &sub_id).await;
    let tomorrow = (now + 86_400).to_string();
    for (fields, words) in [
        (vec![("cancel_at", "soon")], "not a unix timestamp"),
        (vec![("cancel_at", "-5")], "outside the times"),
        (vec![("cancel_at", "99999999999999")], "outside the times"),
        (vec![("cancel_at", "9223372036854775807")], "outside the times"),
        (vec![("cancel_at", "99999999999999999999999")], "not a unix timestamp"),
        (vec![("cancel_at", &*now.to_string())], "in the future"),
        (vec![("cancel_at", &*tomorrow), ("cancel_at_period_end", "true")], "only specify one"),
        (vec![("cancel_at_period_end", "maybe")], "Invalid boolean"),
    ] {
        let (status, body) = api(&app, Method::POST, &path, &fields).await;
        assert_eq!(status, 400, "{fields:?}: {body}");
        assert_eq!(body["error"]["type"], "invalid_request_error");
        assert!(body["error"]["message"].as_str().unwrap().contains(words), "{fields:?}: {body}");
    }
    assert_eq!(subscription(&app, &sub_id).await, before, "nothing was written");
}
