//! `/webhooks/stripe`: signatures, idempotency under concurrent redelivery, ordering,
//! invoices, grace periods, credit packs and refunds — with Stripe-shaped events.

use diesel::prelude::*;
use serde_json::json;
use tollgate::domain::catalog::Plan;
use tollgate::domain::ids::WorkspaceId;
use tollgate::models::{BillingEvent, CreditEntry, EventStatus, Workspace};
use tollgate::schema::{billing_events, credit_ledger, invoices};

use crate::common::*;
use crate::stripe_shapes::*;

impl TestApp {
    pub async fn post_stripe(&self, body: &str) -> reqwest::Response {
        self.post_stripe_signed(body, &sign(WEBHOOK_SECRET, now(), body)).await
    }

    pub async fn post_stripe_signed(&self, body: &str, signature: &str) -> reqwest::Response {
        self.client
            .post(self.url("/webhooks/stripe"))
            .header("Stripe-Signature", signature)
            .header("Content-Type", "application/json")
            .body(body.to_owned())
            .send()
            .await
            .unwrap()
    }

    pub fn workspace(&self, id: i64) -> Workspace {
        self.with_db(|conn| Workspace::find(conn, WorkspaceId(id)).unwrap())
    }

    pub fn plan_code(&self, workspace_id: i64) -> String {
        let ws = self.workspace(workspace_id);
        self.with_db(|conn| Plan::find(conn, ws.plan_id).unwrap().code.clone())
    }

    pub fn events(&self) -> Vec<BillingEvent> {
        self.with_db(|conn| billing_events::table.order(billing_events::id.asc()).load(conn).unwrap())
    }

    /// Records usage straight in the ledger (what metered usage would write).
    pub fn spend(&self, workspace_id: i64, bucket: tollgate::domain::credits::CreditBucket, amount: i64) {
        self.with_db(|conn| {
            tollgate::models::credit_ledger::NewCreditEntry {
                workspace_id: WorkspaceId(workspace_id),
                bucket,
                delta: -amount,
                reason: "usage",
                idempotency_key: None,
                reference: None,
            }
            .insert(conn)
            .unwrap()
        });
    }

    pub fn credits(&self, workspace_id: i64) -> (i64, i64) {
        let b = self.with_db(|conn| CreditEntry::balance(conn, WorkspaceId(workspace_id)).unwrap());
        (b.monthly, b.purchased)
    }
}

fn pro_sub<'a>(ws: i64, id: &'a str, status: &'a str) -> Sub<'a> {
    Sub {
        id,
        customer: "cus_test",
        workspace_id: ws,
        status,
        price: "price_pro_monthly",
        period_start: now() - DAY,
        period_end: now() + 29 * DAY,
        cancel_at_period_end: false,
        trial_end: None,
    }
}

#[test]
fn signature_helper_matches_stripes_known_vector() {
    let body = r#"{"id":"evt_test_webhook","object":"event","type":"checkout.session.completed"}"#;
    assert_eq!(
        sign("whsec_test_secret", 1_700_000_000, body),
        "t=1700000000,v1=1fa73ff7286785daa8168695a709e92ce31d02a9202648cb27a1c5f2e233f517"
    );
}

#[actix_web::test]
async fn missing_bad_and_stale_signatures_are_refused_and_write_nothing() {
    let app = spawn_app().await;
    let ws = app.signup("sig@example.com").await;
    app.record_plan_checkout(ws, "sub_sig", "pro");
    let body =
        event("evt_sig", "customer.subscription.updated", now(), subscription(&pro_sub(ws, "sub_sig", "active")));

    let res = app.client.post(app.url("/webhooks/stripe")).body(body.clone()).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 400);
    assert!(res.json::<serde_json::Value>().await.unwrap()["error"].as_str().unwrap().contains("Stripe-Signature"));

    for signature in [
        sign("whsec_wrong", now(), &body),
        sign(WEBHOOK_SECRET, now() - 301, &body),
        format!("t={},v0={}", now(), "00".repeat(32)),
        "garbage".to_owned(),
    ] {
        let res = app.post_stripe_signed(&body, &signature).await;
        assert_eq!(res.status().as_u16(), 400, "{signature}");
    }
    // The signature covers the exact bytes: re-serialising the JSON breaks it.
    let signed = sign(WEBHOOK_SECRET, now(), &body);
    let reformatted = serde_json::to_string_pretty(&serde_json::from_str::<serde_json::Value>(&body).unwrap()).unwrap();
    assert_eq!(app.post_stripe_signed(&reformatted, &signed).await.status().as_u16(), 400);

    assert!(app.events().is_empty());
    assert_eq!(app.plan_code(ws), "free");

    // Any of several v1 entries may match (Stripe sends two while a secret rolls over).
    let good = sign(WEBHOOK_SECRET, now(), &body);
    let v1 = good.split("v1=").nth(1).unwrap();
    let rolled = format!("t={},v1={},v1={v1}", now(), "ab".repeat(32));
    assert_eq!(app.post_stripe_signed(&body, &rolled).await.status().as_u16(), 200);
    assert_eq!(app.plan_code(ws), "pro");
}

