//! Checkout sessions: created through the API, completed on the hosted page. Completing one
//! does what Stripe does: creates the customer if needed, then the subscription (trialing
//! when the session asked for trial days) with its first invoice, or for payment mode a paid
//! invoice; then records the events.

use chrono::{NaiveDateTime, TimeDelta};
use serde_json::Value;

use super::cards::Card;
use super::catalog::Price;
use super::error::SandboxError;
use super::events;
use super::form::StripeForm;
use super::ops::{self, InvoiceLine, Result};
use super::shapes;
use super::store::{Customer, Invoice, Item, Session, Subscription, new_id};
use super::time::{later, period_end};
use crate::db::DbConnection;

fn json_map(map: &std::collections::BTreeMap<String, String>) -> String {
    serde_json::to_string(map).unwrap_or_else(|_| "{}".to_owned())
}

/// Stripe's longest trial: "The maximum number of trial period days is 730 (2 years)."
const MAX_TRIAL_DAYS: i64 = 730;

/// `POST /v1/checkout/sessions`, at sandbox time `now`; `check_url` refuses a return address
/// the hosted page must not send a browser to.
pub fn create(
    conn: &mut DbConnection,
    form: &StripeForm,
    now: NaiveDateTime,
    check_url: &dyn Fn(&str, &str) -> Result<()>,
) -> Result<Session> {
    let mode = form.require("mode")?.to_owned();
    let price_id = form.require("line_items[0][price]")?;
    let price = Price::sellable(conn, price_id)?;
    match (mode.as_str(), &price.interval) {
        ("subscription", Some(_)) | ("payment", None) => {}
        ("subscription", None) => {
            return Err(SandboxError::invalid(
                "You must provide at least one recurring price in `subscription` mode when using prices.",
            ));
        }
        ("payment", Some(_)) => {
            return Err(SandboxError::invalid(
                "You specified `payment` mode but passed a recurring price. Either switch to `subscription` mode or use only one-time prices.",
            ));
        }
        (other, _) => {
            return Err(SandboxError::invalid(format!(
                "Invalid mode: {other}. The sandbox supports subscription and payment."
            )));
        }
    }
    if let Some(quantity) = form.int("line_items[0][quantity]")?
        && quantity != 1
    {
        return Err(SandboxError::invalid("The sandbox sells one of each item: quantity must be 1."));
    }
    let customer_id = form.get("customer").map(str::to_owned);
    if let Some(id) = &customer_id {
        if Customer::find(conn, id)?.is_none() {
            return Err(SandboxError::missing("customer", id));
        }
        if form.get("customer_email").is_some() {
            return Err(SandboxError::invalid(
                "You may only specify one of these parameters: customer, customer_email.",
            ));
        }
    }
    let (success_url, cancel_url) = (form.require("success_url")?, form.require("cancel_url")?);
    check_url("success_url", success_url)?;
    check_url("cancel_url", cancel_url)?;
    let trial_days = match form.int("subscription_data[trial_period_days]")? {
        None => None,
        Some(days) if days < 1 => {
            return Err(SandboxError::invalid("Invalid trial_period_days: it has to be at least 1."));
        }
        Some(days) if days > MAX_TRIAL_DAYS => {
            return Err(SandboxError::invalid("The maximum number of trial period days is 730 (2 years)."));
        }
        Some(days) => i32::try_from(days).ok(),
    };
    let session = Session {
        id: new_id("cs_test"),
        mode,
        status: "open".to_owned(),
        payment_status: "unpaid".to_owned(),
        price_id: price.id.clone(),
        customer_id,
        customer_email: form.get("customer_email").map(str::to_owned),
        customer_creation: form.get("customer_creation").map(str::to_owned),
        client_reference_id: form.get("client_reference_id").map(str::to_owned),
        trial_days,
        allow_promotion_codes: form.bool("allow_promotion_codes")?.unwrap_or(false),
        metadata_json: json_map(&form.map("metadata")),
        subscription_metadata_json: json_map(&form.map("subscription_data[metadata]")),
        payment_intent_metadata_json: json_map(&form.map("payment_intent_data[metadata]")),
        success_url: success_url.to_owned(),
        cancel_url: cancel_url.to_owned(),
        // A trial charges nothing today.
        amount_total: if trial_days.is_some_and(|d| d > 0) { 0 } else { price.unit_amount },
        currency: price.currency.clone(),
        subscription_id: None,
        invoice_id: None,
        payment_intent_id: None,
        created_at: now,
        expires_at: later(now, TimeDelta::hours(24))?,
        completed_at: None,
    };
    session.insert(conn)?;
    Ok(session)
}

