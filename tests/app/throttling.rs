//! Sign-in and sign-up throttling, replayed as the attacks that were measured (40 wrong
//! passwords then the right one; 25 sign-ups from one address), and the counters
//! themselves: all-or-nothing, exact under concurrency, expiring, pruned.

use diesel::prelude::*;
use tollgate::domain::ids::WorkspaceId;
use tollgate::domain::throttle::Bucket;
use tollgate::models::now;
use tollgate::schema::{rate_limit_hits, users};
use tollgate::services::{jobs, throttle};

use crate::common::*;

pub async fn login_with(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    app.post_form("/login", "/login", &[("email", email), ("password", password)]).await
}

fn retry_after(res: &reqwest::Response) -> u64 {
    res.headers()["retry-after"].to_str().unwrap().parse().unwrap()
}

/// Ends every throttle window now, as if the wait had passed.
pub fn let_windows_pass(app: &TestApp) {
    app.with_db(|conn| {
        diesel::update(rate_limit_hits::table)
            .set(rate_limit_hits::window_ends_at.eq(now() - chrono::TimeDelta::seconds(1)))
            .execute(conn)
            .unwrap();
    });
}

pub fn hits(app: &TestApp, bucket: &Bucket) -> Option<i64> {
    app.with_db(|conn| {
        rate_limit_hits::table.find(bucket.key()).select(rate_limit_hits::hits).first(conn).optional().unwrap()
    })
}

#[actix_web::test]
async fn forty_wrong_passwords_lock_the_account_even_against_the_right_one() {
    let app = spawn_app().await;
    app.signup("target@example.com").await;
    app.logout().await;
    let attacker = app.new_browser();

    let mut statuses = Vec::new();
    for _ in 0..40 {
        statuses.push(login_with(&attacker, "target@example.com", "guess-guess").await.status().as_u16());
    }
    assert_eq!(statuses.iter().filter(|s| **s == 401).count(), 10, "{statuses:?}");
    assert!(statuses[10..].iter().all(|s| *s == 429), "{statuses:?}");

    // The 41st attempt, with the right password, is refused too — and says for how long.
    let res = login_with(&attacker, "target@example.com", PASSWORD).await;
    assert_eq!(res.status().as_u16(), 429);
    let wait = retry_after(&res);
    assert!((60..=900).contains(&wait) && wait.is_multiple_of(60), "Retry-After {wait}");
    let html = res.text().await.unwrap();
    assert_eq!(
        select_all(&html, ".notice-error"),
        ["Too many sign-in attempts. Please wait 15 minutes and try again."]
    );
    assert_eq!(select_attr(&html, "input[name=email]", "value"), ["target@example.com"], "the form is shown again");
    assert_eq!(attacker.get("/api/me").await.status().as_u16(), 401);
    assert_eq!(hits(&app, &Bucket::SignInEmail("target@example.com".into())), Some(10), "refusals count nothing");

    // Once the window has passed, the owner signs in, which clears the account's failures.
    let_windows_pass(&app);
    let res = login_with(&app, "target@example.com", PASSWORD).await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(hits(&app, &Bucket::SignInEmail("target@example.com".into())), None);
}

#[actix_web::test]
async fn a_successful_sign_in_clears_the_accounts_failures() {
    let app = spawn_app().await;
    app.signup("forgetful@example.com").await;
    app.logout().await;
    for _ in 0..9 {
        assert_eq!(login_with(&app, "forgetful@example.com", "not it at all").await.status().as_u16(), 401);
    }
    assert_eq!(app.login("forgetful@example.com").await.status().as_u16(), 303);
    app.logout().await;
    for _ in 0..10 {
        assert_eq!(login_with(&app, "forgetful@example.com", "not it at all").await.status().as_u16(), 401);
    }
    assert_eq!(login_with(&app, "forgetful@example.com", "not it at all").await.status().as_u16(), 429);
}

#[actix_web::test]
async fn one_address_trying_many_accounts_is_cut_off() {
    let app = spawn_app().await;
    app.signup("real@example.com").await;
    app.logout().await;
    let stuffer = app.new_browser();
    for i in 0..30 {
        let res = login_with(&stuffer, &format!("victim{i}@example.com"), "leaked-password").await;
        assert_eq!(res.status().as_u16(), 401, "attempt {i}");
    }
    let res = login_with(&stuffer, "real@example.com", PASSWORD).await;
    assert_eq!(res.status().as_u16(), 429, "even a right password from that address waits");
    // Someone else, elsewhere, is not affected.
    assert_eq!(app.login("real@example.com").await.status().as_u16(), 303);
}

