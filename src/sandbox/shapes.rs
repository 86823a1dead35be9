//! The sandbox's answers in Stripe's exact shapes. Each object starts from a complete example
//! (`shapes/*.json`, taken from Stripe's OpenAPI fixtures) and has our fields written over it,
//! so every field async-stripe's strict types require is present; see the tests, which parse
//! each shape with those types.

use serde_json::{Map, Value, json};

use super::catalog::{PriceRow, Product};
use super::error::SandboxError;
use super::schedule_phases::Phase;
use super::schedules::Schedule;
use super::store::{Customer, Invoice, Item, PortalSession, Session, Subscription};
use super::test_clocks::TestClock;
use super::time::unix;

/// The API version the sandbox speaks: async-stripe's pinned one, which it sends as
/// `Stripe-Version`.
pub const API_VERSION: &str = "2026-09-30.endive";

const CUSTOMER: &str = include_str!("shapes/customer.json");
const CHECKOUT_SESSION: &str = include_str!("shapes/checkout_session.json");
const PORTAL_SESSION: &str = include_str!("shapes/portal_session.json");
const SUBSCRIPTION: &str = include_str!("shapes/subscription.json");
const INVOICE: &str = include_str!("shapes/invoice.json");
const PRODUCT: &str = include_str!("shapes/product.json");
const PRICE: &str = include_str!("shapes/price.json");
const SUBSCRIPTION_SCHEDULE: &str = include_str!("shapes/subscription_schedule.json");

/// A JSON object under construction.
struct Obj(Map<String, Value>);

impl Obj {
    fn from_template(raw: &str) -> Result<Obj, SandboxError> {
        match serde_json::from_str(raw) {
            Ok(Value::Object(map)) => Ok(Obj(map)),
            _ => Err(SandboxError::Internal("an embedded sandbox shape is not a JSON object".to_owned())),
        }
    }

    /// A nested object of the template (its `items.data[0]`, say), to fill in and put back.
    fn take(&mut self, pointer: &str) -> Result<Obj, SandboxError> {
        let value = Value::Object(self.0.clone());
        match value.pointer(pointer) {
            Some(Value::Object(map)) => Ok(Obj(map.clone())),
            _ => Err(SandboxError::Internal(format!("sandbox shape has no object at {pointer}"))),
        }
    }

    fn set(mut self, key: &str, value: impl Into<Value>) -> Obj {
        self.0.insert(key.to_owned(), value.into());
        self
    }

    fn done(self) -> Value {
        Value::Object(self.0)
    }
}

fn ts(t: Option<chrono::NaiveDateTime>) -> Value {
    t.map_or(Value::Null, |t| json!(unix(t)))
}

/// Metadata columns hold a JSON object; anything else reads as empty.
pub fn metadata(raw: &str) -> Value {
    match serde_json::from_str::<Value>(raw) {
        Ok(v @ Value::Object(_)) => v,
        _ => json!({}),
    }
}

pub fn list(data: Vec<Value>, url: &str) -> Value {
    list_page(data, url, false)
}

/// One page of a list; `has_more` says whether `starting_after` the last one finds more.
pub fn list_page(data: Vec<Value>, url: &str, has_more: bool) -> Value {
    json!({ "object": "list", "data": data, "has_more": has_more, "url": url })
}

/// A price's `recurring` hash: the sandbox bills every one interval, per seat.
fn recurring(interval: &str) -> Value {
    json!({ "interval": interval, "interval_count": 1, "meter": null, "usage_type": "licensed",
            "trial_period_days": null })
}

pub fn product(p: &Product) -> Result<Value, SandboxError> {
    Ok(Obj::from_template(PRODUCT)?
        .set("id", p.id.as_str())
        .set("name", p.name.as_str())
        .set("description", p.description.clone())
        .set("active", p.active)
        .set("metadata", metadata(&p.metadata_json))
        .set("type", "service")
        .set("created", unix(p.created_at))
        .set("updated", unix(p.updated_at))
        .done())
}

