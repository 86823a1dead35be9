//! The sandbox in a deployment that kept the default, attacked as the issue did: start-up on a
//! public address, forged checkouts (someone else's workspace, a ten-year trial, foreign or
//! `javascript:` return addresses), HTML answers to SDK calls, and the API key leaking.

use diesel::prelude::*;
use reqwest::Method;
use serde_json::Value;
use tollgate::billing::BillingProvider;
use tollgate::sandbox::schema::sandbox_checkout_sessions;

use crate::common::{TestApp, base_vars, location, select_all, select_attr, spawn_app, spawn_app_with, test_database};
use crate::sandbox::{GOOD, api, plan_checkout, provider};

async fn build(tweak: &[(&str, &str)]) -> Result<tollgate::startup::Application, String> {
    let (url, db) = test_database();
    let mut vars = base_vars(&url);
    vars.extend(tweak.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    let config = tollgate::config::Config::from_vars(&vars).unwrap();
    let built = tollgate::startup::Application::build(config).await.map_err(|e| e.to_string());
    drop(db);
    built
}

#[actix_web::test]
async fn the_sandbox_refuses_to_start_on_a_public_address() {
    let err = build(&[("HOST", "0.0.0.0")]).await.err().expect("refused");
    for words in ["BILLING_PROVIDER=stripe", "BILLING_PROVIDER=chargebee", "HOST=127.0.0.1", "SANDBOX_PUBLIC=true"] {
        assert!(err.contains(words), "{err:?} should mention {words}");
    }
    assert!(build(&[("HOST", "0.0.0.0"), ("TOLLGATE_ENV", "development")]).await.is_ok(), "development may");
    assert!(build(&[("HOST", "0.0.0.0"), ("SANDBOX_PUBLIC", "true")]).await.is_ok(), "an explicit demo may");
    // A real provider on a public address is what production looks like.
    let stripe = [("HOST", "0.0.0.0"), ("BILLING_PROVIDER", "stripe"), ("STRIPE_SECRET_KEY", "sk_test_1")];
    assert!(build(&[stripe[0], stripe[1], stripe[2], ("STRIPE_WEBHOOK_SECRET", "whsec_1")]).await.is_ok());
}

fn banners(html: &str) -> usize {
    select_all(html, "[data-testid=demo-banner]").len()
}

#[actix_web::test]
async fn a_public_demo_says_so_on_every_page() {
    let app = spawn_app_with(|vars| {
        vars.insert("HOST".into(), "0.0.0.0".into());
        vars.insert("SANDBOX_PUBLIC".into(), "true".into());
    })
    .await;
    let ws = app.signup("demo@example.com").await;
    for path in ["/pricing".to_owned(), format!("/w/{ws}/billing"), format!("/w/{ws}/settings"), "/nowhere".to_owned()]
    {
        let (_, html) = app.get_html(&path).await;
        assert_eq!(banners(&html), 1, "{path}");
    }
    let res = app
        .post_form(
            &format!("/w/{ws}/billing"),
            &format!("/w/{ws}/checkout"),
            &[("plan", "starter"), ("interval", "month")],
        )
        .await;
    let checkout = location(&res).strip_prefix(&app.address).unwrap().to_owned();
    let (_, html) = app.get_html(&checkout).await;
    assert_eq!(banners(&html), 1, "the hosted checkout too");
    app.post_form(&checkout, &format!("{checkout}/pay"), &[("card", GOOD)]).await;
    let res = app.post_form(&format!("/w/{ws}/billing"), &format!("/w/{ws}/portal"), &[]).await;
    let (_, html) = app.get_html(location(&res).strip_prefix(&app.address).unwrap()).await;
    assert_eq!(banners(&html), 1, "the hosted portal too");
    let (_, html) = app.get_html(&format!("/w/{ws}/billing/clock")).await;
    assert_eq!(banners(&html), 1, "the clock page too");

    let private = spawn_app().await;
    let (_, html) = private.get_html("/pricing").await;
    assert_eq!(banners(&html), 0, "a private sandbox shows no demo banner");
}

async fn raw(app: &TestApp, method: Method, path: &str, key: bool) -> (u16, String, Value) {
    let mut request = app.client.request(method, app.url(path));
    if key {
        request = request.bearer_auth(app.sandbox_key());
    }
    let res = request.send().await.unwrap();
    let status = res.status().as_u16();
    let kind = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    (status, kind, res.json().await.unwrap_or(Value::Null))
}

#[actix_web::test]
async fn unknown_addresses_and_methods_answer_stripes_json_never_a_page() {
    let app = spawn_app().await;
    for (method, path, key) in [
        (Method::GET, "/v1/webhook_endpoints", true),
        (Method::GET, "/v1/nonexistent", false),
        (Method::DELETE, "/v1/prices/price_pro_monthly", true),
        (Method::PUT, "/v1/customers", true),
        (Method::GET, "/v1/test_helpers/test_clocks/clock_x/advance", true),
    ] {
        let (status, kind, body) = raw(&app, method.clone(), &format!("/sandbox{path}"), key).await;
        assert_eq!((status, kind.as_str()), (404, "application/json"), "{method} {path}");
        assert_eq!(body["error"]["type"], "invalid_request_error");
        let expected = format!(
            "Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/."
        );
        assert_eq!(body["error"]["message"], expected.as_str());
    }
    // A body that is not a form, bytes that are not text, and one too large: Stripe-shaped
    // 400s and a 413.
    for body in [b"{\"mode\": \"subscription\"}".to_vec(), vec![0xff, 0xfe, 0x00, 0x80]] {
        let res = app
            .client
            .post(app.url("/sandbox/v1/checkout/sessions"))
            .bearer_auth(app.sandbox_key())
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 400);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["type"], "invalid_request_error", "{body}");
        assert!(body["error"]["message"].as_str().unwrap().len() > 20, "{body}");
    }
    let huge = "x".repeat(200 * 1024);
    let res = app
        .client
        .post(app.url("/sandbox/v1/customers"))
        .bearer_auth(app.sandbox_key())
        .form(&[("email", huge)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 413);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["type"], "invalid_request_error");
}

