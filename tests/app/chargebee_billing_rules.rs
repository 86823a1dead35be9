//! Billing correctness on the Chargebee path, with captured Chargebee events carrying our ids:
//! reactivation under the same id, past-due kept while Chargebee says `active` (and through
//! Tollgate's own Cancel), removed add-on items, `transferred`, deletion, scheduled changes
//! removed, and an unpaid trial.

use diesel::prelude::*;
use serde_json::{Value, json};
use tollgate::domain::addons::AddonStatus;
use tollgate::domain::ids::WorkspaceId;
use tollgate::models::Workspace;
use tollgate::schema::ended_subscriptions;

use crate::addon_rules::{addon_rows, own_addon};
use crate::chargebee_provider::fake::{FakeChargebee, subscription as cb_subscription, subscription_answer};
use crate::chargebee_webhooks::{ACTIVATED, CANCELLED, basic, chargebee_app, chargebee_app_at, subscription_event};
use crate::common::*;
use crate::stripe_shapes::now;

const REACTIVATED: &str = include_str!("../fixtures/chargebee/subscription_reactivated.json");
const CHANGED: &str = include_str!("../fixtures/chargebee/subscription_changed.json");
const PAYMENT_FAILED: &str = include_str!("../fixtures/chargebee/payment_failed.json");
const PAYMENT_SUCCEEDED: &str = include_str!("../fixtures/chargebee/payment_succeeded.json");

fn auth() -> String {
    basic("hook", "s3cret pass")
}

/// A subscription event for `ws` with the given status (PC 2.0 items).
fn sub_event(template: &str, id: &str, ws: i64, status: &str, at: i64) -> Value {
    let mut event: Value =
        serde_json::from_str(&subscription_event(template, id, ws, "pro-USD-Monthly", true, at)).unwrap();
    event["content"]["subscription"]["status"] = json!(status);
    // A paid-up subscription, not one straight out of a trial (see the unpaid-trial test).
    event["content"]["subscription"]["trial_end"] = Value::Null;
    if status != "cancelled" {
        event["content"]["subscription"].as_object_mut().unwrap().remove("cancelled_at");
    }
    event
}

/// `payment_failed` / `payment_succeeded` for invoice `invoice` of the workspace's subscription.
fn payment_event(template: &str, id: &str, ws: i64, invoice: &str, at: i64) -> String {
    let mut event: Value = serde_json::from_str(template).unwrap();
    event["id"] = json!(id);
    event["occurred_at"] = json!(at);
    let (sub, customer) = (format!("cb_sub_{ws}"), format!("cb_cus_{ws}"));
    event["content"]["invoice"]["id"] = json!(invoice);
    event["content"]["invoice"]["subscription_id"] = json!(sub);
    event["content"]["invoice"]["customer_id"] = json!(customer);
    event["content"]["subscription"]["id"] = json!(sub);
    event["content"]["subscription"]["customer_id"] = json!(customer);
    event["content"]["subscription"]["meta_data"] = json!({ "workspace_id": ws.to_string() });
    event["content"]["customer"]["id"] = json!(customer);
    event["content"]["transaction"]["subscription_id"] = json!(sub);
    event["content"]["invoice"]["line_items"] = json!([{"entity_type": "plan_item_price", "entity_id": "pro-USD-Monthly",
        "subscription_id": sub, "date_from": at, "date_to": at + 30 * 86_400, "amount": 5000}]);
    event.to_string()
}

async fn post(app: &TestApp, body: &str) -> Value {
    let res = app.post_chargebee(body, Some(&auth())).await;
    assert_eq!(res.status().as_u16(), 200, "{body}");
    res.json().await.unwrap()
}

fn status_of(w: &Workspace) -> Option<&'static str> {
    w.subscription_status.map(|s| s.as_str())
}

