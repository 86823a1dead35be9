//! The JSON twins of the billing page under `/api/v1/workspaces/{id}/billing/`, against the
//! sandbox provider: each endpoint's happy path through a whole journey (checkout, pay,
//! invoices, upcoming invoice, portal, change plan, cancel, resume, add-ons), and the bad
//! input each refuses, naming the field.

use serde_json::{Value, json};

use crate::api_support::*;
use crate::common::*;
use crate::sandbox::GOOD;

struct Api<'a> {
    app: &'a TestApp,
    ws: i64,
    token: String,
}

impl Api<'_> {
    async fn get(&self, what: &str) -> (u16, Value) {
        self.app.api_get(&format!("/api/v1/workspaces/{}/billing/{what}", self.ws), Auth::Session).await
    }

    async fn post(&self, what: &str, body: Value) -> (u16, Value) {
        let path = format!("/api/v1/workspaces/{}/billing/{what}", self.ws);
        let res = self.app.api_post(&path, Auth::Session, &body, Some(&self.token)).await;
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// Pays a hosted checkout the API returned and follows the return to Tollgate.
    async fn pay(&self, checkout_url: &str) {
        let path = checkout_url.strip_prefix(&self.app.address).unwrap().to_owned();
        assert!(path.starts_with("/sandbox/checkout/cs_"), "{path}");
        let res = self.app.post_form(&path, &format!("{path}/pay"), &[("card", GOOD)]).await;
        assert_eq!(res.status().as_u16(), 303);
        let back = location(&res);
        self.app.get(back.strip_prefix(&self.app.address).unwrap()).await;
    }
}

async fn api_for<'a>(app: &'a TestApp, email: &str) -> Api<'a> {
    let ws = app.signup(email).await;
    let token = app.meta_csrf(ws).await;
    Api { app, ws, token }
}