#[actix_web::test]
async fn a_subscription_update_grants_the_plan_and_is_logged() {
    let app = spawn_app().await;
    let ws = app.signup("sub@example.com").await;
    app.record_plan_checkout(ws, "sub_1", "pro");
    let body = event("evt_upd", "customer.subscription.updated", now(), subscription(&pro_sub(ws, "sub_1", "active")));
    let res = app.post_stripe(&body).await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.json::<serde_json::Value>().await.unwrap()["status"], "processed");

    let workspace = app.workspace(ws);
    assert_eq!(app.plan_code(ws), "pro");
    assert_eq!(workspace.subscription_status.map(|s| s.as_str()), Some("active"));
    assert_eq!(workspace.provider_subscription_id.as_deref(), Some("sub_1"));
    assert_eq!(workspace.provider_customer_id.as_deref(), Some("cus_test"));
    assert!(workspace.current_period_end.is_some());
    assert_eq!(app.credits(ws).0, 5000, "monthly credits set to Pro's amount");

    let events = app.events();
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(
        (e.provider.as_str(), e.event_id.as_str(), e.event_type.as_str(), e.status.as_str()),
        ("stripe", "evt_upd", "customer.subscription.updated", "processed")
    );
    assert!(e.processed_at.is_some());
    assert_eq!(e.attempts, 1);
    assert_eq!(e.workspace_id, Some(WorkspaceId(ws)));
    assert_eq!(e.payload, body, "the payload is kept verbatim");
}

/// A delivery that failed after a concurrent delivery of the same event applied it (two
/// instances, PostgreSQL) records its failure against the stored row; a row that is done with
/// keeps its outcome, so the retry job never applies the event a second time.
#[actix_web::test]
async fn a_failure_recorded_late_does_not_undo_an_applied_event() {
    use tollgate::models::billing_event::EventFailure;
    let app = spawn_app().await;
    let ws = app.signup("late-failure@example.com").await;
    app.record_plan_checkout(ws, "sub_late", "pro");
    let body =
        event("evt_late", "customer.subscription.updated", now(), subscription(&pro_sub(ws, "sub_late", "active")));
    assert_eq!(app.post_stripe(&body).await.status().as_u16(), 200);
    let stored = app.events().into_iter().find(|e| e.event_id == "evt_late").unwrap();
    assert_eq!(stored.status.as_str(), "processed");
    let failure = EventFailure { status: EventStatus::Failed, error: "late", attempts: 2, next_attempt_at: None };
    let changed = app.with_db(|conn| BillingEvent::record_failure(conn, stored.id, &failure).unwrap());
    assert_eq!(changed, 0);
    let after = app.events().into_iter().find(|e| e.event_id == "evt_late").unwrap();
    assert_eq!((after.status.as_str(), after.attempts, after.error), ("processed", 1, None));
}

