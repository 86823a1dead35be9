//! Stripe-shaped test events, built from the documented example objects in
//! tests/fixtures/stripe (stripe/openapi fixtures) with the ids and values a test needs, and
//! signed exactly as Stripe signs them.

use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

const SUBSCRIPTION: &str = include_str!("../fixtures/stripe/subscription.json");
const INVOICE: &str = include_str!("../fixtures/stripe/invoice.json");
const CHECKOUT: &str = include_str!("../fixtures/stripe/checkout_session.json");
const CHARGE: &str = include_str!("../fixtures/stripe/charge.json");
const EVENT: &str = include_str!("../fixtures/stripe/event.json");

/// `Stripe-Signature: t=…,v1=HMAC-SHA256(secret, "t.body")`, written here independently of
/// the app's own implementation.
pub fn sign(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{timestamp}.{body}").as_bytes());
    format!("t={timestamp},v1={}", hex::encode(mac.finalize().into_bytes()))
}

pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

pub const DAY: i64 = 86_400;

pub fn event(id: &str, kind: &str, created: i64, object: Value) -> String {
    let mut event: Value = serde_json::from_str(EVENT).unwrap();
    event["id"] = json!(id);
    event["type"] = json!(kind);
    event["created"] = json!(created);
    event["data"] = json!({ "object": object });
    event["livemode"] = json!(false);
    event.to_string()
}

pub struct Sub<'a> {
    pub id: &'a str,
    pub customer: &'a str,
    pub workspace_id: i64,
    pub status: &'a str,
    pub price: &'a str,
    pub period_start: i64,
    pub period_end: i64,
    pub cancel_at_period_end: bool,
    pub trial_end: Option<i64>,
}

pub fn subscription(s: &Sub<'_>) -> Value {
    let mut sub: Value = serde_json::from_str(SUBSCRIPTION).unwrap();
    sub["id"] = json!(s.id);
    sub["customer"] = json!(s.customer);
    sub["status"] = json!(s.status);
    sub["cancel_at_period_end"] = json!(s.cancel_at_period_end);
    sub["cancel_at"] = json!(if s.cancel_at_period_end { Some(s.period_end) } else { None });
    sub["canceled_at"] = json!(if s.status == "canceled" { Some(s.period_end) } else { None });
    sub["ended_at"] = json!(if s.status == "canceled" { Some(s.period_end) } else { None });
    sub["trial_end"] = json!(s.trial_end);
    sub["trial_start"] = json!(s.trial_end.map(|_| s.period_start));
    sub["pending_update"] = Value::Null;
    sub["metadata"] = json!({ "workspace_id": s.workspace_id.to_string() });
    let item = &mut sub["items"]["data"][0];
    item["price"]["id"] = json!(s.price);
    item["plan"]["id"] = json!(s.price);
    item["subscription"] = json!(s.id);
    item["current_period_start"] = json!(s.period_start);
    item["current_period_end"] = json!(s.period_end);
    sub
}

pub struct Inv<'a> {
    pub id: &'a str,
    pub customer: &'a str,
    pub subscription: &'a str,
    pub workspace_id: i64,
    pub status: &'a str,
    pub amount: i64,
    pub price: &'a str,
    pub period_start: i64,
    pub period_end: i64,
    pub billing_reason: &'a str,
}

pub fn invoice(i: &Inv<'_>) -> Value {
    let mut inv: Value = serde_json::from_str(INVOICE).unwrap();
    let paid = i.status == "paid";
    inv["id"] = json!(i.id);
    inv["number"] = json!(format!("TG-{}", i.id.trim_start_matches("in_")));
    inv["customer"] = json!(i.customer);
    inv["status"] = json!(i.status);
    inv["currency"] = json!("usd");
    inv["amount_due"] = json!(i.amount);
    inv["amount_paid"] = json!(if paid { i.amount } else { 0 });
    inv["amount_remaining"] = json!(if paid { 0 } else { i.amount });
    inv["billing_reason"] = json!(i.billing_reason);
    inv["hosted_invoice_url"] = json!(format!("https://invoice.stripe.test/{}", i.id));
    inv["invoice_pdf"] = json!(format!("https://invoice.stripe.test/{}.pdf", i.id));
    inv["created"] = json!(i.period_start);
    inv["period_start"] = json!(i.period_start);
    inv["period_end"] = json!(i.period_start);
    inv["subscription"] = Value::Null;
    inv["parent"] = json!({
        "type": "subscription_details",
        "quote_details": null,
        "subscription_details": { "subscription": i.subscription, "metadata": { "workspace_id": i.workspace_id.to_string() } }
    });
    let line = &mut inv["lines"]["data"][0];
    line["amount"] = json!(i.amount);
    line["period"] = json!({ "start": i.period_start, "end": i.period_end });
    line["pricing"] = json!({ "type": "price_details", "price_details": { "price": i.price, "product": "prod_test" }, "unit_amount_decimal": "0" });
    line["parent"] = json!({
        "type": "subscription_item_details",
        "invoice_item_details": null,
        "subscription_item_details": { "subscription": i.subscription, "subscription_item": "si_test", "proration": false, "invoice_item": null, "proration_details": null }
    });
    inv
}

pub struct Checkout<'a> {
    pub id: &'a str,
    pub workspace_id: i64,
    pub mode: &'a str,
    pub customer: &'a str,
    pub subscription: Option<&'a str>,
    pub payment_intent: Option<&'a str>,
    pub kind: &'a str,
    pub code: &'a str,
    pub amount: i64,
}

pub fn checkout_session(c: &Checkout<'_>) -> Value {
    let mut session: Value = serde_json::from_str(CHECKOUT).unwrap();
    session["id"] = json!(c.id);
    session["mode"] = json!(c.mode);
    session["status"] = json!("complete");
    session["payment_status"] = json!("paid");
    session["client_reference_id"] = json!(c.workspace_id.to_string());
    session["customer"] = json!(c.customer);
    session["subscription"] = json!(c.subscription);
    session["payment_intent"] = json!(c.payment_intent);
    session["amount_total"] = json!(c.amount);
    session["currency"] = json!("usd");
    session["metadata"] =
        json!({ "workspace_id": c.workspace_id.to_string(), "tollgate_kind": c.kind, "tollgate_code": c.code });
    session
}

pub fn charge(id: &str, customer: &str, payment_intent: &str, amount: i64, refunded: i64) -> Value {
    let mut charge: Value = serde_json::from_str(CHARGE).unwrap();
    charge["id"] = json!(id);
    charge["customer"] = json!(customer);
    charge["payment_intent"] = json!(payment_intent);
    charge["amount"] = json!(amount);
    charge["amount_refunded"] = json!(refunded);
    charge["refunded"] = json!(refunded >= amount);
    charge["currency"] = json!("usd");
    charge["invoice"] = Value::Null;
    charge["metadata"] = json!({});
    charge
}