#[actix_web::test]
async fn the_billing_twins_follow_a_whole_journey() {
    let app = spawn_app().await;
    let api = api_for(&app, "journey@example.com").await;

    let (status, sub) = api.get("subscription").await;
    assert_eq!(status, 200);
    assert_eq!(
        (sub["plan"]["code"].as_str(), sub["status"].as_str(), sub["summary"]["status"].as_str()),
        (Some("free"), None, Some("Free plan"))
    );
    let (_, plans) = api.get("plans").await;
    let actions: Vec<(&str, &str)> = plans
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["code"].as_str().unwrap(), p["action"].as_str().unwrap()))
        .collect();
    assert_eq!(
        actions,
        [("free", "current"), ("starter", "upgrade"), ("pro", "upgrade"), ("enterprise", "contact_sales")]
    );
    assert_eq!(api.get("invoices").await, (200, json!([])));
    let (status, body) = api.get("upcoming-invoice").await;
    assert_eq!((status, body["code"].as_str()), (404, Some("no_subscription")));
    let (status, body) = api.post("portal", json!({})).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("no_customer")));

    let (status, body) = api.post("checkout", json!({"plan": "starter", "interval": "month"})).await;
    assert_eq!(status, 200, "{body}");
    api.pay(body["checkout_url"].as_str().unwrap()).await;
    assert_eq!(app.plan_code(api.ws), "starter");

    let (_, sub) = api.get("subscription").await;
    assert_eq!(
        (sub["plan"]["code"].as_str(), sub["status"].as_str(), sub["interval"].as_str()),
        (Some("starter"), Some("active"), Some("month"))
    );
    assert!(sub["current_period_end"].is_string());
    let (_, invoices) = api.get("invoices").await;
    assert_eq!(invoices.as_array().unwrap().len(), 1);
    assert_eq!((invoices[0]["status"].as_str(), invoices[0]["amount_paid_minor"].as_i64()), (Some("paid"), Some(2000)));
    let (status, next) = api.get("upcoming-invoice").await;
    assert_eq!(
        (status, next["amount_due_minor"].as_i64(), next["currency"].as_str()),
        (200, Some(2000), Some("usd")),
        "{next}"
    );
    let (status, portal) = api.post("portal", json!({})).await;
    assert_eq!(status, 200);
    assert!(portal["portal_url"].as_str().unwrap().contains("/sandbox/portal/"));

    let (status, body) = api.post("change-plan", json!({"plan": "pro", "interval": "month"})).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["message"].as_str().unwrap().contains("Pro"));
    assert_eq!(app.plan_code(api.ws), "pro");

    let (status, body) = api.post("cancel", json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(api.get("subscription").await.1["cancel_at_period_end"], true);
    let (status, _) = api.post("resume", json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(api.get("subscription").await.1["cancel_at_period_end"], false);

    let (status, body) = api.post("addons/custom_domain/purchase", json!({})).await;
    assert_eq!(status, 200, "{body}");
    api.pay(body["checkout_url"].as_str().unwrap()).await;
    let (_, addons) = api.get("addons").await;
    let domain = addons.as_array().unwrap().iter().find(|a| a["code"] == "custom_domain").unwrap().clone();
    assert_eq!((domain["owned"].as_bool(), domain["cancel_at_period_end"].as_bool()), (Some(true), Some(false)));
    let (status, _) = api.post("addons/custom_domain/cancel", json!({})).await;
    assert_eq!(status, 200);
    let (_, addons) = api.get("addons").await;
    assert_eq!(
        addons.as_array().unwrap().iter().find(|a| a["code"] == "custom_domain").unwrap()["cancel_at_period_end"],
        true
    );

    let (status, body) = api.post("checkout", json!({"credit_pack": "credits_500"})).await;
    assert_eq!(status, 200, "{body}");
    api.pay(body["checkout_url"].as_str().unwrap()).await;
    assert_eq!(app.balance(api.ws).1, 500);
}

#[actix_web::test]
async fn the_billing_twins_refuse_bad_input_naming_the_field() {
    let app = spawn_app().await;
    let api = api_for(&app, "refusals@example.com").await;
    for (what, body, field) in [
        ("checkout", json!({"plan": "pro", "interval": "fortnight"}), "interval"),
        ("checkout", json!({"plan": "nope", "interval": "month"}), "plan"),
        ("checkout", json!({"plan": "free", "interval": "month"}), "plan"),
        ("checkout", json!({}), "plan"),
        ("checkout", json!({"credit_pack": "credits_9"}), "credit_pack"),
        ("change-plan", json!({"plan": "pro"}), "interval"),
        ("change-plan", json!({"plan": "pro", "interval": "month"}), "plan"),
    ] {
        let (status, answer) = api.post(what, body.clone()).await;
        assert_eq!(
            (status, answer["code"].as_str(), answer["field"].as_str()),
            (422, Some("invalid_field"), Some(field)),
            "{what} {body}: {answer}"
        );
    }
    let (status, answer) = api.post("cancel", json!({})).await;
    assert_eq!((status, answer["code"].as_str()), (422, Some("validation_failed")), "no subscription to cancel");
    let (status, answer) = api.post("addons/nope/purchase", json!({})).await;
    assert_eq!((status, answer["code"].as_str()), (404, Some("not_found")));
    let (status, _) = api.post("addons/custom_domain/cancel", json!({})).await;
    assert_eq!(status, 404, "not owned");
    let (status, answer) = api.get("nothing-here").await;
    assert_eq!((status, answer["code"].as_str()), (404, Some("not_found")));

    // A member may read but not buy.
    app.set_plan(api.ws, "pro");
    let member = app.new_browser();
    member.signup("member@example.com").await;
    app.post_form(
        &format!("/w/{}/settings", api.ws),
        &format!("/w/{}/members", api.ws),
        &[("email", "member@example.com"), ("role", "member")],
    )
    .await;
    let (status, _) =
        member.api_get(&format!("/api/v1/workspaces/{}/billing/subscription", api.ws), Auth::Session).await;
    assert_eq!(status, 200);
    let token = member.meta_csrf(api.ws).await;
    let res = member
        .api_post(
            &format!("/api/v1/workspaces/{}/billing/checkout", api.ws),
            Auth::Session,
            &json!({"plan": "starter", "interval": "month"}),
            Some(&token),
        )
        .await;
    assert_eq!(res.status().as_u16(), 403);
    assert_eq!(res.json::<Value>().await.unwrap()["code"], "forbidden");
}
