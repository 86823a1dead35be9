//! Reading Stripe's answers: errors → [`BillingError`] (logged once, here), JSON objects →
//! our normalized types through the tolerant readers in `stripe_events`.

use ::stripe::StripeError;
use chrono::DateTime;
use serde_json::Value;

use crate::billing::stripe_events::{checkout_from_json, invoice_from_json, subscription_from_json};
use crate::billing::{
    BillingError, CheckoutData, HostedPage, InvoiceData, InvoicePreview, SubscriptionData, TestClock,
};

/// A successful answer to one request, as JSON.
pub struct Answer {
    what: String,
    json: Value,
}

/// Turns what async-stripe returned into an [`Answer`] or our error.
pub fn read(what: &str, sent: Result<miniserde::json::Value, StripeError>) -> Result<Answer, BillingError> {
    let value = sent.map_err(|err| failure(what, err))?;
    // miniserde's value is only a carrier; serde_json is what the readers speak.
    let json = serde_json::from_str(&miniserde::json::to_string(&value))
        .map_err(|e| protocol(what, &format!("answer is not JSON: {e}")))?;
    Ok(Answer { what: what.to_owned(), json })
}

fn failure(what: &str, err: StripeError) -> BillingError {
    let mapped = match err {
        StripeError::Stripe(api, status) => {
            let message = api.message.clone().unwrap_or_else(|| format!("{:?}", api.type_));
            match status {
                404 => BillingError::NotFound(message),
                400..=499 => BillingError::Rejected { status, message },
                _ => BillingError::Unavailable(format!("Stripe answered {status}: {message}")),
            }
        }
        // The client says this when an error status came with a body that is not a Stripe
        // error: a proxy or load balancer answered, not Stripe.
        StripeError::JSONDeserialize(msg) if msg.contains("Stripe error") => {
            BillingError::Unavailable("an error answer that did not come from Stripe".to_owned())
        }
        StripeError::JSONDeserialize(msg) => BillingError::Protocol(msg),
        StripeError::ClientError(msg) => BillingError::Unavailable(msg),
        StripeError::Timeout => BillingError::Unavailable("timed out".to_owned()),
        StripeError::ConfigError(msg) => BillingError::Protocol(format!("client configuration: {msg}")),
    };
    // Stripe's own words, once; the request (and so the key) is never logged.
    log::warn!("stripe: {what} failed: {mapped}");
    mapped
}

fn protocol(what: &str, reason: &str) -> BillingError {
    log::warn!("stripe: {what}: unexpected answer: {reason}");
    BillingError::Protocol(format!("{what}: {reason}"))
}

impl Answer {
    fn fail(&self, reason: impl AsRef<str>) -> BillingError {
        protocol(&self.what, reason.as_ref())
    }

    fn map<T>(&self, read: fn(&Value) -> Result<T, String>, obj: &Value) -> Result<T, BillingError> {
        read(obj).map_err(|reason| self.fail(reason))
    }

    fn str_field(&self, name: &str) -> Option<&str> {
        self.json.get(name).and_then(Value::as_str).filter(|s| !s.is_empty())
    }

    /// A checkout or portal session: where to send the browser.
    pub fn hosted_page(&self) -> Result<HostedPage, BillingError> {
        match (self.str_field("id"), self.str_field("url")) {
            (Some(id), Some(url)) => Ok(HostedPage { id: id.to_owned(), url: url.to_owned() }),
            _ => Err(self.fail("session without id or url")),
        }
    }

    pub fn checkout(&self) -> Result<CheckoutData, BillingError> {
        self.map(checkout_from_json, &self.json)
    }

    /// The session's subscription when the answer expanded it into an object.
    pub fn expanded_subscription(&self) -> Result<Option<SubscriptionData>, BillingError> {
        match self.json.get("subscription") {
            Some(obj @ Value::Object(_)) => self.map(subscription_from_json, obj).map(Some),
            _ => Ok(None),
        }
    }

    pub fn subscription(&self) -> Result<SubscriptionData, BillingError> {
        self.map(subscription_from_json, &self.json)
    }