pub fn price(p: &PriceRow) -> Result<Value, SandboxError> {
    let (kind, every) = match &p.recurring_interval {
        Some(interval) => ("recurring", recurring(interval)),
        None => ("one_time", Value::Null),
    };
    Ok(Obj::from_template(PRICE)?
        .set("id", p.id.as_str())
        .set("product", p.product_id.as_str())
        .set("active", p.active)
        .set("currency", p.currency.as_str())
        .set("unit_amount", p.unit_amount)
        .set("unit_amount_decimal", p.unit_amount.to_string())
        .set("type", kind)
        .set("recurring", every)
        .set("nickname", p.nickname.clone())
        .set("lookup_key", p.lookup_key.clone())
        .set("metadata", metadata(&p.metadata_json))
        .set("created", unix(p.created_at))
        .done())
}

pub fn customer(c: &Customer) -> Result<Value, SandboxError> {
    Ok(Obj::from_template(CUSTOMER)?
        .set("id", c.id.as_str())
        .set("email", c.email.clone())
        .set("created", unix(c.created_at))
        .set("metadata", json!({}))
        .set("test_clock", c.test_clock_id.clone())
        .done())
}

/// A test clock (`test_helpers.test_clock`). async-stripe requires `status_details`, which
/// Stripe sends as `{}` once the clock is ready.
pub fn test_clock(c: &TestClock) -> Value {
    json!({
        "id": c.id, "object": "test_helpers.test_clock", "created": unix(c.created_at),
        "deletes_after": unix(c.deletes_after), "frozen_time": unix(c.frozen_time), "livemode": false,
        "name": c.name, "status": c.status, "status_details": {},
    })
}

pub fn deleted_test_clock(id: &str) -> Value {
    json!({ "id": id, "object": "test_helpers.test_clock", "deleted": true })
}

/// `url` is the hosted page while the session is open (Stripe nulls it once completed).
pub fn checkout_session(s: &Session, page_url: &str, subscription: Option<Value>) -> Result<Value, SandboxError> {
    let open = s.status == "open";
    let subscription = subscription.unwrap_or_else(|| s.subscription_id.clone().map_or(Value::Null, Value::from));
    Ok(Obj::from_template(CHECKOUT_SESSION)?
        .set("id", s.id.as_str())
        .set("url", if open { json!(page_url) } else { Value::Null })
        .set("mode", s.mode.as_str())
        .set("status", s.status.as_str())
        .set("payment_status", s.payment_status.as_str())
        .set("client_reference_id", s.client_reference_id.clone())
        .set("customer", s.customer_id.clone())
        .set("customer_email", s.customer_email.clone())
        .set("customer_creation", s.customer_creation.clone())
        .set("allow_promotion_codes", s.allow_promotion_codes)
        .set("metadata", metadata(&s.metadata_json))
        .set("success_url", s.success_url.as_str())
        .set("cancel_url", s.cancel_url.as_str())
        .set("amount_subtotal", s.amount_total)
        .set("amount_total", s.amount_total)
        .set("currency", s.currency.as_str())
        .set("subscription", subscription)
        .set("invoice", s.invoice_id.clone())
        .set("payment_intent", s.payment_intent_id.clone())
        .set("created", unix(s.created_at))
        .set("expires_at", unix(s.expires_at))
        .done())
}

pub fn portal_session(p: &PortalSession, page_url: &str) -> Result<Value, SandboxError> {
    Ok(Obj::from_template(PORTAL_SESSION)?
        .set("id", p.id.as_str())
        .set("customer", p.customer_id.as_str())
        .set("return_url", p.return_url.as_str())
        .set("url", page_url)
        .set("created", unix(p.created_at))
        .set("livemode", false)
        .set("configuration", "bpc_sandbox")
        .done())
}