/// What paying on the hosted page led to.
#[derive(Debug, PartialEq, Eq)]
pub enum PayOutcome {
    /// Completed: send the browser here.
    Paid { redirect: String },
    /// The card was declined; nothing changed.
    Declined,
    /// Not one of the test cards; nothing changed.
    UnknownCard,
    /// The session expired (24 hours, sandbox time) before it was paid.
    Expired,
}

/// `POST /sandbox/checkout/{id}/pay`: completes an open session with the typed card.
pub fn pay(conn: &mut DbConnection, session_id: &str, typed_card: &str, now: NaiveDateTime) -> Result<PayOutcome> {
    let mut session =
        Session::find(conn, session_id)?.ok_or_else(|| SandboxError::missing("checkout session", session_id))?;
    match session.status.as_str() {
        // A second click on "Pay" (or a reloaded POST) lands where the first one did.
        "complete" => return Ok(PayOutcome::Paid { redirect: success_redirect(&session) }),
        "open" if now >= session.expires_at => {
            session.status = "expired".to_owned();
            session.save(conn)?;
            return Ok(PayOutcome::Expired);
        }
        "open" => {}
        _ => return Ok(PayOutcome::Expired),
    }
    let card = match Card::parse(typed_card) {
        None => return Ok(PayOutcome::UnknownCard),
        Some(card) if !card.pays_on_session() => return Ok(PayOutcome::Declined),
        Some(card) => card,
    };
    let price = Price::find(conn, &session.price_id)?
        .ok_or_else(|| SandboxError::invalid(format!("No such price: '{}'", session.price_id)))?;
    let mut customer = match &session.customer_id {
        Some(id) => Customer::find(conn, id)?.ok_or_else(|| SandboxError::missing("customer", id))?,
        None => {
            let customer = Customer {
                id: new_id("cus"),
                email: session.customer_email.clone(),
                card: None,
                created_at: now,
                test_clock_id: None,
            };
            customer.insert(conn)?;
            customer
        }
    };
    customer.card = Some(card.digits().to_owned());
    customer.save(conn)?;
    session.customer_id = Some(customer.id.clone());

    if session.mode == "subscription" {
        let (sub, invoice) = start_subscription(conn, &session, &customer, &price, now)?;
        session.subscription_id = Some(sub.id.clone());
        session.invoice_id = Some(invoice.id.clone());
        session.payment_status = if invoice.amount_due == 0 { "no_payment_required" } else { "paid" }.to_owned();
    } else {
        let invoice = paid_one_time_invoice(conn, &session, &customer, &price, now)?;
        session.invoice_id = Some(invoice.id.clone());
        session.payment_intent_id = Some(new_id("pi"));
        session.payment_status = "paid".to_owned();
    }
    session.status = "complete".to_owned();
    session.completed_at = Some(now);
    session.save(conn)?;
    events::record(conn, "checkout.session.completed", shapes::checkout_session(&session, "", None)?, None)?;
    Ok(PayOutcome::Paid { redirect: success_redirect(&session) })
}

/// Stripe fills the session id into the success URL's `{CHECKOUT_SESSION_ID}`.
pub fn success_redirect(session: &Session) -> String {
    session.success_url.replace("{CHECKOUT_SESSION_ID}", &session.id)
}

