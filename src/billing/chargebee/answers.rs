//! Chargebee's API answers → our normalized types. Subscriptions and invoices are read by the
//! same code as webhooks (`chargebee_events`); this adds what only the API returns: hosted
//! pages, portal sessions and renewal estimates. Only the fields we need are read.

use serde_json::Value;

use crate::billing::chargebee_events::{meta_data, parse_invoice, parse_subscription};
use crate::billing::json::{int_at, str_at, ts};
use crate::billing::{
    BillingError, CheckoutData, CheckoutMode, ConfirmedCheckout, HostedPage, InvoiceData, InvoicePreview,
    SubscriptionData, metadata,
};

/// The object under `key` in an answer (Chargebee wraps every resource in its name).
pub(super) fn resource<'a>(answer: &'a Value, key: &str) -> Result<&'a Value, BillingError> {
    answer.get(key).filter(|v| v.is_object()).ok_or_else(|| missing(key))
}

pub(super) fn subscription(answer: &Value) -> Result<SubscriptionData, BillingError> {
    parse_subscription(resource(answer, "subscription")?).ok_or_else(|| missing("subscription.id"))
}

/// `{"customer": {id, …}}`: the id of a created customer.
pub(super) fn customer_id(answer: &Value) -> Result<String, BillingError> {
    str_at(resource(answer, "customer")?, "/id").ok_or_else(|| missing("customer.id"))
}

/// `{"hosted_page": {id, url}}` (checkouts) or `{"portal_session": {id, access_url}}`.
pub(super) fn hosted_page(answer: &Value, key: &str, url_field: &str) -> Result<HostedPage, BillingError> {
    let page = resource(answer, key)?;
    let field = |name: &str| str_at(page, &format!("/{name}")).ok_or_else(|| missing(&format!("{key}.{name}")));
    Ok(HostedPage { id: field("id")?, url: field(url_field)? })
}

/// A hosted page as Chargebee reports it, in the shape a Stripe checkout session would have.
pub(super) fn confirmed_checkout(answer: &Value) -> Result<ConfirmedCheckout, BillingError> {
    let page = resource(answer, "hosted_page")?;
    let id = str_at(page, "/id").ok_or_else(|| missing("hosted_page.id"))?;
    let complete = matches!(str_at(page, "/state").as_deref(), Some("succeeded" | "acknowledged"));
    let mode = match str_at(page, "/type").as_deref() {
        Some("checkout_new" | "checkout_existing") => Some(CheckoutMode::Subscription),
        Some("checkout_one_time") => Some(CheckoutMode::Payment),
        _ => None,
    };
    let subscription_json = page.pointer("/content/subscription").filter(|v| v.is_object());
    let subscription = subscription_json.and_then(parse_subscription);
    // `pass_thru_content` is the JSON string we sent with the checkout.
    let metadata = meta_data(page.get("pass_thru_content"));
    let invoice = page.pointer("/content/invoice");

    let checkout = CheckoutData {
        id,
        mode,
        client_reference_id: metadata.get(metadata::WORKSPACE_ID).cloned(),
        customer_id: str_at(page, "/content/customer/id")
            .or_else(|| subscription.as_ref().and_then(|s| s.customer_id.clone())),
        subscription_id: subscription.as_ref().map(|s| s.id.clone()),
        payment_intent_id: None,
        // A one-time checkout's invoice: what a later `payment_refunded` names.
        invoice_id: invoice.and_then(|i| str_at(i, "/id")),
        payment_status: Some(if complete { "paid" } else { "unpaid" }.to_owned()),
        status: Some(if complete { "complete" } else { "open" }.to_owned()),
        amount_total_minor: invoice.and_then(|i| int_at(i, "/total")),
        currency: invoice.and_then(|i| str_at(i, "/currency_code")).map(|c| c.to_ascii_lowercase()),
        metadata,
    };
    Ok(ConfirmedCheckout { checkout, subscription })
}

/// `{"list": [{"invoice": {...}}, ...], "next_offset": ...}`.
pub(super) fn invoices(answer: &Value) -> Result<Vec<InvoiceData>, BillingError> {
    let list = answer.get("list").and_then(Value::as_array).ok_or_else(|| missing("list"))?;
    Ok(list.iter().filter_map(|entry| entry.get("invoice")).filter_map(parse_invoice).collect())
}

/// `{"list": [{"subscription": {...}, "customer": {...}}, …]}`.
pub(super) fn subscriptions(answer: &Value) -> Result<Vec<SubscriptionData>, BillingError> {
    let list = answer.get("list").and_then(Value::as_array).ok_or_else(|| missing("list"))?;
    Ok(list.iter().filter_map(|entry| entry.get("subscription")).filter_map(parse_subscription).collect())
}

