//! Tests build events from Stripe's own example objects (stripe/openapi `fixtures3.json`,
//! copied to `tests/fixtures/stripe/`), filling in the placeholder ids and values.

use super::*;
use chrono::{DateTime, Utc};
use serde_json::json;

const EVENT: &str = include_str!("../../../tests/fixtures/stripe/event.json");
const SUBSCRIPTION: &str = include_str!("../../../tests/fixtures/stripe/subscription.json");
const INVOICE: &str = include_str!("../../../tests/fixtures/stripe/invoice.json");
const CHECKOUT: &str = include_str!("../../../tests/fixtures/stripe/checkout_session.json");
const CHARGE: &str = include_str!("../../../tests/fixtures/stripe/charge.json");

const CREATED: i64 = 1_700_000_000;
const P_START: i64 = 1_700_000_000;
const P_END: i64 = 1_702_592_000;

fn load(s: &str) -> Value {
    serde_json::from_str(s).unwrap()
}

fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap()
}

/// Wrap `object` in the real event envelope from the fixtures.
fn envelope(event_type: &str, object: Value) -> Vec<u8> {
    let mut ev = load(EVENT);
    ev["id"] = json!("evt_1QTestEventId");
    ev["type"] = json!(event_type);
    ev["created"] = json!(CREATED);
    ev["api_version"] = json!("2025-03-31.basil");
    ev["data"] = json!({ "object": object });
    serde_json::to_vec(&ev).unwrap()
}

fn parse(event_type: &str, object: Value) -> NormalizedEvent {
    parse_stripe_event(&envelope(event_type, object)).unwrap()
}

