//! Subscriptions after checkout: updates (cancel at period end, resume, price changes with
//! Stripe's proration and payment behaviours), immediate cancellation, what the clock makes
//! happen (trial ends, renewals, failed renewals, period-end cancellations), and paying open
//! invoices when the customer gives a new card.

use chrono::{NaiveDateTime, TimeDelta};
use serde_json::{Value, json};

use super::cards::{self, Card};
use super::catalog::Price;
use super::error::SandboxError;
use super::form::StripeForm;
use super::ops::{self, InvoiceLine, Result};
use super::store::{Customer, Invoice, Item, Subscription};
use super::time::{later, period_end, unix};
use crate::db::DbConnection;

/// Stripe keeps a pending update for 23 hours before dropping it.
const PENDING_UPDATE_HOURS: i64 = 23;
/// A safety net for a clock advance, which the two-interval limit already keeps to a few
/// renewals per subscription: this many steps means something is looping.
const MAX_STEPS: usize = 1_000;

pub fn find(conn: &mut DbConnection, id: &str) -> Result<Subscription> {
    Subscription::find(conn, id)?.ok_or_else(|| SandboxError::missing("subscription", id))
}

fn plan_item(conn: &mut DbConnection, sub: &Subscription) -> Result<Item> {
    Item::of(conn, &sub.id)?
        .into_iter()
        .next()
        .ok_or_else(|| SandboxError::Internal(format!("subscription {} has no items", sub.id)))
}

/// `POST /v1/subscriptions/{id}`, at sandbox time `now`.
pub fn update(conn: &mut DbConnection, id: &str, form: &StripeForm, now: NaiveDateTime) -> Result<Subscription> {
    let mut sub = find(conn, id)?;
    if !sub.is_live() {
        return Err(SandboxError::invalid(
            "A canceled subscription can only update its cancellation_details and metadata.",
        ));
    }
    let before = ops::subscription_json(conn, &sub)?;
    let metadata = form.map("metadata");
    if !metadata.is_empty() {
        let mut current: std::collections::BTreeMap<String, String> =
            serde_json::from_str(&sub.metadata_json).unwrap_or_default();
        current.extend(metadata);
        sub.metadata_json = serde_json::to_string(&current).unwrap_or_else(|_| "{}".to_owned());
    }
    if let Some(cancel) = form.bool("cancel_at_period_end")? {
        sub.cancel_at_period_end = cancel;
        sub.canceled_at = if cancel { Some(now) } else { None };
    }
    sub.save(conn)?;
    match form.get("items[0][price]") {
        Some(price_id) => change_price(conn, sub, form, price_id, &before, now),
        None => {
            ops::emit_subscription(conn, "updated", &sub, Some(&before))?;
            Ok(sub)
        }
    }
}

fn change_price(
    conn: &mut DbConnection,
    mut sub: Subscription,
    form: &StripeForm,
    price_id: &str,
    before: &Value,
    now: NaiveDateTime,
) -> Result<Subscription> {
    let price = Price::sellable(conn, price_id)?;
    if price.interval.is_none() {
        return Err(SandboxError::invalid(
            "The price specified is not recurring; subscriptions need recurring prices.",
        ));
    }
    let mut item = plan_item(conn, &sub)?;
    if let Some(item_id) = form.get("items[0][id]")
        && item_id != item.id
    {
        return Err(SandboxError::invalid(format!("No such subscription item: '{item_id}'")));
    }
    let proration = form.get("proration_behavior").unwrap_or("create_prorations");
    let owed = ops::prorate(price.unit_amount - item.unit_amount, &item, now);
    if proration != "always_invoice" || owed <= 0 {
        // Nothing to charge now: the new price applies at once and bills from the next
        // period (`none`), or the difference waits for the next invoice (`create_prorations`).
        item.set_price(&price);
        item.save(conn)?;
        ops::emit_subscription(conn, "updated", &sub, Some(before))?;
        return Ok(sub);
    }
    let customer =
        Customer::find(conn, &sub.customer_id)?.ok_or_else(|| SandboxError::missing("customer", &sub.customer_id))?;
    let mut new_item = item.clone();
    new_item.set_price(&price);
    let line = InvoiceLine {
        item: &new_item,
        amount: owed,
        billing_reason: "subscription_update",
        proration: true,
        period_start: None,
        line_start: now,
        line_end: item.current_period_end,
    };
    let mut invoice = ops::open_invoice(conn, &sub, line, now)?;
    let paid = cards::off_session_charge(customer.card.as_deref());
    ops::attempt_payment(conn, &mut invoice, paid, now)?;
    sub.latest_invoice_id = Some(invoice.id.clone());
    let behavior = form.get("payment_behavior").unwrap_or("allow_incomplete");
    if paid {
        new_item.save(conn)?;
        sub.save(conn)?;
        ops::emit_invoice(conn, "invoice.paid", &invoice)?;
        ops::emit_subscription(conn, "updated", &sub, Some(before))?;
        return Ok(sub);
    }
    match behavior {
        // The change waits for the invoice to be paid; the subscription keeps its old price.
        "pending_if_incomplete" => {
            sub.pending_price_id = Some(price.id.clone());
            sub.pending_expires_at = Some(later(now, TimeDelta::hours(PENDING_UPDATE_HOURS))?);
        }
        "error_if_incomplete" => {
            return Err(SandboxError::invalid("Your card was declined. The subscription was not changed."));
        }
        // allow_incomplete / default_incomplete: the change applies and the debt remains.
        _ => {
            new_item.save(conn)?;
            sub.status = "past_due".to_owned();
        }
    }
    sub.save(conn)?;
    ops::emit_invoice(conn, "invoice.payment_failed", &invoice)?;
    ops::emit_subscription(conn, "updated", &sub, Some(before))?;
    Ok(sub)
}

