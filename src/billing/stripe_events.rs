//! Stripe webhook events → [`NormalizedEvent`].
//!
//! The body must already be authenticated (see `signature::stripe_verify`). Parsing goes
//! through `serde_json::Value` and reads only the fields we need, so extra fields, missing
//! optional fields, expanded objects (`"customer": {"id": ...}` instead of `"cus_..."`) and the
//! differences between Stripe API versions are all tolerated:
//!
//! * subscription periods: `current_period_start/end` on the subscription (old versions) or
//!   min/max over `items.data[].current_period_start/end` (2025-03-31.basil and later);
//! * invoice → subscription: top-level `subscription` (old) or
//!   `parent.subscription_details.subscription` (new);
//! * invoice line → price: `price.id` / `plan.id` (old) or `pricing.price_details.price` (new);
//!   line → subscription: `subscription` (old) or `parent.subscription_item_details.subscription`.
//!
//! Event type mapping (anything else is [`EventKind::Ignored`], still `Ok`):
//!
//! | Stripe type | kind |
//! |---|---|
//! | `checkout.session.completed`, `checkout.session.async_payment_succeeded` | `CheckoutCompleted` |
//! | `customer.subscription.created/updated/trial_will_end/paused/resumed` | `SubscriptionUpdated` |
//! | `customer.subscription.deleted` | `SubscriptionDeleted` |
//! | `invoice.paid`, `invoice.payment_succeeded` | `InvoicePaid` |
//! | `invoice.payment_failed` | `InvoicePaymentFailed` |
//! | `invoice.finalized` | `InvoiceGenerated` |
//! | `charge.refunded` | `Refunded` |
//!
//! The data object is decoded by the kind's expected shape, or for ignored events by its
//! `object` field (best effort, never an error). A mapped event whose `data.object` is missing
//! or has no `id` is [`EventParseError::Malformed`].

use std::collections::BTreeMap;

use serde_json::Value;

use crate::domain::normalized::{
    CheckoutData, CheckoutMode, EventKind, EventParseError, InvoiceData, NormalizedEvent, Provider, RefundData,
    SubscriptionData, SubscriptionStatus,
};

use super::json::{dedup, int_at, str_at, ts};

#[cfg(test)]
mod tests;

/// Parse a raw Stripe event body (already signature-checked) into our normalized form.
pub fn parse_stripe_event(raw: &[u8]) -> Result<NormalizedEvent, EventParseError> {
    let root: Value = serde_json::from_slice(raw).map_err(|e| EventParseError::Json(e.to_string()))?;
    if !root.is_object() {
        return Err(EventParseError::Malformed("event is not a JSON object".into()));
    }
    let event_id = str_at(&root, "/id").ok_or(EventParseError::MissingId)?;
    let event_type = str_at(&root, "/type").ok_or(EventParseError::MissingType)?;
    let created_at = root
        .get("created")
        .and_then(ts)
        .ok_or_else(|| EventParseError::Malformed("`created` missing or invalid".into()))?;
    let kind = kind_for(&event_type);

    let mut event = NormalizedEvent {
        provider: Provider::Stripe,
        event_id,
        event_type,
        kind,
        created_at,
        customer_id: None,
        subscription: None,
        invoice: None,
        checkout: None,
        refund: None,
        workspace_ref: None,
    };

    let object = root.pointer("/data/object").filter(|o| o.is_object());
    let Some(obj) = object else {
        if kind == EventKind::Ignored {
            return Ok(event);
        }
        return Err(EventParseError::Malformed("`data.object` missing".into()));
    };

    let shape = match kind {
        EventKind::CheckoutCompleted => "checkout.session",
        EventKind::SubscriptionUpdated | EventKind::SubscriptionDeleted => "subscription",
        EventKind::InvoicePaid | EventKind::InvoicePaymentFailed | EventKind::InvoiceGenerated => "invoice",
        EventKind::Refunded => "charge",
        EventKind::Ignored => obj.get("object").and_then(Value::as_str).unwrap_or(""),
    };
    let decoded = match shape {
        "checkout.session" => parse_checkout(obj).map(|c| event.checkout = Some(c)),
        "subscription" => parse_subscription(obj).map(|s| event.subscription = Some(s)),
        "invoice" => parse_invoice(obj).map(|i| event.invoice = Some(i)),
        // A charge is only a refund for refund events; other charge events stay bare.
        "charge" if kind == EventKind::Refunded => parse_refund(obj).map(|r| event.refund = Some(r)),
        _ => Ok(()),
    };
    match decoded {
        Err(reason) if kind != EventKind::Ignored => {
            return Err(EventParseError::Malformed(reason));
        }
        _ => {}
    }

    event.customer_id = obj.get("customer").and_then(id_of);
    event.workspace_ref = workspace_ref(obj, shape);
    Ok(event)
}

