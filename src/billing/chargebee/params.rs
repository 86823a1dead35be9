//! The form bodies Tollgate sends to Chargebee, as plain functions of our requests so the
//! exact parameter names (indexed, Product Catalog 2.0) are tested without HTTP.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::client::Form;
use crate::billing::json::str_at;
use crate::billing::{BillingError, ChangeTiming, CheckoutRequest, Purchase, metadata};

/// The hosted-page endpoint and form for a checkout. `now` fixes the trial end.
pub(super) fn checkout(
    request: &CheckoutRequest,
    base_url: &str,
    now: DateTime<Utc>,
) -> Result<(&'static str, Form), BillingError> {
    let mut form = Form::new();
    let endpoint = match request.purchase {
        Purchase::Plan => {
            // The id Tollgate recorded with the checkout: the subscription's webhooks find it
            // by this id. (`checkout_new_for_items` takes no `subscription[meta_data]`.)
            if let Some(id) = &request.subscription_id {
                push(&mut form, "subscription[id]", id.clone());
            }
            push_item(&mut form, "subscription_items", 0, &request.price_id, Some("1"));
            push_customer(&mut form, request);
            if let Some(days) = request.trial_days {
                let trial_end = now.timestamp() + i64::from(days) * 86_400;
                push(&mut form, "subscription[trial_end]", trial_end.to_string());
            }
            "checkout_new_for_items"
        }
        Purchase::CreditPack => {
            push_item(&mut form, "item_prices", 0, &request.price_id, Some("1"));
            push_customer(&mut form, request);
            "checkout_one_time_for_items"
        }
        Purchase::Addon => {
            // Chargebee attaches add-ons to the plan subscription rather than starting their own.
            let subscription_id = request.subscription_id.as_deref().ok_or_else(|| BillingError::Rejected {
                status: 400,
                message: "an add-on is added to a plan subscription, and this workspace has none".into(),
            })?;
            push(&mut form, "subscription[id]", subscription_id.to_owned());
            push_item(&mut form, "subscription_items", 0, &request.price_id, Some("1"));
            "checkout_existing_for_items"
        }
    };
    let base_url = base_url.trim_end_matches('/');
    // Chargebee appends `?id=…&state=succeeded` to the redirect URL.
    push(&mut form, "redirect_url", format!("{base_url}/billing/success"));
    push(&mut form, "cancel_url", format!("{base_url}/billing/cancelled"));
    // Comes back on the hosted page, which is how a confirmed checkout finds its workspace.
    let pass_thru = json!({
        metadata::WORKSPACE_ID: request.workspace_id.to_string(),
        metadata::KIND: request.purchase.as_str(),
        metadata::CODE: request.code,
    });
    push(&mut form, "pass_thru_content", pass_thru.to_string());
    Ok((endpoint, form))
}

/// `subscriptions/{id}/update_for_items` for a plan change. Without `replace_items_list`
/// Chargebee swaps the plan item and keeps the add-ons. A plan price with another billing
/// period always resets the term when applied, so a change to yearly billing starts its year
/// now, and a change to monthly billing waits for the end of the paid term.
pub(super) fn change_plan(new_price_id: &str, timing: ChangeTiming) -> Form {
    let mut form = Form::new();
    push_item(&mut form, "subscription_items", 0, new_price_id, Some("1"));
    match timing {
        ChangeTiming::Immediately | ChangeTiming::ImmediatelyNewCycle => {
            push(&mut form, "prorate", "true".into());
            // Charge the difference now, so a declined card refuses the change.
            push(&mut form, "invoice_immediately", "true".into());
        }
        ChangeTiming::AtPeriodEnd => push(&mut form, "end_of_term", "true".into()),
        // The paid term runs out on the old price; `change_option` is the current form of
        // `end_of_term` (only one of the two is sent).
        ChangeTiming::AtPeriodEndNewCycle => push(&mut form, "change_option", "end_of_term".into()),
    }
    form
}

/// `update_for_items` that drops one add-on at the end of the term: the full item list minus
/// the add-on. `None` when the subscription does not carry it (already removed).
pub(super) fn remove_addon(subscription: &Value, addon_price_id: &str) -> Option<Form> {
    let items: &[Value] = subscription.get("subscription_items").and_then(Value::as_array).map_or(&[], Vec::as_slice);
    let price_of = |item: &Value| str_at(item, "/item_price_id");
    if !items.iter().any(|item| price_of(item).as_deref() == Some(addon_price_id)) {
        return None;
    }
    let mut form = Form::new();
    push(&mut form, "replace_items_list", "true".into());
    let kept = items.iter().filter_map(|item| price_of(item).map(|p| (p, item))).filter(|(p, _)| p != addon_price_id);
    for (index, (price_id, item)) in kept.enumerate() {
        // Flat-fee items have no quantity, and Chargebee refuses one for them.
        let quantity = item.get("quantity").and_then(Value::as_i64).map(|q| q.to_string());
        push_item(&mut form, "subscription_items", index, &price_id, quantity.as_deref());
    }
    push(&mut form, "end_of_term", "true".into());
    Some(form)
}

