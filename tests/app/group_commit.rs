//! Webhooks under load go through the group-commit writer: a burst where one event's
//! handler fails commits the others and stores the failure; a process killed mid-burst keeps
//! every event it answered 200; events for one workspace keep their order.

use std::collections::BTreeSet;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use diesel::prelude::*;
use serde_json::json;
use tollgate::schema::billing_events;

use crate::common::*;
use crate::stripe_shapes::*;

fn update(ws: i64, event_id: &str, sub_id: &str, status: &str, created: i64) -> String {
    let sub = Sub {
        id: sub_id,
        customer: "cus_burst",
        workspace_id: ws,
        status,
        price: "price_pro_monthly",
        period_start: now() - DAY,
        period_end: now() + 29 * DAY,
        cancel_at_period_end: false,
        trial_end: None,
    };
    event(event_id, "customer.subscription.updated", created, subscription(&sub))
}

#[actix_web::test]
async fn a_burst_with_one_failing_event_commits_the_others_and_stores_the_failure() {
    let app = spawn_app().await;
    let mut workspaces = Vec::new();
    for i in 0..12 {
        let ws = app.new_browser().signup(&format!("burst{i}@example.com")).await;
        app.record_plan_checkout(ws, &format!("sub_{i}"), "pro");
        workspaces.push(ws);
    }
    app.record_plan_checkout(workspaces[0], "sub_bad", "pro");
    let mut bodies: Vec<(String, bool)> = workspaces
        .iter()
        .enumerate()
        .map(|(i, ws)| (update(*ws, &format!("evt_ok_{i}"), &format!("sub_{i}"), "active", now()), true))
        .collect();
    // A status no provider sends: applying it fails inside the batch it shares with the others.
    bodies.insert(5, (update(workspaces[0], "evt_bad", "sub_bad", "sideways", now()), false));
    let sent = futures_util::future::join_all(bodies.iter().map(|(body, _)| app.post_stripe(body))).await;
    for ((body, good), res) in bodies.iter().zip(sent) {
        let expected = if *good { 200 } else { 500 };
        assert_eq!(res.status().as_u16(), expected, "{}", &body[..60]);
    }
    for ws in &workspaces {
        assert_eq!(app.plan_code(*ws), "pro");
    }
    let events = app.events();
    assert_eq!(events.len(), 13, "every event stored once");
    let bad = events.iter().find(|e| e.event_id == "evt_bad").unwrap();
    assert_eq!((bad.status.as_str(), bad.attempts), ("failed", 1));
    assert!(bad.error.as_deref().unwrap_or_default().contains("no status"), "{:?}", bad.error);
    assert!(events.iter().filter(|e| e.event_id != "evt_bad").all(|e| e.status.as_str() == "processed"));
}

#[actix_web::test]
async fn events_for_one_workspace_apply_in_the_order_they_were_sent_under_concurrency() {
    let app = spawn_app().await;
    let ws = app.signup("order@example.com").await;
    app.record_plan_checkout(ws, "sub_order", "pro");
    // Forty snapshots of one subscription, each newer than the last, sent together: the
    // newest state wins whatever order they are processed in, and none is lost.
    let start = now() - 100;
    let bodies: Vec<String> = (0..40)
        .map(|i| {
            let status = if i == 39 { "past_due" } else { "active" };
            update(ws, &format!("evt_{i}"), "sub_order", status, start + i)
        })
        .collect();
    let sent = futures_util::future::join_all(bodies.iter().map(|b| app.post_stripe(b))).await;
    assert!(sent.iter().all(|r| r.status().as_u16() == 200));
    let w = app.workspace(ws);
    assert_eq!(w.subscription_status.map(|s| s.as_str()), Some("past_due"), "the newest snapshot wins");
    assert_eq!(app.events().len(), 40);
}

/// The real binary, started on `url` with the test webhook secret.
fn start_server(url: &str, port: u16) -> Child {
    let mut vars = base_vars(url);
    vars.insert("PORT".into(), port.to_string());
    vars.insert("RUST_LOG".into(), "error".into());
    Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .env_clear()
        .envs(vars)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn wait_until_up(client: &reqwest::Client, base: &str) {
    for _ in 0..200 {
        if client.get(format!("{base}/healthz")).send().await.is_ok_and(|r| r.status().is_success()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the server did not come up");
}

#[actix_web::test]
async fn a_process_killed_mid_burst_keeps_every_event_it_acknowledged() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let (url, _database) = test_database();
    let port = free_port();
    let mut server = start_server(&url, port);
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder().timeout(Duration::from_secs(20)).build().unwrap();
    wait_until_up(&client, &base).await;

    // Events for a customer nobody has yet: each is stored (as pending) and answered 200.
    let bodies: Vec<(String, String)> = (0..400)
        .map(|i| {
            let id = format!("evt_crash_{i}");
            let mut sub = subscription(&Sub {
                id: &format!("sub_crash_{i}"),
                customer: "cus_nobody_yet",
                workspace_id: 0,
                status: "active",
                price: "price_pro_monthly",
                period_start: now() - DAY,
                period_end: now() + 29 * DAY,
                cancel_at_period_end: false,
                trial_end: None,
            });
            sub["metadata"] = json!({});
            let body = event(&id, "customer.subscription.updated", now(), sub);
            (id, body)
        })
        .collect();
    let acknowledged = std::sync::Arc::new(std::sync::Mutex::new(BTreeSet::new()));
    let sends = bodies.into_iter().map(|(id, body)| {
        let (client, base, acknowledged) = (client.clone(), base.clone(), acknowledged.clone());
        async move {
            let res = client
                .post(format!("{base}/webhooks/stripe"))
                .header("Stripe-Signature", sign(WEBHOOK_SECRET, now(), &body))
                .header("Content-Type", "application/json")
                .body(body)
                .send()
                .await;
            if res.is_ok_and(|r| r.status().as_u16() == 200) {
                acknowledged.lock().unwrap().insert(id);
            }
        }
    });
    let burst = actix_web::rt::spawn(futures_util::future::join_all(sends));
    // Kill the process once some events are acknowledged and others are still in flight.
    for _ in 0..400 {
        if acknowledged.lock().unwrap().len() >= 60 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.kill().unwrap(); // SIGKILL: no chance to flush anything
    server.wait().unwrap();
    burst.await.unwrap();
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(!acknowledged.is_empty(), "some events were answered before the kill");
    assert!(acknowledged.len() < 400, "the kill came mid-burst");

    // Restart on the same database: everything answered 200 is there, exactly once.
    let mut again = start_server(&url, port);
    wait_until_up(&client, &base).await;
    let mut conn = tollgate::db::build_pool(&url, 1).unwrap().get().unwrap();
    let stored: Vec<String> = billing_events::table.select(billing_events::event_id).load(&mut conn).unwrap();
    again.kill().unwrap();
    again.wait().unwrap();
    let stored_set: BTreeSet<String> = stored.iter().cloned().collect();
    assert_eq!(stored.len(), stored_set.len(), "no event stored twice");
    let lost: Vec<&String> = acknowledged.difference(&stored_set).collect();
    assert!(lost.is_empty(), "acknowledged but lost after the kill: {lost:?}");
}