/// `items` are the subscription's items, each with the id of its price's product; `test_clock`
/// is its customer's.
pub fn subscription(
    sub: &Subscription,
    items: &[(Item, String)],
    test_clock: Option<&str>,
) -> Result<Value, SandboxError> {
    let mut template = Obj::from_template(SUBSCRIPTION)?;
    let item_template = template.take("/items/data/0")?;
    let first = items.first().map(|(i, _)| i);
    let period_end = first.map(|i| i.current_period_end);
    let data = items.iter().map(|(i, product)| item(&item_template, i, product)).collect::<Result<Vec<_>, _>>()?;
    let pending = sub.pending_price_id.as_ref().map(|_| {
        json!({ "billing_cycle_anchor": null, "discounts": null, "expires_at": ts(sub.pending_expires_at),
                "subscription_items": null, "trial_end": null, "trial_from_plan": null })
    });
    Ok(template
        .set("id", sub.id.as_str())
        .set("customer", sub.customer_id.as_str())
        .set("status", sub.status.as_str())
        .set("cancel_at_period_end", sub.cancel_at_period_end)
        // Current API versions also state a period-end cancellation as `cancel_at`.
        .set("cancel_at", ts(sub.cancel_at.or(period_end.filter(|_| sub.cancel_at_period_end))))
        .set("schedule", sub.schedule_id.clone())
        .set("canceled_at", ts(sub.canceled_at))
        .set("ended_at", ts(sub.ended_at))
        .set("trial_start", ts(sub.trial_start))
        .set("trial_end", ts(sub.trial_end))
        .set("metadata", metadata(&sub.metadata_json))
        .set("created", unix(sub.created_at))
        .set("start_date", unix(sub.created_at))
        .set("billing_cycle_anchor", ts(first.map(|i| i.current_period_start)).as_i64().unwrap_or(unix(sub.created_at)))
        .set("currency", first.map_or("usd", |i| i.currency.as_str()))
        .set("latest_invoice", sub.latest_invoice_id.clone())
        .set("pending_update", pending)
        .set("test_clock", test_clock)
        .set(
            "items",
            json!({ "object": "list", "data": data, "has_more": false,
                              "url": format!("/v1/subscription_items?subscription={}", sub.id) }),
        )
        .done())
}

fn item(template: &Obj, i: &Item, product: &str) -> Result<Value, SandboxError> {
    let mut base = Obj(template.0.clone());
    let price = base.take("/price")?;
    let plan = base.take("/plan")?;
    let price = price
        .set("id", i.price_id.as_str())
        .set("currency", i.currency.as_str())
        .set("unit_amount", i.unit_amount)
        .set("unit_amount_decimal", i.unit_amount.to_string())
        .set("product", product)
        .set("nickname", i.product_name.as_str())
        .set("recurring", recurring(&i.billing_interval))
        .set("created", unix(i.created_at))
        .done();
    let plan = plan
        .set("id", i.price_id.as_str())
        .set("amount", i.unit_amount)
        .set("amount_decimal", i.unit_amount.to_string())
        .set("billing_scheme", "per_unit")
        .set("currency", i.currency.as_str())
        .set("interval", i.billing_interval.as_str())
        .set("product", product)
        .set("created", unix(i.created_at))
        .done();
    Ok(base
        .set("id", i.id.as_str())
        .set("subscription", i.subscription_id.as_str())
        .set("created", unix(i.created_at))
        .set("current_period_start", unix(i.current_period_start))
        .set("current_period_end", unix(i.current_period_end))
        .set("quantity", 1)
        .set("price", price)
        .set("plan", plan)
        .done())
}

/// A subscription schedule; `phases` pairs each phase with its price's currency.
pub fn subscription_schedule(
    s: &Schedule,
    phases: &[(Phase, String)],
    test_clock: Option<&str>,
) -> Result<Value, SandboxError> {
    let mut template = Obj::from_template(SUBSCRIPTION_SCHEDULE)?;
    let phase_template = template.take("/phases/0")?;
    let data: Vec<Value> = phases
        .iter()
        .map(|(p, currency)| {
            let item = json!({ "billing_thresholds": null, "discounts": [], "metadata": {}, "plan": p.price,
                               "price": p.price, "quantity": 1, "tax_rates": [] });
            Obj(phase_template.0.clone())
                .set("start_date", p.start_date)
                .set("end_date", p.end_date)
                .set("items", json!([item]))
                .set("currency", currency.as_str())
                .set("proration_behavior", p.proration_behavior.as_str())
                .set("invoice_settings", Value::Null)
                .set("transfer_data", Value::Null)
                .set("billing_thresholds", Value::Null)
                .done()
        })
        .collect();
    let current = usize::try_from(s.current_phase).ok().and_then(|i| phases.get(i)).filter(|_| s.status == "active");
    let released = (s.status == "released").then(|| s.subscription_id.clone());
    Ok(template
        .set("id", s.id.as_str())
        .set("customer", s.customer_id.as_str())
        .set("subscription", if released.is_some() { Value::Null } else { json!(s.subscription_id) })
        .set("status", s.status.as_str())
        .set("end_behavior", s.end_behavior.as_str())
        .set("created", unix(s.created_at))
        .set("canceled_at", ts(s.canceled_at))
        .set("completed_at", ts(s.completed_at))
        .set("released_at", ts(s.released_at))
        .set("released_subscription", released)
        .set("current_phase", current.map(|(p, _)| json!({ "start_date": p.start_date, "end_date": p.end_date })))
        .set("metadata", metadata(&s.metadata_json))
        .set("phases", data)
        .set("test_clock", test_clock)
        .set("livemode", false)
        .done())
}

