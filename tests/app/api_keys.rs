//! Workspace API keys: made and revoked on the settings page by owners and admins, shown
//! once, stored hashed, accepted as `Authorization: Bearer`, and refused (401) when revoked
//! or used for another workspace; sessions reach the same endpoints with CSRF on writes.

use diesel::prelude::*;
use serde_json::json;
use sha2::{Digest, Sha256};
use tollgate::schema::api_keys;

use crate::api_support::*;
use crate::common::*;

#[actix_web::test]
async fn a_key_is_shown_once_stored_hashed_used_and_revoked() {
    let app = spawn_app().await;
    let ws = app.signup("keys@example.com").await;
    app.set_plan(ws, "pro");
    let key = app.api_key(ws, "CI deploys").await;
    assert!(key.starts_with("tgk_") && key.len() == 47, "{key}");

    let (hash, prefix, last_used): (String, String, Option<chrono::NaiveDateTime>) = app.with_db(|conn| {
        api_keys::table
            .filter(api_keys::workspace_id.eq(ws))
            .select((api_keys::key_hash, api_keys::prefix, api_keys::last_used_at))
            .first(conn)
            .unwrap()
    });
    assert_eq!(hash, hex::encode(Sha256::digest(key.as_bytes())), "only the SHA-256 is stored");
    assert!(key.starts_with(&prefix) && prefix.len() == 12);
    assert_eq!(last_used, None);

    let settings = format!("/w/{ws}/settings");
    let (_, html) = app.get_html(&settings).await;
    assert!(select_all(&html, "[data-testid=new-api-key]").is_empty(), "shown once only");
    assert!(!html.contains(&key));
    assert_eq!(select_all(&html, "tr[data-api-key] [data-testid=last-used]"), ["never"]);

    let (status, body) = app.api_get("/api/v1/entitlements", Auth::Key(&key)).await;
    assert_eq!((status, body["workspace_id"].as_i64()), (200, Some(ws)), "{body}");
    let (_, html) = app.get_html(&settings).await;
    assert!(select_all(&html, "tr[data-api-key] [data-testid=last-used]")[0].ends_with("UTC"), "last use shown");

    let key_id: i64 = app.with_db(|conn| api_keys::table.select(api_keys::id).first(conn).unwrap());
    let res = app.post_form(&settings, &format!("/w/{ws}/api-keys/{key_id}/revoke"), &[]).await;
    assert_eq!(res.status().as_u16(), 303);
    let (status, body) = app.api_get("/api/v1/entitlements", Auth::Key(&key)).await;
    assert_eq!((status, body["code"].as_str()), (401, Some("invalid_api_key")), "{body}");
    let (_, html) = app.get_html(&settings).await;
    assert!(select_all(&html, "tr[data-api-key]").is_empty(), "revoked keys leave the list");
    let res = app.post_form(&settings, &format!("/w/{ws}/api-keys/{key_id}/revoke"), &[]).await;
    assert_eq!(res.status().as_u16(), 404, "revoking twice finds nothing");
}

#[actix_web::test]
async fn a_key_is_refused_for_any_other_workspace_and_bad_keys_are_401() {
    let app = spawn_app().await;
    let mine = app.signup("mine@example.com").await;
    app.set_plan(mine, "pro");
    let key = app.api_key(mine, "mine").await;
    let theirs = app.new_browser().signup("theirs@example.com").await;

    for path in [
        format!("/api/v1/workspaces/{theirs}/billing/subscription"),
        format!("/api/v1/entitlements?workspace_id={theirs}"),
        format!("/api/v1/credits?workspace_id={theirs}"),
    ] {
        let (status, body) = app.api_get(&path, Auth::Key(&key)).await;
        assert_eq!((status, body["code"].as_str()), (401, Some("invalid_api_key")), "{path}: {body}");
    }
    let (status, _) = app.api_get(&format!("/api/v1/workspaces/{mine}/billing/subscription"), Auth::Key(&key)).await;
    assert_eq!(status, 200);

    let forged = format!("tgk_{}", "A".repeat(43));
    for bad in [forged.as_str(), "tgk_short", "sk_test_123", ""] {
        let (status, body) = app.api_get("/api/v1/entitlements", Auth::Key(bad)).await;
        assert_eq!((status, body["code"].as_str()), (401, Some("invalid_api_key")), "{bad}: {body}");
    }
    let res = reqwest::Client::new()
        .get(app.url("/api/v1/entitlements"))
        .header("Authorization", "Basic dXNlcjpwYXNz")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 401);
    let (status, body) = app.api_get("/api/v1/entitlements", Auth::Nobody).await;
    assert_eq!((status, body["code"].as_str()), (401, Some("unauthenticated")));
}

