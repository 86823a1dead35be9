//! Every captured Chargebee payload in `tests/fixtures/chargebee/` (PC 1.0, from
//! `bonusly/mock_chargebee`) plus hand-made PC 2.0 and edge-case variants of them.

use super::*;
use serde_json::json;

mod mapping;

const INVOICE_GENERATED: &str = include_str!("../../../tests/fixtures/chargebee/invoice_generated.json");
const PAYMENT_FAILED: &str = include_str!("../../../tests/fixtures/chargebee/payment_failed.json");
const PAYMENT_REFUNDED: &str = include_str!("../../../tests/fixtures/chargebee/payment_refunded.json");
const PAYMENT_SUCCEEDED: &str = include_str!("../../../tests/fixtures/chargebee/payment_succeeded.json");
const PORTAL_SESSION: &str = include_str!("../../../tests/fixtures/chargebee/portal_session_response.json");
const SUB_ACTIVATED: &str = include_str!("../../../tests/fixtures/chargebee/subscription_activated.json");
const SUB_CANCEL_SCHEDULED: &str =
    include_str!("../../../tests/fixtures/chargebee/subscription_cancellation_scheduled.json");
const SUB_CANCELLED: &str = include_str!("../../../tests/fixtures/chargebee/subscription_cancelled.json");
const SUB_CHANGED: &str = include_str!("../../../tests/fixtures/chargebee/subscription_changed.json");
const SUB_CREATED: &str = include_str!("../../../tests/fixtures/chargebee/subscription_created.json");
const SUB_REACTIVATED: &str = include_str!("../../../tests/fixtures/chargebee/subscription_reactivated.json");
const SUB_RENEWED: &str = include_str!("../../../tests/fixtures/chargebee/subscription_renewed.json");

fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap()
}

fn parse(raw: &str) -> NormalizedEvent {
    parse_chargebee_event(raw.as_bytes()).unwrap()
}

fn load(raw: &str) -> Value {
    serde_json::from_str(raw).unwrap()
}

fn parse_value(v: &Value) -> Result<NormalizedEvent, EventParseError> {
    parse_chargebee_event(&serde_json::to_vec(v).unwrap())
}

#[test]
fn invoice_generated_fixture() {
    let ev = parse(INVOICE_GENERATED);
    assert_eq!(ev.provider, Provider::Chargebee);
    assert_eq!(ev.event_id, "ev_16CHTnSAx2s7J5Kv");
    assert_eq!(ev.event_type, "invoice_generated");
    assert_eq!(ev.kind, EventKind::InvoiceGenerated);
    assert_eq!(ev.created_at, at(1_600_440_413));
    assert_eq!(ev.customer_id.as_deref(), Some("16CHTpRzjKx2O7mo"));
    assert!(ev.subscription.is_none() && ev.refund.is_none() && ev.checkout.is_none());
    let inv = ev.invoice.unwrap();
    assert_eq!(inv.id, "19");
    assert_eq!(inv.number.as_deref(), Some("19"));
    assert_eq!(inv.status, "posted");
    assert_eq!((inv.amount_due_minor, inv.amount_paid_minor), (500_000, 0));
    assert_eq!(inv.currency, "usd");
    assert_eq!(inv.subscription_id, None);
    assert_eq!((inv.hosted_url, inv.pdf_url), (None, None));
    assert_eq!(inv.billing_reason.as_deref(), Some("subscription_create"));
    // A one-off addon line not tied to a subscription: no subscription period.
    assert_eq!((inv.line_period_start, inv.line_period_end), (None, None));
    assert_eq!(inv.price_ids, vec!["rewards-prepayment"]);
    assert_eq!(inv.issued_at, Some(at(1_600_440_413)));
}

#[test]
fn payment_failed_fixture() {
    let ev = parse(PAYMENT_FAILED);
    assert_eq!(ev.kind, EventKind::InvoicePaymentFailed);
    assert_eq!(ev.customer_id.as_deref(), Some("3Nl7oGgQqGFprj9"));
    assert!(ev.refund.is_none());
    let inv = ev.invoice.unwrap();
    assert_eq!(inv.id, "6");
    assert_eq!(inv.status, "payment_due");
    assert_eq!((inv.amount_due_minor, inv.amount_paid_minor), (224, 0));
    assert_eq!(inv.subscription_id.as_deref(), Some("3Nl7oGgQqGFprj9"));
    assert_eq!(inv.billing_reason.as_deref(), Some("subscription_cycle"));
    assert_eq!(inv.line_period_start, Some(at(1_364_845_254)));
    assert_eq!(inv.line_period_end, Some(at(1_367_437_254)));
    assert_eq!(inv.price_ids, vec!["no_trial", "data_usage"]);
    // The snapshot still says active; the event kind is what signals "past due".
    let sub = ev.subscription.unwrap();
    assert_eq!(sub.status, Some(SubscriptionStatus::Active));
    assert_eq!(sub.price_ids, vec!["no_trial"]);
    assert_eq!(sub.current_period_end, Some(at(1_367_437_254)));
}

