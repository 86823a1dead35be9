//! Chargebee webhook events → [`NormalizedEvent`].
//!
//! Chargebee webhooks are authenticated with HTTP Basic auth (see
//! `signature::basic_auth_matches`), not signed. The envelope is
//! `{id, occurred_at, event_type, api_version, content: {subscription?, customer?, invoice?,
//! transaction?, credit_note?}}`; everything is read through `serde_json::Value`, only the
//! fields we need, so extra or missing optional fields are fine. Both Product Catalog shapes are
//! understood: PC 1.0 subscriptions carry `plan_id`, PC 2.0 ones `subscription_items[]`
//! with `item_price_id` (prices: items first, then `plan_id`, de-duplicated).
//!
//! Event type mapping (anything else is [`EventKind::Ignored`], still `Ok`):
//!
//! | Chargebee `event_type` | kind |
//! |---|---|
//! | `subscription_created/activated/changed/renewed/items_renewed/started/resumed/paused/reactivated/trial_extended/moved_in/moved_out`, the `*_with_backdating` variants, `subscription_cancellation_scheduled`, `subscription_scheduled_cancellation_removed`, `subscription_changes_scheduled`, `subscription_scheduled_changes_removed`, `subscription_trial_end_reminder` | `SubscriptionUpdated` |
//! | `subscription_cancelled`, `subscription_canceled_with_backdating`, `subscription_deleted` | `SubscriptionDeleted` |
//! | `payment_succeeded` | `InvoicePaid` |
//! | `payment_failed` | `InvoicePaymentFailed` |
//! | `payment_refunded` | `Refunded` |
//! | `invoice_generated`, `invoice_updated` | `InvoiceGenerated` |
//!
//! `subscription` / `invoice` data are filled whenever the content carries them (a
//! `subscription_renewed` event also states its invoice); `refund` only for refund events.
//! A mapped event without the object its kind needs is [`EventParseError::Malformed`].
//! Chargebee has no "past due" status: the snapshot's own status is kept, and the
//! `InvoicePaymentFailed` kind is what signals it (the state machine keeps past due through
//! later `active` snapshots, see `Provider::status_shows_dues`). Every documented status maps:
//! `transferred` (moved to another business entity under a new id) ends this id like
//! `cancelled`. Hosted invoice URLs are not in the payload.
//!
//! [`parse_subscription`] and [`parse_invoice`] (and the small JSON helpers) are also used by
//! the API client in `chargebee/`, so webhooks and API answers are read by the same code.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::domain::normalized::{
    EventKind, EventParseError, InvoiceData, NormalizedEvent, Provider, RefundData, SubscriptionData,
    SubscriptionStatus,
};

use super::json::{dedup, int_at, str_at, ts};

#[cfg(test)]
mod tests;

