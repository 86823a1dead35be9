//! Stripe's test-clock API on the sandbox: the rules Stripe gives it (forward only, at most two
//! intervals of the clock's shortest subscription per step, two years without one), the issue's
//! attacks replayed (an anonymous clock jump of 8,000,000,000,000 seconds or 4,294,967,295
//! months, a clock pushed to the largest date), and hostile numbers that must end in a 400 with
//! a sentence — never a panic, an overflowed date, or a sandbox broken for everyone else.

use diesel::prelude::*;
use reqwest::Method;
use serde_json::{Value, json};
use tollgate::billing::BillingProvider;
use tollgate::sandbox::schema::{sandbox_events, sandbox_invoices};

use crate::common::{TestApp, spawn_app};
use crate::sandbox::{GOOD, advance_to, api, buy, clock_of, plan_checkout, provider};

fn rows(app: &TestApp) -> (i64, i64) {
    app.with_db(|conn| {
        let invoices = sandbox_invoices::table.count().get_result(conn).unwrap();
        let events = sandbox_events::table.count().get_result(conn).unwrap();
        (invoices, events)
    })
}

async fn create_clock(app: &TestApp, frozen_time: &str) -> (u16, Value) {
    api(app, Method::POST, "test_helpers/test_clocks", &[("frozen_time", frozen_time), ("name", "mine")]).await
}

async fn advance(app: &TestApp, clock: &str, to: &str) -> (u16, Value) {
    api(app, Method::POST, &format!("test_helpers/test_clocks/{clock}/advance"), &[("frozen_time", to)]).await
}

fn refused(answer: &(u16, Value), words: &str) {
    assert_eq!(answer.0, 400, "{}", answer.1);
    assert_eq!(answer.1["error"]["type"], "invalid_request_error");
    let message = answer.1["error"]["message"].as_str().unwrap();
    assert!(message.contains(words), "{message:?} should say {words:?}");
}

/// A customer on a fresh clock with a Pro monthly subscription; returns (customer, clock id).
async fn subscribed(app: &TestApp) -> (String, String) {
    let id = buy(app, &plan_checkout("pro", "price_pro_monthly", None), GOOD).await;
    let customer = provider(app).confirm_checkout(&id).await.unwrap().checkout.customer_id.unwrap();
    let clock = clock_of(app, &customer).await["id"].as_str().unwrap().to_owned();
    (customer, clock)
}

#[actix_web::test]
async fn clocks_are_created_read_listed_and_deleted_like_stripes() {
    let app = spawn_app().await;
    let (status, clock) = create_clock(&app, "1900000000").await;
    assert_eq!(status, 200, "{clock}");
    assert_eq!(clock["object"], "test_helpers.test_clock");
    assert_eq!((clock["frozen_time"].as_i64(), clock["status"].as_str()), (Some(1_900_000_000), Some("ready")));
    assert_eq!((clock["name"].as_str(), clock["livemode"].as_bool()), (Some("mine"), Some(false)));
    assert_eq!(clock["status_details"], json!({}));
    let id = clock["id"].as_str().unwrap();
    assert!(id.starts_with("clock_"));
    assert_eq!(api(&app, Method::GET, &format!("test_helpers/test_clocks/{id}"), &[]).await.1, clock);

    // A customer created on it lives in its time.
    let (_, customer) = api(&app, Method::POST, "customers", &[("email", "c@example.com"), ("test_clock", id)]).await;
    assert_eq!((customer["test_clock"].as_str(), customer["created"].as_i64()), (Some(id), Some(1_900_000_000)));

    let (_, second) = create_clock(&app, "1900000000").await;
    let (_, list) = api(&app, Method::GET, "test_helpers/test_clocks", &[("limit", "1")]).await;
    assert_eq!((list["object"].as_str(), list["has_more"].as_bool()), (Some("list"), Some(true)));
    assert_eq!(list["data"][0]["id"], second["id"], "newest first");
    let (_, rest) =
        api(&app, Method::GET, "test_helpers/test_clocks", &[("starting_after", second["id"].as_str().unwrap())]).await;
    assert_eq!(rest["data"].as_array().unwrap().len(), 1);

    let (status, deleted) = api(&app, Method::DELETE, &format!("test_helpers/test_clocks/{id}"), &[]).await;
    assert_eq!(status, 200);
    assert_eq!(deleted, json!({ "id": id, "object": "test_helpers.test_clock", "deleted": true }));
    let (status, gone) = api(&app, Method::GET, &format!("test_helpers/test_clocks/{id}"), &[]).await;
    assert_eq!((status, gone["error"]["code"].as_str()), (404, Some("resource_missing")));
    let customer_id = customer["id"].as_str().unwrap();
    assert_eq!(api(&app, Method::GET, &format!("customers/{customer_id}"), &[]).await.0, 404, "deleted with its clock");
}

