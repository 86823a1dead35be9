//! `POST /api/v1/usage`: usage counted per workspace per period against the plan's named
//! limits, 402 (nothing recorded) past the limit, counters restarting with each period,
//! answers replayed per idempotency key, and bad input named.

use diesel::prelude::*;
use serde_json::{Value, json};
use tollgate::schema::usage_records;

use crate::api_support::*;
use crate::common::*;
use crate::stripe_shapes::*;

async fn record(app: &TestApp, ws: i64, body: Value) -> (u16, Value, bool) {
    let token = app.meta_csrf(ws).await;
    let res = app.api_post("/api/v1/usage", Auth::Session, &body, Some(&token)).await;
    let replayed = res.headers().get("idempotent-replayed").is_some();
    (res.status().as_u16(), res.json().await.unwrap(), replayed)
}

fn recorded(app: &TestApp, ws: i64) -> i64 {
    app.with_db(|conn| {
        usage_records::table
            .filter(usage_records::workspace_id.eq(ws))
            .filter(usage_records::status.eq(200))
            .select(diesel::dsl::sql::<diesel::sql_types::BigInt>("CAST(COALESCE(SUM(quantity), 0) AS BIGINT)"))
            .get_result(conn)
            .unwrap()
    })
}

#[actix_web::test]
async fn usage_past_the_plans_limit_is_refused_and_not_recorded() {
    let app = spawn_app().await;
    let ws = app.signup("quota@example.com").await;
    let (status, body, _) =
        record(&app, ws, json!({"metric": "projects", "quantity": 1, "idempotency_key": "p1"})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["used"].as_i64(), body["limit"].as_i64(), body["remaining"].as_i64()),
        (Some(1), Some(1), Some(0))
    );

    let (status, body, _) =
        record(&app, ws, json!({"metric": "projects", "quantity": 1, "idempotency_key": "p2"})).await;
    assert_eq!(status, 402, "{body}");
    assert_eq!(body["code"], "quota_exceeded");
    assert_eq!(body["feature"], "projects");
    assert_eq!(
        (body["limit"].as_i64(), body["used"].as_i64(), body["requested"].as_i64()),
        (Some(1), Some(1), Some(1))
    );
    assert_eq!(body["upgrade_url"], format!("{}/w/{ws}/billing?upgrade=projects", app.address));
    assert!(body["error"].as_str().unwrap().contains("Starter includes 10"), "{body}");
    assert_eq!(recorded(&app, ws), 1, "nothing recorded");

    let (_, entitlements) = app.api_get("/api/v1/entitlements", Auth::Session).await;
    assert_eq!(entitlements["limits"]["projects"], json!({"limit": 1, "used": 1, "remaining": 0}));
    app.set_plan(ws, "starter");
    let (status, body, _) =
        record(&app, ws, json!({"metric": "projects", "quantity": 9, "idempotency_key": "p3"})).await;
    assert_eq!((status, body["used"].as_i64(), body["remaining"].as_i64()), (200, Some(10), Some(0)));
}

#[actix_web::test]
async fn counters_restart_when_the_next_period_starts() {
    let app = spawn_app().await;
    let ws = app.signup("period@example.com").await;
    let sub = format!("sub_{ws}");
    app.record_plan_checkout(ws, &sub, "starter");
    let first = (now() - DAY, now() + 29 * DAY);
    let created = sub_event(
        "evt_q",
        "customer.subscription.created",
        now() - 60,
        ws,
        &sub,
        "active",
        "price_starter_monthly",
        first,
    );
    assert_eq!(app.post_stripe(&created).await.status().as_u16(), 200);
    assert_eq!(record(&app, ws, json!({"metric": "projects", "quantity": 10, "idempotency_key": "a"})).await.0, 200);
    assert_eq!(record(&app, ws, json!({"metric": "projects", "quantity": 1, "idempotency_key": "b"})).await.0, 402);

    let renewal =
        invoice_event("evt_q_renew", ws, &sub, "paid", "price_starter_monthly", (first.1, first.1 + 30 * DAY));
    assert_eq!(app.post_stripe(&renewal).await.status().as_u16(), 200);
    let (status, body, _) =
        record(&app, ws, json!({"metric": "projects", "quantity": 10, "idempotency_key": "c"})).await;
    assert_eq!((status, body["used"].as_i64()), (200, Some(10)), "a new period, a new count: {body}");
    assert_eq!(recorded(&app, ws), 20, "the old period's usage is kept");
}

#[actix_web::test]
async fn a_usage_key_gets_its_first_answer_and_bad_reports_name_the_field() {
    let app = spawn_app().await;
    let ws = app.signup("usagekeys@example.com").await;
    let first = record(&app, ws, json!({"metric": "projects", "quantity": 1, "idempotency_key": "same"})).await;
    let again = record(&app, ws, json!({"metric": "projects", "quantity": 1, "idempotency_key": "same"})).await;
    assert_eq!((again.0, &again.1, again.2), (200, &first.1, true));
    assert_eq!(recorded(&app, ws), 1);
    let (status, body, _) =
        record(&app, ws, json!({"metric": "projects", "quantity": 2, "idempotency_key": "same"})).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("idempotency_key_reused")));

    for (body, field) in [
        (json!({"metric": "robots", "quantity": 1, "idempotency_key": "r"}), "metric"),
        (json!({"quantity": 1, "idempotency_key": "r"}), "metric"),
        (json!({"metric": "projects", "quantity": 0, "idempotency_key": "r"}), "quantity"),
        (json!({"metric": "projects", "idempotency_key": "r"}), "quantity"),
        (json!({"metric": "projects", "quantity": 1}), "idempotency_key"),
    ] {
        let (status, answer, _) = record(&app, ws, body.clone()).await;
        assert_eq!(
            (status, answer["code"].as_str(), answer["field"].as_str()),
            (422, Some("invalid_field"), Some(field)),
            "{body}"
        );
    }
    let (_, answer, _) = record(&app, ws, json!({"metric": "robots", "quantity": 1, "idempotency_key": "r"})).await;
    assert!(answer["error"].as_str().unwrap().contains("projects"), "names the metrics there are: {answer}");
    assert_eq!(recorded(&app, ws), 1);
}
