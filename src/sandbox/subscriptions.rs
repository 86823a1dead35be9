//! Subscriptions after checkout: updates (metadata, cancellation at a date or at the period
//! end, resume, price changes — see `changes`), immediate cancellation, paying open invoices
//! when the customer gives a new card, and the upcoming-invoice preview. What the clock makes
//! happen is `renewals`.

use chrono::NaiveDateTime;
use serde_json::{Value, json};

use super::cards::Card;
use super::catalog::Price;
use super::changes::{self, Terms};
use super::error::SandboxError;
use super::form::StripeForm;
use super::ops::{self, Result};
use super::store::{Customer, Invoice, Item, Subscription};
use super::time::{from_unix, latest, unix};
use super::{renewals, schedules};
use crate::db::DbConnection;

pub fn find(conn: &mut DbConnection, id: &str) -> Result<Subscription> {
    Subscription::find(conn, id)?.ok_or_else(|| SandboxError::missing("subscription", id))
}

pub fn plan_item(conn: &mut DbConnection, sub: &Subscription) -> Result<Item> {
    Item::of(conn, &sub.id)?
        .into_iter()
        .next()
        .ok_or_else(|| SandboxError::Internal(format!("subscription {} has no items", sub.id)))
}

/// `POST /v1/subscriptions/{id}`, at sandbox time `now`: metadata, the cancellation
/// (`cancel_at`, `cancel_at_period_end`) and the price (`items[0][price]`, see `changes`).
pub fn update(conn: &mut DbConnection, id: &str, form: &StripeForm, now: NaiveDateTime) -> Result<Subscription> {
    let mut sub = find(conn, id)?;
    if !sub.is_live() {
        return Err(SandboxError::invalid(
            "A canceled subscription can only update its cancellation_details and metadata.",
        ));
    }
    changes::check_terms(form)?;
    let before = ops::subscription_json(conn, &sub)?;
    let metadata = form.map("metadata");
    if !metadata.is_empty() {
        let mut current: std::collections::BTreeMap<String, String> =
            serde_json::from_str(&sub.metadata_json).unwrap_or_default();
        current.extend(metadata);
        sub.metadata_json = serde_json::to_string(&current).unwrap_or_else(|_| "{}".to_owned());
    }
    let mut item = plan_item(conn, &sub)?;
    set_cancellation(&mut sub, form, &item, now)?;
    if let Some(raw) = form.get("trial_end") {
        move_trial_end(&mut sub, &mut item, form, raw, now)?;
        item.save(conn)?;
    }
    sub.save(conn)?;
    let price = match form.get("items[0][price]") {
        Some(price_id) => Some(Price::sellable(conn, price_id)?),
        // `billing_cycle_anchor=now` alone starts a new cycle of the current price.
        None if form.get("billing_cycle_anchor") == Some("now") => Price::find(conn, &item.price_id)?,
        None => None,
    };
    let Some(price) = price else {
        ops::emit_subscription(conn, "updated", &sub, Some(&before))?;
        return Ok(sub);
    };
    if price.interval.is_none() {
        return Err(SandboxError::invalid(
            "The price specified is not recurring; subscriptions need recurring prices.",
        ));
    }
    if let Some(item_id) = form.get("items[0][id]")
        && item_id != item.id
    {
        return Err(SandboxError::invalid(format!("No such subscription item: '{item_id}'")));
    }
    let terms = Terms::from_form(form, &item, &price)?;
    changes::apply(conn, sub, &price, terms, &before, now)
}

/// Reads `cancel_at` (a unix time, `min_period_end` / `max_period_end`, or empty to clear) and
/// `cancel_at_period_end` into `sub`, as Stripe: one or the other, a date in the future and
/// within the sandbox's times, and not while a schedule manages the subscription.
fn set_cancellation(sub: &mut Subscription, form: &StripeForm, item: &Item, now: NaiveDateTime) -> Result<()> {
    let flag = form.bool("cancel_at_period_end")?;
    let cancel_at = match form.get("cancel_at") {
        None => None,
        Some("") => Some(None),
        Some("min_period_end" | "max_period_end") => Some(Some(item.current_period_end)),
        Some(raw) => Some(Some(future_time("cancel_at", raw, now)?)),
    };
    if flag.is_none() && cancel_at.is_none() {
        return Ok(());
    }
    if let Some(schedule) = &sub.schedule_id {
        return Err(SandboxError::invalid(format!(
            "The subscription is managed by the subscription schedule `{schedule}`, and updating any cancelation \
             behavior directly is not allowed. Please update the schedule instead."
        )));
    }
    match (cancel_at, flag) {
        (Some(Some(_)), Some(true)) => {
            return Err(SandboxError::invalid(
                "You may only specify one of these parameters: cancel_at, cancel_at_period_end.",
            ));
        }
        (Some(Some(at)), _) => {
            sub.cancel_at = Some(at);
            sub.cancel_at_period_end = false;
            sub.canceled_at = Some(now);
        }
        (_, Some(true)) => {
            sub.cancel_at = Some(item.current_period_end);
            sub.cancel_at_period_end = true;
            sub.canceled_at = Some(now);
        }
        _ => {
            sub.cancel_at = None;
            sub.cancel_at_period_end = false;
            sub.canceled_at = None;
        }
    }
    Ok(())
}