fn kind_for(event_type: &str) -> EventKind {
    match event_type {
        "checkout.session.completed" | "checkout.session.async_payment_succeeded" => EventKind::CheckoutCompleted,
        "customer.subscription.created"
        | "customer.subscription.updated"
        | "customer.subscription.trial_will_end"
        | "customer.subscription.paused"
        | "customer.subscription.resumed" => EventKind::SubscriptionUpdated,
        "customer.subscription.deleted" => EventKind::SubscriptionDeleted,
        "invoice.paid" | "invoice.payment_succeeded" => EventKind::InvoicePaid,
        "invoice.payment_failed" => EventKind::InvoicePaymentFailed,
        "invoice.finalized" => EventKind::InvoiceGenerated,
        "charge.refunded" => EventKind::Refunded,
        _ => EventKind::Ignored,
    }
}

/// Map Stripe's subscription status words onto ours (`None` for unknown words).
fn map_stripe_status(status: &str) -> Option<SubscriptionStatus> {
    Some(match status {
        "trialing" => SubscriptionStatus::Trialing,
        "active" => SubscriptionStatus::Active,
        "past_due" | "unpaid" => SubscriptionStatus::PastDue,
        "incomplete" => SubscriptionStatus::Incomplete,
        "incomplete_expired" | "canceled" => SubscriptionStatus::Canceled,
        "paused" => SubscriptionStatus::Paused,
        _ => return None,
    })
}

fn parse_subscription(obj: &Value) -> Result<SubscriptionData, String> {
    let id = str_at(obj, "/id").ok_or("subscription has no id")?;
    let items: &[Value] = obj.pointer("/items/data").and_then(Value::as_array).map_or(&[], Vec::as_slice);

    let item_times = |field: &'static str| items.iter().filter_map(move |i| i.get(field).and_then(ts));
    let current_period_start =
        obj.get("current_period_start").and_then(ts).or_else(|| item_times("current_period_start").min());
    let current_period_end =
        obj.get("current_period_end").and_then(ts).or_else(|| item_times("current_period_end").max());

    let price_ids = dedup(
        items.iter().filter_map(|item| item.get("price").and_then(id_of).or_else(|| item.get("plan").and_then(id_of))),
    );

    // `cancel_at` is the real end whichever way it was set (classic `cancel_at_period_end`
    // fills it with the period end; a custom date, a schedule's end or a flexible-mode cancel
    // set only it), so it is kept as such rather than read as "at the period end".
    let flag = obj.get("cancel_at_period_end").and_then(Value::as_bool);
    let cancel_at = obj.get("cancel_at").and_then(ts);
    let cancel_at_set = obj.get("cancel_at").is_some_and(|v| !v.is_null());
    let cancel_at_period_end = match (flag, cancel_at_set) {
        (None, false) => None,
        (flag, cancel_at_set) => Some(flag.unwrap_or(false) || cancel_at_set),
    };

    let raw_status = str_at(obj, "/status");
    Ok(SubscriptionData {
        id,
        customer_id: obj.get("customer").and_then(id_of),
        status: raw_status.as_deref().and_then(map_stripe_status),
        price_ids,
        current_period_start,
        current_period_end,
        cancel_at_period_end,
        cancel_at,
        retries_exhausted: raw_status.as_deref() == Some("unpaid"),
        has_scheduled_changes: None,
        trial_end: obj.get("trial_end").and_then(ts),
        canceled_at: obj.get("canceled_at").and_then(ts),
        metadata: metadata(obj.get("metadata")),
    })
}

