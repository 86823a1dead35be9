//! The Stripe provider's plan changes against the fake Stripe: a move to yearly billing
//! starts a new cycle now, a move to monthly billing waits for the paid period through a
//! subscription schedule, and a scheduled change is undone without charging anything.

use serde_json::{Value, json};
use tollgate::billing::{BillingProvider, ChangeTiming};

use crate::stripe_provider::{FakeStripe, fields, subscription_answer};

/// The fake's subscription on `price`, managed by `schedule` when given.
pub(crate) fn on_price(price: &str, schedule: Option<&str>) -> Value {
    let mut s = subscription_answer(false);
    s["items"]["data"][0]["price"]["id"] = json!(price);
    s["schedule"] = json!(schedule);
    s
}

pub(crate) fn schedule_answer(id: &str) -> Value {
    json!({"id": id, "object": "subscription_schedule", "subscription": "sub_1", "status": "active",
        "end_behavior": "release", "current_phase": {"start_date": 1_870_000_000, "end_date": 1_900_000_000},
        "phases": [{"start_date": 1_870_000_000, "end_date": 1_900_000_000,
            "items": [{"price": "price_pro_yearly", "quantity": 1}]}]})
}

#[actix_web::test]
async fn a_move_to_yearly_billing_starts_a_new_cycle_now_and_is_charged_at_once() {
    let stripe = FakeStripe::start().await;
    stripe.reply(200, on_price("price_pro_monthly", None));
    stripe.reply(200, on_price("price_pro_yearly", None));
    let change =
        stripe.provider().change_plan("sub_1", "price_pro_yearly", ChangeTiming::ImmediatelyNewCycle).await.unwrap();
    assert!(change.applied);
    let sent = stripe.requests();
    assert_eq!((sent[1].method.as_str(), sent[1].path.as_str()), ("POST", "/v1/subscriptions/sub_1"));
    assert_eq!(
        sent[1].form,
        fields(&[
            ("items[0][id]", "si_1"),
            ("items[0][price]", "price_pro_yearly"),
            ("proration_behavior", "always_invoice"),
            ("payment_behavior", "pending_if_incomplete"),
            ("billing_cycle_anchor[type]", "now"),
        ])
    );
    // Declined: parked, not applied.
    stripe.reply(200, on_price("price_pro_monthly", None));
    stripe.reply(200, subscription_answer(true));
    let change =
        stripe.provider().change_plan("sub_1", "price_pro_yearly", ChangeTiming::ImmediatelyNewCycle).await.unwrap();
    assert!(!change.applied);
}

#[actix_web::test]
async fn a_move_to_monthly_billing_is_a_schedule_that_keeps_the_paid_year() {
    let stripe = FakeStripe::start().await;
    stripe.reply(200, on_price("price_pro_yearly", None));
    stripe.reply(200, schedule_answer("sub_sched_1"));
    stripe.reply(200, schedule_answer("sub_sched_1"));
    let change =
        stripe.provider().change_plan("sub_1", "price_pro_monthly", ChangeTiming::AtPeriodEndNewCycle).await.unwrap();
    assert!(!change.applied, "nothing changes before the year ends");
    assert_eq!(change.subscription.price_ids, ["price_pro_yearly"]);
    let sent = stripe.requests();
    let calls: Vec<(&str, &str)> = sent.iter().map(|r| (r.method.as_str(), r.path.as_str())).collect();
    assert_eq!(
        calls,
        [
            ("GET", "/v1/subscriptions/sub_1"),
            ("POST", "/v1/subscription_schedules"),
            ("POST", "/v1/subscription_schedules/sub_sched_1")
        ]
    );
    assert_eq!(sent[1].form, fields(&[("from_subscription", "sub_1")]));
    assert_eq!(
        sent[2].form,
        fields(&[
            ("end_behavior", "release"),
            ("proration_behavior", "none"),
            ("phases[0][items][0][price]", "price_pro_yearly"),
            ("phases[0][items][0][quantity]", "1"),
            ("phases[0][start_date]", "1870000000"),
            ("phases[0][end_date]", "1900000000"),
            ("phases[1][items][0][price]", "price_pro_monthly"),
            ("phases[1][items][0][quantity]", "1"),
        ])
    );

    // A subscription already on a schedule: that schedule's phases are rewritten.
    stripe.reply(200, on_price("price_pro_yearly", Some("sub_sched_9")));
    stripe.reply(200, schedule_answer("sub_sched_9"));
    stripe.reply(200, schedule_answer("sub_sched_9"));
    stripe.provider().change_plan("sub_1", "price_starter_monthly", ChangeTiming::AtPeriodEndNewCycle).await.unwrap();
    let calls: Vec<String> = stripe.requests().into_iter().map(|r| format!("{} {}", r.method, r.path)).collect();
    assert_eq!(
        calls,
        [
            "GET /v1/subscriptions/sub_1",
            "GET /v1/subscription_schedules/sub_sched_9",
            "POST /v1/subscription_schedules/sub_sched_9"
        ]
    );
}

#[actix_web::test]
async fn undoing_a_scheduled_change_swaps_back_or_releases_without_charging() {
    let stripe = FakeStripe::start().await;
    // A same-interval downgrade was a price swap: swap back, no proration.
    stripe.reply(200, on_price("price_starter_monthly", None));
    stripe.reply(200, on_price("price_pro_monthly", None));
    let sub = stripe.provider().cancel_scheduled_change("sub_1", "price_pro_monthly").await.unwrap();
    assert_eq!(sub.price_ids, ["price_pro_monthly"]);
    let sent = stripe.requests();
    assert_eq!(sent.len(), 2);
    assert_eq!(
        sent[1].form,
        fields(&[("items[0][id]", "si_1"), ("items[0][price]", "price_pro_monthly"), ("proration_behavior", "none")])
    );

    // A schedule: released, the price untouched.
    stripe.reply(200, on_price("price_pro_yearly", Some("sub_sched_1")));
    stripe.reply(200, schedule_answer("sub_sched_1"));
    let sub = stripe.provider().cancel_scheduled_change("sub_1", "price_pro_yearly").await.unwrap();
    assert_eq!(sub.price_ids, ["price_pro_yearly"]);
    let calls: Vec<String> =
        stripe.requests().into_iter().map(|r| format!("{} {} {:?}", r.method, r.path, r.form)).collect();
    assert_eq!(calls, ["GET /v1/subscriptions/sub_1 {}", "POST /v1/subscription_schedules/sub_sched_1/release {}"]);

    // Nothing scheduled: only the question.
    stripe.reply(200, on_price("price_pro_monthly", None));
    stripe.provider().cancel_scheduled_change("sub_1", "price_pro_monthly").await.unwrap();
    assert_eq!(stripe.requests().len(), 1);
}

#[actix_web::test]
async fn extending_a_trial_moves_trial_end_and_bills_nothing() {
    let stripe = FakeStripe::start().await;
    let mut extended = subscription_answer(false);
    extended["status"] = json!("trialing");
    extended["trial_end"] = json!(1_900_604_800);
    stripe.reply(200, extended);
    let end = chrono::DateTime::from_timestamp(1_900_604_800, 0).unwrap();
    let sub = stripe.provider().extend_trial("sub_1", end).await.unwrap();
    assert_eq!(sub.trial_end, Some(end));
    let sent = stripe.requests();
    assert_eq!(sent.len(), 1);
    assert_eq!((sent[0].method.as_str(), sent[0].path.as_str()), ("POST", "/v1/subscriptions/sub_1"));
    assert_eq!(sent[0].form, fields(&[("trial_end", "1900604800"), ("proration_behavior", "none")]));
}