#[actix_web::test]
async fn a_session_reaches_only_its_own_workspaces_and_writes_need_the_csrf_header() {
    let app = spawn_app().await;
    let mine = app.signup("session@example.com").await;
    let theirs = app.new_browser().signup("other@example.com").await;
    for path in [
        format!("/api/v1/workspaces/{theirs}/billing/subscription"),
        format!("/api/v1/entitlements?workspace_id={theirs}"),
        "/api/v1/entitlements?workspace_id=abc".to_owned(),
    ] {
        let (status, body) = app.api_get(&path, Auth::Session).await;
        assert_eq!((status, body["code"].as_str()), (404, Some("not_found")), "{path}");
    }

    let spend = json!({"amount": 1, "idempotency_key": "s-1"});
    let res = app.api_post("/api/v1/credits/consume", Auth::Session, &spend, None).await;
    assert_eq!(res.status().as_u16(), 403);
    assert_eq!(res.json::<serde_json::Value>().await.unwrap()["code"], "csrf_failed");
    let res = app.api_post("/api/v1/credits/consume", Auth::Session, &spend, Some("forged")).await;
    assert_eq!(res.status().as_u16(), 403);
    assert_eq!(app.balance(mine), (100, 0), "nothing spent");
    let token = app.meta_csrf(mine).await;
    let res = app.api_post("/api/v1/credits/consume", Auth::Session, &spend, Some(&token)).await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(app.balance(mine), (99, 0));

    // A key needs no CSRF header: no browser sends one by itself.
    app.set_plan(mine, "pro");
    let key = app.api_key(mine, "server").await;
    let (status, _) = app
        .api_post_json("/api/v1/credits/consume", Auth::Key(&key), &json!({"amount": 1, "idempotency_key": "k-1"}))
        .await;
    assert_eq!(status, 200);
}

#[actix_web::test]
async fn keys_need_a_plan_with_api_access_and_a_manager() {
    let app = spawn_app().await;
    let ws = app.signup("freekeys@example.com").await;
    let settings = format!("/w/{ws}/settings");
    let (_, html) = app.get_html(&settings).await;
    assert_eq!(
        select_attr(&html, "[data-testid=api-keys-upgrade] a", "href"),
        [format!("/w/{ws}/billing?upgrade=api_access")]
    );
    assert!(select_all(&html, "form[action$='/api-keys']").is_empty(), "no create form on Free");
    let res = app.post_form(&settings, &format!("/w/{ws}/api-keys"), &[("name", "nope")]).await;
    assert_eq!(location(&res), format!("/w/{ws}/billing?upgrade=api_access"));
    let (_, html) = app.get_html(&location(&res)).await;
    assert!(select_all(&html, "[data-testid=upgrade-notice]")[0].contains("API access is not included in Free"));

    app.set_plan(ws, "pro");
    let res = app.post_form(&settings, &format!("/w/{ws}/api-keys"), &[("name", "  ")]).await;
    assert_eq!(res.status().as_u16(), 422, "a key needs a name");
    let key = app.api_key(ws, "while on Pro").await;
    // Back on Free, the key stops working with the gates' 402.
    app.set_plan(ws, "free");
    let (status, body) = app.api_get("/api/v1/entitlements", Auth::Key(&key)).await;
    assert_eq!(
        (status, body["code"].as_str(), body["feature"].as_str()),
        (402, Some("upgrade_required"), Some("api_access"))
    );

    // A member (not an admin) may not make keys.
    app.set_plan(ws, "pro");
    let member = app.new_browser();
    member.signup("member@example.com").await;
    app.post_form(&settings, &format!("/w/{ws}/members"), &[("email", "member@example.com"), ("role", "member")]).await;
    let res = member.post_form(&settings, &format!("/w/{ws}/api-keys"), &[("name", "mine")]).await;
    assert_eq!(res.status().as_u16(), 403);
    let count: i64 = app.with_db(|conn| api_keys::table.count().get_result(conn).unwrap());
    assert_eq!(count, 1);
}
