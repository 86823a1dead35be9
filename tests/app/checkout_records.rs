//! Only checkouts Tollgate created are fulfilled, on the workspace it created them for and with
//! what it recorded: forged success URLs, signed events for checkouts Tollgate never made,
//! metadata naming another workspace, a checkout replayed on another account and an event that
//! claims a better plan all change nothing. One workspace has one customer and one subscription.

use diesel::prelude::*;
use serde_json::{Value, json};
use tollgate::schema::checkout_sessions as cs;

use crate::api_support::{Standing, workspace_in};
use crate::common::*;
use crate::flows::{pay, start, upgrade};
use crate::sandbox::GOOD;
use crate::stripe_shapes::*;

fn fulfilled(app: &TestApp, ws: i64) -> i64 {
    app.with_db(|conn| {
        cs::table.filter(cs::workspace_id.eq(ws)).filter(cs::fulfilled_at.is_not_null()).count().get_result(conn)
    })
    .unwrap()
}

fn victim_sub(ws: i64, id: &str, price: &str) -> Value {
    subscription(&Sub {
        id,
        customer: "cus_attacker",
        workspace_id: ws,
        status: "active",
        price,
        period_start: now() - DAY,
        period_end: now() + 29 * DAY,
        cancel_at_period_end: false,
        trial_end: None,
    })
}

#[actix_web::test]
async fn a_forged_or_unknown_checkout_id_on_the_success_url_changes_nothing() {
    let app = spawn_app().await;
    let ws = app.signup("forger@example.com").await;
    for id in ["cs_test_made_up", "cs_test_a1B2c3", "__test__Ab1"] {
        let res = app.get(&format!("/billing/success?session_id={id}")).await;
        assert_eq!(res.status().as_u16(), 400, "{id}");
        let html = res.text().await.unwrap();
        assert!(select_all(&html, "p.lead")[0].starts_with("We couldn't find that checkout"), "{id}: {html}");
    }
    assert_eq!(app.plan_code(ws), "free");
    assert_eq!(fulfilled(&app, ws), 0);
}

#[actix_web::test]
async fn a_signed_event_for_a_checkout_tollgate_never_created_is_ignored() {
    let app = spawn_app().await;
    let victim = app.signup("victim@example.com").await;
    let session = checkout_session(&Checkout {
        id: "cs_never_created",
        workspace_id: victim,
        mode: "subscription",
        customer: "cus_attacker",
        subscription: Some("sub_attacker"),
        payment_intent: None,
        kind: "plan",
        code: "pro",
        amount: 5000,
    });
    let res = app.post_stripe(&event("evt_forged", "checkout.session.completed", now(), session)).await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "ignored");
    let e = &app.events()[0];
    assert_eq!(e.status.as_str(), "ignored");
    assert!(e.error.as_deref().unwrap().contains("not a checkout Tollgate created"), "{:?}", e.error);
    assert!(e.next_attempt_at.is_none(), "not retried");

    // The subscription's own event names the victim in its metadata: still no plan.
    let sub = victim_sub(victim, "sub_attacker", "price_pro_monthly");
    let res = app.post_stripe(&event("evt_forged_sub", "customer.subscription.created", now(), sub)).await;
    assert_eq!(res.status().as_u16(), 200);
    let w = app.workspace(victim);
    assert_eq!((app.plan_code(victim).as_str(), w.provider_subscription_id), ("free", None));
    assert_eq!(fulfilled(&app, victim), 0);
}

#[actix_web::test]
async fn a_checkout_recorded_for_starter_never_grants_pro() {
    let app = spawn_app().await;
    let ws = app.signup("starter-buyer@example.com").await;
    app.record_plan_checkout(ws, "sub_claims_pro", "starter");
    // The subscription (and its metadata) says Pro; the checkout Tollgate created sold Starter.
    let mut sub = victim_sub(ws, "sub_claims_pro", "price_pro_monthly");
    sub["metadata"]["tollgate_code"] = json!("pro");
    let res = app.post_stripe(&event("evt_claims_pro", "customer.subscription.created", now(), sub)).await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "ignored");
    assert_eq!(app.plan_code(ws), "free");
    assert_eq!(fulfilled(&app, ws), 0);

    // What it did sell is granted.
    let sub = victim_sub(ws, "sub_claims_pro", "price_starter_monthly");
    let res = app.post_stripe(&event("evt_is_starter", "customer.subscription.updated", now(), sub)).await;
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "processed");
    assert_eq!(app.plan_code(ws), "starter");
    assert_eq!(fulfilled(&app, ws), 1);
}