/// A new delivery is stored without being looked up first; a redelivery of one already done
/// finds it stored when it is inserted, so its whole attempt rolls back: not even the
/// workspace's row or its credits are touched, and the answer is "duplicate".
#[actix_web::test]
async fn a_redelivered_event_changes_nothing_and_is_answered_duplicate() {
    let app = spawn_app().await;
    let ws = app.signup("redelivered@example.com").await;
    app.record_plan_checkout(ws, "sub_again", "pro");
    let body =
        event("evt_again", "customer.subscription.created", now(), subscription(&pro_sub(ws, "sub_again", "active")));
    let first = app.post_stripe(&body).await;
    assert_eq!(first.json::<serde_json::Value>().await.unwrap()["status"], "processed");
    let ledger = |app: &TestApp| -> Vec<CreditEntry> {
        app.with_db(|conn| CreditEntry::all_for(conn, WorkspaceId(ws)).unwrap())
    };
    let (row, entries) = (app.workspace(ws), ledger(&app));
    assert_eq!(app.credits(ws).0, 5000, "Pro's monthly credits: {entries:?}");

    std::thread::sleep(std::time::Duration::from_millis(5));
    let again = app.post_stripe(&body).await;
    assert_eq!(again.status().as_u16(), 200);
    assert_eq!(again.json::<serde_json::Value>().await.unwrap()["status"], "duplicate");
    assert_eq!(app.workspace(ws).updated_at, row.updated_at, "the workspace row was not written");
    assert_eq!(ledger(&app).len(), entries.len());
    let stored = app.events();
    assert_eq!(stored.len(), 1);
    assert_eq!((stored[0].status.as_str(), stored[0].attempts), ("processed", 1));
}

#[actix_web::test]
async fn twenty_concurrent_deliveries_change_state_once_and_grant_once() {
    let app = spawn_app().await;
    let ws = app.signup("dup@example.com").await;
    app.record_plan_checkout(ws, "sub_dup", "pro");
    let body =
        event("evt_dup", "customer.subscription.created", now(), subscription(&pro_sub(ws, "sub_dup", "active")));
    let deliveries = (0..20).map(|_| app.post_stripe(&body));
    let statuses: Vec<u16> =
        futures_util::future::join_all(deliveries).await.iter().map(|r| r.status().as_u16()).collect();
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");

    assert_eq!(app.events().len(), 1);
    assert_eq!(app.plan_code(ws), "pro");
    let resets: i64 = app.with_db(|conn| {
        credit_ledger::table
            .filter(credit_ledger::workspace_id.eq(ws))
            .filter(credit_ledger::reason.like("monthly credits reset%"))
            .count()
            .get_result(conn)
            .unwrap()
    });
    assert_eq!(resets, 1);
    assert_eq!(app.credits(ws).0, 5000);
}

#[actix_web::test]
async fn a_late_update_never_resurrects_a_deleted_subscription() {
    let app = spawn_app().await;
    let ws = app.signup("late@example.com").await;
    app.record_plan_checkout(ws, "sub_l", "pro");
    let t = now() - 100;
    let created = event("evt_c", "customer.subscription.created", t, subscription(&pro_sub(ws, "sub_l", "active")));
    let updated =
        event("evt_u", "customer.subscription.updated", t + 10, subscription(&pro_sub(ws, "sub_l", "active")));
    let deleted =
        event("evt_d", "customer.subscription.deleted", t + 20, subscription(&pro_sub(ws, "sub_l", "canceled")));
    for body in [&created, &deleted, &updated] {
        assert_eq!(app.post_stripe(body).await.status().as_u16(), 200);
    }
    let workspace = app.workspace(ws);
    assert_eq!(app.plan_code(ws), "free");
    assert_eq!(workspace.subscription_status.map(|s| s.as_str()), Some("canceled"));
    assert_eq!(workspace.provider_subscription_id, None, "subscription id cleared");
    assert_eq!(workspace.provider_customer_id.as_deref(), Some("cus_test"), "customer kept");
    let late = app.events().into_iter().find(|e| e.event_id == "evt_u").unwrap();
    assert_eq!(late.status.as_str(), "ignored");
    assert!(late.error.unwrap().contains("older"));
}

/// Events of one subscription's life, in the order the provider created them.
fn lifecycle(ws: i64, sub: &str, t: i64) -> Vec<(String, String)> {
    let start = t - DAY;
    let end = t + 29 * DAY;
    let s = |status: &'static str, cancel: bool| {
        subscription(&Sub {
            cancel_at_period_end: cancel,
            period_start: start,
            period_end: end,
            ..pro_sub(ws, sub, status)
        })
    };
    let inv = |id: &str, status: &'static str| {
        invoice(&Inv {
            id,
            customer: "cus_test",
            subscription: sub,
            workspace_id: ws,
            status,
            amount: 5000,
            price: "price_pro_monthly",
            period_start: start,
            period_end: end,
            billing_reason: "subscription_cycle",
        })
    };
    vec![
        ("created".into(), event(&format!("evt_{ws}_1"), "customer.subscription.created", t, s("trialing", false))),
        ("active".into(), event(&format!("evt_{ws}_2"), "customer.subscription.updated", t + 10, s("active", false))),
        ("paid".into(), event(&format!("evt_{ws}_3"), "invoice.paid", t + 15, inv(&format!("in_{ws}_a"), "paid"))),
        (
            "failed".into(),
            event(&format!("evt_{ws}_4"), "invoice.payment_failed", t + 20, inv(&format!("in_{ws}_b"), "open")),
        ),
        ("cancel".into(), event(&format!("evt_{ws}_5"), "customer.subscription.updated", t + 30, s("active", true))),
        (
            "deleted".into(),
            event(&format!("evt_{ws}_6"), "customer.subscription.deleted", t + 40, s("canceled", false)),
        ),
    ]
}