/// `{"estimate": {"invoice_estimate": {...}, "subscription_estimate": {next_billing_at}}}`.
pub(super) fn renewal_estimate(answer: &Value) -> Result<InvoicePreview, BillingError> {
    let estimate = resource(answer, "estimate")?;
    let invoice = estimate.get("invoice_estimate").filter(|v| v.is_object()).ok_or_else(|| {
        // Chargebee leaves it out when nothing will be billed (e.g. a cancellation is scheduled).
        missing("estimate.invoice_estimate")
    })?;
    let amount = int_at(invoice, "/amount_due")
        .or_else(|| int_at(invoice, "/total"))
        .ok_or_else(|| missing("estimate.invoice_estimate.total"))?;
    Ok(InvoicePreview {
        amount_due_minor: amount,
        currency: str_at(invoice, "/currency_code").unwrap_or_default().to_ascii_lowercase(),
        next_payment_at: estimate.pointer("/subscription_estimate/next_billing_at").and_then(ts),
    })
}

fn missing(what: &str) -> BillingError {
    BillingError::Protocol(format!("Chargebee's answer has no `{what}`"))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::billing::{Purchase, SubscriptionStatus};

    #[test]
    fn pending_hosted_page_is_open_and_unpaid() {
        let answer = json!({"hosted_page": {"id": "hp_1", "type": "checkout_one_time", "state": "created",
            "url": "https://acme.chargebee.com/pages/v3/hp_1/", "content": {}}});
        let confirmed = confirmed_checkout(&answer).unwrap();
        assert_eq!(confirmed.checkout.status.as_deref(), Some("open"));
        assert_eq!(confirmed.checkout.payment_status.as_deref(), Some("unpaid"));
        assert_eq!(confirmed.checkout.mode, Some(CheckoutMode::Payment));
        assert!(!confirmed.is_paid());
        assert_eq!((confirmed.workspace_id(), confirmed.subscription), (None, None));
    }

    #[test]
    fn acknowledged_page_is_complete_and_knows_its_workspace() {
        let answer = json!({"hosted_page": {"id": "hp_2", "type": "checkout_new", "state": "acknowledged",
            "pass_thru_content": "{\"workspace_id\":\"12\",\"tollgate_kind\":\"plan\",\"tollgate_code\":\"pro\"}",
            "content": {"subscription": {"id": "sub_1", "customer_id": "cus_1", "status": "in_trial",
                "subscription_items": [{"item_price_id": "pro-USD-monthly", "quantity": 1}]}}}});
        let confirmed = confirmed_checkout(&answer).unwrap();
        assert!(confirmed.is_paid());
        assert_eq!(confirmed.workspace_id(), Some(12));
        assert_eq!(confirmed.purchase(), Some(Purchase::Plan));
        // No `content.customer`: the subscription says whose it is.
        assert_eq!(confirmed.checkout.customer_id.as_deref(), Some("cus_1"));
        assert_eq!(confirmed.subscription.unwrap().status, Some(SubscriptionStatus::Trialing));
    }

    #[test]
    fn renewal_estimate_prefers_amount_due_and_needs_an_invoice_estimate() {
        let answer = json!({"estimate": {"created_at": 1, "invoice_estimate": {"total": 2900, "amount_due": 2400,
            "currency_code": "EUR"}, "subscription_estimate": {"id": "s", "next_billing_at": 1_700_000_000}}});
        let preview = renewal_estimate(&answer).unwrap();
        assert_eq!((preview.amount_due_minor, preview.currency.as_str()), (2400, "eur"));
        assert_eq!(preview.next_payment_at.map(|t| t.timestamp()), Some(1_700_000_000));
        let none = json!({"estimate": {"subscription_estimate": {"id": "s"}}});
        assert!(matches!(renewal_estimate(&none), Err(BillingError::Protocol(_))));
    }

    #[test]
    fn answers_without_their_resource_are_protocol_errors() {
        assert!(matches!(subscription(&json!({"customer": {}})), Err(BillingError::Protocol(_))));
        assert!(matches!(subscription(&json!({"subscription": {}})), Err(BillingError::Protocol(_))));
        assert!(matches!(
            hosted_page(&json!({"hosted_page": {"id": "x"}}), "hosted_page", "url"),
            Err(BillingError::Protocol(_))
        ));
        assert!(matches!(invoices(&json!({})), Err(BillingError::Protocol(_))));
    }
}