#[test]
fn payment_succeeded_fixture() {
    let ev = parse(PAYMENT_SUCCEEDED);
    assert_eq!(ev.kind, EventKind::InvoicePaid);
    assert_eq!(ev.customer_id.as_deref(), Some("16BjsrSIh4AdLqkD"));
    let inv = ev.invoice.unwrap();
    assert_eq!(inv.id, "22");
    assert_eq!(inv.status, "paid");
    assert_eq!((inv.amount_due_minor, inv.amount_paid_minor), (0, 450_000));
    assert_eq!(inv.subscription_id.as_deref(), Some("tax customer test"));
    assert_eq!(inv.billing_reason.as_deref(), Some("subscription_create"));
    // The plan line (a year), not the setup-fee line before it.
    assert_eq!(inv.line_period_start, Some(at(1_607_705_376)));
    assert_eq!(inv.line_period_end, Some(at(1_639_241_376)));
    assert_eq!(inv.price_ids, vec!["contract-plan"]);
    assert_eq!(inv.issued_at, Some(at(1_607_705_376)));
    let sub = ev.subscription.unwrap();
    assert_eq!(sub.id, "tax customer test");
    assert_eq!(sub.current_period_start, Some(at(1_607_705_376)));
}

#[test]
fn payment_refunded_fixture() {
    let ev = parse(PAYMENT_REFUNDED);
    assert_eq!(ev.kind, EventKind::Refunded);
    assert_eq!(ev.customer_id.as_deref(), Some("3Nl7oGgQqGFprj9"));
    let r = ev.refund.unwrap();
    assert_eq!(r.id, "txn_3Nl7oGgQqGG07E3V");
    assert_eq!(r.customer_id.as_deref(), Some("3Nl7oGgQqGFprj9"));
    assert_eq!(r.invoice_id.as_deref(), Some("1"));
    assert_eq!((r.amount_minor, r.amount_refunded_minor), (995, 2));
    assert_eq!(r.currency, "usd");
    assert!(!r.fully_refunded);
    assert_eq!(r.payment_intent_id, None);
    assert_eq!(ev.invoice.map(|i| i.status).as_deref(), Some("paid"));
}

#[test]
fn refund_full_and_credit_note_only() {
    let mut v = load(PAYMENT_REFUNDED);
    v["content"]["transaction"]["amount"] = json!(995);
    let r = parse_value(&v).unwrap().refund.unwrap();
    assert_eq!(r.amount_refunded_minor, 995);
    assert!(r.fully_refunded);

    // Without the transaction the refunded credit note describes the refund.
    let mut v = load(PAYMENT_REFUNDED);
    v["content"].as_object_mut().unwrap().remove("transaction");
    let r = parse_value(&v).unwrap().refund.unwrap();
    assert_eq!(r.id, "TEST-CN-2");
    assert_eq!(r.invoice_id.as_deref(), Some("1"));
    assert_eq!((r.amount_minor, r.amount_refunded_minor), (995, 2));

    // Without an invoice the original amount is unknown: never "fully refunded".
    let mut v = load(PAYMENT_REFUNDED);
    v["content"].as_object_mut().unwrap().remove("invoice");
    let r = parse_value(&v).unwrap().refund.unwrap();
    assert_eq!((r.amount_minor, r.amount_refunded_minor), (0, 2));
    assert!(!r.fully_refunded);

    // Neither transaction nor credit note: malformed.
    let mut v = load(PAYMENT_REFUNDED);
    let content = v["content"].as_object_mut().unwrap();
    content.remove("transaction");
    content.remove("credit_note");
    assert!(matches!(parse_value(&v), Err(EventParseError::Malformed(_))));
}

#[test]
fn portal_session_response_is_not_an_event() {
    let err = parse_chargebee_event(PORTAL_SESSION.as_bytes()).unwrap_err();
    assert_eq!(err, EventParseError::MissingType);
}

#[test]
fn subscription_activated_fixture() {
    let ev = parse(SUB_ACTIVATED);
    assert_eq!(ev.kind, EventKind::SubscriptionUpdated);
    let sub = ev.subscription.unwrap();
    assert_eq!(sub.id, "3Nl7oGgQqGFprj9");
    assert_eq!(sub.customer_id.as_deref(), Some("3Nl7oGgQqGFprj9"));
    assert_eq!(sub.status, Some(SubscriptionStatus::Active));
    assert_eq!(sub.price_ids, vec!["basic"]);
    assert_eq!(sub.current_period_start, Some(at(1_344_368_424)));
    assert_eq!(sub.current_period_end, Some(at(1_347_046_824)));
    assert_eq!(sub.trial_end, Some(at(1_344_368_424)));
    assert_eq!(sub.cancel_at_period_end, Some(false));
    assert_eq!(sub.canceled_at, None);
    assert!(sub.metadata.is_empty());
    // The activation's invoice comes along.
    assert!(ev.invoice.is_some());
}