#[actix_web::test]
async fn every_pair_of_events_ends_in_the_same_state_in_either_order() {
    let app = spawn_app().await;
    let t = now() - 1000;
    let names: Vec<String> = lifecycle(0, "x", t).into_iter().map(|(n, _)| n).collect();
    let mut user = 0;
    for a in 0..names.len() {
        for b in a + 1..names.len() {
            let mut finals = Vec::new();
            for order in [[a, b], [b, a]] {
                user += 1;
                let browser = app.new_browser();
                let ws = browser.signup(&format!("pair{user}@example.com")).await;
                let sub = format!("sub_pair_{ws}");
                app.record_plan_checkout(ws, &sub, "pro");
                let events = lifecycle(ws, &sub, t);
                for i in order {
                    let res = app.post_stripe(&events[i].1).await;
                    assert_eq!(res.status().as_u16(), 200, "{} then {}", names[order[0]], names[order[1]]);
                }
                let w = app.workspace(ws);
                finals.push((
                    app.plan_code(ws),
                    w.subscription_status,
                    w.cancel_at_period_end,
                    w.current_period_end,
                    w.grace_until.is_some(),
                ));
            }
            assert_eq!(finals[0], finals[1], "{} and {} disagree by order", names[a], names[b]);
        }
    }
}

#[actix_web::test]
async fn unknown_event_types_are_recorded_and_ignored() {
    let app = spawn_app().await;
    let body = event("evt_unknown", "customer.tax_id.created", now(), json!({"id": "txi_1", "object": "tax_id"}));
    let res = app.post_stripe(&body).await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.json::<serde_json::Value>().await.unwrap()["status"], "ignored");
    let events = app.events();
    assert_eq!((events[0].status.as_str(), events[0].event_type.as_str()), ("ignored", "customer.tax_id.created"));
    // A redelivery of an ignored event is a duplicate.
    let res = app.post_stripe(&body).await;
    assert_eq!(res.json::<serde_json::Value>().await.unwrap()["status"], "duplicate");
}

#[actix_web::test]
async fn malformed_oversized_and_idless_bodies_are_refused() {
    let app = spawn_app().await;
    for body in ["{not json", r#"{"object":"event","type":"invoice.paid","created":1700000000,"data":{"object":{}}}"#] {
        let res = app.post_stripe(body).await;
        assert_eq!(res.status().as_u16(), 400, "{body}");
        assert!(res.json::<serde_json::Value>().await.unwrap()["error"].is_string());
    }
    let huge = format!(r#"{{"id":"evt_big","pad":"{}"}}"#, "x".repeat(300 * 1024));
    assert_eq!(app.post_stripe(&huge).await.status().as_u16(), 413);
    assert!(app.events().is_empty());
}

#[actix_web::test]
async fn events_for_unknown_customers_wait_and_are_retried() {
    let app = spawn_app().await;
    let ws = app.signup("pending@example.com").await;
    // No workspace id in metadata and a customer nobody has yet.
    let mut sub = subscription(&pro_sub(ws, "sub_p", "active"));
    sub["metadata"] = json!({});
    sub["customer"] = json!("cus_unknown");
    let body = event("evt_pending", "customer.subscription.updated", now(), sub);
    let res = app.post_stripe(&body).await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.json::<serde_json::Value>().await.unwrap()["status"], "pending");
    let e = &app.events()[0];
    assert_eq!(e.status.as_str(), "pending");
    assert!(e.next_attempt_at.is_some());
    assert_eq!(app.plan_code(ws), "free");

    // The customer becomes known (e.g. its checkout completes); the retry job applies the event.
    // …and its checkout, which Tollgate recorded, names the subscription it created.
    app.record_plan_checkout(ws, "sub_p", "pro");
    app.with_db(|conn| {
        use tollgate::schema::workspaces;
        diesel::update(workspaces::table.find(ws))
            .set((workspaces::provider_customer_id.eq("cus_unknown"), workspaces::billing_provider.eq("stripe")))
            .execute(conn)
            .unwrap();
        diesel::update(billing_events::table)
            .set(billing_events::next_attempt_at.eq(tollgate::models::now()))
            .execute(conn)
            .unwrap();
    });
    let retried = tollgate::services::retry_events::retry_due_events(&app.state, 10).await.unwrap();
    assert_eq!(retried, 1);
    assert_eq!(app.plan_code(ws), "pro");
    let e = &app.events()[0];
    assert_eq!((e.status.as_str(), e.attempts), ("processed", 2));
}