/// Parse a raw Chargebee event body (already authenticated) into our normalized form.
pub fn parse_chargebee_event(raw: &[u8]) -> Result<NormalizedEvent, EventParseError> {
    let root: Value = serde_json::from_slice(raw).map_err(|e| EventParseError::Json(e.to_string()))?;
    if !root.is_object() {
        return Err(EventParseError::Malformed("event is not a JSON object".into()));
    }
    let event_id = str_at(&root, "/id").ok_or(EventParseError::MissingId)?;
    let event_type = str_at(&root, "/event_type").ok_or(EventParseError::MissingType)?;
    let occurred = root
        .get("occurred_at")
        .and_then(Value::as_i64)
        .ok_or_else(|| EventParseError::Malformed("`occurred_at` missing or invalid".into()))?;
    let created_at = DateTime::from_timestamp(occurred, 0)
        .ok_or_else(|| EventParseError::Malformed("`occurred_at` out of range".into()))?;
    let kind = kind_for(&event_type);

    let part = |name: &str| root.pointer(&format!("/content/{name}")).filter(|v| v.is_object());
    let (sub, customer, invoice) = (part("subscription"), part("customer"), part("invoice"));
    let (transaction, credit_note) = (part("transaction"), part("credit_note"));

    let subscription = sub.and_then(|s| parse_subscription_at(s, occurred));
    let invoice_data = invoice.and_then(parse_invoice);
    let refund = if kind == EventKind::Refunded { parse_refund(transaction, credit_note, invoice) } else { None };

    let missing = match kind {
        EventKind::SubscriptionUpdated | EventKind::SubscriptionDeleted => {
            subscription.is_none().then_some("subscription")
        }
        EventKind::InvoicePaid | EventKind::InvoicePaymentFailed | EventKind::InvoiceGenerated => {
            invoice_data.is_none().then_some("invoice")
        }
        EventKind::Refunded => refund.is_none().then_some("transaction or credit_note"),
        EventKind::CheckoutCompleted | EventKind::Ignored => None,
    };
    if let Some(what) = missing {
        return Err(EventParseError::Malformed(format!("`content.{what}` with an id is required for {event_type}")));
    }

    let customer_id = sub
        .and_then(|s| str_at(s, "/customer_id"))
        .or_else(|| customer.and_then(|c| str_at(c, "/id")))
        .or_else(|| invoice.and_then(|i| str_at(i, "/customer_id")))
        .or_else(|| transaction.and_then(|t| str_at(t, "/customer_id")));

    let workspace_ref = sub
        .and_then(|s| meta_data(s.get("meta_data")).remove("workspace_id"))
        .or_else(|| customer.and_then(|c| c.get("cf_workspace_id")).and_then(scalar_string))
        .or_else(|| customer.and_then(|c| meta_data(c.get("meta_data")).remove("workspace_id")))
        .filter(|w| !w.is_empty());

    Ok(NormalizedEvent {
        provider: Provider::Chargebee,
        event_id,
        event_type,
        kind,
        created_at,
        customer_id,
        subscription,
        invoice: invoice_data,
        checkout: None,
        refund,
        workspace_ref,
    })
}

fn kind_for(event_type: &str) -> EventKind {
    match event_type {
        "subscription_created"
        | "subscription_created_with_backdating"
        | "subscription_activated"
        | "subscription_activated_with_backdating"
        | "subscription_changed"
        | "subscription_changed_with_backdating"
        | "subscription_renewed"
        | "subscription_items_renewed"
        | "subscription_cancellation_scheduled"
        | "subscription_reactivated"
        | "subscription_reactivated_with_backdating"
        | "subscription_scheduled_cancellation_removed"
        | "subscription_changes_scheduled"
        | "subscription_scheduled_changes_removed"
        | "subscription_started"
        | "subscription_resumed"
        | "subscription_paused"
        | "subscription_trial_extended"
        | "subscription_moved_in"
        | "subscription_moved_out"
        | "subscription_trial_end_reminder" => EventKind::SubscriptionUpdated,
        // Chargebee spells the backdated one with one "l".
        "subscription_cancelled" | "subscription_canceled_with_backdating" | "subscription_deleted" => {
            EventKind::SubscriptionDeleted
        }
        "payment_succeeded" => EventKind::InvoicePaid,
        "payment_failed" => EventKind::InvoicePaymentFailed,
        "payment_refunded" => EventKind::Refunded,
        "invoice_generated" | "invoice_updated" => EventKind::InvoiceGenerated,
        _ => EventKind::Ignored,
    }
}

fn map_status(status: &str) -> Option<SubscriptionStatus> {
    Some(match status {
        "in_trial" => SubscriptionStatus::Trialing,
        "active" => SubscriptionStatus::Active,
        "non_renewing" => SubscriptionStatus::NonRenewing,
        // `transferred`: the record moved to another business entity, and the live copy has a
        // new id (`active_id`) whose own events link it. Nothing more happens under this id.
        "cancelled" | "transferred" => SubscriptionStatus::Canceled,
        "paused" => SubscriptionStatus::Paused,
        "future" => SubscriptionStatus::Future,
        _ => return None,
    })
}

/// A subscription as an API answer states it now (the provider's `subscription` object, as
/// in webhooks). Shared with the API client so both read subscriptions the same way.
pub(crate) fn parse_subscription(sub: &Value) -> Option<SubscriptionData> {
    parse_subscription_at(sub, Utc::now().timestamp())
}