fn push(form: &mut Form, name: &str, value: String) {
    form.push((name.to_owned(), value));
}

fn push_item(form: &mut Form, list: &str, index: usize, price_id: &str, quantity: Option<&str>) {
    push(form, &format!("{list}[item_price_id][{index}]"), price_id.to_owned());
    if let Some(quantity) = quantity {
        push(form, &format!("{list}[quantity][{index}]"), quantity.to_owned());
    }
}

/// An existing customer is reused; otherwise Chargebee creates one from the e-mail.
fn push_customer(form: &mut Form, request: &CheckoutRequest) {
    match &request.customer_id {
        Some(id) => push(form, "customer[id]", id.clone()),
        None => push(form, "customer[email]", request.email.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(form: &Form) -> Vec<&str> {
        form.iter().map(|(k, _)| k.as_str()).collect()
    }

    fn value<'a>(form: &'a Form, name: &str) -> Option<&'a str> {
        form.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    fn request(purchase: Purchase) -> CheckoutRequest {
        CheckoutRequest {
            purchase,
            workspace_id: 7,
            code: "pro".into(),
            price_id: "pro-USD-monthly".into(),
            customer_id: None,
            email: "a@example.com".into(),
            trial_days: Some(14),
            subscription_id: None,
        }
    }

    #[test]
    fn plan_trial_ends_days_after_now() {
        let now = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let (endpoint, form) = checkout(&request(Purchase::Plan), "https://t.example/", now).unwrap();
        assert_eq!(endpoint, "checkout_new_for_items");
        assert_eq!(value(&form, "subscription[trial_end]"), Some("1701209600"));
        assert_eq!(value(&form, "redirect_url"), Some("https://t.example/billing/success"));
    }

    #[test]
    fn a_new_subscription_gets_the_recorded_id_and_no_meta_data() {
        let request = CheckoutRequest {
            subscription_id: Some("tg_sub_7_ab12".into()),
            customer_id: Some("tg_cus_7_cd34".into()),
            ..request(Purchase::Plan)
        };
        let (_, form) = checkout(&request, "https://t.example", Utc::now()).unwrap();
        assert_eq!(value(&form, "subscription[id]"), Some("tg_sub_7_ab12"));
        assert_eq!(value(&form, "customer[id]"), Some("tg_cus_7_cd34"));
        assert_eq!(value(&form, "customer[email]"), None);
        assert!(!names(&form).iter().any(|n| n.contains("meta_data")), "{form:?}");
    }

    #[test]
    fn credit_packs_ignore_trials() {
        let (endpoint, form) = checkout(&request(Purchase::CreditPack), "https://t.example", Utc::now()).unwrap();
        assert_eq!(endpoint, "checkout_one_time_for_items");
        assert!(!names(&form).iter().any(|n| n.starts_with("subscription")), "{form:?}");
    }

    #[test]
    fn change_plan_timings() {
        assert_eq!(
            names(&change_plan("p", ChangeTiming::Immediately)),
            [
                "subscription_items[item_price_id][0]",
                "subscription_items[quantity][0]",
                "prorate",
                "invoice_immediately"
            ]
        );
        assert_eq!(value(&change_plan("p", ChangeTiming::AtPeriodEnd), "end_of_term"), Some("true"));
        let to_yearly = change_plan("p", ChangeTiming::ImmediatelyNewCycle);
        assert_eq!(
            (value(&to_yearly, "prorate"), value(&to_yearly, "invoice_immediately")),
            (Some("true"), Some("true"))
        );
        let to_monthly = change_plan("p", ChangeTiming::AtPeriodEndNewCycle);
        assert_eq!(value(&to_monthly, "change_option"), Some("end_of_term"));
        assert_eq!(value(&to_monthly, "end_of_term"), None, "one of the two, never both");
    }

    #[test]
    fn remove_addon_keeps_the_other_items_and_reindexes() {
        let sub = json!({"id": "s", "subscription_items": [
            {"item_price_id": "extra-seats", "quantity": 2, "item_type": "addon"},
            {"item_price_id": "pro-USD-monthly", "quantity": 1, "item_type": "plan"},
            {"item_price_id": "support-USD", "item_type": "addon"},
        ]});
        let form = remove_addon(&sub, "extra-seats").unwrap();
        let expected = [
            ("replace_items_list", "true"),
            ("subscription_items[item_price_id][0]", "pro-USD-monthly"),
            ("subscription_items[quantity][0]", "1"),
            ("subscription_items[item_price_id][1]", "support-USD"),
            ("end_of_term", "true"),
        ];
        assert_eq!(form, expected.map(|(k, v)| (k.to_owned(), v.to_owned())));
        assert_eq!(remove_addon(&sub, "not-there"), None);
        assert_eq!(remove_addon(&json!({"id": "pc1", "plan_id": "pro"}), "extra-seats"), None);
    }
}