/// The longest trial Stripe allows, counted from now.
const MAX_TRIAL_DAYS: i64 = 730;

/// Moves a running trial's end (`trial_end`, a unix time) and with it the first period's end,
/// which is when the first charge comes. The sandbox only moves trials that are running:
/// starting a trial on a paid subscription, or `trial_end=now`, is refused rather than
/// half-done, as is a trial change together with a price change.
fn move_trial_end(
    sub: &mut Subscription,
    item: &mut Item,
    form: &StripeForm,
    raw: &str,
    now: NaiveDateTime,
) -> Result<()> {
    if sub.status != "trialing" {
        return Err(SandboxError::invalid(format!(
            "The sandbox can only move the end of a running trial; this subscription is {}.",
            sub.status
        )));
    }
    if form.get("items[0][price]").is_some() || form.get("billing_cycle_anchor").is_some() {
        return Err(SandboxError::invalid(
            "The sandbox does not combine trial_end with a price or billing cycle change: send them separately.",
        ));
    }
    if let Some(schedule) = &sub.schedule_id {
        return Err(SandboxError::invalid(format!(
            "The subscription is managed by the subscription schedule `{schedule}`, and updating its trial directly \
             is not allowed. Please update the schedule instead."
        )));
    }
    let at = future_time("trial_end", raw, now)?;
    if at > now + chrono::TimeDelta::days(MAX_TRIAL_DAYS) {
        return Err(SandboxError::invalid(format!(
            "Invalid trial_end: it can be at most {MAX_TRIAL_DAYS} days in the future."
        )));
    }
    sub.trial_end = Some(at);
    item.current_period_end = at;
    changes::follow_new_period(sub, item);
    Ok(())
}

/// A unix time parameter that must lie after `now` and within the times the sandbox keeps.
pub fn future_time(param: &str, raw: &str, now: NaiveDateTime) -> Result<NaiveDateTime> {
    let seconds: i64 = raw.parse().map_err(|_| {
        SandboxError::invalid(format!("Invalid {param}: {raw:?} is not a unix timestamp in whole seconds."))
    })?;
    let at = from_unix(seconds).ok_or_else(|| {
        SandboxError::invalid(format!(
            "Invalid {param}: {seconds} is outside the times the sandbox keeps (up to {}).",
            unix(latest())
        ))
    })?;
    if at <= now {
        return Err(SandboxError::invalid(format!(
            "Invalid {param}: {seconds} must be in the future (the subscription's time is {}).",
            unix(now)
        )));
    }
    Ok(at)
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

/// Ends `sub` at `at`; a schedule still managing it is cancelled with it, as on Stripe.
pub fn end(conn: &mut DbConnection, sub: &mut Subscription, at: NaiveDateTime, before: &Value) -> Result<()> {
    if let Some(schedule) = sub.schedule_id.take() {
        schedules::cancel_with_subscription(conn, &schedule, at)?;
    }
    sub.status = "canceled".to_owned();
    sub.ended_at = Some(at);
    sub.canceled_at = sub.canceled_at.or(Some(at));
    sub.pending_price_id = None;
    sub.pending_expires_at = None;
    sub.save(conn)?;
    ops::emit_subscription(conn, "deleted", sub, Some(before))
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
            // A change that started a new cycle bills the period its invoice line covers.
            if invoice.line_period_end != item.current_period_end {
                item.current_period_start = invoice.line_period_start;
                item.current_period_end = invoice.line_period_end;
                changes::follow_new_period(&mut sub, &item);
            }
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
    let mut item = plan_item(conn, &sub)?;
    let starts = item.current_period_end;
    // A schedule whose phase ends with this period bills the next phase's price from then on.
    if let Some(price) = schedules::price_after(conn, &sub, starts)? {
        item.set_price(&price);
    }
    let ends_before = sub.cancel_at.is_some_and(|at| at <= starts);
    let (line_end, amount) = renewals::next_period(&item, sub.cancel_at, starts)?;
    let amount = if ends_before { 0 } else { amount };
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
        line_period_end: line_end,
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
