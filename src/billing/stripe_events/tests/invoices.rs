//! Invoice objects of every API version.

use super::*;

/// Current API shape: subscription via `parent.subscription_details`, price via `pricing`.
fn invoice_new_api() -> Value {
    let mut inv = load(INVOICE);
    inv["id"] = json!("in_1Test");
    inv["number"] = json!("ABCD-0001");
    inv["status"] = json!("paid");
    inv["amount_due"] = json!(2000);
    inv["amount_paid"] = json!(2000);
    inv["currency"] = json!("USD");
    inv["billing_reason"] = json!("subscription_cycle");
    inv["hosted_invoice_url"] = json!("https://invoice.stripe.com/i/acct_1/test_inv");
    inv["invoice_pdf"] = json!("https://pay.stripe.com/invoice/acct_1/test_inv/pdf");
    inv["status_transitions"]["finalized_at"] = json!(P_START + 60);
    inv["parent"] = json!({
        "quote_details": null,
        "subscription_details": { "metadata": { "workspace_id": "ws_7" }, "subscription": "sub_1Test" },
        "type": "subscription_details"
    });
    let line = &mut inv["lines"]["data"][0];
    line["parent"]["type"] = json!("subscription_item_details");
    line["parent"]["invoice_item_details"] = Value::Null;
    line["parent"]["subscription_item_details"]["subscription"] = json!("sub_1Test");
    line["parent"]["subscription_item_details"]["subscription_item"] = json!("si_QXhVnC2h0Jczwc");
    line["parent"]["subscription_item_details"]["proration"] = json!(false);
    line["pricing"]["price_details"] = json!({ "price": "price_pro", "product": "prod_pro" });
    line["period"] = json!({ "start": P_START, "end": P_END });
    inv
}

/// Old API shape: top-level `subscription`, `line.subscription`, `line.price` object.
fn invoice_old_api() -> Value {
    let mut inv = invoice_new_api();
    let obj = inv.as_object_mut().unwrap();
    obj.remove("parent");
    obj.insert("subscription".into(), json!("sub_old"));
    obj.insert("subscription_details".into(), json!({ "metadata": { "workspace_id": "ws_old" } }));
    let line = inv["lines"]["data"][0].as_object_mut().unwrap();
    line.remove("parent");
    line.remove("pricing");
    line.insert("type".into(), json!("subscription"));
    line.insert("subscription".into(), json!("sub_old"));
    line.insert("proration".into(), json!(false));
    let price = load(SUBSCRIPTION)["items"]["data"][0]["price"].clone();
    line.insert("price".into(), price);
    inv
}

#[test]
fn invoice_new_api_shape() {
    let ev = parse("invoice.paid", invoice_new_api());
    assert_eq!(ev.kind, EventKind::InvoicePaid);
    assert_eq!(ev.customer_id.as_deref(), Some("cus_QXg1o8vcGmoR32"));
    assert_eq!(ev.workspace_ref.as_deref(), Some("ws_7"));
    let inv = ev.invoice.unwrap();
    assert_eq!(inv.id, "in_1Test");
    assert_eq!(inv.number.as_deref(), Some("ABCD-0001"));
    assert_eq!(inv.subscription_id.as_deref(), Some("sub_1Test"));
    assert_eq!(inv.status, "paid");
    assert_eq!((inv.amount_due_minor, inv.amount_paid_minor), (2000, 2000));
    assert_eq!(inv.currency, "usd");
    assert!(inv.hosted_url.unwrap().starts_with("https://invoice.stripe.com/"));
    assert!(inv.pdf_url.unwrap().ends_with("/pdf"));
    assert_eq!(inv.billing_reason.as_deref(), Some("subscription_cycle"));
    assert_eq!(inv.line_period_start, Some(at(P_START)));
    assert_eq!(inv.line_period_end, Some(at(P_END)));
    assert_eq!(inv.period_start, Some(at(1_234_567_890)));
    assert_eq!(inv.price_ids, vec!["price_pro"]);
    assert_eq!(inv.issued_at, Some(at(P_START + 60)));
}

#[test]
fn invoice_old_api_shape() {
    let ev = parse("invoice.payment_succeeded", invoice_old_api());
    assert_eq!(ev.kind, EventKind::InvoicePaid);
    assert_eq!(ev.workspace_ref.as_deref(), Some("ws_old"));
    let inv = ev.invoice.unwrap();
    assert_eq!(inv.subscription_id.as_deref(), Some("sub_old"));
    assert_eq!(inv.price_ids, vec!["price_1PgafmB7WZ01zgkW6dKueIc5"]);
    assert_eq!(inv.line_period_start, Some(at(P_START)));
    assert_eq!(inv.line_period_end, Some(at(P_END)));
}

#[test]
fn invoice_other_types_and_issued_at_fallback() {
    let mut inv = invoice_new_api();
    inv["status"] = json!("open");
    inv["status_transitions"]["finalized_at"] = Value::Null;
    let ev = parse("invoice.payment_failed", inv.clone());
    assert_eq!(ev.kind, EventKind::InvoicePaymentFailed);
    let data = ev.invoice.unwrap();
    assert_eq!(data.status, "open");
    assert_eq!(data.issued_at, Some(at(1_234_567_890)));
    assert_eq!(parse("invoice.finalized", inv).kind, EventKind::InvoiceGenerated);
}

#[test]
fn invoice_period_line_skips_prorations_and_manual_items() {
    let mut inv = invoice_new_api();
    let regular = inv["lines"]["data"][0].clone();
    let mut proration = regular.clone();
    proration["id"] = json!("il_proration");
    proration["parent"]["subscription_item_details"]["proration"] = json!(true);
    proration["period"] = json!({ "start": P_START + 500, "end": P_END });
    proration["pricing"]["price_details"]["price"] = json!("price_old");
    let mut manual = load(INVOICE)["lines"]["data"][0].clone();
    manual["parent"] = json!({
        "type": "invoice_item_details",
        "invoice_item_details": { "invoice_item": "ii_1", "proration": false, "subscription": null }
    });
    manual["period"] = json!({ "start": 1, "end": 1 });
    inv["lines"]["data"] = json!([manual, proration, regular]);
    let data = parse("invoice.paid", inv).invoice.unwrap();
    assert_eq!(data.line_period_start, Some(at(P_START)));
    assert_eq!(data.price_ids, vec!["price_old", "price_pro"]);

    // Only the manual line: no subscription period, no prices, no subscription.
    let mut inv = load(INVOICE);
    inv["lines"]["data"] = json!([manual]);
    inv["parent"] = Value::Null;
    let data = parse("invoice.paid", inv).invoice.unwrap();
    assert_eq!(data.subscription_id, None);
    assert_eq!(data.line_period_start, None);
    assert!(data.price_ids.is_empty());
    assert_eq!(data.billing_reason.as_deref(), Some("manual"));
    assert_eq!(data.status, "draft");
}
