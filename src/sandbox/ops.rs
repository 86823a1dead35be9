//! Building blocks shared by the sandbox's operations: rendering a subscription or invoice
//! for an event, opening and charging invoices.

use chrono::NaiveDateTime;
use serde_json::{Map, Value};

use super::catalog::Price;
use super::error::SandboxError;
use super::events;
use super::shapes;
use super::store::{Customer, Invoice, Item, Subscription, new_id};
use crate::db::DbConnection;

pub type Result<T> = std::result::Result<T, SandboxError>;

pub fn subscription_json(conn: &mut DbConnection, sub: &Subscription) -> Result<Value> {
    let mut items = Vec::new();
    for item in Item::of(conn, &sub.id)? {
        let product = product_of(conn, Some(&item.price_id))?;
        items.push((item, product));
    }
    let clock = Customer::clock_of(conn, &sub.customer_id)?;
    shapes::subscription(sub, &items, clock.as_deref())
}

pub fn invoice_json(conn: &mut DbConnection, inv: &Invoice) -> Result<Value> {
    let product = product_of(conn, inv.price_id.as_deref())?;
    let clock = Customer::clock_of(conn, &inv.customer_id)?;
    shapes::invoice(inv, &product, clock.as_deref())
}

/// The id of a price's product, as the catalog registered it.
fn product_of(conn: &mut DbConnection, price_id: Option<&str>) -> Result<String> {
    let found = match price_id {
        Some(id) => Price::find(conn, id)?.map(|p| p.product_id),
        None => None,
    };
    // Prices are never deleted, so this only names an item billed without one.
    Ok(found.unwrap_or_else(|| "prod_sandbox_item".to_owned()))
}

/// Stripe's `previous_attributes`: the old value of every top-level field that changed.
pub fn changed(before: &Value, after: &Value) -> Value {
    let (Some(before), Some(after)) = (before.as_object(), after.as_object()) else {
        return Value::Object(Map::new());
    };
    let diff: Map<String, Value> =
        before.iter().filter(|(k, v)| after.get(k.as_str()) != Some(v)).map(|(k, v)| (k.clone(), v.clone())).collect();
    Value::Object(diff)
}

/// Records `customer.subscription.<action>` with the subscription as it is now.
pub fn emit_subscription(
    conn: &mut DbConnection,
    action: &str,
    sub: &Subscription,
    before: Option<&Value>,
) -> Result<()> {
    let now = subscription_json(conn, sub)?;
    let previous = before.map(|b| changed(b, &now));
    // Stripe sends no `updated` event for an update that changed nothing.
    if previous.as_ref().and_then(Value::as_object).is_some_and(Map::is_empty) {
        return Ok(());
    }
    events::record(conn, &format!("customer.subscription.{action}"), now, previous)?;
    Ok(())
}

pub fn emit_invoice(conn: &mut DbConnection, event_type: &str, inv: &Invoice) -> Result<()> {
    let json = invoice_json(conn, inv)?;
    events::record(conn, event_type, json, None)?;
    Ok(())
}

/// What an invoice bills and for which stretch of time.
pub struct InvoiceLine<'a> {
    pub item: &'a Item,
    pub amount: i64,
    pub billing_reason: &'a str,
    pub proration: bool,
    /// Stripe's invoice `period_start`: for a renewal, the start of the period that just
    /// ended; otherwise (`None`) the invoice's own time.
    pub period_start: Option<NaiveDateTime>,
    pub line_start: NaiveDateTime,
    pub line_end: NaiveDateTime,
}

/// Opens (finalizes) an invoice for a subscription; it is charged separately.
pub fn open_invoice(
    conn: &mut DbConnection,
    sub: &Subscription,
    line: InvoiceLine<'_>,
    now: NaiveDateTime,
) -> Result<Invoice> {
    let price = format!("{} ({})", line.item.product_name, line.item.billing_interval);
    let description = match line.proration {
        true => format!("Remaining time on {price}"),
        false => format!("1 × {price}"),
    };
    let inv = Invoice {
        id: new_id("in"),
        number: Invoice::next_number(conn, &sub.customer_id)?,
        customer_id: sub.customer_id.clone(),
        subscription_id: Some(sub.id.clone()),
        subscription_item_id: Some(line.item.id.clone()),
        status: "open".to_owned(),
        billing_reason: line.billing_reason.to_owned(),
        amount_due: line.amount,
        amount_paid: 0,
        currency: line.item.currency.clone(),
        price_id: Some(line.item.price_id.clone()),
        description,
        proration: line.proration,
        period_start: line.period_start.unwrap_or(now),
        period_end: now,
        line_period_start: line.line_start,
        line_period_end: line.line_end,
        metadata_json: sub.metadata_json.clone(),
        attempt_count: 0,
        created_at: now,
        paid_at: None,
    };
    inv.insert(conn)?;
    Ok(inv)
}

/// One payment attempt on an open invoice; `succeeded` says whether the card paid.
pub fn attempt_payment(conn: &mut DbConnection, inv: &mut Invoice, succeeded: bool, now: NaiveDateTime) -> Result<()> {
    inv.attempt_count += 1;
    if succeeded || inv.amount_due == 0 {
        inv.status = "paid".to_owned();
        inv.amount_paid = inv.amount_due;
        inv.paid_at = Some(now);
    }
    inv.save(conn)?;
    Ok(())
}

/// The part of `delta` (per period) still owed for the rest of the item's period.
pub fn prorate(delta: i64, item: &Item, now: NaiveDateTime) -> i64 {
    let total = (item.current_period_end - item.current_period_start).num_seconds().max(1);
    let left = (item.current_period_end - now).num_seconds().clamp(0, total);
    let owed = i128::from(delta) * i128::from(left) / i128::from(total);
    i64::try_from(owed).unwrap_or(0)
}