#[actix_web::test]
async fn a_clock_moves_forward_by_at_most_two_intervals_of_its_shortest_subscription() {
    let app = spawn_app().await;
    let (customer, clock) = subscribed(&app).await;
    let now = clock_of(&app, &customer).await["frozen_time"].as_i64().unwrap();
    refused(&advance(&app, &clock, &(now - 1).to_string()).await, "only move forward");
    refused(&advance(&app, &clock, &now.to_string()).await, "only move forward");
    let two_months =
        chrono::DateTime::from_timestamp(now, 0).unwrap().checked_add_months(chrono::Months::new(2)).unwrap();
    refused(&advance(&app, &clock, &(two_months.timestamp() + 1).to_string()).await, "two months here");

    let before = rows(&app);
    let moved = advance_to(&app, &customer, two_months.timestamp()).await;
    assert_eq!(moved["frozen_time"].as_i64(), Some(two_months.timestamp()));
    let after = rows(&app);
    assert_eq!(after.0 - before.0, 2, "two renewals, no more");
    assert_eq!(after.1 - before.1, 4, "each renewal sends a subscription update and a paid invoice");

    // Without a subscription the limit is two years.
    let (_, lone) = create_clock(&app, &now.to_string()).await;
    let lone = lone["id"].as_str().unwrap();
    let two_years = now + 2 * 366 * 86_400;
    refused(&advance(&app, lone, &two_years.to_string()).await, "two years here");
    assert_eq!(advance(&app, lone, &(now + 700 * 86_400).to_string()).await.0, 200);
}

#[actix_web::test]
async fn hostile_numbers_are_400s_with_a_sentence_and_change_nothing() {
    let app = spawn_app().await;
    let (_, clock) = subscribed(&app).await;
    let before = rows(&app);
    for bad in [
        "8000000000000",
        "9223372036854775807",
        "-9223372036854775808",
        "9223372036854775808",
        "4294967295",
        "-1",
        "1e9",
        "soon",
        "",
    ] {
        let answer = advance(&app, &clock, bad).await;
        assert_eq!(answer.0, 400, "{bad}: {}", answer.1);
        assert!(answer.1["error"]["message"].as_str().unwrap().len() > 20, "{bad}: a sentence");
        let created = create_clock(&app, bad).await;
        assert!(created.0 == 400 || bad == "4294967295", "{bad}: {}", created.1);
    }
    assert_eq!(rows(&app), before, "nothing was renewed or sent");
    let (status, missing) =
        api(&app, Method::POST, "test_helpers/test_clocks/clock_nope/advance", &[("frozen_time", "1")]).await;
    assert_eq!((status, missing["error"]["code"].as_str()), (404, Some("resource_missing")));
}

#[actix_web::test]
async fn the_issues_attacks_no_longer_work() {
    let app = spawn_app().await;
    let (customer, clock) = subscribed(&app).await;
    let before = rows(&app);
    // Anonymous, as in the report: the old endpoint is gone, and the API needs the key.
    for body in [json!({"seconds": 8_000_000_000_000_i64}), json!({"months": 4_294_967_295_u32})] {
        let res = app.client.post(app.url("/sandbox/clock/advance")).json(&body).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 404);
    }
    let res = app
        .client
        .post(app.url(&format!("/sandbox/v1/test_helpers/test_clocks/{clock}/advance")))
        .form(&[("frozen_time", "8000000000000")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 401);
    assert_eq!(rows(&app), before);

    // A clock pushed as far as the sandbox keeps dates breaks nothing for anyone else, nor for
    // its own customer's pages.
    let (_, far) =
        create_clock(&app, &tollgate::sandbox::time::unix(tollgate::sandbox::time::latest()).to_string()).await;
    assert_eq!(far["status"], "ready", "{far}");
    let far_id = far["id"].as_str().unwrap();
    refused(&advance(&app, far_id, &(far["frozen_time"].as_i64().unwrap() + 86_400).to_string()).await, "outside");
    let (_, far_customer) =
        api(&app, Method::POST, "customers", &[("email", "far@example.com"), ("test_clock", far_id)]).await;
    let request = tollgate::billing::CheckoutRequest {
        customer_id: far_customer["id"].as_str().map(str::to_owned),
        ..plan_checkout("pro", "price_pro_monthly", Some(730))
    };
    buy(&app, &request, GOOD).await;
    buy(&app, &plan_checkout("pro", "price_pro_monthly", None), GOOD).await;
    assert_eq!(provider(&app).list_subscriptions(&customer).await.unwrap().len(), 1, "the first customer is untouched");
}

#[actix_web::test]
async fn a_clock_holds_at_most_three_customers() {
    let app = spawn_app().await;
    let (_, clock) = create_clock(&app, "1900000000").await;
    let id = clock["id"].as_str().unwrap();
    for _ in 0..3 {
        assert_eq!(api(&app, Method::POST, "customers", &[("test_clock", id)]).await.0, 200);
    }
    refused(&api(&app, Method::POST, "customers", &[("test_clock", id)]).await, "3 customers");
    let (status, missing) = api(&app, Method::POST, "customers", &[("test_clock", "clock_nope")]).await;
    assert_eq!((status, missing["error"]["code"].as_str()), (404, Some("resource_missing")));
}
