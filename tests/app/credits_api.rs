//! `POST /api/v1/credits/consume` and `GET /api/v1/credits`: monthly credits first, never
//! below zero, once per idempotency key (the first answer replayed), every field checked —
//! and 64 clients at once spending exactly the balance, on SQLite and PostgreSQL.

use diesel::prelude::*;
use serde_json::{Value, json};
use tollgate::domain::credits::CreditBucket;
use tollgate::domain::ids::WorkspaceId;
use tollgate::models::credit_spend::CreditSpend;
use tollgate::schema::credit_ledger;
use tollgate::services::credits::{Adjustment, adjust_credits};

use crate::api_support::*;
use crate::common::*;

pub async fn adjust(app: &TestApp, ws: i64, bucket: CreditBucket, delta: i64) {
    let adjustment = Adjustment { bucket, delta, reason: "test setup".into(), actor: "ops@example.com".into() };
    adjust_credits(&app.state, WorkspaceId(ws), adjustment).await.unwrap();
}

async fn consume(app: &TestApp, key: &str, body: Value) -> (u16, Value, bool) {
    let res = app.api_post("/api/v1/credits/consume", Auth::Key(key), &body, None).await;
    let replayed = res.headers().get("idempotent-replayed").is_some();
    (res.status().as_u16(), res.json().await.unwrap(), replayed)
}

async fn pro_with_key(app: &TestApp, email: &str) -> (i64, String) {
    let ws = app.signup(email).await;
    app.set_plan(ws, "pro");
    let key = app.api_key(ws, "test").await;
    (ws, key)
}

#[actix_web::test]
async fn spends_take_monthly_credits_first_and_refuse_what_is_not_there() {
    let app = spawn_app().await;
    let (ws, key) = pro_with_key(&app, "spend@example.com").await;
    adjust(&app, ws, CreditBucket::Purchased, 50).await;
    assert_eq!(app.balance(ws), (100, 50));

    let (status, body, _) =
        consume(&app, &key, json!({"amount": 80, "idempotency_key": "a", "reason": "render"})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!((body["from_monthly"].as_i64(), body["from_purchased"].as_i64()), (Some(80), Some(0)));
    assert_eq!(body["balances"], json!({"monthly": 20, "purchased": 50, "available": 70}));
    let (_, body, _) = consume(&app, &key, json!({"amount": 30, "idempotency_key": "b"})).await;
    assert_eq!((body["from_monthly"].as_i64(), body["from_purchased"].as_i64()), (Some(20), Some(10)));
    assert_eq!(app.balance(ws), (0, 40));

    let (status, body, _) = consume(&app, &key, json!({"amount": 41, "idempotency_key": "c"})).await;
    assert_eq!(status, 402, "{body}");
    assert_eq!(body["code"], "insufficient_credits");
    assert_eq!(body["available"], json!({"monthly": 0, "purchased": 40, "available": 40}));
    assert_eq!(body["requested"], 41);
    assert_eq!(app.balance(ws), (0, 40), "nothing spent");

    let (status, body) = app.api_get("/api/v1/credits", Auth::Key(&key)).await;
    assert_eq!(status, 200);
    assert_eq!(body["balances"], json!({"monthly": 0, "purchased": 40, "available": 40}));
    assert_eq!(body["monthly_grant"], 5000);
    let reasons: Vec<&str> = body["ledger"].as_array().unwrap().iter().map(|r| r["reason"].as_str().unwrap()).collect();
    assert_eq!(&reasons[..3], ["spent", "spent", "spent: render"], "newest first: {reasons:?}");
    assert_eq!(body["ledger"][0]["bucket"], "purchased");
    app.assert_ledger_matches(ws);
}

#[actix_web::test]
async fn the_same_idempotency_key_never_spends_twice_and_gets_the_first_answer() {
    let app = spawn_app().await;
    let (ws, key) = pro_with_key(&app, "idem@example.com").await;
    let first = consume(&app, &key, json!({"amount": 5, "idempotency_key": "job-7", "reason": "export"})).await;
    assert_eq!((first.0, first.2), (200, false));
    let again = consume(&app, &key, json!({"amount": 5, "idempotency_key": "job-7", "reason": "export"})).await;
    assert_eq!((again.0, &again.1, again.2), (200, &first.1, true), "the first answer, replayed");
    assert_eq!(app.balance(ws), (95, 0));

    let (status, body, _) =
        consume(&app, &key, json!({"amount": 6, "idempotency_key": "job-7", "reason": "export"})).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("idempotency_key_reused")));

    // A refusal is an answer too: the key keeps it even once credits are there.
    let refused = consume(&app, &key, json!({"amount": 500, "idempotency_key": "big"})).await;
    assert_eq!(refused.0, 402);
    adjust(&app, ws, CreditBucket::Purchased, 1000).await;
    let replay = consume(&app, &key, json!({"amount": 500, "idempotency_key": "big"})).await;
    assert_eq!((replay.0, &replay.1, replay.2), (402, &refused.1, true));
    assert_eq!(app.balance(ws), (95, 1000));
    // Keys are per workspace: another workspace may use the same one.
    let (other, other_key) = pro_with_key(&app.new_browser(), "idem2@example.com").await;
    assert_eq!(
        consume(&app, &other_key, json!({"amount": 5, "idempotency_key": "job-7", "reason": "export"})).await.0,
        200
    );
    assert_eq!(app.balance(other), (95, 0));
}