    /// The item carrying the plan's price. Tollgate's subscriptions have exactly one item
    /// (add-ons are subscriptions of their own), so it is the first.
    pub fn plan_item_id(&self) -> Result<String, BillingError> {
        self.json
            .pointer("/items/data/0/id")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| self.fail("subscription without items"))
    }

    /// The price of the plan item (see [`Answer::plan_item_id`]).
    pub fn plan_price_id(&self) -> Result<String, BillingError> {
        let item = self.json.pointer("/items/data/0").ok_or_else(|| self.fail("subscription without items"))?;
        ["/price/id", "/price", "/plan/id"]
            .iter()
            .find_map(|ptr| item.pointer(ptr).and_then(Value::as_str).filter(|s| !s.is_empty()))
            .map(str::to_owned)
            .ok_or_else(|| self.fail("subscription item without a price"))
    }

    /// The subscription schedule managing this subscription, if any.
    pub fn schedule_id(&self) -> Option<String> {
        match self.json.get("schedule") {
            Some(Value::String(id)) if !id.is_empty() => Some(id.clone()),
            Some(obj @ Value::Object(_)) => obj.get("id").and_then(Value::as_str).map(str::to_owned),
            _ => None,
        }
    }

    /// A subscription schedule's id and the bounds of its current phase (else its first).
    pub fn current_phase(&self) -> Result<(String, i64, i64), BillingError> {
        let id = self.str_field("id").ok_or_else(|| self.fail("schedule without id"))?;
        let bounds = |phase: &Value| {
            let at = |name: &str| phase.get(name).and_then(Value::as_i64);
            at("start_date").zip(at("end_date"))
        };
        let phase = self
            .json
            .get("current_phase")
            .and_then(bounds)
            .or_else(|| self.json.pointer("/phases/0").and_then(bounds))
            .ok_or_else(|| self.fail("schedule without a current phase"))?;
        Ok((id.to_owned(), phase.0, phase.1))
    }

    /// Stripe parks an update it could not charge for in `pending_update`.
    pub fn has_pending_update(&self) -> bool {
        self.json.get("pending_update").is_some_and(|v| !v.is_null())
    }

    /// The object's `id` (a customer just created, say).
    pub fn id(&self) -> Result<String, BillingError> {
        self.str_field("id").map(str::to_owned).ok_or_else(|| self.fail("object without id"))
    }

    /// A customer's `test_clock`: its id, or the id of the expanded object.
    pub fn test_clock_id(&self) -> Option<String> {
        match self.json.get("test_clock") {
            Some(Value::String(id)) if !id.is_empty() => Some(id.clone()),
            Some(obj @ Value::Object(_)) => obj.get("id").and_then(Value::as_str).map(str::to_owned),
            _ => None,
        }
    }

    /// A `test_helpers.test_clock`; while `advancing`, where it is going.
    pub fn test_clock(&self) -> Result<TestClock, BillingError> {
        let at = |v: Option<&Value>| v.and_then(Value::as_i64).and_then(|t| DateTime::from_timestamp(t, 0));
        let id = self.id()?;
        let frozen_time =
            at(self.json.get("frozen_time")).ok_or_else(|| self.fail("test clock without frozen_time"))?;
        let advancing_to = match self.str_field("status") {
            Some("ready") => None,
            Some("advancing") => {
                Some(at(self.json.pointer("/status_details/advancing/target_frozen_time")).unwrap_or(frozen_time))
            }
            Some("internal_failure") => {
                log::warn!("stripe: test clock {id} failed to advance");
                return Err(BillingError::Unavailable(format!("test clock {id} failed to advance")));
            }
            other => return Err(self.fail(format!("test clock with status {other:?}"))),
        };
        Ok(TestClock { id, frozen_time, advancing_to })
    }

    pub fn subscriptions(&self) -> Result<Vec<SubscriptionData>, BillingError> {
        let data = self.json.get("data").and_then(Value::as_array).ok_or_else(|| self.fail("list without data"))?;
        data.iter().map(|obj| self.map(subscription_from_json, obj)).collect()
    }

    pub fn invoices(&self) -> Result<Vec<InvoiceData>, BillingError> {
        let data = self.json.get("data").and_then(Value::as_array).ok_or_else(|| self.fail("list without data"))?;
        data.iter().map(|obj| self.map(invoice_from_json, obj)).collect()
    }

    pub fn preview(&self) -> Result<InvoicePreview, BillingError> {
        let amount = self.json.get("amount_due").and_then(Value::as_i64).ok_or_else(|| self.fail("no amount_due"))?;
        let at = |name: &str| self.json.get(name).and_then(Value::as_i64).and_then(|t| DateTime::from_timestamp(t, 0));
        Ok(InvoicePreview {
            amount_due_minor: amount,
            currency: self.str_field("currency").unwrap_or_default().to_ascii_lowercase(),
            // A preview is charged at its next attempt; older answers only give the period end.
            next_payment_at: at("next_payment_attempt").or_else(|| at("period_end")),
        })
    }
}