#[test]
fn subscription_cancellation_scheduled_fixture() {
    let ev = parse(SUB_CANCEL_SCHEDULED);
    assert_eq!(ev.kind, EventKind::SubscriptionUpdated);
    let sub = ev.subscription.unwrap();
    assert_eq!(sub.status, Some(SubscriptionStatus::NonRenewing));
    assert_eq!(sub.cancel_at_period_end, Some(true));
    assert_eq!(sub.canceled_at, Some(at(1_349_638_824)));
    assert_eq!(sub.current_period_end, Some(at(1_349_638_824)));
}

#[test]
fn subscription_cancelled_fixture() {
    let ev = parse(SUB_CANCELLED);
    assert_eq!(ev.kind, EventKind::SubscriptionDeleted);
    assert_eq!(ev.customer_id.as_deref(), Some("16CHTnSAxXWqMAg8"));
    let sub = ev.subscription.unwrap();
    assert_eq!(sub.status, Some(SubscriptionStatus::Canceled));
    assert_eq!(sub.canceled_at, Some(at(1_601_524_835)));
    assert_eq!(sub.cancel_at_period_end, Some(false));
    assert_eq!(sub.current_period_end, None);
    assert_eq!(sub.price_ids, vec!["test-company-custom-pro-plan"]);
}

#[test]
fn subscription_changed_fixture_with_meta_data() {
    let ev = parse(SUB_CHANGED);
    assert_eq!(ev.kind, EventKind::SubscriptionUpdated);
    assert_eq!(ev.workspace_ref, None);
    let sub = ev.subscription.unwrap();
    assert_eq!(sub.status, Some(SubscriptionStatus::Future));
    assert_eq!(sub.metadata.get("minimum_quantity").map(String::as_str), Some("300"));
    assert_eq!(sub.price_ids, vec!["__TEST__plan_1"]);
}

#[test]
fn subscription_created_fixture() {
    let ev = parse(SUB_CREATED);
    assert_eq!(ev.kind, EventKind::SubscriptionUpdated);
    assert_eq!(ev.created_at, at(1_600_447_774));
    let sub = ev.subscription.unwrap();
    assert_eq!(sub.id, "AzqgumSAxXl3xAxW");
    assert_eq!(sub.status, Some(SubscriptionStatus::Future));
    assert_eq!((sub.current_period_start, sub.current_period_end), (None, None));
}

#[test]
fn subscription_reactivated_fixture() {
    let ev = parse(SUB_REACTIVATED);
    assert_eq!(ev.kind, EventKind::SubscriptionUpdated);
    let sub = ev.subscription.unwrap();
    assert_eq!(sub.status, Some(SubscriptionStatus::Active));
    assert_eq!(sub.cancel_at_period_end, Some(false));
    assert_eq!(sub.current_period_end, Some(at(1_364_845_254)));
    let inv = ev.invoice.unwrap();
    assert_eq!(inv.billing_reason.as_deref(), Some("subscription_cycle"));
}

#[test]
fn subscription_renewed_fixture() {
    let ev = parse(SUB_RENEWED);
    assert_eq!(ev.kind, EventKind::SubscriptionUpdated);
    let sub = ev.subscription.unwrap();
    assert_eq!(sub.price_ids, vec!["pro-monthly"]);
    assert_eq!(sub.current_period_start, Some(at(1_602_102_735)));
    assert_eq!(sub.current_period_end, Some(at(1_604_784_735)));
    let inv = ev.invoice.unwrap();
    assert_eq!(inv.id, "draft_inv_16BgPKSClXofl2Eic");
    assert_eq!(inv.number, None);
    assert_eq!(inv.status, "pending");
    assert_eq!(inv.billing_reason.as_deref(), Some("subscription_cycle"));
    assert_eq!(inv.line_period_end, Some(at(1_604_784_735)));
}

/// The renewal as a Product Catalog 2.0 site sends it: items instead of `plan_id`.
fn renewed_pc2() -> Value {
    let mut v = load(SUB_RENEWED);
    let sub = v["content"]["subscription"].as_object_mut().unwrap();
    for k in ["plan_id", "plan_quantity", "plan_unit_price", "plan_amount", "plan_free_quantity"] {
        sub.remove(k);
    }
    sub.insert(
        "subscription_items".into(),
        json!([{ "item_price_id": "pro-USD-monthly", "item_type": "plan", "quantity": 1,
                 "unit_price": 5000, "amount": 5000, "object": "subscription_item" }]),
    );
    let line = &mut v["content"]["invoice"]["line_items"][0];
    line["entity_type"] = json!("plan_item_price");
    line["entity_id"] = json!("pro-USD-monthly");
    v
}