fn inv_for(ws: i64, id: &str, sub: &str, status: &'static str, start: i64) -> String {
    let kind = if status == "paid" { "invoice.paid" } else { "invoice.payment_failed" };
    event(
        &format!("evt_{id}"),
        kind,
        now(),
        invoice(&Inv {
            id,
            customer: "cus_test",
            subscription: sub,
            workspace_id: ws,
            status,
            amount: 5000,
            price: "price_pro_monthly",
            period_start: start,
            period_end: start + 30 * DAY,
            billing_reason: "subscription_cycle",
        }),
    )
}

/// Puts the workspace on an active Pro subscription through its creation webhook.
async fn subscribe_to_pro(app: &TestApp, ws: i64, sub: &str) {
    app.record_plan_checkout(ws, sub, "pro");
    let body = event("evt_a", "customer.subscription.created", now() - 50, subscription(&pro_sub(ws, sub, "active")));
    assert_eq!(app.post_stripe(&body).await.status().as_u16(), 200);
}

#[actix_web::test]
async fn payment_failure_starts_grace_and_payment_recovers() {
    let app = spawn_app().await;
    let ws = app.signup("grace@example.com").await;
    subscribe_to_pro(&app, ws, "sub_g").await;
    let res = app.post_stripe(&inv_for(ws, "in_fail", "sub_g", "open", now())).await;
    assert_eq!(res.status().as_u16(), 200);
    let w = app.workspace(ws);
    assert_eq!(w.subscription_status.map(|s| s.as_str()), Some("past_due"));
    assert_eq!(app.plan_code(ws), "pro", "kept during grace");
    let grace = w.grace_until.unwrap() - tollgate::models::now();
    assert!(grace.num_hours() > 7 * 24 - 2 && grace.num_hours() <= 7 * 24, "{grace:?}");

    let (_, html) = app.get_html(&format!("/w/{ws}/billing")).await;
    let banner = select_all(&html, ".banner");
    assert!(banner[0].contains("payment failed") || banner[0].contains("Payment failed"), "{banner:?}");
    assert_eq!(select_all(&html, "tbody tr td:first-child"), ["TG-fail"]);

    app.post_stripe(&inv_for(ws, "in_ok", "sub_g", "paid", now())).await;
    let w = app.workspace(ws);
    assert_eq!(w.subscription_status.map(|s| s.as_str()), Some("active"));
    assert_eq!(w.grace_until, None);
    let recorded: Vec<(String, String)> = app.with_db(|conn| {
        invoices::table
            .select((invoices::provider_invoice_id, invoices::status))
            .order(invoices::id.asc())
            .load(conn)
            .unwrap()
    });
    assert_eq!(recorded, [("in_fail".into(), "open".into()), ("in_ok".into(), "paid".into())]);
}

#[actix_web::test]
async fn zero_grace_days_downgrade_at_once() {
    let app = spawn_app_with(|vars| {
        vars.insert("GRACE_PERIOD_DAYS".into(), "0".into());
    })
    .await;
    let ws = app.signup("nograce@example.com").await;
    subscribe_to_pro(&app, ws, "sub_z").await;
    app.post_stripe(&inv_for(ws, "in_z", "sub_z", "open", now())).await;
    assert_eq!(app.plan_code(ws), "free");
    assert_eq!(app.workspace(ws).subscription_status.map(|s| s.as_str()), Some("past_due"));
}