/// Current API shape: periods live on the items.
fn subscription_new_api() -> Value {
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

/// Current API shape: subscription via `parent.subscription_details`, price via `pricing`.
fn invoice_new_api() -> Value {
    let mut inv = load(INVOICE);
    inv["id"] = json!("in_1Test");
    inv["number"] = json!("ABCD-0001");
    inv["status"] = json!("paid");
    inv["amount_due"] = json!(2000);
    inv["amount_paid"] = json!(2000);
    inv["currency"] = json!("USD");
    inv["billing_reason"] = json!("subscription_cycle");
    inv["hosted_invoice_url"] = json!("https://invoice.stripe.com/i/acct_1/test_inv");
    inv["invoice_pdf"] = json!("https://pay.stripe.com/invoice/acct_1/test_inv/pdf");
    inv["status_transitions"]["finalized_at"] = json!(P_START + 60);
    inv["parent"] = json!({
        "quote_details": null,
        "subscription_details": { "metadata": { "workspace_id": "ws_7" }, "subscription": "sub_1Test" },
        "type": "subscription_details"
    });
    let line = &mut inv["lines"]["data"][0];
    line["parent"]["type"] = json!("subscription_item_details");
    line["parent"]["invoice_item_details"] = Value::Null;
    line["parent"]["subscription_item_details"]["subscription"] = json!("sub_1Test");
    line["parent"]["subscription_item_details"]["subscription_item"] = json!("si_QXhVnC2h0Jczwc");
    line["parent"]["subscription_item_details"]["proration"] = json!(false);
    line["pricing"]["price_details"] = json!({ "price": "price_pro", "product": "prod_pro" });
    line["period"] = json!({ "start": P_START, "end": P_END });
    inv
}

/// Old API shape: top-level `subscription`, `line.subscription`, `line.price` object.
fn invoice_old_api() -> Value {
    let mut inv = invoice_new_api();
    let obj = inv.as_object_mut().unwrap();
    obj.remove("parent");
    obj.insert("subscription".into(), json!("sub_old"));
    obj.insert("subscription_details".into(), json!({ "metadata": { "workspace_id": "ws_old" } }));
    let line = inv["lines"]["data"][0].as_object_mut().unwrap();
    line.remove("parent");
    line.remove("pricing");
    line.insert("type".into(), json!("subscription"));
    line.insert("subscription".into(), json!("sub_old"));
    line.insert("proration".into(), json!(false));
    let price = load(SUBSCRIPTION)["items"]["data"][0]["price"].clone();
    line.insert("price".into(), price);
    inv
}

#[test]
fn invoice_new_api_shape() {
    let ev = parse("invoice.paid", invoice_new_api());
    assert_eq!(ev.kind, EventKind::InvoicePaid);
    assert_eq!(ev.customer_id.as_deref(), Some("cus_QXg1o8vcGmoR32"));
    assert_eq!(ev.workspace_ref.as_deref(), Some("ws_7"));
    let inv = ev.invoice.unwrap();
    assert_eq!(inv.id, "in_1Test");
    assert_eq!(inv.number.as_deref(), Some("ABCD-0001"));
    assert_eq!(inv.subscription_id.as_deref(), Some("sub_1Test"));
    assert_eq!(inv.status, "paid");
    assert_eq!((inv.amount_due_minor, inv.amount_paid_minor), (2000, 2000));
    assert_eq!(inv.currency, "usd");
    assert!(inv.hosted_url.unwrap().starts_with("https://invoice.stripe.com/"));
    assert!(inv.pdf_url.unwrap().ends_with("/pdf"));
    assert_eq!(inv.billing_reason.as_deref(), Some("subscription_cycle"));
    assert_eq!(inv.line_period_start, Some(at(P_START)));
    assert_eq!(inv.line_period_end, Some(at(P_END)));
    assert_eq!(inv.period_start, Some(at(1_234_567_890)));
    assert_eq!(inv.price_ids, vec!["price_pro"]);
    assert_eq!(inv.issued_at, Some(at(P_START + 60)));
}

#[test]
fn invoice_old_api_shape() {
    let ev = parse("invoice.payment_succeeded", invoice_old_api());
    assert_eq!(ev.kind, EventKind::InvoicePaid);
    assert_eq!(ev.workspace_ref.as_deref(), Some("ws_old"));
    let inv = ev.invoice.unwrap();
    assert_eq!(inv.subscription_id.as_deref(), Some("sub_old"));
    assert_eq!(inv.price_ids, vec!["price_1PgafmB7WZ01zgkW6dKueIc5"]);
    assert_eq!(inv.line_period_start, Some(at(P_START)));
    assert_eq!(inv.line_period_end, Some(at(P_END)));
}

#[test]
fn invoice_other_types_and_issued_at_fallback() {
    let mut inv = invoice_new_api();
    inv["status"] = json!("open");
    inv["status_transitions"]["finalized_at"] = Value::Null;
    let ev = parse("invoice.payment_failed", inv.clone());
    assert_eq!(ev.kind, EventKind::InvoicePaymentFailed);
    let data = ev.invoice.unwrap();
    assert_eq!(data.status, "open");
    assert_eq!(data.issued_at, Some(at(1_234_567_890)));
    assert_eq!(parse("invoice.finalized", inv).kind, EventKind::InvoiceGenerated);
}

#[test]
fn invoice_period_line_skips_prorations_and_manual_items() {
    let mut inv = invoice_new_api();
    let regular = inv["lines"]["data"][0].clone();
    let mut proration = regular.clone();
    proration["id"] = json!("il_proration");
    proration["parent"]["subscription_item_details"]["proration"] = json!(true);
    proration["period"] = json!({ "start": P_START + 500, "end": P_END });
    proration["pricing"]["price_details"]["price"] = json!("price_old");
    let mut manual = load(INVOICE)["lines"]["data"][0].clone();
    manual["parent"] = json!({
        "type": "invoice_item_details",
        "invoice_item_details": { "invoice_item": "ii_1", "proration": false, "subscription": null }
    });
    manual["period"] = json!({ "start": 1, "end": 1 });
    inv["lines"]["data"] = json!([manual, proration, regular]);
    let data = parse("invoice.paid", inv).invoice.unwrap();
    assert_eq!(data.line_period_start, Some(at(P_START)));
    assert_eq!(data.price_ids, vec!["price_old", "price_pro"]);

    // Only the manual line: no subscription period, no prices, no subscription.
    let mut inv = load(INVOICE);
    inv["lines"]["data"] = json!([manual]);
    inv["parent"] = Value::Null;
    let data = parse("invoice.paid", inv).invoice.unwrap();
    assert_eq!(data.subscription_id, None);
    assert_eq!(data.line_period_start, None);
    assert!(data.price_ids.is_empty());
    assert_eq!(data.billing_reason.as_deref(), Some("manual"));
    assert_eq!(data.status, "draft");
}

fn checkout_subscription_mode() -> Value {
    let mut cs = load(CHECKOUT);
    cs["mode"] = json!("subscription");
    cs["status"] = json!("complete");
    cs["payment_status"] = json!("paid");
    cs["client_reference_id"] = json!("ws_123");
    cs["customer"] = json!("cus_new");
    cs["subscription"] = json!("sub_new");
    cs["payment_intent"] = Value::Null;
    cs["amount_total"] = json!(2000);
    cs["currency"] = json!("usd");
    cs["metadata"] = json!({ "workspace_id": "ws_meta", "plan": "pro" });
    cs
}

#[test]
fn checkout_completed_subscription_mode() {
    let ev = parse("checkout.session.completed", checkout_subscription_mode());
    assert_eq!(ev.kind, EventKind::CheckoutCompleted);
    assert_eq!(ev.customer_id.as_deref(), Some("cus_new"));
    // client_reference_id wins over metadata.
    assert_eq!(ev.workspace_ref.as_deref(), Some("ws_123"));
    let c = ev.checkout.unwrap();
    assert!(c.id.starts_with("cs_test_"));
    assert_eq!(c.mode, Some(CheckoutMode::Subscription));
    assert_eq!(c.client_reference_id.as_deref(), Some("ws_123"));
    assert_eq!(c.subscription_id.as_deref(), Some("sub_new"));
    assert_eq!(c.payment_intent_id, None);
    assert_eq!(c.payment_status.as_deref(), Some("paid"));
    assert_eq!(c.status.as_deref(), Some("complete"));
    assert_eq!(c.amount_total_minor, Some(2000));
    assert_eq!(c.currency.as_deref(), Some("usd"));
    assert_eq!(c.metadata.len(), 2);
}

#[test]
fn checkout_payment_mode_async_and_metadata_workspace() {
    let mut cs = load(CHECKOUT);
    cs["metadata"] = json!({ "workspace_id": "ws_meta" });
    cs["subscription"] = json!({ "id": "sub_expanded", "object": "subscription" });
    let ev = parse("checkout.session.async_payment_succeeded", cs);
    assert_eq!(ev.kind, EventKind::CheckoutCompleted);
    assert_eq!(ev.workspace_ref.as_deref(), Some("ws_meta"));
    assert_eq!(ev.customer_id, None);
    let c = ev.checkout.unwrap();
    assert_eq!(c.mode, Some(CheckoutMode::Payment));
    assert_eq!(c.payment_intent_id.as_deref(), Some("pi_1PgafyB7WZ01zgkWSjxsAJo3"));
    assert_eq!(c.subscription_id.as_deref(), Some("sub_expanded"));
    assert_eq!(c.amount_total_minor, None);
    assert_eq!(c.currency, None);
}

fn refunded_charge(refunded: i64) -> Value {
    let mut ch = load(CHARGE);
    ch["amount"] = json!(2000);
    ch["amount_captured"] = json!(2000);
    ch["captured"] = json!(true);
    ch["amount_refunded"] = json!(refunded);
    ch["refunded"] = json!(refunded == 2000);
    ch["customer"] = json!("cus_refund");
    ch["payment_intent"] = json!("pi_refund");
    ch["invoice"] = json!("in_refund");
    ch["currency"] = json!("eur");
    ch["metadata"] = json!({ "workspace_id": "ws_9" });
    ch
}

#[test]
fn charge_refunded_full_and_partial() {
    let ev = parse("charge.refunded", refunded_charge(2000));
    assert_eq!(ev.kind, EventKind::Refunded);
    assert_eq!(ev.customer_id.as_deref(), Some("cus_refund"));
    assert_eq!(ev.workspace_ref.as_deref(), Some("ws_9"));
    let r = ev.refund.unwrap();
    assert_eq!(r.id, "ch_1PgafuB7WZ01zgkWXYmPNZs8");
    assert_eq!(r.payment_intent_id.as_deref(), Some("pi_refund"));
    assert_eq!(r.invoice_id.as_deref(), Some("in_refund"));
    assert_eq!((r.amount_minor, r.amount_refunded_minor), (2000, 2000));
    assert_eq!(r.currency, "eur");
    assert!(r.fully_refunded);

    let r = parse("charge.refunded", refunded_charge(500)).refund.unwrap();
    assert_eq!(r.amount_refunded_minor, 500);
    assert!(!r.fully_refunded);
}

#[test]
fn unknown_types_are_ignored_but_ok() {
    // The fixture event itself is a real `plan.created` event.
    let ev = parse_stripe_event(EVENT.as_bytes()).unwrap();
    assert_eq!(ev.kind, EventKind::Ignored);
    assert_eq!(ev.event_id, "evt_1Pgc76B7WZ01zgkWwyRHS12y");
    assert_eq!(ev.event_type, "plan.created");
    assert_eq!(ev.created_at, at(1_234_567_890));
    assert!(ev.subscription.is_none() && ev.invoice.is_none());

    // Ignored events still carry what their object says, best effort.
    let ev = parse("customer.subscription.pending_update_applied", subscription_new_api());
    assert_eq!(ev.kind, EventKind::Ignored);
    assert_eq!(ev.subscription.map(|s| s.id).as_deref(), Some("sub_1Test"));
    let ev = parse("charge.succeeded", refunded_charge(0));
    assert_eq!(ev.kind, EventKind::Ignored);
    assert!(ev.refund.is_none());
    assert_eq!(ev.customer_id.as_deref(), Some("cus_refund"));
    // A broken object in an ignored event is not an error.
    let ev = parse("invoice.created", json!({ "object": "invoice" }));
    assert!(ev.invoice.is_none());
    // Nor is a missing data object.
    let raw = br#"{"id":"evt_1","type":"ping","created":1700000000}"#;
    assert_eq!(parse_stripe_event(raw).unwrap().kind, EventKind::Ignored);
}

#[test]
fn envelope_errors() {
    assert!(matches!(parse_stripe_event(b"not json"), Err(EventParseError::Json(_))));
    assert!(matches!(parse_stripe_event(b"[1,2]"), Err(EventParseError::Malformed(_))));
    let no_id = br#"{"object":"event","type":"invoice.paid","created":1}"#;
    assert_eq!(parse_stripe_event(no_id), Err(EventParseError::MissingId));
    let no_type = br#"{"id":"evt_1","object":"event","created":1}"#;
    assert_eq!(parse_stripe_event(no_type), Err(EventParseError::MissingType));
    // The signature test vector body has no `created`.
    let no_created = br#"{"id":"evt_test_webhook","object":"event","type":"checkout.session.completed"}"#;
    assert!(matches!(parse_stripe_event(no_created), Err(EventParseError::Malformed(_))));
    let bad_created = br#"{"id":"evt_1","type":"ping","created":"yesterday"}"#;
    assert!(matches!(parse_stripe_event(bad_created), Err(EventParseError::Malformed(_))));
}

#[test]
fn mapped_events_need_an_object_with_id() {
    let raw = br#"{"id":"evt_1","type":"invoice.paid","created":1700000000,"data":{}}"#;
    assert!(matches!(parse_stripe_event(raw), Err(EventParseError::Malformed(_))));
    let mut sub = subscription_new_api();
    sub.as_object_mut().unwrap().remove("id");
    let body = envelope("customer.subscription.updated", sub);
    assert!(matches!(parse_stripe_event(&body), Err(EventParseError::Malformed(_))));
}