#[test]
fn pc2_subscription_items() {
    let ev = parse_value(&renewed_pc2()).unwrap();
    let sub = ev.subscription.unwrap();
    assert_eq!(sub.price_ids, vec!["pro-USD-monthly"]);
    assert_eq!(sub.status, Some(SubscriptionStatus::Active));
    assert_eq!(sub.current_period_end, Some(at(1_604_784_735)));
    let inv = ev.invoice.unwrap();
    assert_eq!(inv.price_ids, vec!["pro-USD-monthly"]);
    assert_eq!(inv.line_period_start, Some(at(1_602_102_735)));
}

#[test]
fn pc2_items_come_before_plan_id_when_both_present() {
    let mut v = renewed_pc2();
    v["content"]["subscription"]["plan_id"] = json!("pro-monthly");
    v["content"]["subscription"]["subscription_items"]
        .as_array_mut()
        .unwrap()
        .push(json!({ "item_price_id": "seats-USD-monthly", "item_type": "addon" }));
    let sub = parse_value(&v).unwrap().subscription.unwrap();
    assert_eq!(sub.price_ids, vec!["pro-USD-monthly", "seats-USD-monthly", "pro-monthly"]);
}

#[test]
fn workspace_ref_from_meta_data_object_string_or_customer_field() {
    let mut v = load(SUB_RENEWED);
    v["content"]["subscription"]["meta_data"] = json!({ "workspace_id": "ws_1" });
    assert_eq!(parse_value(&v).unwrap().workspace_ref.as_deref(), Some("ws_1"));

    v["content"]["subscription"]["meta_data"] = json!("{\"workspace_id\":\"ws_2\",\"n\":3}");
    let ev = parse_value(&v).unwrap();
    assert_eq!(ev.workspace_ref.as_deref(), Some("ws_2"));
    assert_eq!(ev.subscription.unwrap().metadata.get("n").map(String::as_str), Some("3"));

    v["content"]["subscription"]["meta_data"] = json!("not json");
    v["content"]["customer"]["cf_workspace_id"] = json!("ws_3");
    assert_eq!(parse_value(&v).unwrap().workspace_ref.as_deref(), Some("ws_3"));
}

#[test]
fn invoice_status_and_billing_reason_variants() {
    let mut v = load(INVOICE_GENERATED);
    v["content"]["invoice"]["status"] = json!("voided");
    v["content"]["invoice"]["first_invoice"] = json!(false);
    let inv = parse_value(&v).unwrap().invoice.unwrap();
    assert_eq!(inv.status, "void");
    assert_eq!(inv.billing_reason.as_deref(), Some("manual"));

    // `amount_due` absent: fall back to `total`.
    let mut v = load(INVOICE_GENERATED);
    v["content"]["invoice"].as_object_mut().unwrap().remove("amount_due");
    v["content"]["invoice"]["total"] = json!(1234);
    assert_eq!(parse_value(&v).unwrap().invoice.unwrap().amount_due_minor, 1234);
}

#[test]
fn envelope_errors() {
    assert!(matches!(parse_chargebee_event(b"<xml/>"), Err(EventParseError::Json(_))));
    assert!(matches!(parse_chargebee_event(b"\"str\""), Err(EventParseError::Malformed(_))));

    let mut v = load(SUB_CREATED);
    v.as_object_mut().unwrap().remove("id");
    assert_eq!(parse_value(&v), Err(EventParseError::MissingId));

    let mut v = load(SUB_CREATED);
    v.as_object_mut().unwrap().remove("event_type");
    assert_eq!(parse_value(&v), Err(EventParseError::MissingType));

    let mut v = load(SUB_CREATED);
    v.as_object_mut().unwrap().remove("occurred_at");
    assert!(matches!(parse_value(&v), Err(EventParseError::Malformed(_))));

    // A subscription event without a subscription.
    let mut v = load(SUB_CREATED);
    v["content"].as_object_mut().unwrap().remove("subscription");
    assert!(matches!(parse_value(&v), Err(EventParseError::Malformed(_))));

    // An unknown event with no content at all is fine.
    let raw = br#"{"id":"ev_1","occurred_at":1600000000,"event_type":"customer_created"}"#;
    let ev = parse_chargebee_event(raw).unwrap();
    assert_eq!(ev.kind, EventKind::Ignored);
    assert_eq!(ev.customer_id, None);
}