/// `occurred` (the event time) tells a scheduled `cancelled_at` from a past one.
fn parse_subscription_at(sub: &Value, occurred: i64) -> Option<SubscriptionData> {
    let id = str_at(sub, "/id")?;
    let raw_status = str_at(sub, "/status");
    let status = raw_status.as_deref().and_then(map_status);

    // PC 2.0 items first, then the PC 1.0 plan.
    let items = sub
        .get("subscription_items")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|item| str_at(item, "/item_price_id"));
    let price_ids = dedup(items.chain(str_at(sub, "/plan_id")));

    let cancelled_at = sub.get("cancelled_at").and_then(Value::as_i64);
    let cancel_at_period_end = raw_status.as_ref().map(|_| {
        status == Some(SubscriptionStatus::NonRenewing)
            || (status != Some(SubscriptionStatus::Canceled)
                && (sub.get("cancel_schedule_created_at").is_some_and(|v| !v.is_null())
                    || cancelled_at.is_some_and(|at| at > occurred)))
    });

    // A scheduled cancellation's real end: `cancelled_at` while still in the future.
    let cancel_at = cancelled_at
        .filter(|&at| at > occurred && status != Some(SubscriptionStatus::Canceled))
        .and_then(|at| DateTime::from_timestamp(at, 0));
    Some(SubscriptionData {
        id,
        customer_id: str_at(sub, "/customer_id"),
        status,
        price_ids,
        current_period_start: sub.get("current_term_start").and_then(ts),
        current_period_end: sub.get("current_term_end").and_then(ts),
        cancel_at_period_end,
        cancel_at: cancel_at.filter(|_| cancel_at_period_end == Some(true)),
        retries_exhausted: false,
        has_scheduled_changes: sub.get("has_scheduled_changes").and_then(Value::as_bool),
        trial_end: sub.get("trial_end").and_then(ts),
        canceled_at: cancelled_at.and_then(|s| DateTime::from_timestamp(s, 0)),
        metadata: meta_data(sub.get("meta_data")),
    })
}

/// An `invoice` object (webhook content or API answer) → [`InvoiceData`]; `None` without an id.
pub(crate) fn parse_invoice(inv: &Value) -> Option<InvoiceData> {
    let id = str_at(inv, "/id")?;
    let lines: &[Value] = inv.get("line_items").and_then(Value::as_array).map_or(&[], Vec::as_slice);
    // The subscription's own line: the plan line (PC 1.0 `plan`, PC 2.0 `plan_item_price`),
    // else any line tied to a subscription. Setup fees and addons only as a last resort.
    let period_line = lines
        .iter()
        .find(|l| matches!(str_at(l, "/entity_type").as_deref(), Some("plan" | "plan_item_price")))
        .or_else(|| lines.iter().find(|l| str_at(l, "/subscription_id").is_some()));

    let status = match str_at(inv, "/status") {
        Some(s) if s == "voided" => "void".to_string(),
        other => other.unwrap_or_default(),
    };
    let first = inv.get("first_invoice").and_then(Value::as_bool) == Some(true);
    let recurring = inv.get("recurring").and_then(Value::as_bool) == Some(true);
    let billing_reason = if first {
        "subscription_create"
    } else if recurring {
        "subscription_cycle"
    } else {
        "manual"
    };

    Some(InvoiceData {
        // Chargebee's invoice id *is* the invoice number; drafts have a `draft_inv_...` id.
        number: (!id.starts_with("draft_")).then(|| id.clone()),
        id,
        customer_id: str_at(inv, "/customer_id"),
        subscription_id: str_at(inv, "/subscription_id"),
        status,
        amount_due_minor: int_at(inv, "/amount_due").or_else(|| int_at(inv, "/total")).unwrap_or(0),
        amount_paid_minor: int_at(inv, "/amount_paid").unwrap_or(0),
        currency: str_at(inv, "/currency_code").unwrap_or_default().to_ascii_lowercase(),
        hosted_url: None,
        pdf_url: None,
        period_start: None,
        period_end: None,
        billing_reason: Some(billing_reason.to_string()),
        line_period_start: period_line.and_then(|l| l.get("date_from")).and_then(ts),
        line_period_end: period_line.and_then(|l| l.get("date_to")).and_then(ts),
        price_ids: dedup(lines.iter().filter_map(|l| str_at(l, "/entity_id"))),
        issued_at: inv.get("date").and_then(ts),
    })
}