/// `product` is the id of the product the line bills (the plan, add-on or pack bought);
/// `test_clock` is the customer's.
pub fn invoice(inv: &Invoice, product: &str, test_clock: Option<&str>) -> Result<Value, SandboxError> {
    let mut template = Obj::from_template(INVOICE)?;
    let line = template.take("/lines/data/0")?;
    let meta = metadata(&inv.metadata_json);
    let line_parent = match (&inv.subscription_id, &inv.subscription_item_id) {
        (Some(sub), Some(item)) => json!({
            "type": "subscription_item_details", "invoice_item_details": null,
            "subscription_item_details": { "invoice_item": null, "proration": inv.proration,
                "proration_details": { "credited_items": null }, "subscription": sub, "subscription_item": item } }),
        _ => Value::Null,
    };
    let line = line
        .set("id", format!("il_{}", inv.id.trim_start_matches("in_")))
        .set("invoice", inv.id.as_str())
        .set("amount", inv.amount_due)
        .set("subtotal", inv.amount_due)
        .set("currency", inv.currency.as_str())
        .set("description", inv.description.as_str())
        .set("metadata", json!({}))
        .set("quantity", 1)
        .set("period", json!({ "start": unix(inv.line_period_start), "end": unix(inv.line_period_end) }))
        .set("parent", line_parent)
        .set("subscription", Value::Null)
        .set(
            "pricing",
            json!({ "type": "price_details", "unit_amount_decimal": inv.amount_due.to_string(),
                                "price_details": { "price": inv.price_id, "product": product } }),
        )
        .done();
    let parent = inv.subscription_id.as_ref().map(|sub| {
        json!({ "type": "subscription_details", "quote_details": null,
                "subscription_details": { "metadata": meta, "subscription": sub, "subscription_proration_date": null } })
    });
    let paid = inv.status == "paid";
    Ok(template
        .set("id", inv.id.as_str())
        .set("number", inv.number.as_str())
        .set("customer", inv.customer_id.as_str())
        .set("status", inv.status.as_str())
        .set("billing_reason", inv.billing_reason.as_str())
        .set("amount_due", inv.amount_due)
        .set("amount_paid", inv.amount_paid)
        .set("amount_remaining", inv.amount_due - inv.amount_paid)
        .set("subtotal", inv.amount_due)
        .set("subtotal_excluding_tax", inv.amount_due)
        .set("total", inv.amount_due)
        .set("total_excluding_tax", inv.amount_due)
        .set("currency", inv.currency.as_str())
        .set("created", unix(inv.created_at))
        .set("effective_at", unix(inv.created_at))
        .set("period_start", unix(inv.period_start))
        .set("period_end", unix(inv.period_end))
        .set("attempt_count", inv.attempt_count)
        .set("attempted", inv.attempt_count > 0)
        .set("auto_advance", !paid)
        .set("metadata", json!({}))
        .set("parent", parent)
        .set("subscription", Value::Null)
        .set("test_clock", test_clock)
        .set(
            "status_transitions",
            json!({ "finalized_at": unix(inv.created_at), "marked_uncollectible_at": null,
                                           "paid_at": ts(inv.paid_at), "voided_at": null }),
        )
        .set(
            "lines",
            json!({ "object": "list", "data": [line], "has_more": false,
                              "url": format!("/v1/invoices/{}/lines", inv.id) }),
        )
        .done())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_shape_is_an_object() {
        for raw in
            [CUSTOMER, CHECKOUT_SESSION, PORTAL_SESSION, SUBSCRIPTION, INVOICE, PRODUCT, PRICE, SUBSCRIPTION_SCHEDULE]
        {
            assert!(Obj::from_template(raw).is_ok());
        }
    }
}