/// The subscription an invoice line belongs to (old or new API shape).
fn line_subscription(line: &Value) -> Option<String> {
    line.get("subscription")
        .and_then(id_of)
        .or_else(|| line.pointer("/parent/subscription_item_details/subscription").and_then(id_of))
        .or_else(|| line.pointer("/parent/invoice_item_details/subscription").and_then(id_of))
}

/// The price of an invoice line (old or new API shape).
fn line_price(line: &Value) -> Option<String> {
    line.get("price")
        .and_then(id_of)
        .or_else(|| line.pointer("/pricing/price_details/price").and_then(id_of))
        .or_else(|| line.get("plan").and_then(id_of))
}

fn line_is_proration(line: &Value) -> bool {
    line.get("proration").and_then(Value::as_bool) == Some(true)
        || line.pointer("/parent/subscription_item_details/proration").and_then(Value::as_bool) == Some(true)
}

fn parse_invoice(obj: &Value) -> Result<InvoiceData, String> {
    let id = str_at(obj, "/id").ok_or("invoice has no id")?;
    let lines: &[Value] = obj.pointer("/lines/data").and_then(Value::as_array).map_or(&[], Vec::as_slice);

    // The line that tells which period the subscription is paid for: the first subscription
    // (or priced) line, preferring a regular line over a proration adjustment.
    let is_sub_line = |l: &&Value| {
        line_subscription(l).is_some()
            || line_price(l).is_some()
            || l.get("type").and_then(Value::as_str) == Some("subscription")
    };
    let period_line =
        lines.iter().filter(is_sub_line).find(|l| !line_is_proration(l)).or_else(|| lines.iter().find(is_sub_line));

    let subscription_id = obj
        .get("subscription")
        .and_then(id_of)
        .or_else(|| obj.pointer("/parent/subscription_details/subscription").and_then(id_of));

    Ok(InvoiceData {
        id,
        number: str_at(obj, "/number"),
        customer_id: obj.get("customer").and_then(id_of),
        subscription_id,
        status: str_at(obj, "/status").unwrap_or_default(),
        amount_due_minor: int_at(obj, "/amount_due").unwrap_or(0),
        amount_paid_minor: int_at(obj, "/amount_paid").unwrap_or(0),
        currency: str_at(obj, "/currency").unwrap_or_default().to_ascii_lowercase(),
        hosted_url: str_at(obj, "/hosted_invoice_url"),
        pdf_url: str_at(obj, "/invoice_pdf"),
        period_start: obj.get("period_start").and_then(ts),
        period_end: obj.get("period_end").and_then(ts),
        billing_reason: str_at(obj, "/billing_reason"),
        line_period_start: period_line.and_then(|l| l.pointer("/period/start")).and_then(ts),
        line_period_end: period_line.and_then(|l| l.pointer("/period/end")).and_then(ts),
        price_ids: dedup(lines.iter().filter_map(line_price)),
        issued_at: obj
            .pointer("/status_transitions/finalized_at")
            .and_then(ts)
            .or_else(|| obj.get("created").and_then(ts)),
    })
}