#[actix_web::test]
async fn a_sign_up_flood_from_one_address_is_cut_off() {
    let app = spawn_app().await;
    let mut statuses = Vec::new();
    for i in 0..25 {
        // A fresh browser each time (no cookies), always from the same address.
        let bot = app.browser_from("203.0.113.66");
        let res = bot
            .post_form("/signup", "/signup", &[("email", &format!("bot{i}@example.com")), ("password", PASSWORD)])
            .await;
        let status = res.status().as_u16();
        if status == 429 {
            assert!((60..=3600).contains(&retry_after(&res)));
            let html = res.text().await.unwrap();
            assert!(
                select_all(&html, ".notice-error")[0].starts_with("Too many sign-ups from your network."),
                "{html}"
            );
        }
        statuses.push(status);
    }
    assert_eq!(statuses[..10], [303; 10], "{statuses:?}");
    assert!(statuses[10..].iter().all(|s| *s == 429), "{statuses:?}");
    let created: i64 = app.with_db(|conn| users::table.count().get_result(conn).unwrap());
    assert_eq!(created, 10);
    // Another address signs up as usual.
    app.new_browser().signup("person@example.com").await;
}

#[actix_web::test]
async fn forty_simultaneous_guesses_get_exactly_ten_tries() {
    let app = spawn_app().await;
    app.signup("popular@example.com").await;
    app.logout().await;
    let token = app.csrf_token("/login").await;
    let guesses = (0..40).map(|i| {
        let (client, url, token) = (app.client.clone(), app.url("/login"), token.clone());
        async move {
            let password = format!("guess number {i}");
            let form = [("csrf_token", token.as_str()), ("email", "popular@example.com"), ("password", &password)];
            client.post(url).form(&form).send().await.unwrap().status().as_u16()
        }
    });
    let statuses = futures_util::future::join_all(guesses).await;
    assert_eq!(statuses.iter().filter(|s| **s == 401).count(), 10, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 30, "{statuses:?}");
}

#[actix_web::test]
async fn counters_refuse_past_the_limit_and_recover_after_the_window() {
    let app = spawn_app().await;
    let bucket = Bucket::CheckoutWorkspace(WorkspaceId(1));
    let t0 = now();
    app.with_db(|conn| {
        for _ in 0..10 {
            assert_eq!(throttle::count(conn, std::slice::from_ref(&bucket), t0).unwrap(), Ok(()));
        }
        let refused = throttle::count(conn, std::slice::from_ref(&bucket), t0).unwrap().unwrap_err();
        assert_eq!(refused.retry_after_secs(), 60);
        let later = t0 + chrono::TimeDelta::seconds(61);
        assert_eq!(throttle::count(conn, std::slice::from_ref(&bucket), later).unwrap(), Ok(()));
    });
    assert_eq!(hits(&app, &bucket), Some(1), "a new window started");
}

#[actix_web::test]
async fn a_refused_action_counts_against_no_bucket() {
    let app = spawn_app().await;
    let tight = Bucket::SignUpEmail("x@example.com".into()); // 5 an hour
    let other = Bucket::CheckoutWorkspace(WorkspaceId(2));
    let t0 = now();
    app.with_db(|conn| {
        for _ in 0..5 {
            throttle::count(conn, std::slice::from_ref(&tight), t0).unwrap().unwrap();
        }
        assert!(throttle::count(conn, &[other.clone(), tight.clone()], t0).unwrap().is_err());
    });
    assert_eq!(hits(&app, &other), None);
    assert_eq!(hits(&app, &tight), Some(5));
}

#[actix_web::test]
async fn concurrent_counting_is_exact() {
    let app = spawn_app().await;
    let bucket = Bucket::SignInEmail("raced@example.com".into()); // 10 per window
    let attempts = (0..40).map(|_| {
        let bucket = bucket.clone();
        app.db().run(move |conn| Ok(throttle::count(conn, &[bucket], now())?))
    });
    let results = futures_util::future::join_all(attempts).await;
    let allowed = results.into_iter().filter(|r| matches!(r, Ok(Ok(())))).count();
    assert_eq!(allowed, 10);
    assert_eq!(hits(&app, &bucket), Some(10));
}

#[actix_web::test]
async fn expired_counters_are_pruned() {
    let app = spawn_app().await;
    let t0 = now();
    let (old, fresh) = (Bucket::SignUpEmail("old@example.com".into()), Bucket::SignUpEmail("new@example.com".into()));
    app.with_db(|conn| {
        throttle::count(conn, std::slice::from_ref(&old), t0 - chrono::TimeDelta::hours(2)).unwrap().unwrap();
        throttle::count(conn, std::slice::from_ref(&fresh), t0).unwrap().unwrap();
        assert_eq!(jobs::prune_expired(conn, t0).unwrap().0, 1);
    });
    assert_eq!((hits(&app, &old), hits(&app, &fresh)), (None, Some(1)));
}
