//! `/webhooks/chargebee`: Basic auth, and both catalog shapes (PC 1.0 `plan_id`, PC 2.0
//! `subscription_items`) driving the same state machine. Payloads are the captured
//! Chargebee events in tests/fixtures/chargebee with our ids filled in.

use base64::Engine;
use serde_json::{Value, json};

use crate::common::*;

pub(crate) const ACTIVATED: &str = include_str!("../fixtures/chargebee/subscription_activated.json");
pub(crate) const CANCELLED: &str = include_str!("../fixtures/chargebee/subscription_cancelled.json");

pub(crate) async fn chargebee_app(credentials: bool, development: bool) -> TestApp {
    chargebee_app_at(credentials, development, "http://127.0.0.1:9/api/v2").await
}

/// A Chargebee installation whose API is `api_base` (a fake, or nothing listening).
pub(crate) async fn chargebee_app_at(credentials: bool, development: bool, api_base: &str) -> TestApp {
    let api_base = api_base.to_owned();
    spawn_app_with(|vars| {
        vars.insert("BILLING_PROVIDER".into(), "chargebee".into());
        vars.insert("CHARGEBEE_SITE".into(), "tollgate-test".into());
        vars.insert("CHARGEBEE_API_KEY".into(), "test_key".into());
        // Nothing listens at the default one: most of these tests never need the API.
        vars.insert("CHARGEBEE_API_BASE".into(), api_base);
        if credentials {
            vars.insert("CHARGEBEE_WEBHOOK_USERNAME".into(), "hook".into());
            vars.insert("CHARGEBEE_WEBHOOK_PASSWORD".into(), "s3cret pass".into());
        }
        if development {
            vars.insert("TOLLGATE_ENV".into(), "development".into());
        }
    })
    .await
}

pub(crate) fn basic(user: &str, password: &str) -> String {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}")))
}

/// A subscription event for workspace `ws`; `items` switches to the PC 2.0 shape.
pub(crate) fn subscription_event(
    template: &str,
    id: &str,
    ws: i64,
    price: &str,
    items: bool,
    occurred_at: i64,
) -> String {
    let mut event: Value = serde_json::from_str(template).unwrap();
    let now = chrono::Utc::now().timestamp();
    event["id"] = json!(id);
    event["occurred_at"] = json!(occurred_at);
    let sub = &mut event["content"]["subscription"];
    sub["id"] = json!(format!("cb_sub_{ws}"));
    sub["customer_id"] = json!(format!("cb_cus_{ws}"));
    sub["current_term_start"] = json!(now - 86_400);
    sub["current_term_end"] = json!(now + 29 * 86_400);
    sub["meta_data"] = json!({ "workspace_id": ws.to_string() });
    if items {
        sub.as_object_mut().unwrap().remove("plan_id");
        sub["subscription_items"] = json!([{ "item_price_id": price, "item_type": "plan", "quantity": 1, "unit_price": 2000, "amount": 2000, "object": "subscription_item" }]);
    } else {
        sub["plan_id"] = json!(price);
    }
    event["content"]["customer"]["id"] = json!(format!("cb_cus_{ws}"));
    event.to_string()
}

impl TestApp {
    /// The Chargebee plan checkout Tollgate recorded for `ws`, with the subscription id it
    /// pre-assigned (`cb_sub_{ws}`, as [`subscription_event`] names it).
    pub(crate) fn record_chargebee_checkout(&self, ws: i64, code: &str) {
        let sub = format!("cb_sub_{ws}");
        let bought = Bought { purchase: "plan", code, subscription_id: Some(&sub) };
        self.record_checkout("chargebee", ws, &format!("hp_{ws}"), bought);
    }

    pub(crate) async fn post_chargebee(&self, body: &str, authorization: Option<&str>) -> reqwest::Response {
        let mut request = self
            .client
            .post(self.url("/webhooks/chargebee"))
            .header("Content-Type", "application/json")
            .body(body.to_owned());
        if let Some(value) = authorization {
            request = request.header("Authorization", value);
        }
        request.send().await.unwrap()
    }
}