/// The portal's cancel / resume buttons.
pub fn set_cancel_at_period_end(
    conn: &mut DbConnection,
    id: &str,
    cancel: bool,
    now: NaiveDateTime,
) -> Result<Subscription> {
    let form = StripeForm::parse(format!("cancel_at_period_end={cancel}").as_bytes())?;
    update(conn, id, &form, now)
}

/// `DELETE /v1/subscriptions/{id}`: ends it now.
pub fn cancel_now(conn: &mut DbConnection, id: &str, now: NaiveDateTime) -> Result<Subscription> {
    let mut sub = find(conn, id)?;
    if !sub.is_live() {
        return Err(SandboxError::invalid(format!("This subscription is already {}.", sub.status)));
    }
    let before = ops::subscription_json(conn, &sub)?;
    end(conn, &mut sub, now, &before)?;
    Ok(sub)
}

fn end(conn: &mut DbConnection, sub: &mut Subscription, at: NaiveDateTime, before: &Value) -> Result<()> {
    sub.status = "canceled".to_owned();
    sub.ended_at = Some(at);
    sub.canceled_at = sub.canceled_at.or(Some(at));
    sub.pending_price_id = None;
    sub.pending_expires_at = None;
    sub.save(conn)?;
    ops::emit_subscription(conn, "deleted", sub, Some(before))
}

/// Everything due by `now` on test clock `clock_id`, oldest first: period ends of its customers'
/// live subscriptions (renewal, failed renewal, or the end of a cancelled one) and expired
/// pending updates. Returns how many things happened.
pub fn process_due(conn: &mut DbConnection, clock_id: &str, now: NaiveDateTime) -> Result<usize> {
    let mut steps = 0;
    while steps < MAX_STEPS {
        let mut due: Vec<(NaiveDateTime, Subscription, Item)> = Vec::new();
        for sub in Subscription::live_on_clock(conn, clock_id)? {
            let item = plan_item(conn, &sub)?;
            if item.current_period_end <= now {
                due.push((item.current_period_end, sub, item));
            }
        }
        let Some((at, sub, item)) = due.into_iter().min_by_key(|(at, sub, _)| (*at, sub.id.clone())) else {
            break;
        };
        period_end_reached(conn, sub, item, at)?;
        steps += 1;
    }
    Ok(steps)
}