#[actix_web::test]
async fn bad_spends_are_refused_naming_the_field() {
    let app = spawn_app().await;
    let (ws, key) = pro_with_key(&app, "badspend@example.com").await;
    for (body, field) in [
        (json!({"idempotency_key": "k"}), "amount"),
        (json!({"amount": "ten", "idempotency_key": "k"}), "amount"),
        (json!({"amount": 0, "idempotency_key": "k"}), "amount"),
        (json!({"amount": -4, "idempotency_key": "k"}), "amount"),
        (json!({"amount": 1.5, "idempotency_key": "k"}), "amount"),
        (json!({"amount": 1}), "idempotency_key"),
        (json!({"amount": 1, "idempotency_key": "x".repeat(256)}), "idempotency_key"),
        (json!({"amount": 1, "idempotency_key": "k", "reason": 7}), "reason"),
    ] {
        let (status, answer, _) = consume(&app, &key, body.clone()).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!((answer["code"].as_str(), answer["field"].as_str()), (Some("invalid_field"), Some(field)), "{body}");
        assert!(answer["error"].is_string());
    }
    for raw in ["not json", "[1, 2]"] {
        let res = reqwest::Client::new()
            .post(app.url("/api/v1/credits/consume"))
            .header("Authorization", format!("Bearer {key}"))
            .header("Content-Type", "application/json")
            .body(raw)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 400);
        assert_eq!(res.json::<Value>().await.unwrap()["code"], "invalid_json");
    }
    assert_eq!(app.balance(ws), (100, 0));
}