#[actix_web::test]
async fn a_cancelled_subscription_reactivated_under_the_same_id_returns() {
    let app = chargebee_app(true, false).await;
    let ws = app.signup("reactivate@example.com").await;
    app.record_chargebee_checkout(ws, "pro");
    let t = now() - 1000;
    post(&app, &sub_event(ACTIVATED, "ev_r1", ws, "active", t).to_string()).await;
    post(&app, &sub_event(CANCELLED, "ev_r2", ws, "cancelled", t + 10).to_string()).await;
    assert_eq!(app.plan_code(ws), "free");
    let outcome = post(&app, &sub_event(REACTIVATED, "ev_r3", ws, "active", t + 20).to_string()).await;
    assert_eq!(outcome["status"], "processed");
    let w = app.workspace(ws);
    assert_eq!((app.plan_code(ws).as_str(), status_of(&w)), ("pro", Some("active")));
    assert_eq!(w.provider_subscription_id, Some(format!("cb_sub_{ws}")));
    let ended: i64 = app.with_db(|conn| {
        ended_subscriptions::table.filter(ended_subscriptions::workspace_id.eq(ws)).count().get_result(conn).unwrap()
    });
    assert_eq!(ended, 0, "no longer recorded as ended");
    // Cancelled again, it ends again.
    post(&app, &sub_event(CANCELLED, "ev_r4", ws, "cancelled", t + 30).to_string()).await;
    assert_eq!(app.plan_code(ws), "free");
}

#[actix_web::test]
async fn past_due_lasts_until_the_failed_invoice_is_paid_even_through_active_snapshots_and_cancel() {
    let (fake, base) = FakeChargebee::start_server().await;
    let app = chargebee_app_at(true, false, &base).await;
    let ws = app.signup("dunning@example.com").await;
    app.record_chargebee_checkout(ws, "pro");
    let t = now() - 1000;
    post(&app, &sub_event(ACTIVATED, "ev_d1", ws, "active", t).to_string()).await;
    post(&app, &payment_event(PAYMENT_FAILED, "ev_d2", ws, "inv_due", t + 10)).await;
    let grace = app.workspace(ws).grace_until;
    assert_eq!(status_of(&app.workspace(ws)), Some("past_due"));
    // Chargebee keeps reporting `active` while it retries.
    post(&app, &sub_event(CHANGED, "ev_d3", ws, "active", t + 20).to_string()).await;
    let w = app.workspace(ws);
    assert_eq!((status_of(&w), w.grace_until), (Some("past_due"), grace));
    // Tollgate's own Cancel answers a `non_renewing` subscription: still past due.
    let sub_id = format!("cb_sub_{ws}");
    let non_renewing = cb_subscription(&sub_id, "non_renewing", &["pro-USD-Monthly"]);
    fake.answer("POST", &format!("subscriptions/{sub_id}/cancel_for_items"), 200, subscription_answer(non_renewing));
    let res = app.post_form(&format!("/w/{ws}/billing"), &format!("/w/{ws}/subscription/cancel"), &[]).await;
    assert_eq!(res.status().as_u16(), 303);
    let w = app.workspace(ws);
    assert_eq!((status_of(&w), w.grace_until, w.cancel_at_period_end), (Some("past_due"), grace, true));
    let (_, html) = app.get_html(&format!("/w/{ws}/billing")).await;
    assert_eq!(select_all(&html, "[data-testid=plan-status]"), ["Past due"]);
    // An older payment (last month's, delivered late) does not settle it.
    post(&app, &payment_event(PAYMENT_SUCCEEDED, "ev_d4", ws, "inv_old", t + 5)).await;
    assert_eq!(status_of(&app.workspace(ws)), Some("past_due"));
    // The failed invoice paid does.
    post(&app, &payment_event(PAYMENT_SUCCEEDED, "ev_d5", ws, "inv_due", t + 40)).await;
    let w = app.workspace(ws);
    assert_eq!((status_of(&w), w.grace_until, app.plan_code(ws).as_str()), (Some("active"), None, "pro"));
    assert!(w.cancel_at_period_end, "the cancellation stays");
}