fn period_end_reached(conn: &mut DbConnection, mut sub: Subscription, mut item: Item, at: NaiveDateTime) -> Result<()> {
    let before = ops::subscription_json(conn, &sub)?;
    // A parked price change lives 23 hours; a renewal is always later than that.
    sub.pending_price_id = None;
    sub.pending_expires_at = None;
    // Cancelled at period end, or still unpaid from the last period (Stripe's "cancel the
    // subscription if all retries fail" setting): it ends here.
    if sub.cancel_at_period_end || sub.status == "past_due" {
        return end(conn, &mut sub, at, &before);
    }
    let customer =
        Customer::find(conn, &sub.customer_id)?.ok_or_else(|| SandboxError::missing("customer", &sub.customer_id))?;
    let ended_period_start = item.current_period_start;
    item.current_period_start = at;
    item.current_period_end = period_end(at, &item.billing_interval)?;
    item.save(conn)?;
    let line = InvoiceLine {
        item: &item,
        amount: item.unit_amount,
        billing_reason: "subscription_cycle",
        proration: false,
        period_start: Some(ended_period_start),
        line_start: item.current_period_start,
        line_end: item.current_period_end,
    };
    let mut invoice = ops::open_invoice(conn, &sub, line, at)?;
    let paid = cards::off_session_charge(customer.card.as_deref());
    ops::attempt_payment(conn, &mut invoice, paid, at)?;
    sub.latest_invoice_id = Some(invoice.id.clone());
    sub.status = if paid { "active" } else { "past_due" }.to_owned();
    sub.save(conn)?;
    if paid {
        ops::emit_subscription(conn, "updated", &sub, Some(&before))?;
        ops::emit_invoice(conn, "invoice.paid", &invoice)
    } else {
        ops::emit_invoice(conn, "invoice.payment_failed", &invoice)?;
        ops::emit_subscription(conn, "updated", &sub, Some(&before))
    }
}

/// The portal's "update card": keeps the new card and pays what is open with it (the
/// customer is present, so this is an on-session charge). Returns whether the card was taken.
pub fn update_card(conn: &mut DbConnection, customer_id: &str, card: Card, now: NaiveDateTime) -> Result<bool> {
    let mut customer =
        Customer::find(conn, customer_id)?.ok_or_else(|| SandboxError::missing("customer", customer_id))?;
    if !card.pays_on_session() {
        return Ok(false);
    }
    customer.card = Some(card.digits().to_owned());
    customer.save(conn)?;
    for mut invoice in Invoice::open_for_customer(conn, customer_id)? {
        ops::attempt_payment(conn, &mut invoice, true, now)?;
        ops::emit_invoice(conn, "invoice.paid", &invoice)?;
        let Some(sub_id) = invoice.subscription_id.clone() else { continue };
        let mut sub = find(conn, &sub_id)?;
        if !sub.is_live() {
            continue;
        }
        let before = ops::subscription_json(conn, &sub)?;
        // Paying a parked change's invoice applies the change, as Stripe does.
        if let (Some(price_id), true) = (sub.pending_price_id.take(), invoice.billing_reason == "subscription_update")
            && let Some(price) = Price::find(conn, &price_id)?
        {
            let mut item = plan_item(conn, &sub)?;
            item.set_price(&price);
            item.save(conn)?;
        }
        sub.pending_expires_at = None;
        if sub.status == "past_due" {
            sub.status = "active".to_owned();
        }
        sub.save(conn)?;
        ops::emit_subscription(conn, "updated", &sub, Some(&before))?;
    }
    Ok(true)
}

/// `POST /v1/invoices/create_preview`: the subscription's next renewal invoice.
pub fn preview(conn: &mut DbConnection, customer_id: &str, subscription_id: &str) -> Result<Value> {
    let sub = find(conn, subscription_id)?;
    if sub.customer_id != customer_id {
        return Err(SandboxError::invalid(format!("Subscription {subscription_id} does not belong to {customer_id}.")));
    }
    if !sub.is_live() {
        return Err(SandboxError::NotFound("No upcoming invoices for this subscription.".to_owned()));
    }
    let item = plan_item(conn, &sub)?;
    let starts = item.current_period_end;
    let amount = if sub.cancel_at_period_end { 0 } else { item.unit_amount };
    let invoice = Invoice {
        id: format!("upcoming_in_{}", sub.id.trim_start_matches("sub_")),
        number: String::new(),
        customer_id: sub.customer_id.clone(),
        subscription_id: Some(sub.id.clone()),
        subscription_item_id: Some(item.id.clone()),
        status: "draft".to_owned(),
        billing_reason: "upcoming".to_owned(),
        amount_due: amount,
        amount_paid: 0,
        currency: item.currency.clone(),
        price_id: Some(item.price_id.clone()),
        description: format!("1 × {} ({})", item.product_name, item.billing_interval),
        proration: false,
        period_start: item.current_period_start,
        period_end: starts,
        line_period_start: starts,
        line_period_end: period_end(starts, &item.billing_interval)?,
        metadata_json: sub.metadata_json.clone(),
        attempt_count: 0,
        created_at: starts,
        paid_at: None,
    };
    let mut json = ops::invoice_json(conn, &invoice)?;
    if let Some(obj) = json.as_object_mut() {
        obj.insert("next_payment_attempt".to_owned(), json!(unix(starts)));
        obj.insert("number".to_owned(), Value::Null);
    }
    Ok(json)
}