/// 64 clients, one credit each, against one workspace: every update counted once, no bucket
/// below zero, and the ledger agreeing with the answers.
#[actix_web::test]
async fn sixty_four_concurrent_spends_spend_exactly_the_balance() {
    let app = spawn_app().await;
    let (ws, key) = pro_with_key(&app, "race@example.com").await;
    adjust(&app, ws, CreditBucket::Monthly, -60).await;
    adjust(&app, ws, CreditBucket::Purchased, 10).await;
    assert_eq!(app.balance(ws), (40, 10));

    let spends = (0..64).map(|i| {
        let key = key.clone();
        let app = &app;
        async move { consume(app, &key, json!({"amount": 1, "idempotency_key": format!("race-{i}")})).await }
    });
    let answers = futures_util::future::join_all(spends).await;
    let ok: Vec<&Value> = answers.iter().filter(|a| a.0 == 200).map(|a| &a.1).collect();
    let refused = answers.iter().filter(|a| a.0 == 402).count();
    assert_eq!((ok.len(), refused), (50, 14), "{:?}", answers.iter().map(|a| a.0).collect::<Vec<_>>());
    // Each success saw a different balance: no two spends read the same state.
    let mut left: Vec<i64> = ok.iter().map(|b| b["balances"]["available"].as_i64().unwrap()).collect();
    left.sort_unstable();
    assert_eq!(left, (0..50).collect::<Vec<_>>());
    assert_eq!(ok.iter().filter(|b| b["from_purchased"] == 1).count(), 10, "purchased only after monthly ran out");

    assert_eq!(app.balance(ws), (0, 0));
    app.assert_ledger_matches(ws);
    let spent: i64 = app.with_db(|conn| {
        credit_ledger::table
            .filter(credit_ledger::workspace_id.eq(ws))
            .filter(credit_ledger::reason.like("spent%"))
            .select(diesel::dsl::sql::<diesel::sql_types::BigInt>("CAST(COALESCE(SUM(delta), 0) AS BIGINT)"))
            .get_result(conn)
            .unwrap()
    });
    assert_eq!(spent, -50, "the ledger holds exactly the 200s");
    let (count, total) = app.with_db(|conn| CreditSpend::accepted_total(conn, WorkspaceId(ws)).unwrap());
    assert_eq!((count, total), (50, 50));

    // With plenty, all 64 go through.
    adjust(&app, ws, CreditBucket::Purchased, 100).await;
    let spends = (0..64).map(|i| {
        let key = key.clone();
        let app = &app;
        async move { consume(app, &key, json!({"amount": 1, "idempotency_key": format!("more-{i}")})).await.0 }
    });
    let statuses = futures_util::future::join_all(spends).await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    assert_eq!(app.balance(ws), (0, 36));
    app.assert_ledger_matches(ws);
}

#[actix_web::test]
async fn operators_grant_and_revoke_through_the_ledger_with_a_reason() {
    let app = spawn_app().await;
    let ws = app.signup("ops@example.com").await;
    adjust(&app, ws, CreditBucket::Purchased, 250).await;
    let revoke = |delta, reason: &str| Adjustment {
        bucket: CreditBucket::Purchased,
        delta,
        reason: reason.to_owned(),
        actor: "ops@example.com".to_owned(),
    };
    let err = adjust_credits(&app.state, WorkspaceId(ws), revoke(-251, "goodwill reversed")).await.unwrap_err();
    assert!(err.to_string().contains("holds 250"), "{err}");
    let err = adjust_credits(&app.state, WorkspaceId(ws), revoke(-5, "  ")).await.unwrap_err();
    assert!(err.to_string().contains("why"), "{err}");
    let after = adjust_credits(&app.state, WorkspaceId(ws), revoke(-50, "duplicate grant")).await.unwrap();
    assert_eq!((after.monthly, after.purchased), (100, 200));
    let (_, body) = app.api_get("/api/v1/credits", Auth::Session).await;
    assert_eq!(body["ledger"][0]["reason"], "revoked by ops@example.com: duplicate grant");
    assert_eq!(body["ledger"][0]["delta"], -50);
    app.assert_ledger_matches(ws);
}

#[actix_web::test]
async fn the_credits_adjust_command_grants_through_the_ledger() {
    let app = spawn_app().await;
    let ws = app.signup("cli@example.com").await;
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_tollgate"))
            .args(["credits", "adjust"])
            .args(args)
            .env_clear()
            .env("DATABASE_URL", &app.state.config.database_url)
            .env("CATALOG_PATH", concat!(env!("CARGO_MANIFEST_DIR"), "/catalog.toml"))
            .env("RUST_LOG", "error")
            .output()
            .unwrap()
    };
    let out = run(&[&ws.to_string(), "purchased", "1000", "load", "test"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), format!("workspace {ws}: monthly 100, purchased 1000"));
    assert_eq!(app.balance(ws), (100, 1000));
    let out = run(&[&ws.to_string(), "purchased", "-2000", "too", "much"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("holds 1000"));
    let out = run(&[&ws.to_string(), "gold", "5", "why"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("monthly or purchased"));
    app.assert_ledger_matches(ws);
}
