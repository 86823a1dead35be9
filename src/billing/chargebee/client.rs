//! The HTTP side of Chargebee's REST API v2: Basic auth with the API key, form-encoded
//! requests, JSON answers, and Chargebee's error bodies turned into [`BillingError`]s.
//! Knows nothing about what the calls mean; `mod.rs` does.

use std::time::Duration;

use reqwest::{Method, RequestBuilder, Url};
use serde_json::Value;

use crate::billing::BillingError;

/// Long enough for a proration charge through the payment gateway, short enough that a hung
/// provider does not hold a request handler for minutes.
const TIMEOUT: Duration = Duration::from_secs(20);

/// Form parameters in the order they are sent (Chargebee's indexed names repeat a prefix,
/// so a map would hide mistakes rather than prevent them).
pub(super) type Form = Vec<(String, String)>;

/// A failed call: what it means for us, plus Chargebee's `api_error_code` when it said one
/// (a few callers must tell a declined payment from other refusals).
#[derive(Debug)]
pub(super) struct CallError {
    pub error: BillingError,
    pub api_error_code: Option<String>,
}

impl From<CallError> for BillingError {
    fn from(e: CallError) -> BillingError {
        e.error
    }
}

impl From<BillingError> for CallError {
    fn from(error: BillingError) -> CallError {
        CallError { error, api_error_code: None }
    }
}

pub(super) struct Client {
    http: reqwest::Client,
    api_base: Url,
    api_key: String,
}

impl Client {
    pub fn new(api_base: &str, api_key: &str) -> Result<Client, String> {
        let api_base = Url::parse(api_base)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .ok_or_else(|| format!("the Chargebee API base `{api_base}` is not an http(s) URL"))?;
        // With ring as the only rustls provider it must be installed before any client is
        // built, or building panics; an error only means it already was.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .build()
            .map_err(|e| format!("could not build the Chargebee HTTP client: {e}"))?;
        Ok(Client { http, api_base, api_key: api_key.to_owned() })
    }

    /// `GET {api_base}/{segments…}?{query}`.
    pub async fn get(&self, segments: &[&str], query: &[(&str, &str)]) -> Result<Value, CallError> {
        let mut url = endpoint(&self.api_base, segments)?;
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        let request = self.authorized(Method::GET, url);
        self.send(request, "GET", segments).await
    }

    /// `POST {api_base}/{segments…}` with a form body.
    pub async fn post(&self, segments: &[&str], form: &Form) -> Result<Value, CallError> {
        let request = self.authorized(Method::POST, endpoint(&self.api_base, segments)?).form(form);
        self.send(request, "POST", segments).await
    }

    fn authorized(&self, method: Method, url: Url) -> RequestBuilder {
        self.http.request(method, url).basic_auth(&self.api_key, Some(""))
    }

    async fn send(&self, request: RequestBuilder, method: &str, segments: &[&str]) -> Result<Value, CallError> {
        // Ids in the path are customer data, not secrets; the key only travels in a header.
        let what = format!("{method} {}", segments.join("/"));
        let response = request.send().await.map_err(|e| {
            log::warn!("Chargebee {what}: no answer: {e}");
            BillingError::Unavailable(format!("Chargebee did not answer: {e}"))
        })?;
        let status = response.status().as_u16();
        let body = response.text().await.map_err(|e| {
            log::warn!("Chargebee {what}: answer cut short: {e}");
            BillingError::Unavailable(format!("Chargebee's answer was cut short: {e}"))
        })?;
        if (200..300).contains(&status) {
            return serde_json::from_str(&body).map_err(|e| {
                log::warn!("Chargebee {what}: unreadable answer ({status}): {e}");
                CallError::from(BillingError::Protocol(format!("Chargebee answered {what} with invalid JSON: {e}")))
            });
        }
        let failure = api_failure(status, &body);
        log::warn!(
            "Chargebee {what} failed ({status}, {}): {}",
            failure.api_error_code.as_deref().unwrap_or("no error code"),
            failure.error
        );
        Err(failure)
    }
}

/// The base URL with each segment appended, percent-encoded (an id with `/` or `?` must
/// not change which endpoint is called).
pub(super) fn endpoint(base: &Url, segments: &[&str]) -> Result<Url, BillingError> {
    let mut url = base.clone();
    url.path_segments_mut()
        .map_err(|()| BillingError::Protocol(format!("the Chargebee API base `{base}` cannot take a path")))?
        .pop_if_empty()
        .extend(segments);
    Ok(url)
}

/// A non-2xx answer → our error. Chargebee's body is `{message, type, api_error_code, param,
/// http_status_code}`; proxies in front of it may send anything, so the status decides.
pub(super) fn api_failure(status: u16, body: &str) -> CallError {
    let parsed: Option<Value> = serde_json::from_str(body).ok();
    let field = |name: &str| parsed.as_ref().and_then(|v| v.get(name)).and_then(Value::as_str).map(str::to_owned);
    let api_error_code = field("api_error_code");
    let message = field("message").unwrap_or_else(|| format!("HTTP {status} without a Chargebee error body"));
    let error = match status {
        404 => BillingError::NotFound(message),
        // Rate limiting is a "not now", not a refusal of the request itself.
        429 => BillingError::Unavailable(message),
        400..=499 => BillingError::Rejected { status, message },
        _ => BillingError::Unavailable(message),
    };
    CallError { error, api_error_code }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_billing_errors() {
        let body = r#"{"message":"plan_id : cannot be blank","type":"invalid_request","api_error_code":"param_wrong_value","param":"plan_id","http_status_code":400}"#;
        let e = api_failure(400, body);
        assert_eq!(e.api_error_code.as_deref(), Some("param_wrong_value"));
        assert!(
            matches!(&e.error, BillingError::Rejected { status: 400, message } if message == "plan_id : cannot be blank")
        );
        assert!(matches!(api_failure(404, "{}").error, BillingError::NotFound(_)));
        assert!(matches!(api_failure(429, "{}").error, BillingError::Unavailable(_)));
        assert!(matches!(api_failure(503, "<html>bad gateway</html>").error, BillingError::Unavailable(_)));
        let e = api_failure(402, "not json");
        assert!(matches!(&e.error, BillingError::Rejected { status: 402, message } if message.contains("402")));
        assert_eq!(e.api_error_code, None);
    }

    #[test]
    fn path_segments_are_percent_encoded_and_the_base_may_end_in_a_slash() {
        for base in ["https://acme.chargebee.com/api/v2", "https://acme.chargebee.com/api/v2/"] {
            let url =
                endpoint(&Url::parse(base).unwrap(), &["subscriptions", "a b/c?d#e", "cancel_for_items"]).unwrap();
            assert_eq!(
                url.as_str(),
                "https://acme.chargebee.com/api/v2/subscriptions/a%20b%2Fc%3Fd%23e/cancel_for_items"
            );
        }
    }

    #[test]
    fn the_api_base_must_be_an_http_url() {
        assert!(Client::new("acme.chargebee.com", "key").is_err());
        assert!(Client::new("mailto:x@example.com", "key").is_err());
        assert!(Client::new("http://127.0.0.1:1/api/v2", "key").is_ok());
    }
}