/// A refund from the refund `transaction` (or, without one, the refunded `credit_note`).
/// The original amount comes from the invoice in the same event (what was paid, else its
/// total); the refunded amount is this refund, or all refunded credit notes issued against that
/// invoice if more (so repeated partial refunds add up, like Stripe's `amount_refunded`).
/// Without an invoice the original amount is unknown: `amount_minor` 0, never "fully refunded".
fn parse_refund(
    transaction: Option<&Value>,
    credit_note: Option<&Value>,
    invoice: Option<&Value>,
) -> Option<RefundData> {
    let cn_invoice = credit_note.and_then(|c| str_at(c, "/reference_invoice_id"));
    let (source, id, this_refund, invoice_id) = match transaction.and_then(|t| str_at(t, "/id")) {
        Some(id) => {
            let t = transaction?;
            let invoice_id = str_at(t, "/linked_invoices/0/invoice_id")
                .or_else(|| cn_invoice.clone())
                .or_else(|| str_at(t, "/linked_credit_notes/0/cn_reference_invoice_id"));
            (t, id, int_at(t, "/amount"), invoice_id)
        }
        None => {
            let c = credit_note?;
            let id = str_at(c, "/id")?;
            (c, id, int_at(c, "/amount_refunded"), cn_invoice.clone())
        }
    };
    // Only trust the invoice in the payload if it is the refunded one (or we can't tell).
    let invoice =
        invoice.filter(|inv| invoice_id.is_none() || str_at(inv, "/id").is_some_and(|i| Some(i) == invoice_id));
    let invoice_id = invoice_id.or_else(|| invoice.and_then(|i| str_at(i, "/id")));

    let original =
        invoice.and_then(|i| int_at(i, "/amount_paid").filter(|&p| p > 0).or_else(|| int_at(i, "/total"))).unwrap_or(0);
    let credit_notes_refunded: i64 = invoice
        .and_then(|i| i.get("issued_credit_notes"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|cn| str_at(cn, "/cn_status").as_deref() == Some("refunded"))
        .filter_map(|cn| int_at(cn, "/cn_total"))
        .sum();
    let refunded = this_refund.unwrap_or(0).max(credit_notes_refunded);

    let currency = str_at(source, "/currency_code")
        .or_else(|| invoice.and_then(|i| str_at(i, "/currency_code")))
        .unwrap_or_default()
        .to_ascii_lowercase();

    Some(RefundData {
        id,
        customer_id: str_at(source, "/customer_id"),
        payment_intent_id: None,
        invoice_id,
        amount_minor: original,
        amount_refunded_minor: refunded,
        currency,
        fully_refunded: original > 0 && refunded >= original,
        metadata: BTreeMap::new(),
    })
}

// ---- small JSON helpers -------------------------------------------------------------------

/// A string, number or bool as a string.
fn scalar_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Chargebee `meta_data`: a JSON object, or a string holding one. Scalar values become
/// strings; nested objects/arrays are skipped. Also reads hosted pages' `pass_thru_content`.
pub(crate) fn meta_data(v: Option<&Value>) -> BTreeMap<String, String> {
    let parsed;
    let obj = match v {
        Some(Value::String(s)) => {
            parsed = serde_json::from_str::<Value>(s).ok();
            parsed.as_ref()
        }
        other => other,
    };
    obj.and_then(Value::as_object)
        .map(|m| m.iter().filter_map(|(k, v)| scalar_string(v).map(|s| (k.clone(), s))).collect())
        .unwrap_or_default()
}
