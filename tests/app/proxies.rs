//! `X-Forwarded-For` is believed only from a proxy named in `TRUSTED_PROXIES`. Replays the
//! measured bypass: rotating the header let 40 of 40 checkouts through one address's limit.

use tollgate::domain::throttle::Bucket;

use crate::common::*;
use crate::throttling::hits;

async fn no_proxy_trusted() -> TestApp {
    spawn_app_with(|vars| {
        vars.insert("TRUSTED_PROXIES".into(), String::new());
    })
    .await
}

/// A checkout sent with a made-up `X-Forwarded-For`.
async fn checkout_as(app: &TestApp, ws: i64, forwarded_for: &str) -> u16 {
    let token = app.csrf_token(&format!("/w/{ws}/billing")).await;
    let form = [("csrf_token", token.as_str()), ("plan", "pro"), ("interval", "month")];
    let res = app.client.post(app.url(&format!("/w/{ws}/checkout"))).header("x-forwarded-for", forwarded_for);
    res.form(&form).send().await.unwrap().status().as_u16()
}

async fn signup_as(app: &TestApp, email: &str, forwarded_for: &str) -> u16 {
    let bot = app.new_browser();
    let token = bot.csrf_token("/signup").await;
    let form = [("csrf_token", token.as_str()), ("email", email), ("password", PASSWORD)];
    let req = bot.client.post(bot.url("/signup")).header("x-forwarded-for", forwarded_for);
    req.form(&form).send().await.unwrap().status().as_u16()
}

#[actix_web::test]
async fn rotating_x_forwarded_for_from_an_untrusted_peer_does_not_bypass_the_checkout_limit() {
    let app = no_proxy_trusted().await;
    let mut owners = Vec::new();
    for i in 0..4 {
        let owner = app.new_browser();
        let ws = owner.signup(&format!("owner{i}@example.com")).await;
        owners.push((owner, ws));
    }
    let mut statuses = Vec::new();
    for (n, (owner, ws)) in owners.iter().enumerate() {
        for i in 0..10 {
            statuses.push(checkout_as(owner, *ws, &format!("203.0.113.{}", n * 10 + i)).await);
        }
    }
    // Ten per workspace is within its own limit; thirty per address is the address's limit.
    assert_eq!(statuses.iter().filter(|s| **s == 303).count(), 30, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 10, "{statuses:?}");
    assert_eq!(hits(&app, &Bucket::CheckoutIp("127.0.0.1".parse().unwrap())), Some(30));
    assert_eq!(hits(&app, &Bucket::CheckoutIp("203.0.113.1".parse().unwrap())), None, "the header was ignored");
}

#[actix_web::test]
async fn rotating_x_forwarded_for_from_an_untrusted_peer_does_not_bypass_the_sign_up_limit() {
    let app = no_proxy_trusted().await;
    let mut statuses = Vec::new();
    for i in 0..11 {
        statuses.push(signup_as(&app, &format!("bot{i}@example.com"), &format!("198.51.100.{i}")).await);
    }
    assert_eq!(statuses[..10], [303; 10]);
    assert_eq!(statuses[10], 429);
}

#[actix_web::test]
async fn with_the_peer_trusted_the_header_names_the_client() {
    // The harness trusts 127.0.0.1, the address the test clients connect from.
    let app = spawn_app().await;
    for i in 0..11 {
        assert_eq!(signup_as(&app, &format!("person{i}@example.com"), &format!("198.51.100.{i}")).await, 303);
    }
    for i in 0..11 {
        assert_eq!(hits(&app, &Bucket::SignUpIp(format!("198.51.100.{i}").parse().unwrap())), Some(1));
    }
    assert_eq!(hits(&app, &Bucket::SignUpIp("127.0.0.1".parse().unwrap())), None);

    // A client that prepends its own entry is still counted by what the proxy appended.
    assert_eq!(signup_as(&app, "liar@example.com", "6.6.6.6, 198.51.100.200").await, 303);
    assert_eq!(hits(&app, &Bucket::SignUpIp("198.51.100.200".parse().unwrap())), Some(1));
    assert_eq!(hits(&app, &Bucket::SignUpIp("6.6.6.6".parse().unwrap())), None);
}
