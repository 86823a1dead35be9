use crate::common::*;

#[actix_web::test]
async fn healthz_reports_the_database() {
    let app = spawn_app().await;
    let res = app.get("/healthz").await;
    assert_eq!(res.status().as_u16(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ok");
}

#[actix_web::test]
async fn healthz_is_503_when_the_database_does_not_answer() {
    let app = spawn_app_with(|vars| {
        vars.insert("DATABASE_POOL_SIZE".into(), "1".into());
    })
    .await;
    // Hold the only connection: the database is now "not answering" for the app.
    let held = app.db().get().unwrap();
    let res = app.get("/healthz").await;
    assert_eq!(res.status().as_u16(), 503);
    assert_eq!(res.json::<serde_json::Value>().await.unwrap()["status"], "unavailable");
    drop(held);
    assert_eq!(app.get("/healthz").await.status().as_u16(), 200);
}

#[actix_web::test]
async fn unknown_pages_get_a_styled_404_and_api_paths_get_json() {
    let app = spawn_app().await;
    let res = app.get("/no/such/page").await;
    assert_eq!(res.status().as_u16(), 404);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let html = res.text().await.unwrap();
    assert_eq!(select_all(&html, "h1"), ["Not found"]);

    let res = app.get("/api/nothing-here").await;
    assert_eq!(res.status().as_u16(), 404);
    assert_eq!(
        res.json::<serde_json::Value>().await.unwrap(),
        serde_json::json!({"error": "We couldn't find that page."})
    );

    let res = app.get("/api/me").await;
    assert_eq!(res.status().as_u16(), 401);
    assert!(res.json::<serde_json::Value>().await.unwrap()["error"].is_string());
}

#[actix_web::test]
async fn api_me_describes_the_signed_in_user() {
    let app = spawn_app().await;
    let id = app.signup("api@example.com").await;
    let body: serde_json::Value = app.get("/api/me").await.json().await.unwrap();
    assert_eq!(body["email"], "api@example.com");
    assert_eq!(body["workspaces"][0]["id"], id);
    assert_eq!(body["workspaces"][0]["role"], "owner");
}

#[actix_web::test]
async fn oversized_and_malformed_bodies_are_refused_cleanly() {
    let app = spawn_app().await;
    app.get("/signup").await;
    let huge = "x".repeat(200 * 1024);
    let res = app.client.post(app.url("/signup")).form(&[("email", huge.as_str())]).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 413);
    assert!(res.text().await.unwrap().contains("too large"));

    let token = app.csrf_token("/signup").await;
    let res = app.post_raw("/signup", &[("csrf_token", &token)]).await;
    assert_eq!(res.status().as_u16(), 400, "missing fields");
    let body = res.text().await.unwrap();
    assert!(body.contains("missing"), "{body}");
    assert!(!body.to_lowercase().contains("panicked") && !body.contains("diesel"));

    let res = app.client.put(app.url("/pricing")).send().await.unwrap();
    assert!(res.status().is_client_error());
}

#[actix_web::test]
async fn static_assets_are_served_and_security_headers_set() {
    let app = spawn_app().await;
    let res = app.get("/static/app.css").await;
    assert_eq!(res.status().as_u16(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/css"));
    let res = app.get("/pricing").await;
    assert_eq!(res.headers()["x-frame-options"], "DENY");
    assert!(res.headers()["content-security-policy"].to_str().unwrap().contains("default-src 'self'"));
    assert_eq!(app.get("/static/../Cargo.toml").await.status().as_u16(), 404);
}