#[actix_web::test]
async fn a_recorded_checkout_is_fulfilled_as_recorded_whatever_its_event_claims() {
    let app = spawn_app().await;
    let buyer = app.signup("pack-buyer@example.com").await;
    let other = app.new_browser().signup("pack-other@example.com").await;
    let bought = Bought { purchase: "credit_pack", code: "credits_500", subscription_id: None };
    app.record_checkout("stripe", buyer, "cs_small_pack", bought);
    // The event names the other workspace and the bigger pack.
    let session = checkout_session(&Checkout {
        id: "cs_small_pack",
        workspace_id: other,
        mode: "payment",
        customer: "cus_pack_buyer",
        subscription: None,
        payment_intent: Some("pi_small_pack"),
        kind: "credit_pack",
        code: "credits_2000",
        amount: 999,
    });
    let res = app.post_stripe(&event("evt_small_pack", "checkout.session.completed", now(), session)).await;
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "processed");
    assert_eq!(app.credits(buyer).1, 500, "the pack that was recorded, on the workspace it was recorded for");
    assert_eq!(app.credits(other).1, 0);
    assert_eq!((fulfilled(&app, buyer), fulfilled(&app, other)), (1, 0));
}

#[actix_web::test]
async fn a_paid_checkout_replayed_on_another_account_gives_it_nothing() {
    let app = spawn_app().await;
    let a = app.signup("payer@example.com").await;
    let success = upgrade(&app, a, "starter", GOOD).await;

    let other = app.new_browser();
    let b = other.signup("replayer@example.com").await;
    let res = other.get(&success).await;
    assert_eq!(res.status().as_u16(), 400);
    assert_eq!(other.plan_code(b), "free");
    assert_eq!(fulfilled(&app, b), 0);

    // The buyer's own return works, once.
    let res = app.get(&success).await;
    assert_eq!(location(&res), format!("/w/{a}/billing"));
    assert_eq!(app.plan_code(a), "starter");
    assert_eq!(fulfilled(&app, a), 1);
}

#[actix_web::test]
async fn two_packs_opened_before_paying_share_one_customer_and_both_are_granted() {
    let app = spawn_app().await;
    let ws = app.signup("packs@example.com").await;
    let first = start(&app, ws, "credits/credits_500/checkout", &[]).await;
    let customer = app.workspace(ws).provider_customer_id.expect("created before the checkout");
    let second = start(&app, ws, "credits/credits_500/checkout", &[]).await;
    assert_ne!(first, second);
    let customers: Vec<Option<String>> =
        app.with_db(|conn| cs::table.filter(cs::workspace_id.eq(ws)).select(cs::customer_id).load(conn)).unwrap();
    assert_eq!(customers, [Some(customer.clone()), Some(customer.clone())]);

    for checkout in [&first, &second] {
        let res = pay(&app, checkout, GOOD).await;
        assert_eq!(res.status().as_u16(), 303);
        app.get(&location(&res).replace(&app.address, "")).await;
    }
    assert_eq!(app.workspace(ws).provider_customer_id, Some(customer));
    assert_eq!(app.credits(ws).1, 1000);
    assert_eq!(fulfilled(&app, ws), 2);
    let (_, html) = app.get_html(&format!("/w/{ws}/billing")).await;
    // Both packs' invoices are the one customer's, so the billing page lists both, paid.
    assert_eq!(select_all(&html, "table tbody tr .status"), ["paid", "paid"]);
}

#[actix_web::test]
async fn a_past_due_workspace_is_sent_to_fix_its_payment_not_to_a_second_subscription() {
    let app = spawn_app().await;
    let ws = workspace_in(&app, "pastdue@example.com", Standing::PastDueExpired).await;
    let billing = format!("/w/{ws}/billing");
    let res = app.post_form(&billing, &format!("/w/{ws}/checkout"), &[("plan", "pro"), ("interval", "month")]).await;
    assert_eq!(res.status().as_u16(), 409);
    let html = res.text().await.unwrap();
    assert!(select_all(&html, "p.lead")[0].contains("Fix payment"), "{html}");
    let recorded: i64 = app.with_db(|conn| cs::table.count().get_result(conn)).unwrap();
    assert_eq!(recorded, 1, "only the checkout that started the subscription");
    // …and the billing page offers exactly that.
    let (_, html) = app.get_html(&billing).await;
    assert_eq!(select_attr(&html, ".notice-error form", "action"), [format!("/w/{ws}/portal")]);
    assert_eq!(select_all(&html, ".notice-error form button"), ["Fix payment"]);
}