#[actix_web::test]
async fn an_add_on_removed_from_the_subscription_is_ended() {
    let app = chargebee_app(true, false).await;
    let ws = app.signup("cbaddon@example.com").await;
    app.record_chargebee_checkout(ws, "pro");
    let t = now() - 1000;
    post(&app, &sub_event(ACTIVATED, "ev_a1", ws, "active", t).to_string()).await;
    own_addon(&app, ws, "email_5", &format!("cb_sub_{ws}"), "email-5-USD-Monthly", t + 10);
    // An older snapshot (from before the purchase) does not end it.
    post(&app, &sub_event(CHANGED, "ev_a2", ws, "active", t + 5).to_string()).await;
    assert_eq!(addon_rows(&app, ws)[0].status, AddonStatus::Active);
    // A newer one listing it keeps it.
    let mut listed = sub_event(CHANGED, "ev_a3", ws, "active", t + 20);
    listed["content"]["subscription"]["subscription_items"]
        .as_array_mut()
        .unwrap()
        .push(json!({"item_price_id": "email-5-USD-Monthly", "item_type": "addon", "quantity": 1}));
    post(&app, &listed.to_string()).await;
    assert_eq!(addon_rows(&app, ws)[0].status, AddonStatus::Active);
    // A newer one without it ends it.
    let outcome = post(&app, &sub_event(CHANGED, "ev_a4", ws, "active", t + 30).to_string()).await;
    assert_eq!(outcome["status"], "processed");
    assert_eq!(addon_rows(&app, ws)[0].status, AddonStatus::Canceled);
    assert_eq!(app.plan_code(ws), "pro", "the plan stays");
}

#[actix_web::test]
async fn transferred_and_deleted_subscriptions_end_without_failing() {
    let app = chargebee_app(true, false).await;
    let t = now() - 1000;
    for (n, status, event_type) in [(1, "transferred", "subscription_changed"), (2, "active", "subscription_deleted")] {
        let ws = app.new_browser().signup(&format!("ended{n}@example.com")).await;
        app.record_chargebee_checkout(ws, "pro");
        post(&app, &sub_event(ACTIVATED, &format!("ev_e{n}a"), ws, "active", t).to_string()).await;
        let mut ended = sub_event(CHANGED, &format!("ev_e{n}b"), ws, status, t + 10);
        ended["event_type"] = json!(event_type);
        let outcome = post(&app, &ended.to_string()).await;
        assert_eq!(outcome["status"], "processed", "{event_type} {status}");
        let w = app.workspace(ws);
        assert_eq!(
            (app.plan_code(ws).as_str(), status_of(&w), w.provider_subscription_id),
            ("free", Some("canceled"), None)
        );
        let event = app.events().into_iter().find(|e| e.event_id == format!("ev_e{n}b")).unwrap();
        assert_eq!((event.status.as_str(), event.attempts), ("processed", 1), "not failed, not retried");
    }
}

#[actix_web::test]
async fn removed_scheduled_changes_clear_the_scheduled_plan() {
    let app = chargebee_app(true, false).await;
    let ws = app.signup("unschedule@example.com").await;
    app.record_chargebee_checkout(ws, "pro");
    let t = now() - 1000;
    post(&app, &sub_event(ACTIVATED, "ev_s1", ws, "active", t).to_string()).await;
    let starter =
        app.with_db(|conn| tollgate::domain::catalog::Plan::find_by_code(conn, "starter").unwrap().unwrap().id);
    app.with_db(|conn| {
        Workspace::set_scheduled_plan(conn, WorkspaceId(ws), Some((starter, tollgate::domain::money::Interval::Month)))
            .unwrap()
    });
    let mut removed = sub_event(CHANGED, "ev_s2", ws, "active", t + 10);
    removed["event_type"] = json!("subscription_scheduled_changes_removed");
    removed["content"]["subscription"]["has_scheduled_changes"] = json!(false);
    post(&app, &removed.to_string()).await;
    let w = app.workspace(ws);
    assert_eq!((w.scheduled_plan_id, w.scheduled_interval), (None, None));
}

#[actix_web::test]
async fn a_chargebee_trial_that_ends_unpaid_gets_no_grace() {
    let app = chargebee_app(true, false).await;
    let ws = app.signup("cbtrial@example.com").await;
    app.record_chargebee_checkout(ws, "pro");
    let t = now() - 1000;
    let mut trial = sub_event(ACTIVATED, "ev_t1", ws, "in_trial", t);
    trial["content"]["subscription"]["trial_end"] = json!(t + 5);
    post(&app, &trial.to_string()).await;
    assert_eq!(app.plan_code(ws), "pro");
    let mut active = sub_event(ACTIVATED, "ev_t2", ws, "active", t + 6);
    active["content"]["subscription"]["trial_end"] = json!(t + 5);
    post(&app, &active.to_string()).await;
    post(&app, &payment_event(PAYMENT_FAILED, "ev_t3", ws, "inv_first", t + 7)).await;
    let w = app.workspace(ws);
    assert_eq!((app.plan_code(ws).as_str(), status_of(&w)), ("free", Some("past_due")));
}
