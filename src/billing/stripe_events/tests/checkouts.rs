//! Checkout sessions, refunds, ignored types and malformed envelopes.

use super::subscriptions::subscription_new_api;
use super::*;

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