fn parse_checkout(obj: &Value) -> Result<CheckoutData, String> {
    let id = str_at(obj, "/id").ok_or("checkout session has no id")?;
    let mode = match obj.get("mode").and_then(Value::as_str) {
        Some("subscription") => Some(CheckoutMode::Subscription),
        Some("payment") => Some(CheckoutMode::Payment),
        Some("setup") => Some(CheckoutMode::Setup),
        _ => None,
    };
    Ok(CheckoutData {
        id,
        mode,
        client_reference_id: str_at(obj, "/client_reference_id"),
        customer_id: obj.get("customer").and_then(id_of),
        subscription_id: obj.get("subscription").and_then(id_of),
        payment_intent_id: obj.get("payment_intent").and_then(id_of),
        invoice_id: obj.get("invoice").and_then(id_of),
        payment_status: str_at(obj, "/payment_status"),
        status: str_at(obj, "/status"),
        amount_total_minor: int_at(obj, "/amount_total"),
        currency: str_at(obj, "/currency").map(|c| c.to_ascii_lowercase()),
        metadata: metadata(obj.get("metadata")),
    })
}

fn parse_refund(obj: &Value) -> Result<RefundData, String> {
    let id = str_at(obj, "/id").ok_or("charge has no id")?;
    let amount = int_at(obj, "/amount").unwrap_or(0);
    let refunded = int_at(obj, "/amount_refunded").unwrap_or(0);
    let flag = obj.get("refunded").and_then(Value::as_bool).unwrap_or(false);
    Ok(RefundData {
        id,
        customer_id: obj.get("customer").and_then(id_of),
        payment_intent_id: obj.get("payment_intent").and_then(id_of),
        invoice_id: obj.get("invoice").and_then(id_of),
        amount_minor: amount,
        amount_refunded_minor: refunded,
        currency: str_at(obj, "/currency").unwrap_or_default().to_ascii_lowercase(),
        fully_refunded: flag || (amount > 0 && refunded >= amount),
        metadata: metadata(obj.get("metadata")),
    })
}

/// Our workspace id: checkout `client_reference_id`, else `metadata.workspace_id`, else (for
/// invoices) the subscription metadata Stripe copies onto the invoice.
fn workspace_ref(obj: &Value, shape: &str) -> Option<String> {
    let from_meta = |ptr: &str| obj.pointer(ptr).and_then(scalar_string);
    let mut found = None;
    if shape == "checkout.session" {
        found = str_at(obj, "/client_reference_id");
    }
    found = found.or_else(|| from_meta("/metadata/workspace_id"));
    if shape == "invoice" {
        found = found
            .or_else(|| from_meta("/subscription_details/metadata/workspace_id"))
            .or_else(|| from_meta("/parent/subscription_details/metadata/workspace_id"));
    }
    found
}

// ---- small JSON helpers -------------------------------------------------------------------

/// An id given either as a plain string or as an expanded object with an `id`.
fn id_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Object(_) => str_at(v, "/id"),
        _ => None,
    }
}

/// A string, number or bool as a string (metadata values are strings, but be lenient).
fn scalar_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn metadata(v: Option<&Value>) -> BTreeMap<String, String> {
    v.and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| match v {
                    Value::String(s) => Some((k.clone(), s.clone())),
                    other => scalar_string(other).map(|s| (k.clone(), s)),
                })
                .collect()
        })
        .unwrap_or_default()
}

// ---- shared with the Stripe API client ------------------------------------------------------
// API answers carry the same objects as webhook events; reading them with the same tolerant
// code keeps one definition of "what a Stripe subscription means to us".

/// A Stripe subscription object (any API version) → [`SubscriptionData`].
pub(crate) fn subscription_from_json(obj: &Value) -> Result<SubscriptionData, String> {
    parse_subscription(obj)
}

/// A Stripe invoice object (any API version) → [`InvoiceData`].
pub(crate) fn invoice_from_json(obj: &Value) -> Result<InvoiceData, String> {
    parse_invoice(obj)
}

/// A Stripe checkout session object → [`CheckoutData`].
pub(crate) fn checkout_from_json(obj: &Value) -> Result<CheckoutData, String> {
    parse_checkout(obj)
}
