//! Add-ons as their provider reports them: Stripe add-on subscriptions ordered per row with
//! real statuses (and a failed renewal through the sandbox), Chargebee add-on items ending
//! when a newer snapshot no longer lists them.

use diesel::prelude::*;
use serde_json::json;
use tollgate::domain::addons::AddonStatus;
use tollgate::domain::ids::{AddonId, WorkspaceId};
use tollgate::models::workspace_addon::{NewWorkspaceAddon, WorkspaceAddon};
use tollgate::schema::{addons, workspace_addons};

use crate::common::*;
use crate::flows::{pay, renew, start};
use crate::sandbox::FAILS_LATER;
use crate::stripe_billing_rules::sub_json;
use crate::stripe_shapes::*;

/// Records that `ws` bought add-on `code`, billed by `subscription` at `price`.
pub(crate) fn own_addon(app: &TestApp, ws: i64, code: &str, subscription: &str, price: &str, state_at: i64) {
    app.with_db(|conn| {
        let addon_id: AddonId = addons::table.filter(addons::code.eq(code)).select(addons::id).first(conn).unwrap();
        NewWorkspaceAddon {
            workspace_id: WorkspaceId(ws),
            addon_id,
            status: AddonStatus::Active,
            provider_subscription_id: Some(subscription),
            checkout_id: &format!("cs_{subscription}_{code}"),
            current_period_end: None,
            cancel_at_period_end: false,
            addon_price_id: Some(price),
            state_at: chrono::DateTime::from_timestamp(state_at, 0).map(|t| t.naive_utc()),
        }
        .insert(conn)
        .unwrap();
    });
}

pub(crate) fn addon_rows(app: &TestApp, ws: i64) -> Vec<WorkspaceAddon> {
    app.with_db(|conn| {
        workspace_addons::table
            .filter(workspace_addons::workspace_id.eq(ws))
            .order(workspace_addons::id.asc())
            .load(conn)
            .unwrap()
    })
}

/// What the billing page offers for add-on `code`: "Add" when the workspace does not have it.
async fn addon_offer(app: &TestApp, ws: i64, code: &str) -> Vec<String> {
    let (_, html) = app.get_html(&format!("/w/{ws}/billing")).await;
    select_all(&html, &format!("form[action='/w/{ws}/addons/{code}/checkout'] button"))
}

#[actix_web::test]
async fn a_period_end_deletion_before_the_earlier_update_leaves_the_add_on_ended() {
    let app = spawn_app().await;
    let ws = app.signup("addonorder@example.com").await;
    own_addon(&app, ws, "email_5", "sub_addon_1", "price_email_5_monthly", now() - 3600);
    let mut cancelling = sub_json(ws, "sub_addon_1", "active", "price_email_5_monthly", now() + 20 * DAY);
    cancelling["cancel_at_period_end"] = json!(true);
    let updated = event("evt_ao_1", "customer.subscription.updated", now() - 100, cancelling);
    let ended = sub_json(ws, "sub_addon_1", "canceled", "price_email_5_monthly", now() + 20 * DAY);
    let deleted = event("evt_ao_2", "customer.subscription.deleted", now() - 10, ended);
    assert_eq!(app.post_stripe(&deleted).await.status().as_u16(), 200);
    assert_eq!(app.post_stripe(&updated).await.status().as_u16(), 200);
    let rows = addon_rows(&app, ws);
    assert_eq!((rows[0].status, rows[0].cancel_at_period_end), (AddonStatus::Canceled, false));
    let late = app.events().into_iter().find(|e| e.event_id == "evt_ao_1").unwrap();
    assert_eq!(late.status.as_str(), "ignored");
    assert_eq!(addon_offer(&app, ws, "email_5").await, ["Add"], "the add-on is gone");
    assert_eq!(app.plan_code(ws), "free", "the plan is untouched");
}

#[actix_web::test]
async fn add_on_statuses_are_real_and_grant_by_the_rule() {
    let app = spawn_app().await;
    let ws = app.signup("addonstatus@example.com").await;
    own_addon(&app, ws, "email_5", "sub_addon_2", "price_email_5_monthly", now() - 3600);
    let post = |id: &'static str, status: &'static str, at: i64| {
        let app = &app;
        async move {
            let body = event(
                id,
                "customer.subscription.updated",
                at,
                sub_json(ws, "sub_addon_2", status, "price_email_5_monthly", now() + 30 * DAY),
            );
            assert_eq!(app.post_stripe(&body).await.status().as_u16(), 200);
            addon_rows(app, ws).remove(0)
        }
    };
    // A failed renewal: past due, kept for the grace period.
    let row = post("evt_as_1", "past_due", now() - 50).await;
    assert_eq!(row.status, AddonStatus::PastDue);
    let grace = row.grace_until.unwrap() - tollgate::models::now();
    assert!(grace.num_hours() > 7 * 24 - 2 && grace.num_hours() <= 7 * 24, "{grace:?}");
    let (_, html) = app.get_html(&format!("/w/{ws}/billing")).await;
    assert!(select_all(&html, ".badge").iter().any(|b| b.starts_with("Payment failed · kept until")), "{html}");
    // Retries exhausted: unpaid, same deadline.
    let unpaid = post("evt_as_2", "unpaid", now() - 40).await;
    assert_eq!((unpaid.status, unpaid.grace_until), (AddonStatus::Unpaid, row.grace_until));
    // Paid again: active.
    let active = post("evt_as_3", "active", now() - 30).await;
    assert_eq!((active.status, active.grace_until), (AddonStatus::Active, None));
    // Paused: not granted.
    assert_eq!(post("evt_as_4", "paused", now() - 20).await.status, AddonStatus::Paused);
    assert_eq!(addon_offer(&app, ws, "email_5").await, ["Add"]);
    // An older event changes nothing.
    assert_eq!(post("evt_as_5", "active", now() - 25).await.status, AddonStatus::Paused);
}

#[actix_web::test]
async fn an_overdue_add_on_past_its_grace_is_not_granted() {
    let app = spawn_app_with(|vars| {
        vars.insert("GRACE_PERIOD_DAYS".into(), "0".into());
    })
    .await;
    let ws = app.signup("addongrace@example.com").await;
    own_addon(&app, ws, "email_5", "sub_addon_3", "price_email_5_monthly", now() - 3600);
    let body = event(
        "evt_ag_1",
        "customer.subscription.updated",
        now() - 5,
        sub_json(ws, "sub_addon_3", "past_due", "price_email_5_monthly", now() + 30 * DAY),
    );
    assert_eq!(app.post_stripe(&body).await.status().as_u16(), 200);
    assert_eq!(addon_rows(&app, ws)[0].status, AddonStatus::PastDue);
    assert_eq!(addon_offer(&app, ws, "email_5").await, ["Add"]);
}

#[actix_web::test]
async fn a_failed_add_on_renewal_in_the_sandbox_is_not_active() {
    let app = spawn_app().await;
    let ws = app.signup("addonrenewal@example.com").await;
    let checkout = start(&app, ws, "addons/email_5/checkout", &[]).await;
    let success = location(&pay(&app, &checkout, FAILS_LATER).await);
    app.get(success.strip_prefix(&app.address).unwrap()).await;
    assert_eq!(addon_rows(&app, ws)[0].status, AddonStatus::Active);
    renew(&app, ws).await;
    let row = addon_rows(&app, ws).remove(0);
    assert_eq!(row.status, AddonStatus::PastDue, "the renewal failed");
    assert!(row.grace_until.is_some());
    assert!(row.state_at.is_some());
}