fn sessions(app: &TestApp) -> i64 {
    app.with_db(|conn| sandbox_checkout_sessions::table.count().get_result(conn).unwrap())
}

#[actix_web::test]
async fn forged_checkouts_are_refused_by_the_sandbox_itself() {
    let app = spawn_app().await;
    let victim = app.new_browser().signup("victim@example.com").await.to_string();
    let base = app.address.clone();
    let ok = format!("{base}/billing/success?session_id={{CHECKOUT_SESSION_ID}}");
    let forged = |trial: &'static str, success: String, cancel: String| {
        vec![
            ("mode", "subscription".to_owned()),
            ("line_items[0][price]", "price_pro_yearly".to_owned()),
            ("client_reference_id", victim.clone()),
            ("subscription_data[trial_period_days]", trial.to_owned()),
            ("success_url", success),
            ("cancel_url", cancel),
        ]
    };
    let app = &app;
    let send = |form: Vec<(&'static str, String)>| async move {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        api(app, Method::POST, "checkout/sessions", &form).await
    };
    // Without the installation's key nothing happens at all.
    let res = app
        .client
        .post(app.url("/sandbox/v1/checkout/sessions"))
        .bearer_auth("sk_test_tollgate_sandbox")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 401);
    let (status, body) = send(forged("3650", ok.clone(), format!("{base}/pricing"))).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["message"], "The maximum number of trial period days is 730 (2 years).");
    assert_eq!(send(forged("0", ok.clone(), format!("{base}/pricing"))).await.0, 400);
    for bad in [
        "https://evil.example/ok".to_owned(),
        "javascript:alert(document.cookie)".to_owned(),
        format!("{base}.evil.example/"),
        format!("{base}@evil.example/"),
        format!("{base}/ok\r\nSet-Cookie: x=1"),
        "//evil.example".to_owned(),
    ] {
        for (success, cancel) in [(bad.clone(), format!("{base}/pricing")), (ok.clone(), bad.clone())] {
            let (status, body) = send(forged("14", success, cancel)).await;
            assert_eq!(status, 400, "{bad}");
            assert!(body["error"]["message"].as_str().unwrap().starts_with("Invalid URL for"), "{body}");
        }
    }
    let (status, body) = api(app, Method::POST, "customers", &[("email", "x@example.com")]).await;
    assert_eq!(status, 200);
    let customer = body["id"].as_str().unwrap();
    let portal = [("customer", customer), ("return_url", "javascript:alert(1)")];
    assert_eq!(api(app, Method::POST, "billing_portal/sessions", &portal).await.0, 400);
    assert_eq!(sessions(app), 0, "no forged session was stored");
    let victim_id: i64 = victim.parse().unwrap();
    assert_eq!(app.plan_code(victim_id), "free");
}

#[actix_web::test]
async fn a_stored_session_with_a_foreign_address_never_sends_the_browser_there() {
    let app = spawn_app().await;
    let page = provider(&app).create_checkout(&plan_checkout("pro", "price_pro_monthly", None)).await.unwrap();
    // As an older installation may have stored it, before addresses were checked.
    app.with_db(|conn| {
        diesel::update(sandbox_checkout_sessions::table.find(&page.id))
            .set((
                sandbox_checkout_sessions::success_url.eq("https://evil.example/{CHECKOUT_SESSION_ID}"),
                sandbox_checkout_sessions::cancel_url.eq("javascript:alert(1)"),
            ))
            .execute(conn)
            .unwrap()
    });
    let path = page.url.strip_prefix(&app.address).unwrap().to_owned();
    let (_, html) = app.get_html(&path).await;
    assert_eq!(select_attr(&html, "[data-testid=cancel]", "href"), std::slice::from_ref(&app.address));
    let res = app.post_form(&path, &format!("{path}/pay"), &[("card", GOOD)]).await;
    assert_eq!(location(&res), app.address);
}

#[actix_web::test]
async fn the_api_key_is_never_shown() {
    let app = spawn_app().await;
    let key = app.sandbox_key();
    let ws = app.signup("keys@example.com").await;
    let res = app
        .post_form(
            &format!("/w/{ws}/billing"),
            &format!("/w/{ws}/checkout"),
            &[("plan", "starter"), ("interval", "month")],
        )
        .await;
    let checkout = location(&res).strip_prefix(&app.address).unwrap().to_owned();
    let mut pages = vec![
        checkout.clone(),
        format!("/w/{ws}/billing"),
        format!("/w/{ws}/billing/clock"),
        "/sandbox/portal/bps_nope".to_owned(),
    ];
    app.post_form(&checkout, &format!("{checkout}/pay"), &[("card", GOOD)]).await;
    let res = app.post_form(&format!("/w/{ws}/billing"), &format!("/w/{ws}/portal"), &[]).await;
    pages.push(location(&res).strip_prefix(&app.address).unwrap().to_owned());
    for path in pages {
        let (status, html) = app.get_html(&path).await;
        assert!(!html.contains(&key), "{path} ({status}) shows the key");
    }
    for auth in ["", "Bearer ", "Bearer sk_test_nope", "Basic Zm9vOmJhcg=="] {
        let res =
            app.client.get(app.url("/sandbox/v1/customers/cus_x")).header("authorization", auth).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 401);
        assert!(!res.text().await.unwrap().contains(&key));
    }
}