fn start_subscription(
    conn: &mut DbConnection,
    session: &Session,
    customer: &Customer,
    price: &Price,
    now: NaiveDateTime,
) -> Result<(Subscription, Invoice)> {
    let trial_end =
        session.trial_days.filter(|d| *d > 0).map(|d| later(now, TimeDelta::days(i64::from(d)))).transpose()?;
    let interval = price.interval.clone().unwrap_or_else(|| "month".to_owned());
    let mut sub = Subscription {
        id: new_id("sub"),
        customer_id: customer.id.clone(),
        status: if trial_end.is_some() { "trialing" } else { "active" }.to_owned(),
        cancel_at_period_end: false,
        canceled_at: None,
        ended_at: None,
        trial_start: trial_end.map(|_| now),
        trial_end,
        metadata_json: session.subscription_metadata_json.clone(),
        latest_invoice_id: None,
        pending_price_id: None,
        pending_expires_at: None,
        created_at: now,
        cancel_at: None,
        schedule_id: None,
    };
    sub.insert(conn)?;
    let mut item = Item {
        id: new_id("si"),
        subscription_id: sub.id.clone(),
        price_id: String::new(),
        product_name: String::new(),
        unit_amount: 0,
        currency: String::new(),
        billing_interval: interval.clone(),
        current_period_start: now,
        // A trial is the first period; the first charge comes when it ends.
        current_period_end: match trial_end {
            Some(end) => end,
            None => period_end(now, &interval)?,
        },
        created_at: now,
    };
    item.set_price(price);
    item.insert(conn)?;
    let line = InvoiceLine {
        item: &item,
        amount: if trial_end.is_some() { 0 } else { price.unit_amount },
        billing_reason: "subscription_create",
        proration: false,
        period_start: None,
        line_start: item.current_period_start,
        line_end: item.current_period_end,
    };
    let mut invoice = ops::open_invoice(conn, &sub, line, now)?;
    // The card was just confirmed on the page, so the first charge goes through.
    ops::attempt_payment(conn, &mut invoice, true, now)?;
    sub.latest_invoice_id = Some(invoice.id.clone());
    sub.save(conn)?;
    ops::emit_subscription(conn, "created", &sub, None)?;
    ops::emit_invoice(conn, "invoice.paid", &invoice)?;
    Ok((sub, invoice))
}

fn paid_one_time_invoice(
    conn: &mut DbConnection,
    session: &Session,
    customer: &Customer,
    price: &Price,
    now: NaiveDateTime,
) -> Result<Invoice> {
    let invoice = Invoice {
        id: new_id("in"),
        number: Invoice::next_number(conn, &customer.id)?,
        customer_id: customer.id.clone(),
        subscription_id: None,
        subscription_item_id: None,
        status: "paid".to_owned(),
        billing_reason: "manual".to_owned(),
        amount_due: price.unit_amount,
        amount_paid: price.unit_amount,
        currency: price.currency.clone(),
        price_id: Some(price.id.clone()),
        description: format!("1 × {}", price.product_name),
        proration: false,
        period_start: now,
        period_end: now,
        line_period_start: now,
        line_period_end: now,
        metadata_json: session.payment_intent_metadata_json.clone(),
        attempt_count: 1,
        created_at: now,
        paid_at: Some(now),
    };
    invoice.insert(conn)?;
    ops::emit_invoice(conn, "invoice.paid", &invoice)?;
    Ok(invoice)
}

/// The session as the API shows it, with its subscription expanded when asked.
pub fn session_json(conn: &mut DbConnection, session: &Session, page_url: &str, expand: &[String]) -> Result<Value> {
    let subscription = match (&session.subscription_id, expand.iter().any(|e| e == "subscription")) {
        (Some(id), true) => match Subscription::find(conn, id)? {
            Some(sub) => Some(ops::subscription_json(conn, &sub)?),
            None => None,
        },
        _ => None,
    };
    shapes::checkout_session(session, page_url, subscription)
}