#[actix_web::test]
async fn a_renewal_resets_monthly_credits_once_per_period() {
    let app = spawn_app().await;
    let ws = app.signup("renew@example.com").await;
    subscribe_to_pro(&app, ws, "sub_r").await;
    // Spend some monthly credits.
    app.spend(ws, tollgate::domain::credits::CreditBucket::Monthly, 1200);
    assert_eq!(app.credits(ws).0, 3800);
    let next_period = now() + 29 * DAY;
    let renewal = inv_for(ws, "in_next", "sub_r", "paid", next_period);
    app.post_stripe(&renewal).await;
    assert_eq!(app.credits(ws).0, 5000, "reset to Pro's 5,000");
    // The same period's invoice again (a different event) does not reset twice.
    app.spend(ws, tollgate::domain::credits::CreditBucket::Monthly, 100);
    app.post_stripe(&renewal.replace("evt_in_next", "evt_in_next_again")).await;
    assert_eq!(app.credits(ws).0, 4900);
}

#[actix_web::test]
async fn a_credit_pack_checkout_grants_once_and_a_refund_takes_back_the_unspent_part() {
    let app = spawn_app().await;
    let ws = app.signup("pack@example.com").await;
    let bought = Bought { purchase: "credit_pack", code: "credits_500", subscription_id: None };
    app.record_checkout("stripe", ws, "cs_pack", bought);
    let session = checkout_session(&Checkout {
        id: "cs_pack",
        workspace_id: ws,
        mode: "payment",
        customer: "cus_pack",
        subscription: None,
        payment_intent: Some("pi_pack"),
        kind: "credit_pack",
        code: "credits_500",
        amount: 999,
    });
    let body = event("evt_pack", "checkout.session.completed", now(), session);
    assert_eq!(app.post_stripe(&body).await.status().as_u16(), 200);
    assert_eq!(app.post_stripe(&body.replace("evt_pack", "evt_pack_again")).await.status().as_u16(), 200);
    assert_eq!(app.credits(ws), (100, 500), "one grant for one checkout");
    assert_eq!(app.workspace(ws).provider_customer_id.as_deref(), Some("cus_pack"));

    // 200 of them are spent (purchased credits go after the monthly ones).
    app.spend(ws, tollgate::domain::credits::CreditBucket::Purchased, 200);
    let refund = event("evt_refund", "charge.refunded", now(), charge("ch_pack", "cus_pack", "pi_pack", 999, 999));
    assert_eq!(app.post_stripe(&refund).await.status().as_u16(), 200);
    assert_eq!(app.credits(ws), (100, 0), "the 300 unspent credits are taken back, no more");
}

#[actix_web::test]
async fn the_retry_job_gives_up_after_many_attempts_but_redelivery_still_works() {
    let app = spawn_app().await;
    let ws = app.signup("giveup@example.com").await;
    let mut sub = subscription(&pro_sub(ws, "sub_gu", "active"));
    sub["metadata"] = json!({});
    sub["customer"] = json!("cus_nobody");
    let body = event("evt_gu", "customer.subscription.updated", now(), sub);
    app.post_stripe(&body).await;
    app.with_db(|conn| {
        diesel::update(billing_events::table)
            .set((
                billing_events::attempts.eq(tollgate::services::retry_events::MAX_ATTEMPTS - 1),
                billing_events::next_attempt_at.eq(tollgate::models::now()),
            ))
            .execute(conn)
            .unwrap();
    });
    assert_eq!(tollgate::services::retry_events::retry_due_events(&app.state, 10).await.unwrap(), 1);
    let e = &app.events()[0];
    assert_eq!(
        (e.status.as_str(), e.attempts, e.next_attempt_at),
        ("pending", tollgate::services::retry_events::MAX_ATTEMPTS, None)
    );
    assert_eq!(tollgate::services::retry_events::retry_due_events(&app.state, 10).await.unwrap(), 0, "no more retries");

    // The customer appears; the provider's own redelivery is still processed.
    // …and its checkout, which Tollgate recorded, names the subscription it created.
    app.record_plan_checkout(ws, "sub_gu", "pro");
    app.with_db(|conn| {
        use tollgate::schema::workspaces;
        diesel::update(workspaces::table.find(ws))
            .set((workspaces::provider_customer_id.eq("cus_nobody"), workspaces::billing_provider.eq("stripe")))
            .execute(conn)
            .unwrap();
    });
    assert_eq!(app.post_stripe(&body).await.status().as_u16(), 200);
    assert_eq!(app.plan_code(ws), "pro");
}
