//! Subscription objects of every API version.

use super::*;

/// Current API shape: periods live on the items.
pub(super) fn subscription_new_api() -> Value {
    let mut sub = load(SUBSCRIPTION);
    sub["id"] = json!("sub_1Test");
    sub["status"] = json!("active");
    sub["cancel_at"] = Value::Null;
    sub["canceled_at"] = Value::Null;
    sub["cancel_at_period_end"] = json!(false);
    sub["trial_end"] = json!(P_START - 86_400);
    sub["metadata"] = json!({ "workspace_id": "ws_42", "plan": "pro" });
    let item = &mut sub["items"]["data"][0];
    item["current_period_start"] = json!(P_START);
    item["current_period_end"] = json!(P_END);
    let mut second = item.clone();
    second["id"] = json!("si_second");
    second["price"]["id"] = json!("price_addon");
    second["current_period_start"] = json!(P_START - 100);
    second["current_period_end"] = json!(P_END + 100);
    sub["items"]["data"].as_array_mut().unwrap().push(second);
    sub
}

/// Old API shape: periods on the subscription itself, items without periods.
fn subscription_old_api() -> Value {
    let mut sub = subscription_new_api();
    for item in sub["items"]["data"].as_array_mut().unwrap() {
        let item = item.as_object_mut().unwrap();
        item.remove("current_period_start");
        item.remove("current_period_end");
    }
    sub["current_period_start"] = json!(P_START);
    sub["current_period_end"] = json!(P_END);
    sub
}

#[test]
fn subscription_new_api_periods_from_items() {
    let ev = parse("customer.subscription.updated", subscription_new_api());
    assert_eq!(ev.provider, Provider::Stripe);
    assert_eq!(ev.event_id, "evt_1QTestEventId");
    assert_eq!(ev.event_type, "customer.subscription.updated");
    assert_eq!(ev.kind, EventKind::SubscriptionUpdated);
    assert_eq!(ev.created_at, at(CREATED));
    assert_eq!(ev.customer_id.as_deref(), Some("cus_QXg1o8vcGmoR32"));
    assert_eq!(ev.workspace_ref.as_deref(), Some("ws_42"));
    let sub = ev.subscription.unwrap();
    assert_eq!(sub.id, "sub_1Test");
    assert_eq!(sub.customer_id.as_deref(), Some("cus_QXg1o8vcGmoR32"));
    assert_eq!(sub.status, Some(SubscriptionStatus::Active));
    assert_eq!(sub.price_ids, vec!["price_1PgafmB7WZ01zgkW6dKueIc5", "price_addon"]);
    assert_eq!(sub.current_period_start, Some(at(P_START - 100)));
    assert_eq!(sub.current_period_end, Some(at(P_END + 100)));
    assert_eq!(sub.cancel_at_period_end, Some(false));
    assert_eq!(sub.trial_end, Some(at(P_START - 86_400)));
    assert_eq!(sub.canceled_at, None);
    assert_eq!(sub.metadata.get("plan").map(String::as_str), Some("pro"));
    assert!(ev.invoice.is_none() && ev.checkout.is_none() && ev.refund.is_none());
}

#[test]
fn subscription_old_api_periods_top_level() {
    let ev = parse("customer.subscription.created", subscription_old_api());
    let sub = ev.subscription.unwrap();
    assert_eq!(sub.current_period_start, Some(at(P_START)));
    assert_eq!(sub.current_period_end, Some(at(P_END)));
}

#[test]
fn subscription_price_falls_back_to_plan_and_customer_may_be_expanded() {
    let mut sub = subscription_old_api();
    for item in sub["items"]["data"].as_array_mut().unwrap() {
        item.as_object_mut().unwrap().remove("price");
    }
    sub["items"]["data"][0]["plan"]["id"] = json!("plan_basic");
    sub["items"]["data"][1]["plan"]["id"] = json!("plan_extra");
    sub["customer"] = json!({ "id": "cus_expanded", "object": "customer", "email": "a@b.c" });
    let ev = parse("customer.subscription.updated", sub);
    assert_eq!(ev.customer_id.as_deref(), Some("cus_expanded"));
    let sub = ev.subscription.unwrap();
    assert_eq!(sub.price_ids, vec!["plan_basic", "plan_extra"]);
    assert_eq!(sub.customer_id.as_deref(), Some("cus_expanded"));
}

#[test]
fn subscription_cancel_flags() {
    // The raw fixture has both `cancel_at` and `cancel_at_period_end: true`.
    let mut raw = load(SUBSCRIPTION);
    raw["id"] = json!("sub_raw");
    let sub = parse("customer.subscription.updated", raw).subscription.unwrap();
    assert_eq!(sub.cancel_at_period_end, Some(true));
    assert_eq!(sub.canceled_at, Some(at(1_234_567_890)));

    // `cancel_at` alone (newer dashboards) also means "ends at period end".
    let mut s = subscription_new_api();
    s["cancel_at"] = json!(P_END);
    let sub = parse("customer.subscription.updated", s).subscription.unwrap();
    assert_eq!(sub.cancel_at_period_end, Some(true));

    // Neither field present: the event does not say.
    let mut s = subscription_new_api();
    s.as_object_mut().unwrap().remove("cancel_at");
    s.as_object_mut().unwrap().remove("cancel_at_period_end");
    let sub = parse("customer.subscription.updated", s).subscription.unwrap();
    assert_eq!(sub.cancel_at_period_end, None);
}

#[test]
fn subscription_status_mapping() {
    let cases = [
        ("trialing", Some(SubscriptionStatus::Trialing)),
        ("active", Some(SubscriptionStatus::Active)),
        ("past_due", Some(SubscriptionStatus::PastDue)),
        ("unpaid", Some(SubscriptionStatus::PastDue)),
        ("incomplete", Some(SubscriptionStatus::Incomplete)),
        ("incomplete_expired", Some(SubscriptionStatus::Canceled)),
        ("canceled", Some(SubscriptionStatus::Canceled)),
        ("paused", Some(SubscriptionStatus::Paused)),
        ("something_new", None),
    ];
    for (word, expected) in cases {
        let mut s = subscription_new_api();
        s["status"] = json!(word);
        let sub = parse("customer.subscription.updated", s).subscription.unwrap();
        assert_eq!(sub.status, expected, "status {word}");
    }
}

#[test]
fn subscription_event_types() {
    for (t, kind) in [
        ("customer.subscription.created", EventKind::SubscriptionUpdated),
        ("customer.subscription.trial_will_end", EventKind::SubscriptionUpdated),
        ("customer.subscription.paused", EventKind::SubscriptionUpdated),
        ("customer.subscription.resumed", EventKind::SubscriptionUpdated),
        ("customer.subscription.deleted", EventKind::SubscriptionDeleted),
    ] {
        let ev = parse(t, subscription_new_api());
        assert_eq!(ev.kind, kind, "{t}");
        assert!(ev.subscription.is_some());
    }
}