#[actix_web::test]
async fn chargebee_webhooks_need_the_configured_basic_auth() {
    let app = chargebee_app(true, false).await;
    let ws = app.signup("cb@example.com").await;
    app.record_chargebee_checkout(ws, "pro");
    let body = subscription_event(ACTIVATED, "ev_auth", ws, "pro-USD-Monthly", false, chrono::Utc::now().timestamp());
    for auth in
        [None, Some(basic("hook", "wrong")), Some(basic("other", "s3cret pass")), Some("Bearer s3cret pass".to_owned())]
    {
        let res = app.post_chargebee(&body, auth.as_deref()).await;
        assert_eq!(res.status().as_u16(), 401, "{auth:?}");
    }
    assert!(app.events().is_empty(), "nothing written for refused requests");
    assert_eq!(app.plan_code(ws), "free");

    let res = app.post_chargebee(&body, Some(&basic("hook", "s3cret pass"))).await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(app.plan_code(ws), "pro");
    assert_eq!(app.events()[0].provider.as_str(), "chargebee");
}

#[actix_web::test]
async fn without_credentials_chargebee_webhooks_are_refused_unless_in_development() {
    let app = chargebee_app(false, false).await;
    let ws = app.signup("cb@example.com").await;
    app.record_chargebee_checkout(ws, "pro");
    let body = subscription_event(ACTIVATED, "ev_open", ws, "pro-USD-Monthly", false, chrono::Utc::now().timestamp());
    assert_eq!(app.post_chargebee(&body, None).await.status().as_u16(), 401);
    assert_eq!(app.post_chargebee(&body, Some(&basic("any", "thing"))).await.status().as_u16(), 401);
    assert!(app.events().is_empty());

    let dev = chargebee_app(false, true).await;
    let ws = dev.signup("dev@example.com").await;
    dev.record_chargebee_checkout(ws, "pro");
    let body = subscription_event(ACTIVATED, "ev_dev", ws, "pro-USD-Monthly", false, chrono::Utc::now().timestamp());
    assert_eq!(dev.post_chargebee(&body, None).await.status().as_u16(), 200);
    assert_eq!(dev.plan_code(ws), "pro");
}

#[actix_web::test]
async fn both_chargebee_catalog_shapes_set_the_plan_and_cancellation_ends_it() {
    let app = chargebee_app(true, false).await;
    let auth = basic("hook", "s3cret pass");
    let t = chrono::Utc::now().timestamp() - 100;

    let pc1 = app.signup("pc1@example.com").await;
    app.record_chargebee_checkout(pc1, "pro");
    let res = app
        .post_chargebee(&subscription_event(ACTIVATED, "ev_pc1", pc1, "pro-USD-Monthly", false, t), Some(&auth))
        .await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(app.plan_code(pc1), "pro");

    let pc2 = app.new_browser().signup("pc2@example.com").await;
    app.record_chargebee_checkout(pc2, "starter");
    let res = app
        .post_chargebee(&subscription_event(ACTIVATED, "ev_pc2", pc2, "starter-USD-Yearly", true, t), Some(&auth))
        .await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(app.plan_code(pc2), "starter");
    let w = app.workspace(pc2);
    assert_eq!(
        (w.billing_interval.map(|i| i.as_str()), w.subscription_status.map(|s| s.as_str())),
        (Some("year"), Some("active"))
    );
    assert_eq!(w.provider_subscription_id, Some(format!("cb_sub_{pc2}")));

    // Cancellation first, then a late activation: stays Free.
    let pc3 = app.new_browser().signup("pc3@example.com").await;
    let mut cancelled: Value =
        serde_json::from_str(&subscription_event(CANCELLED, "ev_cancel", pc3, "pro-USD-Monthly", true, t + 10))
            .unwrap();
    cancelled["content"]["subscription"]["status"] = json!("cancelled");
    assert_eq!(app.post_chargebee(&cancelled.to_string(), Some(&auth)).await.status().as_u16(), 200);
    assert_eq!(
        app.post_chargebee(&subscription_event(ACTIVATED, "ev_late", pc3, "pro-USD-Monthly", true, t), Some(&auth))
            .await
            .status()
            .as_u16(),
        200
    );
    assert_eq!(app.plan_code(pc3), "free");

    // A Stripe delivery to a Chargebee installation is not accepted.
    assert_eq!(app.post_stripe("{}").await.status().as_u16(), 404);
}
